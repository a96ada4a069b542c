"""SCPI throughput of the virtual instruments against pyvisa-sim, measured side by side in one run.

Both answer through PyVISA's own ``Resource.query`` on a GPIB resource: ours the virtual Keithley 2450 behind
the in-process library (the full SCPI engine: header matching, parameter parsing, status model, bench lock),
pyvisa-sim a YAML dialogue of the same two queries. Then the same twin over TCP through pyvisa-py (one
connection). The three alternate for ``--rounds`` rounds and each keeps its best round, so that a load on the
machine in one moment does not favour either. Prints queries/s and ``<query>_vs_pyvisa_sim: <ratio>x`` (goal
≥ 1.0x in-process, ≥ 5000 queries/s over TCP).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyvisa

from mtjhw.simulators.bench import PerpendicularMTJ, VirtualBench
from mtjhw.simulators.instruments import Keithley2450
from mtjhw.simulators.transport import ScpiSocketServer, VirtualVisaLibrary

RESOURCE = "GPIB0::24::INSTR"
IDN = "*IDN?"
SETTING = ":SOUR:VOLT:ILIM?"  #: a stored-setting query

SIM_YAML = f"""\
spec: "1.1"
devices:
  smu:
    eom:
      GPIB INSTR:
        q: "\\n"
        r: "\\n"
    error: ERROR
    dialogues:
      - q: "{IDN}"
        r: "KEITHLEY INSTRUMENTS,MODEL 2450,04096331,1.7.12b"
    properties:
      current_limit:
        default: 1.05e-4
        getter:
          q: "{SETTING}"
          r: "{{:.6e}}"
        setter:
          q: ":SOUR:VOLT:ILIM {{:.6e}}"
        specs:
          min: 1e-9
          max: 1.05
          type: float
resources:
  {RESOURCE}:
    device: smu
"""


def rate(query: Callable[[str], str], message: str, seconds: float) -> float:
    """Queries per second of ``message`` over about ``seconds`` of wall time."""
    for _ in range(50):
        query(message)
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            query(message)
        n += 100
    return n / elapsed


def both_queries(visa_library: object, resource: str, seconds: float) -> dict[str, float]:
    """Rates of the two queries on ``resource`` opened through ``visa_library``."""
    rm = pyvisa.ResourceManager(visa_library)
    inst = rm.open_resource(resource, read_termination="\n", write_termination="\n")
    try:
        return {"idn": rate(inst.query, IDN, seconds), "setting": rate(inst.query, SETTING, seconds)}
    finally:
        rm.close()


def ours(seconds: float) -> dict[str, float]:
    bench = VirtualBench(PerpendicularMTJ())
    library = VirtualVisaLibrary.for_instruments({RESOURCE: Keithley2450(bench)}, lock=bench.lock)
    return both_queries(library, RESOURCE, seconds)


def pyvisa_sim(seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "smu.yaml"
        path.write_text(SIM_YAML)
        return both_queries(f"{path}@sim", RESOURCE, seconds)


def tcp(seconds: float) -> dict[str, float]:
    bench = VirtualBench(PerpendicularMTJ())
    with ScpiSocketServer(Keithley2450(bench), lock=bench.lock) as server:
        return both_queries("@py", server.resource_name, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="wall time per measurement (s)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each counts")
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"sim": [], "ours": [], "tcp": []}
    for _ in range(args.rounds):
        for name, measure in (("sim", pyvisa_sim), ("ours", ours), ("tcp", tcp)):
            runs[name].append(measure(args.seconds))
    reference, mine, socket = ({key: max(run[key] for run in runs[name]) for key in ("idn", "setting")}
                               for name in ("sim", "ours", "tcp"))
    for key, label in (("idn", IDN), ("setting", SETTING)):
        print(f"{key}: in-process {mine[key]:.4g}/s, pyvisa-sim {reference[key]:.4g}/s, TCP {socket[key]:.4g}/s "
              f"({label})")
        print(f"{key}_vs_pyvisa_sim: {mine[key] / reference[key]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
