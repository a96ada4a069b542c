"""Cost of one R–H loop point on the simulated pMTJ bench (field step, settling magnet, probe and SMU readings).

Sweeps ``--loops`` loops of ``--points`` fields per branch over ±0.1 T at 0.05 T/s on the default pmtj through the
virtual instruments (:func:`mtjhw.procedures.rh_loop.field_sweep`, as the ``rh-loop`` procedure does) and prints
``rh_point_ms: <ms per point>`` and ``switching_fields_mT: <mean down, mean up>``. ``--exact-laws`` disables the
stationary-escape shortcut of the DUT (a first-switch law from the full physics for every new field while the
magnet settles), which is how a point was computed before 2026-12-02.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.procedures.rh_loop import field_sweep
from mtjhw.simulators.bench import pmtj


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=101, help="field points per branch")
    parser.add_argument("--loops", type=int, default=3)
    parser.add_argument("--exact-laws", action="store_true", help="no stationary-escape shortcut")
    args = parser.parse_args()
    if args.exact_laws:
        pmtj.PerpendicularMTJ._stationary = lambda *_args: False
    config = BenchConfig.from_dict({"simulated": True, "seed": 3, "safety": {"max_voltage": 0.8, "max_field": 0.3},
                                    "dut": {"model": "pmtj", "h_offset": 0.0}})
    down = np.linspace(0.1, -0.1, args.points)
    fields = np.tile(np.concatenate([down, down[::-1]]), args.loops)
    with Bench.open(config) as bench:
        bench.smu.source_voltage_mode(1e-4, 0.2)
        bench.smu.set_level(0.01)
        bench.smu.output_on()
        bench.field.set_field(0.1)
        start = time.perf_counter()
        readings = np.array([(b, v / i) for _h, b, v, i in field_sweep(bench, fields, 0.05)])
        seconds = time.perf_counter() - start
    high = readings[:, 1] > np.sqrt(readings[:, 1].min() * readings[:, 1].max())
    flips = np.flatnonzero(np.diff(high.astype(int)))
    to_ap = [readings[k + 1, 0] for k in flips if high[k + 1]]
    to_p = [readings[k + 1, 0] for k in flips if not high[k + 1]]
    print(f"rh_point_ms: {1e3 * seconds / fields.size:.2f}")
    print(f"switching_fields_mT: {1e3 * np.mean(to_ap):.2f}, {1e3 * np.mean(to_p):.2f} ({len(flips)} switches)")


if __name__ == "__main__":
    main()
