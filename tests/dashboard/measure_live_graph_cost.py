"""What a live graph costs a running deployment (a measurement, not a test; pytest does not
collect it): samples/s of a local estimate_pi deployment (2 workers, 1024 darts a tick) with its
live graph updating vs without, alternating runs, medians. Samples per wall second, and per CPU
second of the process (all its threads: the deployment's, the pump's, the kernel's), which a
busy neighbour on a shared machine disturbs less.

    .venv/bin/python -m tests.dashboard.measure_live_graph_cost [--runs 5] [--seconds 3]

``kernel`` mode runs each measurement as a cell in a real ipykernel (the graph displayed, its
updates sent on the comm to this client), ``process`` mode in this process with a comm that
serializes each update to JSON. The goal (issue 10): live refresh at >= 2 Hz costs <= 5 %.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from hydro_lab import FlowBuilder, nondet
from hydro_lab.dashboard.live_channel import LiveChannel
from hydro_lab.examples.estimate_pi import estimate_pi

WARMUP_S = 0.5

CELL = """
import time
from hydro_lab import FlowBuilder, nondet
from hydro_lab.examples.estimate_pi import estimate_pi
flow = FlowBuilder("pi")
leader, workers = flow.process("leader"), flow.cluster("workers")
seen = []
total = estimate_pi(leader, workers, batch_size=1024)
total.sample_every(0.1, nondet("probe")).for_each(
    lambda t: seen.append((time.monotonic(), time.process_time(), t[1])))
d = flow.deploy("local", cluster_sizes={{workers: 2}})
if {live}:
    display(d.graph())
d.start()
time.sleep({warmup} + {seconds})
d.stop()
t0 = seen[0][0] + {warmup}
w = [s for s in seen if s[0] >= t0]
print((w[-1][2] - w[0][2]) / (w[-1][0] - w[0][0]), (w[-1][2] - w[0][2]) / (w[-1][1] - w[0][1]))
"""


class JsonComm:
    def __init__(self, **_):
        self.sent = 0

    def send(self, data):
        json.dumps(data)
        self.sent += 1

    def on_msg(self, callback):
        pass

    def on_close(self, callback):
        pass


Result = tuple[float, float, int]  # samples per wall second, per CPU second; updates sent


def in_process(live: bool, seconds: float) -> Result:
    flow = FlowBuilder("pi")
    leader, workers = flow.process("leader"), flow.cluster("workers")
    seen: list[tuple[float, float, int]] = []
    total = estimate_pi(leader, workers, batch_size=1024)
    total.sample_every(0.1, nondet("probe")).for_each(
        lambda t: seen.append((time.monotonic(), time.process_time(), t[1])))
    d = flow.deploy("local", cluster_sizes={workers: 2})
    comms: list[JsonComm] = []
    if live:
        channel = LiveChannel(create_comm=lambda **kw: comms.append(JsonComm()) or comms[-1])
        d.graph(channel=channel)._repr_mimebundle_()
    d.start()
    time.sleep(WARMUP_S + seconds)
    d.stop()
    t0 = seen[0][0] + WARMUP_S
    w = [s for s in seen if s[0] >= t0]
    samples = w[-1][2] - w[0][2]
    return (samples / (w[-1][0] - w[0][0]), samples / (w[-1][1] - w[0][1]),
            comms[0].sent if comms else 0)


def in_kernel(runs: int, seconds: float) -> dict[bool, list[Result]]:
    from jupyter_client.manager import start_new_kernel

    # as JupyterLab starts a notebook's kernel: the live graph sends only to such a front end
    env = {**os.environ, "JPY_SESSION_NAME": "measure_live_graph_cost.ipynb"}
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    out: dict[bool, list[Result]] = {True: [], False: []}
    try:
        for _ in range(runs):
            for live in (False, True):
                code = CELL.format(live=live, warmup=WARMUP_S, seconds=seconds)
                msg_id = kc.execute(code)
                text, updates = "", 0
                while True:
                    m = kc.get_iopub_msg(timeout=120)
                    if m["msg_type"] == "comm_msg":
                        updates += 1
                    if m["parent_header"].get("msg_id") != msg_id:
                        continue
                    if m["msg_type"] == "stream":
                        text += m["content"]["text"]
                    if m["msg_type"] == "error":
                        raise RuntimeError("\n".join(m["content"]["traceback"]))
                    if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                        break
                wall, cpu = map(float, text.strip().splitlines()[-1].split())
                out[live].append((wall, cpu, updates))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return out


def report(name: str, results: dict[bool, list[Result]], seconds: float) -> None:
    hz = statistics.median(r[2] for r in results[True]) / (WARMUP_S + seconds)
    print(f"{name} ({len(results[False])} runs each, medians; {hz:.1f} updates/s):")
    for i, per in ((0, "wall"), (1, "CPU")):
        off = statistics.median(r[i] for r in results[False])
        on = statistics.median(r[i] for r in results[True])
        print(f"  samples per {per} second: without the live graph {off:,.0f}, with it "
              f"{on:,.0f}: cost {100 * (off - on) / off:+.1f} %")
        print(f"    without: {[round(r[i] / 1e3) for r in results[False]]} thousand")
        print(f"    with:    {[round(r[i] / 1e3) for r in results[True]]} thousand")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--mode", choices=("process", "kernel", "both"), default="both")
    args = parser.parse_args()
    if args.mode in ("process", "both"):
        results: dict[bool, list[Result]] = {True: [], False: []}
        for _ in range(args.runs):
            for live in (False, True):
                results[live].append(in_process(live, args.seconds))
        report("in process", results, args.seconds)
    if args.mode in ("kernel", "both"):
        report("in a kernel", in_kernel(args.runs, args.seconds), args.seconds)


if __name__ == "__main__":
    main()
