"""Shared fixtures: simulated bench configurations."""

from __future__ import annotations

import pytest

from mtjhw.config import BenchConfig

SAFETY = {"max_voltage": 0.8, "max_current": 1e-3, "max_field": 0.3, "field_ramp_rate": 1.0}


def simulated_config(seed: int = 1, **dut: float) -> BenchConfig:
    """A simulated pMTJ bench with the given DUT parameters (SI) and the default virtual instruments."""
    return BenchConfig.from_dict({"name": "test", "simulated": True, "seed": seed, "safety": SAFETY,
                                  "dut": {"model": "pmtj", **dut}})


@pytest.fixture(autouse=True)
def _bench_records(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records of open real benches go to a fresh folder per test, not to the user's state folder."""
    monkeypatch.setenv("MTJHW_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(autouse=True)
def _database(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs are recorded into a fresh SQLite file per test, never into the user's database."""
    monkeypatch.setenv("MTJHW_DATABASE", f"sqlite:///{tmp_path_factory.mktemp('db') / 'runs.sqlite'}")


@pytest.fixture
def pmtj_config() -> BenchConfig:
    return simulated_config()
