"""Compiled Heun integrator for a batch of macrospins (numba).

The kernel is the inner loop of :mod:`mtjhw.simulators.physics.macrospin`; it is compiled because one junction at
dt = 1 ps needs ~10⁶ steps per simulated microsecond, far beyond what a per-step numpy loop can do. All
inputs are plain float64 arrays packed by :class:`mtjhw.simulators.physics.macrospin.Macrospin`; indices are below.

The equation is the Landau–Lifshitz form of the Gilbert equation with all torques written as effective fields
B (tesla): ṁ = −γ/(1+α²) [m × B + α m × (m × B)], where the Slonczewski/SOT damping-like torque enters as
a_J (m × p) and the field-like torque as b_J p. A junction driven by a voltage carries the current V·G(m, V)
of its conductance at every stage. Integration is Heun (stochastic predictor–corrector with the
same noise in both stages, which converges to the Stratonovich solution) followed by renormalisation of m.
Thermal normals come from a per-device SplitMix64 stream (ziggurat method), seeded by the caller's numpy
Generator, so runs are reproducible and the parallel loop over devices needs no shared random state.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# Per-device parameter columns (``prm``).
P_GAMMA_LL = 0  # γ/(1+α²), rad/(s·T)
P_ALPHA = 1
P_HK = 2  # uniaxial anisotropy field 2Ku/Ms, T
P_AXIS = 3  # 3..5 easy axis (unit)
P_DEMAG = 6  # 6..8 μ0·Ms·N_i, T
P_REF = 9  # 9..11 reference-layer polarisation (unit)
P_AJ = 12  # STT damping-like field per ampere ħη/(2e Ms t A), T/A
P_BETA = 13  # STT field-like / damping-like ratio
P_LAMBDA = 14  # Slonczewski asymmetry: a_J / (1 + λ m·p)
P_SIGMA = 15  # 15..17 SOT spin polarisation (unit)
P_ASOT = 18  # SOT damping-like field per ampere ħθ_SH/(2e Ms t A_hm), T/A
P_BSOT = 19  # SOT field-like / damping-like ratio
P_OERSTED = 20  # 20..22 Oersted field per ampere of junction current, T/A
P_THERMAL = 23  # thermal-field standard deviation for the step in use, T
P_GP = 24  # parallel conductance 1/R_P, S (voltage drive)
P_TMR = 25  # zero-bias TMR ratio (voltage drive)
P_VHALF = 26  # bias at which the TMR halves, V (voltage drive)
N_PRM = 27

# Drive columns (``drv``): two scalar waveforms (junction current, SOT current) and a vector field.
W_DC, W_RF_AMP, W_RF_FREQ, W_RF_PHASE, W_PULSE_AMP, W_PULSE_PERIOD, W_PULSE_WIDTH, W_PULSE_DELAY = range(8)
D_CURRENT = 0
D_SOT = 8
D_FIELD_DC = 16  # 16..18 T
D_FIELD_RF = 19  # 19..21 T
D_FIELD_FREQ = 22
D_FIELD_PHASE = 23
D_VOLTAGE = 24  # 1: the junction waveform is a voltage (V) and the current follows the conductance G(m, V)
N_DRV = 25


@numba.njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def _waveform(d, k, t):
    """Value at time t of the scalar waveform stored at columns k..k+7 of drive row d."""
    v = d[k + W_DC]
    if d[k + W_RF_AMP] != 0.0:
        v += d[k + W_RF_AMP] * math.sin(2.0 * math.pi * d[k + W_RF_FREQ] * t + d[k + W_RF_PHASE])
    if d[k + W_PULSE_AMP] != 0.0:
        tau = t - d[k + W_PULSE_DELAY]
        if tau >= 0.0:
            period = d[k + W_PULSE_PERIOD]
            if period > 0.0:
                tau = tau - period * math.floor(tau / period)
            if tau < d[k + W_PULSE_WIDTH]:
                v += d[k + W_PULSE_AMP]
    return v


@numba.njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def _drive(p, d, t):
    """(junction current A or voltage V, SOT current A, external field T) of drive row d at time t."""
    j = _waveform(d, D_CURRENT, t)
    i_sot = _waveform(d, D_SOT, t)
    s_rf = 0.0
    if d[D_FIELD_FREQ] != 0.0 or d[D_FIELD_PHASE] != 0.0:
        s_rf = math.sin(2.0 * math.pi * d[D_FIELD_FREQ] * t + d[D_FIELD_PHASE])
    bx = d[D_FIELD_DC] + d[D_FIELD_RF] * s_rf
    by = d[D_FIELD_DC + 1] + d[D_FIELD_RF + 1] * s_rf
    bz = d[D_FIELD_DC + 2] + d[D_FIELD_RF + 2] * s_rf
    return j, i_sot, bx, by, bz


@numba.njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def _junction_current(p, voltage_drive, j, mx, my, mz):
    """Junction current (A): ``j`` itself, or for a voltage drive j·G with G = G_P(1 + P²cosθ)-type
    interpolation between G_P and G_AP = G_P/(1 + TMR(V)), TMR(V) = TMR0/(1 + (V/V_half)²)."""
    if not voltage_drive:
        return j
    g_ap = p[P_GP] / (1.0 + p[P_TMR] / (1.0 + (j / p[P_VHALF]) ** 2))
    c = mx * p[P_REF] + my * p[P_REF + 1] + mz * p[P_REF + 2]
    return j * (0.5 * (p[P_GP] + g_ap) + 0.5 * (p[P_GP] - g_ap) * c)


@numba.njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def _rhs(p, voltage_drive, j, i_sot, bx, by, bz, mx, my, mz):
    """dm/dt (1/s) at m under the junction drive ``j`` (A, or V with ``voltage_drive``), the SOT current (A)
    and the external + thermal field (bx, by, bz) in T."""
    i_mtj = _junction_current(p, voltage_drive, j, mx, my, mz)
    bx += p[P_OERSTED] * i_mtj
    by += p[P_OERSTED + 1] * i_mtj
    bz += p[P_OERSTED + 2] * i_mtj
    # uniaxial anisotropy and demagnetisation
    mu = mx * p[P_AXIS] + my * p[P_AXIS + 1] + mz * p[P_AXIS + 2]
    bx += p[P_HK] * mu * p[P_AXIS] - p[P_DEMAG] * mx
    by += p[P_HK] * mu * p[P_AXIS + 1] - p[P_DEMAG + 1] * my
    bz += p[P_HK] * mu * p[P_AXIS + 2] - p[P_DEMAG + 2] * mz
    # Slonczewski STT from the reference layer
    if i_mtj != 0.0:
        px, py, pz = p[P_REF], p[P_REF + 1], p[P_REF + 2]
        aj = p[P_AJ] * i_mtj / (1.0 + p[P_LAMBDA] * (mx * px + my * py + mz * pz))
        bj = p[P_BETA] * aj
        bx += aj * (my * pz - mz * py) + bj * px
        by += aj * (mz * px - mx * pz) + bj * py
        bz += aj * (mx * py - my * px) + bj * pz
    # spin-orbit torque with polarisation σ
    if i_sot != 0.0:
        sx, sy, sz = p[P_SIGMA], p[P_SIGMA + 1], p[P_SIGMA + 2]
        a_s = p[P_ASOT] * i_sot
        b_s = p[P_BSOT] * a_s
        bx += a_s * (my * sz - mz * sy) + b_s * sx
        by += a_s * (mz * sx - mx * sz) + b_s * sy
        bz += a_s * (mx * sy - my * sx) + b_s * sz
    # Landau–Lifshitz form: −γ' [m×B + α m×(m×B)]
    cx = my * bz - mz * by
    cy = mz * bx - mx * bz
    cz = mx * by - my * bx
    dx = my * cz - mz * cy
    dy = mz * cx - mx * cz
    dz = mx * cy - my * cx
    g = -p[P_GAMMA_LL]
    a = p[P_ALPHA]
    return g * (cx + a * dx), g * (cy + a * dy), g * (cz + a * dz)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 2.0**-53


@numba.njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def _uniform(state):
    """SplitMix64 step: returns (new state, uniform in (0, 1))."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    return state, (float(z >> _S11) + 0.5) * _TWO_M53


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marsaglia–Tsang (2000) 128-layer ziggurat tables for the standard normal (32-bit variant)."""
    kn = np.zeros(128, dtype=np.int64)
    wn = np.zeros(128)
    fn = np.zeros(128)
    m1 = 2147483648.0
    dn = tn = 3.442619855899
    vn = 9.91256303526217e-3
    q = vn / math.exp(-0.5 * dn * dn)
    kn[0] = int((dn / q) * m1)
    wn[0] = q / m1
    wn[127] = dn / m1
    fn[0] = 1.0
    fn[127] = math.exp(-0.5 * dn * dn)
    for i in range(126, 0, -1):
        dn = math.sqrt(-2.0 * math.log(vn / dn + math.exp(-0.5 * dn * dn)))
        kn[i + 1] = int((dn / tn) * m1)
        tn = dn
        fn[i] = math.exp(-0.5 * dn * dn)
        wn[i] = dn / m1
    return kn, wn, fn


_KN, _WN, _FN = _ziggurat_tables()
_ZIG_R = 3.442619855899
_S32 = np.uint64(32)
_M7 = np.uint64(127)
_TWO31 = 2147483648


@numba.njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def _normal(state):
    """Ziggurat standard normal: returns (new state, value). The layer index and the signed 32-bit value
    come from disjoint bits of one SplitMix64 output; tail and wedges are sampled exactly."""
    while True:
        state = state + _GOLDEN
        z = state
        z = (z ^ (z >> _S30)) * _MIX1
        z = (z ^ (z >> _S27)) * _MIX2
        z = z ^ (z >> _S31)
        hz = np.int64(z >> _S32) - _TWO31
        iz = np.int64(z & _M7)
        x = hz * _WN[iz]
        if abs(hz) < _KN[iz]:
            return state, x
        if iz == 0:  # tail beyond r: Marsaglia's exponential method
            while True:
                state, u1 = _uniform(state)
                state, u2 = _uniform(state)
                xt = -math.log(u1) / _ZIG_R
                if -2.0 * math.log(u2) >= xt * xt:
                    return state, (_ZIG_R + xt) if hz > 0 else -(_ZIG_R + xt)
        state, u = _uniform(state)
        if _FN[iz] + u * (_FN[iz - 1] - _FN[iz]) < math.exp(-0.5 * x * x):
            return state, x


@numba.njit(cache=True)
def standard_normals(seed, n):
    """``n`` standard normals from the kernel's generator seeded with ``seed`` (for testing it)."""
    out = np.empty(n)
    state = np.uint64(seed)
    for i in range(n):
        state, out[i] = _normal(state)
    return out


