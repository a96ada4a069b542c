"""mtjhw.scaleout: the serial executor and a Dask LocalCluster give the same results; failures name the item."""

import numpy as np
import pytest

from mtjhw.scaleout import DaskExecutor, SerialExecutor, TaskError, executor

distributed = pytest.importorskip("distributed")


def draw(seed: int) -> list[float]:
    return np.random.default_rng(seed).normal(size=3).tolist()


def fails_on_three(item: int) -> int:
    if item == 3:
        raise ValueError("three is refused")
    return item


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}) as local:
        yield local


def test_serial_and_a_scheduler_address_give_identical_results(cluster):
    serial = SerialExecutor().map(draw, range(12))
    with executor(scheduler=cluster.scheduler_address) as pool:
        assert isinstance(pool, DaskExecutor) and pool.workers == 2
        assert pool.map(draw, range(12)) == serial
        assert sorted(k for k, _ in pool.map_unordered(draw, range(5))) == list(range(5))


def test_a_failed_task_names_its_item(cluster):
    with pytest.raises(TaskError, match=r"item 3 \(3\) failed: ValueError: three is refused") as serial:
        SerialExecutor().map(fails_on_three, range(6))
    assert serial.value.index == 3
    with executor(scheduler=cluster.scheduler_address) as pool, pytest.raises(TaskError, match="item 3") as dask:
        pool.map(fails_on_three, range(6))
    assert isinstance(dask.value.__cause__, ValueError)


def test_workers_choose_the_executor():
    assert isinstance(executor(), SerialExecutor) and isinstance(executor(workers=1), SerialExecutor)
    with pytest.raises(ValueError, match="workers must be >= 0"):
        executor(workers=-1)


def test_a_reproduction_sweep_on_the_cluster_reports_what_the_serial_run_does(cluster, tmp_path):
    from mtjhw.reproduce import run_reproduction

    serial = run_reproduction("zhao-letters", tmp_path / "serial", quick=True, progress=False)
    with executor(scheduler=cluster.scheduler_address) as pool:
        parallel = run_reproduction("zhao-letters", tmp_path / "dask", quick=True, progress=False, executor=pool)
    assert parallel == serial
    assert (tmp_path / "dask" / "report.json").read_text() == (tmp_path / "serial" / "report.json").read_text()
