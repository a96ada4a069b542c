"""Virtual MPI SENTIO probe station: a chuck that steps a simulated wafer under the needles.

Protocol (SENTIO remote command set, TCP port 35555; ``*RCS 1`` selects the native set): one command a line, a
reply of ``errcode,cmd_id,message`` to every native command (0: success). The twin knows ``map:step_die col, row``,
``map:die:get_current_index`` (path index, column, row), ``map:get_num_dies``, ``map:path:get_die index`` (the
testable dies in order), ``move_chuck_contact`` and ``move_chuck_separation`` (reply: the height, µm from the z
axis' zero), ``get_chuck_xy`` (µm from the wafer centre), ``get_chuck_z [Zero|Contact|Separation]`` (µm from that
reference), ``get_chuck_site_heights`` (contact height, separation gap, overtravel, hover gap; µm),
``status:get_version`` and ``*IDN?``. A command it does not know gets
:data:`UNKNOWN_COMMAND`, a bad parameter :data:`INVALID_PARAMETER`, a step while the needles are down
:data:`NOT_SEPARATED` (the twin is stricter than SENTIO, which would lift first).

On contact the die's device (:meth:`~mtjhw.simulators.bench.wafer.VirtualWafer.build`, at the stage's temperature)
becomes the bench's DUT; separated, the needles touch nothing (an open junction).
"""

from __future__ import annotations

import logging

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.devices import OpenJunction
from mtjhw.simulators.bench.wafer import VirtualWafer, WaferSpec

from .base import BenchInstrument

log = logging.getLogger(__name__)

UNKNOWN_COMMAND, INVALID_PARAMETER, NOT_SEPARATED, INTERNAL_ERROR = 2, 3, 4, 1
CONTACT_HEIGHT = 10000.0  #: µm from the chuck's z zero at which the needles touch the wafer
SEPARATION = 50.0  #: µm the chuck drops below the contact height to separate


class MPISentio(BenchInstrument):
    """Virtual SENTIO prober over ``wafer`` (default: a 100 mm wafer of the default pMTJ)."""

    idn = ("MPI Corporation", "SENTIO", "0", "24.0")
    reply_termination = "\n"

    def __init__(self, bench: VirtualBench, wafer: VirtualWafer | None = None) -> None:
        self.wafer = wafer if wafer is not None else VirtualWafer(WaferSpec(), {})
        self.die = self.wafer.dies()[0]
        self.contacted = False
        self._cmd_id = 0
        super().__init__(bench)
        bench.dut = OpenJunction()

    def handle(self, message: str) -> str | None:
        """Execute one line; the reply line (None for ``*RCS``)."""
        with self.bench.lock:
            self.bench.catch_up()
            text = message.strip()
            if text.upper() == "*IDN?":
                return ",".join(self.idn)
            if text.upper().startswith("*RCS"):
                return None
            self._cmd_id += 1
            name, _, args = text.partition(" ")
            command = self._native().get(name.lower())
            if command is None:
                return self._reply(UNKNOWN_COMMAND, f"unknown command {name!r}")
            try:
                return self._reply(0, command([a.strip() for a in args.split(",") if a.strip()]))
            except _Refused as refused:
                return self._reply(refused.code, str(refused))
            except Exception:  # a bug in the twin must not take the server down
                log.exception("virtual SENTIO failed on %r", text)
                return self._reply(INTERNAL_ERROR, "internal error")

    def _reply(self, code: int, message: str) -> str:
        """The reply line; a refusal is also kept in ``errors`` (SENTIO's log), for inspection."""
        if code:
            self.push_error(code, message)
        return f"{code},{self._cmd_id},{message}"

    def _native(self) -> dict:
        return {"map:step_die": self._step_die, "map:die:get_current_index": self._index,
                "map:get_num_dies": self._num_dies, "map:path:get_die": self._path_die,
                "move_chuck_contact": self._contact, "move_chuck_separation": self._separate,
                "get_chuck_xy": self._xy, "get_chuck_z": self._z, "get_chuck_site_heights": self._heights,
                "status:get_version": lambda args: f"Version: {self.idn[3]}.0"}

    @staticmethod
    def _ints(args: list[str], count: int) -> list[int]:
        try:
            values = [int(a) for a in args[:count]]
        except ValueError:
            raise _Refused(INVALID_PARAMETER, f"expected {count} integers, got {', '.join(args)!r}") from None
        if len(values) < count:
            raise _Refused(INVALID_PARAMETER, f"expected {count} integer parameters")
        return values

    def _step_die(self, args: list[str]) -> str:
        column, row, *_ = self._ints(args, 2) + self._ints(args[2:], len(args[2:3]))
        if self.contacted:
            raise _Refused(NOT_SEPARATED, "chuck is in contact: separate first")
        try:
            self.die = self.wafer.die(column, row)
        except ValueError as exc:
            raise _Refused(INVALID_PARAMETER, str(exc)) from None
        return f"{column}, {row}, 0"

    def _index(self, args: list[str]) -> str:
        return f"{self.wafer.dies().index(self.die)}, {self.die.column}, {self.die.row}"

    def _num_dies(self, args: list[str]) -> str:
        return str(len(self.wafer.dies()))

    def _path_die(self, args: list[str]) -> str:
        (index,) = self._ints(args, 1)
        dies = self.wafer.dies()
        if not 0 <= index < len(dies):
            raise _Refused(INVALID_PARAMETER, f"die index {index} outside 0..{len(dies) - 1}")
        return f"{dies[index].column}, {dies[index].row}"

    def _contact(self, args: list[str]) -> str:
        if not self.contacted:
            dut = self.wafer.build(self.die)
            if hasattr(dut, "temperature"):
                dut.temperature = self.bench.stage.temperature
            self.bench.dut, self.contacted = dut, True
        return f"{CONTACT_HEIGHT:g}"

    def _separate(self, args: list[str]) -> str:
        if self.contacted:
            self.bench.dut, self.contacted = OpenJunction(), False
        return f"{CONTACT_HEIGHT - SEPARATION:g}"

    def _xy(self, args: list[str]) -> str:
        return f"{self.die.x * 1e6:.1f}, {self.die.y * 1e6:.1f}"

    def _z(self, args: list[str]) -> str:
        z = CONTACT_HEIGHT - (0.0 if self.contacted else SEPARATION)
        references = {"zero": 0.0, "contact": CONTACT_HEIGHT, "separation": CONTACT_HEIGHT - SEPARATION}
        reference = (args[0] if args else "zero").lower()
        if reference not in references:
            raise _Refused(INVALID_PARAMETER, f"unknown z reference {args[0]!r}")
        return f"{z - references[reference]:g}"

    def _heights(self, args: list[str]) -> str:
        return f"{CONTACT_HEIGHT:g}, {SEPARATION:g}, 0, 0"


class _Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(message)
