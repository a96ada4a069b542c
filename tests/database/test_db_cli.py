"""`mtjhw run` records into the database (not with --no-db); `mtjhw db runs/show/export` read it back."""

from __future__ import annotations

import pandas as pd
import yaml

from mtjhw.cli import main
from mtjhw.database import Database
from tests.conftest import SAFETY


def test_run_is_recorded_and_listed_shown_exported(tmp_path, capsys) -> None:
    bench = tmp_path / "bench.yaml"
    bench.write_text(yaml.safe_dump({"name": "cli", "simulated": True, "seed": 3, "safety": SAFETY,
                                     "dut": {"model": "pmtj"}}))
    assert main(["run", "rh-loop", "--bench", str(bench), "--out", str(tmp_path / "a"), "--set", "points=21",
                 "-q"]) == 0
    assert main(["run", "rh-loop", "--bench", str(bench), "--out", str(tmp_path / "b"), "--set", "points=21",
                 "-q", "--no-db"]) == 0
    assert Database().count() == 1
    capsys.readouterr()
    assert main(["db", "runs", "--procedure", "rh-loop"]) == 0
    assert "rh-loop" in capsys.readouterr().out
    assert main(["db", "show", "1"]) == 0
    assert "KEITHLEY" in capsys.readouterr().out
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"runs.{fmt}"
        assert main(["db", "export", "--format", fmt, "--out", str(out), "--where", "tmr>0.5"]) == 0
        frame = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
        assert len(frame) == 1 and frame.loc[0, "tmr"] > 0.5
    assert main(["db", "runs", "--where", "tmrx>1"]) == 2
    assert "tmrx" in capsys.readouterr().err
