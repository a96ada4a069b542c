"""Spin-orbit-torque (SOT) switching of a perpendicular free layer on a heavy-metal write line.

Geometry: the write current I (A) flows along +x through a heavy-metal line of width w and thickness t_HM
(current density J = I/(w·t_HM)); the spin Hall effect (angle θ_SH) injects a spin current polarised along
σ = +ŷ into the free layer (Ms, thickness t_F, easy axis z). In the review's eq. 6, dm/dt = Γ_field + Γ_damping
+ Γ_SOT-damping + Γ_SOT-field, the torques act as the effective fields (tesla) of the project's macrospin
(:mod:`mtjhw.simulators.physics.macrospin`): damping-like a_DL·(m × σ) with a_DL = ħθ_SH J / (2e Ms t_F), and
field-like ``fl_ratio``·a_DL·σ. A field-free switch needs a broken symmetry: an in-plane field H_x along the
current (the built-in ``h_x`` of the device and/or the bench magnet) selects the final state; with the signs
here, θ_SH > 0, I > 0 and H_x > 0 write P (m_z > 0), as positive currents and fields do everywhere in the project.

Critical current (T = 0, slow edges): the state the drive disfavours loses stability at
a_DL = μ0Hk·g(h), h = H_x/Hk, g(h) = max_θ cos θ (sin θ − h), which is Lee et al.'s macrospin result
J_c = (2e/ħ)(Ms t_F/θ_SH)(μ0Hk/2 − μ0H_x/√2) (APL 102, 112410 (2013)) to first order in h (within 4.4 % for
|h| ≤ 0.3). The favoured state holds out to g(−h) ≈ 1/2 + h/√2; above both thresholds the magnetisation is
driven in-plane and, as the macrospin shows, relaxes to either state at random. A field-like torque changes
the thresholds: they are then found from the fixed points of the LLG (:func:`static_threshold`).

Below threshold the state escapes by thermal activation at the rate (1/τ0)·exp(−E) with the barrier law

    E = Δ (1 − |h|)² (1 − h_z)² (1 − i)ⁿ,   i = |I|/I_c(state) + i_STT,   h_z = destabilising H_z/Hk,

the Stoner–Wohlfarth barrier in an in-plane field times the drive terms. Lee et al. (APL 104, 072413 (2014),
Fokker–Planck) find the SOT barrier quasi-linear in the current; the project's macrospin gives n = 1.2–1.4
over Δ 40–60, α 0.01–0.05, h 0.1–0.3 at pulses of 10–300 ns (benchmarks/README.md), hence the default
n = 1.3. τ0 is Brown's attempt time for Δ(1 − |h|)², α and μ0Hk(1 − |h|) unless given. The read current
through the junction adds Slonczewski STT, i_STT = ∓I_read/Ic0 with Sun's Ic0 = 2eα Ms V μ0Hk/(ħη) (positive
read current favours P). The junction's tilt in H_x is read through the TMR: cos θ = ±√(1 − h²).

Temperature (:func:`at_temperature`): the free layer given at t_ref is, at T, Ms·m and μ0Hk·m^{n−1} with Bloch's
m = Ms(T)/Ms(t_ref) and the Callen–Callen n of the p-MTJ (:mod:`~mtjhw.simulators.physics.thermal_scaling`), so
Δ = Ms V μ0Hk/(2kBT) ∝ m^n/T, the SOT threshold g·μ0Hk/a_DL ∝ Ms·Hk ∝ m^n, Sun's Ic0 ∝ m^n, and Brown's τ0
follows Δ and Hk; θ_SH, α, η and the write line are held.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from functools import lru_cache

import numpy as np

from .brown import attempt_time
from .constants import E_CHARGE, HBAR, KB
from .neel_brown import STATE_AP, STATE_P
from .telegraph import sample_interval
from .thermal_scaling import ThermalScaling

#: Above this many expected switches in one interval the two states are drawn from their equilibrium.
_MAX_EVENTS = 20_000


def threshold_factor(h: float) -> float:
    """g(h) = max_θ cos θ (sin θ − h) for |h| < 1 (0 beyond): the damping-like field, in units of μ0Hk, at which
    a perpendicular macrospin tilted by the in-plane field h·Hk loses its fixed point; 1/2 − h/√2 + O(h²)."""
    if abs(h) >= 1.0:
        return 0.0
    s = (h + math.sqrt(h * h + 8.0)) / 4.0  # sin θ at the maximum: cos 2θ + h sin θ = 0
    return math.sqrt(1.0 - s * s) * (s - h)


@dataclass(frozen=True)
class SOTParams:
    """A perpendicular free layer on a heavy-metal write line, and its read junction (SI units)."""

    ms: float = 1.0e6  #: saturation magnetisation, A/m
    thickness: float = 1.0e-9  #: free-layer thickness t_F, m
    diameter: float = 56e-9  #: pillar diameter, m
    hk: float = 0.15  #: effective perpendicular anisotropy field μ0Hk,eff, T
    alpha: float = 0.02  #: Gilbert damping
    theta_sh: float = 0.3  #: spin Hall angle (its sign sets the switching polarity)
    fl_ratio: float = 0.0  #: field-like / damping-like SOT ratio
    line_width: float = 200e-9  #: heavy-metal line width, m
    line_thickness: float = 5e-9  #: heavy-metal line thickness, m
    eta: float = 0.6  #: STT efficiency of the read junction
    n_barrier: float = 1.3  #: exponent n of the barrier law (1 − i)ⁿ
    tau0: float = 0.0  #: attempt time, s; 0: Brown's from α, Hk and Δ
    temperature: float = 300.0  #: K

    def __post_init__(self) -> None:
        for f in fields(self):
            if not math.isfinite(getattr(self, f.name)):
                raise ValueError(f"{f.name} must be finite")
        for name in ("ms", "thickness", "diameter", "hk", "alpha", "line_width", "line_thickness", "eta",
                     "temperature"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.theta_sh == 0:
            raise ValueError("theta_sh must be non-zero (its sign sets the switching polarity)")
        if self.fl_ratio < 0:
            raise ValueError(f"fl_ratio must be >= 0, got {self.fl_ratio!r}: a field-like torque against σ makes the "
                             "state precess before it switches, which this model does not describe")
        if not 1.0 <= self.n_barrier <= 2.0:
            raise ValueError(f"n_barrier must be in 1..2, got {self.n_barrier!r}")
        if self.tau0 < 0:
            raise ValueError(f"tau0 must be >= 0 (0: Brown's attempt time), got {self.tau0!r}")

    @property
    def volume(self) -> float:
        """Free-layer volume, m³."""
        return math.pi * self.diameter**2 / 4.0 * self.thickness

    @property
    def line_cross_section(self) -> float:
        """Cross-section of the write line, m²."""
        return self.line_width * self.line_thickness

    def delta(self) -> float:
        """Thermal stability factor Δ = Ms V μ0Hk / (2 kB T) at zero field."""
        return self.ms * self.volume * self.hk / (2.0 * KB * self.temperature)

    def dl_field_per_ampere(self) -> float:
        """Damping-like SOT field a_DL per write current, ħθ_SH / (2e Ms t_F w t_HM), T/A (signed by θ_SH)."""
        return HBAR * self.theta_sh / (2.0 * E_CHARGE * self.ms * self.thickness * self.line_cross_section)

    def ic0_stt(self) -> float:
        """Sun's critical current 2eα Ms V μ0Hk / (ħη) of STT through the read junction, A."""
        return 2.0 * E_CHARGE * self.alpha * self.ms * self.volume * self.hk / (HBAR * self.eta)


