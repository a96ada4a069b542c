"""Compiled Heun integrator for a batch of macrospins (numba).

The kernel is the inner loop of :mod:`simulators.physics.macrospin`; it is compiled because one junction at
dt = 1 ps needs ~10⁶ steps per simulated microsecond, far beyond what a per-step numpy loop can do. All
inputs are plain float64 arrays packed by :class:`simulators.physics.macrospin.Macrospin`; indices are below.

The equation is the Landau–Lifshitz form of the Gilbert equation with all torques written as effective fields
B (tesla): ṁ = −γ/(1+α²) [m × B + α m × (m × B)], where the Slonczewski/SOT damping-like torque enters as
a_J (m × p) and the field-like torque as b_J p. Integration is Heun (stochastic predictor–corrector with the
same noise in both stages, which converges to the Stratonovich solution) followed by renormalisation of m.
Thermal normals come from a per-device SplitMix64 stream (polar method), seeded by the caller's numpy
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
N_PRM = 24

# Drive columns (``drv``): two scalar waveforms (junction current, SOT current) and a vector field.
W_DC, W_RF_AMP, W_RF_FREQ, W_RF_PHASE, W_PULSE_AMP, W_PULSE_PERIOD, W_PULSE_WIDTH, W_PULSE_DELAY = range(8)
D_CURRENT = 0
D_SOT = 8
D_FIELD_DC = 16  # 16..18 T
D_FIELD_RF = 19  # 19..21 T
D_FIELD_FREQ = 22
D_FIELD_PHASE = 23
N_DRV = 24


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
def _rhs(p, d, t, mx, my, mz, tx, ty, tz):
    """dm/dt (1/s) at m for drive row d at time t, with thermal field (tx, ty, tz) in T."""
    i_mtj = _waveform(d, D_CURRENT, t)
    i_sot = _waveform(d, D_SOT, t)
    s_rf = 0.0
    if d[D_FIELD_FREQ] != 0.0 or d[D_FIELD_PHASE] != 0.0:
        s_rf = math.sin(2.0 * math.pi * d[D_FIELD_FREQ] * t + d[D_FIELD_PHASE])
    bx = d[D_FIELD_DC] + d[D_FIELD_RF] * s_rf + p[P_OERSTED] * i_mtj + tx
    by = d[D_FIELD_DC + 1] + d[D_FIELD_RF + 1] * s_rf + p[P_OERSTED + 1] * i_mtj + ty
    bz = d[D_FIELD_DC + 2] + d[D_FIELD_RF + 2] * s_rf + p[P_OERSTED + 2] * i_mtj + tz
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


@numba.njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def _normal_pair(state):
    """Marsaglia's polar method: returns (new state, two independent standard normals)."""
    while True:
        state, u1 = _uniform(state)
        state, u2 = _uniform(state)
        x = 2.0 * u1 - 1.0
        y = 2.0 * u2 - 1.0
        r2 = x * x + y * y
        if 0.0 < r2 < 1.0:
            f = math.sqrt(-2.0 * math.log(r2) / r2)
            return state, x * f, y * f


@numba.njit(cache=True, parallel=True, fastmath=True, error_model="numpy")
def heun_run(m, prm, drv, t0, dt, n_steps, seeds, thermal, record_every, out):
    """Advance ``m`` (n, 3) in place by ``n_steps`` Heun steps from time ``t0``.

    ``seeds`` (n,) uint64 seed each device's SplitMix64 stream of thermal-field normals (used when
    ``thermal``). Every ``record_every`` steps m is written to ``out[:, k]`` (k = 0, 1, …).
    """
    n = m.shape[0]
    for j in numba.prange(n):
        p = prm[j]
        d = drv[j]
        mx, my, mz = m[j, 0], m[j, 1], m[j, 2]
        sig = p[P_THERMAL]
        state = seeds[j]
        spare = 0.0
        has_spare = False
        tx = 0.0
        ty = 0.0
        tz = 0.0
        rec = 0
        for s in range(n_steps):
            t = t0 + s * dt
            if thermal:
                state, g1, g2 = _normal_pair(state)
                if has_spare:
                    g3 = spare
                    has_spare = False
                else:
                    state, g3, spare = _normal_pair(state)
                    has_spare = True
                tx = sig * g1
                ty = sig * g2
                tz = sig * g3
            k1x, k1y, k1z = _rhs(p, d, t, mx, my, mz, tx, ty, tz)
            qx = mx + dt * k1x
            qy = my + dt * k1y
            qz = mz + dt * k1z
            k2x, k2y, k2z = _rhs(p, d, t + dt, qx, qy, qz, tx, ty, tz)
            mx += 0.5 * dt * (k1x + k2x)
            my += 0.5 * dt * (k1y + k2y)
            mz += 0.5 * dt * (k1z + k2z)
            inv = 1.0 / math.sqrt(mx * mx + my * my + mz * mz)
            mx *= inv
            my *= inv
            mz *= inv
            if (s + 1) % record_every == 0:
                out[j, rec, 0] = mx
                out[j, rec, 1] = my
                out[j, rec, 2] = mz
                rec += 1
        m[j, 0] = mx
        m[j, 1] = my
        m[j, 2] = mz
