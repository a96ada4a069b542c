"""Bench DUT adapters around the physics models: what an instrument sees of a two-terminal device.

Every DUT of a virtual bench offers ``operating_point(bias)`` (V, I now), ``advance(duration, bias, field, rng)``
(evolve under a constant drive, return the time-averaged (V, I)), ``reading_noise(rng, nplc)`` and ``broken``
(the barrier broke down under the stress so far: time-dependent dielectric breakdown).
:class:`~mtjhw.simulators.bench.pmtj.PerpendicularMTJ` is the two-state junction; this module adds the
oscillator and the domain-wall synapse.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from mtjhw.simulators.physics.breakdown import Barrier, BreakdownLaw
from mtjhw.simulators.physics.crossbar import CrossbarArray, CrossbarParams
from mtjhw.simulators.physics.resistance_noise import ResistanceNoise
from mtjhw.simulators.physics.stno import STNO, STNOParams, at_temperature
from mtjhw.simulators.physics.synapse import DomainWallParams, DomainWallSynapse
from mtjhw.simulators.physics.thermal_scaling import ThermalScaling

from .bias import Bias
from .rf import RfDrive

#: random stream of the barrier lives, apart from a device's other seeded draws
LIFE_STREAM = 0xBD


class TwoTerminalDevice(ABC):
    """Shared operating-point, breakdown and read-noise behaviour of bench DUTs.

    Breakdown is time dependent (Weibull, E-model: :mod:`mtjhw.simulators.physics.breakdown`): ``v_breakdown`` V
    is where the characteristic time to breakdown is 1 s, ``gamma_breakdown`` 1/V its voltage acceleration,
    ``weibull_beta`` the Weibull shape, ``seed`` draws the device's life (of each of its ``cells``, if any)."""

    def __init__(self, read_noise: float, v_breakdown: float, r_short: float, *, weibull_beta: float = 2.0,
                 gamma_breakdown: float = 20.0, seed: int = 0, cells: tuple[int, ...] = ()) -> None:
        if read_noise < 0 or not v_breakdown > 0 or not r_short > 0:
            raise ValueError("read_noise must be >= 0, v_breakdown and r_short > 0")
        self.read_noise, self.v_breakdown, self.r_short = read_noise, v_breakdown, r_short
        self.breakdown_law = BreakdownLaw(v_breakdown, gamma_breakdown, weibull_beta)
        #: the barrier (its life drawn from ``seed``), damaged by every interval under bias
        self.barrier = Barrier(self.breakdown_law, np.random.default_rng([seed, LIFE_STREAM]), cells)
        self.broken = False
        #: 1/f and telegraph resistance fluctuations on the bench clock (none unless the bench file sets them)
        self.resistance_noise = ResistanceNoise()
        #: V on the bias tee's AC port now (set by the bench); devices with a separate write path use it
        self.ac_voltage = 0.0

    @abstractmethod
    def resistance(self, voltage: float) -> float:
        """Resistance (Ω) in the present state at bias ``voltage`` (V)."""

    @abstractmethod
    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        """Evolve for ``duration`` (s) under constant ``bias`` and ``field_t`` (T); return the time-averaged (V, I)."""

    def _r(self, voltage: float) -> float:
        return self.r_short if self.broken else self.resistance(voltage)

    def operating_point(self, bias: Bias, resistance: Callable[[float], float] | None = None
                        ) -> tuple[float, float]:
        """(V, I) across the device for ``bias`` (a current source solves V = I·R(V)); ``resistance`` R(V)
        defaults to the device's present one."""
        r = resistance or self._r
        if bias.mode == "V":
            return bias.level, bias.level / r(bias.level)
        v = bias.level * r(0.0)
        for _ in range(30):  # R(V) is smooth and weakly varying: the fixed point converges fast
            v_new = bias.level * r(v)
            if abs(v_new - v) <= 1e-12 * max(abs(v), 1e-12):
                break
            v = v_new
        return v, bias.level

    def _check_breakdown(self, bias: Bias, duration: float) -> None:
        """Damage the barrier by ``duration`` s at the operating point of ``bias``; it shorts for good once the
        damage reaches its life (:class:`~mtjhw.simulators.physics.breakdown.Barrier`)."""
        if not self.broken and duration > 0:
            self.broken = bool(self.barrier.stress(self.operating_point(bias)[0], duration))

    def reading_noise(self, rng: np.random.Generator, nplc: float, start: float | None = None,
                      duration: float = 0.0) -> float:
        """Relative resistance fluctuation of one reading integrated over ``nplc`` line cycles: the white read
        noise, plus the resistance noise averaged over the reading's window [``start``, ``start`` + ``duration``]
        (s, bench clock) when it is given."""
        white = self.read_noise * rng.standard_normal() / np.sqrt(max(nplc, 0.01))
        if start is None or not self.resistance_noise.enabled:
            return white
        return white + float(self.resistance_noise.windows([start], [duration], rng)[0])

    def resistance_fluctuation(self, start: float, dt: float, n: int, rng: np.random.Generator) -> np.ndarray:
        """δR/R averaged over each of ``n`` contiguous samples of ``dt`` s from ``start`` s (a scope record);
        zeros, drawing nothing, when the device has no resistance noise."""
        if not self.resistance_noise.enabled:
            return np.zeros(n)
        return self.resistance_noise.record(start, dt, n, rng)


