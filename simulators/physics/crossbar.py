"""Crossbar array of binary MTJs with variability, stuck-at faults and wire resistance.

Each cell (row i, column j) is a binary MTJ with its own Rp (lognormal), TMR and Δ (normal) drawn once at
construction (device-to-device variability), a fraction of cells stuck at P or AP, cells whose barrier broke
down (``broken``, shorted to ``r_short``; the bench's array DUT sets them from each cell's stress history), and an
optional cycle-to-cycle read noise. Two read schemes:

- **series columns** (resistance summation, as in the XNOR/TDC scheme): the cells of a column in series plus
  the column's wire segments; a capacitor charged through that resistance crosses the threshold after
  t = R·C·ln(V / (V − V_th)), the time the TDC measures;
- **parallel columns** (current summation, vector–matrix product): row voltages on the word lines, bit
  lines at virtual ground; with wire resistance the full resistive network is solved (sparse nodal
  analysis), without it I_j = Σ_i V_i G_ij.

Cells are written with current pulses that switch with the Néel–Brown probability (stochastic success).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.linalg import spsolve

from .neel_brown import STATE_AP, STATE_P, escape_rate, switching_probability
from .tmr import resistance as tmr_resistance


@dataclass
class CrossbarParams:
    """Nominal device parameters, variability and array non-idealities (SI)."""

    r_p: float = 5000.0  #: median parallel resistance, Ω
    sigma_log_rp: float = 0.05  #: lognormal σ of Rp (device-to-device)
    tmr: float = 1.2  #: mean TMR ratio
    sigma_tmr: float = 0.05  #: standard deviation of the TMR ratio
    v_half: float = 0.5  #: V
    delta: float = 45.0  #: mean thermal stability factor
    sigma_delta: float = 3.0  #: standard deviation of Δ
    ic0: float = 60e-6  #: critical current, A
    tau0: float = 1e-9  #: attempt time, s
    n_current: float = 1.0
    stuck_at_p: float = 0.0  #: fraction of cells stuck in P
    stuck_at_ap: float = 0.0  #: fraction of cells stuck in AP
    r_wire: float = 0.0  #: wire resistance per cell segment (word and bit lines), Ω
    read_noise: float = 0.0  #: relative cycle-to-cycle noise on each read

    def __post_init__(self):
        for name in ("r_p", "v_half", "delta", "ic0", "tau0"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("sigma_log_rp", "tmr", "sigma_tmr", "sigma_delta", "r_wire", "read_noise"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be ≥ 0, got {getattr(self, name)}")
        if not (0 <= self.stuck_at_p and 0 <= self.stuck_at_ap and self.stuck_at_p + self.stuck_at_ap <= 1):
            raise ValueError("stuck_at_p and stuck_at_ap must be ≥ 0 with a sum ≤ 1")


class CrossbarArray:
    """``rows × cols`` crossbar; ``rng`` draws the variability and faults (seed it)."""

    def __init__(self, rows: int, cols: int, params: CrossbarParams | None = None, rng=None):
        if rows < 1 or cols < 1:
            raise ValueError(f"rows and cols must be ≥ 1, got {rows}×{cols}")
        self.params = p = params if params is not None else CrossbarParams()
        rng = rng if rng is not None else np.random.default_rng(0)
        self.rows, self.cols = rows, cols
        shape = (rows, cols)
        self.r_p = p.r_p * np.exp(p.sigma_log_rp * rng.standard_normal(shape))
        self.tmr = np.maximum(p.tmr + p.sigma_tmr * rng.standard_normal(shape), 0.0)
        self.delta = np.maximum(p.delta + p.sigma_delta * rng.standard_normal(shape), 1.0)
        u = rng.random(shape)
        self.stuck = np.zeros(shape, dtype=int)  #: 0 free, +1 stuck at P, −1 stuck at AP
        self.stuck[u < p.stuck_at_p] = STATE_P
        self.stuck[(u >= p.stuck_at_p) & (u < p.stuck_at_p + p.stuck_at_ap)] = STATE_AP
        self.state = np.full(shape, STATE_AP, dtype=int)
        self.state[self.stuck != 0] = self.stuck[self.stuck != 0]
        self.broken = np.zeros(shape, dtype=bool)  #: cells whose barrier broke down: shorted to ``r_short``
        self.r_short = 150.0  #: Ω, a broken-down cell

    # cell values ------------------------------------------------------------------------------------------
    def resistances(self, voltage: ArrayLike = 0.0) -> np.ndarray:
        """(rows, cols) cell resistances (Ω) at cell bias ``voltage`` (V, scalar or per cell); ``r_short`` where
        the barrier broke down."""
        r = tmr_resistance(self.r_p, self.tmr, self.state.astype(float), voltage, self.params.v_half)
        return np.where(self.broken, self.r_short, r)

    def conductances(self, voltage: ArrayLike = 0.0) -> np.ndarray:
        """(rows, cols) cell conductances (S)."""
        return 1.0 / self.resistances(voltage)

    def _noisy(self, x: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        if self.params.read_noise == 0:
            return x
        if rng is None:
            raise ValueError("rng is required for reads when read_noise > 0")
        return x * (1 + self.params.read_noise * rng.standard_normal(x.shape))

    # reads ------------------------------------------------------------------------------------------------
    def read_series_columns(self, voltage: float = 0.0, rng: np.random.Generator | None = None) -> np.ndarray:
        """(cols,) resistance (Ω) of each column read as its cells in series plus ``rows`` wire segments.

        ``voltage`` (V) is the total bias across a column; it divides over the cells in proportion to their
        resistances (solved self-consistently with the bias-dependent TMR).
        """
        wire = self.rows * self.params.r_wire
        r = self.resistances()
        for _ in range(20):
            total = r.sum(axis=0) + wire
            r = self.resistances(voltage * r / total)
        return self._noisy(r.sum(axis=0) + wire, rng)

    def charging_times(
        self,
        capacitance: float,
        v_supply: float,
        v_threshold: float,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """(cols,) time (s) for a capacitor (F) charged from ``v_supply`` (V) through each series column to
        reach ``v_threshold`` (V): t = R·C·ln(V / (V − V_th)). This is what the TDC digitises."""
        if not 0 < v_threshold < v_supply or capacitance <= 0:
            raise ValueError("need capacitance > 0 and 0 < v_threshold < v_supply")
        r = self.read_series_columns(voltage=0.0, rng=rng)
        return r * capacitance * np.log(v_supply / (v_supply - v_threshold))

    def read_parallel_columns(
        self, voltages: ArrayLike, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(cols,) bit-line currents (A) for word-line ``voltages`` (rows,) V, bit lines at virtual ground.

        Cell conductances are taken at low bias. With ``r_wire`` > 0 the word lines are driven from column 0
        and the bit lines sensed at the last row, every cell-to-cell segment having ``r_wire``.
        """
        v = np.asarray(voltages, dtype=float)
        if v.shape != (self.rows,):
            raise ValueError(f"voltages must have shape ({self.rows},), got {v.shape}")
        g = self.conductances()
        if self.params.r_wire == 0:
            return self._noisy(v @ g, rng)
        return self._noisy(self._solve_network(v, g), rng)

    def _solve_network(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Nodal analysis: unknowns are word-line nodes w(i, j) and bit-line nodes b(i, j)."""
        r_, c_ = self.rows, self.cols
        gw = 1.0 / self.params.r_wire
        n = r_ * c_

        def w(i, j):
            return i * c_ + j

        def b(i, j):
            return n + i * c_ + j

        rows_idx: list[np.ndarray] = []
        cols_idx: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        rhs = np.zeros(2 * n)

        def add(a, bb, cond):
            # conductance between node arrays a and bb
            rows_idx.extend([a, bb, a, bb])
            cols_idx.extend([a, bb, bb, a])
            vals.extend([cond, cond, -cond, -cond])

        ii, jj = np.meshgrid(np.arange(r_), np.arange(c_), indexing="ij")
        add(w(ii, jj).ravel(), b(ii, jj).ravel(), g.ravel())  # cells
        if c_ > 1:  # word-line segments
            add(
                w(ii[:, :-1], jj[:, :-1]).ravel(), w(ii[:, 1:], jj[:, 1:]).ravel(), np.full(r_ * (c_ - 1), gw)
            )
        if r_ > 1:  # bit-line segments
            add(b(ii[:-1], jj[:-1]).ravel(), b(ii[1:], jj[1:]).ravel(), np.full((r_ - 1) * c_, gw))
        # sources through one segment into w(i, 0); sense through one segment from b(last, j) to ground
        src = w(np.arange(r_), 0)
        snk = b(r_ - 1, np.arange(c_))
        rows_idx.extend([src, snk])
        cols_idx.extend([src, snk])
        vals.extend([np.full(r_, gw), np.full(c_, gw)])
        rhs[src] += gw * v
        a = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows_idx), np.concatenate(cols_idx))), shape=(2 * n, 2 * n)
        )
        x = spsolve(a.tocsc(), rhs)
        return gw * x[snk]

    # writes -----------------------------------------------------------------------------------------------
    def write_probability(self, row: int, col: int, state: int, amplitude: float, width: float) -> float:
        """Probability that one pulse (A, s) switches cell (row, col) into ``state`` (P needs I > 0)."""
        p = self.params
        if self.stuck[row, col] != 0:
            return float(self.stuck[row, col] == state)
        if self.state[row, col] == state:
            return 1.0
        rate = escape_rate(
            -state, self.delta[row, col], p.tau0, current=amplitude, ic0=p.ic0, n_current=p.n_current
        )
        return float(switching_probability(rate, width))

    def write(
        self,
        row: int,
        col: int,
        state: int,
        rng: np.random.Generator,
        amplitude: float = 100e-6,
        width: float = 10e-9,
        max_attempts: int = 1,
    ) -> int:
        """Write ``state`` (±1) into a cell with up to ``max_attempts`` pulses of |``amplitude``| (A) and
        ``width`` (s), verifying after each; the pulse sign follows the target (P: +). Returns the number of
        pulses used, or −1 if the cell did not switch (stuck cells never do)."""
        if state not in (STATE_P, STATE_AP):
            raise ValueError(f"state must be +1 (P) or −1 (AP), got {state}")
        if not (0 <= row < self.rows and 0 <= col < self.cols):
            raise ValueError(f"cell ({row}, {col}) is outside the {self.rows}×{self.cols} array")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be ≥ 1, got {max_attempts}")
        for attempt in range(1, max_attempts + 1):
            if self.state[row, col] == state:
                return attempt - 1
            if self.stuck[row, col] == 0:
                prob = self.write_probability(row, col, state, state * abs(amplitude), width)
                if rng.random() < prob:
                    self.state[row, col] = state
        return max_attempts if self.state[row, col] == state else -1

    def program(
        self,
        states: ArrayLike,
        rng: np.random.Generator,
        amplitude: float = 100e-6,
        width: float = 10e-9,
        max_attempts: int = 1,
    ) -> np.ndarray:
        """Write a whole (rows, cols) pattern of ±1 with verify; returns the mask of cells that hold it."""
        target = np.asarray(states, dtype=int)
        if target.shape != self.state.shape or np.any((target != STATE_P) & (target != STATE_AP)):
            raise ValueError(f"states must be a ({self.rows}, {self.cols}) array of ±1")
        p = self.params
        for _ in range(max_attempts):
            todo = (self.state != target) & (self.stuck == 0)
            if not np.any(todo):
                break
            rate = escape_rate(
                -target[todo],
                self.delta[todo],
                p.tau0,
                current=target[todo] * abs(amplitude),
                ic0=p.ic0,
                n_current=p.n_current,
            )
            ok = rng.random(rate.shape) < switching_probability(rate, width)
            idx = np.flatnonzero(todo)[ok]
            self.state.flat[idx] = target.flat[idx]
        return self.state == target
