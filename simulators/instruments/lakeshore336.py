"""Virtual Lake Shore Model 336 temperature controller on the virtual bench's thermal stage.

Follows the interface chapter of the Model 336 user's manual. Like the 425 the 336 speaks Lake Shore's flat command
set (``SETP 1,300``, ``KRDG? A``), IEEE 488.2 common commands without ``*OPT?`` and no error queue: a command it
refuses sets CME (an unknown header, a wrong argument count) or EXE (a value out of range) in ``*ESR?`` and a
refused query sends nothing. Replies end with CR LF; numbers come as ``+300.000``. The twin records every refusal in
its ``errors`` queue for tests; nothing on the wire reads it.

Inputs A–D are platinum RTDs (PT-100, standard curve 6) on the stage; outputs 1 and 2 are the heater outputs (ranges
off/low/medium/high), outputs 3 and 4 the analog voltage outputs (range off/on) with nothing to heat. The stage
follows output 1, or output 2 when only output 2 has its heater on in closed-loop, zone or open-loop mode. A
temperature limit (``TLIMIT``, 0: off) exceeded on any input switches every output off, as on the instrument.

A DUT model whose physics does not follow the stage (one without a ``temperature``: ``dw-synapse``, ``array``)
gets a ``UserWarning`` the first time the stage is sent away from its base: the twin accepts the set point, as
the instrument would (refusing it would stop a procedure over a limit of the simulation, not of the bench), but
the readings then come from a DUT still at the base temperature.
"""

from __future__ import annotations

import math
import warnings

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.cryostat import RANGE_POWER
from mtjhw.simulators.bench.models import MODELS
from mtjhw.simulators.scpi import Integer, Numeric, Raw, ScpiError, command
from mtjhw.simulators.scpi.instrument import STB_ESB, STB_MSS

from .base import BenchInstrument

INPUTS = ("A", "B", "C", "D")
HEATERS = (1, 2)  #: the outputs with a heater range low/medium/high
#: OUTMODE modes: 0 off, 1 closed loop PID, 2 zone, 3 open loop (heaters); 4 monitor out, 5 warm-up (3 and 4 only).
HEATING_MODES = (1, 2, 3)
#: Standard curve 6 (PT-100): CRVHDR? fields name, serial, format (3: Ω/K), limit (K), coefficient (2: positive).
_CURVES = {6: ("PT-100", "STANDARD", 3, 800.0, 2)}
_KELVIN_0C = 273.15
_PT100_ALPHA = 3.85e-3  # 1/K: IEC 60751 mean coefficient, R = 100 Ω·(1 + α·(T − 273.15 K)), linear form
_NOISE = 1e-3  # K rms of a reading


def lakeshore_value(value: float) -> str:
    """A reading or set point as the 336 writes it (``+300.000``)."""
    return f"{value:+.3f}"


def _input(token: str) -> str:
    name = token.strip().upper()
    if name not in INPUTS:
        raise ScpiError(-222, f"input {token!r} (A-D)")
    return name


