"""Radio-frequency multiply-and-accumulate on chains of spin-diode resonators (Leroux et al., Phys. Rev. Applied
15, 034067 (2021)).

Input m is a microwave signal at its own frequency f_m = f_first + m·spacing whose available power P_m = x_m·p_max
encodes the input value x_m ∈ [0, 1]; the last input, at x = 1, is the bias. Output j is a chain of resonators in
series, one per input, that every input's current I_m flows through. Resonator k rectifies each current by the
spin-torque diode effect (:meth:`~mtjhw.simulators.physics.stno.STNO.diode_lineshape`: Tulapurkar et al., Nature
438, 339 (2005); the macrospin's linear response, symmetric and antisymmetric Lorentzians)

    V_dc = I_m² g(x),  g(x) = (S + A x)/(1 + x²),  x = (f_m − f_res)/σ,

with S, A (V/A²) and the half width σ (Hz) those of the junction at its bias field μ0H, f_res its Kittel
frequency. The chain's DC voltage is the sum, V_j = Σ_m I_m² Σ_k g_jk(f_m): resonator k carries the weight
w_jk ∝ g_jk(f_k), set by its detuning from f_k, and adds the tails of its line at the other inputs (crosstalk).
I_m = √(2 P_m/R_chain) is the current amplitude of the power P_m delivered into the chain by a matching
network (unmatched: 2√(2 P_m Z_s)/(Z_s + R_chain), a source of impedance Z_s straight into R_chain).

Programming (:func:`program`): the float weights, scaled into the range [(S − r)/2, (S + r)/2], r = √(S² + A²)
of g, are inverted on g's monotonic branch around the resonance, x = 2(t − S)/(A + sign(A)√(A² − 4t(t − S))),
and the field that puts f_res at f_k − x·σ is found from Kittel's formula; a few passes correct the targets for
the crosstalk and the field dependence of S, A, σ of the nominal device. Devices then differ: each resonator's
effective field is off by δH (anisotropy, shape and stray-field spread), which shifts f_res by σ_f·ε, ε ~ N(0, 1).
The read chain adds its Johnson noise √(4 kB T R_chain B), B = 1/(2τ) for an integration time τ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.physics.constants import GAMMA_E, KB
from mtjhw.simulators.physics.stno import STNO, STNOParams, rf_current

#: energy of one conversion of the chain's DC voltage, J: an 8-bit SAR ADC at 10–100 MS/s (B. Murmann, "ADC
#: Performance Survey 1997–2023": Walden figures of merit ≈ 1–10 fJ/step, ×256 steps ≈ 0.3–3 pJ); 1 pJ
ADC_ENERGY = 1e-12
#: available power used to read the lineshape amplitudes per ampere², W (any value: V_dc ∝ I_rf²)
_P_REF = 1e-6


def diode_params(alpha: float = 0.004, dh0: float = 2e-4, r_p: float = 200.0) -> STNOParams:
    """The resonators: the default in-plane junction with a low damping ``alpha``, inhomogeneous half width ``dh0``
    (T) and parallel resistance ``r_p`` (Ω), narrower lines than the oscillators' so that many inputs fit a band."""
    return STNOParams(alpha=alpha, dh0=dh0, r_p=r_p)


@dataclass(frozen=True)
class RfMacDesign:
    """Frequencies, powers and readout of the RF MAC layer (SI units)."""

    f_first: float = 3.0e9  #: frequency of input 0, Hz
    spacing: float = 250e6  #: between consecutive inputs, Hz
    p_max: float = 1e-4  #: available power of a full-scale input into one chain, W
    source_impedance: float = 50.0  #: Ω
    matched: bool = True  #: a matching network delivers the available power into the chain
    integration_time: float = 1e-6  #: τ of the DC readout, s
    margin: float = 0.8  #: fraction of the rectification curve's range the weights use
    passes: int = 8  #: crosstalk-correction passes of the programming

    def frequencies(self, n_inputs: int) -> np.ndarray:
        """Input frequencies f_m (Hz)."""
        return self.f_first + self.spacing * np.arange(n_inputs)


