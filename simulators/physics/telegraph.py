"""Event-driven telegraph switching of batches of bistable MTJs (p-bits, pulsed writes, field sweeps).

Under a drive that is constant over an interval the dwell time in each state is exponential, so the
switching sequence is sampled exactly, switch by switch: the cost is proportional to the number of switches,
not to a time step. A piecewise-constant drive (pulse trains, sampled waveforms) is a sequence of such
intervals; a continuous drive is handled exactly by thinning against an upper bound of the rate
(:meth:`TelegraphMTJ.advance_drive`). Two physics:

- with ``alpha`` (the symmetric p-MTJ macrospin, valid in every regime): rates are the inverse mean dwell times
  of the macrospin's Fokker–Planck equation (τ0 follows from α, Hk and Δ as in Brown's theory, and depends on
  the drive), and the first switch after the drive changes follows the first-passage distribution from the
  thermal distribution the previous drive left: thermally activated, crossover and precessional switching
  (:mod:`mtjhw.simulators.physics.switching_laws`). Assumes each interval starts from the thermal
  distribution of the one before, i.e. drives that change in steps separated by more than the intra-well
  relaxation time τ_D/(2(1 − h − i)), or slowly;
- without (the common Néel–Brown approximation): the rate (1/τ0)·exp[−Δ(1 − h)²(1 − i)ⁿ] of
  :func:`mtjhw.simulators.physics.neel_brown.escape_rate` with a constant τ0, valid for pulses much longer
  than τ0 and currents below Ic0 (the rate saturates at 1/τ0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import switching_laws as laws
from .neel_brown import STATE_AP, STATE_P, escape_rate
from .switching_laws import ConstantDrive, SwitchLaw
from .tmr import resistance as tmr_resistance


@dataclass
class TelegraphParams:
    """Junction parameters (scalars or one entry per device); names are the bench file's.

    ``alpha`` selects the macrospin physics (then ``tau0`` must stay None: the attempt time follows from α,
    Hk and Δ); without it, the Néel–Brown approximation with attempt time ``tau0`` (default 1 ns).
    ``n_current`` defaults to 2 with ``alpha`` (exact for the symmetric p-MTJ: the barrier falls as
    Δ(1 − h − i)²) and to 1 without; with ``alpha``, n = 1 is Li & Zhang's effective damping α(1 − i).
    """

    delta: ArrayLike = 5.0  #: thermal stability factor at zero bias
    tau0: ArrayLike | None = None  #: attempt time (Néel–Brown mode), s; default 1e-9
    hk: ArrayLike = 0.08  #: effective anisotropy field, T
    h_offset: ArrayLike = 0.0  #: loop shift (stray field of the reference layer), T
    ic0: ArrayLike = 60e-6  #: zero-temperature critical current, A
    n_current: float | None = None  #: exponent of (1 − I/Ic0): 1 (common) or 2 (theory)
    r_p: ArrayLike = 5000.0  #: Ω
    tmr: ArrayLike = 1.2  #: zero-bias TMR ratio
    v_half: ArrayLike = 0.5  #: V
    temperature: ArrayLike = 300.0  #: temperature at which ``delta`` applies, K
    alpha: ArrayLike | None = None  #: Gilbert damping: the macrospin physics (None: Néel–Brown)


@dataclass
class TelegraphRecord:
    """Switch times (s, absolute) of each device during one :meth:`TelegraphMTJ.advance` call.

    ``initial_state`` is each device's state at ``t_start``; the state flips at every listed time.
    """

    t_start: float
    t_end: float
    initial_state: np.ndarray
    switch_times: list[np.ndarray]

    @property
    def n_switches(self) -> np.ndarray:
        return np.array([len(s) for s in self.switch_times])

    def dwell_times(self) -> tuple[np.ndarray, np.ndarray]:
        """Complete dwell times (s) in P and in AP, all devices pooled (censored first/last dropped)."""
        dw_p: list[np.ndarray] = []
        dw_ap: list[np.ndarray] = []
        for s0, times in zip(self.initial_state, self.switch_times, strict=True):
            if len(times) < 2:
                continue
            d = np.diff(times)
            # the dwell between switch k and k+1 is in the state reached after switch k
            first = -s0
            states = np.where(np.arange(len(d)) % 2 == 0, first, -first)
            dw_p.append(d[states == STATE_P])
            dw_ap.append(d[states == STATE_AP])
        return _concat(dw_p), _concat(dw_ap)


def _per_device(x: ArrayLike, n: int, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim > 1 or (a.ndim == 1 and a.shape[0] not in (1, n)):
        raise ValueError(f"{name} must be a scalar or have one entry per device ({n}), got shape {a.shape}")
    return np.broadcast_to(a, (n,)).copy()


def sample_interval(state: int, rate_p: float, rate_ap: float, duration: float, rng: np.random.Generator
                    ) -> tuple[int, float, int]:
    """One device's exact telegraph history over ``duration`` (s) at constant escape rates (1/s) out of P and
    AP: (final state, time spent in P, number of switches). The scalar counterpart of
    :meth:`TelegraphMTJ.advance` for callers that advance a single device many times (a bench DUT)."""
    t, in_p, switches = 0.0, 0.0, 0
    while True:
        rate = rate_p if state == STATE_P else rate_ap
        wait = rng.exponential(1.0 / rate) if rate > 0 else np.inf
        dwell = min(wait, duration - t)
        if state == STATE_P:
            in_p += dwell
        t += dwell
        if t >= duration:
            return state, in_p, switches
        state = -state
        switches += 1


class TelegraphMTJ:
    """A batch of ``n`` bistable junctions, their switching sampled exactly event by event.

    ``state`` holds ±1 (:data:`STATE_P` / :data:`STATE_AP`); ``time`` is the simulated time (s).
    Positive current and positive field favour P (see :mod:`mtjhw.simulators.physics.neel_brown`).
    With ``params.alpha``, ``tau0`` is the zero-drive attempt time (exact dwell·e^{−Δ}, s, for reference),
    ``tau_d`` the time unit τ_D of the dynamics and ``last_drive`` the drive the devices last saw (it sets the
    thermal distribution a new drive starts from).
    """

    def __init__(self, params: TelegraphParams | None = None, n: int = 1, state: ArrayLike = STATE_P):
        if n < 1:
            raise ValueError(f"n (number of devices) must be ≥ 1, got {n}")
        self.params = p = params if params is not None else TelegraphParams()
        self.n = n
        self.delta = _per_device(p.delta, n, "delta")
        self.hk = _per_device(p.hk, n, "hk")
        self.h_offset = _per_device(p.h_offset, n, "h_offset")
        self.ic0 = _per_device(p.ic0, n, "ic0")
        self.macrospin = p.alpha is not None
        if self.macrospin and p.tau0 is not None:
            raise ValueError("tau0 and alpha exclude each other: with alpha the attempt time follows from "
                             "alpha, hk and delta (brown.damping_for_attempt_time turns a tau0 into an alpha)")
        for name, v in (("delta", self.delta), ("hk", self.hk), ("ic0", self.ic0)):
            if np.any(~(v > 0)):
                raise ValueError(f"{name} must be > 0")
        self.n_current = float(p.n_current if p.n_current is not None else (2.0 if self.macrospin else 1.0))
        if self.n_current not in (1.0, 2.0):
            raise ValueError(f"n_current must be 1 or 2, got {p.n_current}")
        s = _per_device(state, n, "state")
        if np.any((s != STATE_P) & (s != STATE_AP)):
            raise ValueError("state entries must be +1 (P) or −1 (AP)")
        self.state = s.astype(int)
        self.time = 0.0
        self._t_ref = _per_device(p.temperature, n, "temperature")
        if np.any(~(self._t_ref > 0)):
            raise ValueError("temperature must be > 0 K")
        self.temperature = self._t_ref.copy()
        if self.macrospin:
            alpha = _per_device(p.alpha, n, "alpha")
            if np.any(~((alpha > 0) & (alpha <= 1))):
                raise ValueError("alpha must be in (0, 1]")
            self.tau_d = laws.dynamic_time(alpha, self.hk)
            self.last_drive = ConstantDrive()
            self.tau0 = 1.0 / (self._rates_now(ConstantDrive(field=self.h_offset))[0] * np.exp(self.delta_now))
        else:
            self.tau0 = _per_device(1e-9 if p.tau0 is None else p.tau0, n, "tau0")
            if np.any(~(self.tau0 > 0)):
                raise ValueError("tau0 must be > 0")

    def set_temperature(self, temperature: ArrayLike) -> None:
        """Change the temperature (K); the barrier scales as Δ(T) = delta·T_ref/T (Ic0 is unchanged)."""
        t = _per_device(temperature, self.n, "temperature")
        if np.any(~(t > 0)):
            raise ValueError("temperature must be > 0 K")
        self.temperature = t

    @property
    def delta_now(self) -> np.ndarray:
        """Thermal stability factor at the present temperature."""
        return self.delta * self._t_ref / self.temperature

    def current_at_voltage(self, voltage: ArrayLike, state: ArrayLike) -> np.ndarray:
        """Current (A) through devices in ``state`` under a bias ``voltage`` (V), bias-dependent TMR."""
        p = self.params
        v = np.asarray(voltage, dtype=float)
        return v / tmr_resistance(p.r_p, p.tmr, np.asarray(state, dtype=float), v, p.v_half)

    def rates(
        self, current: ArrayLike = 0.0, field: ArrayLike = 0.0, voltage: ArrayLike | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Escape rates (1/s) out of P and out of AP for each device at ``current`` (A) and ``field`` (T).

        With ``voltage`` (V) given instead, each state sees its own current V/R_state(V) (with ``alpha``: the
        current follows the conductance as the magnetisation turns).
        """
        if self.macrospin:
            return self._rates_now(ConstantDrive(current, field, voltage))
        h = np.asarray(field, dtype=float) - self.h_offset
        if voltage is not None:
            i_p, i_ap = self.current_at_voltage(voltage, STATE_P), self.current_at_voltage(voltage, STATE_AP)
        else:
            i_p = i_ap = current
        kw = dict(hk=self.hk, ic0=self.ic0, n_current=self.n_current)
        r_p = escape_rate(STATE_P, self.delta_now, self.tau0, field=h, current=i_p, **kw)
        r_ap = escape_rate(STATE_AP, self.delta_now, self.tau0, field=h, current=i_ap, **kw)
        return np.broadcast_to(r_p, (self.n,)), np.broadcast_to(r_ap, (self.n,))

    def _normalised(self, drive: ConstantDrive) -> tuple[np.ndarray, ...]:
        p = self.params
        return laws.normalised_drive(drive, self.n, self.hk, self.h_offset, self.ic0, p.r_p, p.tmr, p.v_half)

    def _rates_now(self, drive: ConstantDrive) -> tuple[np.ndarray, np.ndarray]:
        """Macrospin escape rates (1/s) out of P and AP under ``drive``."""
        h = self._normalised(drive)
        return tuple(laws.rates(s, self.delta_now, self.tau_d, h, self.n_current) for s in (STATE_P, STATE_AP))

    def switch_laws(self, state: ArrayLike, duration: float, drive: ConstantDrive,
                    before: ConstantDrive | None = None) -> tuple[list[SwitchLaw], np.ndarray]:
        """(Macrospin physics.) The law of the first switch of each device out of ``state`` (±1 per device)
        during ``duration`` (s) of ``drive``, from the thermal distribution of ``before`` (default: the drive the
        devices last saw): the distinct laws and the index of each device's law."""
        if not self.macrospin:
            raise ValueError("switch laws need the macrospin physics (TelegraphParams.alpha)")
        before = self.last_drive if before is None else before
        s = np.broadcast_to(np.asarray(state, dtype=float), (self.n,))
        return laws.switch_laws(s, duration, self.delta_now, self.tau_d, self._normalised(drive),
                                self._normalised(before), self.n_current)

    def mean_dwell_times(
        self, current: ArrayLike = 0.0, field: ArrayLike = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean dwell times (s) in P and AP under a constant drive."""
        r_p, r_ap = self.rates(current, field)
        return 1.0 / r_p, 1.0 / r_ap

    def advance(
        self,
        duration: float,
        rng: np.random.Generator,
        current: ArrayLike = 0.0,
        field: ArrayLike = 0.0,
        record: bool = False,
        voltage: ArrayLike | None = None,
    ) -> TelegraphRecord | None:
        """Evolve every device for ``duration`` (s) under a constant ``current`` (A) and ``field`` (T),
        or a constant ``voltage`` (V) bias instead of the current.

        Exact: dwell times are drawn from the exponential distributions, in blocks sized by the expected
        number of switches (with ``alpha``, the first switch from its law, :meth:`switch_laws`). Returns the
        switch times when ``record`` is true.
        """
        if not duration >= 0:
            raise ValueError(f"duration must be ≥ 0 s, got {duration}")
        r_p, r_ap = self.rates(current, field, voltage)
        t0 = self.time
        initial = self.state.copy()
        events: list[list[np.ndarray]] = [[] for _ in range(self.n)] if record else []
        t = np.zeros(self.n)
        active = np.flatnonzero((r_p > 0) | (r_ap > 0))
        if self.macrospin:
            drive = ConstantDrive(current, field, voltage)
            active = self._first_switches(duration, drive, rng, t, events if record else None, t0)
            self.last_drive = drive
        while active.size:
            s = self.state[active]
            r_here = np.where(s == STATE_P, r_p[active], r_ap[active])
            r_there = np.where(s == STATE_P, r_ap[active], r_p[active])
            expected = (
                (duration - t[active])
                * 2.0
                / (1.0 / np.maximum(r_here, 1e-300) + 1.0 / np.maximum(r_there, 1e-300))
            )
            # block of dwell draws per device, sized to the expected switches and capped in memory
            k = int(np.clip(np.max(expected) * 1.2 + 8, 8, max(8, min(65536, 2_000_000 // active.size))))
            k += k % 2
            e = rng.standard_exponential((active.size, k))
            rates_seq = np.empty((active.size, k))
            rates_seq[:, 0::2] = r_here[:, None]
            rates_seq[:, 1::2] = r_there[:, None]
            with np.errstate(divide="ignore"):
                cum = t[active, None] + np.cumsum(e / rates_seq, axis=1)
            n_sw = np.sum(cum < duration, axis=1)
            if record:
                for row, dev in enumerate(active):
                    events[dev].append(t0 + cum[row, : n_sw[row]])
            self.state[active] = np.where(n_sw % 2 == 1, -s, s)
            finished = n_sw < k
            t[active[~finished]] = cum[~finished, -1]
            active = active[~finished]
        self.time = t0 + duration
        if not record:
            return None
        times = [np.concatenate(ev) if ev else np.empty(0) for ev in events]
        return TelegraphRecord(t0, self.time, initial, times)

    def _first_switches(self, duration: float, drive: ConstantDrive, rng: np.random.Generator, t: np.ndarray,
                        events: list[list[np.ndarray]] | None, t0: float) -> np.ndarray:
        """Draw each device's first switch from its law: flip the devices that switch, put their switch time in
        ``t`` (and ``events``); return them (the devices that go on switching by the Markov rates)."""
        found, which = self.switch_laws(self.state, duration, drive) if duration > 0 else ([], np.empty(0, int))
        u = rng.random(self.n)
        switched = np.zeros(self.n, dtype=bool)
        for k, law in enumerate(found):
            mine = np.flatnonzero((which == k) & (u < law.probability))
            t[mine] = law.time(u[mine] / law.probability)
            switched[mine] = True
        devices = np.flatnonzero(switched)
        self.state[devices] *= -1
        if events is not None:
            for dev in devices:
                events[dev].append(np.array([t0 + t[dev]]))
        return devices

    def advance_waveform(
        self,
        durations: ArrayLike,
        rng: np.random.Generator,
        currents: ArrayLike = 0.0,
        fields: ArrayLike = 0.0,
        record: bool = False,
    ) -> TelegraphRecord | None:
        """Evolve through constant segments: ``durations`` (s), ``currents`` (A), ``fields`` (T)."""
        d = np.atleast_1d(np.asarray(durations, dtype=float))
        cur = np.broadcast_to(np.asarray(currents, dtype=float), d.shape + np.shape(currents)[1:])
        fld = np.broadcast_to(np.asarray(fields, dtype=float), d.shape + np.shape(fields)[1:])
        t0, initial = self.time, self.state.copy()
        parts = []
        for i in range(d.size):
            parts.append(self.advance(d[i], rng, cur[i], fld[i], record=record))
        if not record:
            return None
        times = [np.concatenate([p.switch_times[j] for p in parts]) for j in range(self.n)]
        return TelegraphRecord(t0, self.time, initial, times)

    def advance_drive(
        self,
        duration: float,
        rng: np.random.Generator,
        current: Callable[[np.ndarray], np.ndarray] | None = None,
        field: Callable[[np.ndarray], np.ndarray] | None = None,
        max_current: float = 0.0,
        max_field: float = 0.0,
    ) -> None:
        """Evolve under a continuous drive, exactly, by thinning.

        ``current(t)`` (A) and ``field(t)`` (T) take absolute times (s, array) and return one value per
        time; ``max_current``/``max_field`` bound their magnitudes over the interval and give the upper
        bound of both rates used to propose events, each accepted with probability rate(t)/bound.
        """
        h0 = self.h_offset
        bound = np.maximum(*self._bound_rates(abs(max_current), abs(max_field), h0))
        t = np.full(self.n, self.time)
        t_end = self.time + duration
        active = np.arange(self.n)
        while active.size:
            t[active] += rng.standard_exponential(active.size) / bound[active]
            active = active[t[active] < t_end]
            if not active.size:
                break
            ta = t[active]
            i = current(ta) if current is not None else np.zeros(active.size)
            h = (field(ta) if field is not None else np.zeros(active.size)) - h0[active]
            s = self.state[active]
            r = self._rate_out(s, active, h, i)
            if np.any(r > bound[active] * (1 + 1e-9)):
                raise ValueError("max_current/max_field do not bound the drive: rate exceeds its bound")
            flip = rng.random(active.size) * bound[active] < r
            self.state[active[flip]] = -s[flip]
        self.time = t_end
        if self.macrospin:
            self.last_drive = ConstantDrive(current(np.full(self.n, t_end)) if current is not None else 0.0,
                                            field(np.full(self.n, t_end)) if field is not None else 0.0)

    def _rate_out(self, s: np.ndarray, devices: np.ndarray, h: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Escape rates (1/s) out of states ``s`` of ``devices`` at H − h_offset = ``h`` (T) and current ``i`` (A)."""
        if not self.macrospin:
            return escape_rate(s, self.delta_now[devices], self.tau0[devices], h, self.hk[devices], i,
                               self.ic0[devices], self.n_current)
        drive = (h / self.hk[devices], i / self.ic0[devices], np.zeros(devices.size))
        return laws.rates(s, self.delta_now[devices], self.tau_d[devices], drive, self.n_current)

    def _bound_rates(self, i_max: float, h_max: float, h0: np.ndarray) -> list[np.ndarray]:
        """Largest escape rates out of P and AP for |I| ≤ i_max, |H| ≤ h_max (most destabilising drive)."""
        every = np.arange(self.n)
        return [self._rate_out(np.full(self.n, float(s)), every, -s * h_max - h0, np.full(self.n, -s * i_max))
                for s in (STATE_P, STATE_AP)]

    def apply_pulse(
        self, amplitude: ArrayLike, width: float, rng: np.random.Generator, field: ArrayLike = 0.0
    ) -> np.ndarray:
        """Apply a rectangular current pulse (A, s); returns which devices changed state. Exact, including
        back-switching during the pulse."""
        before = self.state.copy()
        self.advance(width, rng, current=amplitude, field=field)
        return self.state != before

    def resistance(self, voltage: ArrayLike = 0.0) -> np.ndarray:
        """Resistance (Ω) of each device in its present state at bias ``voltage`` (V)."""
        p = self.params
        return tmr_resistance(p.r_p, p.tmr, self.state.astype(float), voltage, p.v_half)


class HysteresisDwellCounter:
    """Streaming dwell-time analysis of time-stepped traces of ``n`` devices.

    A switch into + is counted when the signal rises above ``threshold`` after having been below
    −``threshold`` (and vice versa), so recrossings near the barrier top are not switches. Feed consecutive
    chunks (n, n_samples) sampled every ``dt`` s to :meth:`update`; only complete dwells are kept.
    """

    def __init__(self, n: int, dt: float, threshold: float = 0.5):
        if not 0 <= threshold < 1 or dt <= 0:
            raise ValueError(f"need 0 ≤ threshold < 1 and dt > 0 (got {threshold}, {dt})")
        self.dt, self.threshold = dt, threshold
        self._level = np.zeros(n, dtype=np.int8)  # 0: not yet classified
        self._t_switch = np.full(n, np.nan)  # time of the last switch (nan: none seen yet)
        self._samples = 0
        self._plus: list[np.ndarray] = []
        self._minus: list[np.ndarray] = []

    def update(self, x: ArrayLike) -> None:
        x = np.asarray(x, dtype=float).reshape(self._level.size, -1)
        lv = np.where(x > self.threshold, 1, np.where(x < -self.threshold, -1, 0)).astype(np.int8)
        for j in range(lv.shape[0]):
            idx = np.flatnonzero(lv[j])
            if not idx.size:
                continue
            seq = np.concatenate(([self._level[j]], lv[j, idx]))
            change = np.flatnonzero((np.diff(seq) != 0) & (seq[:-1] != 0))
            if change.size:
                t_sw = (self._samples + idx[change]) * self.dt
                d = np.diff(np.concatenate(([self._t_switch[j]], t_sw)))
                states = seq[change]  # state each dwell ended in
                keep = ~np.isnan(d)
                self._plus.append(d[keep & (states == 1)])
                self._minus.append(d[keep & (states == -1)])
                self._t_switch[j] = t_sw[-1]
            self._level[j] = seq[-1]
        self._samples += x.shape[1]

    def dwell_times(self) -> tuple[np.ndarray, np.ndarray]:
        """(dwell times in +, dwell times in −), s, all devices pooled."""
        return _concat(self._plus), _concat(self._minus)


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0)


def dwell_times_from_trace(x: ArrayLike, dt: float, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Complete dwell times (s) in + and − of traces ``x`` (n, n_samples); see HysteresisDwellCounter."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    counter = HysteresisDwellCounter(x.shape[0], dt, threshold)
    counter.update(x)
    return counter.dwell_times()