class OscillatorDevice(TwoTerminalDevice):
    """``model: stno``: an in-plane MTJ oscillator (:class:`mtjhw.simulators.physics.stno.STNO`) on the bench.

    Its DC resistance is the physics model's at the bias current; its microwave emission (``emission_psd``, locked
    to or pulled by the RF drive when one is given) and its spin-diode response (``rectified_voltage``, with the
    damping the DC bias current of the last interval leaves) are what RF instruments read. The threshold, the
    nonlinear shift and damping follow from the torques at the field unless the bench file gives ``i_th``,
    ``nonlinearity``, ``q``. Parameters: those of :class:`~mtjhw.simulators.physics.stno.STNOParams` plus
    ``read_noise``, ``v_breakdown`` (V), ``gamma_breakdown`` (1/V), ``weibull_beta``, ``r_short`` (Ω) and ``seed``
    (of the barrier's life). Temperature: ``temperature`` K is the bath (the stage); the other parameters are
    those at ``t_ref`` K (default: ``temperature``), and Ms, μ0Meff, TMR and R_P follow the bath
    (:func:`~mtjhw.simulators.physics.stno.at_temperature`, with the p-MTJ's ``t_curie`` K,
    ``anisotropy_exponent``, ``polarisation_a`` K^-3/2 and ``rp_tcr`` 1/K).
    """

    def __init__(self, *, read_noise: float = 2e-4, v_breakdown: float = 1.5, r_short: float = 50.0,
                 weibull_beta: float = 2.0, gamma_breakdown: float = 20.0, seed: int = 0, t_ref: float | None = None,
                 t_curie: float = ThermalScaling.t_curie,
                 anisotropy_exponent: float = ThermalScaling.anisotropy_exponent,
                 polarisation_a: float = ThermalScaling.polarisation_a, rp_tcr: float = ThermalScaling.rp_tcr,
                 **params: float) -> None:
        super().__init__(read_noise, v_breakdown, r_short, weibull_beta=weibull_beta,
                         gamma_breakdown=gamma_breakdown, seed=seed)
        at_bath = STNOParams(**params)
        self.thermal = ThermalScaling(at_bath.temperature if t_ref is None else t_ref, t_curie,
                                      anisotropy_exponent, polarisation_a, rp_tcr)
        self._at_t_ref = replace(at_bath, temperature=self.thermal.t_ref)
        self._resistance_cache: dict[float, float] = {}
        #: DC current (A) through the junction during the last interval
        self.current = 0.0
        self.temperature = at_bath.temperature

    @property
    def temperature(self) -> float:
        """Bath (stage) temperature, K: Ms, μ0Meff (so the frequency, damping and threshold), the thermal
        linewidth, R_P and TMR follow it."""
        return self.physics.params.temperature

    @temperature.setter
    def temperature(self, value: float) -> None:
        self.physics = STNO(at_temperature(self._at_t_ref, self.thermal, value))
        self._resistance_cache.clear()

    def resistance(self, voltage: float) -> float:
        """R at bias ``voltage``: the physics model's R(I) at the current I that satisfies I·R(I) = V (cached:
        sources revisit the same levels)."""
        cached = self._resistance_cache.get(voltage)
        if cached is not None:
            return cached
        r = float(self.physics.resistance(0.0))
        for _ in range(30):
            r_new = float(self.physics.resistance(voltage / r))
            if abs(r_new - r) <= 1e-12 * r:
                break
            r = r_new
        if len(self._resistance_cache) > 4096:
            self._resistance_cache.clear()
        self._resistance_cache[voltage] = r
        return r

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        self._check_breakdown(bias, duration)
        v, self.current = self.operating_point(bias)
        return v, self.current

    def rectified_voltage(self, frequency: float, field_t: float, rf_power: float) -> float:
        """Spin-torque diode DC voltage (V) for ``rf_power`` W at ``frequency`` Hz in ``field_t`` T under the DC
        bias of the last interval; 0 at or above the threshold, where the oscillator's own rectification (it
        locks to the drive) is not modelled."""
        if rf_power <= 0 or field_t <= 0 or self.broken:
            return 0.0
        if float(self.physics.supercriticality(self.current, field_t)) >= 1:
            return 0.0
        return float(self.physics.diode_voltage(frequency, field_t, rf_power, current=self.current))

    def emission_psd(self, frequencies: np.ndarray, current: float, field_t: float,
                     rf: RfDrive | None = None) -> np.ndarray:
        """Power spectral density (W/Hz) the oscillator delivers into a 50 Ω line at ``current`` A, locked to or
        pulled by the microwave drive ``rf`` when it is on."""
        if field_t <= 0 or self.broken:
            return np.zeros_like(np.asarray(frequencies, dtype=float))
        return self.physics.psd(frequencies, current, field_t, **self._drive(rf))

    def line_frequency(self, current: float, field_t: float, rf: RfDrive | None = None) -> float:
        """Frequency (Hz) of the emission line: the generation frequency, or where the drive ``rf`` holds it."""
        drive = self._drive(rf)
        if not drive:
            return float(self.physics.frequency(current, field_t))
        return self.physics.locked_frequency(current, field_t, drive["rf_frequency"], drive["rf_power"])

    @staticmethod
    def _drive(rf: RfDrive | None) -> dict[str, float]:
        return {"rf_frequency": rf.frequency, "rf_power": rf.mean_power} if rf is not None and rf.on else {}


