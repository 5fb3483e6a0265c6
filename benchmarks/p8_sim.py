"""P8: the deterministic simulator.

* ``exhaustive_4``: ``flow.sim().exhaustive(body)`` over 4 unordered messages batched into one
  process (``sim_input(order=NO_ORDER)`` -> ``batch(tick, nondet)`` -> ``all_ticks`` ->
  ``sim_output``); the body sends the 4 with ``send_many_unordered`` and asserts
  ``assert_yields_only_unordered``. Every run checks the count is 75 (the ordered set partitions
  of 4 elements: which subset each tick releases). A run repeats whole explorations for at least
  ``WINDOW_S`` seconds; its value is executions per second. **Goal: >= 10,000 executions/s.**
* ``exhaustive_6``: the same with 6 messages (4,683 executions), a deeper exploration, run with a
  progress callback (``progress=..., progress_every=0.05``); the number of progress reports it
  made is kept beside its rate.
* ``snapshot_16`` and ``keyed_order_104``: the sets issue 13 corrected to Hydro's, explored the
  same way: a snapshot of ``count()`` of 4 unordered inputs into a tick (16 executions: each of
  0..3 may be observed, 4 always is; Hydro's ``sim_unordered_count_instance_count``), and a keyed
  ``assume_ordering`` of a batch of 4 in two keys (104 executions: within each key's group only;
  Hydro's ``sim_observe_order_batched_count``). Same goal.
* ``paxos_fuzz``: the Paxos example (2 proposers, 3 acceptors, a client sending 3 payloads) under
  ``fuzz(body, runs=FUZZ_RUNS, seed=run)`` with faults (crash of a proposer or acceptor, message
  drop on the acceptors' and proposers' channels, at most 2 per execution); the body asserts that
  no two values are committed in one slot. Every run uses a fresh seed, so the benchmark makes
  ``FUZZ_RUNS * runs`` distinct fuzz executions (2,000 by default). Its value is fuzz executions
  per second; the committed-slot counts are reported.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from benchmarks.ray_harness import (
    PER_SECOND,
    SECONDS,
    Measured,
    RecordValue,
    Target,
    Unit,
    measure_values,
    report_values,
)
from hydro_lab import FlowBuilder, Order, nondet
from hydro_lab.examples.paxos import agreement_check

NAME = "p8"
WINDOW_S = 1.0
QUICK_WINDOW_S = 0.3
FUZZ_RUNS = 400          # per benchmark run: 5 runs -> 2,000 fuzz executions
QUICK_FUZZ_RUNS = 40
GOAL_PER_S = 10_000
COUNT = Unit("count", lambda v: f"{v:,.0f}", True)
FUBINI = {4: 75, 6: 4683}


def build_batched(n: int):
    flow = FlowBuilder(f"p8_unordered_{n}")
    p = flow.process("p")
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = s.batch(p.tick(), nondet("which messages arrive by each tick")).all_ticks().sim_output()
    values = list(range(1, n + 1))

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send_many_unordered(values)
        o.assert_yields_only_unordered(values)

    return flow, body


def build_snapshot_versions():
    """A snapshot of a top-level count of 4 unordered inputs (16 executions)."""
    flow = FlowBuilder("p8_snapshot_versions")
    p = flow.process("p")
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = s.count().snapshot(p.tick(), nondet("any version")).all_ticks().sim_output()

    def body(inst):
        inst.connect(port).send_many_unordered([1, 2, 3, 4])
        assert inst.connect(out).collect()[-1] == 4

    return flow, body


def build_keyed_order():
    """A keyed assumed order of a batch of 4 in two keys (104 executions)."""
    flow = FlowBuilder("p8_keyed_order")
    p = flow.process("p")
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = (s.into_keyed().batch(p.tick(), nondet("batching")).assume_ordering(nondet("order"))
           .all_ticks().entries().sim_output())

    def body(inst):
        inst.connect(port).send_many_unordered([(1, 1), (1, 2), (2, 1), (2, 2)])
        assert sorted(inst.connect(out).collect()) == [(1, 1), (1, 2), (2, 1), (2, 2)]

    return flow, body


CORRECTED = {"snapshot_16": (build_snapshot_versions, 16),
             "keyed_order_104": (build_keyed_order, 104)}


def _corrected(name: str, window: float) -> Measured:
    build, expected = CORRECTED[name]
    flow, body = build()
    sim = flow.sim()

    def run(record: RecordValue) -> float:
        executions, t0 = 0, time.perf_counter()
        while True:
            count = sim.exhaustive(body, progress=False)
            assert count == expected, f"{count} executions, expected {expected}"
            executions += count
            elapsed = time.perf_counter() - t0
            if elapsed >= window:
                break
        return executions / elapsed

    return Measured(name, run, f"{expected:,} executions per exploration (Hydro's count)")


def _exhaustive(n: int, window: float, with_progress: bool = False) -> Measured:
    flow, body = build_batched(n)
    sim = flow.sim()

    def run(record: RecordValue) -> float:
        reports: list = []
        progress = reports.append if with_progress else False
        executions, t0 = 0, time.perf_counter()
        while True:
            count = sim.exhaustive(body, progress=progress, progress_every=0.05)
            assert count == FUBINI[n], f"{count} executions, expected {FUBINI[n]}"
            executions += count
            elapsed = time.perf_counter() - t0
            if elapsed >= window:
                break
        if with_progress:
            assert reports and reports[-1].done, "a deep exploration made no progress report"
            record("progress_reports", float(len(reports)))
        record("explorations", executions / FUBINI[n])
        return executions / elapsed

    what = "progress callback every 0.05 s" if with_progress else "progress off"
    return Measured(f"exhaustive_{n}", run, f"{FUBINI[n]:,} executions per exploration, {what}")


def build_paxos():
    flow, proposers, acceptors, body = agreement_check("p8_paxos")
    faults = {"crash": [proposers, acceptors], "drop": [acceptors, proposers], "max_faults": 2}
    sim = flow.sim({proposers: 2, acceptors: 3}, faults=faults)
    return sim, body, body.committed


def _paxos(fuzz_runs: int, totals: Counter) -> Measured:
    sim, body, committed = build_paxos()
    seeds = iter(range(1_000_000))

    def run(record: RecordValue) -> float:
        committed.clear()
        t0 = time.perf_counter()
        done = sim.fuzz(body, runs=fuzz_runs, seed=next(seeds), progress=False)
        elapsed = time.perf_counter() - t0
        assert done == fuzz_runs == len(committed)
        totals.update(committed)
        totals["executions"] += fuzz_runs
        record("seconds", elapsed)
        return fuzz_runs / elapsed

    return Measured("paxos_fuzz", run, f"{fuzz_runs} fuzz runs per run, faults: crash + drop, "
                    "at most 2")


def run(quick: bool, runs: int, show_source: bool = False) -> dict[str, Any]:
    window = QUICK_WINDOW_S if quick else WINDOW_S
    fuzz_runs = QUICK_FUZZ_RUNS if quick else FUZZ_RUNS
    if show_source:
        print(build_batched(4)[0].compile().source("p"))
    totals: Counter = Counter()
    contenders = [_exhaustive(4, window), _exhaustive(6, window, with_progress=True),
                  _corrected("snapshot_16", window), _corrected("keyed_order_104", window),
                  _paxos(fuzz_runs, totals)]
    series = measure_values(contenders, runs, warmup=0)
    executions = totals.pop("executions", 0)
    by_slots = ", ".join(f"{k} slots: {v}" for k, v in sorted(totals.items()))
    lines = [f"paxos_fuzz: {executions:,} fuzz executions with faults, agreement held in every "
             f"one; committed slots per execution: {by_slots}"]
    title = ("the simulator: exhaustive exploration of unordered batches, and Paxos fuzzed with "
             "faults")
    record = report_values(NAME, title, series, "exhaustive_4", PER_SECOND, runs,
                           [Target("exhaustive_4", ">=", GOAL_PER_S,
                                   label="4 unordered messages, exhaustive"),
                            Target("snapshot_16", ">=", GOAL_PER_S,
                                   label="snapshot versions of a count, exhaustive"),
                            Target("keyed_order_104", ">=", GOAL_PER_S,
                                   label="keyed assumed order, exhaustive")],
                           lines, extra_units={"progress_reports": COUNT, "explorations": COUNT,
                                         "seconds": SECONDS}, warmup=0)
    record.update(window_s=window, fuzz_runs_per_run=fuzz_runs, paxos_executions=executions,
                  paxos_committed_slots=dict(totals))
    return record


if __name__ == "__main__":
    import sys

    from benchmarks.__main__ import main

    sys.exit(main(["--only", NAME, *sys.argv[1:]]))
