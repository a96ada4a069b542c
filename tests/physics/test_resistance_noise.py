"""Resistance noise (1/f with a Hooge parameter, telegraph defects) against Hooge's law, Machlup's Lorentzian and
the exact statistics of window means and lagged samples of a stationary process."""

import time

import numpy as np
import pytest
from scipy.optimize import curve_fit
from scipy.signal import welch

from mtjhw.simulators.bench.models import build_dut
from mtjhw.simulators.physics.resistance_noise import (
    F_HIGH,
    F_LOW,
    ResistanceNoise,
    ResistanceNoiseParams,
    hooge_psd,
    telegraph_psd,
)

HOOGE, AREA = 2e-22, 1e-15  # 2e-10 µm² on a 36 nm junction: α_H/A = 2e-7


def noise(**params) -> ResistanceNoise:
    return ResistanceNoise(ResistanceNoiseParams(**params))


def window_variance(variance, rate, duration):
    """Variance of the mean over ``duration`` s of a stationary process of autocovariance variance·e^(−rate·τ)."""
    u = rate * duration
    return variance * 2 * (u - 1 + np.exp(-u)) / u**2


def test_the_generated_spectrum_is_1_over_f_with_the_hooge_parameter():
    """The process's own spectrum follows α_H/(A f) within 1 % across its band, and independent Welch estimates of
    sampled records (a scope at 100 MS/s, readings every 20 ms) match Hooge's law within 10 % in every decade."""
    model = noise(hooge=HOOGE, area=AREA)
    f = np.geomspace(F_LOW, F_HIGH, 400)
    np.testing.assert_allclose(model.psd(f), hooge_psd(f, HOOGE, AREA), rtol=0.01)
    rng = np.random.default_rng(1)
    for dt, n, records in ((1e-8, 2**17, 8), (0.02, 2**15, 1)):
        psd = 0.0
        for _ in range(records):
            fk, p = welch(model.record(model.time or 0.0, dt, n, rng), 1 / dt, nperseg=4096)
            psd = psd + p / records
        for lo in np.arange(np.log10(fk[3]), np.log10(0.05 / dt) - 0.5):  # decades up to 5 % of the sample rate
            band = (fk >= 10**lo) & (fk < 10 ** (lo + 1))
            ratio = np.mean(psd[band] / hooge_psd(fk[band], HOOGE, AREA))
            assert ratio == pytest.approx(1.0, rel=0.1), (dt, lo)


def test_a_defect_gives_machlups_lorentzian_with_its_corner_and_amplitude():
    """One defect (ΔR/R 1e-3, capture 3e4/s, emission 1e4/s): its occupation is p = r_up/(r_up + r_down), the
    fitted Lorentzian's corner is (r_up + r_down)/2π within 5 % and its plateau 4a²p(1 − p)/λ within 10 %."""
    a, up, down = 1e-3, 3e4, 1e4
    model = noise(rtn_amplitude=a, rtn_rate_up=up, rtn_rate_down=down)
    rng = np.random.default_rng(2)
    dt, n = 2e-6, 2**20
    x = model.record(0.0, dt, n, rng)
    p = up / (up + down)
    assert np.mean(x) / a + p == pytest.approx(p, abs=0.02)
    f, s = welch(x, 1 / dt, nperseg=2**13)
    keep = (f > 0) & (f < 0.05 / dt)
    (plateau, corner), _ = curve_fit(lambda f, s0, fc: s0 / (1 + (f / fc) ** 2), f[keep], s[keep],
                                     p0=[s[1], 5e3], sigma=s[keep])
    assert corner == pytest.approx((up + down) / (2 * np.pi), rel=0.05)
    assert plateau == pytest.approx(telegraph_psd(0.0, a, up, down), rel=0.1)
    assert telegraph_psd(0.0, a, up, down) == pytest.approx(4 * a**2 * p * (1 - p) / (up + down))


