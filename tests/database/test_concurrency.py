"""Two processes recording into one SQLite file at once: every run arrives, none twice."""

from __future__ import annotations

import subprocess
import sys

from mtjhw.database import Database

WRITER = """
import sys
from mtjhw.database import Database, RunRecord
db = Database(sys.argv[1])
for i in range(25):
    db.record(RunRecord(uid=f"{sys.argv[2]}-{i}", procedure="rh-loop", summary={"tmr": 1.0 + i / 100}))
"""


def test_two_writer_processes_share_one_sqlite_file(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, name]) for name in ("a", "b")]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    with Database(url) as db:
        assert sorted(r.uid for r in db.runs()) == sorted(f"{n}-{i}" for n in "ab" for i in range(25))
