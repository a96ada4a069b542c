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
(V, I) over an integration window, read noise, and breakdown of the barrier above ``v_breakdown``.
"""

from __future__ import annotations

import math
from abc import abstractmethod

import numpy as np

from mtjhw.simulators.physics.brown import damping_for_attempt_time
from mtjhw.simulators.physics.constants import E_CHARGE, GAMMA_E, HBAR, KB
from mtjhw.simulators.physics.macrospin import Drive, Macrospin, MacrospinParams, Waveform
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.switching_laws import ConstantDrive, SwitchLaw
from mtjhw.simulators.physics.telegraph import TelegraphMTJ, TelegraphParams, sample_interval
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


class _TwoStateJunction(TwoTerminalDevice):
    """Parameters, resistance and operating points shared by both engines (see :class:`PerpendicularMTJ`)."""

    def __init__(self, *, r_p: float = 5000.0, tmr: float = 1.2, v_half: float = 0.5, hk: float = 0.08,
                 h_offset: float = 0.004, delta: float = 45.0, temperature: float = 300.0, t_ref: float = 300.0,
                 ic0: float = 60e-6, alpha: float | None = None, tau0: float | None = None,
                 n_current: float = 2.0, read_noise: float = 2e-4, v_breakdown: float = 1.5,
                 r_short: float = 150.0, state: int = STATE_AP) -> None:
        super().__init__(read_noise, v_breakdown, r_short)
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
        self._start(state, temperature)

    @abstractmethod
    def _start(self, state: int, temperature: float) -> None:
        """Build the engine in ``state`` at ``temperature`` (K)."""

    def resistance_of(self, state: int, voltage: float) -> float:
        """Resistance (Ω) of ``state`` at bias ``voltage`` (V) (cached: readings and pulses repeat voltages)."""
        if self.broken:
            return self.r_short
        key = (state, voltage)
        r = self._resistance_cache.get(key)
        if r is None:
            r = float(resistance(self.r_p, self.tmr, float(state), voltage, self.v_half))
            if len(self._resistance_cache) > _CACHE:
                self._resistance_cache.clear()
            self._resistance_cache[key] = r
        return r

    def resistance(self, voltage: float) -> float:
        """Resistance (Ω) in the present state at bias ``voltage`` (V)."""
        return self.resistance_of(self.state, voltage)

    def _operating_point(self, state: int, bias: Bias) -> tuple[float, float]:
        return self.operating_point(bias, lambda v: self.resistance_of(state, v))

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
    ``delta`` thermal stability factor at ``t_ref`` (K), ``temperature`` K (Δ scales as t_ref/T),
    ``ic0`` A (Sun's critical current at 0 K; positive current favours P), ``alpha`` Gilbert damping (default
    0.01) or ``tau0`` s (zero-drive attempt time, fixing the damping), ``n_current`` 2 (default: the barrier
    Δ(1 − h − I/Ic0)², exact for the symmetric p-MTJ) or 1 (Li–Zhang effective damping, Δ(1 − h)²(1 − I/Ic0)),
    ``read_noise`` relative σ of the resistance per reading at 1 PLC, ``v_breakdown`` V (the barrier shorts
    permanently above it, to ``r_short`` Ω), ``state`` initial state (+1 P, −1 AP).
    """

    def _start(self, state: int, temperature: float) -> None:
        self._rate_cache: dict[tuple[Bias, float, float], tuple[float, float]] = {}
        self._law_cache: dict[tuple, SwitchLaw] = {}
        self.physics = TelegraphMTJ(self.params, n=1, state=state)
        self.temperature = temperature
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
        return float(self.physics.temperature[0])

    @temperature.setter
    def temperature(self, value: float) -> None:
        self.physics.set_temperature(value)

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
            r_p, r_ap = self.physics.rates(**vars(self._constant(bias, field_t)))
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
        if law is None:
            found, which = self.physics.switch_laws([state], duration, self._constant(bias, field_t),
                                                    self._constant(before, field_before))
            law = found[which[0]]
            if len(self._law_cache) > _CACHE:
                self._law_cache.clear()
            self._law_cache[key] = law
        return law

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
            self._check_breakdown(bias)
        if duration <= 0 or self.broken:
            return self.operating_point(bias)
        law = self.switch_law(self.state, duration, bias, field_t, *self._before)
        self.state, in_p = self._step(self.state, law, self.rates(bias, field_t), duration, rng.random(), rng)
        self._before = (bias, field_t)
        self.physics.time += duration
        return self._mix(in_p / duration, bias)

    def trajectory(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator
                   ) -> tuple[int, np.ndarray]:
        """Evolve for ``duration`` (s) and return the state at the start and the switch times (s, from the
        start): the telegraph signal an oscilloscope records."""
        start = self.state
        if self.broken or duration <= 0:
            return start, np.empty(0)
        self._check_breakdown(bias)
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
        for bias in biases:
            self._check_breakdown(bias)
        if self.broken:
            return [np.full(count, float(self.state == STATE_P)) for s in steps if s[2]]
        rates = [self.rates(bias, field_t) for bias in biases]
        before = [biases[k - 1] for k in range(len(steps))]
        laws = [{s: self.switch_law(s, d, bias, field_t, prev, field_t) for s in (STATE_P, STATE_AP)}
                for (d, _v, _r), bias, prev in zip(steps, biases, before, strict=True)]
        first = {s: self.switch_law(s, steps[0][0], biases[0], field_t, *self._before) for s in (STATE_P, STATE_AP)}
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
    """

    def _start(self, state: int, temperature: float) -> None:
        p = self.params
        if p.n_current != 2.0:
            raise ValueError("engine macrospin has the symmetric p-MTJ's own current law: n_current must be 2")
        volume = 2 * KB * p.temperature * p.delta / (1.0e6 * p.hk)
        self._macrospin = MacrospinParams(
            ms=1.0e6, thickness=1.5e-9, diameter=math.sqrt(4 * volume / (math.pi * 1.5e-9)), alpha=self.alpha,
            hk=p.hk, eta=2 * E_CHARGE * self.alpha * 1.0e6 * volume * p.hk / (HBAR * p.ic0),
            r_p=p.r_p, tmr=p.tmr, v_half=p.v_half, temperature=temperature)
        self.magnet = Macrospin(self._macrospin, n=1, m0=(0.0, 0.0, float(state)))
        self._fast = PerpendicularMTJ(r_p=p.r_p, tmr=p.tmr, v_half=p.v_half, hk=p.hk, h_offset=p.h_offset,
                                      delta=p.delta, temperature=temperature, t_ref=p.temperature, ic0=p.ic0,
                                      alpha=self.alpha, n_current=p.n_current)
        self.tau_d = float(self._fast.physics.tau_d[0])
        self.dt = min(1e-12, 0.04 / (GAMMA_E * p.hk))  # ≤ 0.04 rad of precession per step
        self.time = 0.0

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
        return float(self._macrospin.temperature)

    @temperature.setter
    def temperature(self, value: float) -> None:
        if not value > 0:
            raise ValueError("temperature must be > 0 K")
        m, t = self.magnet.m.copy(), self.magnet.time
        self._macrospin.temperature = value
        self.magnet = Macrospin(self._macrospin, n=1, m0=m)
        self.magnet.time = t
        self._fast.temperature = value

    def _evolve(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator
                ) -> tuple[float, list[float]]:
        """sLLGS for ``duration`` s: (time in P, switch times from the start, hysteresis ±0.5 on m_z)."""
        junction = {"voltage": Waveform(dc=bias.level)} if bias.mode == "V" else {"current": Waveform(dc=bias.level)}
        drive = Drive(field_dc=(0.0, 0.0, field_t - self.params.h_offset), **junction)
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
            self._check_breakdown(bias)
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
        self._check_breakdown(bias)
        _in_p, switches = self._evolve(duration, bias, field_t, rng)
        self.switch_count += len(switches)
        self.time += duration
        return start, np.array(switches)
