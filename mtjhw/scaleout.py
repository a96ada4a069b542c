"""Independent tasks (the dies of a simulated wafer, the seeds of a Monte Carlo, the points of a sweep) run in this
process or on ``dask.distributed``: a local cluster of worker processes, or the cluster behind a scheduler address.

``fn`` and the items must be picklable (module-level functions, :func:`functools.partial` of them) and each result
must depend only on its item (its seed in the item, never a shared generator): the serial run and any cluster then
give identical results. Dask is imported only when a cluster is asked for.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .progress import bar

log = logging.getLogger(__name__)


class TaskError(RuntimeError):
    """A task raised: ``index`` (into the items), ``item``; the task's own exception is the ``__cause__``."""

    def __init__(self, index: int, item: Any, error: BaseException) -> None:
        super().__init__(f"item {index} ({_short(item)}) failed: {type(error).__name__}: {error}")
        self.index = index
        self.item = item


def _short(item: Any, width: int = 80) -> str:
    text = repr(item)
    return text if len(text) <= width else text[:width - 3] + "..."


class Executor(ABC):
    """Runs ``fn(item)`` for every item; a context manager (closing it stops what it started)."""

    #: Processes that run tasks at once (1 for the serial executor).
    workers: int = 1

    @abstractmethod
    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any], desc: str | None = None,
                      quiet: bool = False) -> Iterator[tuple[int, Any]]:
        """``(index into items, fn(item))`` as tasks finish; a failed task raises :class:`TaskError` and cancels
        the rest. With ``desc`` a bar (tasks done of total, ETA) is drawn on stderr unless ``quiet``."""

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], desc: str | None = None,
            quiet: bool = False) -> list[Any]:
        """``[fn(item) for item in items]`` in the items' order, run as :meth:`map_unordered`."""
        items = list(items)
        results: list[Any] = [None] * len(items)
        for index, result in self.map_unordered(fn, items, desc, quiet):
            results[index] = result
        return results

    @abstractmethod
    def close(self) -> None:
        """Release the workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Every task in this process, in the items' order: the reference of every parallel run."""

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any], desc: str | None = None,
                      quiet: bool = False) -> Iterator[tuple[int, Any]]:
        items = list(items)
        with _task_bar(len(items), desc, quiet) as done:
            for index, item in enumerate(items):
                try:
                    result = fn(item)
                except Exception as exc:
                    raise TaskError(index, item, exc) from exc
                done.update(1)
                yield index, result

    def close(self) -> None:
        """Nothing to release: the tasks ran in this process."""

    def __repr__(self) -> str:
        return "SerialExecutor()"


class DaskExecutor(Executor):
    """Tasks on ``dask.distributed``: ``Client(scheduler)`` for an address (``tcp://host:port``), else a
    ``LocalCluster`` of ``workers`` processes with one thread each (numba-compiled code compiles once per process)."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ImportError("running on several workers or a scheduler needs dask.distributed: "
                              "pip install 'mtjhw[scale]'") from exc
        _quiet_cluster_logs()
        self.cluster = None
        if scheduler is None:
            if workers is None or workers < 2:
                raise ValueError(f"a local cluster needs workers >= 2, got {workers}")
            # a failed task is raised in this process: the workers' own error logs would say it twice; no
            # dashboard, and the scheduler's HTTP endpoint on a free port (several clusters may run at once)
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                        silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler)
        self.workers = max(1, sum(self.client.nthreads().values()))
        log.info("dask: %d workers at %s", self.workers, self.client.scheduler.address)

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any], desc: str | None = None,
                      quiet: bool = False) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        items = list(items)
        futures = self.client.map(fn, items, pure=False)  # pure=False: equal items are still separate tasks
        index = {future.key: k for k, future in enumerate(futures)}
        pending = set(futures)
        try:
            with _task_bar(len(items), desc, quiet) as done:
                for future in as_completed(futures):
                    pending.discard(future)
                    k = index[future.key]
                    if future.status == "error":
                        error = future.exception()
                        raise TaskError(k, items[k], error) from error
                    result = future.result()
                    future.release()
                    done.update(1)
                    yield k, result
        except KeyboardInterrupt:
            self._cancel(pending)
            self.close()
            raise
        finally:  # a failed task, or the caller stopped iterating: nothing runs on for nobody
            self._cancel(pending)

    def _cancel(self, futures: set[Any]) -> None:
        if futures and self.client.status == "running":
            self.client.cancel(list(futures))
        futures.clear()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __repr__(self) -> str:
        return f"DaskExecutor({self.client.scheduler.address!r}, workers={self.workers})"


def _quiet_cluster_logs() -> None:
    """The cluster's INFO lines (workers and clients coming and going) only when the root logger is at debug
    level (``mtjhw -v``); dask.distributed sets its loggers to INFO when it is imported."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("distributed").setLevel(logging.WARNING)


def _task_bar(total: int, desc: str | None, quiet: bool) -> Any:
    return bar(total, desc or "tasks", unit="task", quiet=quiet or desc is None)


def executor(scheduler: str | None = None, workers: int | None = None) -> Executor:
    """The executor for ``--scheduler`` and ``--workers``: the cluster at ``scheduler`` when given (``workers`` is
    then the cluster's own); else a local Dask cluster of ``workers`` processes for ``workers >= 2``; else
    (None, 0 or 1) the serial executor in this process."""
    if workers is not None and workers < 0:
        raise ValueError(f"workers must be >= 0, got {workers}")
    if scheduler is not None:
        if not scheduler.strip():
            raise ValueError("scheduler address is empty (expected tcp://host:port)")
        return DaskExecutor(scheduler=scheduler)
    if workers is None or workers <= 1:
        return SerialExecutor()
    return DaskExecutor(workers=workers)
