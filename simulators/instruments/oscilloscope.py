"""Virtual Keysight InfiniiVision 3000 X-series oscilloscope (DSOX3024T) watching the DUT's voltage.

Channel 1 is DC-coupled across the DUT (1 MΩ), so under a source-meter current bias it shows V = I·R(t): the
random telegraph signal of a superparamagnetic junction. ``:DIGitize``/``:SINGle`` acquire ``:WAVeform:POINts``
samples over the screen (10 divisions of ``:TIMebase:SCALe``) starting at the moment of the command (the bench's
simulated time advances by the capture); ``:WAVeform:DATA?`` returns them as ASCii values or as a WORD/BYTE
IEEE 488.2 block, with ``:WAVeform:PREamble?`` giving the scaling, as the real instrument does.
"""

from __future__ import annotations

import numpy as np
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import Boolean, ChannelSetting, Enum, Integer, Numeric, ScpiError, Setting, command

from .base import BenchInstrument

_CHANNELS = (1, 2, 3, 4)
_SCREEN_DIVISIONS_Y = 8
_NOISE_DIVISIONS = 0.02  # rms noise of the front end, in vertical divisions


class KeysightDSOX3000(BenchInstrument):
    """4-channel 200 MHz scope; up to 4 Mpts per acquisition."""

    idn = ("KEYSIGHT TECHNOLOGIES", "DSOX3024T", "MY58260123", "07.50.2021102830")
    max_points = 4_000_000

    timebase_scale = Setting(":TIMebase:SCALe", Numeric(1e-3, 1e-9, 50.0, "S"))
    timebase_position = Setting(":TIMebase:POSition", Numeric(0.0, -500.0, 500.0, "S"))
    scale = ChannelSetting(":CHANnel#:SCALe", Numeric(0.1, 1e-3, 5.0, "V"), _CHANNELS)
    offset = ChannelSetting(":CHANnel#:OFFSet", Numeric(0.0, -40.0, 40.0, "V"), _CHANNELS)
    display = ChannelSetting(":CHANnel#:DISPlay", Boolean(True), _CHANNELS)
    coupling = ChannelSetting(":CHANnel#:COUPling", Enum(["DC", "AC"], "DC"), _CHANNELS)
    impedance = ChannelSetting(":CHANnel#:IMPedance", Enum(["ONEMeg", "FIFTy"], "ONEMeg"), _CHANNELS)
    trigger_mode = Setting(":TRIGger:MODE", Enum(["EDGE", "GLITch", "PATTern"], "EDGE"))
    trigger_sweep = Setting(":TRIGger:SWEep", Enum(["AUTO", "NORMal"], "AUTO"))
    trigger_source = Setting(":TRIGger[:EDGE]:SOURce", Enum(["CHANnel1", "CHANnel2", "CHANnel3", "CHANnel4",
                                                              "EXTernal", "LINE"], "CHANnel1"))
    trigger_level = Setting(":TRIGger[:EDGE]:LEVel", Numeric(0.0, -40.0, 40.0, "V"))
    acquire_type = Setting(":ACQuire:TYPE", Enum(["NORMal", "AVERage", "HRESolution", "PEAK"], "NORMal"))
    waveform_source = Setting(":WAVeform:SOURce", Enum(["CHANnel1", "CHANnel2", "CHANnel3", "CHANnel4"],
                                                       "CHANnel1"))
    waveform_format = Setting(":WAVeform:FORMat", Enum(["ASCii", "WORD", "BYTE"], "BYTE"))
    waveform_points = Setting(":WAVeform:POINts", Integer(1000, 100, max_points))
    points_mode = Setting(":WAVeform:POINts:MODE", Enum(["NORMal", "MAXimum", "RAW"], "NORMal"))
    byte_order = Setting(":WAVeform:BYTeorder", Enum(["LSBFirst", "MSBFirst"], "MSBFirst"))
    unsigned = Setting(":WAVeform:UNSigned", Boolean(True))

    def __init__(self, bench: VirtualBench) -> None:
        self.traces: dict[int, np.ndarray] = {}
        self.running = True
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.traces = {}
        self.running = True

    # ----------------------------------------------------------------- acquisition
    def acquire(self) -> None:
        """Capture the screen now: the DUT voltage on channel 1, 0 V on the others."""
        n = self.waveform_points
        window = 10 * self.timebase_scale
        dt = window / n
        dut = self.bench.dut
        bias = self.bench.effective_bias
        trajectory = getattr(dut, "trajectory", None)
        t = np.arange(n) * dt
        if trajectory is not None:
            start, switches = trajectory(window, bias, self.bench.field, self.bench.rng)
            flips = np.searchsorted(switches, t, side="right")
            state = np.where(flips % 2 == 0, start, -start)
            (v_p, _), (v_ap, _) = dut._operating_point(1, bias), dut._operating_point(-1, bias)
            v = np.where(state == 1, v_p, v_ap)
        else:
            v = np.full(n, dut.advance(window, bias, self.bench.field, self.bench.rng)[0])
        self.bench.time += window
        rng = self.bench.rng
        for ch in _CHANNELS:
            signal = v if ch == 1 else np.zeros(n)
            if self.coupling[ch] == "AC":
                signal = signal - signal.mean()
            noise = _NOISE_DIVISIONS * self.scale[ch] * rng.standard_normal(n)
            self.traces[ch] = signal + noise
        self._dt = dt
        self.running = False

    @command(":DIGitize", Enum(["CHANnel1", "CHANnel2", "CHANnel3", "CHANnel4"], optional=True))
    def _digitize(self, source: str | None) -> None:
        self.acquire()

    @command(":SINGle")
    def _single(self) -> None:
        self.acquire()

    @command(":RUN")
    def _run(self) -> None:
        self.running = True

    @command(":STOP")
    def _stop(self) -> None:
        self.running = False

    @command(":OPERegister:CONDition?")
    def _operation_condition(self) -> str:
        return str(8 if self.running else 0)  # bit 3: run

    # ----------------------------------------------------------------- transfer
    def _codes(self, ch: int) -> tuple[np.ndarray, float, float, int]:
        """ADC codes of a trace with (y increment, y origin, y reference) of the preamble."""
        bits = 8 if self.waveform_format == "BYTE" else 16
        full = _SCREEN_DIVISIONS_Y * self.scale[ch]
        y_increment = full / 2**bits * (256 / 250 if bits == 8 else 1)
        y_reference = 2 ** (bits - 1)
        y_origin = self.offset[ch]
        codes = np.clip(np.round((self.traces[ch] - y_origin) / y_increment) + y_reference, 0, 2**bits - 1)
        return codes.astype(np.int64), y_increment, y_origin, y_reference

    def _channel(self) -> int:
        ch = int(self.waveform_source[-1])
        if ch not in self.traces:
            raise ScpiError(-230, "no acquisition on the source channel: :DIGitize first")
        return ch

    @command(":WAVeform:PREamble?")
    def _preamble(self) -> str:
        ch = self._channel()
        fmt = {"BYTE": 0, "WORD": 1, "ASCII": 4}[self.waveform_format]
        _, y_inc, y_origin, y_ref = self._codes(ch)
        n = len(self.traces[ch])
        return (f"{fmt},0,{n},1,{self._dt:+.9E},{self.timebase_position - 5 * self.timebase_scale:+.9E},0,"
                f"{y_inc:+.9E},{y_origin:+.9E},{y_ref}")

    @command(":WAVeform:DATA?")
    def _data(self) -> str | bytes:
        ch = self._channel()
        if self.waveform_format == "ASCII":
            body = ",".join(f"{x:+.6E}" for x in self.traces[ch])
            return f"#8{len(body):08d}{body}"
        codes, *_ = self._codes(ch)
        if self.waveform_format == "BYTE":
            payload = codes.astype(np.uint8).tobytes()
        else:
            dtype = ">u2" if self.byte_order == "MSBFIRST" else "<u2"
            payload = codes.astype(dtype).tobytes()
        header = f"#{len(str(len(payload)))}{len(payload)}".encode()
        return header + payload

    @command(":WAVeform:POINts?")
    def _points(self) -> str:
        return str(len(self.traces.get(1, ())) or self.waveform_points)
