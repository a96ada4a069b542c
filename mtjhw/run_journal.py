"""The journal of a run in its output directory: what ran, on which bench, and who is writing it now.

``run.json`` is written when a run starts: the procedure, every parameter value, the bench and its seed, and one
entry per attempt (the first run, then each ``--resume``) with its status and point count. ``run.lock`` names the
process writing the directory and goes when the run ends; a lock whose process is gone marks an unclean end (a
kill, a crash). A resumed run takes its settings from the journal, so it continues the run it resumes, and it
appends to ``data.csv``: nothing already recorded is ever rewritten.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .bench_record import OpenRecord

log = logging.getLogger(__name__)

JOURNAL, LOCK, DATA = "run.json", "run.lock", "data.csv"


class RunDirectoryError(FileExistsError):
    """The output directory cannot take this run: it holds another run, none to resume, or a live writer."""


def check_run_directory(out: Path) -> Path:
    """The data file a new run in ``out`` writes; :class:`RunDirectoryError` if an earlier run left one there."""
    data_file = out / DATA
    if data_file.exists():
        raise RunDirectoryError(f"{out} holds an earlier run ({DATA}); nothing is overwritten: continue it with "
                                "--resume, or give the new run another --out")
    check_writable(out)
    return data_file


def check_writable(out: Path) -> None:
    """Refuse a directory this process cannot create or write in, before any instrument is touched."""
    probe = out / ".mtjhw-write-test"
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RunDirectoryError(f"cannot write to {out}: {exc.strerror or exc}") from None


@dataclass
class RunJournal:
    """``run.json`` of one run directory (see the module docstring)."""

    out: Path
    procedure: str
    parameters: dict[str, Any]
    bench: str
    seed: int | None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))  # the run's identity in the database

    @property
    def data_file(self) -> Path:
        return self.out / DATA

    # ----------------------------------------------------------------- opening
    @classmethod
    def start(cls, out: Path, procedure: str, parameters: dict[str, Any], bench: str, seed: int | None
              ) -> RunJournal:
        """A new run in ``out`` (created if need be); refused where an earlier run left its data."""
        check_run_directory(out)
        journal = cls(out, procedure, parameters, bench, seed)
        journal._begin(resumed_after=0)
        return journal

    @classmethod
    def load(cls, out: Path) -> RunJournal:
        """The journal of the run in ``out``, to resume it."""
        path = out / JOURNAL
        if not (out / DATA).exists():
            raise RunDirectoryError(f"{out} holds no run to resume (no {DATA})")
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
            return cls(out, fields["procedure"], fields["parameters"], fields["bench"], fields["seed"],
                       fields["attempts"], **({"uid": fields["uid"]} if fields.get("uid") else {}))
        except FileNotFoundError:
            raise RunDirectoryError(f"{out} has no {JOURNAL}: it was not written by `mtjhw run`, so it cannot be "
                                    "resumed") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise RunDirectoryError(f"{path} is unreadable ({exc}); the data is kept, resume is not possible"
                                    ) from None

    def check_resumable(self, procedure: str) -> None:
        """Refuse to resume another procedure's run or a finished one."""
        if procedure != self.procedure:
            raise RunDirectoryError(f"{self.out} holds a {self.procedure} run, not {procedure}")
        last = self.attempts[-1]["status"] if self.attempts else None
        if last == "finished":
            raise RunDirectoryError(f"{self.out}: the run finished; there is nothing to resume")

    def resume(self) -> int:
        """Take the directory over for a resumed attempt; the number of points already recorded."""
        check_writable(self.out)
        points = recorded_points(self.data_file)
        self._begin(resumed_after=points)
        return points

    # ----------------------------------------------------------------- attempts
    def _begin(self, resumed_after: int) -> None:
        self._lock()
        self.attempts.append({"started": _now(), "resumed_after": resumed_after, "status": "running"})
        self.write()

    def end(self, status: str, points: int, error: str | None) -> None:
        """Record how this attempt ended and release the directory."""
        self.attempts[-1].update(ended=_now(), status=status, points=points, error=error)
        try:
            self.write()
        finally:
            (self.out / LOCK).unlink(missing_ok=True)

    def write(self) -> None:
        document = {"uid": self.uid, "procedure": self.procedure, "parameters": self.parameters, "bench": self.bench,
                    "seed": self.seed, "attempts": self.attempts}
        temporary = self.out / f".{JOURNAL}.tmp"
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        temporary.replace(self.out / JOURNAL)  # atomic: a kill mid-write leaves the previous journal

    def _lock(self) -> None:
        path = self.out / LOCK
        mine = OpenRecord(os.getpid(), socket.gethostname(), time.time(), ())
        try:
            with open(path, "x", encoding="utf-8") as file:
                json.dump(asdict(mine), file)
            return
        except FileExistsError:
            pass
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
            holder = OpenRecord(fields["pid"], fields["host"], fields["started"], ())
        except (ValueError, KeyError, TypeError):
            holder = None
        if holder is not None and holder.alive() and holder.pid != os.getpid():
            raise RunDirectoryError(f"{self.out} is being written by {holder.describe()}")
        log.warning("the run in %s ended uncleanly (%s)", self.out,
                    holder.describe() if holder else "unreadable lock")
        path.write_text(json.dumps(asdict(mine)), encoding="utf-8")


def recorded_points(data_file: Path) -> int:
    """Points in a PyMeasure data file (header lines start with '#', then one line of column labels). A last line
    cut short by a kill is not a point: it is moved to ``<data>.torn`` and cut from the data file."""
    with open(data_file, "rb+") as file:
        content = file.read()
        end = content.rfind(b"\n") + 1
        if end < len(content):
            torn = data_file.with_name(data_file.name + ".torn")
            with open(torn, "ab") as keep:
                keep.write(content[end:] + b"\n")
            log.warning("%s ended in a partly written line (kept in %s); it is measured again", data_file, torn)
            file.truncate(end)
    lines = [line for line in content[:end].splitlines() if line.strip() and not line.startswith(b"#")]
    return max(len(lines) - 1, 0)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
