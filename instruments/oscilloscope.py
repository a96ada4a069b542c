"""Keysight InfiniiVision 3000/4000 X-series oscilloscope: single acquisitions with binary waveform transfer."""

from __future__ import annotations

import numpy as np
from pymeasure.instruments import Instrument, SCPIMixin
from pymeasure.instruments.validators import strict_discrete_set, strict_range

from .errors import RaisesInstrumentErrors
from .ieee_block import read_definite_block


class KeysightDSOX3000(RaisesInstrumentErrors, SCPIMixin, Instrument):
    """Fills the :class:`~mtjhw.instruments.roles.Oscilloscope` role: configure, acquire once, transfer in WORD format
    (16-bit, one binary block), scaled to volts with the preamble."""

    timebase_scale = Instrument.control(":TIM:SCAL?", ":TIM:SCAL %g", "Control the time per division (s).",
                                        validator=strict_range, values=[1e-9, 50.0])
    points = Instrument.control(":WAV:POIN?", ":WAV:POIN %d", "Control the points per acquisition.",
                                validator=strict_range, values=[100, 4_000_000], cast=int)
    waveform_format = Instrument.control(":WAV:FORM?", ":WAV:FORM %s", "Control the transfer format.",
                                         validator=strict_discrete_set, values=["ASC", "WORD", "BYTE"])

    def __init__(self, adapter, name: str = "Keysight InfiniiVision 3000 X", **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        kwargs.setdefault("timeout", 20000)
        super().__init__(adapter, name, **kwargs)

    def configure_channel(self, channel: int, volts_per_div: float, offset: float = 0.0,
                          coupling: str = "DC") -> None:
        """Vertical set-up of ``channel`` (1–4): scale (V/div), offset (V) at the screen centre, DC/AC coupling."""
        if channel not in (1, 2, 3, 4):
            raise ValueError(f"channel must be 1..4, got {channel}")
        strict_range(volts_per_div, [1e-3, 5.0])
        strict_discrete_set(coupling, ["DC", "AC"])
        self.write(f":CHAN{channel}:DISP 1;:CHAN{channel}:COUP {coupling};:CHAN{channel}:SCAL {volts_per_div:g};"
                   f":CHAN{channel}:OFFS {offset:g}")
        self.check_errors()

    def acquire(self, channel: int, duration: float, points: int) -> tuple[np.ndarray, np.ndarray]:
        """One acquisition of ``duration`` s (the screen) in ``points`` samples: (times s, volts)."""
        self.timebase_scale = duration / 10
        self.points = points
        self.write(f":WAV:POIN:MODE RAW;:WAV:FORM WORD;:WAV:BYT MSBF;:WAV:UNS 1;:WAV:SOUR CHAN{channel};"
                   f":DIG CHAN{channel}")
        preamble = [float(x) for x in self.ask(":WAV:PRE?").split(",")]
        _fmt, _type, n, _count, x_inc, x_origin, x_ref, y_inc, y_origin, y_ref = preamble
        self.write(":WAV:DATA?")
        codes = np.frombuffer(read_definite_block(self), dtype=">u2").astype(float)
        if codes.size != int(n):
            raise RuntimeError(f"{self.name}: {codes.size} samples transferred, preamble says {int(n)}")
        t = x_origin + (np.arange(codes.size) - x_ref) * x_inc
        return t, (codes - y_ref) * y_inc + y_origin

