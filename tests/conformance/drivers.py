"""What every conformance test does with a third-party driver, written once.

- Opening: :data:`OPENING` holds each driver's constructor keywords (terminations, ``terminator=``), keyed by its
  dotted class path; :func:`open_driver` opens any PyMeasure or QCoDeS driver with them on a served twin,
  :func:`open_visa` a plain pyvisa resource; :func:`synced` waits for the instrument (``*OPC?``).
- PyMeasure: a driver's properties (:func:`pymeasure_readable`, :func:`pymeasure_settable`), per instrument and
  channel (:func:`pymeasure_targets`), and the parameters of its ``Instrument.control`` properties
  (:func:`pymeasure_option`: ``values``, ``validator``, ``set_command`` …, instance overrides included).
- QCoDeS: the parameters of an instrument and of its submodules and channels (:func:`qcodes_parameters`).
- Values: the values a PyMeasure ``values``/validator or a QCoDeS validator accepts (:func:`pymeasure_choices`,
  :func:`qcodes_choices`), one of them different from the present value (:func:`pymeasure_value`,
  :func:`qcodes_value`), what the instrument receives once the driver has formatted it (:func:`pymeasure_sent`,
  :func:`qcodes_sent`) and answers (:func:`short_form`), and whether a read-back is what was set (:func:`same`).
- :data:`DRIVER_BUGS`: the parameters a driver gets wrong, by driver and name: left out of the generic test
  (``test_registered.py``), which checks separately that each one still fails; most have a test in the
  instrument's own file too.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import numbers
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from conftest import TCP_TIMEOUT_MS, Served

#: Line feed both ways: what the users of most drivers set (GPIB, USB and LAN alike).
LF = {"read_termination": "\n", "write_termination": "\n"}


@dataclass(frozen=True)
class Opening:
    """How a driver's users open it: constructor keywords on every transport, and those a socket adds."""

    kwargs: Mapping[str, Any] = field(default_factory=dict)  #: on every transport
    tcp: Mapping[str, Any] = field(default_factory=dict)  #: added over TCP (a socket has no EOI to end a read)
    own_timeout: bool = False  #: the constructor fixes its timeout: the harness's is set on the connection after


#: Constructor keywords by driver (dotted class path); a driver not listed is opened with none.
OPENING: dict[str, Opening] = {
    "pymeasure.instruments.newport.ESP300": Opening(tcp={"read_termination": "\r\n"}),
    "pymeasure.instruments.keithley.Keithley2450": Opening(LF),
    "pymeasure.instruments.keithley.Keithley2400": Opening(LF),
    "pymeasure.instruments.keithley.Keithley2600": Opening(LF),
    "pymeasure.instruments.keithley.Keithley6221": Opening(LF),
    "pymeasure.instruments.srs.SR830": Opening(LF),
    "pymeasure.instruments.srs.SR860": Opening(LF),
    "pymeasure.instruments.agilent.Agilent33500": Opening(LF),
    "pymeasure.instruments.keysight.Keysight81160A": Opening(LF),
    "pymeasure.instruments.agilent.Agilent8257D": Opening(LF),
    "pymeasure.instruments.anritsu.AnritsuMG3692C": Opening(LF),
    "pymeasure.instruments.rohdeschwarz.FSW": Opening(LF),
    # PyMeasure's 425 driver sets "\n" for serial ports only; the 425 ends replies with CR LF (CR is stripped).
    "pymeasure.instruments.lakeshore.LakeShore425": Opening(LF),
    # KepcoBOP3612 sets its own ("\n"). KeysightDSOX1102G fixes a 6 s timeout; a LAN socket needs the scope's LF.
    "pymeasure.instruments.keysight.KeysightDSOX1102G": Opening(tcp=LF, own_timeout=True),
    # QCoDeS users on GPIB set no terminator (a read ends with EOI, the reply keeps its LF).
    "qcodes.instrument_drivers.stanford_research.SR830": Opening(tcp={"terminator": "\n"}),
    # Keysight_E8267D sets no terminator; its users add LF.
    "qcodes_contrib_drivers.drivers.Keysight.Keysight_E8267D.Keysight_E8267D": Opening({"terminator": "\n"}),
}

#: QCoDeS's heater setup parameters of a Lake Shore output (one HTRSET group).
LAKESHORE_HEATER_SETUP = ("output_type", "output_heater_resistance", "output_max_current", "output_max_user_current",
                          "output_display")

