"""Two-state MTJ as a bench DUT: the ``pmtj`` and ``smtj`` models, on two engines of one physics.

Both engines are the macrospin of a perpendicular free layer (field and spin torque along the easy axis), with
the damping ``alpha`` (τ0 then follows from α, Hk and Δ by Brown's theory, 0.1–10 ns) or a fixed attempt time
``tau0`` (which fixes the damping: :func:`mtjhw.simulators.physics.brown.damping_for_attempt_time`):

- ``engine: fast`` (default), :class:`PerpendicularMTJ`: event-driven sampling
  (:class:`mtjhw.simulators.physics.telegraph.TelegraphMTJ` with ``alpha``): thermally activated switching
  (long pulses, field sweeps, telegraph noise), the crossover and precessional switching of ns pulses from the
  thermal initial angle, all from the macrospin's Fokker–Planck equation; a burst of pulses runs as one exact
  Markov chain (:meth:`PerpendicularMTJ.run_timeline`).
- ``engine: macrospin``, :class:`MacrospinPerpendicularMTJ`: the compiled sLLGS itself at a 1 ps step, for
  holding the fast engine to it through any procedure. Slow: about 10⁷ steps/s, i.e. 0.1 s per simulated µs
  of anything that can switch. Stretches of constant drive in which the fast engine's escape rate gives less
  than :data:`QUIET` chance of a switch are skipped once the magnetisation has relaxed in its well for
  :data:`SETTLE` τ_D.

The adapter adds what an instrument sees: the operating point under a voltage or current source, time-averaged
(V, I) over an integration window, read noise, time-dependent breakdown of the barrier and back-hopping.
"""

from __future__ import annotations

import dataclasses
import math
from abc import abstractmethod

import numpy as np

from mtjhw.simulators.physics import stoner_wohlfarth as sw
from mtjhw.simulators.physics import switching_laws
from mtjhw.simulators.physics.breakdown import BackHopping, pick, with_escape
from mtjhw.simulators.physics.brown import damping_for_attempt_time
from mtjhw.simulators.physics.constants import E_CHARGE, GAMMA_E, HBAR, KB
from mtjhw.simulators.physics.macrospin import Drive, Macrospin, MacrospinParams, Waveform
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.switching_laws import ConstantDrive, SwitchLaw
from mtjhw.simulators.physics.telegraph import TelegraphMTJ, TelegraphParams, sample_interval
from mtjhw.simulators.physics.thermal_scaling import ThermalScaling
from mtjhw.simulators.physics.tmr import resistance

from .bias import Bias
from .devices import TwoTerminalDevice

#: Above this many expected switches in one interval the device is treated as in thermal equilibrium
#: between its two states (the time-averaged reading is then exact; the individual events are not drawn).
_MAX_EVENTS = 20_000
#: Gilbert damping when the bench file gives neither ``alpha`` nor ``tau0``
DEFAULT_ALPHA = 0.01
#: macrospin engine: skip the rest of an interval when the chance of a switch in it is below this
QUIET = 1e-4
#: macrospin engine: τ_D of sLLGS before an interval may be skipped
SETTLE = 5.0
_CACHE = 4096
#: spacing (in units of Hk) of the fields at which the stationary escape rates of a settling field are exact
RATE_TABLE_STEP = 0.01


def _added(rates: tuple[float, float], more: tuple[float, float]) -> tuple[float, float]:
    """Escape rates (out of P, out of AP) of two independent processes together."""
    return rates[0] + more[0], rates[1] + more[1]


def _angle(value: float) -> float:
    """A field angle (rad), checked."""
    if not math.isfinite(value):
        raise ValueError(f"field_angle must be a finite angle in rad, got {value!r}")
    return float(value)


