"""Virtual microwave signal generators: Keysight N5183B MXG, Agilent E8257D PSG, R&S SMB100A, Anritsu MG3692C.

Each twin answers its own programming manual's command tree, in its own reply format:

- Keysight/Agilent (MXG and PSG share one SCPI dialect, :class:`_KeysightSource`): frequencies answer
  ``+2.0000000000000E+10``, other reals ``+1.00000000E+002``, errors ``+0,"No error"``. ``[:SOURce]:AM[1][:DEPTh]``
  is the depth — ``:AM 30`` sets 30 % — and ``:AM:STATe`` (not optional) switches AM; ``:OUTPut:MODulation`` is
  the master switch of every modulation. The PSG adds ``:FREQuency:MODE SWEep``, the analog/step sweep generator,
  master/slave sweep control and ``:DIAGnostic:CPU:INFormation:OPTions``; the MXG sweeps by ``LIST`` mode only.
- R&S SMB100A: plain-number replies (``1000000000``, ``-30``), ``[:SOURce]:AM[:DEPTh]`` with the internal LF
  generator's ``:LFOutput:FREQuency`` as AM rate, ``:MODulation[:ALL][:STATe]`` as master switch, sweeps triggered
  by ``:TRIGger:FSWeep:SOURce``; sweep step and points are coupled through the span.
- Anritsu MG3692C: ``[:SOURce]:AM[:DEPTh]`` / ``:AM:STATe`` / ``:AM:INTernal:FREQuency``, no modulation master.

Power at the connector is the set value − the power offset (+ the reference while it is on, Keysight): the
offset is what a downstream attenuator or amplifier adds (the set value is the displayed power; the settable range
is not shifted by it here). A power ceiling survives presets and ``*RST``: the MXG's ``:POWer:USER:MAX`` with
``:POWer:USER:ENABle`` (from the MXG programming guide's command list; its behaviour from memory) and the SMB100A's
``:POWer:LIMit[:AMPLitude]`` (R&S: not affected by a preset or ``*RST``): a power above it is refused (-221, the
setting kept), and a ceiling lowered below the present output brings the power down to it.

The RF output reaches the DUT through ``cable_loss_db`` of cable and the bias tee (``bench.rf``): carrier
frequency (in a sweep mode: the sweep's start, or its stop after a single sweep without retrace), power, AM
(depth and rate) and — on the Keysight sources — internal square-wave pulse modulation, a 100 % on/off chop at
the pulse rate. A sweep runs instantly when triggered: ``sweeps_run`` counts them, and the SCPI operation status
register latches its "sweeping" bit (8).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import Boolean, Enum, Integer, Numeric, ScpiError, Setting, StatusRegisters, command
from mtjhw.simulators.scpi.parameters import unquote

from .base import BenchInstrument

#: SCPI operation status bit "sweeping" (SCPI-99 vol. 1, 9.3).
SWEEPING = 8


def psg_real(value: float) -> str:
    """A Keysight MXG/PSG real response: ``+1.00000000E+002`` (9 digits, 3-digit exponent)."""
    mantissa, exponent = f"{value:+.8E}".split("E")
    return f"{mantissa}E{int(exponent):+04d}"


def psg_frequency(value: float) -> str:
    """A Keysight MXG/PSG frequency response (Hz): ``+2.0000000000000E+10``."""
    return f"{value:+.13E}"


def rs_number(value: float) -> str:
    """An R&S response: the number in its basic unit, without padding (``1000000000``, ``-30``, ``0.01``)."""
    return f"{value:.12g}".upper()


class Real(Numeric):
    """A :class:`Numeric` answered in the instrument's own number format (``formatter``)."""

    def __init__(self, default: float | None, minimum: float, maximum: float, unit: str = "", *,
                 formatter: Callable[[float], str] = psg_real) -> None:
        super().__init__(default, minimum, maximum, unit)
        self.formatter = formatter

    def format(self, value: float) -> str:
        return self.formatter(float(value))