#: QCoDeS's Tektronix DPO/MSO measurement types (one parameter each on every measurement slot).
TEKTRONIX_MEASUREMENTS = ("amplitude", "area", "burst", "carea", "cmean", "crms", "delay", "distduty", "extinctdb",
                          "extinctpct", "extinctratio", "eyeheight", "eyewidth", "fall", "frequency", "high", "hits",
                          "low", "maximum", "mean", "median", "minimum", "ncross", "nduty", "novershoot", "nwidth",
                          "pbase", "pcross", "pctcross", "pduty", "peakhits", "period", "phase", "pk2pk",
                          "pkpkjitter", "pkpknoise", "povershoot", "ptop", "pwidth", "qfactor", "rise", "rms",
                          "rmsjitter", "rmsnoise", "sigma1", "sigma2", "sigma3", "sixsigmajit", "snratio", "stddev",
                          "undefined", "waveforms")

#: Parameters that work but that a full snapshot cannot afford, by driver (dotted class path) → parameter → why;
#: the generic test leaves them out of its snapshot and the instrument's own file reads them.
SLOW_TO_SNAPSHOT: dict[str, dict[str, str]] = {
    "qcodes.instrument_drivers.tektronix.TektronixMSO5000": {
        f"measurement{n}.{kind}": "each reading sets the slot's type and sleeps 0.1 s (_minimum_adjustment_time): "
        "364 readings, 37 s a snapshot; test_tektronix_scope.py reads every type on one slot"
        for n in range(1, 8) for kind in TEKTRONIX_MEASUREMENTS},
}