def at_temperature(params: SOTParams, scaling: ThermalScaling, temperature: float) -> SOTParams:
    """``params`` (their ``ms`` and ``hk`` those at ``scaling.t_ref``) at ``temperature`` (K): Ms ∝ m,
    μ0Hk ∝ m^{n−1} (module docstring); ``params`` themselves at t_ref."""
    temperature = scaling.check(temperature)
    if temperature == scaling.t_ref:
        return replace(params, temperature=temperature)
    return replace(params, ms=params.ms * scaling.magnetisation(temperature),
                               hk=params.hk * scaling.anisotropy_field(temperature), temperature=temperature)


def llg_rate(m: np.ndarray, h: float, a: float, beta: float, alpha: float) -> np.ndarray:
    """dm/dt of the macrospin at T = 0, time in units of 1/(γ'μ0Hk): fields in units of μ0Hk (anisotropy along z,
    in-plane field ``h`` along x, damping-like ``a`` and field-like ``beta``·``a`` SOT with σ = ŷ), in the
    Landau–Lifshitz form −[m × b + α m × (m × b)] the compiled macrospin integrates."""
    mx, my, mz = m
    b = np.array([h - a * mz, beta * a, mz + a * mx])  # m × ŷ = (−m_z, 0, m_x)
    mxb = np.cross(m, b)
    return -(mxb + alpha * np.cross(m, mxb))


