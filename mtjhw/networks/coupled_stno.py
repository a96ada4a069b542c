"""Vowel recognition by four coupled spin-torque nano-oscillators synchronising to two microwave inputs (Romera
et al., Nature 563, 230 (2018)).

Data (:func:`vowel_dataset`): no vowel recordings are installed, so formant pairs are drawn from independent
Gaussians per vowel with the adult-female means and standard deviations of the Hillenbrand, Getty, Clark &
Wheeler data set (J. Acoust. Soc. Am. 97, 3099 (1995)): the descriptive statistics distributed with it
(``vowdata.ds``: steady-state F1, F2 in Hz of 48 women) and the F1–F2 correlation of each vowel's tokens in
its ``vowdata.dat``; seven of its twelve vowels, as Romera et al. used seven (our choice of which). With that
file, :func:`mtjhw.networks.datasets.load_hillenbrand` gives the real tokens instead.

Inputs: F1 and F2 map linearly onto the microwave frequencies f_A, f_B (:class:`FormantMap`) of two sources of
available power ``input_power`` driving the series-connected oscillators.

Oscillators: the universal auto-oscillator of :mod:`mtjhw.simulators.physics.stno`: the DC current I sets the
power p0 = (ζ − 1)/(ζ + Q) and the free-running frequency f = f_FMR + N·p0 (N < 0: f falls with I); the
thermal phase diffusion D = π·FWHM (the generation linewidth). The phase θ_i of oscillator i obeys the
generalised Adler equation (Slavin & Tiberkevich, IEEE Trans. Magn. 45, 1875 (2009), Sec. VII; the phase shifts
arctan ν of the couplings are left out: only the locking ranges count)

    dθ_i/dt = 2π f_i + Σ_s Ω_is sin(2π f_s t − θ_i) + Σ_j κ_ij sin(θ_j − θ_i) + √(2 D_i) ξ_i(t),

Ω_is = F(I_rf,s)√(1 + ν²)/√p0 (rad/s) the injection-locking half range of source s's RF current through the
junction (:meth:`~mtjhw.simulators.physics.stno.STNO.locking_range`), κ_ij the same for the microwave current
oscillator j drives through oscillator i, c·V_ac,j/(Σ_k R_k + R_load), V_ac,j its emitted amplitude (at p0)
and c the coupling efficiency. Oscillator i is read as locked to source s when its mean frequency over
the decision window is within ``tolerance`` of f_s; the pattern (none / A / B for each) is the class code, a
table from the training set's codes (majority) gives the vowel. Training sets the four currents: a random
search, then coordinate refinement, of the training accuracy of the noiseless uncoupled model (each
oscillator locked to the source within its range, the nearer one in units of the range).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from mtjhw.simulators.physics.stno import STNO, STNOParams, rf_current

#: vowel: (F1 mean, F2 mean, F1 s.d., F2 s.d. in Hz, F1–F2 correlation) — adult females, Hillenbrand et al.
#: (1995): ``vowdata.ds``, the correlations from the tokens of ``vowdata.dat``
VOWELS: dict[str, tuple[float, float, float, float, float]] = {
    "iy": (437.3, 2761.3, 40.6, 147.4, 0.21),  # heed
    "ih": (484.3, 2369.1, 34.4, 149.4, -0.04),  # hid
    "eh": (727.1, 2062.7, 73.7, 142.9, -0.08),  # head
    "ae": (675.7, 2334.8, 69.3, 158.7, -0.40),  # had
    "ah": (921.1, 1525.8, 96.7, 125.0, 0.38),  # hod
    "aw": (804.3, 1188.3, 74.6, 128.9, 0.65),  # hawed
    "er": (524.0, 1588.3, 45.3, 125.9, -0.08),  # heard
}
N_STATES = 3  #: per oscillator: unlocked, locked to A, locked to B


def vowel_dataset(n_per_vowel: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(formants (n, 2) Hz, labels) with ``n_per_vowel`` talkers per vowel (module docstring)."""
    labels = np.repeat(np.arange(len(VOWELS)), n_per_vowel)
    means, factors = _gaussians()
    z = rng.standard_normal((len(labels), 2))
    return means[labels] + np.einsum("nij,nj->ni", factors[labels], z), labels