#: Known driver bugs: what a driver sends that the real instrument rejects (or a parameter that fails without
#: sending anything), by driver (dotted class path) → parameter or property (``name`` on the instrument,
#: ``module.name`` on a QCoDeS submodule or PyMeasure channel) → the bug. The generic test leaves exactly these
#: out and checks that each still fails; where the instrument's own file tests how the twin reacts, it names the
#: same entries.
DRIVER_BUGS: dict[str, dict[str, str]] = {
    "pymeasure.instruments.keithley.Keithley2600": {
        "options": "SCPIUnknownMixin's *OPT? is no 2600B common command: a TSP syntax error (-285), no reply",
        **{f"Ch{ch}.{name}": "sent with %f: a range below 1 µA goes as 0.000000, the 2636B's lowest range (1 nA)"
           for ch in "AB" for name in ("current_range", "source_current_range")}},
    "pymeasure.instruments.newport.ESP300": {
        **{name: f"SCPIUnknownMixin's {query} is no ESP300 command: error 6, no reply"
           for name, query in (("complete", "*OPC?"), ("status", "*STB?"), ("options", "*OPT?"),
                               ("next_error", "SYST:ERR?"))},
        "axes": "finds the axes by reading every attribute, the SCPI queries above among them"},
    "pymeasure.instruments.keithley.Keithley2400": {
        "filter_state": "read as the 2400's Boolean 1/0 but set only as ON/OFF: the value read is refused",
        **{name: "reads statistics of the buffer, empty on a fresh 2400: -230 (data stale), no reply"
           for name in ("means", "maximums", "minimums", "standard_devs", "buffer_data",
                        *(f"{stat}_{q}" for stat in ("mean", "max", "min", "std")
                          for q in ("voltage", "current", "resistance")))},
    },
    "qcodes.instrument_drivers.Keithley.Keithley2400": {
        name: "raises (client-side, nothing sent) while the output is off, as on a fresh 2400"
        for name in ("volt", "curr", "resistance")},
    "pymeasure.instruments.keithley.Keithley2450": {
        "options": "*OPT? is a Model 2400 command: a 2450 rejects it (-113) and sends no reply",
        "buffer_data": "sends the 2400's argument-less :TRAC:DATA?: the 2450 wants its indices (-109), no reply",
        **{f"{stat}_{quantity}": f"indexes {plural} as a 2400 (V, I, R) triple; the 2450's :TRACe:STATistics "
           "is one value over the buffer: TypeError" for stat, plural in (
               ("mean", "means"), ("max", "maximums"), ("min", "minimums"), ("std", "standard_devs"))
           for quantity in ("voltage", "current", "resistance")},
        "current_filter_state": "read as the 2450's Boolean 1/0 but set only as ON/OFF: the value read is refused",
    },
    "qcodes.instrument_drivers.Keithley.Keithley2450": {
        **{f"_{node}_{function}.user_delay": f"asks :{node.upper()}:{function}:DELay:USERNone? until user_number is "
           "set: no such header on a 2450 (-113), no reply" for node, function in (
               ("source", "current"), ("source", "voltage"), ("sense", "current"), ("sense", "voltage"),
               ("sense", "resistance"))},
        **{f"_source_{function}.sweep_axis": "raises until sweep_setup is called: a snapshot of a fresh driver "
           "logs it" for function in ("current", "voltage")},
    },
    "pymeasure.instruments.keysight.Keysight81160A": {
        **{name: f"{header}: a 33500 ARB header the 81160A lacks (-113)" for name, header in (
            ("arb_advance", "FUNC:ARB:ADV"), ("arb_filter", "FUNC:ARB:FILT"), ("arb_srate", "FUNC:ARB:SRAT"))},
        "ext_trig_out": "OUTP:TRIG: the 33500's trigger out; the 81160A routes its trigger to a Sync Out (-113)",
        "arb_file": "reads :FUNC:USER? (right) but sets FUNC:ARB, the 33500 header (-113)",
        "display": "DISP:TEXT: a 33500 header the 81160A lacks (-113)",
        **{f"ch_{c}.{name}": f"SOUR{c}:{header}: a 33500 ARB header the 81160A lacks (-113)" for c in (1, 2)
           for name, header in (("arb_file", "FUNC:ARB"), ("arb_advance", "FUNC:ARB:ADV"),
                                ("arb_filter", "FUNC:ARB:FILT"), ("arb_srate", "FUNC:ARB:SRAT"))},
        "ch_2.phase": "SOUR2:PHAS: the 81160A's [:SOURce] takes no suffix, its PHASe[1|2] does (-114)",
        **{key: "values (2, 2**31 - 1): the 81160A's burst count of 1 (its *RST value) cannot be set back"
           for key in ("burst_ncycles", "ch_1.burst_ncycles", "ch_2.burst_ncycles")},
        **{f"ch_{c}.waveform_volatile": "reads the driver's own copy, None on a fresh driver, which it cannot "
           "upload back" for c in (1, 2)},
    },
    "pymeasure.instruments.keysight.KeysightDSOX1102G": {
        f"ch{c}.label": f"reads the label with its quotes ('\"{c}\"'): the value read goes back as \"\"{c}\"\" (-151)"
        for c in (1, 2)
    },
    "qcodes.instrument_drivers.Keysight.KeysightN9030B": {
        f"pn.{name}": f"{header}: a Phase Noise mode command, queried in the Spectrum Analyzer mode, which knows "
        "only its own commands (-113), no reply" for name, header in (
            ("npts", ":SENS:LPL:SWE:POIN?"), ("start_offset", ":SENS:LPL:FREQ:OFFS:STAR?"),
            ("stop_offset", ":SENS:LPL:FREQ:OFFS:STOP?"), ("signal_tracking_enabled", ":SENS:FREQ:CARR:TRAC?"),
            ("freq_axis", "from :SENS:LPL:FREQ:OFFS:STAR? and STOP?"))
    },
    "pymeasure.instruments.srs.SR830": {
        **{f"channel{c}": f"reads 'DDEF?{c}', which answers display and ratio 'j,k', as one mapped value: the pair "
           "read is refused by the setter" for c in (1, 2)},
        "frequency": "settable whatever the reference source: with the external reference (the bench's AM clock) "
                     "the SR830 refuses FREQ (-221)",
    },
    "pymeasure.instruments.srs.SR860": {
        "reference_externalinput": "sets with 'REFZ&d': the format has no field for the value, TypeError before "
                                   "anything is sent",
        "filter_advanced": "sets 'ADVFIL i': the SR860's command is ADVFILT, the header is illegal (CME), ignored",
        **{name: f"sets '{header}, x' with no space after the mnemonic: an illegal header (CME), ignored"
           for name, header in (("frequencypreset3", "PSTF2"), ("frequencypreset4", "PSTF3"),
                                ("sine_amplitudepreset1", "PSTA0"), ("sine_amplitudepreset2", "PSTA1"),
                                ("sine_amplitudepreset3", "PSTA2"), ("sine_dclevelpreset4", "PSTL3"))},
        "horizontal_time_div": "sets 'GSDP i' (reads GSPD?): an illegal header (CME), ignored",
    },
    "qcodes.instrument_drivers.stanford_research.SR830": {
        "output_interface": "maps the replies '1\\n' and '0\\n' with their LF: with terminator='\\n' (a socket, a "
                            "serial port) the SR830's '1' is not in the mapping, KeyError",
    },
    "pymeasure.instruments.rohdeschwarz.FSW": {
        "nominal_level": "[SENSe:]POWer:RLEVel belongs to a Phase Noise (K40) channel: in a Spectrum channel the "
                         "header is undefined (-113), no reply",
    },
    "qcodes.instrument_drivers.Lakeshore.LakeshoreModel336": {
        **{f"output_{n}.{name}": "reads HTRSET? as the Model 335's five fields (output type first): a 336 answers "
           "four (resistance, max current, max user current, current/power), which the group cannot parse"
           for n in (1, 2) for name in LAKESHORE_HEATER_SETUP},
        **{f"output_{n}.{name}": f"HTRSET? {n}: a 336 sets up heater outputs 1 and 2 only (-222), no reply"
           for n in (3, 4) for name in LAKESHORE_HEATER_SETUP},
        **{f"output_{n}.output": f"HTR? {n}: heater outputs 1 and 2 only, the analog outputs read with AOUT? "
           "(-222), no reply" for n in (3, 4)},
    },
    "pymeasure.instruments.lakeshore.LakeShore3xx": {
        "options": "*OPT? is no 336 common command (an unknown header), no reply",
        "next_error": "SYST:ERR?: the 336 has no error queue (an unknown header), no reply",
        **{f"input_{ch}.{name}": f"{query} {ch}: a 336 has inputs A-D only (scanner inputs are a 350's), no reply"
           for ch in ("C1", "C2", "C3", "C4", "D1", "D2", "D3", "D4", "D5")
           for name, query in (("kelvin", "KRDG?"), ("celsius", "CRDG?"), ("celcius", "CRDG?"), ("sensor", "SRDG?"))},
        **{f"output_{n}.output": f"HTR? {n}: heater outputs 1 and 2 only, the analog outputs read with AOUT? "
           "(-222), no reply" for n in (3, 4)},
    },
    "pymeasure.instruments.keithley.Keithley6221": {
        "standard_event_enabled": "queries ESE? without the asterisk of *ESE?: an unknown header (-113), no reply",
        **{name: "reads TRAC:DATA? as a property: on a 6221 whose buffer no delta run has filled that is -230 (Data "
           "corrupt or stale), no reply" for name in ("buffer_data", "delta_values")},
    },
}