class Selector(Enum):
    """An :class:`Enum` whose numeric suffix 1 is optional (``INT1`` is ``INT``), as Keysight's source selectors."""

    def parse(self, token: str) -> str:
        inner = unquote(token)
        text = inner if inner is not None else token
        if len(text) > 1 and text.endswith("1") and not text[-2].isdigit():
            text = text[:-1]
        return self._canonical(text)


def _rs(default: float, minimum: float, maximum: float, unit: str = "") -> Real:
    return Real(default, minimum, maximum, unit, formatter=rs_number)


class _SignalGenerator(StatusRegisters, BenchInstrument):
    """What every source shares: the bench coupling, the sweep bookkeeping, ``:FREQuency:CENTer``/``SPAN`` over
    the start/stop settings, ``:SYSTem:PRESet`` and the SCPI operation/questionable status registers.

    A model declares the settings ``output``, ``frequency``, ``power`` (dBm), ``am``, ``am_depth`` (%),
    ``am_frequency`` (Hz), ``start``, ``stop`` (Hz) and ``frequency_mode``; ``_SWEEP_MODES`` lists the frequency
    modes that sweep.
    """

    _SWEEP_MODES: frozenset[str] = frozenset({"SWEEP", "LIST"})
    #: settings that presets and ``*RST`` keep (a power ceiling)
    _KEPT: tuple[str, ...] = ()

    def __init__(self, bench: VirtualBench, cable_loss_db: float = 3.0) -> None:
        self.cable_loss_db = cable_loss_db
        self.sweeps_run = 0  #: sweeps completed since power-on
        self._swept = False  # a single sweep has completed since the sweep was last set up
        self._armed = False  # a sweep waits for its trigger
        super().__init__(bench)

    def reset(self) -> None:
        kept = {name: self.settings[name] for name in self._KEPT if name in self.settings}
        super().reset()
        self.settings.update(kept)
        self._swept = self._armed = False
        self._apply()

    # ----------------------------------------------------------------- bench coupling
    def _apply(self) -> None:
        rf = self.bench.rf
        rf.on = bool(self.output)
        rf.frequency = self._output_frequency()
        rf.power = 1e-3 * 10 ** ((self.output_power() - self.cable_loss_db) / 10)  # W at the DUT
        rf.am_on, rf.am_depth, rf.am_frequency = self._modulation()

    def output_power(self) -> float:
        """dBm at the connector for the set power (models with an offset or a reference adjust it)."""
        return self.power

    def _ceiling(self) -> float:
        """The user's power ceiling at the connector (dBm), where one is armed."""
        return math.inf

    def _power_changed(self) -> None:
        """A new power, offset or reference: refused (-221) when the output would exceed the ceiling."""
        if self.output_power() > self._ceiling() + 1e-9:
            raise ScpiError(-221, f"Settings conflict; output {self.output_power():g} dBm above the power limit "
                                  f"{self._ceiling():g} dBm")
        self._apply()

    def _ceiling_changed(self) -> None:
        """A ceiling lowered below the present output brings the power down to it."""
        excess = self.output_power() - self._ceiling()
        if excess > 0:
            self.settings["power"] -= excess
        self._apply()

    def _modulation(self) -> tuple[bool, float, float]:
        """AM at the DUT: (on, depth 0–1, rate Hz)."""
        return bool(self.am) and self._modulation_enabled(), self.am_depth / 100.0, self.am_frequency

    def _modulation_enabled(self) -> bool:
        """The modulation master switch (sources without one: always on)."""
        return True

    def _sweeping(self) -> bool:
        return self.frequency_mode in self._SWEEP_MODES

    def _continuous(self) -> bool:
        """Whether sweeps repeat without a trigger."""
        return False

    def _retrace(self) -> bool:
        """Whether the output returns to the start frequency after a sweep."""
        return True

    def _output_frequency(self) -> float:
        if not self._sweeping():
            return self.frequency
        at_stop = self._swept and not self._retrace() and not self._continuous()
        return self.stop if at_stop else self.start

    def _mode_changed(self) -> None:
        self._swept = self._armed = False
        self._apply()

    # ----------------------------------------------------------------- sweeps
    def _run_sweep(self) -> None:
        """One complete sweep, instantly: counted, the operation register latches "sweeping"."""
        self.sweeps_run += 1
        self._swept, self._armed = True, False
        self.operation_event |= SWEEPING
        self._apply()

    def _frequency_limits(self) -> tuple[float, float]:
        param = type(self).frequency.param
        return param.minimum, param.maximum

    def _span_changed(self) -> None:
        self._apply()

    def _set_center_span(self, center: float, span: float) -> None:
        """Start and stop around ``center``; the span shrinks to stay within the frequency range."""
        low, high = self._frequency_limits()
        if not low <= center <= high:
            raise ScpiError(-222, f"center {center:g} Hz not in [{low:g}, {high:g}] Hz")
        half = min(abs(span) / 2, center - low, high - center)
        self.settings["start"], self.settings["stop"] = center - half, center + half
        self._span_changed()

    @command("[:SOURce]:FREQuency:CENTer", Numeric(None, unit="HZ"))
    def _set_center(self, value: float) -> None:
        self._set_center_span(value, self.stop - self.start)

    @command("[:SOURce]:FREQuency:CENTer?")
    def _get_center(self) -> str:
        return type(self).frequency.param.format((self.start + self.stop) / 2)

    @command("[:SOURce]:FREQuency:SPAN", Numeric(None, 0.0, unit="HZ"))
    def _set_span(self, value: float) -> None:
        self._set_center_span((self.start + self.stop) / 2, value)

    @command("[:SOURce]:FREQuency:SPAN?")
    def _get_span(self) -> str:
        return type(self).frequency.param.format(self.stop - self.start)

    # ----------------------------------------------------------------- system and status
    @command(":SYSTem:PRESet")
    def _preset(self) -> None:
        self.reset()

    def operation_condition(self) -> int:
        return SWEEPING if self._sweeping() and self._continuous() else 0


