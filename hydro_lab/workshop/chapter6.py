"""Chapter 6 of the workshop: Paxos (``notebooks/workshop/06_paxos.ipynb``).

The chapter runs ``hydro_lab.examples.paxos`` behind a client (three locations: the client, the
proposers, the acceptors), kills the leader and watches another proposer take over, and fuzzes
agreement with the simulator. Its exercise (6.1) hands the student a variant whose quorum rule
is broken (half the acceptors, rounded down: one of three) and asks for a simulator test that
fails on it and passes on Paxos with a majority quorum, plus a sentence saying why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hydro_lab import Cluster, FlowBuilder, Process, Stream
from hydro_lab.examples.paxos import PaxosConfig, paxos_with_client_ballots
from hydro_lab.sim import SimFailure
from hydro_lab.workshop.exercise import Exercise, Verdict

PROPOSERS = 2
"""Proposers in the checker's flow (f + 1 for f = 1)."""
ACCEPTORS = 3
"""Acceptors in the checker's flow (2f + 1 for f = 1)."""
FUZZ_RUNS = 300
"""How many executions the checker fuzzes, on each variant."""
FUZZ_SEED = 0
"""The fuzzing seed: the same executions, in the same order, on every check."""
CONFIG = dict(i_am_leader_send_timeout=1.0, i_am_leader_check_timeout=2.0)
"""Heartbeats every second, an election after two seconds without one (virtual seconds in the
simulator, real ones deployed)."""


def majority(num_acceptors: int) -> int:
    """Paxos's quorum rule: more than half the acceptors (2 of 3), so any two quorums share an
    acceptor."""
    return num_acceptors // 2 + 1


def broken_quorum(num_acceptors: int) -> int:
    """The broken rule of exercise 6.1: half the acceptors, rounded down (1 of 3)."""
    return num_acceptors // 2


def paxos_with_leaders(client: Process, proposers: Cluster, acceptors: Cluster,
                       payloads: Stream, config: PaxosConfig) -> tuple[Stream, Stream]:
    """``hydro_lab.examples.paxos.paxos_with_client``, also returning who leads: ``(leaders,
    committed)`` at the client, ``leaders`` the ballot of each proposer every time it becomes
    the leader (its ``proposer_id`` is the proposer), ``committed`` the ``(slot, value)`` pairs.
    Payloads wait at the client until a leader is known and go to the latest one."""
    ballots, committed = paxos_with_client_ballots(client, proposers, acceptors, payloads, config)
    return ballots.send(client).values(), committed


@dataclass
class PaxosUnderTest:
    """A Paxos flow for simulator tests (exercise 6.1): a ``client`` process, 2 ``proposers``,
    3 ``acceptors``; ``payloads`` is the client's ``sim_input`` (send what to commit),
    ``committed`` the ``sim_output`` of ``(slot, value)`` pairs (a slot may be reported more
    than once, always with the same value, when Paxos is right), ``leaders`` the ``sim_output``
    of each new leader's ballot. ``quorum`` is how many acceptors make a quorum here."""

    flow: FlowBuilder
    proposers: Cluster
    acceptors: Cluster
    payloads: Any
    committed: Any
    leaders: Any
    quorum: int

    def sim(self, faults: Any = None):
        """The simulator of this flow with 2 proposers and 3 acceptors (and ``faults``, if
        given, as ``flow.sim`` takes them)."""
        return self.flow.sim({self.proposers: PROPOSERS, self.acceptors: ACCEPTORS},
                             faults=faults)


def paxos_under_test(quorum_rule: Callable[[int], int] = majority) -> PaxosUnderTest:
    """Paxos whose quorum is ``quorum_rule(3)`` of the 3 acceptors: :func:`majority` (2, the
    protocol) or :func:`broken_quorum` (1). ``paxos_core`` counts a quorum as ``f + 1``
    answers, so the flow is built with ``PaxosConfig(f=quorum - 1)``."""
    quorum = quorum_rule(ACCEPTORS)
    if not isinstance(quorum, int) or not 1 <= quorum <= ACCEPTORS:
        raise ValueError(f"a quorum rule must give between 1 and {ACCEPTORS} acceptors of "
                         f"{ACCEPTORS}, got {quorum!r}")
    flow = FlowBuilder(f"paxos_quorum_{quorum}_of_{ACCEPTORS}")
    client = flow.process("client")
    proposers, acceptors = flow.cluster("proposers"), flow.cluster("acceptors")
    port, payloads = client.sim_input()
    leaders, committed = paxos_with_leaders(client, proposers, acceptors, payloads,
                                            PaxosConfig(f=quorum - 1, **CONFIG))
    return PaxosUnderTest(flow, proposers, acceptors, port, committed.sim_output(),
                          leaders.sim_output(), quorum)