class LakeShore336(BenchInstrument):
    """Virtual 336: readings in kelvin, Celsius and ohms, set points with ramp, heater ranges, PID, heater setup,
    output modes, manual output, input setup and curve headers, temperature limits."""

    idn = ("LSCI", "MODEL336", "LSA1B2C/0000000", "2.9")
    reply_termination = "\r\n"
    withdrawn = ("*OPT?", ":SYSTem:ERRor[:NEXT]?", ":SYSTem:ERRor:ALL?", ":SYSTem:ERRor:COUNt?", ":SYSTem:VERSion?")

    def __init__(self, bench: VirtualBench) -> None:
        self.stage = bench.stage
        self._warned = False  # that the DUT does not follow the stage (once per twin)
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.outmode = {1: [1, 1, 0], 2: [1, 2, 0], 3: [0, 3, 0], 4: [0, 4, 0]}
        self.setpoints = dict.fromkeys(range(1, 5), self.stage.base_temperature)
        self.ranges = dict.fromkeys(range(1, 5), 0)
        self.ramps = {n: [0, 0.0] for n in range(1, 5)}  # on, K/min
        self.manual = dict.fromkeys(range(1, 5), 0.0)  # %
        self.pid = {n: [50.0, 20.0, 0.0] for n in HEATERS}
        self.heater_setup = {n: [1, 2, 0.0, 1] for n in HEATERS}  # 25 Ω, 1 A, user current, show current
        self.limits = dict.fromkeys(INPUTS, 0.0)
        self.names = {name: f"Input {name}" for name in INPUTS}
        self.intype = {name: [2, 1, 2, 1, 1] for name in INPUTS}  # platinum RTD, autorange, range, reversal, K
        self.curves = dict.fromkeys(INPUTS, 6)
        self._drive()

    # ----------------------------------------------------------------- the stage
    def active_output(self) -> int | None:
        """The heater output that drives the stage: output 1 first, then 2, where the heater is on."""
        return next((n for n in HEATERS if self.ranges[n] and self.outmode[n][0] in HEATING_MODES), None)

    def _drive(self) -> None:
        """Hand the active output's set point, ramp and range to the stage (open loop: the temperature its
        manual power holds, P·R above the base)."""
        stage, n = self.stage, self.active_output()
        stage.trip = min((limit for limit in self.limits.values() if limit > 0), default=math.inf)
        if n is None:
            stage.heater_range = 0
            return
        stage.heater_range = self.ranges[n]
        on, rate = self.ramps[n]
        if self.outmode[n][0] == 3:
            span = (stage.heater_limit - stage.base_temperature) * RANGE_POWER[self.ranges[n]]
            stage.ramp_rate, target = 0.0, stage.base_temperature + span * self.manual[n] / 100.0
        else:
            stage.ramp_rate, target = (rate / 60.0 if on and rate > 0 else 0.0), self.setpoints[n]
        if target != stage.setpoint:
            stage.set_setpoint(target)
            self._warn_if_dut_stays(target)

    def _warn_if_dut_stays(self, target: float) -> None:
        """Warn once that the stage heads to ``target`` (K) away from its base but the DUT does not follow it."""
        dut, base = self.bench.dut, self.stage.base_temperature
        if self._warned or target == base or hasattr(dut, "temperature"):
            return
        self._warned = True
        following = ", ".join(name for name, (cls, _) in MODELS.items() if hasattr(cls, "temperature"))
        warnings.warn(f"the stage heads to {target:g} K, but the DUT ({type(dut).__name__}) does not follow the "
                      f"stage temperature: its physics stays at the base, {base:g} K (the DUT models that follow "
                      f"it: {following})", UserWarning, stacklevel=2)

    def _enforce_limits(self) -> None:
        """Every output off once the stage has crossed a nonzero temperature limit (the stage trips its heater
        itself as it crosses) or is above one."""
        if self.stage.tripped or any(0 < limit < self.stage.temperature for limit in self.limits.values()):
            self.ranges = dict.fromkeys(self.ranges, 0)
            self.stage.tripped = False
            self._drive()

    def kelvin(self) -> float:
        return self.stage.temperature + _NOISE * self.bench.rng.standard_normal()

    def handle(self, message: str) -> str | bytes | None:
        with self.bench.lock:
            self.bench.catch_up()
            self._enforce_limits()
            reply = super().handle(message)
            self._drive()
            return reply

    def status_byte(self) -> int:
        """ESB and MSS only: the 336 has no error queue."""
        stb = STB_ESB if self.esr & self.ese else 0
        return stb | (STB_MSS if stb & self.sre else 0)

    # ----------------------------------------------------------------- readings
    def _readings(self, token: str, convert) -> str:
        names = INPUTS if token.strip() == "0" else (_input(token),)
        return ",".join(lakeshore_value(convert(self.kelvin())) for _ in names)

    @command("KRDG?", Raw())
    def _kelvin(self, token: str) -> str:
        return self._readings(token, lambda t: t)

    @command("CRDG?", Raw())
    def _celsius(self, token: str) -> str:
        return self._readings(token, lambda t: t - _KELVIN_0C)

    @command("SRDG?", Raw())
    def _sensor(self, token: str) -> str:
        return self._readings(token, lambda t: 100.0 * (1.0 + _PT100_ALPHA * (t - _KELVIN_0C)))

    @command("RDGST?", Raw())
    def _status(self, token: str) -> str:
        _input(token)
        return "000"

    # ----------------------------------------------------------------- inputs
    @command("TLIMIT", Raw(), Numeric(0.0, 0.0, 2000.0))
    def _set_limit(self, token: str, kelvin: float) -> None:
        self.limits[_input(token)] = kelvin

    @command("TLIMIT?", Raw())
    def _get_limit(self, token: str) -> str:
        return f"{self.limits[_input(token)]:+.1f}"

    @command("INNAME", Raw(), Raw())
    def _set_name(self, token: str, name: str) -> None:
        self.names[_input(token)] = name[:15]

    @command("INNAME?", Raw())
    def _get_name(self, token: str) -> str:
        return self.names[_input(token)]

    @command("INTYPE", Raw(), Integer(2, 0, 3), Integer(1, 0, 1), Integer(2, 0, 8), Integer(1, 0, 1),
             Integer(1, 1, 3))
    def _set_intype(self, token: str, *values: int) -> None:
        self.intype[_input(token)] = list(values)

    @command("INTYPE?", Raw())
    def _get_intype(self, token: str) -> str:
        return ",".join(str(v) for v in self.intype[_input(token)])

    @command("INCRV", Raw(), Integer(6, 0, 59))
    def _set_curve(self, token: str, curve: int) -> None:
        if curve not in (0, *_CURVES):
            raise ScpiError(-222, f"curve {curve}: not stored")
        self.curves[_input(token)] = curve

    @command("INCRV?", Raw())
    def _get_curve(self, token: str) -> str:
        return str(self.curves[_input(token)])

    @command("CRVHDR?", Integer(6, 1, 59))
    def _curve_header(self, curve: int) -> str:
        if curve not in _CURVES:
            raise ScpiError(-222, f"curve {curve}: not stored")
        name, serial, fmt, limit, coefficient = _CURVES[curve]
        return f"{name:<15},{serial:<10},{fmt},{limit:+.3f},{coefficient}"

    # ----------------------------------------------------------------- outputs
    @command("SETP", Integer(1, 1, 4), Numeric(0.0, 0.0, 2000.0))
    def _set_setpoint(self, output: int, kelvin: float) -> None:
        self.setpoints[output] = kelvin

    @command("SETP?", Integer(1, 1, 4))
    def _get_setpoint(self, output: int) -> str:
        return lakeshore_value(self.setpoints[output])

    @command("RANGE", Integer(1, 1, 4), Integer(0, 0, 3))
    def _set_range(self, output: int, value: int) -> None:
        if output not in HEATERS and value > 1:
            raise ScpiError(-222, f"range {value} of output {output} (0 off, 1 on)")
        self.ranges[output] = value

    @command("RANGE?", Integer(1, 1, 4))
    def _get_range(self, output: int) -> str:
        return str(self.ranges[output])

    @command("RAMP", Integer(1, 1, 4), Integer(0, 0, 1), Numeric(0.0, 0.0, 100.0))
    def _set_ramp(self, output: int, on: int, rate: float) -> None:
        if 0 < rate < 0.1:
            raise ScpiError(-222, f"ramp rate {rate:g} K/min (0.1 to 100, 0 for none)")
        self.ramps[output] = [on, rate]

    @command("RAMP?", Integer(1, 1, 4))
    def _get_ramp(self, output: int) -> str:
        on, rate = self.ramps[output]
        return f"{on},{rate:+.1f}"

    @command("RAMPST?", Integer(1, 1, 4))
    def _ramp_status(self, output: int) -> str:
        return "1" if output == self.active_output() and self.stage.ramping() else "0"

    @command("HTR?", Integer(1, 1, 4))
    def _heater(self, output: int) -> str:
        if output not in HEATERS:
            raise ScpiError(-222, f"HTR? {output}: outputs 1 and 2 only (AOUT? for 3 and 4)")
        return f"{100.0 * self.stage.heater_fraction() if output == self.active_output() else 0.0:+.1f}"

    @command("AOUT?", Integer(3, 1, 4))
    def _analog(self, output: int) -> str:
        if output in HEATERS:
            raise ScpiError(-222, f"AOUT? {output}: outputs 3 and 4 only (HTR? for 1 and 2)")
        return f"{self.manual[output] if self.ranges[output] else 0.0:+.1f}"

    @command("MOUT", Integer(1, 1, 4), Numeric(0.0, 0.0, 100.0))
    def _set_manual(self, output: int, percent: float) -> None:
        self.manual[output] = percent

    @command("MOUT?", Integer(1, 1, 4))
    def _get_manual(self, output: int) -> str:
        return f"{self.manual[output]:+.2f}"

    @command("OUTMODE", Integer(1, 1, 4), Integer(0, 0, 5), Integer(0, 0, 4), Integer(0, 0, 1))
    def _set_outmode(self, output: int, mode: int, control_input: int, powerup: int) -> None:
        if output in HEATERS and mode > 3:
            raise ScpiError(-222, f"mode {mode} of heater output {output} (0-3)")
        self.outmode[output] = [mode, control_input, powerup]

    @command("OUTMODE?", Integer(1, 1, 4))
    def _get_outmode(self, output: int) -> str:
        return ",".join(str(v) for v in self.outmode[output])

    @command("PID", Integer(1, 1, 2), Numeric(50.0, 0.1, 1000.0), Numeric(20.0, 0.1, 1000.0),
             Numeric(0.0, 0.0, 200.0))
    def _set_pid(self, output: int, p: float, i: float, d: float) -> None:
        self.pid[output] = [p, i, d]

    @command("PID?", Integer(1, 1, 2))
    def _get_pid(self, output: int) -> str:
        p, i, d = self.pid[output]
        return f"{p:+.1f},{i:+.1f},{d:+.0f}"

    @command("HTRSET", Integer(1, 1, 2), Integer(1, 1, 2), Integer(2, 0, 4), Numeric(0.0, 0.0, 2.0),
             Integer(1, 1, 2))
    def _set_heater_setup(self, output: int, resistance: int, max_current: int, user_current: float,
                          display: int) -> None:
        self.heater_setup[output] = [resistance, max_current, user_current, display]

    @command("HTRSET?", Integer(1, 1, 2))
    def _get_heater_setup(self, output: int) -> str:
        resistance, max_current, user_current, display = self.heater_setup[output]
        return f"{resistance},{max_current},{user_current:+.3f},{display}"

    @command("HTRST?", Integer(1, 1, 2))
    def _heater_status(self, output: int) -> str:
        return "0"
