"""A record of each real bench that is open: written when the bench opens, removed when it closes cleanly.

A record left behind by a process that died (killed, crashed, powered off) means outputs may still be on: the next
``mtjhw`` command that opens that bench switches every output off before anything else. Records live in
``$MTJHW_STATE_DIR`` (default ``$XDG_STATE_HOME/mtjhw`` or ``~/.local/state/mtjhw``), one JSON file per bench name.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path


class BenchInUseError(RuntimeError):
    """Another live process has this bench open: two programs must not drive the same instruments."""


@dataclass(frozen=True)
class OpenRecord:
    """Who opened a bench, and when."""

    pid: int
    host: str
    started: float  #: Unix time (s)
    roles: tuple[str, ...]

    def alive(self) -> bool:
        """Whether the process that wrote the record still runs (a record from another host counts as alive)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def describe(self) -> str:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        return f"process {self.pid} on {self.host}, opened {started}"


def state_dir() -> Path:
    """Where the records are kept."""
    if "MTJHW_STATE_DIR" in os.environ:
        return Path(os.environ["MTJHW_STATE_DIR"])
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "mtjhw"


def record_path(bench_name: str) -> Path:
    return state_dir() / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', bench_name)}.open.json"


def claim(bench_name: str, roles: tuple[str, ...]) -> OpenRecord | None:
    """Record that this process opens ``bench_name``; return the record an unclean end left behind, if any.
    Raises :class:`BenchInUseError` when a live process holds the bench."""
    path = record_path(bench_name)
    stale = None
    if path.exists():
        try:
            fields = json.loads(path.read_text())
            previous = OpenRecord(**{**fields, "roles": tuple(fields["roles"])})
        except (ValueError, TypeError, KeyError):
            previous = None  # unreadable: treat as an unclean end of unknown origin
        if previous is not None and previous.alive() and previous.pid != os.getpid():
            raise BenchInUseError(f"bench {bench_name!r} is open in {previous.describe()} (record {path})")
        stale = previous or OpenRecord(0, "unknown", path.stat().st_mtime, ())
    path.parent.mkdir(parents=True, exist_ok=True)
    mine = OpenRecord(os.getpid(), socket.gethostname(), time.time(), roles)
    path.write_text(json.dumps({**asdict(mine), "roles": list(roles)}))
    return stale


def release(bench_name: str) -> None:
    """The bench closed cleanly: remove this process's record."""
    record_path(bench_name).unlink(missing_ok=True)
