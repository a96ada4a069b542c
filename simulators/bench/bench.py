"""The virtual probe station: one DUT, an electromagnet, a simulated clock, and the bias the SMU applies.

Every virtual instrument of a bench holds a reference to it. Time advances only through :meth:`advance`
(instruments call it for integration time, source delays and sweeps; procedures call it through the bench's
``sleep``), unless the bench runs in real time, when it first catches up with the wall clock.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from .bias import Bias
from .devices import TwoTerminalDevice
from .magnet import Electromagnet
from .pmtj import PerpendicularMTJ


class VirtualBench:
    """Shared physical state of a set of virtual instruments.

    ``dut`` is a bench device model (:class:`~simulators.bench.devices.TwoTerminalDevice`), ``magnet``
    the field source, ``seed`` seeds every random draw, ``realtime`` makes simulated time follow wall time
    (for external clients over TCP that wait in wall time).
    """

    def __init__(self, dut: TwoTerminalDevice | None = None, magnet: Electromagnet | None = None, *,
                 seed: int | None = 0, realtime: bool = False, ambient_field: float = 0.0) -> None:
        self.dut = dut if dut is not None else PerpendicularMTJ()
        self.magnet = magnet if magnet is not None else Electromagnet()
        self.rng = np.random.default_rng(seed)
        self.lock = threading.RLock()
        self.time = 0.0
        self.ambient_field = ambient_field
        self.realtime = realtime
        self._wall_origin = time.monotonic()
        self._bias_source: object | None = None
        self._bias = Bias.open_circuit()

    # ----------------------------------------------------------------- drive
    @property
    def field(self) -> float:
        """Field at the DUT (T): magnet plus ambient."""
        return self.magnet.field + self.ambient_field

    @property
    def bias(self) -> Bias:
        return self._bias

    def apply_bias(self, source: object, bias: Bias) -> None:
        """Connect ``source`` (an instrument) to the DUT with ``bias``; one source drives it at a time."""
        self._bias_source = source
        self._bias = bias

    def release_bias(self, source: object) -> None:
        """Disconnect ``source`` (output off): the DUT is left open."""
        if self._bias_source is source:
            self._bias_source = None
            self._bias = Bias.open_circuit()

    def route(self, closed: set[str]) -> None:
        """The switch matrix changed: tell a DUT that is wired through it (an array) which crosspoints are closed."""
        connect = getattr(self.dut, "connect", None)
        if connect is not None:
            connect(closed)

    # ----------------------------------------------------------------- time
    def catch_up(self) -> None:
        """In real-time mode, advance the simulation to the wall clock."""
        if self.realtime:
            lag = (time.monotonic() - self._wall_origin) - self.time
            if lag > 0:
                self.advance(lag)

    def advance(self, duration: float) -> tuple[float, float]:
        """Let ``duration`` (s) pass under the present drive; return the DUT's time-averaged (V, I)."""
        if duration < 0:
            raise ValueError("duration must be >= 0")
        with self.lock:
            if duration == 0:
                return self.dut.advance(0.0, self._bias, self.field, self.rng)
            v_sum = i_sum = 0.0
            remaining = duration
            while remaining > 0:
                # While the magnet settles, step in fractions of its time constant so the DUT sees the ramp.
                step = min(remaining, self.magnet.time_constant / 4) if self.magnet.settling() else remaining
                self.magnet.advance(step / 2)
                v, i = self.dut.advance(step, self._bias, self.field, self.rng)
                self.magnet.advance(step / 2)
                v_sum += v * step
                i_sum += i * step
                remaining -= step
            self.time += duration
            return v_sum / duration, i_sum / duration