class _TriggerModel(_SignalGenerator):
    """The SCPI trigger model of the Keysight and Anritsu sources: ``:INITiate[:IMMediate]`` arms a sweep, which
    runs at once with ``:TRIGger:SOURce IMMediate`` or at the next ``*TRG``/``:TRIGger``; ``:INITiate:CONTinuous``
    sweeps repeatedly. A model declares ``trigger_source`` and ``continuous``."""

    def _continuous(self) -> bool:
        return bool(self.continuous)

    def _initiate(self) -> None:
        if not self._sweeping() or self._continuous():
            return
        if self.trigger_source == "IMMEDIATE":
            self._run_sweep()
        else:
            self._armed = True

    @command(":INITiate[:IMMediate][:ALL]")
    def _init(self) -> None:
        self._initiate()

    @command(":ABORt")
    def _abort(self) -> None:
        self._armed = False

    @command("*TRG")
    @command(":TRIGger[:SEQuence][:IMMediate]")
    def _trigger(self) -> None:
        if self._armed:
            self._run_sweep()


class _KeysightSource(_TriggerModel):
    """The SCPI dialect shared by the MXG and the PSG (their programming guides' common subsystems)."""

    phase = Setting("[:SOURce]:PHASe[:ADJust]", Real(0.0, -math.pi, math.pi, "RAD"))
    frequency_offset = Setting("[:SOURce]:FREQuency:OFFSet", Real(0.0, -200e9, 200e9, "HZ",
                                                                  formatter=psg_frequency))
    power_offset = Setting("[:SOURce]:POWer[:LEVel][:IMMediate]:OFFSet", Real(0.0, -200.0, 200.0, "DB"),
                           after="_power_changed")
    power_reference = Setting("[:SOURce]:POWer:REFerence", Real(0.0, -400.0, 300.0, "DBM"), after="_power_changed")
    power_reference_on = Setting("[:SOURce]:POWer:REFerence:STATe", Boolean(False), after="_power_changed")
    alc = Setting("[:SOURce]:POWer:ALC[:STATe]", Boolean(True))
    attenuation = Setting("[:SOURce]:POWer:ATTenuation", Real(115.0, 0.0, 115.0, "DB"))
    attenuator_auto = Setting("[:SOURce]:POWer:ATTenuation:AUTO", Boolean(True))
    output = Setting(":OUTPut[:STATe]", Boolean(False), after="_apply")
    modulation = Setting(":OUTPut:MODulation[:STATe]", Boolean(True), after="_apply")
    am = Setting("[:SOURce]:AM[1]:STATe", Boolean(False), after="_apply")
    am_depth = Setting("[:SOURce]:AM[1][:DEPTh][:LINear]", Real(0.1, 0.0, 100.0, "PCT"), after="_apply")
    am_source = Setting("[:SOURce]:AM[1]:SOURce", Selector(["INTernal", "INTernal2", "EXTernal", "EXTernal2"],
                                                          "INTernal"))
    am_frequency = Setting("[:SOURce]:AM[1]:INTernal[1]:FREQuency", Real(400.0, 0.5, 1e6, "HZ"), after="_apply")
    fm = Setting("[:SOURce]:FM[1]:STATe", Boolean(False))
    fm_deviation = Setting("[:SOURce]:FM[1][:DEViation]", Real(1e3, 0.0, 8e6, "HZ"))
    fm_source = Setting("[:SOURce]:FM[1]:SOURce", Selector(["INTernal", "INTernal2", "EXTernal", "EXTernal2"],
                                                          "INTernal"))
    fm_frequency = Setting("[:SOURce]:FM[1]:INTernal[1]:FREQuency", Real(400.0, 0.5, 1e6, "HZ"))
    pulse_modulation = Setting("[:SOURce]:PULM:STATe", Boolean(False), after="_apply")
    pulse_source = Setting("[:SOURce]:PULM:SOURce", Enum(["INTernal", "EXTernal", "SCALar"], "INTernal"),
                           after="_apply")
    pulse_frequency = Setting("[:SOURce]:PULM:INTernal[1]:FREQuency", Real(1e3, 0.1, 10e6, "HZ"), after="_apply")
    lfo_amplitude = Setting("[:SOURce]:LFOutput:AMPLitude", Real(0.0, 0.0, 3.5, "VP"))
    lfo_source = Setting("[:SOURce]:LFOutput:SOURce", Selector(["INTernal", "INTernal2", "FUNCtion",
                                                                "FUNCtion2"], "INTernal"))
    lfo = Setting("[:SOURce]:LFOutput:STATe", Boolean(False))
    reference_auto = Setting("[:SOURce]:ROSCillator:SOURce:AUTO", Boolean(True))
    sweep_points = Setting("[:SOURce]:SWEep:POINts", Integer(101, 2, 65535))
    sweep_dwell = Setting("[:SOURce]:SWEep:DWELl[1]", Real(2e-3, 1e-3, 60.0, "S"))
    retrace = Setting("[:SOURce]:LIST:RETRace", Boolean(True), after="_apply")
    list_type = Setting("[:SOURce]:LIST:TYPE", Enum(["LIST", "STEP"], "STEP"))
    list_mode = Setting("[:SOURce]:LIST:MODE", Enum(["AUTO", "MANual"], "AUTO"))
    trigger_source = Setting(":TRIGger[:SEQuence]:SOURce", Enum(["IMMediate", "BUS", "EXTernal", "KEY",
                                                                 "TIMer"], "IMMediate"))
    continuous = Setting(":INITiate:CONTinuous[:ALL]", Boolean(False), after="_mode_changed")
    display = Setting(":DISPlay:ENABle", Boolean(True))
    display_remote = Setting(":DISPlay:REMote", Boolean(False))

    def _modulation_enabled(self) -> bool:
        return bool(self.modulation)

    def _retrace(self) -> bool:
        return bool(self.retrace)

    def output_power(self) -> float:
        """The set (displayed) power − offset, + the reference while it is on."""
        return self.power + (self.power_reference if self.power_reference_on else 0.0) - self.power_offset

    def _modulation(self) -> tuple[bool, float, float]:
        chopped = (self.pulse_modulation and self.pulse_source == "INTERNAL" and self.pulse_shape == "SQUARE"
                   and self._modulation_enabled())
        return (True, 1.0, self.pulse_frequency) if chopped else super()._modulation()

    @command("[:SOURce]:FREQuency:FIXed", Numeric(None, unit="HZ"))
    def _set_fixed(self, value: float) -> None:
        """``:FREQuency:FIXed`` is another name of ``:FREQuency:CW``."""
        low, high = self._frequency_limits()
        if not low <= value <= high:
            raise ScpiError(-222, f"{value:g} Hz not in [{low:g}, {high:g}] Hz")
        self.settings["frequency"] = value
        self._apply()

    @command("[:SOURce]:FREQuency:FIXed?")
    def _get_fixed(self) -> str:
        return type(self).frequency.param.format(self.frequency)

    @command("[:SOURce]:ROSCillator:SOURce?")
    def _reference_source(self) -> str:
        return "INT"  # no external 10 MHz reference reaches a virtual bench

    @command(":SYSTem:ERRor[:NEXT]?")
    def _system_error(self) -> str:
        code, text = self.errors.pop()
        return f'{code:+d},"{text}"'

    @command(":TSWeep")
    @command("[:SOURce]:TSWeep")
    def _trigger_sweep(self) -> None:
        """Abort the sweep in progress, then arm (and with an immediate trigger run) a single one."""
        self._armed = False
        self._initiate()


