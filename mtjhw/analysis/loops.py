"""R-H and R-V hysteresis loops of two-state MTJs: states, switching points, TMR and its bias dependence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import AnalysisError
from .fitting import fit_curve, fit_polynomial, median_error


def two_states(resistance: np.ndarray, min_contrast: float = 0.02) -> tuple[np.ndarray, float, float]:
    """Classify readings into P (False) / AP (True) by two-means clustering of log R.

    Returns (is_ap, r_low, r_high) with the cluster means (Ω). Raises :class:`AnalysisError` when the two
    clusters are not separated by at least ``min_contrast`` (relative), i.e. the device never switched.
    """
    r = np.asarray(resistance, dtype=float)
    r = r[np.isfinite(r) & (r > 0)]
    if r.size < 4:
        raise AnalysisError(f"need at least 4 valid resistance readings, got {r.size}")
    x = np.log(r)
    threshold = 0.5 * (x.min() + x.max())
    for _ in range(50):
        low, high = x[x <= threshold], x[x > threshold]
        if low.size == 0 or high.size == 0:
            break
        new = 0.5 * (low.mean() + high.mean())
        if new == threshold:
            break
        threshold = new
    low, high = x[x <= threshold], x[x > threshold]
    if low.size == 0 or high.size == 0 or np.exp(high.mean() - low.mean()) - 1 < min_contrast:
        raise AnalysisError("the device did not switch: the resistance shows one state only "
                            "(increase the sweep range, or check the DUT is contacted)")
    spread = max(low.std(), high.std())
    if high.mean() - low.mean() < 4 * spread:
        raise AnalysisError("resistance levels overlap: states cannot be told apart from the noise "
                            "(integrate longer, or increase the sweep range)")
    all_x = np.log(np.clip(np.asarray(resistance, dtype=float), 1e-300, None))
    return all_x > threshold, float(np.exp(low.mean())), float(np.exp(high.mean()))


def transitions(x: np.ndarray, is_ap: np.ndarray, persistence: int = 2) -> list[tuple[float, int, int]]:
    """Switching events along a sweep: (x at the switch, direction, index of the first reading in the new
    state), direction +1 for P→AP and −1 for AP→P.

    The switch position is the midpoint between the last reading in the old state and the first in the new
    one; a new state must persist for ``persistence`` readings (so single noisy readings are ignored).
    """
    x = np.asarray(x, dtype=float)
    state = np.asarray(is_ap, dtype=bool)
    events = []
    current = state[0]
    k = 1
    while k < state.size:
        if state[k] != current and np.all(state[k:k + persistence] == state[k]):
            events.append((0.5 * (x[k - 1] + x[k]), 1 if state[k] else -1, k))
            current = state[k]
        k += 1
    return events


def switching_fields(field: np.ndarray, is_ap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Switching fields (T) of every P→AP and AP→P event in a field sweep."""
    events = transitions(field, is_ap)
    p_to_ap = np.array([x for x, d, _ in events if d > 0])
    ap_to_p = np.array([x for x, d, _ in events if d < 0])
    return p_to_ap, ap_to_p


