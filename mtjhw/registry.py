"""The instruments mtjhw supports: one registration each, the single source for bench files, the simulated bench,
the conformance tests and the documentation's instrument table.

A registration names the driver (what a bench file writes as ``driver:``), its driver class, the roles it can fill,
its virtual twin and the resource string the twin answers by default, and the unmodified third-party drivers that
the conformance suite runs against the twin. Adding an instrument: its driver file, its twin file, one
:func:`register` call here, its test.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtjhw.instruments import (
    keithley707b,
    keithley2400,
    keithley2450,
    keithley2600,
    keithley6221,
    kepco,
    keysight_b2900,
    lakeshore,
    lakeshore336,
    lakeshore460,
    lockin,
    mpi_sentio,
    newport_esp300,
    oscilloscope,
    pulse_generator,
    rf_source,
    spectrum_analyzer,
    sr860,
    tektronix_scope,
)
from mtjhw.instruments.roles import ROLES
from mtjhw.simulators import instruments as twins


@dataclass(frozen=True)
class Registration:
    """One supported instrument model."""

    name: str  #: the ``driver:`` name in bench files
    model: str  #: manufacturer and model, for people
    driver: type  #: the mtjhw driver class (a PyMeasure ``Instrument``)
    roles: frozenset[str]  #: bench roles it can fill (keys of :data:`~mtjhw.instruments.roles.ROLES`)
    twin: type  #: the virtual instrument standing in for it on a simulated bench
    resource: str  #: the VISA resource the twin answers by default
    third_party: tuple[str, ...] = ()  #: unmodified third-party drivers verified against the twin


REGISTRY: dict[str, Registration] = {}


def register(name: str, model: str, driver: type, roles: set[str], twin: type, resource: str,
             third_party: tuple[str, ...] = ()) -> None:
    """Add one instrument; names and roles are checked here so that a typo fails at import, not in a lab."""
    if name in REGISTRY:
        raise ValueError(f"instrument {name!r} is registered twice")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"{name}: unknown roles {sorted(unknown)}; known roles: {', '.join(ROLES)}")
    REGISTRY[name] = Registration(name, model, driver, frozenset(roles), twin, resource, third_party)


def registration(name: str) -> Registration:
    """The registration of driver ``name``; the error lists the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown driver {name!r}; known drivers: {', '.join(sorted(REGISTRY))}") from None


register("keithley2450", "Keithley 2450 SourceMeter", keithley2450.Keithley2450, {"smu"}, twins.Keithley2450,
         "USB0::0x05E6::0x2450::04096331::INSTR",
         ("pymeasure.instruments.keithley.Keithley2450", "qcodes.instrument_drivers.Keithley.Keithley2450"))
register("keithley2400", "Keithley 2400 SourceMeter", keithley2400.Keithley2400, {"smu"}, twins.Keithley2400,
         "GPIB0::23::INSTR",
         ("pymeasure.instruments.keithley.Keithley2400", "qcodes.instrument_drivers.Keithley.Keithley2400"))
register("keithley2636b", "Keithley 2636B System SourceMeter (2600B series, TSP)", keithley2600.Keithley2600, {"smu"},
         twins.Keithley2600, "GPIB0::26::INSTR",
         ("pymeasure.instruments.keithley.Keithley2600", "qcodes.instrument_drivers.Keithley.Keithley2636B"))
register("keysight-b2900", "Keysight B2900 series SMU (B2901A/B2902A/B2912A)",
         keysight_b2900.KeysightB2900, {"smu"}, twins.KeysightB2902A, "USB0::0x0957::0x8C18::MY51140000::INSTR",
         ("qcodes.instrument_drivers.Keysight.KeysightB2962A",))
register("keithley6221", "Keithley 6221 current source with a 2182A nanovoltmeter (delta mode)",
         keithley6221.Keithley6221, {"resistance"}, twins.Keithley6221, "GPIB0::24::INSTR",
         ("pymeasure.instruments.keithley.Keithley6221",))
register("keithley707b", "Keithley 707B switching matrix", keithley707b.Keithley707B, {"switch"},
         twins.Keithley707B, "GPIB0::16::INSTR")
register("kepco-bop", "Kepco BOP 36-12 bipolar supply", kepco.KepcoBOP,
         {"magnet", "magnet_x", "magnet_y", "magnet_z"}, twins.KepcoBOP,
         "GPIB0::6::INSTR", ("pymeasure.instruments.kepco.KepcoBOP3612",))
register("lakeshore425", "Lake Shore 425 gaussmeter", lakeshore.LakeShore425, {"gaussmeter"},
         twins.LakeShore425, "ASRL3::INSTR",
         ("pymeasure.instruments.lakeshore.LakeShore425", "lakeshore.Model425"))
register("lakeshore460", "Lake Shore 460 three-channel gaussmeter", lakeshore460.LakeShore460,
         {"vector_gaussmeter"}, twins.LakeShore460, "GPIB0::13::INSTR")
register("lakeshore336", "Lake Shore 336 temperature controller", lakeshore336.LakeShore336, {"temperature"},
         twins.LakeShore336, "GPIB0::12::INSTR",
         ("qcodes.instrument_drivers.Lakeshore.LakeshoreModel336", "pymeasure.instruments.lakeshore.LakeShore3xx"))
