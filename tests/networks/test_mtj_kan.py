"""The p-bit Kolmogorov–Arnold network, its same-size MLP twin, and the ``mtj-kan`` reproduction."""

import numpy as np
import pytest

from mtjhw.networks.mtj_kan import MAC_ENERGY, MTJKAN, SENSE_ENERGY, PbitBank, PbitMLP, Pbits
from mtjhw.reproduce import REPRODUCTIONS, run_reproduction


def test_nominal_pbit_curve_is_the_neel_brown_logistic_and_its_slope():
    bank = PbitBank(3, Pbits(variation=0.0))
    u = (np.arange(-50, 50)[:, None] + 0.5) * bank.du * np.ones(3)  # mid-segment: the slope is the derivative
    p, slope = bank.curve(u)
    # n = 1 Néel–Brown, symmetric junction: p = σ(2Δ I/Ic0) = σ(u) with I = u·Ic0/(2Δ)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-u)), atol=2e-4)
    np.testing.assert_allclose(slope, p * (1 - p), rtol=2e-3)


def test_device_variation_spreads_the_transfer_curves():
    p, _ = PbitBank(200, Pbits(variation=0.2), seed=2).curve(np.full(200, 2.0))
    assert 0.03 < p.std() < 0.2 and abs(np.median(p) - 1 / (1 + np.exp(-2.0))) < 0.03


@pytest.mark.parametrize("model", ["kan", "mlp"])
def test_gradients_match_finite_differences(model):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 2, 5)
    net = MTJKAN((3, 2, 2), 2, None, seed=1) if model == "kan" else PbitMLP((3, 4, 2), None, seed=1)

    def loss() -> float:
        out = net.logits(x)
        out = out - out.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(out).sum(axis=1)) - out[np.arange(5), y]))

    out, cache = net._forward(x, None)
    p = np.exp(out - out.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    grads = net._backward(cache, (p - np.eye(2)[y]) / 5)
    for param, grad in zip(net.params, grads, strict=True):
        k = np.unravel_index(np.argmax(np.abs(grad)), grad.shape)
        param[k] += 1e-6
        up = loss()
        param[k] -= 2e-6
        down = loss()
        param[k] += 1e-6
        assert grad[k] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-9)


def test_pbit_energy_is_bias_dissipation_plus_reads():
    pbits = Pbits(variation=0.0)
    bank = PbitBank(2, pbits)
    reads = 2 * pbits.samples * SENSE_ENERGY
    assert bank.energy(np.zeros(2)) == pytest.approx(reads)  # no bias current: the reads alone
    u = np.array([2.0, -2.0])
    p, _ = bank.curve(u)
    bias = (2 * pbits.i_unit) ** 2 * pbits.r_p * (p + (1 - p) * 2.2) * pbits.samples * pbits.sample_period
    assert bank.energy(u) == pytest.approx(bias.sum() + reads, rel=1e-9)
    kan = MTJKAN((3, 2), 2, pbits)
    e = kan.inference_energy(np.zeros((1, 3)))
    assert e["macs"] == 2 * 12 and e["energy_per_inference"] == pytest.approx(e["pbit_energy"] + 24 * MAC_ENERGY)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("mtj_kan")
    return run_reproduction("mtj-kan", out, quick=True, progress=False), out


def test_quick_reproduction_classifies_digits_with_pbit_curves(report):
    r, out = report
    assert "mtj-kan" in REPRODUCTIONS and (out / "report.png").exists()
    for key in ("name", "metric", "value", "paper_value", "paper", "dataset", "settings", "sweeps", "energy",
                "software_value", "mlp_value"):
        assert key in r
    assert r["paper_value"] == 0.9 and r["value"] > 0.88 and r["mlp_value"] > 0.9
    assert abs(r["settings"]["mlp_parameters"] - r["settings"]["parameters"]) <= 30  # the same size


def test_fewer_basis_curves_per_edge_cost_accuracy(report):
    r, _ = report
    basis = {p["x"]: p["accuracy"] for p in r["sweeps"]["basis"]}
    assert basis[1] < basis[3] - 0.03