def analyse_rh_loop(field: np.ndarray, resistance: np.ndarray) -> dict[str, float]:
    """Summary of an R-H loop: ``r_p``, ``r_ap`` (Ω), ``tmr``, ``h_sw_p_to_ap``, ``h_sw_ap_to_p``, ``h_c``,
    ``h_offset`` (T), their spreads over loops (``*_std``), the number of switching events seen, and the 1σ
    uncertainty of each value as ``<key>_err`` (switching fields: the scatter of the events and the field
    step, within which each switch is known)."""
    b, r = np.asarray(field, dtype=float), np.asarray(resistance, dtype=float)
    is_ap, r_p, r_ap = two_states(r)
    p_to_ap, ap_to_p = switching_fields(b, is_ap)
    if p_to_ap.size == 0 or ap_to_p.size == 0:
        raise AnalysisError("the loop is not closed: need at least one P→AP and one AP→P switch "
                            "(sweep to larger |field|, or run more loops)")
    ok = np.isfinite(r) & (r > 0)
    r_p_err, r_ap_err = (level * np.std(np.log(r[ok & sel]), ddof=1) / np.sqrt(np.sum(ok & sel))
                         for level, sel in ((r_p, ~is_ap), (r_ap, is_ap)))
    step = float(np.median(np.abs(np.diff(b))))
    h1, h2 = float(p_to_ap.mean()), float(ap_to_p.mean())
    h1_err, h2_err = (float(np.hypot(x.std(ddof=1) / np.sqrt(x.size) if x.size > 1 else 0.0, step / np.sqrt(12)))
                      for x in (p_to_ap, ap_to_p))
    return {
        "r_p": r_p, "r_p_err": float(r_p_err),
        "r_ap": r_ap, "r_ap_err": float(r_ap_err),
        "tmr": (r_ap - r_p) / r_p, "tmr_err": float(r_ap / r_p * np.hypot(r_p_err / r_p, r_ap_err / r_ap)),
        "h_sw_p_to_ap": h1, "h_sw_p_to_ap_err": h1_err,
        "h_sw_ap_to_p": h2, "h_sw_ap_to_p_err": h2_err,
        "h_c": 0.5 * abs(h2 - h1), "h_c_err": 0.5 * float(np.hypot(h1_err, h2_err)),
        "h_offset": 0.5 * (h1 + h2), "h_offset_err": 0.5 * float(np.hypot(h1_err, h2_err)),
        "h_sw_p_to_ap_std": float(p_to_ap.std()),
        "h_sw_ap_to_p_std": float(ap_to_p.std()),
        "switch_events": int(p_to_ap.size + ap_to_p.size),
    }


def tmr_bias_model(v: np.ndarray, tmr0: float, v_half: float) -> np.ndarray:
    """TMR(V) = TMR0 / (1 + (V / V_half)²)."""
    return tmr0 / (1.0 + (v / v_half) ** 2)


@dataclass(frozen=True)
class Switch:
    """A switch between the branches of a sweep: the readings ``last_old`` and ``first_new`` (indices) are
    the last in the old state and the first in the new one; any between them caught the switch mid-reading.
    ``direction`` is +1 for P→AP (R rises) and −1 for AP→P."""

    last_old: int
    first_new: int
    direction: int


def _local_median(a: np.ndarray, half: int = 6) -> np.ndarray:
    """Median of ``a`` over ±``half`` neighbours of each element, the element and its two neighbours left out
    (a switch caught mid-reading makes two large steps side by side)."""
    padded = np.concatenate([np.full(half, np.nan), a, np.full(half, np.nan)])
    offsets = [k for k in range(-half, half + 1) if abs(k) > 1]
    window = np.stack([padded[half + k: half + k + a.size] for k in offsets])
    with np.errstate(all="ignore"):
        out = np.nanmedian(window, axis=0) if window.size else np.zeros_like(a)
    return np.where(np.isfinite(out), out, 0.0)


def branch_switches(resistance: np.ndarray, min_contrast: float = 0.02, persistence: int = 2) -> list[Switch]:
    """Switches between the P and AP branches along readings in time order.

    Each reading is compared with the branch it sits on: the step in ln R from the reading before is a switch
    when it stands out from that branch's own smooth change around it (8 × the local median step), so a
    bias-dependent TMR that brings the branches close at high bias does not blur them as one threshold would.
    Steps of one sign side by side are one switch; a state lasting fewer than ``persistence`` readings is an
    outlier. :class:`AnalysisError` when nothing switches or the switches do not alternate.
    """
    x = np.log(np.asarray(resistance, dtype=float))
    if x.size < 4 or not np.all(np.isfinite(x)):
        raise AnalysisError(f"need at least 4 valid resistance readings, got {x.size}")
    d = np.diff(x)
    candidate = (np.abs(d) > 8 * _local_median(np.abs(d))) & (np.abs(d) > min_contrast / 4)
    switches: list[Switch] = []
    for k in np.flatnonzero(candidate):
        sign = 1 if d[k] > 0 else -1
        if switches and switches[-1].first_new == k and switches[-1].direction == sign:
            switches[-1] = Switch(switches[-1].last_old, k + 1, sign)  # the same switch, caught mid-reading
        else:
            switches.append(Switch(int(k), int(k) + 1, sign))
    switches = [s for s in _drop_outliers(switches, persistence)
                if abs(x[s.first_new] - x[s.last_old]) > np.log1p(min_contrast)]
    if not switches:
        raise AnalysisError("the device did not switch: the resistance shows one state only "
                            "(increase the sweep range, or check the DUT is contacted)")
    for a, b in zip(switches[:-1], switches[1:], strict=True):
        if a.direction == b.direction:
            raise AnalysisError(f"two {'P→AP' if a.direction > 0 else 'AP→P'} switches in a row (readings "
                                f"{a.first_new} and {b.first_new}): a switch is lost in the noise "
                                "(integrate longer, or use fewer points per segment)")
    return switches


