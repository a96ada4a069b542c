"""M-P neurons with MTJ activations: the p-bit's measured occupation against the logistic sigmoid of eq. 7, the
spin-Hall domain wall's response against the ReLU of eq. 8."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mtjhw.simulators.physics.constants import E_CHARGE, GAMMA_E, HBAR
from mtjhw.simulators.physics.mp_neuron import (
    PBitNeuron,
    ReluParams,
    SotReluNeuron,
    pbit_occupation,
    relu,
    sigmoid,
    sot_wall_mobility,
)
from mtjhw.simulators.physics.sot import SOTParams
from mtjhw.simulators.physics.telegraph import TelegraphParams

DELTA, IC0 = 5.0, 20e-6


def test_the_pbits_time_average_is_the_logistic_sigmoid_with_gain_2_delta_over_ic0():
    """Event-driven telegraph over 1 ms per input (thousands of dwells): within 0.02 of σ(2Δ·I/Ic0)."""
    neuron = PBitNeuron([1e-6], 0.0, TelegraphParams(delta=DELTA, ic0=IC0, tau0=1e-9, n_current=1.0))
    x = np.linspace(-12, 12, 13)[:, None]  # µA of input through a 1 µA-per-unit weight
    measured = neuron.read(x, 1e-3, np.random.default_rng(1))
    np.testing.assert_allclose(measured, sigmoid(2 * DELTA * x[:, 0] * 1e-6 / IC0), atol=0.02)
    assert np.all(np.diff(measured) > 0)


def test_the_barrier_exponent_doubles_the_gain_and_a_stray_field_shifts_the_centre():
    i = np.linspace(-10e-6, 10e-6, 9)
    np.testing.assert_allclose(pbit_occupation(i, DELTA, IC0, n_current=2.0), sigmoid(4 * DELTA * i / IC0))
    h = 0.05  # n = 1: p_P = σ(4Δh + 2Δ(1 + h²)·i), centred at i = −2h/(1 + h²)
    np.testing.assert_allclose(pbit_occupation(i, DELTA, IC0, h=h), sigmoid(4 * DELTA * h + 2 * DELTA * (1 + h * h) *
                                                                            i / IC0))
    params = TelegraphParams(delta=DELTA, ic0=IC0, tau0=1e-9, n_current=1.0, hk=0.02, h_offset=-h * 0.02)
    centre = -2 * h / (1 + h * h) * IC0
    measured = PBitNeuron([1.0], centre, params).read(np.zeros((4, 1)), 2e-3, np.random.default_rng(2))
    assert measured.mean() == pytest.approx(0.5, abs=0.02)


def test_binary_reads_fire_with_the_sigmoids_probability():
    """4000 binary stochastic reads of one weighted sum: the fraction in P within 3σ of the sigmoid."""
    neuron = PBitNeuron([2e-6, -1e-6], 1e-6, TelegraphParams(delta=DELTA, ic0=IC0, tau0=1e-9, n_current=1.0))
    x = np.tile([1.0, 1.5], (4000, 1))  # I = 2 − 1.5 + 1 = 1.5 µA
    p = float(sigmoid(2 * DELTA * 1.5e-6 / IC0))
    fired = neuron.read(x, 1e-6, np.random.default_rng(3), binary=True).mean()
    assert fired == pytest.approx(p, abs=3 * math.sqrt(p * (1 - p) / 4000))


def test_the_domain_wall_response_is_a_relu_clipped_at_the_track_end():
    """From the reset end, one pulse per input: 0 for negative input and below depinning, slope μ·t_p/L above
    it (within one pinning step), 1 once the wall reaches the end."""
    params = ReluParams()
    x = np.linspace(-95, 255, 36)[:, None]  # µA; 45 and 55 either side of depinning (creep at 45: none in 2 ns)
    neuron = SotReluNeuron([1e-6], 0.0, params, devices=x.shape[0])
    y = neuron.read(x, np.random.default_rng(4))
    expected = np.minimum(relu(x[:, 0] * 1e-6 - params.i_dep) * params.gain, 1.0)
    np.testing.assert_allclose(y, expected, atol=1 / (params.n_sites - 1) + 1e-12)
    assert np.all(y[x[:, 0] * 1e-6 <= params.i_dep] == 0) and y[-1] == pytest.approx(1.0)
    linear = (y > 0.05) & (y < 0.95)
    assert np.polyfit(x[linear, 0] * 1e-6, y[linear], 1)[0] == pytest.approx(params.gain, rel=0.03)


def test_creep_rounds_the_knee_of_long_pulses_only():
    """Below depinning the wall creeps by thermally activated hops: after 1 µs at 0.85 i_dep it has moved, after
    2 ns it has not."""
    x = np.full((200, 1), 0.85 * 50.0)
    for width, moved in ((1e-6, True), (2e-9, False)):
        params = ReluParams(pulse_width=width, pin_delta=20.0)
        y = SotReluNeuron([1e-6], 0.0, params, devices=200).read(x, np.random.default_rng(5))
        assert bool(y.mean() > 0.01) is moved


def test_spin_hall_mobility_follows_the_1d_model():
    """(π/2)(γΔ_w/α)·ħθ_SH/(2e Ms t_F w t_HM): proportional to θ_SH and Δ_w, inverse in α and the line's section."""
    sot = SOTParams()
    a_dl = HBAR * sot.theta_sh / (2 * E_CHARGE * sot.ms * sot.thickness * sot.line_width * sot.line_thickness)
    assert sot_wall_mobility(sot, 5e-9) == pytest.approx(math.pi / 2 * GAMMA_E * 5e-9 / sot.alpha * a_dl)
    faster = SOTParams(alpha=sot.alpha / 2, theta_sh=2 * sot.theta_sh)
    assert sot_wall_mobility(faster, 5e-9) == pytest.approx(4 * sot_wall_mobility(sot, 5e-9))
    assert ReluParams.from_sot(sot).mobility == pytest.approx(sot_wall_mobility(sot, 5e-9))


def test_device_to_device_barriers_give_each_input_its_own_devices_sigmoid():
    """Δ drawn per device (±30 %): each time average follows the sigmoid of its own device, not the nominal one."""
    delta = np.random.default_rng(6).permutation(np.linspace(3.5, 6.5, 8))
    params = TelegraphParams(delta=delta, ic0=IC0, tau0=1e-9, n_current=1.0)
    x = np.full((8, 1), 3.0)
    measured = PBitNeuron([1e-6], 0.0, params).read(x, 2e-3, np.random.default_rng(7))
    own = sigmoid(2 * delta * 3e-6 / IC0)
    np.testing.assert_allclose(measured, own, atol=0.025)
    assert np.ptp(own) > 0.1  # the spread is larger than the tolerance