def test_window_means_have_the_variance_of_the_averaged_process():
    """Means over 1 ms windows far apart (independent) have the variance Σ σ²·2(u − 1 + e^−u)/u² (u = λT) of the
    averaged stationary process, for the 1/f sum and for a defect, within 5 %; instants (T = 0) have σ²."""
    a, up, down = 2e-3, 500.0, 1500.0
    model = noise(hooge=HOOGE, area=AREA, rtn_amplitude=a, rtn_rate_up=up, rtn_rate_down=down)
    rng = np.random.default_rng(3)
    starts = np.arange(20_000) * 1e6  # gaps of 1e6 s: far beyond the slowest process (λ ≈ 6e-5 /s)
    p = up / (up + down)
    for duration in (1e-3, 0.0):
        means = model.windows(starts + (model.time or 0.0) + 1e6, np.full(starts.size, duration), rng)
        if duration:
            expected = window_variance(model.sigma**2, model.rates, duration).sum() + \
                window_variance(a**2 * p * (1 - p), up + down, duration)
        else:
            expected = (model.sigma**2).sum() + a**2 * p * (1 - p)
        assert np.var(means) == pytest.approx(expected, rel=0.05), duration


def test_samples_across_irregular_gaps_keep_the_exact_autocovariance():
    """Pairs of instants τ apart (τ from 1 µs to 100 s, in one irregular sequence of times) have the covariance
    Σ σ² e^(−λτ) + a²p(1 − p) e^(−(r_up + r_down)τ) within 6 % of the variance."""
    a, up, down = 2e-3, 0.5, 1.5
    model = noise(hooge=HOOGE, area=AREA, rtn_amplitude=a, rtn_rate_up=up, rtn_rate_down=down)
    rng = np.random.default_rng(4)
    p = up / (up + down)
    total = (model.sigma**2).sum() + a**2 * p * (1 - p)
    for lag in (1e-6, 0.3, 100.0):
        pairs = 10_000
        first = np.arange(pairs) * 1e6 + (model.time or 0.0) + 1e6
        times = np.ravel(np.column_stack([first, first + lag]))
        values = model.windows(times, np.zeros(times.size), rng).reshape(pairs, 2)
        expected = (model.sigma**2 * np.exp(-model.rates * lag)).sum() + a**2 * p * (1 - p) * np.exp(-2 * lag)
        covariance = np.mean(values[:, 0] * values[:, 1])
        assert covariance == pytest.approx(expected, abs=0.06 * total), lag


def test_seeded_reproducible_fast_and_silent_when_off():
    """The same seed gives the same record; a 10⁵-point record takes well under a second; a junction without
    noise draws nothing from the generator; going back in time and mismatched defect lists are refused."""
    def run(seed):
        model = noise(hooge=HOOGE, area=AREA, rtn_amplitude=[1e-3, 2e-3], rtn_rate_up=[1e3, 1e5],
                      rtn_rate_down=[2e3, 1e5])
        rng = np.random.default_rng(seed)
        return np.concatenate([model.record(0.0, 1e-9, 100_000, rng), model.windows([1.0, 5.0], [0.02, 0.02], rng)])

    np.testing.assert_array_equal(run(5), run(5))
    assert not np.array_equal(run(5), run(6))
    start = time.perf_counter()
    run(7)
    assert time.perf_counter() - start < 1.0
    rng = np.random.default_rng(8)
    state = rng.bit_generator.state
    assert not np.any(build_dut({"model": "pmtj"}).resistance_fluctuation(0.0, 1e-9, 1000, rng))
    assert rng.bit_generator.state == state
    model = noise(hooge=HOOGE, area=AREA)
    model.windows([10.0], [1.0], rng)
    with pytest.raises(ValueError, match="before its last window"):
        model.windows([5.0], [1.0], rng)
    with pytest.raises(ValueError, match="one entry per defect"):
        noise(rtn_amplitude=[1e-3, 1e-3], rtn_rate_up=[1.0], rtn_rate_down=[1.0])


def test_bench_readings_carry_the_noise_averaged_over_their_window():
    """A bench pMTJ with ``hooge`` set: 1-PLC readings (20 ms windows, far apart) fluctuate with the variance of
    the read noise plus that of the 1/f process averaged over the window, within 10 %."""
    dut = build_dut({"model": "pmtj", "hooge": 1e-20, "area": 1e-15, "read_noise": 1e-4})
    rng = np.random.default_rng(9)
    delta = np.array([dut.reading_noise(rng, 1.0, 1e6 * k, 0.02) for k in range(4000)])
    model = dut.resistance_noise
    expected = 1e-4**2 + window_variance(model.sigma**2, model.rates, 0.02).sum()
    assert np.mean(delta**2) == pytest.approx(expected, rel=0.1)
    assert np.mean(delta**2) > 3 * 1e-4**2  # the 1/f part dominates: the test sees it
