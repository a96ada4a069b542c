"""The TDC's tapped delay line: a Zynq-7000 carry chain sampled at every carry output, and its behavioural model.

In silicon (:class:`CarryChainDelayLine`) the stop (the comparator edge) enters the CYINIT of a column of CARRY4
primitives whose select inputs are all 1, so the edge ripples up the chain; the flip-flops of each slice sample
its four carry outputs at every clock edge and a second register stage resynchronises them (``ASYNC_REG``; the
TDC sees the taps one cycle late, a constant offset that calibration removes with the rest). The placement
(:func:`mtjhw.gateware.pynq_z2.constraints`) puts the chain in one slice column from its bottom and each
sampling flip-flop in the slice of the carry output it samples. Amaranth's simulator treats ``Instance``
primitives as black boxes, so simulations drive the TDC's ``taps_in`` from :class:`DelayLineModel` instead.

:class:`DelayLineModel` is a chain of taps with per-tap delays and per-tap sampling skew. Its figures for the
7-series (:meth:`DelayLineModel.carry_chain`): ~20 ps per carry bit on average — the data sheet's
CIN→COUT bypass delay (T_BYP, DS187 for the Zynq-7000) is of the order of 0.1 ns per CARRY4 at the −1 slow
corner, and 28 nm 7-series delay lines measure 10–20 ps mean bins (H. Chen, Y. Zhang, D. D.-U. Li, "A low
nonlinearity, missing-code free time-to-digital converter based on 28-nm FPGAs with embedded bin-width
calibrations", IEEE Trans. Instrum. Meas. 66(7), 2017) — with the uneven pattern of the four outputs of a CARRY4
(its carry look-ahead makes alternate bins narrow and wide) and a longer hop between slices and between clock
regions (the "ultra-wide bins" of J. Wu, Z. Shi, "The 10-ps wave union TDC", IEEE NSS 2008). Each sampling
flip-flop sees its carry output with its own offset (clock skew plus the route from the carry output to the
flip-flop, ~8 ps rms here), so narrow bins come out of order: the sampled thermometer has
bubbles, which the TDC's ones-counter absorbs (S. Engström, "A 1.8 ps TDC ... using a ones-counter encoding
scheme", LiTH-ISY-EX--20/5343--SE, 2020). Delays drift with temperature and supply (:func:`delay_scale`: +2.5 %
per 10 K, an assumed figure of the few %/10 K order that carry-chain TDCs show, cf. the temperature study of
M. W. Fishburn et al., "A 19.6 ps, FPGA-based TDC with multiple channels for open source applications", IEEE
Trans. Nucl. Sci. 60(3), 2013; the supply through T. Sakurai, A. R. Newton's alpha-power law, IEEE JSSC 25(2),
1990); the chain's length is whatever these give, not the clock period, and the host learns the bins by
code-density calibration (:mod:`mtjhw.gateware.calibration`).
"""

from __future__ import annotations

import numpy as np
from amaranth import Cat, Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

BIT_DELAYS = (10e-12, 28e-12, 12e-12, 22e-12)  # s, CO0..CO3 of a CARRY4 at 25 °C, 1.0 V (mean 18 ps)
SLICE_HOP = 8e-12  # s, COUT to the next slice's CIN (added to its CO0): 20 ps per bit over a CARRY4
REGION_HOP = 50e-12  # s, extra where the chain crosses into the next clock region
CLOCK_REGION_HEIGHT = 50  # CLBs (slices of one column) in a 7-series clock region
REFERENCE_TEMPERATURE = 25.0  # °C
NOMINAL_VCCINT = 1.0  # V
TEMPERATURE_COEFFICIENT = 2.5e-3  # 1/K: carry delays grow ~2.5 % per 10 K
THRESHOLD_VOLTAGE, ALPHA = 0.4, 1.3  # V, Sakurai–Newton alpha-power law: delay ∝ V / (V − V_th)^α


