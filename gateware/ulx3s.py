"""ULX3S 85F (Lattice ECP5 LFE5U-85F, caBGA381, speed 6): the accelerator behind a UART bridge, open toolchain.

Why this board (and not the OrangeCrab 25F): the ULX3S's FT231X gives the host a USB serial port wired to two
FPGA pins, so the UART bridge (:mod:`~mtjhw.gateware.uart_bridge`) is the whole host path, where the OrangeCrab's
only USB port goes to the FPGA itself and would need a USB device core first; the 85F (84 k LUT4, 156 18×18
multipliers) holds larger networks than the 25F (24 k, 28); and it is the part issue 15's timing was measured on.
Its pins and its 25 MHz oscillator come from amaranth-boards' ``ULX3S_85F_Platform``.

The top: an EHXPLLL makes the 100 MHz fabric clock from the 25 MHz oscillator (the PYNQ-Z2's FCLK0, so cycle
counts and :attr:`TdcHost.clock_period` hold on both boards), reset is held until the PLL locks (LED 0 lit);
the UART runs at :data:`~mtjhw.gateware.serial_bus.BAUD` on the FTDI lines. The readout front end leaves on the
GPIO header in the order of :func:`front_end_pins` (comparator in on gp0). The ECP5 build has no carry-chain
delay line (that is the Zynq's CARRY4): the synchronised comparator drives every tap, so the TDC resolves one
clock period (10 ns). :func:`build` makes ``mtjhw_ulx3s.bit`` (load it with ``openFPGALoader -b ulx3s``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from amaranth import ClockDomain, ClockSignal, Elaboratable, Instance, Module, Signal
from amaranth.build import Attrs, Pins, Resource, Subsignal
from amaranth.lib import cdc, io

from .ecp5_build import build_ecp5
from .serial_bus import BAUD
from .synthesis import log_stage
from .top import TopConfig, register_map
from .uart_bridge import UartAccelerator

TOP_NAME = "mtjhw_ulx3s"
FABRIC_CLOCK = 100e6  # Hz
#: EHXPLLL settings for 25 MHz in, 100 MHz out (VCO 600 MHz), as `ecppll -i 25 -o 100` computes them
PLL_100MHZ = {
    "p_PLLRST_ENA": "DISABLED", "p_INTFB_WAKE": "DISABLED", "p_STDBY_ENABLE": "DISABLED",
    "p_DPHASE_SOURCE": "DISABLED", "p_OUTDIVIDER_MUXA": "DIVA", "p_CLKI_DIV": 1, "p_CLKOP_ENABLE": "ENABLED",
    "p_CLKOP_DIV": 6, "p_CLKOP_CPHASE": 2, "p_CLKOP_FPHASE": 0, "p_FEEDBK_PATH": "CLKOP", "p_CLKFB_DIV": 4,
    "a_FREQUENCY_PIN_CLKI": "25", "a_FREQUENCY_PIN_CLKOP": "100", "a_ICP_CURRENT": "12", "a_LPF_RESISTOR": "8",
    "a_MFG_ENABLE_FILTEROPAMP": "1", "a_MFG_GMCREF_SEL": "2",
}
_HEADER = [f"{pair}{side}" for pair in range(28) for side in "+-"]  # gp0, gn0, gp1, … on the "gpio" connector


def front_end_pins(config: TopConfig) -> dict[str, list[str]]:
    """Front-end port → GPIO header pins (``0+`` is gp0, ``0-`` gn0): comparator, column address, row drives,
    charge, calibration select; at most 47 of the header's 56 pins (32 rows, 4095 columns)."""
    widths = {"comparator": 1, "column": max(config.cols - 1, 1).bit_length(), "row_drive": config.rows,
              "charge": 1, "calibration_stop": 1}
    pins, start = {}, 0
    for port, width in widths.items():
        pins[port], start = _HEADER[start:start + width], start + width
    return pins


