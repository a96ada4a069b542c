"""LIF neuron parameters from its f–I curve: depinning current, wall mobility, leak time and refractory time.

The model is the domain-wall LIF neuron of :mod:`mtjhw.simulators.physics.lif`: below the rheobase it does not
fire; above it f = 1/(τ·ln(x∞/(x∞ − x_th)) + t_reset) with x∞ = μ·(I − I_dep)·τ. The threshold position x_th
(the read MTJ's place on the track) comes from the layout; the fit returns I_dep, μ, τ and t_reset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import AnalysisError
from .fitting import fit_curve


@dataclass(frozen=True)
class LifFit:
    """Fitted LIF parameters (SI) and their standard errors, for the threshold position ``x_threshold`` (m)."""

    x_threshold: float
    i_dep: float
    i_dep_err: float
    mobility: float
    mobility_err: float
    tau_leak: float
    tau_leak_err: float
    t_reset: float
    t_reset_err: float

    @property
    def rheobase(self) -> float:
        """Smallest constant current that fires (A)."""
        return self.i_dep + self.x_threshold / (self.mobility * self.tau_leak)


def lif_rate(current: np.ndarray, i_dep: float, gain: float, tau: float, t_reset: float) -> np.ndarray:
    """Spike rate (Hz) at ``current`` (A); ``gain`` = μ·τ/x_th (1/A), so x∞/x_th = gain·(I − I_dep)."""
    ratio = gain * np.maximum(np.asarray(current, dtype=float) - i_dep, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        interval = tau * np.log(ratio / (ratio - 1.0)) + t_reset
    return np.where(ratio > 1.0, 1.0 / interval, 0.0)


def fit_lif_rate(current: np.ndarray, rate: np.ndarray, rate_err: np.ndarray, x_threshold: float) -> LifFit:
    """Weighted fit of the f–I curve (A, Hz, Hz 1σ); needs at least five currents that fire."""
    current, rate, rate_err = (np.asarray(a, dtype=float) for a in (current, rate, rate_err))
    firing = rate > 0
    if firing.sum() < 5:
        raise AnalysisError(f"the f–I fit needs five or more currents that fire, got {int(firing.sum())}: "
                            "raise the largest current")
    i_fire = current[firing].min()
    i_silent = current[~firing & (current < i_fire)].max(initial=0.0)
    rheobase = (i_fire + i_silent) / 2 if i_silent > 0 else 0.9 * i_fire
    # in µA, ns and GHz: parameters of order one for the optimiser
    i_ua, f_ghz, sigma = current * 1e6, rate * 1e-9, np.maximum(rate_err, 1e-3 * rate.max()) * 1e-9
    f_max, i_rh = f_ghz.max(), rheobase * 1e6
    p0 = [i_rh / 2, 2.0 / i_rh, 2.0 / f_max, 0.1 / f_max]
    bounds = ([0.0, 0.0, 0.0, 0.0], [i_fire * 1e6, np.inf, np.inf, np.inf])
    scaled, cov = fit_curve(lif_rate, i_ua, f_ghz, p0, bounds=bounds, sigma=sigma, what="f–I fit", covariance=True)
    units = np.array([1e-6, 1e6, 1e-9, 1e-9])  # back to A, 1/A, s, s
    (i_dep, gain, tau, t_reset), cov = scaled * units, cov * np.outer(units, units)
    err = np.sqrt(np.diag(cov))
    mobility = gain * x_threshold / tau
    relative = (err[1] / gain) ** 2 + (err[2] / tau) ** 2 - 2 * cov[1, 2] / (gain * tau)  # μ = gain·x_th/τ
    mobility_err = mobility * float(np.sqrt(max(relative, 0.0)))
    return LifFit(x_threshold, float(i_dep), float(err[0]), float(mobility), mobility_err, float(tau),
                  float(err[2]), float(t_reset), float(err[3]))
