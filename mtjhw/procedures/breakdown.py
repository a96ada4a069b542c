"""Barrier breakdown: ramped (RVS) or constant (CVS) voltage stress of each device, Weibull statistics."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter, ListParameter, Parameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.weibull import MIN_BREAKDOWNS, fit_weibull, plotting_positions

from .base import BenchProcedure, measured

log = logging.getLogger(__name__)

#: s: the time at which the stress law's v_breakdown has its characteristic time to breakdown
T_REF = 1.0


def parse_cells(text: str, rows: int | None, cols: int | None) -> list[tuple[int, int]]:
    """'all' (every cell of a ``rows`` × ``cols`` array) or 'row,col row,col …' (1-based): the cells to stress."""
    if text.strip().lower() == "all":
        if not rows or not cols:
            raise ValueError("cells=all needs dut.rows and dut.cols in the bench file; else list the cells "
                             "as 'row,col row,col …'")
        return [(r, c) for r in range(1, rows + 1) for c in range(1, cols + 1)]
    try:
        cells = [tuple(int(x) for x in pair.split(",")) for pair in text.split()]
    except ValueError:
        raise ValueError(f"cells: expected 'all' or 'row,col row,col …' (1-based), got {text!r}") from None
    if not cells or any(len(c) != 2 or min(c) < 1 for c in cells):
        raise ValueError(f"cells: expected 'all' or 'row,col row,col …' (1-based), got {text!r}")
    return cells


class Breakdown(BenchProcedure):
    """Stress each device until its barrier breaks down, detected by the resistance collapsing below
    (1 − ``threshold``) of the lowest reading before (a P/AP switch changes R by at most 1/(1 + TMR)).

    ``stress`` ramp (RVS): from ``v_start`` up in ``v_step`` V steps at ``ramp_rate`` V/s to ``v_max``, read at
    the end of each step; records V_bd (the middle of the step in which R collapsed). constant (CVS):
    ``v_stress`` for up to ``t_max`` s, read back ``reads_per_decade`` times per decade of stress time from
    ``t_first`` s; records t_bd (the geometric mean of the last intact and the first collapsed reading).
    Devices: the ``cells`` of an array bench, each selected through the switch matrix, or the bench's one DUT.
    The stress stays within the bench's ``max_voltage`` and ``max_current`` (checked before anything is sent).

    Analysis: a maximum-likelihood Weibull fit with the survivors censored. CVS gives β and η (s) at v_stress;
    RVS the Weibull of exp(V_bd), i.e. the 63 % breakdown voltage ``v63`` and the slope βγ (1/V) of
    ln(−ln(1 − F)) in V, which the E-model η(V) = η(v_breakdown)·exp(−γ(V − v_breakdown)) turns into β and
    ``v_breakdown`` (where η = 1 s) when ``gamma`` (1/V) is given. Fewer than 5 breakdowns: no fit.
    """

    name = "breakdown"
    summary_keys = {"devices": "count", "breakdowns": "count", "beta": "", "beta_err": "", "eta": "s",
                    "eta_err": "s", "v63": "V", "v63_err": "V", "slope": "1/V", "slope_err": "1/V",
                    "v_breakdown": "V", "v_breakdown_err": "V"}

    stress = ListParameter("Stress", choices=["ramp", "constant"], default="ramp")
    cells = Parameter("Cells of an array (all, or row,col row,col …)", default="all")
    v_start = FloatParameter("Ramp start", units="V", default=0.1, minimum=0.0, maximum=10.0)
    v_max = FloatParameter("Ramp end", units="V", default=2.0, minimum=0.01, maximum=10.0)
    v_step = FloatParameter("Ramp step", units="V", default=0.01, minimum=1e-4, maximum=1.0)
    ramp_rate = FloatParameter("Ramp rate", units="V/s", default=1.0, minimum=1e-4, maximum=1e3)
    v_stress = FloatParameter("Constant stress", units="V", default=1.4, minimum=0.01, maximum=10.0)
    t_max = FloatParameter("Longest constant stress", units="s", default=100.0, minimum=1e-3, maximum=1e7)
    t_first = FloatParameter("First read-back", units="s", default=1e-3, minimum=1e-4, maximum=1e3)
    reads_per_decade = IntegerParameter("Read-backs per decade", default=20, minimum=1, maximum=1000)
    threshold = FloatParameter("Resistance collapse", units="relative", default=0.8, minimum=0.05, maximum=0.99)
    gamma = FloatParameter("Voltage acceleration (0 = unknown)", units="1/V", default=0.0, minimum=0.0,
                           maximum=1000.0)
    compliance = FloatParameter("Compliance current", units="A", default=1e-3, minimum=1e-9, maximum=1.0)
    nplc = FloatParameter("Read integration", units="PLC", default=0.01, minimum=0.01, maximum=10.0)

    DATA_COLUMNS = ["Device", "Row", "Column", "Ramp rate (V/s)", "Broken", "Breakdown voltage (V)",
                    "Breakdown time (s)", "Resistance before (ohm)", "Resistance after (ohm)"]
    PLOT_AXES = ("Ramp rate (V/s)", "Breakdown voltage (V)")

    # ----------------------------------------------------------------- plan
    def _devices(self) -> list[tuple[int, int]]:
        if "switch" not in self.bench.drivers:
            return [(0, 0)]  # the one DUT of a two-terminal bench
        dut = self.bench.config.dut or {}
        return parse_cells(self.cells, dut.get("rows"), dut.get("cols"))

    def _check_plan(self) -> None:
        """The stress against the bench limits and the read timing, before anything is sent."""
        limits = self.bench.config.safety
        peak = self.v_max if self.stress == "ramp" else self.v_stress
        if peak > limits.max_voltage:
            raise ValueError(f"breakdown: the {self.stress} stress reaches {peak:g} V, beyond the bench's "
                             f"max_voltage {limits.max_voltage:g} V: lower it or raise safety.max_voltage")
        if self.compliance > limits.max_current:
            raise ValueError(f"breakdown: compliance {self.compliance:g} A exceeds the bench's max_current "
                             f"{limits.max_current:g} A")
        read = self._read_time = self.nplc / 50.0  # s, until a reading has been timed
        if self.stress == "ramp" and (self.v_start + self.v_step > self.v_max or self.v_step / self.ramp_rate < read):
            raise ValueError(f"breakdown: the ramp needs v_start + v_step <= v_max and each step "
                             f"(v_step/ramp_rate) to last at least one reading ({read:g} s)")
        if self.stress == "constant" and not read <= self.t_first < self.t_max:
            raise ValueError(f"breakdown: need one reading ({read:g} s) <= t_first < t_max")

    def configure(self) -> None:
        self._cells = self._devices()
        self._check_plan()
        smu = self.bench.smu
        smu.source_voltage_mode(self.compliance, self.nplc)
        smu.set_level(0.0)
        smu.output_on()

    # ----------------------------------------------------------------- measurement
    def _select(self, cell: tuple[int, int]) -> None:
        if cell == (0, 0):
            return
        from mtjhw.simulators.bench.devices import crosspoint_of_line  # the probe card's wiring

        self.bench.switch.exclusive_close([crosspoint_of_line("word", cell[0]), crosspoint_of_line("bit", cell[1])])

    def _clock(self) -> float:
        """Stress time (s) of the present device."""
        return self.bench.now() - self._t0

    def _read_at(self, level: float, until: float) -> tuple[float, float]:
        """Hold ``level`` V until the stress clock reads ``until`` s, the reading at its end included: (R in Ω,
        stress time at the reading's end)."""
        smu = self.bench.smu
        if level != self._level:
            smu.set_level(level)
            self._level = level
        self.bench.sleep(until - self._clock() - self._read_time)
        before = self._clock()
        v, i = smu.measure()
        now = self._clock()
        self._read_time = now - before
        return (abs(v / i) if i else math.inf), now

    def _collapsed(self, r: float, lowest: float) -> bool:
        return math.isfinite(lowest) and r < (1 - self.threshold) * lowest

    def _ramp(self) -> tuple[float, float, float, float]:
        """(V_bd, stress time, R before, R after); V_bd NaN for a survivor."""
        levels = np.arange(self.v_start, self.v_max + self.v_step / 2, self.v_step)
        hold, lowest, now = self.v_step / self.ramp_rate, math.inf, 0.0
        for k, level in enumerate(levels):
            r, now = self._read_at(float(level), (k + 1) * hold)
            if self._collapsed(r, lowest):
                return float(level) - self.v_step / 2, now, lowest, r
            lowest = min(lowest, r)
        return math.nan, now, lowest, lowest

    def _constant(self) -> tuple[float, float, float, float]:
        """(t_bd, stress time, R before, R after); t_bd NaN for a survivor."""
        steps = np.arange(int(math.log10(self.t_max / self.t_first) * self.reads_per_decade) + 1)
        times = self.t_first * 10 ** (steps / self.reads_per_decade)
        lowest, previous, now = math.inf, self.t_first / 10 ** (1 / self.reads_per_decade), 0.0
        for t in times:
            r, now = self._read_at(self.v_stress, float(t))
            if self._collapsed(r, lowest):
                return math.sqrt(previous * now), now, lowest, r
            lowest, previous = min(lowest, r), now
        return math.nan, now, lowest, lowest

    def execute(self) -> None:
        for index, cell in enumerate(self._cells):
            if self.should_stop():
                log.warning("breakdown stopped after %d of %d devices", index, len(self._cells))
                return
            if self.unit_recorded(index, 1):
                continue
            self.bench.smu.set_level(0.0)  # switch the matrix at 0 V
            self._select(cell)
            self._t0, self._level = self.bench.now(), 0.0
            at, elapsed, before, after = self._ramp() if self.stress == "ramp" else self._constant()
            self.bench.smu.set_level(0.0)
            broken = not math.isnan(at)
            self.record(device=index, row=cell[0], column=cell[1], broken=int(broken),
                        ramp_rate=self.ramp_rate if self.stress == "ramp" else 0.0,
                        breakdown_voltage=at if self.stress == "ramp" else (self.v_stress if broken else math.nan),
                        breakdown_time=elapsed if self.stress == "ramp" else (at if broken else elapsed),
                        resistance_before=before, resistance_after=after)
            self.progress(index + 1, len(self._cells))

    # ----------------------------------------------------------------- analysis
    @staticmethod
    def _samples(data: dict[str, np.ndarray], parameters: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """(breakdowns, survivors' censoring values): exp(V) for a ramp (a Weibull in exp(V) is the ramp's
        extreme-value law), t for a constant stress."""
        broken = data["broken"] > 0
        if parameters["stress"] == "ramp":
            return np.exp(data["breakdown_voltage"][broken]), np.full((~broken).sum(), math.exp(parameters["v_max"]))
        return data["breakdown_time"][broken], data["breakdown_time"][~broken]

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        broken, survivors = cls._samples(data, parameters)
        if broken.size < MIN_BREAKDOWNS:
            raise AnalysisError(f"{breakdowns_seen(data)}: a Weibull fit needs at least {MIN_BREAKDOWNS} "
                                "(stress harder or longer, or stress more devices)")
        fit = fit_weibull(broken, survivors)
        summary: dict[str, float] = {"devices": int(data["device"].size), "breakdowns": fit.breakdowns}
        gamma = parameters["gamma"]
        if parameters["stress"] == "constant":
            summary |= {"beta": fit.beta, "beta_err": fit.beta_err, "eta": fit.eta, "eta_err": fit.eta_err}
            if gamma > 0:  # η(v_breakdown) = 1 s
                summary |= {"v_breakdown": parameters["v_stress"] + math.log(fit.eta / T_REF) / gamma,
                            "v_breakdown_err": fit.eta_err / fit.eta / gamma}
            return summary
        v63, v63_err = math.log(fit.eta), fit.eta_err / fit.eta
        summary |= {"v63": v63, "v63_err": v63_err, "slope": fit.beta, "slope_err": fit.beta_err}
        if gamma > 0:
            summary |= {"beta": fit.beta / gamma, "beta_err": fit.beta_err / gamma,
                        "v_breakdown": v63 - ramp_offset(gamma, parameters["ramp_rate"], parameters["v_step"]),
                        "v_breakdown_err": v63_err}
        return summary

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        ramp = bool(data["ramp_rate"][0] > 0)
        broken = data["broken"] > 0
        x = data["breakdown_voltage"][broken] if ramp else np.log(data["breakdown_time"][broken])
        fig, ax = figure()
        xs, ys = plotting_positions(x, data["device"].size)
        ax.plot(xs, ys, "o", ms=4, color="grey", label=f"{broken.sum()} of {broken.size} broke down")
        if summary:
            grid = np.linspace(xs.min(), xs.max(), 50) if xs.size else np.zeros(0)
            if ramp:
                ax.plot(grid, summary["slope"] * (grid - summary["v63"]), "-",
                        label=f"V63 = {measured(summary['v63'], summary['v63_err'], unit='V')}, "
                              f"βγ = {measured(summary['slope'], summary['slope_err'], unit='/V')}")
            else:
                ax.plot(grid, summary["beta"] * (grid - math.log(summary["eta"])), "-",
                        label=f"β = {measured(summary['beta'], summary['beta_err'])}, "
                              f"η = {measured(summary['eta'], summary['eta_err'], unit='s')}")
        ax.set_xlabel("breakdown voltage (V)" if ramp else "ln(t_bd / 1 s)")
        ax.set_ylabel("ln(−ln(1 − F))")
        ax.legend(fontsize=7)
        fig.savefig(path, dpi=110)


def breakdowns_seen(data: dict[str, np.ndarray]) -> str:
    """'3 of 10 devices broke down (t_bd = 0.12, 3.4, 56 s)': what a refused fit reports."""
    broken = data["broken"] > 0
    ramp = bool(data["ramp_rate"][0] > 0)
    values = np.sort(data["breakdown_voltage" if ramp else "breakdown_time"][broken])
    listed = f" ({'V_bd' if ramp else 't_bd'} = {', '.join(f'{v:.4g}' for v in values)} {'V' if ramp else 's'})"
    return f"{broken.sum()} of {broken.size} devices broke down" + (listed if values.size else "")


def ramp_offset(gamma: float, ramp_rate: float, v_step: float) -> float:
    """V63 − v_breakdown (V) of a staircase ramp under the E-model: the damage (Δv/R)·Σ e^{γ(v_k − v_bd)}/η₀
    reaches 1 at V63, so V63 − v_breakdown = ln(R η₀ (1 − e^{−γΔv})/Δv)/γ (η₀ = 1 s)."""
    return math.log(ramp_rate * T_REF * -math.expm1(-gamma * v_step) / v_step) / gamma
