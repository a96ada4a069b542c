"""Tektronix MSO/DPO5000B oscilloscope (MSO5204B): single acquisitions of up to 25 M samples, binary transfer.

Filling the :class:`~mtjhw.instruments.roles.Oscilloscope` role in Tektronix's own command set (MSO/DPO5000B
programmer manual, shared with the DPO7000 and DPO70000 series): the horizontal system in MANual mode (record
length and sample rate set, the scale follows), one ``ACQuire:STOPAfter SEQuence`` acquisition waited for with
``*OPC?``, and ``CURVe?`` in signed 16-bit little-endian integers (``DATa:ENCdg SRIbinary``, ``WFMOutpre:BYT_Nr 2``)
scaled with the ``WFMOutpre?`` preamble. Errors are read as the scope reports them: ``*ESR?`` then ``ALLEv?``.

Safety: a scope sources nothing, so there is nothing for the safety gate to limit. The input termination is what
touches the DUT: a 50 Ω termination would shunt the junction (kΩ) and carry the bias current, so every
:meth:`TektronixMSO5000.configure_channel` sets the 1 MΩ termination (the role offers no other).
"""

from __future__ import annotations

import numpy as np
from pymeasure.instruments import Instrument
from pymeasure.instruments.validators import strict_discrete_set, strict_range

from .errors import InstrumentError
from .ieee_block import read_definite_block

CHANNELS = (1, 2, 3, 4)
#: The preamble's fields (``WFMOutpre?``, HEADer OFF), in the manual's order; NR_FR: the FastFrame frames.
PREAMBLE = ("BYT_NR", "BIT_NR", "ENCDG", "BN_FMT", "BYT_OR", "WFID", "NR_PT", "PT_FMT", "XUNIT", "XINCR", "XZERO",
            "PT_OFF", "YUNIT", "YMULT", "YOFF", "YZERO", "NR_FR")
_NO_EVENTS = (0, 1)  # "queue empty", "new events pending *ESR?"


class TektronixMSO5000(Instrument):
    """Fills the :class:`~mtjhw.instruments.roles.Oscilloscope` role: configure, acquire once, transfer ``CURVe?``
    as 16-bit codes and scale them to volts with the preamble."""

    horizontal_mode = Instrument.control("HOR:MODE?", "HOR:MODE %s", "Control the horizontal mode (AUTO, CONSTANT or "
                                         "MANUAL: in MANUAL record length and sample rate set the scale).",
                                         validator=strict_discrete_set, values=["AUTO", "CONSTANT", "MANUAL"])
    record_length = Instrument.control("HOR:MODE:RECO?", "HOR:MODE:RECO %d", "Control the samples per record.",
                                       validator=strict_range, values=[1000, 25_000_000], cast=int)
    sample_rate = Instrument.control("HOR:MODE:SAMPLER?", "HOR:MODE:SAMPLER %g",
                                     "Control the sample rate (S/s; MANUAL and CONSTANT modes).",
                                     validator=strict_range, values=[1e-3, 10e9])
    timebase_scale = Instrument.measurement("HOR:MODE:SCA?", "Measure the time per division (s).")
    stop_after = Instrument.control("ACQ:STOPA?", "ACQ:STOPA %s", "Control whether acquisitions stop after one "
                                    "sequence (SEQUENCE) or run until stopped (RUNSTOP).",
                                    validator=strict_discrete_set, values=["SEQUENCE", "RUNSTOP"])
    running = Instrument.measurement("ACQ:STATE?", "Measure whether the scope is acquiring.",
                                     cast=int, map_values=True, values={True: 1, False: 0})

    def __init__(self, adapter, name: str = "Tektronix MSO5204B", **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        kwargs.setdefault("timeout", 20000)
        super().__init__(adapter, name, includeSCPI=False, **kwargs)

    @property
    def id(self) -> str:
        """Get the identification (manufacturer, model, serial, firmware)."""
        return self.ask("*IDN?").strip()

    def configure_channel(self, channel: int, volts_per_div: float, offset: float = 0.0,
                          coupling: str = "DC") -> None:
        """Vertical set-up of ``channel`` (1–4): scale (V/div), offset (V) at the screen centre, DC/AC coupling, at
        the 1 MΩ termination (shown, position 0 div)."""
        if channel not in CHANNELS:
            raise ValueError(f"channel must be 1..4, got {channel}")
        strict_range(volts_per_div, [1e-3, 10.0])
        strict_discrete_set(coupling, ["DC", "AC"])
        self.write(f"SEL:CH{channel} ON;:CH{channel}:TER 1.0E+6;COUP {coupling};SCA {volts_per_div:g};"
                   f"POS 0;OFFS {offset:g}")
        self.check_errors()

    def acquire(self, channel: int, duration: float, points: int) -> tuple[np.ndarray, np.ndarray]:
        """One acquisition of ``points`` samples over ``duration`` s: (times s from the trigger, volts)."""
        if channel not in CHANNELS:
            raise ValueError(f"channel must be 1..4, got {channel}")
        strict_range(points, [1000, 25_000_000])
        self.horizontal_mode = "MANUAL"
        self.record_length = points
        self.sample_rate = points / duration
        self.write(f"DAT:SOU CH{channel};ENC SRI;STAR 1;STOP {points};:WFMO:BYT_N 2;:ACQ:STOPA SEQ;STATE ON")
        self.ask("*OPC?")  # the acquisition has completed
        self.check_errors()
        fields = dict(zip(PREAMBLE, self.ask("WFMO?").split(";"), strict=True))
        self.write("CURV?")
        codes = np.frombuffer(read_definite_block(self), dtype="<i2").astype(float)
        if codes.size != int(fields["NR_PT"]):
            raise RuntimeError(f"{self.name}: {codes.size} samples transferred, preamble says {fields['NR_PT']}")
        x_incr, x_zero, pt_off = (float(fields[k]) for k in ("XINCR", "XZERO", "PT_OFF"))
        y_mult, y_off, y_zero = (float(fields[k]) for k in ("YMULT", "YOFF", "YZERO"))
        t = x_zero + (np.arange(codes.size) - pt_off) * x_incr
        return t, (codes - y_off) * y_mult + y_zero

    def check_errors(self) -> list[tuple[int, str]]:
        """Read the events (``*ESR?`` makes them readable, ``ALLEv?`` reads them); raise
        :class:`InstrumentError` when there were any."""
        self.ask("*ESR?")
        events = []
        for entry in self.ask("ALLEV?").split('",'):
            code, _, text = entry.partition(",")
            if int(code) not in _NO_EVENTS:
                events.append((int(code), text.strip('"')))
        if events:
            raise InstrumentError(self.name, events)
        return events