def _gaussians() -> tuple[np.ndarray, np.ndarray]:
    """Each vowel's mean (7, 2) and the Cholesky factor of its covariance (7, 2, 2)."""
    stats = np.array(list(VOWELS.values()))
    s1, s2, rho = stats[:, 2], stats[:, 3], stats[:, 4]
    factors = np.zeros((len(stats), 2, 2))
    factors[:, 0, 0] = s1
    factors[:, 1, 0] = rho * s2
    factors[:, 1, 1] = s2 * np.sqrt(1 - rho**2)
    return stats[:, :2], factors


def float_network(train: np.ndarray, labels: np.ndarray, test: np.ndarray, hidden: int = 4) -> np.ndarray:
    """Float baseline of the same size: a 2-``hidden``-7 tanh perceptron (as many hidden units as oscillators)
    on the standardised formants, trained by L-BFGS (scikit-learn, seed 0) with its L2 penalty chosen by 3-fold
    cross-validation on the training set; the predicted test labels."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier

    mean, scale = train.mean(axis=0), train.std(axis=0)
    model = MLPClassifier((hidden,), activation="tanh", solver="lbfgs", max_iter=20000, random_state=0)
    search = GridSearchCV(model, {"alpha": [1e-4, 1e-3, 1e-2, 1e-1, 1.0]}, cv=3)
    return search.fit((train - mean) / scale, labels).predict((test - mean) / scale)


def bayes_limit(n_per_vowel: int, rng: np.random.Generator) -> float:
    """Accuracy of the Bayes classifier of :func:`vowel_dataset`'s own Gaussians on ``n_per_vowel`` fresh
    talkers per vowel: what no classifier of these generated formants can beat (up to sampling)."""
    formants, labels = vowel_dataset(n_per_vowel, rng)
    means, factors = _gaussians()
    z = np.linalg.solve(factors[None], (formants[:, None, :] - means[None])[..., None])[..., 0]
    log_det = np.log(factors[:, 0, 0] * factors[:, 1, 1])
    return float(np.mean(np.argmax(-0.5 * np.sum(z**2, axis=2) - log_det[None], axis=1) == labels))


def nearest_prototype(train: np.ndarray, labels: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Float baseline: the nearest class mean in (F1, F2) standardised by the training set's spread."""
    scale = train.std(axis=0)
    means = np.array([train[labels == c].mean(axis=0) for c in range(labels.max() + 1)]) / scale
    return np.argmin(np.sum((test[:, None, :] / scale - means[None]) ** 2, axis=2), axis=1)