def disagreements(committed: list) -> dict[int, set]:
    """The slots of ``committed`` ``(slot, value)`` pairs that hold more than one value."""
    slots: dict[int, set] = {}
    for slot, value in committed:
        slots.setdefault(slot, set()).add(value)
    return {slot: values for slot, values in slots.items() if len(values) > 1}


def _outputs(trace, port) -> list[tuple[int, Any]]:
    """``(step, item)`` for everything ``port`` (a sim_output) yielded in an execution."""
    key = getattr(port, "key", port)
    return [(e.get("step"), item) for e in trace.events
            if e["kind"] == "output" and e.get("port") == key for item in e["items"]]


def unsafe_steps(paxos: PaxosUnderTest, trace) -> str | None:
    """What makes an execution unsafe, in words (who became leader when, which slot got which
    value at which step), or None when every slot held one value."""
    committed = _outputs(trace, paxos.committed)
    split = disagreements([item for _, item in committed])
    if not split:
        return None
    events = []
    for step, ballot in _outputs(trace, paxos.leaders):
        who = f"{paxos.proposers.name}[{ballot.proposer_id.get_raw_id()}]"
        events.append((step, f"at step {step} {who} became the leader (ballot number "
                             f"{ballot.num})"))
    for step, (slot, value) in committed:
        if slot in split:
            events.append((step, f"at step {step} slot {slot} was reported committed with "
                                 f"{value!r}"))
    said = [text for _, text in sorted(events, key=lambda e: e[0] or 0)]
    slots = "; ".join(f"slot {s} holds {' and '.join(sorted(map(repr, v)))}"
                      for s, v in sorted(split.items()))
    return f"{slots}: " + ", ".join(said)


_QUORUM_WORDS = re.compile(r"quorum|majorit|one acceptor|single acceptor|1 of 3|one of (the )?"
                           r"three|half", re.I)
_OVERLAP_WORDS = re.compile(r"intersect|overlap|in common|share|two leaders|both leaders|"
                            r"two proposers|both proposers|disjoint|different acceptors", re.I)


def _check_finds_the_unsafe_execution(ns: dict[str, Any]) -> Verdict:
    test, faults, explanation = ns["agreement"], ns["faults"], ns["explanation"]
    if not callable(test):
        return Verdict.fail(f"`agreement` must be a test function `agreement(inst, paxos)`, "
                            f"got {type(test).__name__}")
    right: list[str] = []
    broken = paxos_under_test(broken_quorum)

    def test_broken_variant(inst) -> None:
        test(inst, broken)

    try:
        runs = broken.sim(faults).fuzz(test_broken_variant, runs=FUZZ_RUNS, seed=FUZZ_SEED,
                                       progress=False)
    except SimFailure as failure:
        said = str(failure).splitlines()[0].removeprefix("AssertionError: ")
        unsafe = unsafe_steps(broken, failure.trace)
        if unsafe is None:
            return Verdict.fail(
                f"your test failed on the broken variant in execution {failure.execution} "
                f"(fuzz seed {failure.seed}), but not because Paxos was unsafe there: every slot "
                f"it committed held one value. Your test said: {said}. Make it fail only when "
                "one slot is committed with two different values.")
        right.append(f"your test fails on the broken variant (a quorum of {broken.quorum} of "
                     f"{ACCEPTORS}) in execution {failure.execution} of the fuzzed ones (seed "
                     f"{failure.seed}), where Paxos lost agreement: {unsafe}")
    else:
        return Verdict.fail(
            f"your test passed all {runs} fuzzed executions of the broken variant (a quorum of "
            f"{broken.quorum} of {ACCEPTORS} acceptors): it has not caught the unsafe execution "
            "yet. Check that no slot is committed with two different values, and give two "
            "proposers a chance to lead at once (the hints say how, one by one).")
    correct = paxos_under_test(majority)

    def test_correct_paxos(inst) -> None:
        test(inst, correct)

    try:
        runs = correct.sim(faults).fuzz(test_correct_paxos, runs=FUZZ_RUNS, seed=FUZZ_SEED,
                                        progress=False)
    except SimFailure as failure:
        said = str(failure).splitlines()[0].removeprefix("AssertionError: ")
        return Verdict.fail(
            f"your test also fails on Paxos with a majority quorum ({correct.quorum} of "
            f"{ACCEPTORS}), in execution {failure.execution} (fuzz seed {failure.seed}): "
            f"{said}. A test of agreement must pass there: check only that no slot holds two "
            "values (a slot may be reported twice with the same value, and payloads may be "
            "dropped while the leader changes).", right=right)
    right.append(f"it passes all {runs} fuzzed executions of Paxos with a majority quorum "
                 f"({correct.quorum} of {ACCEPTORS})")
    text = explanation if isinstance(explanation, str) else ""
    missing = []
    if not _QUORUM_WORDS.search(text):
        missing.append("how big the broken quorum is (one acceptor of three, less than a "
                       "majority)")
    if not _OVERLAP_WORDS.search(text):
        missing.append("why that breaks agreement (two quorums of one acceptor need not "
                       "intersect, so two proposers can both lead and put different values in "
                       "the same slot)")
    if missing:
        return Verdict.fail("`explanation` should say " + " and ".join(missing) + ".",
                            right=right)
    right.append("your explanation names the quorum and why two quorums must intersect")
    return Verdict.ok(*right)