class DomainWallDevice(TwoTerminalDevice):
    """``model: dw-synapse``: a three-terminal domain-wall MTJ synapse
    (:class:`~mtjhw.simulators.physics.synapse.DomainWallSynapse`) with its write track and MTJ driven from one port.

    Pulses on the bias tee's AC port drive ``V_pulse / r_write`` through the write track (``r_write`` Ω) while
    the DC port biases the MTJ for reading: positive write current moves
    the wall toward the P end (potentiation), negative toward AP (depression), by flow above ``i_dep`` and by
    thermally activated creep below; the MTJ, whose conductance follows the wall, is what readings measure.
    Parameters: those of :class:`~mtjhw.simulators.physics.synapse.DomainWallParams` plus ``r_write``, ``read_noise``,
    ``v_breakdown``, ``gamma_breakdown``, ``weibull_beta``, ``r_short``, ``seed`` of the device-to-device site
    jitter and the barrier's life, and ``site`` (initial pinning
    site, 0 = AP end).
    """

    def __init__(self, *, r_write: float = 1000.0, read_noise: float = 2e-4, v_breakdown: float = 1.5,
                 r_short: float = 150.0, weibull_beta: float = 2.0, gamma_breakdown: float = 20.0, seed: int = 0,
                 site: int = 0, **params: float) -> None:
        super().__init__(read_noise, v_breakdown, r_short, weibull_beta=weibull_beta,
                         gamma_breakdown=gamma_breakdown, seed=seed)
        if not r_write > 0:
            raise ValueError(f"r_write must be > 0, got {r_write!r}")
        self.r_write = r_write
        p = DomainWallParams(**params)
        self.physics = DomainWallSynapse(p, n=1, rng=np.random.default_rng(seed))
        if not 0 <= site < p.n_sites:
            raise ValueError(f"site must be in 0..{p.n_sites - 1}, got {site}")
        self.physics.site[:] = site

    def resistance(self, voltage: float) -> float:
        return float(self.physics.resistance(voltage)[0])

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        self._check_breakdown(bias, duration)
        if duration > 0 and not self.broken:
            self.physics.apply_pulse(self.ac_voltage / self.r_write, duration, rng)
        return self.operating_point(bias)


