"""Simulated backend: device physics, an SCPI engine, virtual instruments and the virtual bench.

Nothing here imports :mod:`mtjhw`; drivers in :mod:`mtjhw.instruments` reach the virtual instruments only through
VISA resource strings, exactly as they reach real ones.
"""
