"""R-H and R-V hysteresis loops of two-state MTJs: states, switching points, TMR and its bias dependence."""

from __future__ import annotations

import numpy as np
from scipy.optimize import curve_fit

from . import AnalysisError


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
    ``h_offset`` (T), their spreads over loops (``*_std``) and the number of switching events seen."""
    is_ap, r_p, r_ap = two_states(resistance)
    p_to_ap, ap_to_p = switching_fields(field, is_ap)
    if p_to_ap.size == 0 or ap_to_p.size == 0:
        raise AnalysisError("the loop is not closed: need at least one P→AP and one AP→P switch "
                            "(sweep to larger |field|, or run more loops)")
    h1, h2 = float(p_to_ap.mean()), float(ap_to_p.mean())
    return {
        "r_p": r_p,
        "r_ap": r_ap,
        "tmr": (r_ap - r_p) / r_p,
        "h_sw_p_to_ap": h1,
        "h_sw_ap_to_p": h2,
        "h_c": 0.5 * abs(h2 - h1),
        "h_offset": 0.5 * (h1 + h2),
        "h_sw_p_to_ap_std": float(p_to_ap.std()),
        "h_sw_ap_to_p_std": float(ap_to_p.std()),
        "switch_events": int(p_to_ap.size + ap_to_p.size),
    }


def tmr_bias_model(v: np.ndarray, tmr0: float, v_half: float) -> np.ndarray:
    """TMR(V) = TMR0 / (1 + (V / V_half)²)."""
    return tmr0 / (1.0 + (v / v_half) ** 2)


def analyse_rv_loop(v_bias: np.ndarray, resistance: np.ndarray, current: np.ndarray,
                    v_write: np.ndarray | None = None) -> dict[str, float]:
    """Summary of an R-V loop.

    ``v_bias``/``resistance``/``current`` are the readings (at the bias they were taken at); ``v_write`` is the
    write voltage that preceded each reading in a pulsed loop (None for DC, where it equals ``v_bias``).
    Returns ``v_sw_p_to_ap``, ``v_sw_ap_to_p`` (V) and ``i_sw_p_to_ap``, ``i_sw_ap_to_p`` (A: the switching
    voltage times the old state's conductance at the last reading before the switch), ``r_p``, ``r_ap`` (Ω)
    and ``tmr`` at zero bias, and ``tmr_v_half`` (V, DC loops) from a fit of TMR(V) on the AP branch.
    """
    v = np.asarray(v_bias, dtype=float)
    r = np.asarray(resistance, dtype=float)
    i = np.asarray(current, dtype=float)
    vw = v if v_write is None else np.asarray(v_write, dtype=float)
    valid = np.isfinite(r) & (r > 0) & (np.abs(v) > 0)  # R = V/I is undefined at zero bias
    v, r, i, vw = v[valid], r[valid], i[valid], vw[valid]
    is_ap, _, _ = two_states(r)
    events = transitions(vw, is_ap)
    p_to_ap = [(x, k) for x, d, k in events if d > 0]
    ap_to_p = [(x, k) for x, d, k in events if d < 0]
    if not p_to_ap or not ap_to_p:
        raise AnalysisError("no complete current-induced switching loop: need P→AP and AP→P switches "
                            "(increase v_max within the safety limit, or lengthen pulse_width)")

    def switching_current(x: float, k: int) -> float:
        return x * i[k - 1] / v[k - 1] if v[k - 1] != 0 else x / r[k - 1]

    summary = {
        "v_sw_p_to_ap": float(np.mean([x for x, _ in p_to_ap])),
        "v_sw_ap_to_p": float(np.mean([x for x, _ in ap_to_p])),
        "i_sw_p_to_ap": float(np.mean([switching_current(x, k) for x, k in p_to_ap])),
        "i_sw_ap_to_p": float(np.mean([switching_current(x, k) for x, k in ap_to_p])),
        "switch_events": len(events),
    }
    if v_write is not None:  # pulsed: all readings at the read bias
        r_p, r_ap = float(np.median(r[~is_ap])), float(np.median(r[is_ap]))
        summary.update(r_p=r_p, r_ap=r_ap, tmr=(r_ap - r_p) / r_p, tmr_v_half=float("nan"))
        return summary
    # DC: TMR(V) of the AP branch against R_p(V) (a quadratic through the P branch)
    p_coeff = np.polyfit(v[~is_ap], r[~is_ap], 2)
    v_ap = v[is_ap]
    tmr_v = r[is_ap] / np.polyval(p_coeff, v_ap) - 1.0
    if v_ap.size < 5 or np.ptp(v_ap) < 0.2 * np.abs(v).max():
        raise AnalysisError("too few AP-state readings over too small a bias range to fit TMR(V)")
    try:
        (tmr0, v_half), _ = curve_fit(tmr_bias_model, v_ap, tmr_v, p0=[float(tmr_v.max()), 0.5],
                                      bounds=([0.0, 1e-3], [50.0, 50.0]))
    except (RuntimeError, ValueError) as exc:
        raise AnalysisError(f"TMR(V) fit did not converge: {exc}") from None
    if v_half > 20 * np.abs(v_ap).max():
        raise AnalysisError("TMR does not fall with bias over the measured range: tmr_v_half is unconstrained "
                            "(sweep to larger |V|)")
    r_p = float(np.polyval(p_coeff, 0.0))
    summary.update(r_p=r_p, r_ap=float(r_p * (1 + tmr0)), tmr=float(tmr0), tmr_v_half=float(v_half))
    return summary