# ----------------------------------------------------------------------------------------------- opening
def driver_class(path: str) -> type:
    """The class at dotted ``path``."""
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def dotted_path(cls: type) -> str:
    """The dotted path of ``cls`` as the registry and the tables name it (its public module)."""
    from mtjhw.registry import REGISTRY
    known = OPENING.keys() | DRIVER_BUGS.keys() | {path for entry in REGISTRY.values() for path in entry.third_party}
    for path in sorted(known):
        if path.rsplit(".", 1)[1] == cls.__name__ and driver_class(path) is cls:
            return path
    return f"{cls.__module__}.{cls.__qualname__}"


def is_pymeasure(cls: type) -> bool:
    """``cls`` is a PyMeasure instrument driver."""
    from pymeasure.instruments import Instrument
    return issubclass(cls, Instrument)


def is_qcodes(cls: type) -> bool:
    """``cls`` is a QCoDeS instrument driver."""
    from qcodes.instrument import Instrument
    return issubclass(cls, Instrument)


def opening_kwargs(path: str, served: Served) -> dict[str, Any]:
    """The constructor keywords of driver ``path`` on ``served``: the transport's, then the driver's own."""
    opening = OPENING.get(path, Opening())
    cls = driver_class(path)
    kwargs = dict(served.pymeasure_kwargs if is_pymeasure(cls) else served.qcodes_kwargs)
    if opening.own_timeout:
        kwargs.pop("timeout", None)
    kwargs.update(opening.kwargs)
    if served.transport == "tcp":
        kwargs.update(opening.tcp)
    return kwargs


