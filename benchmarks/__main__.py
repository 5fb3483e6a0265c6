"""``python -m benchmarks [--quick] [--only p1,p2] [--runs N] [--json PATH] [--show-source]``:
run the benchmarks, print one table per benchmark and write the results as JSON.

P1, P2, P8 (the simulator) and P9 (the graph; its browser part drives JupyterLab in headless
Chromium) run first; P3..P5 and P10 (chapter 4's live metrics, local and on Ray) share one Ray
session; P6 shuts it down and measures start-up in fresh child processes, P7 the first
``%hydro deploy --ray`` in fresh kernels (warm start or cold), so selected benchmarks always run
in the order P1, P2, P8, P9, P3..P5, P10, P6, P7.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import sys
import time
from pathlib import Path

from benchmarks import (
    p1_pipeline,
    p2_keyed_join,
    p3_channel,
    p4_echo,
    p5_estimate_pi,
    p6_startup,
    p7_warm_start,
    p8_sim,
    p9_graph,
    p10_live_metrics,
)

# in running order: the in-process ones first, then P3..P5 and P10 in one Ray session, then P6
# and P7 (fresh processes and kernels, after that session is shut down)
BENCHMARKS = {m.NAME: m for m in (p1_pipeline, p2_keyed_join, p8_sim, p9_graph, p3_channel,
                                  p4_echo, p5_estimate_pi, p10_live_metrics, p6_startup,
                                  p7_warm_start)}
RESULTS = Path(__file__).resolve().parent / "results"


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true",
                    help="small inputs (100,000 elements), shorter Ray windows and 3 runs: a "
                         "smoke test, not a result")
    ap.add_argument("--only", action="append", default=[], metavar="NAMES",
                    help=f"run only these benchmarks (comma separated, of {sorted(BENCHMARKS)})")
    ap.add_argument("--runs", type=int, default=None,
                    help="runs per contender (default 5, or 3 with --quick)")
    ap.add_argument("--json", type=Path, default=None, metavar="PATH",
                    help="where to write the results (default benchmarks/results/latest.json, "
                         "or latest-quick.json with --quick)")
    ap.add_argument("--show-source", action="store_true",
                    help="print the generated hydro_lab code of each benchmark's flow")
    args = ap.parse_args(argv)
    names = [n.strip().lower() for group in args.only for n in group.split(",") if n.strip()]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; choose from {sorted(BENCHMARKS)}")
    args.only = [n for n in BENCHMARKS if n in names] if names else list(BENCHMARKS)
    if args.runs is None:
        args.runs = 3 if args.quick else 5
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.json is None:
        args.json = RESULTS / ("latest-quick.json" if args.quick else "latest.json")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    versions = {d: _version(d) for d in ("hydro-lab", "streamz", "bytewax", "ray", "numpy",
                                         "pyzmq")}
    print(f"hydro_lab benchmarks{' (--quick)' if args.quick else ''}: "
          f"Python {platform.python_version()} on {platform.platform()}, "
          f"{os.cpu_count()} CPUs; " + ", ".join(f"{d} {v or 'not installed'}"
                                                  for d, v in versions.items()))
    started = time.perf_counter()
    results = {}
    for name in args.only:
        t0 = time.perf_counter()
        results[name] = BENCHMARKS[name].run(args.quick, args.runs, args.show_source)
        results[name]["elapsed_s"] = time.perf_counter() - t0
        print(f"  ({name.upper()} took {results[name]['elapsed_s']:.1f} s)")
    elapsed = time.perf_counter() - started
    doc = {
        "generated": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks", *sys.argv[1:]]),
        "quick": args.quick,
        "runs": args.runs,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": versions,
        "elapsed_s": elapsed,
        "benchmarks": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=2, default=repr) + "\n")
    print(f"\nwrote {args.json} ({elapsed:.1f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