def kittel_field(stno: STNO, frequency: np.ndarray) -> np.ndarray:
    """In-plane field μ0H (T) whose Kittel frequency is ``frequency`` (Hz): H² + Meff·H − (2πf/γ)² = 0."""
    u = 2 * math.pi * np.asarray(frequency, dtype=float) / GAMMA_E
    m = stno.params.mu0_meff
    return (np.sqrt(m * m + 4 * u * u) - m) / 2


def lineshape(stno: STNO, fields: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(S, A per ampere² of RF current (V/A²), f_res (Hz), σ (Hz)) of the resonators at ``fields`` (T)."""
    s, a, f0, hw = stno.diode_lineshape(fields, _P_REF)
    i2 = float(rf_current(_P_REF, float(stno.resistance()))) ** 2
    return s / i2, a / i2, f0, hw


def chain_response(shape: tuple[np.ndarray, ...], frequencies: np.ndarray) -> np.ndarray:
    """G (n_out, n_in), V/A²: chain j's DC voltage per ampere² of input m's current, Σ_k g_jk(f_m)."""
    s, a, f0, hw = (np.asarray(v)[:, :, None] for v in shape)
    x = (frequencies[None, None, :] - f0) / hw
    return np.sum((s + a * x) / (1 + x * x), axis=1)


def curve_range(s: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lowest, highest) of g(x) = (S + Ax)/(1 + x²): (S ∓ √(S² + A²))/2."""
    r = np.hypot(s, a)
    return (s - r) / 2, (s + r) / 2


def invert(target: np.ndarray, s: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Detuning x on g's monotonic branch with g(x) = ``target`` (held inside the range)."""
    lo, hi = curve_range(s, a)
    t = np.clip(target, lo + 1e-3 * (hi - lo), hi - 1e-3 * (hi - lo))
    return 2 * (t - s) / (a + np.sign(a) * np.sqrt(np.maximum(a * a - 4 * t * (t - s), 0.0)))


def program(weights: np.ndarray, stno: STNO, design: RfMacDesign) -> tuple[np.ndarray, float]:
    """Fields μ0H (T, (n_out, n_in)) of the resonators that implement ``weights`` (n_out, n_in; the bias last)
    on the nominal device, and the gain (V/A² per unit weight). An offset common to every chain at one input
    adds the same to every output, so only ``weights`` less their mean over the outputs are programmed, centred
    in g's range; the correction passes likewise remove only the output-dependent part of the crosstalk."""
    freqs = design.frequencies(weights.shape[1])
    s0, a0, _, _ = lineshape(stno, kittel_field(stno, freqs))
    centred = weights - weights.mean(axis=0)
    if not np.any(centred):
        raise ValueError("weights equal for every output carry no information to program")
    gain = design.margin * float(np.min(np.hypot(s0, a0))) / 2 / float(np.max(np.abs(centred)))
    target = s0 / 2 + gain * centred
    own = target.copy()
    for _ in range(design.passes):
        error = target - chain_response(lineshape(stno, _fields_for(stno, own, freqs)), freqs)
        own = own + error - error.mean(axis=0)
    return _fields_for(stno, own, freqs), gain


def _fields_for(stno: STNO, own: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Fields whose resonator k answers input k with ``own``, two passes for the field dependence of S, A, σ."""
    fields = np.broadcast_to(kittel_field(stno, freqs), own.shape)
    for _ in range(2):
        s, a, _, hw = lineshape(stno, fields)
        fields = kittel_field(stno, freqs[None, :] - invert(own, s, a) * hw)
    return fields


def field_slope(stno: STNO, fields: np.ndarray) -> np.ndarray:
    """df_res/dμ0H (Hz/T) at ``fields``."""
    h, m = fields, stno.params.mu0_meff
    return GAMMA_E / (2 * math.pi) * (2 * h + m) / (2 * np.sqrt(h * (h + m)))


@dataclass
class RfMacLayer:
    """A single-layer RF network: chains programmed for ``weights`` (n_out, n_in incl. bias) on resonators of
    ``params``, resonance-frequency spread ``sigma_f`` (Hz, through the field), Johnson noise of the chains."""

    weights: np.ndarray
    params: STNOParams
    design: RfMacDesign
    sigma_f: float = 0.0
    noise: bool = True
    seed: int = 0

    def __post_init__(self):
        self.stno = STNO(self.params)
        self.fields, self.gain = program(self.weights, self.stno, self.design)
        rng = np.random.default_rng(self.seed)
        offsets = self.sigma_f * rng.standard_normal(self.fields.shape) / field_slope(self.stno, self.fields)
        self.actual = chain_response(lineshape(self.stno, self.fields + offsets), self.freqs)
        self._rng = np.random.default_rng(self.seed + 1)

    @property
    def freqs(self) -> np.ndarray:
        return self.design.frequencies(self.weights.shape[1])

    @property
    def chain_resistance(self) -> float:
        """R_chain (Ω): n_in junctions in series at zero bias."""
        return self.weights.shape[1] * float(self.stno.resistance())

    def full_scale_current(self) -> float:
        """RF current amplitude (A) of a full-scale input through a chain: √(2 p_max/R_chain) matched, else the
        current of the ``source_impedance`` source into R_chain."""
        if self.design.matched:
            return math.sqrt(2 * self.design.p_max / self.chain_resistance)
        return float(rf_current(self.design.p_max, self.chain_resistance, self.design.source_impedance))

    def noise_voltage(self) -> float:
        """RMS Johnson noise (V) of a chain read over τ: √(4 kB T R_chain / (2τ))."""
        return math.sqrt(4 * KB * self.params.temperature * self.chain_resistance / (2 * self.design.integration_time))

    def voltages(self, x: np.ndarray) -> np.ndarray:
        """Chain DC voltages (V, (n_samples, n_out)) for inputs ``x`` (n_samples, n_in) in [0, 1]."""
        v = self.full_scale_current() ** 2 * x @ self.actual.T
        if self.noise:
            v = v + self.noise_voltage() * self._rng.standard_normal(v.shape)
        return v

    def accuracy(self, x: np.ndarray, labels: np.ndarray) -> float:
        return float(np.mean(np.argmax(self.voltages(x), axis=1) == labels))

    def signal_to_noise(self) -> float:
        """Full-scale weight × full-scale input over the noise: gain·max|w|·I² / v_noise."""
        return self.gain * float(np.max(np.abs(self.weights))) * self.full_scale_current() ** 2 / self.noise_voltage()

    def energy(self, x: np.ndarray) -> dict[str, float]:
        """Power and energy per inference: the RF power Σ_m x_m p_max into each of the n_out chains (mean over
        ``x``) for τ, and one ADC conversion per chain (:data:`ADC_ENERGY`)."""
        n_out = self.weights.shape[0]
        rf_power = n_out * self.design.p_max * float(np.mean(np.sum(x, axis=1)))
        tau = self.design.integration_time
        readout = n_out * ADC_ENERGY
        return {"rf_power_W": rf_power, "readout_energy_J": readout, "integration_time_s": tau,
                "energy_per_inference_J": rf_power * tau + readout, "power_W": rf_power + readout / tau,
                "macs_per_inference": int(self.weights.size), "adc_energy_J": ADC_ENERGY}


def train_linear(x: np.ndarray, labels: np.ndarray, c: float = 1.0) -> np.ndarray:
    """Float softmax regression (scikit-learn, L2, ``c`` its inverse strength): weights (n_classes, n_in + 1),
    the bias last."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000).fit(x, labels)
    return np.hstack([model.coef_, model.intercept_[:, None]])


def with_bias(x: np.ndarray) -> np.ndarray:
    """Inputs with the constant bias input (x = 1) appended."""
    return np.hstack([x, np.ones((len(x), 1))])


def float_accuracy(weights: np.ndarray, x: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of the float linear classifier on ``x`` (bias appended here)."""
    return float(np.mean(np.argmax(with_bias(x) @ weights.T, axis=1) == labels))