def open_driver(driver: str | type, served: Served, name: str = "dut", **kwargs: Any) -> Any:
    """``driver`` (dotted path or class) opened on ``served`` as its users open it (QCoDeS: named ``name``)."""
    path = driver if isinstance(driver, str) else dotted_path(driver)
    cls = driver_class(path) if isinstance(driver, str) else driver
    kwargs = {**opening_kwargs(path, served), **kwargs}
    if is_qcodes(cls):
        return cls(name, served.resource, **kwargs)
    inst = cls(served.resource, **kwargs)
    if OPENING.get(path, Opening()).own_timeout and served.transport == "tcp":
        inst.adapter.connection.timeout = TCP_TIMEOUT_MS
    return inst


def open_visa(served: Served, **kwargs: Any) -> Any:
    """A plain pyvisa resource on ``served``: LF both ways and the harness's timeout unless ``kwargs`` differ."""
    import pyvisa
    resource_manager = pyvisa.ResourceManager(served.visa_library)
    return resource_manager.open_resource(served.resource, **{**LF, "timeout": TCP_TIMEOUT_MS, **kwargs})


def close_driver(inst: Any) -> None:
    """Close a driver's connection (QCoDeS: the instrument)."""
    if hasattr(inst, "adapter"):
        inst.adapter.close()
    else:
        inst.close()


def synced(inst: Any) -> Any:
    """``inst`` once the instrument has executed all written before (``*OPC?``; TCP writes do not wait)."""
    assert str(inst.ask("*OPC?")).strip() == "1"
    return inst


# ----------------------------------------------------------------------------------------------- PyMeasure
def _class(target: Any) -> type:
    """``target`` if it is a class, else its class."""
    return target if isinstance(target, type) else type(target)


def is_control(prop: property) -> bool:
    """``prop`` was made by ``Instrument.control``, ``measurement`` or ``setting`` (not a hand-written property)."""
    return prop.fget is not None and "control" in prop.fget.__qualname__


def pymeasure_properties(target: Any) -> dict[str, property]:
    """A PyMeasure driver's or channel's properties by name, less the stubs ``Instrument`` itself defines."""
    return _class_properties(_class(target))


@functools.cache
def _class_properties(cls: type) -> dict[str, property]:
    """:func:`pymeasure_properties` of a class, computed once."""
    from pymeasure.instruments import Instrument
    props = {}
    for name in sorted(dir(cls)):
        owner = next((klass for klass in cls.__mro__ if name in vars(klass)), None)
        prop = vars(owner).get(name) if owner is not None else None
        if isinstance(prop, property) and owner is not Instrument:  # the stubs raise NotImplementedError, unsent
            props[name] = prop
    return props


def pymeasure_stubs(driver: type) -> list[str]:
    """The properties :func:`pymeasure_properties` leaves out: those ``Instrument`` itself defines."""
    from pymeasure.instruments import Instrument
    return sorted(name for name in dir(driver) if isinstance(vars(Instrument).get(name), property)
                  and getattr(driver, name) is vars(Instrument)[name])


def pymeasure_option(target: Any, name: str, key: str) -> Any:
    """Parameter ``key`` (``values``, ``set_command`` …) of control ``name`` as ``target`` has it (else ``empty``)."""
    prop = pymeasure_properties(target)[name]
    if isinstance(prop, _dynamic_property()) and not isinstance(target, type):
        override = f"{prop.prefix}{name}_{key}"
        if hasattr(target, override):
            return getattr(target, override)
    for function in (prop.fget, prop.fset):
        params = inspect.signature(function).parameters if function is not None else {}
        if key in params:
            return params[key].default
    return inspect.Parameter.empty


def _dynamic_property() -> type:
    """PyMeasure's ``DynamicProperty`` (imported late: this module also serves QCoDeS-only tests)."""
    from pymeasure.instruments.common_base import DynamicProperty
    return DynamicProperty


def pymeasure_readable(target: Any) -> list[str]:
    """Properties with a getter that sends a query (``Instrument.setting`` getters only raise)."""
    return [name for name, prop in pymeasure_properties(target).items()
            if prop.fget is not None and pymeasure_option(target, name, "get_command") is not None]


def pymeasure_settable(target: Any) -> list[str]:
    """Properties whose setter sends a command (``Instrument.measurement`` setters only raise)."""
    return [name for name, prop in pymeasure_properties(target).items()
            if prop.fset is not None and pymeasure_option(target, name, "set_command") is not None]