class _TwoStateJunction(TwoTerminalDevice):
    """Parameters, resistance and operating points shared by both engines (see :class:`PerpendicularMTJ`)."""

    def __init__(self, *, r_p: float = 5000.0, tmr: float = 1.2, v_half: float = 0.5, hk: float = 0.08,
                 h_offset: float = 0.004, delta: float = 45.0, temperature: float = 300.0, t_ref: float = 300.0,
                 ic0: float = 60e-6, alpha: float | None = None, tau0: float | None = None,
                 n_current: float = 2.0, read_noise: float = 2e-4, v_breakdown: float = 1.5,
                 r_short: float = 150.0, state: int = STATE_AP, field_angle: float = 0.0,
                 weibull_beta: float = 2.0, gamma_breakdown: float = 20.0, seed: int = 0,
                 i_backhop: float = math.inf, delta_backhop: float = 60.0, tau_backhop: float = 1e-9,
                 t_curie: float = ThermalScaling.t_curie,
                 anisotropy_exponent: float = ThermalScaling.anisotropy_exponent,
                 polarisation_a: float = ThermalScaling.polarisation_a, rp_tcr: float = ThermalScaling.rp_tcr,
                 r_thermal: float = 0.0) -> None:
        super().__init__(read_noise, v_breakdown, r_short, weibull_beta=weibull_beta,
                         gamma_breakdown=gamma_breakdown, seed=seed)
        self.backhop = BackHopping(i_backhop, delta_backhop, tau_backhop)
        for name, value in (("r_p", r_p), ("v_half", v_half), ("delta", delta), ("hk", hk), ("ic0", ic0)):
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        if tmr < 0:
            raise ValueError("tmr must be >= 0")
        if alpha is not None and tau0 is not None:
            raise ValueError("give alpha or tau0, not both (a tau0 fixes the damping that has it)")
        self.r_p, self.tmr, self.v_half = r_p, tmr, v_half
        self.alpha = (DEFAULT_ALPHA if tau0 is None else damping_for_attempt_time(tau0, delta, hk)) \
            if alpha is None else alpha
        self.switch_count = 0
        self._resistance_cache: dict[tuple[int, float], float] = {}
        self.params = TelegraphParams(delta=delta, hk=hk, h_offset=h_offset, ic0=ic0, n_current=n_current,
                                      r_p=r_p, tmr=tmr, v_half=v_half, temperature=t_ref, alpha=self.alpha)
        self._field_angle, self._field = _angle(field_angle), 0.0  # the field (T) the device last saw
        self._wells_cache: dict[tuple[float, float], sw.Wells] = {}
        self.thermal = ThermalScaling(t_ref, t_curie, anisotropy_exponent, polarisation_a, rp_tcr)
        if not r_thermal >= 0:
            raise ValueError(f"r_thermal must be >= 0 K/W, got {r_thermal!r}")
        self.r_thermal = r_thermal
        self._start(state, temperature)

    @abstractmethod
    def _start(self, state: int, temperature: float) -> None:
        """Build the engine in ``state`` at ``temperature`` (K)."""

    def _read_at(self, params: TelegraphParams) -> None:
        """Readings from here on with ``params``' R_P and TMR (those of the bath temperature)."""
        self.r_p, self.tmr = float(params.r_p), float(params.tmr)
        self._resistance_cache.clear()

    @property
    def field_angle(self) -> float:
        """Angle (rad) of the applied field from the easy axis (0: along it, π/2: in-plane, the hard axis)."""
        return self._field_angle

    @field_angle.setter
    def field_angle(self, value: float) -> None:
        self._field_angle = _angle(value)
        self._field_changed()

    def _field_changed(self) -> None:
        """The field angle changed: forget what depends on it."""
        self._resistance_cache.clear()
        self._wells_cache.clear()

    def _wells(self, field_t: float, hk: float) -> sw.Wells:
        """The Stoner–Wohlfarth wells in ``field_t`` (T) at the field angle for anisotropy field ``hk`` (T)
        (cached: a drive and the one before it are looked up together)."""
        key = (field_t, hk)
        wells = self._wells_cache.get(key)
        if wells is None:
            if len(self._wells_cache) > _CACHE:
                self._wells_cache.clear()
            hx, hz = sw.reduced_field(field_t, self._field_angle, hk, self.params.h_offset)
            wells = self._wells_cache[key] = sw.wells(hx, hz)
        return wells

    def _anisotropy(self) -> float:
        """μ0Hk (T) of the free layer now (the fast engine's at the bath temperature)."""
        return float(self.params.hk)

    def _cos_theta(self, state: int) -> float:
        """m_z of ``state``'s well in the field the device last saw (±1 along the easy axis)."""
        if self._field_angle == 0.0:
            return float(state)
        return float(self._wells(self._field, self._anisotropy()).cos(state))

    def resistance_of(self, state: int, voltage: float) -> float:
        """Resistance (Ω) of ``state`` at bias ``voltage`` (V), G(θ) = G_P(1 + cos θ)/2 + G_AP(1 − cos θ)/2 at
        the angle θ of the state's well (cached: readings and pulses repeat voltages and fields)."""
        if self.broken:
            return self.r_short
        key = (state, voltage) if self._field_angle == 0.0 else (state, voltage, self._field)
        r = self._resistance_cache.get(key)
        if r is None:
            r = float(resistance(self.r_p, self.tmr, self._cos_theta(state), voltage, self.v_half))
            if len(self._resistance_cache) > _CACHE:
                self._resistance_cache.clear()
            self._resistance_cache[key] = r
        return r

    def resistance(self, voltage: float) -> float:
        """Resistance (Ω) in the present state at bias ``voltage`` (V)."""
        return self.resistance_of(self.state, voltage)

    def _operating_point(self, state: int, bias: Bias) -> tuple[float, float]:
        return self.operating_point(bias, lambda v: self.resistance_of(state, v))

    def _backhop_rates(self, bias: Bias) -> tuple[float, float]:
        """Back-hopping rates (1/s) out of P and AP under ``bias``, each at the current that state carries."""
        return self.backhop.rates(self._operating_point(STATE_P, bias)[1], self._operating_point(STATE_AP, bias)[1])

    @staticmethod
    def _constant(bias: Bias, field_t: float) -> ConstantDrive:
        return ConstantDrive(field=field_t, voltage=bias.level) if bias.mode == "V" else \
            ConstantDrive(current=bias.level, field=field_t)

    def _mix(self, fraction_p: float, bias: Bias) -> tuple[float, float]:
        if fraction_p == 1.0 or fraction_p == 0.0:
            return self._operating_point(STATE_P if fraction_p else STATE_AP, bias)
        v_p, i_p = self._operating_point(STATE_P, bias)
        v_ap, i_ap = self._operating_point(STATE_AP, bias)
        f = fraction_p
        return f * v_p + (1 - f) * v_ap, f * i_p + (1 - f) * i_ap