def delay_scale(temperature: float = REFERENCE_TEMPERATURE, voltage: float = NOMINAL_VCCINT) -> float:
    """Carry delay at ``temperature`` (°C) and core supply ``voltage`` (V) relative to 25 °C, 1.0 V: linear in
    temperature, the alpha-power law in voltage (−1.2 % per +10 mV at 1.0 V)."""
    if not THRESHOLD_VOLTAGE < voltage:
        raise ValueError(f"voltage must exceed the {THRESHOLD_VOLTAGE} V threshold, got {voltage} V")

    def alpha_power(v: float) -> float:
        return v / (v - THRESHOLD_VOLTAGE) ** ALPHA

    thermal = 1 + TEMPERATURE_COEFFICIENT * (temperature - REFERENCE_TEMPERATURE)
    return thermal * alpha_power(voltage) / alpha_power(NOMINAL_VCCINT)


class DelayLineModel:
    """A chain of taps as the sampling flip-flops see it: tap i reads 1 at a clock edge when the stop entered the
    chain at least ``thresholds[i]`` (s) before it — its propagation delay (``delays`` summed, s at 25 °C and
    1.0 V, scaled by :func:`delay_scale` at the present ``temperature`` and ``voltage``) plus its flip-flop's
    clock ``skew`` (s). ``clock_period`` (s) is the sampling clock's."""

    def __init__(self, delays: np.ndarray, clock_period: float, skew: np.ndarray | None = None,
                 temperature: float = REFERENCE_TEMPERATURE, voltage: float = NOMINAL_VCCINT) -> None:
        delays = np.asarray(delays, dtype=float)
        if delays.ndim != 1 or delays.size < 2 or np.any(delays <= 0) or not clock_period > 0:
            raise ValueError("need at least 2 positive tap delays (s) and clock_period > 0")
        self.skew = np.zeros(delays.size) if skew is None else np.asarray(skew, dtype=float)
        if self.skew.shape != delays.shape:
            raise ValueError(f"skew needs one value per tap ({delays.size}), got {self.skew.shape}")
        self.delays, self.clock_period = delays, clock_period
        self.set_conditions(temperature, voltage)

    @classmethod
    def carry_chain(cls, carry4s: int, clock_period: float, rng: np.random.Generator, spread: float = 0.1,
                    skew: float = 8e-12, **conditions: float) -> DelayLineModel:
        """A 7-series chain of ``carry4s`` CARRY4 (4 taps each): the pattern :data:`BIT_DELAYS` with the slice
        and clock-region hops, each delay scaled by a normal draw of relative rms ``spread`` (process), and
        normal sampling skew of rms ``skew`` (s)."""
        if carry4s < 1 or not 0 <= spread < 0.5:
            raise ValueError("need carry4s >= 1 and 0 <= spread < 0.5")
        nominal = np.tile(BIT_DELAYS, carry4s)
        nominal[4::4] += SLICE_HOP
        nominal[4 * CLOCK_REGION_HEIGHT::4 * CLOCK_REGION_HEIGHT] += REGION_HOP
        delays = nominal * np.clip(1 + spread * rng.standard_normal(nominal.size), 0.2, None)
        return cls(delays, clock_period, skew * rng.standard_normal(nominal.size), **conditions)

    @classmethod
    def uniform(cls, taps: int, clock_period: float, length: float = 1.5, nonuniformity: float = 0.0,
                rng: np.random.Generator | None = None) -> DelayLineModel:
        """A coarse chain of ``taps`` taps spanning ``length`` clock periods, tap delays uniform ± the relative
        ``nonuniformity``: few taps, so the gateware simulates fast."""
        if taps < 2 or not length > 0 or not 0 <= nonuniformity < 1:
            raise ValueError("need taps >= 2, length > 0 and 0 <= nonuniformity < 1")
        rng = rng if rng is not None else np.random.default_rng(0)
        weights = 1 + nonuniformity * rng.uniform(-1, 1, taps)
        return cls(length * clock_period * weights / weights.sum(), clock_period)

    def set_conditions(self, temperature: float = REFERENCE_TEMPERATURE, voltage: float = NOMINAL_VCCINT) -> None:
        """Move the chain to ``temperature`` (°C) and supply ``voltage`` (V)."""
        self.temperature, self.voltage = temperature, voltage
        self.thresholds = np.cumsum(self.delays) * delay_scale(temperature, voltage) + self.skew
        self._sorted = np.sort(self.thresholds)

    @property
    def taps(self) -> int:
        return self.delays.size

    @property
    def length(self) -> float:
        """Time (s) the stop takes to pass every tap."""
        return float(self._sorted[-1])

    def passed(self, time_before_edge: np.ndarray) -> np.ndarray:
        """Taps that read 1 when the edge samples ``time_before_edge`` (s) after the stop: the ones-count."""
        return np.searchsorted(self._sorted, np.asarray(time_before_edge, dtype=float), side="right")

    def thermometer(self, time_before_edge: float) -> int:
        """The sampled chain as an integer (bit i: tap i reads 1), bubbles included."""
        bits = (self.thresholds <= time_before_edge).astype(np.uint8)
        return int.from_bytes(np.packbits(bits, bitorder="little").tobytes(), "little")

    def bin_widths(self) -> np.ndarray:
        """True widths (s) of the fine bins a clock period spans: bin f holds the stops that passed f taps (f ≥ 1)
        at the first edge that sees any; the last bin ends one period after the first tap."""
        end = self._sorted[0] + self.clock_period
        upper = np.minimum(np.append(self._sorted[1:], np.inf), end)
        return (upper - self._sorted)[self._sorted < end]


