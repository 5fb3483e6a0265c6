"""``python -m benchmarks [--quick] [--only p1,p2] [--runs N] [--json PATH] [--show-source]``:
run the benchmarks, print one table per benchmark and write the results as JSON.
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

from benchmarks import p1_pipeline, p2_keyed_join

BENCHMARKS = {m.NAME: m for m in (p1_pipeline, p2_keyed_join)}
RESULTS = Path(__file__).resolve().parent / "results"


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true",
                    help="small inputs (100,000 elements) and 3 runs: a smoke test, not a result")
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
    args.only = names or list(BENCHMARKS)
    if args.runs is None:
        args.runs = 3 if args.quick else 5
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.json is None:
        args.json = RESULTS / ("latest-quick.json" if args.quick else "latest.json")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    versions = {d: _version(d) for d in ("hydro-lab", "streamz", "bytewax")}
    print(f"hydro_lab benchmarks{' (--quick)' if args.quick else ''}: "
          f"Python {platform.python_version()} on {platform.platform()}, "
          f"{os.cpu_count()} CPUs; " + ", ".join(f"{d} {v or 'not installed'}"
                                                  for d, v in versions.items()))
    started = time.perf_counter()
    results = {}
    for name in args.only:
        results[name] = BENCHMARKS[name].run(args.quick, args.runs, args.show_source)
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