def _drop_outliers(switches: list[Switch], persistence: int) -> list[Switch]:
    """Remove pairs of opposite switches around a state that lasts fewer than ``persistence`` readings."""
    kept: list[Switch] = []
    for s in switches:
        if kept and kept[-1].direction == -s.direction and s.last_old - kept[-1].first_new + 1 < persistence:
            kept.pop()
        else:
            kept.append(s)
    return kept


def branch_states(n: int, switches: list[Switch]) -> tuple[np.ndarray, np.ndarray]:
    """(is_ap, settled) of ``n`` readings split by ``switches``: the branch of each reading and whether it is a
    whole reading in one state (False for those that caught a switch mid-reading, and those just beside one)."""
    is_ap = np.zeros(n, dtype=bool)
    settled = np.ones(n, dtype=bool)
    state = switches[0].direction < 0  # AP before a first AP→P switch
    start = 0
    for s in switches:
        is_ap[start:s.last_old + 1] = state
        settled[s.last_old:s.first_new + 1] = False
        state, start = s.direction > 0, s.first_new
    is_ap[start:] = state
    return is_ap, settled


def analyse_rv_loop(v_bias: np.ndarray, resistance: np.ndarray, current: np.ndarray,
                    v_write: np.ndarray | None = None) -> dict[str, float]:
    """Summary of an R-V loop.

    ``v_bias``/``resistance``/``current`` are the readings in time order (at the bias they were taken at);
    ``v_write`` is the write voltage before each reading in a pulsed loop (None for DC, where it is ``v_bias``).
    Returns ``v_sw_p_to_ap``, ``v_sw_ap_to_p`` (V, the midpoint between the last reading in the old state and
    the first in the new one, averaged over switches) and ``i_sw_p_to_ap``, ``i_sw_ap_to_p`` (A: the switching
    voltage times the old state's conductance at the last reading before the switch), ``r_p``, ``r_ap`` (Ω)
    and ``tmr`` at zero bias, ``tmr_v_half`` (V, DC loops) from a fit of TMR(V) on the AP branch, each with
    its 1σ uncertainty as ``<key>_err``, and ``switch_events``.
    """
    v = np.asarray(v_bias, dtype=float)
    r = np.asarray(resistance, dtype=float)
    i = np.asarray(current, dtype=float)
    vw = v if v_write is None else np.asarray(v_write, dtype=float)
    valid = np.isfinite(r) & (r > 0) & (np.abs(v) > 0)  # R = V/I is undefined at zero bias
    v, r, i, vw = v[valid], r[valid], i[valid], vw[valid]
    switches = branch_switches(r)
    is_ap, settled = branch_states(r.size, switches)
    summary = _switching_points(vw, v, i, switches)
    levels = _pulsed_levels(r, is_ap, settled) if v_write is not None else _dc_branches(v, r, is_ap, settled)
    return summary | levels