def _keysight_frequency(default: float, minimum: float, maximum: float) -> Real:
    return Real(default, minimum, maximum, "HZ", formatter=psg_frequency)


class KeysightN5183B(_KeysightSource):
    """MXG N5183B with options 520 (9 kHz – 20 GHz), 1E1 and 1EA (−130 … +19 dBm), UNT (AM/FM) and UNW (pulse)."""

    idn = ("Agilent Technologies", "N5183B", "MY53050123", "B.01.86")
    installed_options = ("1E1", "1EA", "520", "UNT", "UNW")

    frequency = Setting("[:SOURce]:FREQuency[:CW]", _keysight_frequency(20e9, 9e3, 20e9), after="_apply")
    start = Setting("[:SOURce]:FREQuency:STARt", _keysight_frequency(9e3, 9e3, 20e9), after="_span_changed")
    stop = Setting("[:SOURce]:FREQuency:STOP", _keysight_frequency(20e9, 9e3, 20e9), after="_span_changed")
    frequency_mode = Setting("[:SOURce]:FREQuency:MODE", Enum(["CW", "FIXed", "LIST"], "CW",
                                                              responses={"FIXed": "CW"}), after="_mode_changed")
    power = Setting("[:SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]", Real(-130.0, -130.0, 19.0, "DBM"),
                    after="_power_changed")
    user_max = Setting("[:SOURce]:POWer:USER:MAX", Real(19.0, -130.0, 19.0, "DBM"), after="_ceiling_changed")
    user_max_on = Setting("[:SOURce]:POWer:USER:ENABle", Boolean(False), after="_ceiling_changed")
    _KEPT = ("user_max", "user_max_on")
    power_start = Setting("[:SOURce]:POWer:STARt", Real(-130.0, -130.0, 19.0, "DBM"))
    power_stop = Setting("[:SOURce]:POWer:STOP", Real(-130.0, -130.0, 19.0, "DBM"))
    am_shape = Setting("[:SOURce]:AM[1]:INTernal[1]:FUNCtion:SHAPe", Enum(["SINE", "TRIangle", "SQUare", "RAMP",
                                                                           "NOISe"], "SINE"))
    pulse_shape = Setting("[:SOURce]:PULM:SOURce:INTernal", Enum(["SQUare", "FRUN", "TRIGgered", "ADOublet",
                                                                  "DOUBlet", "GATEd", "PTRain"], "SQUare"),
                          after="_apply")

    def _ceiling(self) -> float:
        return self.user_max if self.user_max_on else math.inf