#: devices advanced together in one thread: interleaving their independent step chains hides latency
BLOCK = 8


@numba.njit(cache=True, parallel=True, fastmath=True, error_model="numpy")
def heun_run(m, prm, drv, t0, dt, n_steps, seeds, thermal, record_every, out):
    """Advance ``m`` (n, 3) in place by ``n_steps`` Heun steps from time ``t0``.

    ``seeds`` (n,) uint64 seed each device's SplitMix64 stream of thermal-field normals (used when
    ``thermal``). Every ``record_every`` steps m is written to ``out[:, k]`` (k = 0, 1, …).
    """
    n = m.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in numba.prange(n_blocks):
        j0 = blk * BLOCK
        nb = min(BLOCK, n - j0)
        mm = np.empty((BLOCK, 3))
        state = np.empty(BLOCK, dtype=np.uint64)
        cur = np.empty((BLOCK, 5))
        for b in range(nb):
            mm[b, 0] = m[j0 + b, 0]
            mm[b, 1] = m[j0 + b, 1]
            mm[b, 2] = m[j0 + b, 2]
            state[b] = seeds[j0 + b]
            i1, s1, ex1, ey1, ez1 = _drive(prm[j0 + b], drv[j0 + b], t0)
            cur[b, 0] = i1
            cur[b, 1] = s1
            cur[b, 2] = ex1
            cur[b, 3] = ey1
            cur[b, 4] = ez1
        rec = 0
        countdown = record_every
        for s in range(n_steps):
            t_next = t0 + (s + 1) * dt
            for b in range(nb):
                p = prm[j0 + b]
                i2, s2, ex2, ey2, ez2 = _drive(p, drv[j0 + b], t_next)
                tx = 0.0
                ty = 0.0
                tz = 0.0
                if thermal:
                    st, g1 = _normal(state[b])
                    st, g2 = _normal(st)
                    st, g3 = _normal(st)
                    state[b] = st
                    sig = p[P_THERMAL]
                    tx = sig * g1
                    ty = sig * g2
                    tz = sig * g3
                mx, my, mz = mm[b, 0], mm[b, 1], mm[b, 2]
                volt = drv[j0 + b, D_VOLTAGE] != 0.0
                k1x, k1y, k1z = _rhs(
                    p, volt, cur[b, 0], cur[b, 1], cur[b, 2] + tx, cur[b, 3] + ty, cur[b, 4] + tz, mx, my, mz
                )
                qx = mx + dt * k1x
                qy = my + dt * k1y
                qz = mz + dt * k1z
                k2x, k2y, k2z = _rhs(p, volt, i2, s2, ex2 + tx, ey2 + ty, ez2 + tz, qx, qy, qz)
                mx += 0.5 * dt * (k1x + k2x)
                my += 0.5 * dt * (k1y + k2y)
                mz += 0.5 * dt * (k1z + k2z)
                inv = 1.0 / math.sqrt(mx * mx + my * my + mz * mz)
                mm[b, 0] = mx * inv
                mm[b, 1] = my * inv
                mm[b, 2] = mz * inv
                cur[b, 0] = i2
                cur[b, 1] = s2
                cur[b, 2] = ex2
                cur[b, 3] = ey2
                cur[b, 4] = ez2
            countdown -= 1
            if countdown == 0:
                countdown = record_every
                for b in range(nb):
                    out[j0 + b, rec, 0] = mm[b, 0]
                    out[j0 + b, rec, 1] = mm[b, 1]
                    out[j0 + b, rec, 2] = mm[b, 2]
                rec += 1
        for b in range(nb):
            m[j0 + b, 0] = mm[b, 0]
            m[j0 + b, 1] = mm[b, 1]
            m[j0 + b, 2] = mm[b, 2]
