"""Timing results of a build: Fmax per clock from nextpnr's JSON report, slack from Vivado's timing summary.

Both give a list of :class:`ClockTiming` (one per clock: achieved and target frequency) that a build checks with
:func:`require_met` before it writes a bitstream, and stores in its summary (:meth:`ClockTiming.to_dict`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class TimingError(RuntimeError):
    """Place and route did not meet a clock's constraint: no bitstream is written."""


@dataclass(frozen=True)
class ClockTiming:
    clock: str
    fmax: float  # Hz, achieved
    target: float  # Hz, constrained

    @property
    def met(self) -> bool:
        return self.fmax >= self.target

    @property
    def slack(self) -> float:
        """Worst setup slack, s (negative: fails)."""
        return 1 / self.target - 1 / self.fmax

    def to_dict(self) -> dict:
        return {"clock": self.clock, "fmax_mhz": round(self.fmax / 1e6, 2), "target_mhz": round(self.target / 1e6, 2),
                "slack_ns": round(self.slack * 1e9, 3), "met": self.met}

    def __str__(self) -> str:
        verdict = "met" if self.met else "FAILS"
        return f"{self.clock}: Fmax {self.fmax / 1e6:.1f} MHz for {self.target / 1e6:.1f} MHz ({verdict})"


def nextpnr_clocks(report: dict) -> list[ClockTiming]:
    """The clocks of a ``nextpnr --report`` JSON report (``fmax``: net → achieved/constraint MHz)."""
    clocks = [ClockTiming(_clock_name(net), entry["achieved"] * 1e6, entry["constraint"] * 1e6)
              for net, entry in report.get("fmax", {}).items()]
    if not clocks:
        raise ValueError("the nextpnr report has no constrained clock (no FREQUENCY preference reached a net)")
    return clocks


def _clock_name(net: str) -> str:
    """nextpnr's global-net name without its decoration: ``$glbnet$clk$TRELLIS_IO_IN`` → ``clk``."""
    return net.removeprefix("$glbnet$").split("$")[0] or net


def vivado_summary(text: str) -> dict:
    """WNS/TNS/WHS/THS (ns) of the design and each clock's timing from ``report_timing_summary`` text."""
    design = _table(text, "Design Timing Summary", named=False)
    if not design:
        raise ValueError("no 'Design Timing Summary' table in the Vivado timing report")
    periods = {row[0]: float(row[-2]) for row in _table(text, "Clock Summary")}
    clocks = []
    for row in _table(text, "Intra Clock Table"):
        if row[0] in periods and _is_number(row[1]):
            period, wns = periods[row[0]] * 1e-9, float(row[1]) * 1e-9
            clocks.append(ClockTiming(row[0], 1 / (period - wns), 1 / period))
    wns, tns, _, _, whs, ths = (float(v) if _is_number(v) else None for v in design[0][:6])
    return {"wns_ns": wns, "tns_ns": tns, "whs_ns": whs, "ths_ns": ths, "clocks": clocks}


def _table(text: str, title: str, named: bool = True) -> list[list[str]]:
    """The rows under the dashes of the table titled ``title`` (``| title``), up to the next blank line."""
    match = re.search(rf"^\| {re.escape(title)}\s*$", text, re.MULTILINE)
    if not match:
        return []
    lines = text[match.end():].splitlines()
    start = next((i for i, line in enumerate(lines) if re.fullmatch(r"\s*-+(\s+-+)+\s*", line)), None)
    rows = []
    for line in lines[start + 1:] if start is not None else []:
        if not line.strip():
            break
        rows.append(_split_row(line) if named else line.split())
    return rows


def _split_row(line: str) -> list[str]:
    """A clock table row: the name, then the fields (a waveform ``{a b}`` counts as one)."""
    return re.findall(r"\{[^}]*\}|\S+", line)


def _is_number(field: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", field) is not None


def require_met(clocks: list[ClockTiming], what: str) -> None:
    """Raise :class:`TimingError` naming every clock of ``what`` that misses its target."""
    failing = [str(c) for c in clocks if not c.met]
    if failing:
        raise TimingError(f"{what} fails timing, no bitstream written: " + "; ".join(failing))
