"""Two-state MTJ as a bench DUT: the ``pmtj`` and ``smtj`` models.

The switching physics is :class:`mtjhw.simulators.physics.telegraph.TelegraphMTJ` (exact event-driven Néel–Brown
sampling for piecewise-constant drive). This adapter adds what an instrument sees: the operating point under
a voltage or current source, time-averaged (V, I) over an integration window, read noise, and breakdown of
the barrier above ``v_breakdown``. A slow field sweep thus shows the thermally activated, sweep-rate-dependent
coercive field of a real junction, and a superparamagnetic junction (small Δ) telegraph noise.
"""

from __future__ import annotations

import numpy as np

from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.telegraph import TelegraphMTJ, TelegraphParams, sample_interval
from mtjhw.simulators.physics.tmr import resistance

from .bias import Bias
from .devices import TwoTerminalDevice

#: Above this many expected switches in one interval the device is treated as in thermal equilibrium
#: between its two states (the time-averaged reading is then exact; the individual events are not drawn).
_MAX_EVENTS = 20_000


class PerpendicularMTJ(TwoTerminalDevice):
    """A perpendicular MTJ (``model: pmtj``; ``model: smtj`` is the same with a small ``delta``).

    Parameters (SI): ``r_p`` Ω, ``tmr`` zero-bias ratio, ``v_half`` V at which TMR halves, ``hk`` T
    (effective anisotropy field μ0Hk), ``h_offset`` T (loop shift: the free layer sees μ0H − h_offset),
    ``delta`` thermal stability factor at ``t_ref`` (K), ``temperature`` K (Δ scales as t_ref/T),
    ``ic0`` A (critical current at 0 K; positive current favours P), ``tau0`` s, ``n_current`` exponent of the
    current term (1 or 2), ``read_noise`` relative σ of the resistance per reading at 1 PLC, ``v_breakdown`` V
    (the barrier shorts permanently above it, to ``r_short`` Ω), ``state`` initial state (+1 P, −1 AP).
    """

    def __init__(self, *, r_p: float = 5000.0, tmr: float = 1.2, v_half: float = 0.5, hk: float = 0.08,
                 h_offset: float = 0.004, delta: float = 45.0, temperature: float = 300.0, t_ref: float = 300.0,
                 ic0: float = 60e-6, tau0: float = 1e-9, n_current: float = 1.0, read_noise: float = 2e-4,
                 v_breakdown: float = 1.5, r_short: float = 150.0, state: int = STATE_AP) -> None:
        super().__init__(read_noise, v_breakdown, r_short)
        for name, value in (("r_p", r_p), ("v_half", v_half)):
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        if tmr < 0:
            raise ValueError("tmr must be >= 0")
        self.r_p, self.tmr, self.v_half = r_p, tmr, v_half
        self.switch_count = 0
        self._rate_cache: dict[tuple[Bias, float, float], tuple[float, float]] = {}
        self._resistance_cache: dict[tuple[int, float], float] = {}
        params = TelegraphParams(delta=delta, tau0=tau0, hk=hk, h_offset=h_offset, ic0=ic0, n_current=n_current,
                                 r_p=r_p, tmr=tmr, v_half=v_half, temperature=t_ref)
        self.physics = TelegraphMTJ(params, n=1, state=state)
        self.temperature = temperature

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

    def resistance_of(self, state: int, voltage: float) -> float:
        """Resistance (Ω) of ``state`` at bias ``voltage`` (V) (cached: readings and pulses repeat voltages)."""
        if self.broken:
            return self.r_short
        key = (state, voltage)
        r = self._resistance_cache.get(key)
        if r is None:
            r = float(resistance(self.r_p, self.tmr, float(state), voltage, self.v_half))
            if len(self._resistance_cache) > 4096:
                self._resistance_cache.clear()
            self._resistance_cache[key] = r
        return r

    def resistance(self, voltage: float) -> float:
        """Resistance (Ω) in the present state at bias ``voltage`` (V)."""
        return self.resistance_of(self.state, voltage)

    def _operating_point(self, state: int, bias: Bias) -> tuple[float, float]:
        return self.operating_point(bias, lambda v: self.resistance_of(state, v))

    def _drive(self, bias: Bias) -> dict[str, float]:
        return {"voltage": bias.level} if bias.mode == "V" else {"current": bias.level}

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
            r_p, r_ap = self.physics.rates(field=field_t, **self._drive(bias))
            cached = (float(r_p[0]), float(r_ap[0]))
            if len(self._rate_cache) > 4096:
                self._rate_cache.clear()
            self._rate_cache[key] = cached
        return cached

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        """Evolve for ``duration`` (s) under constant ``bias`` and ``field_t`` (T); return the time-averaged (V, I)."""
        if duration > 0:
            self._check_breakdown(bias)
        if duration <= 0 or self.broken:
            return self.operating_point(bias)
        r_p, r_ap = self.rates(bias, field_t)
        if duration * min(r_p, r_ap) > _MAX_EVENTS:
            # Fast telegraph: equilibrium occupation, final state drawn from it.
            p_p = r_ap / (r_p + r_ap)
            self.switch_count += int(duration * 2 * r_p * p_p)
            self.physics.time += duration
            self.state = STATE_P if rng.random() < p_p else STATE_AP
            return self._mix(p_p, bias)
        final, in_p, switches = sample_interval(self.state, r_p, r_ap, duration, rng)
        self.physics.state[0] = final
        self.physics.time += duration
        self.switch_count += switches
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
        record = self.physics.advance(duration, rng, field=field_t, record=True, **self._drive(bias))
        times = record.switch_times[0] - t0
        self.switch_count += len(times)
        return start, times

    def run_timeline(self, steps: list[tuple[float, float, bool]], count: int, dc: Bias, v_dc: float,
                     field_t: float, rng: np.random.Generator) -> list[np.ndarray]:
        """Repeat one period's ``steps`` (duration s, pulse voltage V, is-a-reading-window) ``count`` times,
        exactly, as a two-state Markov chain; return for each reading window the time fraction in P of every
        period. Pulses add ``voltage`` to the DC bias (``dc``, whose voltage is ``v_dc``)."""
        rates = []
        for _duration, voltage, _reading in steps:
            bias = dc if voltage == 0.0 else Bias("V", v_dc + voltage)
            self._check_breakdown(bias)
            rates.append(self.rates(bias, field_t))
        if self.broken:
            return [np.full(count, float(self.state == STATE_P)) for s in steps if s[2]]
        windows = [k for k, s in enumerate(steps) if s[2]]
        fractions = np.empty((len(windows), count))
        # P(no switch in a step) from each state, and uniform draws deciding it, for all periods at once
        stay = [(np.exp(-r_p * d), np.exp(-r_ap * d)) for (r_p, r_ap), (d, _, _) in zip(rates, steps, strict=True)]
        draws = rng.random((count, len(steps)))
        state, switches = self.state, 0
        for n in range(count):
            w = 0
            for k, (duration, _voltage, reading) in enumerate(steps):
                p_stay = stay[k][0] if state == STATE_P else stay[k][1]
                u = draws[n, k]
                if u < p_stay:  # no switch in this step: the common case, decided by one draw
                    in_p = duration if state == STATE_P else 0.0
                else:  # at least one switch: first switch time from the truncated exponential, then exact
                    r_p, r_ap = rates[k]
                    rate = r_p if state == STATE_P else r_ap
                    v = (u - p_stay) / (1 - p_stay)  # uniform, given that a switch happens in the step
                    first = min(-np.log1p(-v * (1 - p_stay)) / rate, duration)
                    in_p = first if state == STATE_P else 0.0
                    state, rest_p, more = sample_interval(-state, r_p, r_ap, duration - first, rng)
                    in_p += rest_p
                    switches += 1 + more
                if reading:
                    fractions[w, n] = in_p / duration if duration > 0 else float(state == STATE_P)
                    w += 1
        self.state = state
        self.switch_count += switches
        self.physics.time += count * sum(s[0] for s in steps)
        return list(fractions)

    def _mix(self, fraction_p: float, bias: Bias) -> tuple[float, float]:
        if fraction_p == 1.0 or fraction_p == 0.0:
            return self._operating_point(STATE_P if fraction_p else STATE_AP, bias)
        v_p, i_p = self._operating_point(STATE_P, bias)
        v_ap, i_ap = self._operating_point(STATE_AP, bias)
        f = fraction_p
        return f * v_p + (1 - f) * v_ap, f * i_p + (1 - f) * i_ap
