"""Progress of long work on stderr: tqdm bars (widgets in Jupyter, through ``tqdm.auto``) with rate and ETA.

Every long command reports through here so that ``--quiet`` silences all of it the same way, and so that
progress never mixes into stdout summaries or data files.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Any

from tqdm.auto import tqdm

PERCENT_FORMAT = "{desc}: {percentage:5.1f} %|{bar}| [{elapsed}<{remaining}, {rate_fmt}]"


def bar(total: float | None, desc: str, unit: str = "it", quiet: bool = False, file: IO[str] | None = None,
        **options: Any) -> tqdm:
    """A bar counting to ``total`` (None: no ETA, only count and rate) on ``file`` (stderr by default)."""
    return tqdm(total=total, desc=desc, unit=unit, disable=quiet, file=file or sys.stderr, dynamic_ncols=True,
                **options)


class PercentBar:
    """A callable taking the percentage done (a procedure's ``progress`` events) drawn as a bar with ETA."""

    def __init__(self, desc: str, quiet: bool = False, file: IO[str] | None = None) -> None:
        self.bar = bar(100, desc, unit="%", quiet=quiet, file=file, bar_format=PERCENT_FORMAT)

    def __call__(self, percent: float) -> None:
        if not 0 <= percent <= 100:
            raise ValueError(f"progress must be between 0 and 100 %, got {percent}")
        self.bar.update(percent - self.bar.n)

    def close(self) -> None:
        self.bar.close()


class StepBar:
    """A callable taking one message per step (a sweep point of a reproduction, a stage of a build): the
    message starts the step and finishes the one before; each finished step is written with its elapsed time.
    The elapsed time is redrawn every ``tick`` s, so a step that prints nothing for minutes still shows it runs."""

    def __init__(self, desc: str, total: int | None = None, quiet: bool = False, file: IO[str] | None = None,
                 tick: float = 1.0) -> None:
        self.bar = bar(total, desc, unit="step", quiet=quiet, file=file)
        self._step: str | None = None
        self._start = time.monotonic()
        self._closed = threading.Event()
        if not quiet:
            threading.Thread(target=self._redraw, args=(tick,), daemon=True).start()

    def _redraw(self, tick: float) -> None:
        while not self._closed.wait(tick):
            self.bar.refresh()

    def expect(self, steps: int) -> None:
        """Set the number of steps once it is known (the ETA follows from it)."""
        self.bar.total = steps
        self.bar.refresh()

    def __call__(self, message: str) -> None:
        self._finish_step()
        self._step = message
        self.bar.set_postfix_str(message)

    def _finish_step(self) -> None:
        now = time.monotonic()
        if self._step is not None:
            self.write(f"{self._step} ({now - self._start:.1f} s)")
            self.bar.update(1)
        self._start = now

    def write(self, message: str) -> None:
        """A line above the bar (silenced with it)."""
        if not self.bar.disable:
            self.bar.write(message, file=self.bar.fp)

    def close(self) -> None:
        self._closed.set()
        self._finish_step()
        self._step = None
        self.bar.close()

    def __enter__(self) -> StepBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
