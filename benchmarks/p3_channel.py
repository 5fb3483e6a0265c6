"""P3: channel throughput between two processes on Ray, ``a -> b``: a hydro_lab channel (batches
of B small ints per tick, ZeroMQ between the actors) against a plain Ray actor calling
``b.recv.remote(x)`` once per message and once per batch of B.

Every contender runs freely for a fixed window after a short warm-up and reports the elements
received per second **at b**: hydro_lab from b's per-tick metrics (the slope of b's cumulative
received count between tick ends inside the window), the Ray programs as messages received
until the last one was processed (the sender waits for the receiver to drain at the end).
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.ray_harness import (
    PER_SECOND,
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

NAME = "p3"
BATCH = 10_000           # elements per tick / per batched call
WINDOW_S = 1.5           # measured window (--quick: QUICK_WINDOW_S)
QUICK_WINDOW_S = 1.0
WARMUP_S = 0.5           # run before the window opens
GOAL_MSGS_PER_S = 2_000_000


def build_hydro(batch: int = BATCH) -> FlowBuilder:
    """``a`` produces ``batch`` ints per tick (a self-driving tick loop) and sends them to ``b``,
    which counts what arrives."""
    flow = FlowBuilder("p3_channel")
    a, b = flow.process("a"), flow.process("b")
    received = a.tick().spin_batch(batch).map(lambda _: 1).all_ticks().send(b)
    received.count()
    return flow


def received_rate(metrics, t0: float, t1: float) -> tuple[float, int]:
    """Elements per second received at ``b`` inside ``[t0, t1]``: the slope of b's cumulative
    count of received elements between the ends of the first and last ticks that ended in the
    window (tick start + duration; the clock is the machine's monotonic clock, shared by the
    actors' processes and the driver). Returns the rate and how many of b's ticks were used."""
    m = metrics[metrics["location"] == "b"]
    recv = m[(m["metric"] == "elements_out") & m["key"].str.startswith("recv ")]
    recv = recv.groupby("tick")["value"].sum()
    durations = m[m["metric"] == "tick_duration_s"].set_index("tick")["value"]
    starts = m[m["metric"] == "tick_duration_s"].set_index("tick")["time"]
    ends = (starts + durations).sort_index()
    cum = recv.reindex(ends.index, fill_value=0).cumsum()
    inside = ends[(ends >= t0) & (ends <= t1)]
    if len(inside) < 2:
        raise RuntimeError(f"only {len(inside)} of b's ticks ended inside the window")
    first, last = inside.index[0], inside.index[-1]
    rate = (cum[last] - cum[first]) / (ends[last] - ends[first])
    return float(rate), len(inside)


def sent_rate(metrics, t0: float, t1: float) -> float:
    """Elements per second ``a`` sent in the ticks that started inside ``[t0, t1]``."""
    m = metrics[(metrics["location"] == "a") & (metrics["metric"] == "messages_out")]
    return float(m[(m["time"] >= t0) & (m["time"] <= t1)]["value"].sum() / (t1 - t0))


def _hydro(window: float) -> Measured:
    def run(record: RecordValue) -> float:
        flow = build_hydro()
        t0 = time.perf_counter()
        d = flow.deploy("ray")
        record("deploy_s", time.perf_counter() - t0)
        try:
            d.start()
            time.sleep(WARMUP_S)
            w0 = time.monotonic()
            time.sleep(window)
            w1 = time.monotonic()
            d.pause()            # actors flush their metrics rows to the driver
            time.sleep(0.3)
            metrics = d.metrics()
        finally:
            d.stop()
        rate, ticks = received_rate(metrics, w0, w1)
        record("b_ticks_in_window", ticks)
        record("a_sent_per_s", sent_rate(metrics, w0, w1))
        return rate

    return Measured("hydro_lab", run,
                    f"a.tick().spin_batch({BATCH:,}).map(->1).all_ticks().send(b); b: count();"
                    " ZeroMQ")


class Sink:
    """The receiving Ray actor: counts elements, one Python step per element as b's count()
    does."""

    def __init__(self) -> None:
        self.n = 0

    def recv(self, x: Any) -> None:
        self.n += 1

    def recv_batch(self, xs: list) -> None:
        n = self.n
        for _ in xs:
            n += 1
        self.n = n

    def count(self) -> int:
        return self.n


class Source:
    """The sending Ray actor: fire-and-forget calls for ``seconds``, then waits until the sink
    has processed everything (calls from one caller run in order), and reports
    ``(sent, received, elapsed)``."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink

    def per_message(self, seconds: float) -> tuple[int, int, float]:
        import ray

        recv = self.sink.recv
        for i in range(200):              # warm-up: connections, the first calls
            recv.remote(i)
        ray.get(self.sink.count.remote())
        start = ray.get(self.sink.count.remote())
        t0 = time.perf_counter()
        end = t0 + seconds
        sent = 0
        while time.perf_counter() < end:
            for i in range(100):
                recv.remote(i)
            sent += 100
        received = ray.get(self.sink.count.remote()) - start
        return sent, received, time.perf_counter() - t0

    def batched(self, seconds: float, batch: int) -> tuple[int, int, float]:
        import ray

        recv = self.sink.recv_batch
        for _ in range(5):
            recv.remote([1 for _ in range(batch)])
        start = ray.get(self.sink.count.remote())
        t0 = time.perf_counter()
        end = t0 + seconds
        sent = 0
        while time.perf_counter() < end:
            recv.remote([1 for _ in range(batch)])  # built element by element, as a's tick does
            sent += batch
        received = ray.get(self.sink.count.remote()) - start
        return sent, received, time.perf_counter() - t0


def _ray_calls(name: str, window: float, batched: bool, ray: Any, skip: str | None) -> Measured:
    note = (f"Ray actor a calls b.recv_batch.remote(list of {BATCH:,}) per batch" if batched
            else "Ray actor a calls b.recv.remote(x) per message")
    if ray is None:
        return Measured(name, None, note, skip=skip)
    sink_cls = ray.remote(num_cpus=0)(Sink)
    source_cls = ray.remote(num_cpus=0)(Source)

    def run(record: RecordValue) -> float:
        sink = sink_cls.remote()
        source = source_cls.remote(sink)
        try:
            call = (source.batched.remote(window, BATCH) if batched
                    else source.per_message.remote(window))
            sent, received, elapsed = ray.get(call)
        finally:
            kill_actors(ray, [source, sink])
        assert received == sent, f"{name}: sent {sent}, but b received {received}"
        return received / elapsed

    return Measured(name, run, note)


def run(quick: bool, runs: int, show_source: bool = False) -> dict[str, Any]:
    window = QUICK_WINDOW_S if quick else WINDOW_S
    ray, skip = ray_session()
    if show_source:
        compiled = build_hydro().compile()
        print(compiled.source("a"))
        print(compiled.source("b"))
    contenders = [
        _ray_calls("ray_per_message", window, False, ray, skip),
        _hydro(window) if ray is not None else Measured("hydro_lab", None, skip=skip),
        _ray_calls("ray_batched", window, True, ray, skip),
    ]
    series = measure_values(contenders, runs, warmup=0)  # every run warms up on its own
    title = (f"channel throughput a -> b on Ray, elements received per second at b "
             f"({window:g} s window after {WARMUP_S:g} s)")
    lines = ["hydro_lab and ray_batched move the same batches (lists of "
             f"{BATCH:,} ints, each built and counted one element at a time); ray_per_message "
             "sends one int per call"]
    by_name = {s.name: s for s in series}
    hydro, batched = by_name["hydro_lab"], by_name["ray_batched"]
    if hydro.median and batched.median:
        lines.append(f"hydro_lab / ray_batched = {hydro.median / batched.median:.2f}")
    record = report_values(NAME, title, series, "ray_per_message", PER_SECOND, runs,
                           [Target("hydro_lab", ">=", GOAL_MSGS_PER_S)],
                           lines, extra_units={"deploy_s": SECONDS, "a_sent_per_s": PER_SECOND},
                           warmup=0)
    record.update(batch=BATCH, window_s=window, warmup_s=WARMUP_S)
    return record