class PerpendicularMTJ(_TwoStateJunction):
    """A perpendicular MTJ (``model: pmtj``; ``model: smtj`` is the same with a small ``delta``), fast engine.

    Parameters (SI): ``r_p`` Ω, ``tmr`` zero-bias ratio, ``v_half`` V at which TMR halves, ``hk`` T
    (effective anisotropy field μ0Hk), ``h_offset`` T (loop shift: the free layer sees μ0H − h_offset),
    ``delta`` thermal stability factor; every parameter is the junction's at ``t_ref`` (K).
    Temperature (:mod:`mtjhw.simulators.physics.thermal_scaling`): ``temperature`` K, the bath (stage); with
    m = Ms(T)/Ms(t_ref) = (1 − (T/``t_curie``)^{3/2})/(1 − (t_ref/t_curie)^{3/2}) (Bloch, ``t_curie`` K),
    K ∝ m^n (Callen–Callen ``anisotropy_exponent`` n), so μ0Hk ∝ m^{n−1}, Δ ∝ m^n·t_ref/T, Ic0 ∝ m^n; TMR by
    Jullière with P(T) = P0(1 − a·T^{3/2}) (``polarisation_a`` a, K^-3/2); R_P(1 + ``rp_tcr``·(T − t_ref))
    (1/K). Joule heating: the junction is at T + ``r_thermal``·|V·I| (K/W, default 0: none) in each state,
    quasi-statically, in its escape rates and switch laws (not in ``trajectory``; readings keep the bath's R).
    ``ic0`` A (Sun's critical current at 0 K; positive current favours P), ``alpha`` Gilbert damping (default
    0.01) or ``tau0`` s (zero-drive attempt time, fixing the damping), ``n_current`` 2 (default: the barrier
    Δ(1 − h − I/Ic0)², exact for the symmetric p-MTJ) or 1 (Li–Zhang effective damping, Δ(1 − h)²(1 − I/Ic0)),
    ``read_noise`` relative σ of the resistance per reading at 1 PLC, ``state`` initial state (+1 P, −1 AP).
    ``field_angle`` rad (default 0; settable, as a rotation stage turns it): the applied field's angle from the
    easy axis in the plane of the easy axis and x (π/2: in-plane). Off the axis the barriers are the
    Stoner–Wohlfarth ones (:mod:`mtjhw.simulators.physics.stoner_wohlfarth`) carried into the Fokker–Planck rates
    and switch laws as equivalent axial fields (:meth:`_axial`), and each state reads
    G_P(1 + cos θ)/2 + G_AP(1 − cos θ)/2 at its well's angle θ; ``h_offset`` stays along the easy axis. A
    recorded trajectory (:meth:`trajectory`) needs angle 0.
    Barrier breakdown (Weibull TDDB, :mod:`mtjhw.simulators.physics.breakdown`): ``v_breakdown`` V (where the
    characteristic time to breakdown is 1 s), ``gamma_breakdown`` 1/V, ``weibull_beta``, ``seed`` of the
    device's life; a broken barrier shorts for good to ``r_short`` Ω. Back-hopping above ``i_backhop`` A
    (default: none) over the reference layer's barrier ``delta_backhop`` with attempt time ``tau_backhop`` s.
    """

    def _start(self, state: int, temperature: float) -> None:
        self._rate_cache: dict[tuple[Bias, float, float], tuple[float, float]] = {}
        self._law_cache: dict[tuple, SwitchLaw] = {}
        self._heated: dict[float, TelegraphMTJ] = {}  # the physics at each resolved junction temperature
        self._ln_rates: dict[tuple, np.ndarray] = {}  # ln of exact rates at the nodes of a settling field
        self._bath = self.thermal.check(temperature)
        self.physics = TelegraphMTJ(self.thermal.junction(self.params, self._bath), n=1, state=state)
        self._read_at(self.physics.params)
        self._before = (Bias.open_circuit(), 0.0)  # the drive the device last saw

    @property
    def state(self) -> int:
        return int(self.physics.state[0])

    @state.setter
    def state(self, value: int) -> None:
        if value not in (STATE_P, STATE_AP):
            raise ValueError(f"state must be +1 (P) or -1 (AP), got {value!r}")
        self.physics.state[0] = value

    @property
    def temperature(self) -> float:
        """Bath (stage) temperature, K: Δ, Hk, Ic0, R_P and TMR follow it
        (:class:`~mtjhw.simulators.physics.thermal_scaling.ThermalScaling`)."""
        return self._bath

    @temperature.setter
    def temperature(self, value: float) -> None:
        bath = self.thermal.check(value)
        if bath == self._bath:
            return
        old, self._bath = self.physics, bath
        self.physics = TelegraphMTJ(self.thermal.junction(self.params, bath), n=1, state=old.state)
        self.physics.time, self.physics.last_drive = old.time, old.last_drive
        self._read_at(self.physics.params)

    def _hot(self, state: int, bias: Bias) -> TelegraphMTJ:
        """The physics at the junction's temperature in ``state`` under ``bias``: the bath's plus
        ``r_thermal``·|V·I| (Joule heating, quasi-static: the junction's thermal time is ns), one engine per
        resolved temperature. Readings keep the bath's R_P and TMR."""
        if self.r_thermal == 0.0 or self.broken:
            return self.physics
        v, i = self._operating_point(state, bias)
        junction = self.thermal.heated(self._bath, self.r_thermal, v * i)
        if junction == self._bath:
            return self.physics
        engine = self._heated.get(junction)
        if engine is None:
            if len(self._heated) > _CACHE:
                self._heated.clear()
            engine = self._heated[junction] = TelegraphMTJ(self.thermal.junction(self.params, junction))
        return engine

    def _field_changed(self) -> None:
        super()._field_changed()
        self._rate_cache.clear()
        self._law_cache.clear()
        self._ln_rates.clear()

    def _anisotropy(self) -> float:
        return float(self.physics.hk[0])

    def _axial(self, state: int, field_t: float, engine: TelegraphMTJ) -> float:
        """Field (T) along the easy axis under which ``state`` has in ``engine`` the barrier it has in
        ``field_t`` at the field angle (``field_t`` itself at angle 0; :meth:`~mtjhw.simulators.physics.
        stoner_wohlfarth.Wells.axial_field`). Spin torque then adds to it as the axial model's effective field:
        exact at angle 0, an approximation for a tilted field (the torque of a current along the easy axis is
        no longer an effective field there), good while I ≪ Ic0 or the field is nearly axial."""
        if self._field_angle == 0.0:
            return field_t
        hk = float(engine.hk[0])
        return float(self._wells(field_t, hk).axial_field(state)) * hk + float(self.params.h_offset)

    def rates(self, bias: Bias, field_t: float) -> tuple[float, float]:
        """Escape rates (1/s) out of P and out of AP under ``bias`` and ``field_t`` (T).

        Pulse trains and sweeps revisit a handful of drive conditions many times: the rates are cached per
        (bias, field, temperature).
        """
        if self.broken:
            return 0.0, 0.0
        key = (bias, field_t, self.temperature)
        cached = self._rate_cache.get(key)
        if cached is None:
            if self._field_angle == 0.0 and self.r_thermal == 0.0:
                r_p, r_ap = self.physics.rates(**vars(self._constant(bias, field_t)))
            else:  # each state at the axial field that gives it its tilted barrier, at its own Joule heating
                hot_p, hot_ap = self._hot(STATE_P, bias), self._hot(STATE_AP, bias)
                r_p = hot_p.rates(**vars(self._constant(bias, self._axial(STATE_P, field_t, hot_p))))[0]
                r_ap = hot_ap.rates(**vars(self._constant(bias, self._axial(STATE_AP, field_t, hot_ap))))[1]
            cached = (float(r_p[0]), float(r_ap[0]))
            if len(self._rate_cache) > _CACHE:
                self._rate_cache.clear()
            self._rate_cache[key] = cached
        return cached

    def switch_law(self, state: int, duration: float, bias: Bias, field_t: float, before: Bias,
                   field_before: float) -> SwitchLaw:
        """Law of the first switch out of ``state`` in ``duration`` s of (``bias``, ``field_t``) after
        (``before``, ``field_before``) (cached per condition and temperature)."""
        key = (state, duration, bias, field_t, before, field_before, self.temperature)
        law = self._law_cache.get(key)
        if law is None and self._stationary(state, duration, bias, field_t, field_before, before):
            return SwitchLaw(duration, self._tabulated_rate(state, bias, field_t))  # a new field each step
        if law is None:
            hot = self._hot(state, bias)
            found, which = hot.switch_laws([state], duration, self._constant(bias, self._axial(state, field_t, hot)),
                                           self._constant(before, self._axial(state, field_before, hot)))
            law = found[which[0]]
            if len(self._law_cache) > _CACHE:
                self._law_cache.clear()
            self._law_cache[key] = law
        return law

    def _stationary(self, state: int, duration: float, bias: Bias, field_t: float, field_before: float,
                    before: Bias) -> bool:
        """Whether the interval is a stationary escape (:func:`~mtjhw.simulators.physics.switching_laws.settled`:
        the transient of the change of field is over within a thousandth of it), as while a magnet settles;
        constant bias, no Joule heating only (a tilted field through its axial equivalent)."""
        if self.r_thermal != 0.0 or before != bias:
            return False
        p = self.physics
        now, then = (switching_laws.normalised_drive(self._constant(bias, self._axial(state, f, p)), 1, p.hk,
                                                     p.h_offset, p.ic0,
                                                     p.params.r_p, p.params.tmr, p.params.v_half)
                     for f in (field_t, field_before))
        return bool(switching_laws.settled(np.array([state]), duration, p.delta_now, p.tau_d, now, then,
                                           p.n_current)[0])

    def _tabulated_rate(self, state: int, bias: Bias, field_t: float) -> float:
        """Escape rate (1/s) out of ``state``: ln r interpolated linearly between exact rates at fields
        :data:`RATE_TABLE_STEP`·Hk apart (error ≤ step²·Δ/4 ≈ 2e−3 of r at Δ 70; a field that changes every
        step would otherwise cost a rate computation each)."""
        table = self._ln_rates
        step = RATE_TABLE_STEP * float(self.params.hk)
        x = field_t / step
        j = math.floor(x)
        ends = []
        for node in (j, j + 1):
            key = (bias, node, self.temperature, self._field_angle)
            if key not in table:
                if len(table) > _CACHE:
                    table.clear()
                table[key] = np.log(np.maximum(self.rates(bias, node * step), 1e-300))
            ends.append(table[key][0 if state == STATE_P else 1])
        return float(np.exp(ends[0] + (x - j) * (ends[1] - ends[0])))

    def _step(self, state: int, law: SwitchLaw, rates: tuple[float, float], duration: float, u: float,
              rng: np.random.Generator) -> tuple[int, float]:
        """One interval from ``state`` with the uniform draw ``u`` deciding the first switch: (state at the
        end, time in P). Exact: the first switch from its law, the rest as a two-state Markov chain."""
        p = law.probability
        if u >= p:  # no switch in this interval: the common case, decided by one draw
            return state, duration if state == STATE_P else 0.0
        first = float(law.time(u / p))
        in_p = first if state == STATE_P else 0.0
        rest = duration - first
        r_p, r_ap = rates
        self.switch_count += 1
        if rest * min(r_p, r_ap) > _MAX_EVENTS:  # fast telegraph: equilibrium occupation, end state drawn
            p_p = r_ap / (r_p + r_ap)
            self.switch_count += int(rest * 2 * r_p * p_p)
            return (STATE_P if rng.random() < p_p else STATE_AP), in_p + p_p * rest
        state, rest_p, more = sample_interval(-state, r_p, r_ap, rest, rng)
        self.switch_count += more
        return state, in_p + rest_p

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        """Evolve for ``duration`` (s) under constant ``bias`` and ``field_t`` (T); return the time-averaged (V, I)."""
        if duration > 0:
            self._check_breakdown(bias, duration)
        self._field = field_t
        if duration <= 0 or self.broken:
            return self.operating_point(bias)
        law = self.switch_law(self.state, duration, bias, field_t, *self._before)
        u = rng.random()
        rates = self.rates(bias, field_t) if self.backhop.on or u < law.probability else (0.0, 0.0)
        if self.backhop.on:
            hops = self._backhop_rates(bias)
            law, rates = with_escape(law, pick(hops, self.state)), _added(rates, hops)
        self.state, in_p = self._step(self.state, law, rates, duration, u, rng)
        self._before = (bias, field_t)
        self.physics.time += duration
        return self._mix(in_p / duration, bias)

    def trajectory(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator
                   ) -> tuple[int, np.ndarray]:
        """Evolve for ``duration`` (s) and return the state at the start and the switch times (s, from the
        start): the telegraph signal an oscilloscope records."""
        start = self.state
        if self._field_angle != 0.0:
            raise ValueError("a recorded trajectory of the fast engine needs the field along the easy axis "
                             "(field_angle 0): use advance, or engine macrospin")
        if self.broken or duration <= 0:
            return start, np.empty(0)
        if self.backhop.on and max(self._backhop_rates(bias)) * duration > QUIET:
            raise ValueError("a recorded trajectory of the fast engine has no back-hopping: this bias back-hops "
                             f"(above i_backhop = {self.backhop.i_backhop:g} A); use advance")
        self._check_breakdown(bias, duration)
        t0 = self.physics.time
        self.physics.last_drive = self._constant(*self._before)
        drive = self._constant(bias, field_t)
        record = self.physics.advance(duration, rng, drive.current, drive.field, record=True, voltage=drive.voltage)
        self._before = (bias, field_t)
        times = record.switch_times[0] - t0
        self.switch_count += len(times)
        return start, times

    def run_timeline(self, steps: list[tuple[float, float, bool]], count: int, dc: Bias, v_dc: float,
                     field_t: float, rng: np.random.Generator) -> list[np.ndarray]:
        """Repeat one period's ``steps`` (duration s, pulse voltage V, is-a-reading-window) ``count`` times,
        exactly, as a two-state Markov chain whose first switch in each step follows the step's switch law
        (from the thermal distribution the step before left); return for each reading window the time
        fraction in P of every period. Pulses add ``voltage`` to the DC bias (``dc``, whose voltage is
        ``v_dc``)."""
        biases = [dc if voltage == 0.0 else Bias("V", v_dc + voltage) for _d, voltage, _r in steps]
        self._field = field_t
        for bias, (duration, _v, _r) in zip(biases, steps, strict=True):  # the burst's damage, before it runs
            self._check_breakdown(bias, count * duration)
        if self.broken:
            return [np.full(count, float(self.state == STATE_P)) for s in steps if s[2]]
        rates = [self.rates(bias, field_t) for bias in biases]
        before = [biases[k - 1] for k in range(len(steps))]
        laws = [{s: self.switch_law(s, d, bias, field_t, prev, field_t) for s in (STATE_P, STATE_AP)}
                for (d, _v, _r), bias, prev in zip(steps, biases, before, strict=True)]
        first = {s: self.switch_law(s, steps[0][0], biases[0], field_t, *self._before) for s in (STATE_P, STATE_AP)}
        if self.backhop.on:  # an independent escape out of the state each step's current favours
            hops = [self._backhop_rates(bias) for bias in biases]
            first = {s: with_escape(first[s], pick(hops[0], s)) for s in first}
            laws = [{s: with_escape(law[s], pick(h, s)) for s in law} for law, h in zip(laws, hops, strict=True)]
            rates = [_added(r, h) for r, h in zip(rates, hops, strict=True)]
        p_switch = [{s: law[s].probability for s in law} for law in laws]
        windows = sum(1 for s in steps if s[2])
        fractions = np.empty((windows, count))
        draws = rng.random((count, len(steps)))
        state = self.state
        for n in range(count):
            w = 0
            for k, (duration, _voltage, reading) in enumerate(steps):
                u = draws[n, k]
                if u >= p_switch[k][state] and not (n == 0 and k == 0):
                    in_p = duration if state == STATE_P else 0.0  # no switch: the common case, one draw
                else:
                    law = first[state] if n == 0 and k == 0 else laws[k][state]
                    state, in_p = self._step(state, law, rates[k], duration, u, rng)
                if reading:
                    fractions[w, n] = in_p / duration if duration > 0 else float(state == STATE_P)
                    w += 1
        self.state = state
        self._before = (biases[-1], field_t)
        self.physics.time += count * sum(s[0] for s in steps)
        return list(fractions)


