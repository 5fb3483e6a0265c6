"""Two-phase commit: a coordinator process and a cluster of participants.

Phase 1: the coordinator broadcasts each transaction; every participant votes and sends its vote
back. The votes of different participants arrive as a NoOrder merge, so the coordinator tallies
them with a commutative fold per transaction, in a tick, keeping undecided tallies for the next
tick with a tick cycle. A transaction commits when all ``num_participants`` voted yes and aborts on
the first no. Phase 2: the decision is broadcast to the participants, which acknowledge it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hydro_lab import Cluster, Process, nondet


def _tally(acc: tuple[int, int], ok: bool) -> tuple[int, int]:
    return (acc[0] + (1 if ok else 0), acc[1] + (0 if ok else 1))


def two_phase_commit(coordinator: Process, participants: Cluster, transactions,
                     num_participants: int, vote: Callable[[Any, Any], bool]):
    """``transactions``: a Stream of transaction ids at the coordinator. ``vote(member, tx)`` is
    each participant's yes/no. Returns the decisions ``(tx, "commit" | "abort")`` at the
    coordinator and the acknowledgements ``(tx, decision)`` the participants sent back."""
    membership = nondet("the cluster's membership is fixed for the run")
    prepares = transactions.broadcast(participants, membership)
    votes = (prepares.cross_singleton(participants.self_id())
                     .map(lambda p: (p[0], vote(p[1], p[0]))))
    votes_by_tx = votes.send(coordinator).values().into_keyed()

    tick = coordinator.tick()
    pending, prev_votes = tick.cycle("KeyedStream", order=votes_by_tx.order)
    batch = votes_by_tx.batch(tick, nondet("a transaction's outcome depends only on its full set "
                                           "of votes, whatever ticks they arrive in"))
    all_votes = prev_votes.chain(batch)
    tallies = all_votes.fold(lambda: (0, 0), _tally, commutative="counting votes commutes")
    decided = tallies.filter(lambda t: t[1] > 0 or t[0] == num_participants)
    pending.complete_next_tick(all_votes.filter_key_not_in(decided.keys()))
    decisions = (decided.map(lambda t: "commit" if t[1] == 0 else "abort")
                        .entries()
                        .all_ticks())

    acks = (decisions.broadcast(participants, membership)
                     .send(coordinator)
                     .values())
    return decisions, acks
