"""Chapter 3 of the workshop (``notebooks/workshop/03_echo_and_counters.ipynb``): external
clients, a counter service, and the simulator catching its read-after-write bug.

3.1 hands the student Hydro's quickstart counter, which acknowledges an increment before the
count includes it; the student fixes it so that every execution passes. The checker plays two
clients against it over every execution the simulator can find and, when one fails, says which
client read which count after which acknowledged increment, with the steps of the student's code
that made it (the snapshot that saw an older version of the count).
"""

from __future__ import annotations

from typing import Any

from hydro_lab import FlowBuilder, KeyedStream, nondet
from hydro_lab.sim import SimFailure
from hydro_lab.workshop.checking import describe, student_steps
from hydro_lab.workshop.exercise import Exercise, Verdict


class _Broken(AssertionError):
    """What went wrong for a client in one execution, in the verdict's words (kept in
    ``broken``, since the simulator's failure replaces it with its own)."""

    def __init__(self, said: str, broken: list[str]):
        super().__init__(said)
        broken.append(said)


def _check_counter(ns: dict[str, Any]) -> Verdict:
    flow = FlowBuilder("exercise 3.1")
    server = flow.process("server")
    inc_port, increments = server.sim_input()
    get_port, gets = server.sim_input()
    returned = ns["counter"](server, increments.into_keyed(), gets.into_keyed())
    if not (isinstance(returned, tuple) and len(returned) == 2):
        return Verdict.fail(f"counter returned {describe(returned)}; it should return the pair "
                            "(acks, counts), as the starter does.")
    acks, counts = returned
    for name, value in (("acks", acks), ("counts", counts)):
        if not isinstance(value, KeyedStream) or value.location is not server:
            return Verdict.fail(f"counter's {name} is {describe(value)}; it should be a "
                                "KeyedStream at the server (client -> answer), as in the "
                                "starter.")
    why = nondet("the checker plays one client at a time")
    ack_out = acks.entries().assume_ordering(why).sim_output()
    count_out = counts.entries().assume_ordering(why).sim_output()

    broken: list[str] = []  # what went wrong, per failing execution run

    def body(inst) -> None:
        inc, get = inst.connect(inc_port), inst.connect(get_port)
        ack, answer = inst.connect(ack_out), inst.connect(count_out)
        acknowledged = 0
        for client in ("c1", "c2"):
            inc.send((client, None))
            if ack.try_next() is None:
                raise _Broken(f"the flow produced no output within the simulation: client "
                              f"{client}'s increment was never acknowledged", broken)
            acknowledged += 1
        for client in ("c2", "c1"):
            get.send((client, None))
            got = answer.try_next()
            if got is None:
                raise _Broken(f"the flow produced no output within the simulation: client "
                              f"{client}'s get was never answered ({acknowledged} increments "
                              "had been acknowledged)", broken)
            who, count = got
            if who != client:
                raise _Broken(f"client {client} asked for the count but the answer went to "
                              f"{who!r}", broken)
            if count != acknowledged:
                raise _Broken(f"client {client} read a count of {count!r} after its increment "
                              f"was acknowledged (clients c1 and c2 had each had one increment "
                              f"acknowledged: the count was {acknowledged})", broken)

    try:
        runs = flow.sim().exhaustive(body, progress=False, max_executions=20_000)
    except SimFailure as failure:
        if broken:
            said = broken[-1]
            if said.startswith("the flow produced no output"):
                return Verdict.fail(said + ".")
            steps = student_steps(failure, only="released")
            return Verdict.fail(f"in this execution {said}.{steps}\n"
                                "Each line is a decision the simulator made; a snapshot that "
                                "saw an older version of the count is the read-after-write "
                                "race: the ack left before the count included it.")
        return Verdict.fail(f"in a simulated execution the flow failed: "
                            f"{str(failure).splitlines()[0]}.")
    return Verdict.ok("every get after an acknowledged increment reads a count that includes it",
                      f"in every execution the simulator explored ({runs})")


COUNTER_EXERCISE = Exercise(
    id="3.1",
    title="fix the counter's read-after-write bug",
    task=("`counter(server, increments, gets)` is Hydro's quickstart counter: `increments` and "
          "`gets` are KeyedStreams `client -> request` at the server; it returns `(acks, "
          "counts)`, an acknowledgement per increment and a count per get (`client -> "
          "count`). Once a client's increment is acknowledged, a later get must see it. The "
          "starter acknowledges increments at once and answers gets from a plain `snapshot`, "
          "and the simulator finds an execution where a get misses an acknowledged increment. "
          "Fix it so that **every** execution passes."),
    starter=("from hydro_lab import nondet\n"
             "\n"
             "def counter(server, increments, gets):\n"
             "    count = increments.values().count()\n"
             "    acks = increments                                  # acknowledged at once\n"
             "    tick = server.tick()\n"
             "    counts = (gets.batch(tick, nondet(\"each get is answered on its own\"))\n"
             "                  .cross_singleton(count.snapshot(\n"
             "                      tick, nondet(\"a snapshot is fresh enough (is it?)\")))\n"
             "                  .map(lambda request_and_count: request_and_count[1])\n"
             "                  .all_ticks())\n"
             "    return acks, counts\n"),
    solution=("from hydro_lab import nondet\n"
              "\n"
              "def counter(server, increments, gets):\n"
              "    tick = server.tick()\n"
              "    processing = increments.atomic(tick)\n"
              "    count = processing.values().count()\n"
              "    acks = processing.end_atomic()       # released once the count includes them\n"
              "    counts = (gets.batch(tick, nondet(\"each get is answered on its own\"))\n"
              "                  .cross_singleton(count.snapshot_atomic(\n"
              "                      nondet(\"atomic: every acked increment is in it\")))\n"
              "                  .map(lambda request_and_count: request_and_count[1])\n"
              "                  .all_ticks())\n"
              "    return acks, counts\n"),
    hints=("Read the failing execution: the snapshot that answered the get saw an older "
           "version of the count. Why could the acknowledgement leave before the count "
           "included the increment?",
           "Hydro's answer is an atomic region: `increments.atomic(tick)` counts the increments "
           "in the same tick as the gets are answered, and `.end_atomic()` releases the "
           "acknowledgements only then.",
           "Count `processing = increments.atomic(tick)`, acknowledge with "
           "`processing.end_atomic()`, and read the count with `count.snapshot_atomic(nondet("
           "...))` instead of `snapshot(tick, ...)`."),
    checker=_check_counter,
    defines=("counter",),
)

EXERCISES: tuple[Exercise, ...] = (COUNTER_EXERCISE,)