class MacrospinPerpendicularMTJ(_TwoStateJunction):
    """``engine: macrospin``: the same DUT and parameters as :class:`PerpendicularMTJ` on the compiled sLLGS
    (:class:`mtjhw.simulators.physics.macrospin.Macrospin`, Heun at 1 ps, voltage bias with the current
    following the conductance). The free layer is sized to have ``delta`` at ``t_ref`` (Ms = 1 MA/m,
    t = 1.5 nm) and η set to give Sun's ``ic0``; ``n_current`` must be 2 (the macrospin's own law). Readings
    report the resistance of the state the magnetisation is in (the sign of m_z), as the fast engine does.
    Temperature moves Ms, Hk (hence Δ and Ic0), R_P and TMR as in the fast engine; Joule heating (``r_thermal``)
    is the fast engine's only.
    """

    def _start(self, state: int, temperature: float) -> None:
        p = self.params
        if p.n_current != 2.0:
            raise ValueError("engine macrospin has the symmetric p-MTJ's own current law: n_current must be 2")
        if self.backhop.on:
            raise ValueError("engine macrospin has a fixed reference layer: back-hopping (i_backhop) needs engine fast")
        if self.r_thermal:
            raise ValueError("engine macrospin runs at the bath temperature: Joule heating (r_thermal) needs "
                             "engine fast")
        volume = 2 * KB * p.temperature * p.delta / (1.0e6 * p.hk)
        self._macrospin = MacrospinParams(
            ms=1.0e6, thickness=1.5e-9, diameter=math.sqrt(4 * volume / (math.pi * 1.5e-9)), alpha=self.alpha,
            hk=p.hk, eta=2 * E_CHARGE * self.alpha * 1.0e6 * volume * p.hk / (HBAR * p.ic0),
            r_p=p.r_p, tmr=p.tmr, v_half=p.v_half, temperature=p.temperature)
        self.magnet = Macrospin(self._macrospin, n=1, m0=(0.0, 0.0, float(state)))
        self._fast = PerpendicularMTJ(r_p=p.r_p, tmr=p.tmr, v_half=p.v_half, hk=p.hk, h_offset=p.h_offset,
                                      delta=p.delta, temperature=p.temperature, t_ref=p.temperature, ic0=p.ic0,
                                      alpha=self.alpha, n_current=p.n_current, **self.thermal.keywords())
        self._fast.field_angle = self._field_angle
        self.time = 0.0
        self.temperature = temperature

    def _field_changed(self) -> None:
        super()._field_changed()
        self._fast.field_angle = self._field_angle

    def _anisotropy(self) -> float:
        return float(self._macrospin.hk)

    @property
    def state(self) -> int:
        return STATE_P if self.magnet.m[0, 2] > 0 else STATE_AP

    @state.setter
    def state(self, value: int) -> None:
        if value not in (STATE_P, STATE_AP):
            raise ValueError(f"state must be +1 (P) or -1 (AP), got {value!r}")
        self.magnet.m[0] = (0.0, 0.0, float(value))

    @property
    def temperature(self) -> float:
        """Bath temperature, K: the free layer's Ms and Hk, its thermal field, R_P and TMR follow it; the
        volume and η stay those of ``t_ref``."""
        return float(self._macrospin.temperature)

    @temperature.setter
    def temperature(self, value: float) -> None:
        bath = self.thermal.check(value)
        at = self.thermal.junction(self.params, bath)
        m, t = self.magnet.m.copy(), self.magnet.time
        self._macrospin = dataclasses.replace(self._macrospin, ms=1.0e6 * self.thermal.magnetisation(bath),
                                              hk=at.hk, r_p=at.r_p, tmr=at.tmr, temperature=bath)
        self.magnet = Macrospin(self._macrospin, n=1, m0=m)
        self.magnet.time = t
        self._fast.temperature = bath
        self.tau_d = float(self._fast.physics.tau_d[0])
        self.dt = min(1e-12, 0.04 / (GAMMA_E * float(at.hk)))  # ≤ 0.04 rad of precession per step
        self._read_at(at)

    def _evolve(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator
                ) -> tuple[float, list[float]]:
        """sLLGS for ``duration`` s: (time in P, switch times from the start, hysteresis ±0.5 on m_z)."""
        junction = {"voltage": Waveform(dc=bias.level)} if bias.mode == "V" else {"current": Waveform(dc=bias.level)}
        angle = self._field_angle
        drive = Drive(field_dc=(field_t * math.sin(angle), 0.0, field_t * math.cos(angle) - self.params.h_offset),
                      **junction)
        r_p, r_ap = self._fast.rates(bias, field_t)
        t, in_p, level, switches = 0.0, 0.0, self.state, []
        while t < duration:
            n_steps = int(min(duration - t, SETTLE * self.tau_d) / self.dt)
            if n_steps == 0:  # less than a step left
                in_p += (duration - t) * (level == STATE_P)
                break
            every = max(1, n_steps // 64)
            mz = self.magnet.run(n_steps * self.dt, self.dt, drive, rng, record_every=every).m[0, :, 2]
            for j, z in enumerate(mz):
                if z * level < -0.5:
                    level = -level
                    switches.append(t + (j + 1) * every * self.dt)
            in_p += n_steps * self.dt * float(np.mean(mz > 0))
            t += n_steps * self.dt
            rest = duration - t
            rate = r_p if self.state == STATE_P else r_ap
            if rest > 0 and self.magnet.m[0, 2] * self.state > 0.5 and rate * rest < QUIET:
                in_p += rest * (self.state == STATE_P)
                t = duration
        return in_p, switches

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        """Evolve for ``duration`` (s) under constant ``bias`` and ``field_t`` (T); return the time-averaged (V, I)."""
        if duration > 0:
            self._check_breakdown(bias, duration)
        self._field = field_t
        if duration <= 0 or self.broken:
            return self.operating_point(bias)
        in_p, switches = self._evolve(duration, bias, field_t, rng)
        self.switch_count += len(switches)
        self.time += duration
        return self._mix(min(max(in_p / duration, 0.0), 1.0), bias)

    def trajectory(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator
                   ) -> tuple[int, np.ndarray]:
        """Evolve for ``duration`` (s); the state at the start and the switch times (s, from the start)."""
        start = self.state
        if self.broken or duration <= 0:
            return start, np.empty(0)
        self._check_breakdown(bias, duration)
        _in_p, switches = self._evolve(duration, bias, field_t, rng)
        self.switch_count += len(switches)
        self.time += duration
        return start, np.array(switches)
