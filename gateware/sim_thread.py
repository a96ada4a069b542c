"""A design in the Amaranth simulator on a background thread, driven by calls from the host's thread.

Subclasses define ``async _do_<kind>(ctx, *args)`` testbench steps; :meth:`SimulationThread._call` runs one on
the simulator and returns its result (or re-raises its exception) in the caller's thread. The simulation only
advances while a call is being served; ``cycles`` counts the clock edges awaited through :meth:`_tick`.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from amaranth.sim import Simulator


class SimulationThread:
    def __init__(self, toplevel: Any, clock_period: float, background: tuple = (), timeout: float = 600.0) -> None:
        """``toplevel`` simulated with a clock of ``clock_period`` s; ``background`` testbenches run alongside
        (e.g. an analog front-end model); a call that takes longer than ``timeout`` s (wall clock) fails."""
        self.cycles = 0
        self.timeout = timeout
        self._requests: queue.Queue = queue.Queue()
        self._replies: queue.Queue = queue.Queue()
        sim = Simulator(toplevel)
        sim.add_clock(clock_period)
        sim.add_testbench(self._serve)
        for process in background:
            sim.add_testbench(process, background=True)
        self._thread = threading.Thread(target=sim.run, daemon=True)
        self._thread.start()

    async def _tick(self, ctx) -> None:
        await ctx.tick()
        self.cycles += 1

    async def _serve(self, ctx) -> None:
        while (request := self._requests.get()) is not None:  # blocks the simulation until the host asks
            kind, args = request
            try:
                reply = await getattr(self, f"_do_{kind}")(ctx, *args)
            except Exception as error:  # hand the failure to the caller's thread
                reply = error
            self._replies.put(reply)

    def _call(self, kind: str, *args: Any) -> Any:
        if not self._thread.is_alive():
            raise RuntimeError("the simulation has ended")
        self._requests.put((kind, args))
        reply = self._replies.get(timeout=self.timeout)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def close(self) -> None:
        if self._thread.is_alive():
            self._requests.put(None)
            self._thread.join(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
