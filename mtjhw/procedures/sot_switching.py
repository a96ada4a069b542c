"""SOT switching phase diagram: P_sw vs write-line current and in-plane field, critical current vs field.

The bench magnet applies the in-plane field H_x along the write current. At each field and write current each
trial is a reset pulse (pulse generator channel 2, ``reset_current`` of the opposite sign for ``reset_width``),
the write pulse (channel 1, ``width``) and a reading of the junction by the source-meter, triggered by the
generator: one burst and one transfer per (field, current). A burst of ``reset_checks`` resets alone reads the
state a reset leaves, and so verifies it; a trial switched when its reading after the write differs from that
state. Write currents are pulse voltages over ``line_resistance``.

Analysis: each field and polarity whose resets held and whose P_sw climbs from below 0.05 to above 0.95 is fitted
alone (binomial maximum likelihood) with the thermally activated law P = 1 − exp(−(w/τ0_x)·exp(−Δ_x (1 − i)ⁿ)),
i = |I|/I_c, read through a floor and a lapse: trials read switched without the write (a failed reset, a
thermal flip in the gaps or the read window; the reset checks measure it with the lowest currents) and
switched ones read back (a flip after the write). Those fits start one fit of all their counts with
I_c(H) = 2 I_c0 g(|H + H_x0|/Hk), g(h) = max_θ cos θ (sin θ − h) ≈ 1/2 − h/√2 (the macrospin threshold; Lee et
al., APL 102, 112410 (2013), to first order), Δ_x = Δ (1 − |H + H_x0|/Hk)², Brown's attempt time in the field
τ0_x = τ0 / (1 − |H + H_x0|/Hk)² (:func:`attempt_time`), each field's floor and lapse held, and the read
current's STT, i += κ·R_P/R_AP for writes into P and −κ for writes into AP (κ = I_read(P)/Ic0_STT, the
summary's ``read_stt``). It gives I_c0 (zero in-plane field), Hk, the built-in in-plane field H_x0 (fixed at 0
unless the fields span both signs), Δ and κ, and with the line's width and thickness J_c0. τ0 (at zero field)
and n are fixed; each error adds to the fit's own the change of the value when τ0 is 3× shorter or longer.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import BooleanParameter, FloatParameter, IntegerParameter
from scipy.optimize import curve_fit, minimize

from mtjhw.analysis import AnalysisError

from .base import BenchProcedure

log = logging.getLogger(__name__)

_GAP = 10e-6  # s between reset, write and read
_RESET_OK = 0.95  # fraction of verified resets below which a (field, polarity) is left out of the fits
_MAX_DEVIANCE = 4.0  # per degree of freedom: beyond, the law does not hold (two states' thresholds too close)


def threshold_factor(h: np.ndarray) -> np.ndarray:
    """g(h) = max_θ cos θ (sin θ − h) (0 for |h| ≥ 1): the macrospin's damping-like threshold in units of μ0Hk."""
    h = np.clip(np.asarray(h, dtype=float), -1.0, 1.0)
    s = (h + np.sqrt(h * h + 8.0)) / 4.0
    return np.sqrt(1.0 - s * s) * (s - h)


def switching_probability(current: np.ndarray, width: float, delta: float, ic: float, tau0: float,
                          n: float, i_read: float = 0.0) -> np.ndarray:
    """P that a pulse of |``current``| (A) and ``width`` (s) switches: thermal activation below ``ic``, 1 above;
    ``i_read`` adds the read current's STT drive (in units of its own critical current)."""
    i = np.clip(np.abs(np.asarray(current, dtype=float)) / ic + i_read, 0.0, 1.0)
    return -np.expm1(-(width / tau0) * np.exp(-delta * (1.0 - i) ** n))


def observed(q: np.ndarray, floor: float, lapse: float) -> np.ndarray:
    """P of reading a trial as switched when the write switches with P ``q``: a ``floor`` of trials read
    switched without it (a failed reset, a thermal flip in the gaps or the read window) and a ``lapse`` of
    switched ones read back in the reset state (a thermal flip after the write)."""
    return floor + (1.0 - floor - lapse) * q


