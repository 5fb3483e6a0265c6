"""P7: the first ``%hydro deploy --ray`` in a notebook, with and without the warm start, in real
kernels driven as JupyterLab drives them (``jupyter_client``, execute requests with cell ids, as
tests/notebook/test_kernel_deployments.py does).

Each run is a fresh kernel with no Ray running (the benchmark run's own Ray session is shut down
first, and every Ray daemon of the previous kernel is waited for). In the kernel: ``%load_ext
hydro_lab``, a ``%%hydro`` cell building a small flow (a process printing ``source_iter([1, 2,
3])`` times ten), then, 10 s after ``%load_ext`` returned (a student writing cells),
``%hydro deploy --ray``. Timed from sending that request to the progress output's update that
shows "✓ first tick" (the first tick ran):

* ``warm``: the kernel started with ``--HydroMagics.backend=ray`` (as an IPython config file
  would say it), so ``%load_ext`` starts Ray in the background;
* ``cold``: the local backend (no preload): the deploy starts Ray itself.

``python -m benchmarks.p7_warm_start [--runs N] [--wait S]`` runs it alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Outcome
from benchmarks.p6_startup import _ray_pids, _wait_ray_gone
from benchmarks.ray_harness import SECONDS, Target, report_values, stop_ray_session

NAME = "p7"
ROOT = Path(__file__).resolve().parents[1]
WARM_GOAL_S = 2.0
COLD_GOAL_S = 5.0
WAIT_S = 10.0
TIMEOUT_S = 120

FLOW = """%%hydro
p = flow.process("p")
p.source_iter([1, 2, 3]).map(lambda x: x * 10).for_each(print)
"""
NOTES = {
    "cold": "local backend, no preload: the deploy starts Ray",
    "warm": "backend ray: %load_ext started Ray in the background",
}


class _Kernel:
    """A kernel and its client; ``execute`` sends a request with a cell id and returns its
    messages and when each arrived (``time.monotonic()``)."""

    def __init__(self, arguments: list[str]):
        from jupyter_client.manager import start_new_kernel

        env = {**os.environ, "JPY_SESSION_NAME": str(ROOT / "p7.ipynb")}
        self.km, self.kc = start_new_kernel(kernel_name="python3", cwd=str(ROOT),
                                            startup_timeout=TIMEOUT_S, env=env,
                                            extra_arguments=arguments)

    def send(self, code: str, cell_id: str) -> str:
        msg = self.kc.session.msg("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        msg["metadata"]["cellId"] = cell_id
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def execute(self, code: str, cell_id: str) -> list[tuple[float, dict]]:
        msg_id = self.send(code, cell_id)
        seen = []
        while True:
            m = self.kc.get_iopub_msg(timeout=TIMEOUT_S)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            seen.append((time.monotonic(), m))
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                break
        while True:
            reply = self.kc.get_shell_msg(timeout=TIMEOUT_S)
            if reply["parent_header"].get("msg_id") == msg_id:
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"{code!r} failed in the kernel: {reply['content']}")
                return seen

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)  # the kernel ends its Ray session (shell_exiting)


def _text(m: dict) -> str:
    c = m["content"]
    return c.get("text") or c.get("data", {}).get("text/plain", "")


def one_run(warm: bool, wait: float) -> dict[str, float]:
    """One fresh kernel: seconds from sending ``%hydro deploy --ray`` to "✓ first tick", and to
    the cell's end; how long ``%load_ext`` took."""
    kernel = _Kernel(["--HydroMagics.backend=ray"] if warm else [])
    try:
        t0 = time.monotonic()
        kernel.execute("%load_ext hydro_lab", "load")
        loaded = time.monotonic()
        kernel.execute(FLOW, "flow")
        time.sleep(max(0.0, loaded + wait - time.monotonic()))
        sent = time.monotonic()
        seen = kernel.execute("%hydro deploy --ray", "deploy")
        ticked = [t for t, m in seen if "✓ first tick" in _text(m)]
        if not ticked:
            shown = "\n".join(_text(m) for _t, m in seen)
            raise RuntimeError(f"no '✓ first tick' in the deploy cell's output:\n{shown[-2000:]}")
        chatter = [_text(m) for _t, m in seen if "Token authentication" in _text(m)]
        if chatter:
            raise RuntimeError(f"Ray's notice reached the deploy cell: {chatter[0][:200]}")
        return {"first_tick_s": ticked[0] - sent, "cell_s": seen[-1][0] - sent,
                "load_ext_s": loaded - t0}
    finally:
        kernel.close()


def run(quick: bool, runs: int, show_source: bool = False, wait: float = WAIT_S) -> dict[str, Any]:
    stop_ray_session()
    keep = _ray_pids()
    _wait_ray_gone(keep)
    keep = _ray_pids()  # Ray sessions not ours (another program's) are left alone
    series = {n: Outcome(n, NOTES[n]) for n in ("cold", "warm")}
    extra: dict[str, dict[str, list[float]]] = {n: {"cell_s": [], "load_ext_s": []}
                                                for n in series}
    load = []
    for _ in range(runs):
        for name in ("cold", "warm"):  # interleaved
            _wait_ray_gone(keep)
            load.append(os.getloadavg()[0])
            r = one_run(name == "warm", wait)
            series[name].values.append(r["first_tick_s"])
            for k in extra[name]:
                extra[name][k].append(r[k])
    _wait_ray_gone(keep)
    lines = [f"each run a fresh kernel; %hydro deploy --ray sent {wait:g} s after %load_ext "
             "returned; timed to the progress line '✓ first tick'"]
    for name in series:
        cell, loaded = (statistics.median(extra[name][k]) for k in ("cell_s", "load_ext_s"))
        lines.append(f"{name}: whole deploy cell median {cell:.2f} s; %load_ext {loaded:.3f} s")
    lines.append(f"1-minute load average when the runs began: median {statistics.median(load):.2f} "
                 f"({min(load):.2f}..{max(load):.2f}) on {os.cpu_count()} CPUs")
    record = report_values(NAME, "first %hydro deploy --ray in a notebook, warm start or cold",
                           list(series.values()), "cold", SECONDS, runs,
                           [Target("warm", "<=", WARM_GOAL_S, label="after %load_ext and 10 s"),
                            Target("cold", "<=", COLD_GOAL_S, label="no preload")],
                           lines, warmup=0)
    record.update(extras=extra, load_average=load, wait_s=wait)
    return record


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.p7_warm_start")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--wait", type=float, default=WAIT_S,
                    help="seconds between %%load_ext and the deploy (default 10)")
    args = ap.parse_args(argv)
    run(False, args.runs, wait=args.wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
