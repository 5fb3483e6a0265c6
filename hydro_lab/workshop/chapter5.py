"""Chapter 5 of the workshop: two-phase commit under faults
(``notebooks/workshop/05_two_phase_commit.ipynb``).

The chapter runs ``hydro_lab.examples.two_pc`` with a killed participant and a dropped or
delayed channel, then lets the simulator check that no execution decides wrongly. Its exercise
(5.1) asks for a coordinator that stays safe when messages are duplicated: the checker fuzzes
the student's protocol with the simulator's ``duplicate`` fault and says, in words, which
execution broke safety and what the faults did in it.
"""

from __future__ import annotations

import re
from typing import Any

from hydro_lab import FlowBuilder, Stream
from hydro_lab.errors import HydroError
from hydro_lab.sim import SimFailure
from hydro_lab.workshop.exercise import Exercise, Verdict

TRANSACTIONS = ("t1", "t2", "t3")
"""What the checker's client submits: participant 1 refuses t2, every other vote is yes."""

EXPECTED = {"t1": "commit", "t2": "abort", "t3": "commit"}
"""The decisions of an execution without faults."""

PARTICIPANTS = 3
"""The participants the checker's flow has."""
FUZZ_RUNS = 300
"""How many executions with duplicates the checker fuzzes."""
FUZZ_SEED = 1
"""The fuzzing seed: the same executions, in the same order, on every check."""
DUPLICATES = {"duplicate": ["coordinator"], "max_faults": 2}
"""The checker's faults: any message into or out of the coordinator (prepares, votes) may be
delivered twice, at most twice per execution."""


def vote(member, tx) -> bool:
    """The participants' votes in this chapter: participant 1 refuses t2; every other vote is
    yes."""
    return not (tx == "t2" and member.raw_id == 1)


def check_decisions(got: list) -> None:
    """Safety of two-phase commit for :data:`TRANSACTIONS` (participant 1 votes no on t2):
    no transaction decided twice, t2 never committed, t1 and t3 never aborted. Raises an
    ``AssertionError`` saying, in words, which rule ``got`` (the decisions in the order the
    coordinator made them) broke."""
    seen: dict[Any, list] = {}
    for tx, decision in got:
        seen.setdefault(tx, []).append(decision)
    for tx, decisions in seen.items():
        if len(decisions) > 1:
            raise AssertionError(
                f"the coordinator decided {tx} {_times(len(decisions))} "
                f"({', '.join(map(repr, decisions))}); every decision it made: {got}")
    if "commit" in seen.get("t2", []):
        raise AssertionError(f"t2 committed although participant 1 voted no; every decision "
                             f"the coordinator made: {got}")
    for tx in ("t1", "t3"):
        if "abort" in seen.get(tx, []):
            raise AssertionError(f"{tx} aborted although every participant voted yes; every "
                                 f"decision the coordinator made: {got}")


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


_FAULT = re.compile(r"(?P<kind>drop|delay|duplicate) (?P<item>.+) on (?P<channel>\S+) from "
                    r"(?P<src>\S+) to (?P<dst>\S+)$")
_DONE = {"drop": "was lost", "delay": "was held back", "duplicate": "was delivered twice"}


def fault_sentences(trace) -> list[str]:
    """What the simulator's faults did in one execution, one sentence each: ``"before step 5
    the message 't2' from coordinator to participants[1] was delivered twice (channel
    coordinator->participants#1)"``."""
    out = []
    for event in trace.events:
        if event["kind"] != "fault":
            continue
        m = _FAULT.match(event["what"])
        if m is None:
            out.append(f"before step {event.get('step', '?')}: {event['what']}")
            continue
        out.append(f"before step {event.get('step', '?')} the message {m['item']} from {m['src']} "
                   f"to {m['dst']} {_DONE[m['kind']]} (channel {m['channel']})")
    return out


def decisive_steps(failure: SimFailure,
                   keep: tuple[str, ...] = ("fault:", "batch()", "output ", "error:")) -> str:
    """The lines of a failing execution's trace that decide it (its faults, what the batches
    released, the outputs and the error), each under its ``step N:`` line."""
    lines, header = [], None
    for line in failure.trace.format().splitlines():
        if line.startswith("step "):
            header = line
            continue
        if any(k in line for k in keep):
            if header is not None:
                lines.append(header)
                header = None
            lines.append(line)
    return "\n".join(lines)