def pymeasure_targets(inst: Any) -> dict[str, Any]:
    """The instrument ("") and its channels (attributes with PyMeasure controls: ``ch_1``, ``ch1`` …) by name."""
    targets = {"": inst}
    for attr, value in vars(inst).items():
        if not isinstance(value, type) and any(is_control(p) for p in pymeasure_properties(value).values()):
            targets[attr] = value
    return targets


def pymeasure_choices(target: Any, name: str) -> list[Any]:
    """Every key or choice of a control's ``values``, or one round value inside its range (none without)."""
    values = pymeasure_option(target, name, "values")
    validator = pymeasure_option(target, name, "validator")
    if values is inspect.Parameter.empty or not isinstance(values, (dict, list, tuple, range)) or not values:
        return []
    if isinstance(values, dict):
        return list(values)
    if "range" in getattr(validator, "__name__", "") and not isinstance(values, range):
        low, high = values
        set_command = pymeasure_option(target, name, "set_command") or ""
        return [inside(low, high, integer=bool(re.search(r"%[-+ #0]*\d*[di]", set_command)))]
    return list(values)


def pymeasure_value(target: Any, name: str, current: Any, given: Mapping[str, Any] | None = None) -> Any:
    """A value ``name``'s validator accepts, other than ``current`` where it can be (``given``: chosen by hand)."""
    if given and name in given:
        return given[name]
    values = pymeasure_option(target, name, "values")
    if isinstance(values, dict):
        mapped = values.get(current) if _hashable(current) else None
        return next((key for key, code in values.items() if code != mapped), current)
    choices = pymeasure_choices(target, name)
    if choices:
        return other_than(current, choices)
    return nudged(current, name)


def pymeasure_sent(target: Any, name: str, value: Any) -> Any:
    """``value`` as the instrument receives it: an unmapped number through the ``set_command``'s ``%`` format."""
    mapped = pymeasure_option(target, name, "map_values") is True
    if not _number(value) or mapped:
        return value
    return formatted(pymeasure_option(target, name, "set_command"), value)


# ----------------------------------------------------------------------------------------------- QCoDeS
def qcodes_modules(instrument: Any) -> Iterator[tuple[str, Any]]:
    """The instrument ("") and its submodules and channels, recursively, by dotted name (``ch1``, ``sa`` …)."""
    seen: set[int] = set()

    def walk(prefix: str, module: Any) -> Iterator[tuple[str, Any]]:
        """``module`` and all below it, once each."""
        if id(module) in seen:
            return
        seen.add(id(module))
        if hasattr(module, "parameters"):
            yield prefix, module
        for name, sub in getattr(module, "submodules", {}).items():
            yield from walk(f"{prefix}.{name}" if prefix else name, sub)
        if not hasattr(module, "parameters"):  # a channel list: its channels
            for channel in module:
                yield from walk(f"{prefix}.{channel.short_name}", channel)

    yield from walk("", instrument)


def qcodes_parameters(instrument: Any) -> dict[str, Any]:
    """Every parameter of the instrument and of its submodules and channels, by dotted name (``module.name``)."""
    return {f"{where}.{name}" if where else name: param
            for where, module in qcodes_modules(instrument) for name, param in module.parameters.items()}


def qcodes_choices(param: Any) -> list[Any]:
    """Every key or choice of a parameter's mapping or Enum/Bool, or one round value in its Numbers/Ints range."""
    from qcodes import validators as vals
    if param.val_mapping is not None:
        keys = list(param.val_mapping)
        return [True, False] if any(key is True for key in keys) else keys
    validator = param.vals
    if isinstance(validator, vals.MultiType):
        validator = validator.validators[0]
    if isinstance(validator, vals.Enum):
        return sorted(validator.valid_values, key=str)
    if isinstance(validator, vals.Bool):
        return [True, False]
    if isinstance(validator, (vals.Numbers, vals.Ints)):
        low, high = validator.valid_values
        unbounded = [not math.isfinite(end) or abs(end) >= 1e18 for end in (low, high)]  # no bound given
        if all(unbounded):
            return []
        if unbounded[1]:  # one bound: a range of three decades from it
            high = low + 1000 * max(abs(low), 1)
        elif unbounded[0]:
            low = high - 1000 * max(abs(high), 1)
        return [inside(low, high, integer=isinstance(validator, vals.Ints) or param.get_parser is int)]
    return []