def _switching_points(vw: np.ndarray, v: np.ndarray, i: np.ndarray, switches: list[Switch]) -> dict[str, float]:
    """Mean switching voltages and currents of each direction, with their uncertainties: the scatter of the
    switches and the voltage step (a switch is known to within one step)."""
    steps = np.abs(np.diff(vw))
    step = float(np.median(steps[steps > 0])) if np.any(steps > 0) else 0.0
    out: dict[str, float] = {"switch_events": len(switches)}
    for key, direction in (("p_to_ap", 1), ("ap_to_p", -1)):
        mine = [s for s in switches if s.direction == direction]
        if not mine:
            raise AnalysisError("no complete current-induced switching loop: need P→AP and AP→P switches "
                                "(increase v_max within the safety limit, or lengthen pulse_width)")
        x = np.array([0.5 * (vw[s.last_old] + vw[s.first_new]) for s in mine])
        conductance = np.array([i[s.last_old] / v[s.last_old] for s in mine])
        spread = x.std(ddof=1) / np.sqrt(x.size) if x.size > 1 else 0.0
        err = float(np.hypot(spread, step / np.sqrt(12)))
        out[f"v_sw_{key}"] = float(x.mean())
        out[f"v_sw_{key}_err"] = err
        out[f"i_sw_{key}"] = float(np.mean(x * conductance))
        out[f"i_sw_{key}_err"] = float(err * np.mean(np.abs(conductance)))
    return out


def _pulsed_levels(r: np.ndarray, is_ap: np.ndarray, settled: np.ndarray) -> dict[str, float]:
    """R_P, R_AP and TMR of a pulsed loop: every reading at the read bias, so each branch is one level."""
    p, ap = r[~is_ap & settled], r[is_ap & settled]
    if p.size < 2 or ap.size < 2:
        raise AnalysisError("too few settled readings in one of the states to measure its resistance")
    r_p, r_ap = float(np.median(p)), float(np.median(ap))
    r_p_err, r_ap_err = median_error(p), median_error(ap)
    tmr_err = (r_ap / r_p) * float(np.hypot(r_p_err / r_p, r_ap_err / r_ap))
    return {"r_p": r_p, "r_p_err": r_p_err, "r_ap": r_ap, "r_ap_err": r_ap_err, "tmr": (r_ap - r_p) / r_p,
            "tmr_err": tmr_err, "tmr_v_half": float("nan"), "tmr_v_half_err": float("nan")}


def _dc_branches(v: np.ndarray, r: np.ndarray, is_ap: np.ndarray, settled: np.ndarray) -> dict[str, float]:
    """R_P(V) as a parabola through the P branch, and TMR(V) = R_AP(V)/R_P(V) − 1 on the AP branch fitted by
    :func:`tmr_bias_model`: zero-bias R_P, R_AP, TMR and V_half with their uncertainties."""
    p, ap = ~is_ap & settled, is_ap & settled
    if p.sum() < 5 or ap.sum() < 5:
        raise AnalysisError("too few settled readings on the P or the AP branch to fit R(V)")
    p_coeff, p_cov = fit_polynomial(v[p], r[p], 2)
    v_ap = v[ap]
    if np.ptp(v_ap) < 0.2 * np.abs(v).max():
        raise AnalysisError("too few AP-state readings over too small a bias range to fit TMR(V)")
    tmr_v = r[ap] / np.polyval(p_coeff, v_ap) - 1.0
    (tmr0, v_half), (tmr0_err, v_half_err) = fit_curve(
        tmr_bias_model, v_ap, tmr_v, p0=[float(tmr_v.max()), 0.5], bounds=([0.0, 1e-3], [50.0, 50.0]),
        what="TMR(V) fit")
    if v_half > 20 * np.abs(v_ap).max():
        raise AnalysisError("TMR does not fall with bias over the measured range: tmr_v_half is unconstrained "
                            "(sweep to larger |V|)")
    r_p, r_p_err = float(p_coeff[-1]), float(np.sqrt(p_cov[-1, -1]))
    r_ap = r_p * (1 + tmr0)
    r_ap_err = float(np.hypot((1 + tmr0) * r_p_err, r_p * tmr0_err))
    return {"r_p": r_p, "r_p_err": r_p_err, "r_ap": float(r_ap), "r_ap_err": r_ap_err, "tmr": float(tmr0),
            "tmr_err": float(tmr0_err), "tmr_v_half": float(v_half), "tmr_v_half_err": float(v_half_err)}