def describe_failure(failure: SimFailure, what: str = "fuzzed executions") -> str:
    """A failing simulated execution in words: which one (``"in execution 8 of the fuzzed
    executions (fuzz seed 1)"``; ``what`` names them, or is the execution itself when it was
    the only one: ``"the ordinary execution"``), what went wrong (the body's assertion), what
    the faults did, and the decisive steps of its trace."""
    message = str(failure).splitlines()[0].removeprefix("AssertionError: ")
    if failure.execution is not None and failure.seed is not None:
        where = f"in execution {failure.execution} of the {what} (fuzz seed {failure.seed})"
    elif failure.execution is not None:
        where = f"in execution {failure.execution} of the {what}"
    else:
        where = f"in {what}"
    faults = fault_sentences(failure.trace)
    text = f"{where} {message}."
    if faults:
        text += " What the faults did: " + "; ".join(faults) + "."
    return f"{text}\nThe decisive steps:\n{decisive_steps(failure)}"


def two_pc_under_test(protocol):
    """The flow the checker simulates: ``protocol(coordinator, participants, transactions,
    num_participants, vote)`` on a coordinator and a cluster of 3 participants, transactions
    from a ``sim_input``. Returns ``(flow, participants, body)``; ``body(inst)`` submits
    :data:`TRANSACTIONS`, collects the decisions into ``body.runs`` and checks them
    (:func:`check_decisions`)."""
    flow = FlowBuilder("two_pc_exercise")
    coordinator, participants = flow.process("coordinator"), flow.cluster("participants")
    port, transactions = coordinator.sim_input()
    decisions = protocol(coordinator, participants, transactions, PARTICIPANTS, vote)
    if isinstance(decisions, tuple) and decisions and isinstance(decisions[0], Stream):
        decisions = decisions[0]  # (decisions, acks), as hydro_lab.examples.two_pc returns
    if not isinstance(decisions, Stream):
        raise TypeError(f"two_phase_commit must return the decisions, a Stream of (tx, "
                        f"'commit' | 'abort') at the coordinator; it returned "
                        f"{type(decisions).__name__}")
    if decisions.location is not coordinator and \
            getattr(decisions.location, "name", None) != "coordinator":
        raise TypeError(f"two_phase_commit must return the decisions at the coordinator; they "
                        f"are at {decisions.location.name}")
    out = decisions.sim_output()

    def body(inst) -> None:
        inst.connect(port).send_many(list(TRANSACTIONS))
        got = inst.connect(out).collect()
        body.runs.append(got)
        check_decisions(got)

    body.runs = []
    return flow, participants, body


def _check_safe_against_duplicates(ns: dict[str, Any]) -> Verdict:
    protocol = ns["two_phase_commit"]
    try:
        flow, participants, body = two_pc_under_test(protocol)
    except TypeError as err:
        if isinstance(err, HydroError):  # a refused program: check() says so
            raise
        return Verdict.fail(str(err))
    sizes = {participants: PARTICIPANTS}
    right: list[str] = []
    # the ordinary run: no faults, every transaction decided as the votes say
    try:
        flow.sim(sizes).run(body)
    except SimFailure as failure:
        return Verdict.fail("even without faults the protocol is unsafe: " +
                            describe_failure(failure, "the ordinary execution"))
    got = body.runs[-1]
    if not got:
        return Verdict.fail("the flow produced no output within the ordinary execution (no "
                            "faults): the coordinator decided nothing for t1, t2, t3. Keep "
                            "returning the decisions (tx, 'commit' | 'abort') as the starter "
                            "does.")
    if dict(got) != EXPECTED:
        return Verdict.fail(f"without faults the coordinator should decide {EXPECTED}, but it "
                            f"decided {dict(got)} (every decision: {got})")
    right.append("without faults it commits t1 and t3 and aborts t2 (participant 1 voted no)")
    # the fuzzed runs: prepares and votes may be delivered twice
    sim = flow.sim(sizes, faults=DUPLICATES)
    try:
        runs = sim.fuzz(body, runs=FUZZ_RUNS, seed=FUZZ_SEED, progress=False)
    except SimFailure as failure:
        return Verdict.fail("with duplicated messages it is not safe: " +
                            describe_failure(failure, "fuzzed executions with duplicates"),
                            right=right)
    right.append(f"in {runs} fuzzed executions where any prepare or vote may arrive twice, no "
                 "transaction was decided twice, t2 never committed and t1, t3 never aborted")
    return Verdict.ok(*right)