def _tangent_basis(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e1 = np.cross(m, (1.0, 0.0, 0.0) if abs(m[0]) < 0.9 else (0.0, 1.0, 0.0))
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(m, e1)


def _fixed_point(m: np.ndarray, h: float, a: float, beta: float, alpha: float) -> np.ndarray | None:
    """The fixed point of :func:`llg_rate` that Newton's method reaches from ``m``, if it is stable."""
    for _ in range(40):
        e1, e2 = _tangent_basis(m)

        def flow(u: np.ndarray, m: np.ndarray = m, e1: np.ndarray = e1, e2: np.ndarray = e2) -> np.ndarray:
            p = m + u[0] * e1 + u[1] * e2
            p = p / np.linalg.norm(p)
            rate = llg_rate(p, h, a, beta, alpha)
            return np.array([rate @ e1, rate @ e2])

        f0, eps = flow(np.zeros(2)), 1e-7
        jac = np.column_stack([(flow(np.array(d)) - f0) / eps for d in ((eps, 0.0), (0.0, eps))])
        try:
            step = np.linalg.solve(jac, -f0)
        except np.linalg.LinAlgError:  # exactly at a saddle-node
            return None
        m = m + step[0] * e1 + step[1] * e2
        m /= np.linalg.norm(m)
        if np.linalg.norm(step) < 1e-11:
            return m if np.all(np.linalg.eigvals(jac).real < 0) else None
    return None


@lru_cache(maxsize=1024)
def static_threshold(state: int, sign: int, h: float, beta: float, alpha: float) -> float:
    """The damping-like field (units of μ0Hk, ≥ 0) at which ``state`` (±1, m_z sign) loses its stable fixed point
    under a current of ``sign`` (the sign of a_DL), in-plane field ``h`` (units of μ0Hk) and field-like ratio
    ``beta``: the fixed point is followed from a = 0 and the end of its branch bisected."""
    if abs(h) >= 1.0:
        return 0.0
    m = np.array([h, 0.0, state * math.sqrt(1.0 - h * h)])
    a, step = 0.0, 0.02

    def follow(a: float, m: np.ndarray) -> np.ndarray | None:
        new = _fixed_point(m, h, sign * a, beta, alpha)
        return new if new is not None and np.linalg.norm(new - m) < 0.3 and new[2] * state > 0 else None

    while a < 4.0:
        new = follow(a + step, m)
        if new is None:
            break
        a, m = a + step, new
    else:
        return math.inf
    good, bad = a, a + step
    while bad - good > 1e-6:
        mid = 0.5 * (good + bad)
        new = follow(mid, m)
        good, bad, m = (mid, bad, new) if new is not None else (good, mid, m)
    return good


class SOTJunction:
    """One three-terminal SOT-MTJ: switching of its free layer by write-line current, read-junction current and
    field; :meth:`evolve` samples a constant drive exactly (event by event, or from equilibrium)."""

    def __init__(self, params: SOTParams | None = None) -> None:
        self.params = p = params if params is not None else SOTParams()
        self._a_per_ampere = p.dl_field_per_ampere()
        self._delta = p.delta()
        self._ic0_stt = p.ic0_stt()

    def critical_current(self, state: int, current_sign: int, h_x: float) -> float:
        """|I| (A) of write current of ``current_sign`` at which ``state`` (±1) loses stability in the in-plane
        field ``h_x`` (T), at T = 0 (the thresholds described in the module docstring)."""
        p = self.params
        sign = current_sign * (1 if p.theta_sh > 0 else -1)
        if p.fl_ratio == 0.0:
            # mirror symmetry: the state the drive favours sees −h
            g = threshold_factor(-state * sign * h_x / p.hk)
        else:
            g = static_threshold(state, sign, round(h_x / p.hk, 4), p.fl_ratio, p.alpha)  # rounded: cached
        return g * p.hk / abs(self._a_per_ampere)

    def tau0(self, h_x: float) -> float:
        """Attempt time (s) in the in-plane field ``h_x`` (T): the given one, or Brown's."""
        h = round(min(abs(h_x) / self.params.hk, 0.999), 4)  # a settling magnet's field varies in the last digits
        return self.params.tau0 or _brown_tau0(self._delta, self.params.alpha, self.params.hk, h)

    def drive(self, state: int, i_write: float, i_read: float, h_x: float, h_z: float) -> tuple[float, float]:
        """(normalised drive i, barrier E in kBT) out of ``state`` under write current ``i_write`` (A), read
        current ``i_read`` (A, positive favours P) and fields ``h_x``, ``h_z`` (T, positive h_z favours P)."""
        p = self.params
        i_sot = 0.0
        if i_write != 0.0:
            i_sot = abs(i_write) / self.critical_current(state, 1 if i_write > 0 else -1, h_x)
        i = i_sot - state * i_read / self._ic0_stt
        h_ip = min(abs(h_x) / p.hk, 1.0)
        h_dest = min(-state * h_z / p.hk, 1.0)
        barrier = self._delta * (1 - h_ip) ** 2 * (1 - h_dest) ** 2 * max(1.0 - i, 0.0) ** p.n_barrier
        return i, barrier

    def evolve(self, state: int, duration: float, rng: np.random.Generator, i_write: float = 0.0,
               i_read: float = 0.0, h_x: float = 0.0, h_z: float = 0.0) -> tuple[int, float]:
        """(final state, time in P in s) after ``duration`` s of a constant drive starting in ``state``.

        A state beyond its threshold leaves at once for the other, which keeps it; with both beyond, the
        magnetisation stays in-plane (half of each state in the time average) and ends in either at random."""
        if duration <= 0:
            return state, 0.0
        (i_p, e_p), (i_ap, e_ap) = (self.drive(s, i_write, i_read, h_x, h_z) for s in (STATE_P, STATE_AP))
        if i_p >= 1.0 and i_ap >= 1.0:
            return (STATE_P if rng.random() < 0.5 else STATE_AP), duration / 2
        if i_p >= 1.0 or i_ap >= 1.0:
            return (STATE_AP, 0.0) if i_p >= 1.0 else (STATE_P, duration)
        tau0 = self.tau0(h_x)
        r_p, r_ap = math.exp(-e_p) / tau0, math.exp(-e_ap) / tau0
        if duration * min(r_p, r_ap) > _MAX_EVENTS:
            p_p = r_ap / (r_p + r_ap)
            return (STATE_P if rng.random() < p_p else STATE_AP), p_p * duration
        final, in_p, _ = sample_interval(state, r_p, r_ap, duration, rng)
        return final, in_p

    def cos_theta(self, state: int, h_x: float) -> float:
        """Cosine of the free/reference-layer angle of ``state`` tilted by the in-plane field ``h_x`` (T)."""
        h = min(abs(h_x) / self.params.hk, 1.0)
        return state * math.sqrt(1.0 - h * h)


@lru_cache(maxsize=1024)
def _brown_tau0(delta: float, alpha: float, hk: float, h: float) -> float:
    """Brown's attempt time for the barrier and anisotropy field reduced by the in-plane field ``h`` (units of
    μ0Hk)."""
    return float(attempt_time(max(delta * (1 - h) ** 2, 0.05), alpha, hk * (1 - h)))