class AgilentE8257D(_KeysightSource):
    """PSG E8257D with options 520 (100 kHz – 20 GHz settable), 1E1 (−135 … +25 dBm), UNT (AM/FM), UNU (pulse)
    and 007 (analog ramp sweep)."""

    idn = ("Agilent Technologies", "E8257D", "US49120123", "C.06.30")
    installed_options = ("007", "1E1", "520", "UNT", "UNU")

    frequency = Setting("[:SOURce]:FREQuency[:CW]", _keysight_frequency(20e9, 100e3, 20e9), after="_apply")
    start = Setting("[:SOURce]:FREQuency:STARt", _keysight_frequency(100e3, 100e3, 20e9), after="_span_changed")
    stop = Setting("[:SOURce]:FREQuency:STOP", _keysight_frequency(20e9, 100e3, 20e9), after="_span_changed")
    frequency_mode = Setting("[:SOURce]:FREQuency:MODE", Enum(["CW", "FIXed", "SWEep", "LIST"], "CW",
                                                              responses={"FIXed": "CW"}), after="_mode_changed")
    power = Setting("[:SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]", Real(-135.0, -135.0, 25.0, "DBM"),
                    after="_power_changed")
    power_start = Setting("[:SOURce]:POWer:STARt", Real(-135.0, -135.0, 25.0, "DBM"))
    power_stop = Setting("[:SOURce]:POWer:STOP", Real(-135.0, -135.0, 25.0, "DBM"))
    am_shape = Setting("[:SOURce]:AM[1]:INTernal[1]:FUNCtion:SHAPe", Enum(["SINE", "TRIangle", "SQUare", "RAMP",
                                                                           "NOISe", "DUALsine", "SWEPtsine"],
                                                                          "SINE"))
    pulse_shape = Setting("[:SOURce]:PULM:SOURce:INTernal", Enum(["SQUare", "FRUN", "TRIGgered", "DOUBlet",
                                                                  "GATEd"], "SQUare"), after="_apply")
    sweep_generation = Setting("[:SOURce]:SWEep:GENeration", Enum(["ANALog", "STEPped"], "STEPped"))
    sweep_mode = Setting("[:SOURce]:SWEep:MODE", Enum(["AUTO", "MANual"], "AUTO"))
    sweep_control = Setting("[:SOURce]:SWEep:CONTrol:STATe", Boolean(False))
    sweep_control_type = Setting("[:SOURce]:SWEep:CONTrol:TYPE", Enum(["MASTer", "SLAVe"], "MASTer"))

    @command(":DIAGnostic[:CPU]:INFOrmation:OPTions?")
    def _diagnostic_options(self) -> str:
        return '"' + ",".join(self.installed_options) + '"'

    @command(":DIAGnostic[:CPU]:INFOrmation:OPTions:DETail?")
    def _diagnostic_options_detail(self) -> str:
        return '"' + ",".join(f"{option} 1.0" for option in self.installed_options) + '"'