STARTER = '''\
from hydro_lab import Order, nondet

def tally(acc, ok):
    """(yes votes, no votes) so far."""
    return (acc[0] + (1 if ok else 0), acc[1] + (0 if ok else 1))

def two_phase_commit(coordinator, participants, transactions, num_participants, vote):
    """The decisions (tx, "commit" | "abort") at the coordinator."""
    membership = nondet("the cluster's membership is fixed for the run")
    prepares = transactions.broadcast(participants, membership)
    votes = (prepares.cross_singleton(participants.self_id())
                     .map(lambda p: (p[0], vote(p[1], p[0]))))
    votes_by_tx = votes.send(coordinator).values().into_keyed()   # tx -> ok

    tick = coordinator.tick()
    pending, prev_votes = tick.cycle("KeyedStream", order=votes_by_tx.order)
    batch = votes_by_tx.batch(tick, nondet("an outcome depends only on the full set of votes"))
    all_votes = prev_votes.chain(batch)
    tallies = all_votes.fold(lambda: (0, 0), tally, commutative="counting votes commutes")
    decided = tallies.filter(lambda t: t[1] > 0 or t[0] == num_participants)
    pending.complete_next_tick(all_votes.filter_key_not_in(decided.keys()))
    return (decided.map(lambda t: "commit" if t[1] == 0 else "abort")
                   .entries()
                   .all_ticks())
'''

SOLUTION = '''\
from hydro_lab import Order, nondet

def tally(acc, voter_ok):
    """(who voted yes, who voted no) so far: a voter counts once, however often it is heard."""
    voter, ok = voter_ok
    yes, no = acc
    return (yes | {voter}, no) if ok else (yes, no | {voter})

def two_phase_commit(coordinator, participants, transactions, num_participants, vote):
    """The decisions (tx, "commit" | "abort") at the coordinator."""
    membership = nondet("the cluster's membership is fixed for the run")
    prepares = transactions.broadcast(participants, membership)
    votes = (prepares.cross_singleton(participants.self_id())
                     .map(lambda p: (p[0], vote(p[1], p[0]))))
    # keep who voted: the votes arrive keyed by their sender's MemberId
    votes_by_tx = (votes.send(coordinator)
                        .entries()                                  # (voter, (tx, ok))
                        .map(lambda e: (e[1][0], (e[0], e[1][1])))  # (tx, (voter, ok))
                        .into_keyed())

    tick = coordinator.tick()
    pending, prev_votes = tick.cycle("KeyedStream", order=votes_by_tx.order)
    done, prev_done = tick.cycle("Stream", order=Order.NO_ORDER)     # decided so far
    batch = (votes_by_tx.batch(tick, nondet("an outcome depends only on the set of voters"))
                        .filter_key_not_in(prev_done))               # late copies: ignored
    all_votes = prev_votes.chain(batch)
    tallies = all_votes.fold(lambda: (frozenset(), frozenset()), tally,
                             commutative="adding voters to sets commutes",
                             idempotent="a voter heard twice is still one voter")
    decided = tallies.filter(lambda t: len(t[1]) > 0 or len(t[0]) == num_participants)
    pending.complete_next_tick(all_votes.filter_key_not_in(decided.keys()))
    done.complete_next_tick(prev_done.chain(decided.keys()))
    return (decided.map(lambda t: "commit" if not t[1] else "abort")
                   .entries()
                   .all_ticks())
'''

SAFE_AGAINST_DUPLICATES = Exercise(
    id="5.1",
    title="safe against duplicated messages",
    task=(
        "The network may deliver a message twice: a prepare reaches a participant twice and it "
        "votes twice, or a vote reaches the coordinator twice. Change `two_phase_commit` so "
        "that no execution with duplicates decides a transaction twice, commits t2 (participant "
        "1 votes no) or aborts t1 or t3, and without faults it still commits t1, t3 and aborts "
        "t2. The checker fuzzes your protocol in the simulator with "
        "`faults={\"duplicate\": [\"coordinator\"], \"max_faults\": 2}` and tells you which "
        "execution broke safety and what the faults did in it."),
    starter=STARTER,
    solution=SOLUTION,
    hints=(
        "Check the starter first and read the execution the checker prints: which message was "
        "delivered twice, and what did the coordinator do with the second copy?",
        "Counting votes is not idempotent: a voter heard twice counts twice. The votes arrive "
        "as a KeyedStream keyed by the sender's MemberId; `.entries()` keeps who voted. Tally "
        "sets of voters (`frozenset`) instead of counts, and say why a repeat does not matter "
        "(`idempotent=`).",
        "A copy that arrives after the decision starts a new tally, and the coordinator "
        "decides again. Remember what is decided in a tick cycle (`tick.cycle(\"Stream\", "
        "order=Order.NO_ORDER)`, completed with itself chained with `decided.keys()`), and "
        "drop the votes of decided transactions with `filter_key_not_in` before tallying.",
    ),
    checker=_check_safe_against_duplicates,
    defines=("two_phase_commit",),
)

EXERCISES: tuple[Exercise, ...] = (SAFE_AGAINST_DUPLICATES,)
"""Chapter 5's exercises, in the order the notebook asks them."""
