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
                                   label="4 unordered messages, exhaustive")],
                           lines, extra_units={"progress_reports": COUNT, "explorations": COUNT,
                                         "seconds": SECONDS}, warmup=0)
    record.update(window_s=window, fuzz_runs_per_run=fuzz_runs, paxos_executions=executions,
                  paxos_committed_slots=dict(totals))
    return record


if __name__ == "__main__":
    import sys

    from benchmarks.__main__ import main

    sys.exit(main(["--only", NAME, *sys.argv[1:]]))