@dataclass(frozen=True)
class FormantMap:
    """F1 ∈ [f1_range] → f_A ∈ [a_low, a_low + a_span], F2 ∈ [f2_range] → f_B likewise (Hz)."""

    f1_range: tuple[float, float] = (300.0, 1100.0)
    f2_range: tuple[float, float] = (900.0, 3100.0)
    a_low: float = 2.0e9
    a_span: float = 2.0e9
    b_low: float = 2.5e9
    b_span: float = 2.0e9

    def __call__(self, formants: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        (l1, h1), (l2, h2) = self.f1_range, self.f2_range
        fa = self.a_low + self.a_span * (formants[:, 0] - l1) / (h1 - l1)
        fb = self.b_low + self.b_span * (formants[:, 1] - l2) / (h2 - l2)
        return fa, fb


@dataclass(frozen=True)
class VowelNetwork:
    """Drive, coupling and readout of the four oscillators (SI units)."""

    field: float = 0.05  #: in-plane bias μ0H, T
    input_power: float = 20e-6  #: available power of each source, W
    coupling: float = 1.0  #: coupling efficiency c of the microwave currents between oscillators
    load: float = 50.0  #: load closing the series loop, Ω
    decision_time: float = 200e-9  #: window over which the mean frequencies are read, s
    settle: float = 50e-9  #: before the window, s
    dt: float = 50e-12  #: time step, s
    tolerance: float = 25e6  #: |mean frequency − f_s| read as locked, Hz
    zeta_range: tuple[float, float] = (1.5, 3.2)  #: currents searched, in units of I_th


class OscillatorBank:
    """The oscillators ``devices`` (one STNO each) at ``currents`` (A) under ``network``'s drive."""

    def __init__(self, devices: list[STNO], currents: np.ndarray, network: VowelNetwork):
        self.devices, self.currents, self.network = devices, np.asarray(currents, dtype=float), network
        h = network.field
        self.frequencies = np.array([float(d.frequency(i, h)) for d, i in zip(devices, self.currents, strict=True)])
        self.resistances = np.array([float(d.resistance(i)) for d, i in zip(devices, self.currents, strict=True)])
        i_in = np.array([float(rf_current(network.input_power, r)) for r in self.resistances])
        self.input_ranges = 2 * math.pi * self._range_per_ampere() * i_in  # Ω_i (rad/s), the same for A and B
        self.coupling = self._coupling_matrix()
        self.diffusion = np.array([math.pi * d.linewidth(i, h) if d.params.temperature > 0 else 0.0
                                   for d, i in zip(devices, self.currents, strict=True)])

    def _range_per_ampere(self) -> np.ndarray:
        """Locking half range per ampere of RF current, F(1 A)√(1 + ν²)/(2π√p0), Hz/A."""
        h = self.network.field
        return np.array([d.injection_force(h, 1.0) * math.sqrt(1 + float(d.nu(i, h)) ** 2)
                         / math.sqrt(float(d.power(i, h))) / (2 * math.pi)
                         for d, i in zip(self.devices, self.currents, strict=True)])

    def emitted_amplitudes(self) -> np.ndarray:
        """Amplitude (V) of each junction's microwave voltage: the first Fourier coefficient of I·R over the
        precession phase at the deterministic power p0."""
        h, phase = self.network.field, np.linspace(0, 2 * np.pi, 64, endpoint=False)
        return np.array([abs(2 * np.mean(d.junction_voltage(math.sqrt(float(d.power(i, h))) * np.exp(1j * phase), i, h)
                                         * np.cos(phase))) for d, i in zip(self.devices, self.currents, strict=True)])

    def _coupling_matrix(self) -> np.ndarray:
        """κ_ij (rad/s): the locking range of i to c·V_ac,j/(Σ R + R_load)."""
        loop = float(np.sum(self.resistances)) + self.network.load
        currents = self.network.coupling * self.emitted_amplitudes() / loop
        kappa = 2 * math.pi * self._range_per_ampere()[:, None] * currents[None, :]
        np.fill_diagonal(kappa, 0.0)
        return kappa

    def power(self) -> float:
        """DC power (W) of the oscillators, Σ I²R."""
        return float(np.sum(self.currents**2 * self.resistances))

    def mean_frequencies(self, fa: np.ndarray, fb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Mean frequency (Hz, (n, 4)) of each oscillator over the decision window for source pairs (fa, fb)
        (Euler–Maruyama in the frame rotating at the mean of the oscillators' frequencies)."""
        net = self.network
        f_ref = float(np.mean(self.frequencies))
        w = 2 * math.pi * (self.frequencies - f_ref)
        wa, wb = (2 * math.pi * (np.asarray(f, dtype=float)[:, None] - f_ref) for f in (fa, fb))
        theta = np.zeros((len(fa), len(w)))
        noise = np.sqrt(2 * self.diffusion * net.dt)
        n_settle, n_window = round(net.settle / net.dt), round(net.decision_time / net.dt)
        start = theta
        for k in range(n_settle + n_window):
            if k == n_settle:
                start = theta.copy()
            t = k * net.dt
            drive = np.sin(wa * t - theta) + np.sin(wb * t - theta)
            sin, cos = np.sin(theta), np.cos(theta)  # Σ_j κ_ij sin(θ_j − θ_i), expanded
            mutual = cos * (sin @ self.coupling.T) - sin * (cos @ self.coupling.T)
            theta = theta + net.dt * (w + self.input_ranges * drive + mutual) + noise * rng.standard_normal(
                theta.shape)
        return f_ref + (theta - start) / (2 * math.pi * net.decision_time)

    def codes(self, fa: np.ndarray, fb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Synchronisation pattern as an integer Σ_i state_i·3^i (state 0 none, 1 locked to A, 2 to B)."""
        f = self.mean_frequencies(fa, fb, rng)
        tol = self.network.tolerance
        lock_a = np.abs(f - np.asarray(fa)[:, None]) < tol
        lock_b = np.abs(f - np.asarray(fb)[:, None]) < tol
        return pattern_code(np.where(lock_a, 1, np.where(lock_b, 2, 0)))


def pattern_code(states: np.ndarray) -> np.ndarray:
    """Integer code of per-oscillator states (n, n_osc)."""
    return states @ (N_STATES ** np.arange(states.shape[1]))


def ideal_codes(fa: np.ndarray, fb: np.ndarray, frequencies: np.ndarray, ranges_hz: np.ndarray) -> np.ndarray:
    """Codes of the noiseless uncoupled model: an oscillator locks to a source within its range Ω of its frequency
    as the other source pulls it (Adler's beat, f_s' − sign(Δ)√(Δ² − Ω²), when that one is out of range), the
    nearer in units of Ω when both are within."""
    f, r = frequencies[None], ranges_hz[None]
    da, db = fa[:, None] - f, fb[:, None] - f
    pulled_by_b = np.where(np.abs(db) > r, fb[:, None] - np.sign(db) * np.sqrt(np.maximum(db * db - r * r, 0)), f)
    pulled_by_a = np.where(np.abs(da) > r, fa[:, None] - np.sign(da) * np.sqrt(np.maximum(da * da - r * r, 0)), f)
    na = np.abs(fa[:, None] - pulled_by_b) / r
    nb = np.abs(fb[:, None] - pulled_by_a) / r
    return pattern_code(np.where((na < 1) & (na <= nb), 1, np.where(nb < 1, 2, 0)))


class CodeTable:
    """Vowel of each synchronisation pattern: the majority of the training samples showing it (−1 if unseen)."""

    def __init__(self, codes: np.ndarray, labels: np.ndarray, n_classes: int):
        self.table = {int(c): int(np.bincount(labels[codes == c], minlength=n_classes).argmax())
                      for c in np.unique(codes)}

    def predict(self, codes: np.ndarray) -> np.ndarray:
        return np.array([self.table.get(int(c), -1) for c in codes])


def nominal_devices(params: STNOParams, n: int = 4, sigma_meff: float = 0.0, seed: int = 0) -> list[STNO]:
    """``n`` oscillators of ``params`` with a relative device-to-device spread ``sigma_meff`` of μ0Meff."""
    rng = np.random.default_rng(seed)
    return [STNO(replace(params, mu0_meff=params.mu0_meff * (1 + sigma_meff * e))) for e in rng.standard_normal(n)]


def ideal_bank(zetas: np.ndarray, stno: STNO, network: VowelNetwork) -> tuple[np.ndarray, np.ndarray]:
    """(free-running frequencies Hz, input locking half ranges Hz) of the nominal device at currents ζ·I_th."""
    h = network.field
    currents = zetas * float(stno.threshold_current(h))
    i_in = rf_current(network.input_power, stno.resistance(currents))
    gain = np.sqrt(1 + stno.nu(currents, h) ** 2) / np.sqrt(stno.power(currents, h))
    return np.asarray(stno.frequency(currents, h)), stno.injection_force(h, 1.0) * i_in * gain / (2 * math.pi)


def train_currents(stno: STNO, network: VowelNetwork, fa: np.ndarray, fb: np.ndarray, labels: np.ndarray,
                   rng: np.random.Generator, n_random: int = 2000, sweeps: int = 3) -> np.ndarray:
    """DC currents (A, sorted) of four oscillators maximising the ideal model's training accuracy (majority
    table), searched on a grid of 121 currents over ``zeta_range``."""
    n_classes = int(labels.max()) + 1
    zetas = np.linspace(*network.zeta_range, 121)
    freqs, ranges = ideal_bank(zetas, stno, network)

    def score(index: np.ndarray) -> float:
        _, inverse = np.unique(ideal_codes(fa, fb, freqs[index], ranges[index]), return_inverse=True)
        counts = np.zeros((inverse.max() + 1, n_classes))
        np.add.at(counts, (inverse, labels), 1)
        return float(counts.max(axis=1).sum() / len(labels))

    best = max(rng.integers(0, len(zetas), (n_random, 4)), key=score)
    best_score = score(best)
    for _ in range(sweeps):
        for i in range(4):
            for k in range(len(zetas)):
                trial = best.copy()
                trial[i] = k
                if (s := score(trial)) > best_score:
                    best, best_score = trial, s
    return np.sort(zetas[best]) * float(stno.threshold_current(network.field))