register("keysight81160a", "Keysight 81160A pulse generator", pulse_generator.Keysight81160A, {"pulser"},
         twins.Keysight81160A, "GPIB0::10::INSTR", ("pymeasure.instruments.keysight.Keysight81160A",))
register("keysight33500b", "Keysight 33500B waveform generator", pulse_generator.Keysight33500B, {"pulser"},
         twins.Keysight33500B, "USB0::0x0957::0x2307::MY52301234::INSTR",
         ("pymeasure.instruments.agilent.Agilent33500", "qcodes.instrument_drivers.Keysight.Keysight33522B"))
register("keysight-dsox3000", "Keysight InfiniiVision 3000 X oscilloscope", oscilloscope.KeysightDSOX3000,
         {"scope"}, twins.KeysightDSOX3000, "USB0::0x2A8D::0x1770::MY58260123::INSTR",
         ("pymeasure.instruments.keysight.KeysightDSOX1102G",))
register("tektronix-mso5000", "Tektronix MSO5204B (MSO/DPO5000B series) oscilloscope",
         tektronix_scope.TektronixMSO5000, {"scope"}, twins.TektronixMSO5000,
         "TCPIP0::192.168.0.40::inst0::INSTR", ("qcodes.instrument_drivers.tektronix.TektronixMSO5000",))
register("keysight-n5183b", "Keysight N5183B MXG signal generator", rf_source.KeysightN5183B, {"rf"},
         twins.KeysightN5183B, "TCPIP0::192.168.0.21::inst0::INSTR",
         ("qcodes.instrument_drivers.Keysight.KeysightN5183B",))
register("rs-smb100a", "Rohde & Schwarz SMB100A signal generator", rf_source.RohdeSchwarzSMB100A, {"rf"},
         twins.RohdeSchwarzSMB100A, "TCPIP0::192.168.0.22::inst0::INSTR",
         ("qcodes_contrib_drivers.drivers.RohdeSchwarz.SMB100A.RohdeSchwarz_SMB100A",))
register("agilent-e8257d", "Agilent E8257D PSG signal generator", rf_source.Agilent8257D, {"rf"},
         twins.AgilentE8257D, "GPIB0::19::INSTR",
         ("pymeasure.instruments.agilent.Agilent8257D", "qcodes.instrument_drivers.agilent.AgilentE8257D"))
register("anritsu-mg3692c", "Anritsu MG3692C signal generator", rf_source.AnritsuMG3692C, {"rf"},
         twins.AnritsuMG3692C, "GPIB0::5::INSTR", ("pymeasure.instruments.anritsu.AnritsuMG3692C",))
register("keysight-n9010b", "Keysight N9010B EXA signal analyzer", spectrum_analyzer.KeysightXSeries,
         {"analyzer"}, twins.KeysightN9010B, "TCPIP0::192.168.0.30::hislip0::INSTR",
         ("qcodes.instrument_drivers.Keysight.KeysightN9030B",))
register("keysight-n9030b", "Keysight N9030B PXA signal analyzer", spectrum_analyzer.KeysightXSeries,
         {"analyzer"}, twins.KeysightN9030B, "TCPIP0::192.168.0.31::hislip0::INSTR",
         ("qcodes.instrument_drivers.Keysight.KeysightN9030B",))
register("sr830", "Stanford Research SR830 lock-in amplifier", lockin.SR830, {"lockin"}, twins.SR830,
         "GPIB0::8::INSTR",
         ("pymeasure.instruments.srs.SR830", "qcodes.instrument_drivers.stanford_research.SR830"))
register("sr860", "Stanford Research SR860 lock-in amplifier", sr860.SR860, {"lockin"}, twins.SR860,
         "GPIB0::9::INSTR",
         ("pymeasure.instruments.srs.SR860", "qcodes.instrument_drivers.stanford_research.SR860"))
register("newport-esp300", "Newport ESP300 motion controller with a rotation stage", newport_esp300.NewportESP300,
         {"rotator"}, twins.ESP300, "GPIB0::1::INSTR", ("pymeasure.instruments.newport.ESP300",))
register("rs-fsw", "Rohde & Schwarz FSW signal and spectrum analyzer", spectrum_analyzer.RohdeSchwarzFSW,
         {"analyzer"}, twins.RohdeSchwarzFSW, "TCPIP0::192.168.0.32::inst0::INSTR",
         ("pymeasure.instruments.rohdeschwarz.FSW",))
register("mpi-sentio", "MPI probe station under SENTIO (remote command set over TCP)", mpi_sentio.MPISentio,
         {"prober"}, twins.MPISentio, "TCPIP0::192.168.0.50::35555::SOCKET",
         ("sentio_prober_control.Sentio.ProberSentio.SentioProber",))


def instrument_table() -> str:
    """The Markdown table of supported instruments (README), generated from the registrations."""
    rows = ["| driver | instrument | roles | third-party drivers verified against its twin |", "|---|---|---|---|"]
    for entry in REGISTRY.values():
        third_party = ", ".join(f"`{path}`" for path in entry.third_party) or "plain SCPI/TSP from the manual"
        rows.append(f"| `{entry.name}` | {entry.model} | {', '.join(sorted(entry.roles))} | {third_party} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(instrument_table(), end="")
