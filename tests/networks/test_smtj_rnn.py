"""The synthetic user-preference generator, the sMTJ recurrent network and ``smtj-rnn-recommender``."""

import numpy as np
import pytest

from mtjhw.reproduce import REPRODUCTIONS, run_reproduction
from mtjhw.reproduce.smtj_rnn_recommender import CATEGORIES, WARM_UP, generate, scores


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("smtj-rnn")
    return run_reproduction("smtj-rnn-recommender", out, quick=True, progress=False), out


def _cyclic_successor(favourites: list[int], c: int) -> int:
    above = [f for f in sorted(favourites) if f > c]
    return above[0] if above else min(favourites)


def test_generator_users_cycle_through_their_favourites():
    choices, preferred = generate(200, 25, np.random.default_rng(0), explore=0.0, drift=0.0)
    for seq, pref in zip(choices, preferred, strict=True):
        favourites = sorted(set(seq.tolist()))
        assert 2 <= len(favourites) <= 3
        assert all(pref[t] == _cyclic_successor(favourites, seq[t - 1]) for t in range(1, len(seq)))
    np.testing.assert_array_equal(choices, preferred)


def test_generator_explores_and_drifts_at_its_rates():
    choices, preferred = generate(3000, 30, np.random.default_rng(1), explore=0.1, drift=0.0)
    followed = np.mean(choices[:, 1:] == preferred[:, 1:])
    assert followed == pytest.approx(1 - 0.1 + 0.1 / CATEGORIES, abs=0.01)
    fixed, _ = generate(500, 30, np.random.default_rng(2), explore=0.0, drift=0.0)
    drifting, _ = generate(500, 30, np.random.default_rng(2), explore=0.0, drift=0.1)
    distinct = lambda c: np.mean([len(set(row.tolist())) for row in c])  # noqa: E731
    assert distinct(drifting) > distinct(fixed) + 0.5  # drift brings new favourites into the sequences


def test_metric_scores_predictions_of_the_next_preference():
    choices, preferred = generate(50, 20, np.random.default_rng(3))
    assert scores(preferred[:, 1:], choices, preferred)["accuracy"] == 1.0
    repeat_last = scores(choices[:, :-1], choices, preferred)
    assert repeat_last["accuracy"] < 0.2  # the preferred category is never the one just chosen (without strays)
    assert choices[:, WARM_UP:].size == 50 * (20 - WARM_UP)


def test_quick_reproduction_learns_preferences_on_smtjs(report):
    r, out = report
    assert "smtj-rnn-recommender" in REPRODUCTIONS
    for key in ("name", "metric", "value", "paper_value", "paper", "dataset", "settings", "sweeps", "energy",
                "software_value"):
        assert key in r
    assert r["paper_value"] == 0.9608
    assert r["software_value"] > 0.85 and r["value"] > 0.8  # chance is about 1/3 (guessing among favourites)
    assert r["settings"]["layers"] == [10, 64, 10]
    sweeps = r["sweeps"]
    assert sweeps["spread"][-1]["accuracy"] < sweeps["spread"][0]["accuracy"]
    assert sweeps["reads"][0]["accuracy"] < sweeps["reads"][-1]["accuracy"]
    e = [p["energy_per_prediction"] for p in sweeps["reads"]]
    assert e[-1] / e[0] == pytest.approx(sweeps["reads"][-1]["x"] / sweeps["reads"][0]["x"], rel=0.1)
    assert (out / "report.png").stat().st_size > 10_000
