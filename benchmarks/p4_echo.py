"""P4: echo round trip from the driver through a process on Ray and back: the example
``echo_capitalize`` deployed with ``d.start()`` (the process ticks freely; the client sends a
string and waits for its capitalized echo), against a plain Ray actor call
``ray.get(actor.echo.remote(s))``.

Each run is a fresh deployment (or actor): an untimed warm-up of ``WARMUP_ITERS`` round trips,
then ``ITERS`` timed ones, one at a time; a run reports the median round trip (its p99 is kept
beside it). The table shows the median over runs of those medians.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from benchmarks.ray_harness import (
    LATENCY,
    SECONDS,
    Measured,
    RecordValue,
    Target,
    kill_actors,
    measure_values,
    ray_session,
    report_values,
)
from hydro_lab import FlowBuilder
from hydro_lab.examples.echo import echo_capitalize

NAME = "p4"
ITERS = 1000
QUICK_ITERS = 300
WARMUP_ITERS = 100
GOAL_MEDIAN_S = 0.001
MESSAGE = "hello, hydro"


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def build_hydro():
    flow = FlowBuilder("p4_echo")
    server, client = flow.process("server"), flow.external("client")
    in_port, out_port = echo_capitalize(server, client)
    return flow, in_port, out_port


def _round_trips(one: Any, iters: int, record: RecordValue) -> float:
    for _ in range(WARMUP_ITERS):
        one()
    latencies = []
    clock = time.perf_counter
    for _ in range(iters):
        t0 = clock()
        one()
        latencies.append(clock() - t0)
    record("p99", p99(latencies))
    record("mean", statistics.fmean(latencies))
    return statistics.median(latencies)


def _hydro(iters: int) -> Measured:
    expected = MESSAGE.upper()

    def run(record: RecordValue) -> float:
        flow, in_port, out_port = build_hydro()
        t0 = time.perf_counter()
        d = flow.deploy("ray")
        record("deploy_s", time.perf_counter() - t0)
        try:
            d.start()
            requests, replies = d.connect(in_port), d.connect(out_port)

            def one() -> None:
                requests.send(MESSAGE)
                reply = replies.recv(timeout=10)
                assert reply == expected, f"echo answered {reply!r}, not {expected!r}"

            return _round_trips(one, iters, record)
        finally:
            d.stop()

    return Measured("hydro_lab", run, "echo_capitalize on a process, d.start(); client "
                    "send() then recv()")


class Echo:
    def echo(self, s: str) -> str:
        return s.upper()


def _ray_call(iters: int, ray: Any) -> Measured:
    echo_cls = ray.remote(num_cpus=0)(Echo)
    expected = MESSAGE.upper()

    def run(record: RecordValue) -> float:
        actor = echo_cls.remote()
        try:
            def one() -> None:
                reply = ray.get(actor.echo.remote(MESSAGE))
                assert reply == expected

            return _round_trips(one, iters, record)
        finally:
            kill_actors(ray, [actor])

    return Measured("ray_call", run, "ray.get(actor.echo.remote(s)) on a plain Ray actor")


def run(quick: bool, runs: int, show_source: bool = False) -> dict[str, Any]:
    iters = QUICK_ITERS if quick else ITERS
    ray, skip = ray_session()
    if show_source:
        print(build_hydro()[0].compile().source("server"))
    if ray is None:
        contenders = [Measured("ray_call", None, skip=skip), Measured("hydro_lab", None, skip=skip)]
    else:
        contenders = [_ray_call(iters, ray), _hydro(iters)]
    series = measure_values(contenders, runs)
    title = (f"echo round trip driver -> process -> driver on Ray, {iters:,} round trips per run "
             f"after {WARMUP_ITERS} untimed")
    record = report_values(NAME, title, series, "ray_call", LATENCY, runs,
                           [Target("hydro_lab", "<=", GOAL_MEDIAN_S)], [],
                           extra_units={"p99": LATENCY, "deploy_s": SECONDS})
    record.update(iters=iters, warmup_iters=WARMUP_ITERS)
    return record