#: Matrix rows (HI, LO) that each source is cabled to, by the role it fills: the source-meter on A/B, the
#: delta-mode current source on C/D (with the 2182A's input across them at the matrix: two-wire at the cell).
BUS_ROWS = {"smu": ("A", "B"), "resistance": ("C", "D")}


def crosspoint_of_line(kind: str, index: int, bus: str = "smu") -> str:
    """707B crosspoint that connects array line ``index`` (1-based) to the rows of ``bus`` (:data:`BUS_ROWS`).

    Word lines (``kind`` 'word') sit on the odd slots 1, 3, 5 and are driven from the bus's HI row (A for the
    SMU); bit lines ('bit') on the even slots 2, 4, 6 and return through its LO row (B); 12 lines per card.
    """
    if index < 1 or index > 36:
        raise ValueError(f"line {index} is outside 1..36 (three 12-column cards per line kind)")
    if bus not in BUS_ROWS:
        raise ValueError(f"bus must be one of {', '.join(BUS_ROWS)}, got {bus!r}")
    high, low = BUS_ROWS[bus]
    slot = 2 * ((index - 1) // 12) + (1 if kind == "word" else 2)
    return f"{slot}{high if kind == 'word' else low}{(index - 1) % 12 + 1:02d}"


class ArrayDevice(TwoTerminalDevice):
    """``model: array``: a crossbar of MTJs (:class:`~mtjhw.simulators.physics.crossbar.CrossbarArray`) behind a
    switch matrix (:func:`crosspoint_of_line` gives the wiring).

    Each source reaches the cells through its own rows of the matrix (:data:`BUS_ROWS`, by the role it fills) and
    sees the cells at the crossings of the word lines switched to its HI row and the bit lines switched to its LO
    row, in parallel (a 1-selector-1-MTJ array: unselected lines float and carry no sneak current). The DUT
    presents the cells of one ``bus``: the one the driving source is cabled to (:meth:`drive_from`), or, when the
    switch routes cells to one bus only and the present one reaches none, that one (the source cabled there
    drives next; the virtual bench keeps any other source's bias off them).
    A current through a selected cell switches it with the Néel–Brown probability for its size and duration
    (positive current writes P): write pulses do, a small read current in practice never does. Each cell's
    barrier breaks down on its own (Weibull TDDB, the cells' lives drawn from ``seed``) and shorts that cell to
    ``r_short``. Parameters: ``rows``, ``cols`` (≤ 36), ``seed`` of the device-to-device variability, those of
    :class:`~mtjhw.simulators.physics.crossbar.CrossbarParams`, and ``v_breakdown``, ``gamma_breakdown``,
    ``weibull_beta``, ``r_short``.
    """

    r_open = 1e12  # Ω: nothing selected

    def __init__(self, *, rows: int = 8, cols: int = 8, seed: int = 0, read_noise: float = 2e-4,
                 v_breakdown: float = 1.5, r_short: float = 150.0, weibull_beta: float = 2.0,
                 gamma_breakdown: float = 20.0, **params: float) -> None:
        if not (1 <= rows <= 36 and 1 <= cols <= 36):
            raise ValueError(f"rows and cols must be in 1..36, got {rows}×{cols}")
        super().__init__(read_noise, v_breakdown, r_short, weibull_beta=weibull_beta,
                         gamma_breakdown=gamma_breakdown, seed=seed, cells=(rows, cols))
        self.physics = CrossbarArray(rows, cols, CrossbarParams(**params), rng=np.random.default_rng(seed))
        self.physics.r_short = r_short
        self._unrouted = np.zeros((rows, cols), dtype=bool)
        #: (rows, cols) cells each bus reaches through the closed crosspoints
        self.routes = {bus: self._unrouted for bus in BUS_ROWS}
        self.bus = "smu"

    @property
    def selected(self) -> np.ndarray:
        """(rows, cols) cells in parallel across the present bus (none for a bus the matrix does not serve)."""
        return self.routes.get(self.bus, self._unrouted)

    def connect(self, closed: set[str]) -> None:
        """Route each bus through the crosspoints ``closed`` on the switch matrix."""
        self.routes = {bus: self._routed(closed, bus) for bus in BUS_ROWS}
        routed = [bus for bus, cells in self.routes.items() if cells.any()]
        if not self.selected.any() and len(routed) == 1:
            self.bus = routed[0]

    def _routed(self, closed: set[str], bus: str) -> np.ndarray:
        words = np.array([crosspoint_of_line("word", r + 1, bus) in closed for r in range(self.physics.rows)])
        bits = np.array([crosspoint_of_line("bit", c + 1, bus) in closed for c in range(self.physics.cols)])
        return words[:, None] & bits[None, :]

    def drive_from(self, bus: str) -> None:
        """A source cabled to ``bus`` (a role; one the matrix does not serve reaches no cell) drives the DUT."""
        self.bus = bus

    def resistance(self, voltage: float) -> float:
        if not self.selected.any():
            return self.r_open
        return float(1.0 / self.physics.conductances(voltage)[self.selected].sum())

    def _check_breakdown(self, bias: Bias, duration: float) -> None:
        """Damage the barriers of the selected cells (in parallel: each at the operating voltage)."""
        if duration > 0 and self.selected.any():
            self.physics.broken = self.barrier.stress(self.operating_point(bias)[0], duration, self.selected)

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        self._check_breakdown(bias, duration)
        v, _ = self.operating_point(bias)
        if duration > 0 and not self.broken and self.selected.any():
            cells = np.argwhere(self.selected)
            g = self.physics.conductances(v)
            for row, col in cells:
                current = v * g[row, col]
                target = 1 if current > 0 else -1
                if current and rng.random() < self.physics.write_probability(row, col, target, current, duration):
                    self.physics.state[row, col] = target
        return self.operating_point(bias)


class ShortedJunction(TwoTerminalDevice):
    """A die whose barrier has pinholes: an ohmic ``r_short`` Ω with no TMR and nothing to switch."""

    def __init__(self, *, r_short: float = 150.0, read_noise: float = 2e-4, seed: int = 0) -> None:
        super().__init__(read_noise, 1.5, r_short, seed=seed)
        self.broken = True

    def resistance(self, voltage: float) -> float:
        return self.r_short

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        return self.operating_point(bias)


class OpenJunction(TwoTerminalDevice):
    """A die the probes do not reach (no contact, a broken via): ``r_open`` Ω, i.e. no current to speak of."""

    r_open = 1e9  # Ω

    def __init__(self, *, read_noise: float = 2e-4, seed: int = 0) -> None:
        super().__init__(read_noise, 1.5, self.r_open, seed=seed)

    def resistance(self, voltage: float) -> float:
        return self.r_open

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        return self.operating_point(bias)
