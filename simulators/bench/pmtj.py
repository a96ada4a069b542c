"""Two-state MTJ as a bench DUT: the ``pmtj`` and ``smtj`` models.

The switching physics is :class:`simulators.physics.telegraph.TelegraphMTJ` (exact event-driven Néel–Brown
sampling for piecewise-constant drive). This adapter adds what an instrument sees: the operating point under
a voltage or current source, time-averaged (V, I) over an integration window, read noise, and breakdown of
the barrier above ``v_breakdown``. A slow field sweep thus shows the thermally activated, sweep-rate-dependent
coercive field of a real junction, and a superparamagnetic junction (small Δ) telegraph noise.
"""

from __future__ import annotations

import numpy as np

from simulators.physics.neel_brown import STATE_AP, STATE_P
from simulators.physics.telegraph import TelegraphMTJ, TelegraphParams
from simulators.physics.tmr import resistance

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
        """Resistance (Ω) of ``state`` at bias ``voltage`` (V)."""
        if self.broken:
            return self.r_short
        return float(resistance(self.r_p, self.tmr, float(state), voltage, self.v_half))

    def resistance(self, voltage: float) -> float:
        """Resistance (Ω) in the present state at bias ``voltage`` (V)."""
        return self.resistance_of(self.state, voltage)

    def _operating_point(self, state: int, bias: Bias) -> tuple[float, float]:
        return self.operating_point(bias, lambda v: self.resistance_of(state, v))

    def _drive(self, bias: Bias) -> dict[str, float]:
        return {"voltage": bias.level} if bias.mode == "V" else {"current": bias.level}

    def rates(self, bias: Bias, field_t: float) -> tuple[float, float]:
        """Escape rates (1/s) out of P and out of AP under ``bias`` and ``field_t`` (T)."""
        if self.broken:
            return 0.0, 0.0
        r_p, r_ap = self.physics.rates(field=field_t, **self._drive(bias))
        return float(r_p[0]), float(r_ap[0])

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
        start = self.state
        first = rng.exponential(1.0 / r_p if start == STATE_P else 1.0 / r_ap) if max(r_p, r_ap) > 0 else np.inf
        if first >= duration:  # the common case in a reading: no switch (exact: the first dwell is drawn)
            self.physics.time += duration
            return self._mix(1.0 if start == STATE_P else 0.0, bias)
        self.physics.time += first
        self.state = -start
        record = self.physics.advance(duration - first, rng, field=field_t, record=True, **self._drive(bias))
        edges = np.concatenate([[record.t_start - first], record.switch_times[0], [record.t_end]])
        dwell = np.diff(edges)
        in_p = dwell[0::2].sum() if start == STATE_P else dwell[1::2].sum()
        self.switch_count += 1 + len(record.switch_times[0])
        return self._mix(in_p / duration, bias)

    def _mix(self, fraction_p: float, bias: Bias) -> tuple[float, float]:
        v_p, i_p = self._operating_point(STATE_P, bias)
        v_ap, i_ap = self._operating_point(STATE_AP, bias)
        f = fraction_p
        return f * v_p + (1 - f) * v_ap, f * i_p + (1 - f) * i_ap
