"""Chapter 1 of the workshop (``notebooks/workshop/01_first_flow.ipynb``): a first flow.

1.1 transforms a stream on one process (``filter``, ``map``); 1.2 gathers a cluster's numbers at
a leader, where Hydro refuses the ``reduce`` of an unordered stream until the student says why
the order does not matter. The checkers run the student's function in the simulator: 1.1 over
every execution, 1.2 over random ones that also reorder what the ``commutative=`` claim says
does not matter (``check_claims``), so a false claim fails.
"""

from __future__ import annotations

from typing import Any

from hydro_lab import FlowBuilder, Optional, Singleton, Stream, nondet
from hydro_lab.sim import SimFailure
from hydro_lab.workshop.checking import describe, student_steps
from hydro_lab.workshop.exercise import Exercise, Verdict

# -- 1.1 ------------------------------------------------------------------------------------------

NUMBERS = [1, 2, 3, 4, 5, 6, 7]
EVEN_SQUARES = [4, 16, 36]


def _check_even_squares(ns: dict[str, Any]) -> Verdict:
    flow = FlowBuilder("exercise 1.1")
    p = flow.process("p")
    result = ns["even_squares"](p.source_iter(NUMBERS))
    if not isinstance(result, Stream):
        return Verdict.fail(f"even_squares returned {describe(result)}; it should return the "
                            "Stream that `numbers.filter(...)...map(...)` builds.")
    port = result.sim_output()
    seen: list[list[Any]] = []
    runs = flow.sim().exhaustive(lambda inst: seen.append(inst.connect(port).collect()),
                                 progress=False)
    got = seen[-1]
    if not got and all(not s for s in seen):
        return Verdict.fail(f"the flow produced no output within the simulation: "
                            f"{NUMBERS} gave nothing, expected {EVEN_SQUARES}.")
    wrong = [s for s in seen if s != EVEN_SQUARES]
    if wrong:
        right = []
        if sorted(wrong[0]) == EVEN_SQUARES:
            right.append("the right numbers come out")
        return Verdict.fail(f"{NUMBERS} gave {wrong[0]}, expected {EVEN_SQUARES} (the squares "
                            "of the even numbers, in order).", right=right)
    return Verdict.ok(f"{NUMBERS} gives {EVEN_SQUARES}: the even numbers, squared, in order",
                      f"in every execution ({runs})")


EVEN_SQUARES_EXERCISE = Exercise(
    id="1.1",
    title="squares of the even numbers",
    task=("Write `even_squares(numbers)`: given a `Stream` of integers on a process, return "
          "the `Stream` of the squares of the **even** ones, in order. "
          f"On `{NUMBERS}` it gives `{EVEN_SQUARES}`."),
    starter=("def even_squares(numbers):\n"
             "    # numbers: a Stream of ints on a process\n"
             "    return numbers.map(lambda x: x * x)\n"),
    solution=("def even_squares(numbers):\n"
              "    # numbers: a Stream of ints on a process\n"
              "    return numbers.filter(lambda x: x % 2 == 0).map(lambda x: x * x)\n"),
    hints=("`filter(f)` keeps the elements for which `f` returns True.",
           "Keep the even numbers first (`x % 2 == 0`), then square them with `map`.",
           "`numbers.filter(lambda x: x % 2 == 0).map(lambda x: x * x)`"),
    checker=_check_even_squares,
    defines=("even_squares",),
)


# -- 1.2 ------------------------------------------------------------------------------------------

SENT = {0: [1, 2, 3], 1: [10, 20]}   # what each worker sends, by member
TOTAL = sum(sum(v) for v in SENT.values())


def _check_total(ns: dict[str, Any]) -> Verdict:
    flow = FlowBuilder("exercise 1.2")
    leader, workers = flow.process("leader"), flow.cluster("workers")
    port, numbers = workers.sim_input()
    total = ns["total_at_leader"](leader, numbers)
    if not isinstance(total, Singleton | Optional):
        return Verdict.fail(f"total_at_leader returned {describe(total)}; it should return the "
                            "total as one value (an Optional or Singleton) at the leader: "
                            "reduce (or fold) what the workers sent.")
    if total.location is not leader:
        return Verdict.fail(f"total_at_leader returned {describe(total)}; the total should be at "
                            "the leader: send the numbers there first (`numbers.send(leader)`).")
    out = (total.snapshot(leader.tick(), nondet("the checker reads the final total"))
           .into_stream().all_ticks().sim_output())
    outcome: dict[str, Any] = {}

    def body(inst) -> None:
        sender = inst.connect(port)
        for member, values in SENT.items():
            for v in values:
                sender.send(member, v)
        got = inst.connect(out).collect()
        outcome["got"] = got
        if not got:
            raise AssertionError("no total")
        if got[-1] != TOTAL:
            raise AssertionError(f"the leader's total was {got[-1]!r}")

    sim = flow.sim({workers: len(SENT)}, check_claims=True)
    try:
        runs = sim.fuzz(body, runs=60, seed=1, progress=False)
    except SimFailure as failure:
        got = outcome.get("got")
        sent = "; ".join(f"worker {m} sent {v}" for m, v in SENT.items())
        if not got:
            return Verdict.fail(f"the flow produced no output within the simulation: {sent}, "
                                "and the leader never had a total.")
        return Verdict.fail(f"in this execution {sent}, and the leader's total was {got[-1]!r} "
                            f"instead of {TOTAL}.{student_steps(failure)}")
    return Verdict.ok("Hydro accepts the reduce: you said why the order does not matter",
                      f"the leader's total is {TOTAL} in every execution tried ({runs}, with "
                      "the numbers arriving in different orders)")


TOTAL_EXERCISE = Exercise(
    id="1.2",
    title="a total at the leader (a refused program)",
    task=("Write `total_at_leader(leader, numbers)`: `numbers` is a `Stream` of integers on a "
          "cluster of workers; send them to the `leader` and return their sum there (an "
          "`Optional`). The starter is refused by Hydro when the checker builds it: read the "
          "error, it says what to add. With worker 0 sending 1, 2, 3 and worker 1 sending 10, "
          f"20, the total is {TOTAL} whatever order the numbers arrive in."),
    starter=("def total_at_leader(leader, numbers):\n"
             "    # numbers: a Stream of ints on the workers' cluster\n"
             "    arrived = numbers.send(leader).values()\n"
             "    return arrived.reduce(lambda a, b: a + b)\n"),
    solution=("def total_at_leader(leader, numbers):\n"
              "    # numbers: a Stream of ints on the workers' cluster\n"
              "    arrived = numbers.send(leader).values()\n"
              "    return arrived.reduce(lambda a, b: a + b,\n"
              "                          commutative=\"adding numbers commutes\")\n"),
    hints=("Run the check and read Hydro's error: which input is NoOrder, and why does that "
           "matter to `reduce`?",
           "What several workers send reaches the leader in no fixed order. Addition does not "
           "care about the order: say so to Hydro.",
           "`arrived.reduce(lambda a, b: a + b, commutative=\"adding numbers commutes\")`"),
    checker=_check_total,
    defines=("total_at_leader",),
)

EXERCISES: tuple[Exercise, ...] = (EVEN_SQUARES_EXERCISE, TOTAL_EXERCISE)
