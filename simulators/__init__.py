"""Simulated backend: device physics, an SCPI engine, virtual instruments and the virtual bench.

Nothing here imports the rest of :mod:`mtjhw` (its bench, procedures or drivers); drivers in
:mod:`mtjhw.instruments` reach the virtual instruments only through VISA resource strings, exactly as they reach
real ones.
"""