def _binomial_nll(k: np.ndarray, m: np.ndarray, q: np.ndarray) -> float:
    """−log L of counts ``k`` of ``m`` at probabilities ``q``."""
    q = np.clip(q, 1e-300, 1 - 1e-15)
    return -float(np.sum(k * np.log(q) + (m - k) * np.log1p(-q)))


def _logistic(x: float) -> float:
    """1 / (1 + e^−x): a probability from an unbounded fit variable."""
    return 0.5 * (1.0 + math.tanh(0.5 * x))


def fit_threshold(current: np.ndarray, switched: np.ndarray, trials: np.ndarray, width: float, tau0: float,
                  n: float, resets: tuple[float, float] = (0.0, 0.0)
                  ) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """(Δ_x, I_c), their covariance and the (floor, lapse) of the readings from switching counts at one field
    and polarity (binomial ML). ``resets`` = (failed, checked) resets read alone: they measure the floor with
    the lowest currents' trials. :class:`AnalysisError` when the transition is not resolved."""
    i, k, m = np.abs(current), np.asarray(switched, float), np.asarray(trials, float)
    inner = (k > 0) & (k < m)
    if inner.sum() < 2 or np.min(k / m) > 0.05 or np.max(k / m) < 0.95:
        raise AnalysisError("P_sw does not rise from below 0.05 to above 0.95 through two or more points between "
                            "(failed resets, too narrow a current range, or the two states' thresholds too close)")
    failed, checked = resets

    def nll(theta: np.ndarray) -> float:
        floor, lapse = _logistic(theta[2]), _logistic(theta[3])
        q = switching_probability(i, width, math.exp(theta[0]), math.exp(theta[1]), tau0, n)
        return _binomial_nll(k, m, observed(q, floor, lapse)) + _binomial_nll(np.array([failed]),
                                                                                np.array([checked]), floor)

    i50 = float(np.interp(0.5, k / m, i)) if np.all(np.diff(k / m) >= 0) else float(np.median(i))
    starts = [np.concatenate([np.log([d, i50 / (1 - (np.log(width / tau0 / np.log(2)) / d) ** (1 / n))]),
                              [-6.0, -6.0]]) for d in (20.0, 40.0, 80.0)]
    best = min((minimize(nll, s, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 8000})
                for s in starts if np.all(np.isfinite(s))), key=lambda r: r.fun)
    theta = best.x
    floor, lapse = _logistic(theta[2]), _logistic(theta[3])
    q = observed(switching_probability(i, width, *np.exp(theta[:2]), tau0, n), floor, lapse)
    if i.size > 4 and _deviance(k, m, q) / (i.size - 4) > _MAX_DEVIANCE:
        raise AnalysisError(f"the thermally activated law does not describe the data (deviance per degree of "
                            f"freedom {_deviance(k, m, q) / (i.size - 4):.1f})")
    # the floor and lapse are held where they are: a floor of zero sits on its bound, where the curvature is nil
    cov_log = np.linalg.inv(_hessian(lambda x: nll(np.concatenate([x, theta[2:]])), theta[:2]))
    values = np.exp(theta[:2])
    return values, cov_log * np.outer(values, values), (floor, lapse)


