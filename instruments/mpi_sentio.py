"""MPI SENTIO probe station (TS2000/TS3000 … with SENTIO's remote interface): the Prober role.

SENTIO listens on TCP port 35555 (resource ``TCPIP::<host>::35555::SOCKET``); ``*RCS 1`` selects its native remote
command set, in which every command is answered by one line ``errcode,cmd_id,message`` — the low ten bits of
``errcode`` the error (0: none), the bits above them status flags. Positions in the command set are µm; this
driver's API is SI (m). From MPI's SENTIO remote-command documentation and its public examples.
"""

from __future__ import annotations

from pymeasure.instruments import Instrument

from .errors import InstrumentError

#: ``errcode`` bits that hold the error; the bits above are status flags (e.g. last die of a path)
ERROR_MASK = 0x3FF
#: µm below the contact height from which the chuck counts as separated
CONTACT_TOLERANCE = 0.5


def _micron_pair(text: str) -> tuple[float, float]:
    x, y = (float(v) * 1e-6 for v in text.split(","))
    return x, y


def _index_pair(text: str) -> tuple[int, int]:
    column, row = (int(v) for v in text.split(",")[:2])
    return column, row


def _current_die(text: str) -> tuple[int, int]:
    """(column, row) of a ``map:die:get_current_index`` reply: path index, column, row."""
    return _index_pair(text.split(",", 1)[1])


class MPISentio(Instrument):
    """Fills the :class:`~mtjhw.instruments.roles.Prober` role: steps the chuck from die to die of SENTIO's wafer
    map, lands and lifts the needles. A step while in contact, and a die not on the map, are refused before
    anything is sent."""

    die = Instrument.measurement("map:die:get_current_index",
                                 "Measure the (column, row) of the die under the needles.",
                                 get_process=lambda reply: _current_die(reply), cast=str, separator="\x00")
    position = Instrument.measurement("get_chuck_xy",
                                      "Measure the chuck's (x, y) position (m) from the wafer centre.",
                                      get_process=lambda reply: _micron_pair(reply), cast=str, separator="\x00")
    chuck_z = Instrument.measurement("get_chuck_z Contact",
                                     "Measure the chuck's height (m) from the contact height (0 in contact).",
                                     get_process=lambda z: z * 1e-6)

    def __init__(self, adapter, name: str = "MPI SENTIO probe station", **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        super().__init__(adapter, name, includeSCPI=False, **kwargs)
        self.write("*RCS 1")
        self._dies: list[tuple[int, int]] | None = None

    @property
    def id(self) -> str:
        """Measure the identification (manufacturer, model, serial, version)."""
        self.write("*IDN?")
        return super().read().strip()

    def read(self, **kwargs) -> str:
        """The message of one native reply; a non-zero error raises :class:`InstrumentError`."""
        reply = super().read(**kwargs).strip()
        code, _, rest = reply.partition(",")
        _cmd_id, _, message = rest.partition(",")
        try:
            error = int(code) & ERROR_MASK
        except ValueError:
            raise InstrumentError(self.name, [(-1, f"unreadable reply {reply!r}")]) from None
        if error:
            raise InstrumentError(self.name, [(error, message.strip())])
        return message.strip()

    @property
    def contacted(self) -> bool:
        """Whether the needles are down on the die (the chuck at its contact height)."""
        return self.chuck_z >= -CONTACT_TOLERANCE * 1e-6

    def dies(self) -> list[tuple[int, int]]:
        """The testable dies of SENTIO's wafer map, (column, row), in its stepping order (read once)."""
        if self._dies is None:
            count = int(self.ask("map:get_num_dies"))
            self._dies = [_index_pair(self.ask(f"map:path:get_die {index}")) for index in range(count)]
        return list(self._dies)

    def move_to_die(self, column: int, row: int) -> None:
        """Step the chuck to die (``column``, ``row``); refused while in contact (separate first) or when the die
        is not on the wafer map."""
        if (column, row) not in self.dies():
            raise ValueError(f"{self.name}: die (column {column}, row {row}) is not on the wafer map")
        if self.contacted:
            raise RuntimeError(f"{self.name}: the needles are down: separate before moving to another die")
        self.ask(f"map:step_die {int(column)}, {int(row)}")

    def contact(self) -> None:
        """Raise the chuck to the contact height: the needles land on the die."""
        self.ask("move_chuck_contact")

    def separate(self) -> None:
        """Lower the chuck to the separation height: the needles off the wafer, the safe state."""
        self.ask("move_chuck_separation")
