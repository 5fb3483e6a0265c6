"""Chapter 2 of the workshop (``notebooks/workshop/02_estimate_pi_on_ray.ipynb``): estimate_pi on
a cluster, on Ray, with the dashboard.

2.1 asks for each worker's rate at the leader: what a cluster sends arrives keyed by the
sender's ``MemberId``, so keeping the key (instead of merging with ``values()``) gives one count
per worker. The checker feeds each simulated worker different per-tick counts and reads the
leader's counts per worker, over every execution.
"""

from __future__ import annotations

from typing import Any

from hydro_lab import FlowBuilder, KeyedSingleton, MemberId, nondet
from hydro_lab.sim import SimFailure
from hydro_lab.workshop.checking import describe, student_steps
from hydro_lab.workshop.exercise import Exercise, Verdict

# what each simulated worker reports, tick after tick: (darts inside, darts thrown)
REPORTS = {0: [(3, 4), (1, 4)], 1: [(2, 4), (7, 8), (5, 6)]}
DARTS = {member: sum(total for _inside, total in reports) for member, reports in REPORTS.items()}


def _check_rates(ns: dict[str, Any]) -> Verdict:
    flow = FlowBuilder("exercise 2.1")
    leader, workers = flow.process("leader"), flow.cluster("workers")
    port, samples = workers.sim_input()
    rates = ns["darts_per_worker"](leader, samples)
    if not isinstance(rates, KeyedSingleton):
        return Verdict.fail(
            f"darts_per_worker returned {describe(rates)}; it should return a KeyedSingleton at "
            "the leader: one count per worker, keyed by the worker's MemberId. What the "
            "workers send arrives keyed by sender: keep that key (no `.values()`) and fold "
            "each worker's reports.")
    if rates.location is not leader:
        return Verdict.fail(f"darts_per_worker returned {describe(rates)}; the counts should be "
                            "at the leader: send the samples there (`samples.send(leader)`).")
    out = (rates.snapshot(leader.tick(), nondet("the checker reads the last counts"))
           .entries().all_ticks().sim_output())
    seen: dict[str, Any] = {}

    def body(inst) -> None:
        sender = inst.connect(port)
        for member, reports in REPORTS.items():
            sender.send_many((member, r) for r in reports)
        got = inst.connect(out).collect()
        last: dict[Any, Any] = {}
        for key, value in got:
            last[key] = value
        seen["last"] = last
        if not got:
            raise AssertionError("no counts")
        if last != {MemberId("workers", m): d for m, d in DARTS.items()}:
            raise AssertionError(f"the leader's counts were {last}")

    expected = ", ".join(f"worker {m}: {d} darts" for m, d in DARTS.items())
    reported = "; ".join(f"worker {m} reported {r}" for m, r in REPORTS.items())
    try:
        runs = flow.sim({workers: len(REPORTS)}).exhaustive(body, progress=False)
    except SimFailure as failure:
        last = seen.get("last")
        if not last:
            return Verdict.fail(f"the flow produced no output within the simulation: "
                                f"{reported}, and the leader had no count.")
        shown = ", ".join(f"{_member(k)}: {v!r}" for k, v in last.items())
        return Verdict.fail(
            f"in this execution {reported} (as (inside, thrown) per tick), and at the end the "
            f"leader had {{{shown}}}; expected {{{expected}}}.{student_steps(failure)}")
    return Verdict.ok("the counts are keyed by each worker's MemberId, at the leader",
                      f"{expected}, in every execution ({runs})")


def _member(key: Any) -> str:
    return f"worker {key.raw_id}" if isinstance(key, MemberId) else repr(key)


RATES_EXERCISE = Exercise(
    id="2.1",
    title="each worker's rate",
    task=("Write `darts_per_worker(leader, samples)`: `samples` is the workers' `Stream` of "
          "per-tick counts `(inside, thrown)`, on the cluster. Return, at the `leader`, a "
          "`KeyedSingleton` from each worker's `MemberId` to the number of darts that worker "
          "has thrown so far: how fast it grows is the worker's rate. With worker 0 reporting "
          f"`{REPORTS[0]}` and worker 1 `{REPORTS[1]}`, the leader ends with "
          f"`{{worker 0: {DARTS[0]}, worker 1: {DARTS[1]}}}`."),
    starter=("def darts_per_worker(leader, samples):\n"
             "    # samples: a Stream of (inside, thrown) per tick, on the workers' cluster\n"
             "    arrived = samples.send(leader).values()\n"
             "    return arrived.fold(lambda: 0, lambda darts, s: darts + s[1],\n"
             "                        commutative=\"adding counts commutes\")\n"),
    solution=("def darts_per_worker(leader, samples):\n"
              "    # samples: a Stream of (inside, thrown) per tick, on the workers' cluster\n"
              "    arrived = samples.send(leader)          # keyed by the sending worker\n"
              "    return arrived.fold(lambda: 0, lambda darts, s: darts + s[1])\n"),
    hints=("What does `samples.send(leader)` give? Look at its type: which key does it carry?",
           "`.values()` merges the workers into one stream and forgets who sent what. Fold the "
           "keyed stream instead: a fold on a KeyedStream folds each key on its own.",
           "Each worker's reports arrive in order (TotalOrder per key), so the per-worker fold "
           "needs no `commutative=`: `samples.send(leader).fold(lambda: 0, lambda d, s: d + "
           "s[1])`."),
    checker=_check_rates,
    defines=("darts_per_worker",),
)

EXERCISES: tuple[Exercise, ...] = (RATES_EXERCISE,)