class CarryChainDelayLine(wiring.Component):
    """``carry4s`` CARRY4 in a chain from ``stop``; ``taps`` (4 per CARRY4, CO0 first) are the carry outputs
    sampled at each edge and registered once more."""

    def __init__(self, carry4s: int) -> None:
        if carry4s < 1:
            raise ValueError(f"need at least one CARRY4, got {carry4s}")
        self.carry4s = carry4s
        super().__init__({"stop": In(1), "taps": Out(4 * carry4s)})

    def elaborate(self, platform) -> Module:
        m = Module()
        carry_in = self.stop
        sampled = []
        for i in range(self.carry4s):
            carry_out = Signal(4, name=f"carry_{i}")
            m.submodules[f"carry4_{i}"] = Instance(
                "CARRY4", i_CI=0 if i == 0 else carry_in, i_CYINIT=carry_in if i == 0 else 0, i_DI=0, i_S=0b1111,
                o_CO=carry_out)
            carry_in = carry_out[3]
            for j in range(4):  # one flip-flop per carry output, named for the placement constraints
                tap = Signal(name=f"tap_{4 * i + j}", attrs={"ASYNC_REG": "TRUE"})
                m.d.sync += tap.eq(carry_out[j])
                sampled.append(tap)
        m.d.sync += self.taps.eq(Cat(*sampled))  # the second stage (ASYNC_REG from the constraints)
        return m


def placement(carry4s: int, column: int, cells: str = "*/delay_line") -> list[str]:
    """XDC lines placing :class:`CarryChainDelayLine` (instance ``cells``) in slice column ``SLICE_X<column>``: a
    pblock of the column's bottom ``carry4s`` slices, the first CARRY4 at the bottom (the carry chain climbs from
    it), the flip-flop of tap 4i + j in the slice of CARRY4 i at BEL AFF, BFF, CFF, DFF, and ``ASYNC_REG`` on
    both register stages."""

    def cell(name: str) -> str:
        return f"[get_cells -hierarchical -filter {{NAME =~ {cells}/{name}}}]"

    top = carry4s - 1
    lines = ["create_pblock tdc_chain", f"resize_pblock tdc_chain -add SLICE_X{column}Y0:SLICE_X{column}Y{top}",
             f"add_cells_to_pblock tdc_chain {cell('carry4_*')}", f"add_cells_to_pblock tdc_chain {cell('tap_*_reg')}",
             f"set_property LOC SLICE_X{column}Y0 {cell('carry4_0')}"]
    for i in range(carry4s):
        for j, bel in enumerate("ABCD"):
            lines.append(f"set_property -dict {{LOC SLICE_X{column}Y{i} BEL {bel}FF}} {cell(f'tap_{4 * i + j}_reg')}")
    lines += [f"set_property ASYNC_REG TRUE {cell(name)}" for name in ("tap_*_reg", "taps_reg*")]
    return lines