class RohdeSchwarzSMB100A(_SignalGenerator):
    """SMB100A with B112 (100 kHz – 12.75 GHz, −145 … +18 dBm), K22/K23 (pulse modulator and generator)."""

    idn = ("Rohde&Schwarz", "SMB100A", "1406.6000k03/180123", "3.1.19.15-3.20.390.24")
    installed_options = ("SMB-B1", "SMB-B112", "SMB-K22", "SMB-K23")

    frequency = Setting("[:SOURce[1]]:FREQuency[:CW]", _rs(1e9, 100e3, 12.75e9, "HZ"), after="_apply")
    frequency_mode = Setting("[:SOURce[1]]:FREQuency:MODE", Enum(["CW", "FIXed", "SWEep", "LIST"], "CW",
                                                                 responses={"FIXed": "CW"}), after="_mode_changed")
    start = Setting("[:SOURce[1]]:FREQuency:STARt", _rs(100e6, 100e3, 12.75e9, "HZ"), after="_span_changed")
    stop = Setting("[:SOURce[1]]:FREQuency:STOP", _rs(500e6, 100e3, 12.75e9, "HZ"), after="_span_changed")
    sweep_step = Setting("[:SOURce[1]]:SWEep[:FREQuency]:STEP[:LINear]", _rs(1e6, 0.01, 12.75e9, "HZ"))
    sweep_dwell = Setting("[:SOURce[1]]:SWEep[:FREQuency]:DWELl", _rs(10e-3, 5e-3, 100.0, "S"))
    sweep_mode = Setting("[:SOURce[1]]:SWEep[:FREQuency]:MODE", Enum(["AUTO", "MANual", "STEP"], "AUTO"))
    sweep_spacing = Setting("[:SOURce[1]]:SWEep[:FREQuency]:SPACing", Enum(["LINear", "LOGarithmic"], "LINear"))
    retrace = Setting("[:SOURce[1]]:SWEep[:FREQuency]:RETRace", Boolean(False), after="_apply")
    trigger_source = Setting(":TRIGger[1]:FSWeep:SOURce", Enum(["AUTO", "IMMediate", "SINGle", "BUS", "EXTernal",
                                                                "EAUTo"], "AUTO",
                                                               responses={"IMMediate": "AUTO", "BUS": "SING"}),
                             after="_mode_changed")
    phase = Setting("[:SOURce[1]]:PHASe", _rs(0.0, -720.0, 720.0, "DEG"))
    power = Setting("[:SOURce[1]]:POWer[:LEVel][:IMMediate][:AMPLitude]", _rs(-30.0, -145.0, 18.0, "DBM"),
                    after="_power_changed")
    power_offset = Setting("[:SOURce[1]]:POWer[:LEVel][:IMMediate]:OFFSet", _rs(0.0, -100.0, 100.0, "DB"),
                           after="_power_changed")
    power_limit = Setting("[:SOURce[1]]:POWer:LIMit[:AMPLitude]", _rs(18.0, -145.0, 18.0, "DBM"),
                          after="_ceiling_changed")
    _KEPT = ("power_limit",)
    output = Setting(":OUTPut[1][:STATe]", Boolean(False), after="_apply")
    modulation = Setting("[:SOURce[1]]:MODulation[:ALL][:STATe]", Boolean(True), after="_apply")
    am = Setting("[:SOURce[1]]:AM:STATe", Boolean(False), after="_apply")
    am_depth = Setting("[:SOURce[1]]:AM[:DEPTh]", _rs(30.0, 0.0, 100.0, "PCT"), after="_apply")
    am_source = Setting("[:SOURce[1]]:AM:SOURce", Enum(["INTernal", "EXTernal"], "INTernal"))
    am_frequency = Setting("[:SOURce]:LFOutput[1]:FREQuency", _rs(1e3, 0.1, 1e6, "HZ"), after="_apply")
    lfo = Setting("[:SOURce]:LFOutput[1][:STATe]", Boolean(False))
    pulse_modulation = Setting("[:SOURce[1]]:PULM:STATe", Boolean(False))
    pulse_source = Setting("[:SOURce[1]]:PULM:SOURce", Enum(["INTernal", "EXTernal"], "INTernal"))
    pulse_polarity = Setting("[:SOURce[1]]:PULM:POLarity", Enum(["NORMal", "INVerted"], "NORMal"))
    reference_source = Setting("[:SOURce]:ROSCillator:SOURce", Enum(["INTernal", "EXTernal"], "INTernal"))
    power_save = Setting(":DISPlay:PSAVe[:STATe]", Boolean(False))

    def _modulation_enabled(self) -> bool:
        return bool(self.modulation)

    def output_power(self) -> float:
        """The set (displayed) power − the level offset."""
        return self.power - self.power_offset

    def _ceiling(self) -> float:
        return self.power_limit

    def _continuous(self) -> bool:
        return self.trigger_source in ("AUTO", "IMMEDIATE", "EAUTO")

    def _retrace(self) -> bool:
        return bool(self.retrace)

    @command("[:SOURce[1]]:SWEep[:FREQuency]:POINts", Integer(None, 2, 1_000_000))
    def _set_points(self, points: int) -> None:
        self.settings["sweep_step"] = max((self.stop - self.start) / (points - 1), 0.01)

    @command("[:SOURce[1]]:SWEep[:FREQuency]:POINts?")
    def _get_points(self) -> str:
        """Points follow span and step (points = span/step + 1)."""
        return str(max(2, int(math.floor(abs(self.stop - self.start) / self.sweep_step + 1e-9)) + 1))

    @command("*TRG")
    @command(":TRIGger[1]:FSWeep[:IMMediate]")
    @command("[:SOURce[1]]:SWEep[:FREQuency]:EXECute")
    def _trigger(self) -> None:
        """Run a single sweep (trigger source SINGle, BUS or EXTernal: one per trigger)."""
        if self._sweeping() and not self._continuous():
            self._run_sweep()