def front_end_resource(config: TopConfig) -> Resource:
    subsignals = [Subsignal(port, Pins(" ".join(pins), dir="i" if port == "comparator" else "o",
                                       conn=("gpio", 0))) for port, pins in front_end_pins(config).items()]
    return Resource("mtjhw_front_end", 0, *subsignals, Attrs(IO_TYPE="LVCMOS33"))


class Ulx3sTop(Elaboratable):
    """PLL, reset, UART pins and the front-end header around :class:`UartAccelerator`."""

    def __init__(self, config: TopConfig, baud: int = BAUD) -> None:
        self.config = config
        self.divider = round(FABRIC_CLOCK / baud)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.domains.sync = ClockDomain()
        clock, locked = Signal(), Signal()
        clock, locked = Signal(), Signal()
        oscillator = _buffer(m, "clk25", "i", platform.request("clk25", 0, dir="-"))
        m.submodules.pll = Instance("EHXPLLL", **PLL_100MHZ, i_CLKI=oscillator, o_CLKOP=clock, i_CLKFB=clock,
                                    o_LOCK=locked, i_RST=0, i_STDBY=0, i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=1,
                                    i_PHASESTEP=1, i_PHASELOADREG=1, i_PLLWAKESYNC=0, i_ENCLKOP=0)
        m.d.comb += [ClockSignal("sync").eq(clock), _buffer(m, "led", "o", platform.request("led", 0, dir="-")).eq(
            locked)]
        m.submodules.reset = cdc.ResetSynchronizer(~locked, domain="sync")
        m.submodules.core = core = UartAccelerator(self.config, self.divider)
        uart = platform.request("uart", 0, dir="-")
        m.d.comb += [core.rx.eq(_buffer(m, "uart_rx", "i", uart.rx)), _buffer(m, "uart_tx", "o", uart.tx).eq(core.tx)]
        pins = platform.request("mtjhw_front_end", 0, dir="-")
        comparator = Signal()
        m.submodules.comparator_sync = cdc.FFSynchronizer(_buffer(m, "comparator", "i", pins.comparator), comparator)
        m.d.comb += core.taps_in.eq(comparator.replicate(self.config.taps))
        m.d.comb += [_buffer(m, port, "o", getattr(pins, port)).eq(getattr(core, port))
                     for port in ("column", "row_drive", "charge", "calibration_stop")]
        return m


def _buffer(m: Module, name: str, direction: str, port) -> Signal:
    """An I/O buffer on ``port``: its input (``i``) or output (``o``) signal."""
    m.submodules[f"{name}_buffer"] = buffer = io.Buffer(direction, port)
    return buffer.i if direction == "i" else buffer.o


def build(config: TopConfig, out: Path, progress: Callable[[str], None] = log_stage, seed: int = 1) -> dict:
    """Build ``mtjhw_ulx3s.bit`` for ``config`` into ``out`` (fails, unpacked, when timing is not met);
    returns the summary also written to ``build.json``."""
    try:
        from amaranth_boards.ulx3s import ULX3S_85F_Platform
    except ImportError:
        raise FileNotFoundError("amaranth-boards is not installed: `pip install amaranth-boards` "
                                "(mtjhw[gateware])") from None
    platform = ULX3S_85F_Platform()
    platform.add_resources([front_end_resource(config)])
    out.mkdir(parents=True, exist_ok=True)
    (out / "register_map.md").write_text(register_map(config).markdown() + "\n")
    progress(f"gateware: ULX3S {platform.device} build of {config.sizes} with {config.lanes} lanes, "
             f"{config.rows}×{config.cols} readout, UART at {BAUD} bit/s")
    summary = {"board": "ulx3s", "part": f"{platform.device}-{platform.speed}{platform.package}", "top": TOP_NAME,
               "clock_hz": FABRIC_CLOCK, "baud": BAUD, "front_end_pins": front_end_pins(config),
               "config": config.to_dict()}
    return build_ecp5(platform, Ulx3sTop(config), TOP_NAME, out, summary, progress, seed)
