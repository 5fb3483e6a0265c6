"""P10: chapter 4's live-metrics flow (``notebooks/workshop/04_live_metrics.ipynb``) on 2 servers,
with its live plot and the dashboard updating: how many events a second it takes from its
sources.

Each server reads its own endless, seeded web-server log (``hydro_lab.workshop.weblog.web_log``)
through ``source_stream``, batches a tick's requests, folds them per endpoint into ``(requests,
errors, total latency)`` and sends the per-tick counts to a collector, which adds them up per
endpoint and in all. The value of a run is the growth of the collector's running total (a
watch, stamped with the collector's clock) over the window after a warm-up: events taken from
the sources, counted, per second.

Contenders (values: events per second, higher is better):

* ``hand_loop`` (baseline): the same work by hand on one thread: two logs read alternately,
  10,000 requests at a time (a tick's buffer), a dict per endpoint per batch, added into totals;
* ``local_closed``: the flow on the local backend, no view open (for reference);
* ``local_live``: the same with the live plot open as in the notebook (the per-tick requests of
  every endpoint and server: one bokeh line per key, ``keys=10``) and the deployment's
  dashboard, both updated by the pump;
* ``ray_live``: ``local_live`` on Ray, the collector and each server an actor (skipped without
  Ray).

Under the table: how often the live plot was updated (bokeh ``stream`` events a second, and the
pump's refreshes a second) and the load average (``os.getloadavg``) when the runs started and
ended. **Goal: ``local_live`` and ``ray_live`` >= 50,000 events/s, with the plot updated at least
twice a second.**
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from typing import Any

from benchmarks.ray_harness import (
    PER_SECOND,
    Measured,
    RecordValue,
    Target,
    Unit,
    measure_values,
    ray_session,
    report_values,
)

NAME = "p10"
SERVERS = 2
WARMUP_S = 1.0
WINDOW_S, QUICK_WINDOW_S = 3.0, 1.5
BATCH = 10_000  # source_stream's default buffer: what a tick takes at most
GOAL_EVENTS_S = 50_000
GOAL_PLOT_HZ = 2.0


def build_flow() -> tuple[Any, Any, Any, Any]:
    """Chapter 4's flow: ``(flow, servers, requests_per_tick watch, events watch)``."""
    from hydro_lab import FlowBuilder, nondet, self_id
    from hydro_lab.workshop.weblog import web_log

    def add_request(c, r):
        return (c[0] + 1, c[1] + (r[1] >= 500), c[2] + r[2])

    flow = FlowBuilder("live_metrics")
    collector, servers = flow.process("collector"), flow.cluster("servers")
    log = servers.source_stream(lambda: web_log(seed=self_id().get_raw_id()))
    tick = servers.tick()
    per_tick = (log.batch(tick, nondet("a tick takes what has arrived"))
                .map(lambda r: (r[0], r))
                .into_keyed()
                .fold(lambda: (0, 0, 0.0), add_request))
    requests_per_tick = per_tick.map(lambda c: c[0]).watch(name="requests per tick", keys=10)
    arrived = per_tick.entries().all_ticks().send(collector).values()
    arrived.into_keyed().reduce(lambda a, b: (a[0] + b[0], a[1] + b[1], a[2] + b[2]),
                                commutative="adding counts is commutative")
    events = arrived.map(lambda kv: kv[1][0]).reduce(lambda a, b: a + b,
                                                     commutative="adding counts is commutative")
    events_watch = events.watch(name="events taken", nondet=nondet("measured"), last=100_000)
    return flow, servers, requests_per_tick, events_watch


def rate_in_window(watch: Any, start: float, end: float) -> float:
    """Growth of the watched running total per second between the first and the last of its
    rows stamped inside ``[start, end]`` (the collector's clock)."""
    rows = [(r.time, r.value) for r in watch.history
            if isinstance(r.value, int) and start <= r.time <= end]
    if len(rows) < 2 or rows[-1][0] <= rows[0][0]:
        raise AssertionError(f"the collector's total has {len(rows)} rows in the window")
    return (rows[-1][1] - rows[0][1]) / (rows[-1][0] - rows[0][0])


