"""Microwave drive at the DUT: what the RF source puts through the bias tee's AC port."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RfDrive:
    """``frequency`` Hz and available ``power`` W at the DUT (after the cable), ``on``; amplitude modulation of
    ``am_depth`` (0–1) at ``am_frequency`` Hz when ``am_on`` (what a lock-in demodulates)."""

    frequency: float = 1e9
    power: float = 0.0
    on: bool = False
    am_on: bool = False
    am_depth: float = 1.0
    am_frequency: float = 1e3

    @property
    def mean_power(self) -> float:
        """Time-averaged power at the DUT (W): with 100 % AM (a square on/off chop) half of the peak."""
        if not self.on:
            return 0.0
        return self.power * (1 - self.am_depth / 2) if self.am_on else self.power
