"""P6: start-up on Ray, measured from fresh Python processes: a process and a 2-member cluster
(the seed example: a leader and 2 workers) from ``python`` starting to the first tick of every
instance, and the same deployment again once Ray is up.

Each run is one child process (``sys.executable -c CHILD``) with no Ray running: the Ray session of
the benchmark run (P3..P5) is shut down first, and before each child starts every Ray process the
previous one left is waited for. The child times, on the machine's monotonic clock (shared with
this process, which notes when it spawned the child):

* ``fresh_total``: spawn -> imports -> ``ensure_ray()`` (``ray.init``) -> ``flow.deploy("ray")``
  -> ``d.step(1)`` returned (every instance has run its first tick);
* ``python_imports``: spawn -> ``import hydro_lab`` and ``ray`` done;
* ``ray_init``: ``ensure_ray()`` alone;
* ``fresh_deploy``: ``flow.deploy(...)`` -> first tick, the first deployment in the session;
* ``warm_deploy``: the same for a second deployment, Ray already up (new actors, new workers).

``python -m benchmarks.p6_startup --shim-compare [--runs N]`` measures what the start-up shim
(``hydro_lab/deploy/ray/shims``) buys: plain ``ray.init()`` plus 3 actors answering a call, in
fresh processes with and without the shims directory on PYTHONPATH (docs/ray.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Outcome
from benchmarks.ray_harness import SECONDS, Target, report_values, stop_ray_session

NAME = "p6"
ROOT = Path(__file__).resolve().parents[1]
SHIMS = str(ROOT / "hydro_lab" / "deploy" / "ray" / "shims")
GOAL_S = 5.0
CHILD_TIMEOUT_S = 180
MARK = "P6RESULT "

CHILD = r"""
import time
t_start = time.monotonic()
import json
from hydro_lab import FlowBuilder
from hydro_lab.examples.estimate_pi import estimate_pi
from hydro_lab.deploy.ray import ensure_ray
import ray
t_import = time.monotonic()
ensure_ray()
t_init = time.monotonic()


def deploy_first_tick():
    flow = FlowBuilder("p6_startup")
    leader, workers = flow.process("leader"), flow.cluster("workers")
    estimate_pi(leader, workers)
    t0 = time.monotonic()
    d = flow.deploy("ray", cluster_sizes={workers: 2})
    t1 = time.monotonic()
    d.step(1)
    t2 = time.monotonic()
    d.stop()
    return t0, t1, t2


f0, f1, f2 = deploy_first_tick()
w0, w1, w2 = deploy_first_tick()
print("P6RESULT " + json.dumps({
    "start": t_start, "imported": t_import, "ray_init_s": t_init - t_import,
    "first_tick": f2, "fresh_deploy_s": f2 - f0, "fresh_deploy_call_s": f1 - f0,
    "warm_deploy_s": w2 - w0, "warm_deploy_call_s": w1 - w0}), flush=True)
ray.shutdown()
"""

PLAIN_CHILD = r"""
import time
t_start = time.monotonic()
import json, os, sys
import ray
t_import = time.monotonic()
ray.init(include_dashboard=False, namespace="p6_shim_compare")
t_init = time.monotonic()


@ray.remote(num_cpus=0)
class Ping:
    def ping(self):
        return os.getpid()


actors = [Ping.remote() for _ in range(3)]
ray.get([a.ping.remote() for a in actors])
t_actors = time.monotonic()
print("P6RESULT " + json.dumps({
    "start": t_start, "import_s": t_import - t_start, "ray_init_s": t_init - t_import,
    "actors_s": t_actors - t_init, "end": t_actors,
    "shim": "ray/shims" in (getattr(sys.modules.get("rfc3987_syntax"), "__file__", "") or "")}),
    flush=True)
ray.shutdown()
"""


def _ray_pids() -> set[int]:
    """Running Ray daemons (GCS and raylets) on this machine."""
    try:
        import psutil
    except Exception:
        return set()
    pids = set()
    for p in psutil.process_iter(["name"]):
        if p.info["name"] in ("raylet", "gcs_server"):
            pids.add(p.pid)
    return pids


def _wait_ray_gone(keep: set[int], timeout: float = 30.0) -> None:
    """Wait until no Ray daemons other than ``keep`` (ones that were there before) run."""
    deadline = time.monotonic() + timeout
    while _ray_pids() - keep and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # workers exit just after their raylet


def _child_env(with_shims: bool) -> dict[str, str]:
    env = dict(os.environ)
    # this process's ensure_ray() put the shims (and more) on PYTHONPATH: a fresh process of a
    # user's would not have them, so drop them again; the child's ensure_ray() adds its own
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
             if p and os.path.abspath(p) != SHIMS]
    if with_shims:
        paths.insert(0, SHIMS)
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        env.pop("PYTHONPATH", None)
    env.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    return env


def run_child(code: str, env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Spawn a fresh Python on ``code``; return its spawn time and the result it printed."""
    t_spawn = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=CHILD_TIMEOUT_S)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"the start-up child failed (exit {proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return t_spawn, json.loads(lines[-1][len(MARK):])