def _flow_run(name: str, backend: str, live: bool, window: float, note: str) -> Measured:
    def run(record: RecordValue) -> float:
        flow, servers, per_tick_watch, events_watch = build_flow()
        d = flow.deploy(backend, cluster_sizes={servers: SERVERS})
        views, streamed = [], []
        try:
            if live:
                views = [per_tick_watch.view(), d.dashboard()]  # the pump updates both
            d.run(seconds=WARMUP_S)
            if live:  # the chart exists once the first keys arrived
                views[0].figure.document.on_change(
                    lambda event: streamed.append(time.monotonic())
                    if type(event).__name__ == "ColumnsStreamedEvent" else None)
                calls = views[0].subscription.calls
            start = time.monotonic()
            d.run(seconds=window)
            end = time.monotonic()
            rate = rate_in_window(events_watch, start, end)
            if live:
                record("plot_updates_hz", len(streamed) / (end - start))
                record("pump_refreshes_hz", (views[0].subscription.calls - calls) / (end - start))
        finally:
            for v in views:
                v.close()
            d.stop()
        return rate

    return Measured(name, run, note)


def _hand_loop(window: float) -> Measured:
    from hydro_lab.workshop.weblog import web_log

    def run(record: RecordValue) -> float:
        logs = [web_log(seed=s) for s in range(SERVERS)]
        totals: Counter = Counter()
        taken = 0
        start = time.monotonic()
        counted_from, counted_at = 0, start + WARMUP_S
        while (now := time.monotonic()) < start + WARMUP_S + window:
            if counted_at > now:
                counted_from = taken
            for log in logs:
                per_endpoint: dict[str, tuple[int, int, float]] = {}
                for _ in range(BATCH):
                    endpoint, status, ms = next(log)
                    c = per_endpoint.get(endpoint, (0, 0, 0.0))
                    per_endpoint[endpoint] = (c[0] + 1, c[1] + (status >= 500), c[2] + ms)
                for endpoint, c in per_endpoint.items():
                    totals[endpoint] += c[0]
                    taken += c[0]
        return (taken - counted_from) / (time.monotonic() - counted_at)

    return Measured("hand_loop", run, f"one thread, {SERVERS} logs read alternately "
                                      f"{BATCH:,} at a time, counted per endpoint")


def run(quick: bool, runs: int, show_source: bool) -> dict[str, Any]:
    window = QUICK_WINDOW_S if quick else WINDOW_S
    if show_source:
        flow = build_flow()[0]
        print(flow.compile().source("servers"))
    load_before = os.getloadavg()
    ray, skip = ray_session()
    contenders = [
        _hand_loop(window),
        _flow_run("local_closed", "local", False, window, "local backend, no view open"),
        _flow_run("local_live", "local", True, window,
                  "local backend, the live plot (keys=10) and the dashboard open"),
    ]
    if ray is None:
        contenders.append(Measured("ray_live", None, skip=skip))
    else:
        contenders.append(_flow_run("ray_live", "ray", True, window,
                                    "Ray (3 actors), the live plot and the dashboard open"))
    series = measure_values(contenders, runs)
    load_after = os.getloadavg()
    lines = [f"each run: a fresh deployment, {WARMUP_S:g} s warm-up, then the {window:g} s "
             f"window; {SERVERS} servers, each reading its own endless log",
             "load average (1, 5, 15 min) at the start: " +
             ", ".join(f"{v:.2f}" for v in load_before) + "; at the end: " +
             ", ".join(f"{v:.2f}" for v in load_after) + f" ({os.cpu_count()} CPUs)"]
    hz = Unit("per second", lambda v: f"{v:.1f} /s", True)
    plot_ok = {}
    for s in series:
        if s.status == "ok" and "plot_updates_hz" in s.extras:
            plot_ok[s.name] = statistics.median(s.extras["plot_updates_hz"])
            met = "goal met" if plot_ok[s.name] >= GOAL_PLOT_HZ else "goal missed"
            lines.append(f"{s.name}: the live plot was updated {plot_ok[s.name]:.1f} times a "
                         f"second (median; bokeh stream events), goal >= {GOAL_PLOT_HZ:g}: {met}")
    record = report_values(NAME, "chapter 4's live metrics on 2 servers, the live plot open: "
                           "events taken from the sources per second",
                           series, "hand_loop", PER_SECOND, runs,
                           [Target("local_live", ">=", GOAL_EVENTS_S, label="local"),
                            Target("ray_live", ">=", GOAL_EVENTS_S, label="ray")],
                           lines, extra_units={"plot_updates_hz": hz, "pump_refreshes_hz": hz})
    record["load_average"] = {"start": load_before, "end": load_after}
    record["plot_updates_hz"] = plot_ok
    return record


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(prog="python -m benchmarks.p10_live_metrics")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=None)
    args = ap.parse_args()
    run(args.quick, args.runs or (3 if args.quick else 5), False)