def qcodes_value(param: Any, current: Any, given: Mapping[str, Any] | None = None) -> Any:
    """A value ``param``'s validator accepts, other than ``current`` where it can be (``given``: by hand, by name)."""
    if given and param.name in given:
        return given[param.name]
    choices = qcodes_choices(param)
    if choices:
        return other_than(current, choices)
    return nudged(current, param.full_name)


def qcodes_sent(param: Any, value: Any) -> Any:
    """``value`` as the instrument receives it: an unmapped number through the ``set_cmd`` format."""
    if not _number(value) or param.val_mapping is not None:
        return value
    cmd = getattr(param.set_raw, "cmd_str", None)
    if not isinstance(cmd, str) or param.set_parser is not None:
        return value
    try:
        argument = cmd.format(value)
    except (IndexError, KeyError, ValueError):
        return value
    number = re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", argument.split(None, 1)[-1])
    return float(number[-1]) if number else value


# ----------------------------------------------------------------------------------------------- values
def _hashable(value: Any) -> bool:
    """``value`` can be a dictionary key."""
    try:
        hash(value)
    except TypeError:
        return False
    return True


def round_sig(value: float, digits: int = 2) -> float:
    """``value`` to ``digits`` significant digits."""
    return value if value == 0 else round(value, digits - 1 - math.floor(math.log10(abs(value))))


def inside(low: float, high: float, integer: bool = False) -> float:
    """A round value well inside [``low``, ``high``]: geometric over decades, else 3/8 of the way; two digits."""
    value = math.sqrt(low * high) if low > 0 and high > 100 * low else low + 0.375 * (high - low)
    rounded = round_sig(value)
    value = rounded if low <= rounded <= high else value
    if integer:
        value = min(max(round(value), math.ceil(low)), math.floor(high))
    return value


def nudged(current: Any, name: str) -> Any:
    """For a property without bounds: the other state of a Boolean, 0.9 × a number (0.5 from zero)."""
    if isinstance(current, bool):
        return not current
    if _number(current):
        return round_sig(0.9 * current) if current else 0.5
    raise AssertionError(f"{name}: no validator to take a value from; give one by hand")


def other_than(current: Any, choices: Iterable[Any]) -> Any:
    """The first of ``choices`` that is not ``current`` (the first when there is no other)."""
    choices = list(choices)
    return next((choice for choice in choices if not same(current, choice)), choices[0])


def formatted(command: Any, value: float) -> Any:
    """``value`` through the first number format (``%.3f``, ``%e``, ``%d`` …) of ``command`` (unchanged without)."""
    match = re.search(r"%[-+ #0]*\d*(?:\.\d+)?[diueEfFgG]", command) if isinstance(command, str) else None
    return float(match.group() % value) if match else value


def same(read: Any, expected: Any) -> bool:
    """A read-back is what was set: numbers to 1e-8, sequences and mappings item by item, anything else exactly."""
    if isinstance(expected, dict) and isinstance(read, dict):
        return read.keys() == expected.keys() and all(same(read[key], expected[key]) for key in expected)
    if _sequence(expected) and _sequence(read):
        return len(read) == len(expected) and all(same(a, b) for a, b in zip(read, expected, strict=True))
    if _number(expected) and not isinstance(read, (bool, np.bool_)):
        # 1e-8: the nine digits of an NR3 reply (a PSG's phase goes back and forth as radians). A driver without a
        # parser returns the reply string: its number counts. A string is compared exactly: a reply that is not the
        # value set ("NOIS" for "NOISE") fails.
        try:
            return float(read) == pytest.approx(float(expected), rel=1e-8, abs=1e-12)
        except (TypeError, ValueError):
            return False
    return read == expected


def _number(value: Any) -> bool:
    """``value`` is a real number (a Boolean is not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _sequence(value: Any) -> bool:
    """``value`` is a list, tuple or array."""
    return isinstance(value, (list, tuple, np.ndarray))


def short_form(value: Any) -> Any:
    """An SCPI instrument's answer for a long mnemonic: 4 letters, 3 before a vowel (``TRIGGERED`` → ``TRIG``)."""
    if not (isinstance(value, str) and value.isalpha() and value.isupper() and len(value) > 4):
        return value
    return value[:3] if value[3] in "AEIOU" else value[:4]