class AnritsuMG3692C(_TriggerModel):
    """MG3692C without options: 2 – 20 GHz, −20 … +20 dBm (no step attenuator); AM, FM and pulse modulation."""

    idn = ("ANRITSU", "MG3692C", "123456", "3.59")
    _SWEEP_MODES = frozenset({"SWEEP", "SWEEP1", "LIST"})

    frequency = Setting("[:SOURce]:FREQuency[:CW]", Numeric(2e9, 2e9, 20e9, "HZ"), after="_apply")
    frequency_mode = Setting("[:SOURce]:FREQuency:MODE", Enum(["CW", "FIXed", "SWEep", "SWEep1", "LIST"], "CW",
                                                              responses={"FIXed": "CW", "SWEep1": "SWE"}),
                             after="_mode_changed")
    start = Setting("[:SOURce]:FREQuency:STARt", Numeric(2e9, 2e9, 20e9, "HZ"), after="_span_changed")
    stop = Setting("[:SOURce]:FREQuency:STOP", Numeric(20e9, 2e9, 20e9, "HZ"), after="_span_changed")
    sweep_points = Setting("[:SOURce]:SWEep:POINts", Integer(11, 2, 10001))
    sweep_dwell = Setting("[:SOURce]:SWEep:DWELl", Numeric(1e-3, 1e-3, 99.0, "S"))
    power = Setting("[:SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]", Numeric(0.0, -20.0, 20.0, "DBM"),
                    after="_apply")
    output = Setting(":OUTPut[:STATe]", Boolean(False), after="_apply")
    am = Setting("[:SOURce]:AM:STATe", Boolean(False), after="_apply")
    am_depth = Setting("[:SOURce]:AM[:DEPTh]", Numeric(50.0, 0.0, 100.0, "PCT"), after="_apply")
    am_type = Setting("[:SOURce]:AM:TYPE", Enum(["LINear", "LOGarithmic"], "LINear"))
    am_source = Setting("[:SOURce]:AM:SOURce", Enum(["INTernal", "EXTernal"], "INTernal"))
    am_frequency = Setting("[:SOURce]:AM:INTernal:FREQuency", Numeric(1e3, 0.1, 1e6, "HZ"), after="_apply")
    fm = Setting("[:SOURce]:FM:STATe", Boolean(False))
    fm_deviation = Setting("[:SOURce]:FM[:DEViation]", Numeric(1e6, 10e3, 20e6, "HZ"))
    fm_frequency = Setting("[:SOURce]:FM:INTernal:FREQuency", Numeric(1e3, 0.1, 1e6, "HZ"))
    pulse_modulation = Setting("[:SOURce]:PULM:STATe", Boolean(False))
    pulse_source = Setting("[:SOURce]:PULM:SOURce", Enum(["INTernal", "EXTernal"], "INTernal"))
    trigger_source = Setting(":TRIGger[:SEQuence]:SOURce", Enum(["IMMediate", "BUS", "EXTernal"], "IMMediate"))
    continuous = Setting(":INITiate:CONTinuous", Boolean(False), after="_mode_changed")