NAMES = ("fresh_total", "python_imports", "ray_init", "fresh_deploy", "warm_deploy")
NOTES = {
    "fresh_total": "python spawned -> imports -> ensure_ray() -> deploy -> first tick (step(1))",
    "python_imports": "python spawned -> hydro_lab and ray imported",
    "ray_init": "ensure_ray() alone (ray.init with the project's settings and shim)",
    "fresh_deploy": "flow.deploy('ray', 1 process + 2 members) -> step(1) returned, first time",
    "warm_deploy": "the same again in that process, Ray already up",
}


def run(quick: bool, runs: int, show_source: bool = False) -> dict[str, Any]:
    stop_ray_session()
    keep = _ray_pids()
    _wait_ray_gone(keep)
    keep = _ray_pids()  # Ray sessions not ours (another program's) are left alone
    series = {n: Outcome(n, NOTES[n]) for n in NAMES}
    calls: dict[str, list[float]] = {"fresh_deploy_call_s": [], "warm_deploy_call_s": []}
    env = _child_env(with_shims=False)
    for _ in range(runs):
        _wait_ray_gone(keep)
        t_spawn, r = run_child(CHILD, env)
        series["fresh_total"].values.append(r["first_tick"] - t_spawn)
        series["python_imports"].values.append(r["imported"] - t_spawn)
        series["ray_init"].values.append(r["ray_init_s"])
        series["fresh_deploy"].values.append(r["fresh_deploy_s"])
        series["warm_deploy"].values.append(r["warm_deploy_s"])
        for k in calls:
            calls[k].append(r[k])
    _wait_ray_gone(keep)
    lines = [f"each run is a fresh `{Path(sys.executable).name} -c ...` with no Ray running; "
             "ratio = share of fresh_total",
             "flow.deploy(...) itself (actors created and wired, before the first tick): median "
             f"{statistics.median(calls['fresh_deploy_call_s']):.2f} s the first time, "
             f"{statistics.median(calls['warm_deploy_call_s']):.2f} s with Ray up"]
    record = report_values(NAME, "start-up on Ray: a leader process and 2 workers, from fresh "
                           "Python processes", list(series.values()), "fresh_total", SECONDS,
                           runs, [Target("fresh_total", "<=", GOAL_S, label="fresh process"),
                                  Target("warm_deploy", "<=", GOAL_S, label="Ray already up")],
                           lines, warmup=0)
    record.update({k: v for k, v in calls.items()})
    return record


def shim_compare(runs: int) -> dict[str, Any]:
    """Plain ``ray.init()`` + 3 actors in fresh processes, with and without the shim."""
    stop_ray_session()
    keep = _ray_pids()
    results: dict[str, list[dict]] = {"with_shim": [], "without_shim": []}
    for _ in range(runs):
        for label in results:
            _wait_ray_gone(keep)
            t_spawn, r = run_child(PLAIN_CHILD, _child_env(with_shims=label == "with_shim"))
            r["total_s"] = r["end"] - t_spawn
            results[label].append(r)
    _wait_ray_gone(keep)
    print(f"plain `import ray; ray.init(); 3 actors answer a call`, fresh processes, {runs} runs "
          "each (median, min..max):")
    summary: dict[str, Any] = {}
    for label, rs in results.items():
        summary[label] = {}
        parts = []
        for key in ("import_s", "ray_init_s", "actors_s", "total_s"):
            vals = [r[key] for r in rs]
            summary[label][key] = {"median": statistics.median(vals), "values": vals}
            parts.append(f"{key[:-2]} {statistics.median(vals):.2f} s "
                         f"({min(vals):.2f}..{max(vals):.2f})")
        shim = "the shim" if rs[-1]["shim"] else "the real package"
        print(f"  {label:<13} " + ", ".join(parts) + f"; rfc3987_syntax in the driver: {shim}")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.p6_startup")
    ap.add_argument("--shim-compare", action="store_true",
                    help="plain ray.init + 3 actors with and without the start-up shim")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    if args.shim_compare:
        shim_compare(args.runs)
    else:
        run(False, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