def _deviance(k: np.ndarray, m: np.ndarray, q: np.ndarray) -> float:
    """Binomial deviance of counts ``k`` of ``m`` from probabilities ``q`` (≈ degrees of freedom for a good fit)."""
    q = np.clip(q, 1e-12, 1 - 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        hits = np.where(k > 0, k * np.log(k / (m * q)), 0.0)
        misses = np.where(m > k, (m - k) * np.log((m - k) / (m * (1 - q))), 0.0)
    return float(2 * np.sum(hits + misses))


def _hessian(f: Any, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x``."""
    n = x.size
    h = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            da, db = np.eye(n)[a] * step, np.eye(n)[b] * step
            h[a, b] = (f(x + da + db) - f(x + da - db) - f(x - da + db) + f(x - da - db)) / (4 * step * step)
    return h


def attempt_time(tau0: float, h: float | np.ndarray) -> float | np.ndarray:
    """Attempt time (s) in the reduced in-plane field ``h`` = |H|/Hk for the zero-field ``tau0`` (s): Brown's
    τ0 ∝ 1/(μ0Hk_eff √Δ_x) with μ0Hk_eff = μ0Hk (1 − h) and Δ_x = Δ (1 − h)², hence τ0 / (1 − h)²."""
    return tau0 / (1.0 - np.minimum(h, 0.99)) ** 2


def critical_current(field: np.ndarray, ic0: float, hk: float, h_x0: float = 0.0) -> np.ndarray:
    """Macrospin critical current (A) in the in-plane field ``field`` (T): 2·``ic0``·g(|H + H_x0| / Hk)."""
    return 2.0 * ic0 * threshold_factor(np.abs(np.asarray(field, dtype=float) + h_x0) / hk)


def _group_fit(group: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
    """I_c, Δ_x and their errors from one field and polarity, up to the current where P_sw peaks (beyond, the
    favoured state's own threshold randomises the state)."""
    order = np.argsort(np.abs(group["current"]))
    current, switched, trials = (group[k][order] for k in ("current", "switched", "trials"))
    last = int(np.argmax(switched / trials >= np.max(switched / trials) - 0.02)) + 1
    resets = (float(group["reset_failures"].sum()), float(group["reset_checks"].sum()))
    (delta, ic), cov, (floor, lapse) = fit_threshold(current[:last], switched[:last], trials[:last],
                                                     float(group["width"][0]), float(parameters["tau0"]),
                                                     float(parameters["n_barrier"]), resets)
    # the read current's STT, in units of κ = I_read(P)/Ic0_STT: it drives AP → P writes, it holds P → AP ones
    into_p = float(np.mean(group["target_state"])) > 0
    read = float(group["resistance_low"][0] / group["resistance_high"][0]) if into_p else -1.0
    return {"ic": ic, "delta": delta, "ic_err": math.sqrt(cov[1, 1]), "delta_err": math.sqrt(cov[0, 0]),
            "counts": (np.abs(current[:last]), switched[:last], trials[:last]), "read": read, "floor": floor,
            "lapse": lapse}


def starting_values(fits: list[dict[str, Any]]) -> dict[str, float]:
    """I_c0, Hk, H_x0 (0 unless the fields span both signs) and Δ from the per-field fits, to start
    :func:`fit_global`: weighted least squares of I_c(H), then the weighted mean of Δ_x / (1 − |H + H_x0|/Hk)²."""
    field, ic, ic_err = (np.array([f[k] for f in fits]) for k in ("field", "ic", "ic_err"))
    both_signs = field.min() < 0 < field.max()
    p0 = [float(ic.max()), 3 * float(np.max(np.abs(field)))] + ([0.0] if both_signs else [])

    def model(h: np.ndarray, ic0: float, hk: float, h_x0: float = 0.0) -> np.ndarray:
        return critical_current(h, ic0, hk, h_x0)

    popt, _ = curve_fit(model, field, ic, p0=p0, sigma=ic_err, maxfev=20000)
    ic0, hk, h_x0 = popt[0], popt[1], popt[2] if both_signs else 0.0
    reduction = (1 - np.minimum(np.abs(field + h_x0) / hk, 0.99)) ** 2
    weights = (reduction / np.array([f["delta_err"] for f in fits])) ** 2
    delta = float(np.sum(weights * np.array([f["delta"] for f in fits]) / reduction) / weights.sum())
    return {"ic0": ic0, "hk": hk, "h_x0": h_x0, "delta": delta}


def fit_global(fits: list[dict[str, Any]], start: dict[str, float], width: float, tau0: float, n: float
               ) -> dict[str, float]:
    """I_c0, Hk, H_x0, Δ and κ (the read current's STT drive in P, I_read/Ic0_STT) with their errors from every
    fitted field's counts at once (binomial ML): the law at each field with I_c = 2 I_c0 g(|H + H_x0|/Hk),
    Δ_x = Δ (1 − |H + H_x0|/Hk)² and the read current's drive, from ``start``."""
    fields = np.array([f["field"] for f in fits])
    both_signs = fields.min() < 0 < fields.max()
    names = ["ic0", "hk", "delta", "read_stt"] + (["h_x0"] if both_signs else [])

    def unpack(theta: np.ndarray) -> dict[str, float]:
        values = dict(zip(names, [*np.exp(theta[:3]), theta[3], *(theta[4:] * 1e-3)], strict=True))
        return {"h_x0": 0.0} | values

    def nll(theta: np.ndarray) -> float:
        v, total = unpack(theta), 0.0
        for field, f in zip(fields, fits, strict=True):
            i, k, m = f["counts"]
            h = min(abs(field + v["h_x0"]) / v["hk"], 0.99)
            q = switching_probability(i, width, v["delta"] * (1 - h) ** 2, 2 * v["ic0"] * float(threshold_factor(h)),
                                      attempt_time(tau0, h), n, v["read_stt"] * f["read"])
            total += _binomial_nll(k, m, observed(q, f["floor"], f["lapse"]))
        return total

    x0 = np.array([math.log(start["ic0"]), math.log(start["hk"]), math.log(start["delta"]), 0.0]
                  + ([start["h_x0"] * 1e3] if both_signs else []))
    best = minimize(nll, x0, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-8, "maxiter": 20000})
    err = np.sqrt(np.diag(np.linalg.inv(_hessian(nll, best.x))))
    values = unpack(best.x)
    scale = {"ic0": values["ic0"], "hk": values["hk"], "delta": values["delta"], "read_stt": 1.0, "h_x0": 1e-3}
    errors = {f"{name}_err": float(scale[name] * e) for name, e in zip(names, err, strict=True)}
    return {"h_x0_err": float("nan")} | values | errors


def with_tau0_spread(fits: list[dict[str, Any]], start: dict[str, float], width: float, tau0: float, n: float
                     ) -> dict[str, float]:
    """:func:`fit_global` at ``tau0``, each error widened (in quadrature) by how far the value moves when the fixed
    τ0 is 3× shorter or longer: Brown's τ0 spans 0.3–5 ns over the damping and anisotropy of real devices."""
    summary = fit_global(fits, start, width, tau0, n)
    others = [fit_global(fits, start, width, tau0 * factor, n) for factor in (1 / 3, 3)]
    for key in [k for k in summary if f"{k}_err" in summary]:
        spread = max(abs(other[key] - summary[key]) for other in others)
        summary[f"{key}_err"] = math.hypot(summary[f"{key}_err"], spread)
    return summary


class SOTSwitching(BenchProcedure):
    """Pulsed SOT switching of a three-terminal MTJ vs write current and in-plane field (bench magnet along x)."""

    name = "sot-switching"
    summary_keys = {"ic0": "A", "ic0_err": "A", "hk": "T", "hk_err": "T", "h_x0": "T", "h_x0_err": "T",
                    "delta": "kBT", "delta_err": "kBT", "jc0": "A/m²", "jc0_err": "A/m²",
                    "read_stt": "ratio", "read_stt_err": "ratio", "fields_fitted": "count",
                    "reset_failure_rate": "ratio", "tau0": "s (fixed, zero in-plane field)",
                    "n_barrier": "(fixed)"}

    current_min = FloatParameter("Lowest write current", units="A", default=0.25e-3, minimum=0.0, maximum=1.0)
    current_max = FloatParameter("Highest write current", units="A", default=0.75e-3, minimum=0.0, maximum=1.0)
    amplitudes = IntegerParameter("Currents per polarity", default=21, minimum=3, maximum=200)
    both_polarities = BooleanParameter("Both current polarities", default=True)
    field_min = FloatParameter("Lowest in-plane field", units="T", default=-0.045, minimum=-5.0, maximum=5.0)
    field_max = FloatParameter("Highest in-plane field", units="T", default=0.045, minimum=-5.0, maximum=5.0)
    fields = IntegerParameter("Fields", default=6, minimum=1, maximum=200)
    width = FloatParameter("Write pulse width", units="s", default=100e-9, minimum=2.5e-9, maximum=1.0)
    trials = IntegerParameter("Trials per point", default=200, minimum=10, maximum=100000)
    reset_current = FloatParameter("Reset current (opposite sign)", units="A", default=0.6e-3, minimum=0.0,
                                   maximum=1.0)
    reset_width = FloatParameter("Reset pulse width", units="s", default=10e-6, minimum=2.5e-9, maximum=1.0)
    reset_checks = IntegerParameter("Resets read alone per point", default=20, minimum=5, maximum=10000)
    line_resistance = FloatParameter("Write-line resistance", units="ohm", default=250.0, minimum=1.0, maximum=1e6)
    line_width = FloatParameter("Write-line width, 0 if unknown", units="m", default=0.0, minimum=0.0, maximum=1e-3)
    line_thickness = FloatParameter("Write-line thickness, 0 if unknown", units="m", default=0.0, minimum=0.0,
                                    maximum=1e-5)
    read_voltage = FloatParameter("Read voltage", units="V", default=0.005, minimum=0.001, maximum=0.5)
    nplc = FloatParameter("Read integration", units="PLC", default=0.01, minimum=0.01, maximum=10.0)
    tau0 = FloatParameter("Attempt time at zero in-plane field (fixed)", units="s", default=1e-9, minimum=1e-13,
                          maximum=1e-6)
    n_barrier = FloatParameter("Barrier exponent n", default=1.3, minimum=1.0, maximum=2.0)

    DATA_COLUMNS = ["Field set (T)", "Field (T)", "Current (A)", "Amplitude (V)", "Width (s)", "Trials",
                    "Switched", "Probability", "Target state", "Reset checks", "Reset failures",
                    "Resistance low (ohm)", "Resistance high (ohm)"]
    PLOT_AXES = ("Current (A)", "Probability")

    def configure(self) -> None:
        if self.current_max <= self.current_min:
            raise ValueError("current_max must be above current_min")
        if self.fields > 1 and self.field_max <= self.field_min:
            raise ValueError("field_max must be above field_min")
        smu = self.bench.smu
        smu.source_voltage_mode(1e-3, self.nplc)
        smu.set_level(self.read_voltage)
        smu.output_on()
        self._read_time = self.nplc / 50.0 * 1.2
        self._period = self.reset_width + self.width + self._read_time + 4 * _GAP
        self.r_low, self.r_high = self._calibrate()

    def field_list(self) -> np.ndarray:
        return np.linspace(self.field_min, self.field_max, self.fields) if self.fields > 1 else \
            np.array([self.field_min])

    def current_list(self) -> np.ndarray:
        magnitudes = np.linspace(self.current_min, self.current_max, self.amplitudes)
        return np.concatenate([magnitudes, -magnitudes]) if self.both_polarities else magnitudes

    def _burst(self, reset: float, write: float, count: int) -> np.ndarray:
        """Resistances (Ω) read after each of ``count`` trials: a reset pulse of ``reset`` A, then (unless 0) a
        write pulse of ``write`` A."""
        pulser, smu = self.bench.pulser, self.bench.smu
        write_at = self.reset_width + 2 * _GAP
        pulser.output_off()  # channel 1 stays off in a burst of resets alone
        pulser.setup_pulse(2, reset * self.line_resistance, self.reset_width, self._period, count, 0.0)
        if write:
            pulser.setup_pulse(1, write * self.line_resistance, self.width, self._period, count, write_at)
        smu.arm_triggered_readings(count, write_at + self.width + _GAP)
        pulser.fire()
        v, i = smu.fetch_readings(count)
        return v / np.where(i == 0, np.nan, i)

    def _calibrate(self) -> tuple[float, float]:
        """The two resistance levels, from resets of either sign at the largest in-plane field."""
        fields = self.field_list()
        self.bench.field.set_field(float(fields[np.argmax(np.abs(fields))]))
        r_a = float(np.median(self._burst(self.reset_current, 0.0, 16)))
        r_b = float(np.median(self._burst(-self.reset_current, 0.0, 16)))
        low, high = sorted((r_a, r_b))
        if high < 1.05 * low:
            raise ValueError(f"resets of ±{self.reset_current:g} A leave the same resistance ({low:.4g} Ω) at "
                             f"{fields[np.argmax(np.abs(fields))]:g} T: raise reset_current or the in-plane field")
        return low, high

    def execute(self) -> None:
        fields, currents = self.field_list(), self.current_list()
        threshold = math.sqrt(self.r_low * self.r_high)
        total = fields.size * currents.size
        for f, field in enumerate(fields):
            for c, current in enumerate(currents):
                if self.should_stop():
                    return
                if self.unit_recorded(f * currents.size + c, 1):  # every trial starts with a reset
                    continue
                measured = self.bench.field.set_field(float(field))
                reset = -math.copysign(self.reset_current, current)
                after_reset = self._burst(reset, 0.0, self.reset_checks) < threshold
                reset_low = bool(np.mean(after_reset) >= 0.5)
                after_write = self._burst(reset, float(current), self.trials) < threshold
                switched = int(np.sum(after_write != reset_low))
                self.record(field_set=field, field=measured, current=current,
                            amplitude=current * self.line_resistance, width=self.width, trials=self.trials,
                            switched=switched, probability=switched / self.trials,
                            target_state=-1 if reset_low else 1, reset_checks=self.reset_checks,
                            reset_failures=int(np.sum(after_reset != reset_low)), resistance_low=self.r_low,
                            resistance_high=self.r_high)
                self.progress(f * currents.size + c + 1, total)

    # ----------------------------------------------------------------- analysis
    @classmethod
    def threshold_fits(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> list[dict[str, float]]:
        """Per (field, polarity) whose resets held and whose transition is resolved: the set and measured field
        (T), I_c (A), Δ_x and their standard errors."""
        fits = []
        for field in np.unique(data["field_set"]):
            for sign in (1.0, -1.0):
                sel = (data["field_set"] == field) & (np.sign(data["current"]) == sign)
                reset_ok = 1 - data["reset_failures"][sel].sum() / max(data["reset_checks"][sel].sum(), 1)
                if sel.sum() < 3 or reset_ok < _RESET_OK:
                    continue
                try:
                    fit = _group_fit({k: v[sel] for k, v in data.items()}, parameters)
                except (AnalysisError, np.linalg.LinAlgError) as exc:
                    log.warning("no threshold at %g T, polarity %+d: %s", field, sign, exc)
                    continue
                fits.append(fit | {"field_set": field, "field": float(np.mean(data["field"][sel]))})
        return fits

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        fits = cls.threshold_fits(data, parameters)
        fields = len({f["field_set"] for f in fits})
        if fields < 3:
            raise AnalysisError(f"critical currents resolved at {len(fits)} (field, polarity) points, at fewer than "
                                "3 fields: widen the current range around the threshold, or check the resets "
                                "(reset_current between the two states' thresholds)")
        summary = with_tau0_spread(fits, starting_values(fits), float(data["width"][0]), float(parameters["tau0"]),
                                   float(parameters["n_barrier"]))
        area = float(parameters["line_width"]) * float(parameters["line_thickness"])
        summary["jc0"], summary["jc0_err"] = (summary["ic0"] / area, summary["ic0_err"] / area) if area > 0 else \
            (float("nan"), float("nan"))
        resets = float(data["reset_failures"].sum() / data["reset_checks"].sum())
        return summary | {"fields_fitted": fields, "reset_failure_rate": resets, "tau0": float(parameters["tau0"]),
                          "n_barrier": float(parameters["n_barrier"])}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure(size=(7.5, 5.0))
        dots = ax.scatter(data["field_set"] * 1e3, data["current"] * 1e3, c=data["probability"], cmap="viridis",
                          vmin=0, vmax=1, marker="s", s=18)
        fig.colorbar(dots, ax=ax, label="P_sw")
        ax.plot(*_i50_points(data), "kx", ms=7, label="I50 (P_sw = 1/2)")
        if summary:
            h = np.linspace(data["field_set"].min(), data["field_set"].max(), 400)
            ic = critical_current(h, summary["ic0"], summary["hk"], summary["h_x0"] or 0.0) * 1e3
            label = (f"I_c at 0 K: I_c0 = {_pm(summary['ic0'], summary['ic0_err'], 1e3)} mA, "
                     f"μ0Hk = {_pm(summary['hk'], summary['hk_err'], 1e3)} mT,\n"
                     f"H_x0 = {_pm(summary['h_x0'], summary['h_x0_err'], 1e3)} mT, "
                     f"Δ = {_pm(summary['delta'], summary['delta_err'])}")
            ax.plot(h * 1e3, ic, "r-", lw=1.5, label=label)
            ax.plot(h * 1e3, -ic, "r-", lw=1.5)
            i50 = ic * _thermal_fraction(h, data["width"][0], summary)
            ax.plot(h * 1e3, i50, "k--", lw=1, label=f"I50 of the fit (τ0 = {summary['tau0']:g} s, n = "
                    f"{summary['n_barrier']:g} fixed)")
            ax.plot(h * 1e3, -i50, "k--", lw=1)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=8)
        ax.set_xlabel("in-plane field μ0H_x (mT)")
        ax.set_ylabel("write current (mA)")
        ax.set_title(f"SOT switching phase diagram, {data['width'][0] * 1e9:.3g} ns pulses", pad=60)
        fig.savefig(path, dpi=110)


def _thermal_fraction(field: np.ndarray, width: float, summary: dict[str, float]) -> np.ndarray:
    """I50 / I_c of the fitted law: 1 − (ln(w / τ0_x ln 2) / Δ_x)^(1/n), Δ_x = Δ (1 − |H + H_x0|/Hk)²."""
    h = np.minimum(np.abs(field + (summary["h_x0"] or 0.0)) / summary["hk"], 1)
    delta_x = summary["delta"] * (1 - h) ** 2
    ratio = np.log(width / (attempt_time(summary["tau0"], h) * np.log(2))) / np.maximum(delta_x, 1e-9)
    return 1 - np.clip(ratio, 0, 1) ** (1 / summary["n_barrier"])


def _i50_points(data: dict[str, np.ndarray]) -> tuple[list[float], list[float]]:
    """(field mT, current mA) where each field's and polarity's P_sw first crosses 1/2."""
    fields, currents = [], []
    for field in np.unique(data["field_set"]):
        for sign in (1.0, -1.0):
            sel = (data["field_set"] == field) & (np.sign(data["current"]) == sign)
            order = np.argsort(np.abs(data["current"][sel]))
            i, p = np.abs(data["current"][sel][order]), data["probability"][sel][order]
            if p.size == 0:  # this field was swept in one polarity only
                continue
            k = int(np.argmax(p >= 0.5))
            if k > 0 and p[k] >= 0.5:
                fields.append(field * 1e3)
                currents.append(sign * float(np.interp(0.5, p[k - 1:k + 1], i[k - 1:k + 1])) * 1e3)
    return fields, currents


def _pm(value: float, error: float, scale: float = 1.0) -> str:
    """'0.761 ± 0.012' to the error's second significant digit."""
    if not (math.isfinite(error) and error > 0):
        return f"{value * scale:.4g}"
    decimals = max(0, 1 - math.floor(math.log10(error * scale)))
    return f"{value * scale:.{decimals}f} ± {error * scale:.{decimals}f}"