STARTER = '''\
# paxos: a PaxosUnderTest, with paxos.payloads (send what to commit) and paxos.committed
# ((slot, value) pairs), see hydro_lab.workshop.chapter6
def agreement(inst, paxos):
    """A simulator test: fails when Paxos loses agreement."""
    inst.connect(paxos.payloads).send_many(["a", "b"])
    inst.advance(10)
    committed = inst.connect(paxos.committed).collect()
    assert all(value in ("a", "b", None) for _slot, value in committed), committed

faults = None          # or e.g. {"drop": ["acceptors"], "max_faults": 2}

explanation = """
Why is a quorum of half the acceptors (rounded down) unsafe?
"""
'''

SOLUTION = '''\
from hydro_lab.workshop.chapter6 import disagreements

def agreement(inst, paxos):
    """A simulator test: fails when one slot is committed with two different values."""
    payloads = inst.connect(paxos.payloads)
    payloads.send("a")     # waits at the client while the proposers elect a leader...
    inst.advance(5)
    payloads.send("b")     # ...and this one goes to the leader known 5 s later
    inst.advance(5)
    split = disagreements(inst.connect(paxos.committed).collect())
    assert not split, f"slots committed with two values: {split}"

faults = None          # no fault needed: the election itself is enough

explanation = """
With 3 acceptors, a quorum of 3 // 2 = 1 acceptor is not a majority: two quorums of one
acceptor need not intersect. Both proposers start an election at t = 2 s; each gets a promise
from a different acceptor, so both lead at once. The client sends "a" to the first leader it
hears of and "b" to the other; neither leader's quorum saw the other's value, so both put their
payload in slot 0 and each commits it with its own single acceptor. A majority (2 of 3) makes
any two quorums share an acceptor, which tells the second leader about the first one's ballot
and value.
"""
'''

BROKEN_QUORUM = Exercise(
    id="6.1",
    title="why a broken quorum rule is unsafe",
    task=(
        "`paxos_under_test(broken_quorum)` builds Paxos whose quorum is half the acceptors, "
        "rounded down: 1 of 3. Find, with the simulator, an execution where it loses agreement "
        "(one slot committed with two different values). Write `agreement(inst, paxos)`, a "
        "simulator test that fails on the broken variant and passes on "
        "`paxos_under_test(majority)`, choose the `faults` it runs with (None for none), and "
        "say in `explanation` why the rule is unsafe. The checker fuzzes your test "
        f"({FUZZ_RUNS} runs) on both variants and reads the failing execution."),
    starter=STARTER,
    solution=SOLUTION,
    hints=(
        "Agreement means: no slot is committed with two different values "
        "(`disagreements(committed)` in hydro_lab.workshop.chapter6 finds those slots). The "
        "same value reported twice for a slot is fine.",
        "Two values in one slot need two leaders at once. Both proposers start an election "
        "2 s after they start; with a quorum of one acceptor, each may win with a different "
        "acceptor.",
        "Send one payload before the election (it waits at the client and goes to the first "
        "leader the client hears of), `inst.advance(5)`, then another (it goes to the leader "
        "with the highest ballot). No fault is needed.",
        "For the explanation: any two majorities of the acceptors share one; two quorums of "
        "one acceptor need not. Which acceptor tells a new leader about a value already "
        "accepted?",
    ),
    checker=_check_finds_the_unsafe_execution,
    defines=("agreement", "faults", "explanation"),
)

EXERCISES: tuple[Exercise, ...] = (BROKEN_QUORUM,)
"""Chapter 6's exercises, in the order the notebook asks them."""
