"""Multi-Paxos in the style of Hydro's ``hydro_test/src/cluster/paxos.rs``: proposers sequence
client payloads into numbered slots with a cluster of 2f+1 acceptors.

Leader election (phase 1): proposers broadcast "I am leader" heartbeats while they lead; a proposer
that hears none for a while sends p1a with its ballot ``(num, proposer MemberId)`` to the acceptors
and leads once f+1 of them promise it. Phase 2: the leader recommits the values its quorum had
accepted (holes as ``None``), numbers new payloads after them, broadcasts p2a and reports a slot
committed once f+1 acceptors accepted it. A higher ballot seen anywhere makes a proposer step down.

Non-determinism, exposed to the caller as two tokens as in Hydro: ``nondet_leader`` (which proposer
wins, and when: heartbeats, timeouts and batching) and ``nondet_commit`` (which payloads commit,
and in which slots, while the leader changes: payloads that reach a proposer that is not leading are
dropped). A slot may be reported twice (by an old and a new leader), always with the same value,
so the committed stream is AtLeastOnce. Simplifications: no acceptor log checkpoints (the log grows
forever) and a new leader recommits every slot its quorum reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from hydro_lab import (
    Cluster,
    HydroTypeError,
    MemberId,
    Order,
    Process,
    Retries,
    Stream,
    nondet,
    self_id,
)
from hydro_lab.lang import NonDet


@dataclass(frozen=True)
class PaxosConfig:
    """Hydro's ``PaxosConfig``; times in seconds."""

    f: int = 1
    """How many proposers and acceptors may fail: f+1 proposers, 2f+1 acceptors."""
    i_am_leader_send_timeout: float = 1.0
    """How often the leader sends heartbeats."""
    i_am_leader_check_timeout: float = 2.0
    """How long without heartbeats before a proposer tries to become the leader (and how often
    it checks)."""
    i_am_leader_check_timeout_delay_multiplier: float = 1.0
    """Proposer ``i`` starts checking ``i * multiplier`` seconds late, so proposers do not all
    start elections at once."""


class Ballot(NamedTuple):
    """Ordered by ``(num, proposer_id)``: tuples compare field by field, MemberIds by index."""

    num: int
    proposer_id: MemberId


class LogValue(NamedTuple):
    ballot: Ballot
    value: Any  # None: a hole


class P1b(NamedTuple):
    ballot: Ballot
    ok: bool
    max_ballot: Ballot  # the acceptor's highest ballot (why it refused, when it did)
    log: dict[int, LogValue]


class P2a(NamedTuple):
    ballot: Ballot
    slot: int
    value: Any


class P2b(NamedTuple):
    slot: int
    ballot: Ballot
    ok: bool
    max_ballot: Ballot


def ballot_zero(proposers: Cluster) -> Ballot:
    """The smallest ballot, which every proposer and acceptor starts from."""
    return Ballot(0, MemberId(proposers.name, 0))


# -- closures (plain functions so that graphs show their names and they pickle by reference) -------

def _key(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _value(pair: tuple[Any, Any]) -> Any:
    return pair[1]


def _is_true(b: bool) -> bool:
    return b


def _equal(pair: tuple[Any, Any]) -> bool:
    return pair[0] == pair[1]


def _at_most(pair: tuple[Any, Any]) -> bool:
    return pair[0] <= pair[1]


def _no_senders() -> tuple[frozenset, frozenset]:
    return (frozenset(), frozenset())


def _add_sender(acc: tuple[frozenset, frozenset], answer: tuple[Any, bool]):
    """Who answered ok, who refused: a sender counts once, however often it answered."""
    sender, ok = answer
    return (acc[0] | {sender}, acc[1]) if ok else (acc[0], acc[1] | {sender})


def _sender_ok(response: tuple[Any, tuple[Any, bool, Any]]) -> tuple[Any, tuple[Any, bool]]:
    key, (sender, ok, _value) = response
    return (key, (sender, ok))


def _reached(min_count: int) -> Callable[[tuple[frozenset, frozenset]], bool]:
    def reached(acc: tuple[frozenset, frozenset]) -> bool:
        return len(acc[0]) >= min_count
    return reached


def _short_of(min_count: int) -> Callable[[tuple[frozenset, frozenset]], bool]:
    def short_of(acc: tuple[frozenset, frozenset]) -> bool:
        return len(acc[0]) < min_count
    return short_of


def _heard_from_all(max_count: int) -> Callable[[tuple[frozenset, frozenset]], bool]:
    def heard(acc: tuple[frozenset, frozenset]) -> bool:
        return len(acc[0] | acc[1]) >= max_count
    return heard


def _response_ok(response: tuple[Any, tuple[Any, bool, Any]]) -> bool:
    return response[1][1]


def _response_value(response: tuple[Any, tuple[Any, bool, Any]]) -> tuple[Any, Any]:
    key, (_sender, _ok, value) = response
    return (key, value)


def _next_ballot_num(pair: tuple[Ballot, int]) -> int:
    received_max, num = pair
    if received_max > Ballot(num, self_id()):
        return received_max.num + 1
    return num


def _my_ballot(num: int) -> Ballot:
    return Ballot(num, self_id())


class _StartDelay:
    """Skips the check timer's firings during the first ``member index * multiplier`` seconds
    (Hydro's ``source_interval_delayed``); a class so it pickles by value."""

    def __init__(self, interval: float, multiplier: float):
        self.interval = interval
        self.multiplier = multiplier

    def __call__(self, indexed_firing: tuple[int, Any]) -> bool:
        index, _ = indexed_firing
        return (index + 1) * self.interval >= self_id().get_raw_id() * self.multiplier

    def __repr__(self) -> str:
        return f"after member index * {self.multiplier:g}s"


def _p1b(entry: tuple[tuple[Ballot, Ballot], dict]) -> tuple[MemberId, P1b]:
    (ballot, max_ballot), log = entry
    ok = ballot == max_ballot
    return (ballot.proposer_id, P1b(ballot, ok, max_ballot, log if ok else {}))


def _p2a_accepted(pair: tuple[P2a, Ballot]) -> bool:
    p2a, max_ballot = pair
    return p2a.ballot >= max_ballot


def _p2b(pair: tuple[P2a, Ballot]) -> tuple[MemberId, P2b]:
    p2a, max_ballot = pair
    ok = p2a.ballot >= max_ballot
    return (p2a.ballot.proposer_id, P2b(p2a.slot, p2a.ballot, ok, max_ballot))


def _log_entry(pair: tuple[P2a, Ballot]) -> tuple[int, LogValue]:
    p2a, _ = pair
    return (p2a.slot, LogValue(p2a.ballot, p2a.value))


def _p2a_ballot(pair: tuple[P2a, Ballot]) -> Ballot:
    return pair[0].ballot


def _higher_ballot(a: LogValue, b: LogValue) -> LogValue:
    return b if b.ballot > a.ballot else a


def _empty_log() -> dict[int, LogValue]:
    return {}


def _log_insert(log: dict[int, LogValue], entry: tuple[int, LogValue]) -> dict[int, LogValue]:
    slot, value = entry
    if slot not in log or value.ballot > log[slot].ballot:
        log[slot] = value
    return log


def _merge_logs(pair: tuple[dict[int, LogValue], dict[int, LogValue]]) -> dict[int, LogValue]:
    old, new = pair
    if not new:
        return old
    merged = dict(old)
    for entry in new.items():
        _log_insert(merged, entry)
    return merged


def _log_entries(log: dict[int, LogValue]) -> list[tuple[int, LogValue]]:
    return list(log.items())


def _p1b_failed(p1b: P1b) -> bool:
    return not p1b.ok


def _p1b_response(entry: tuple[MemberId, P1b]) -> tuple[Ballot, tuple[MemberId, bool, dict]]:
    acceptor, p1b = entry
    return (p1b.ballot, (acceptor, p1b.ok, p1b.log))


def _p2b_failed(p2b: P2b) -> bool:
    return not p2b.ok


def _p2b_response(entry: tuple[MemberId, P2b]) -> tuple[tuple[int, Ballot],
                                                       tuple[MemberId, bool, None]]:
    acceptor, p2b = entry
    return ((p2b.slot, p2b.ballot), (acceptor, p2b.ok, None))


def _max_ballot(msg: P1b | P2b) -> Ballot:
    return msg.max_ballot


def _quorum_for_my_ballot(pair: tuple[tuple[Ballot, dict], Ballot]) -> bool:
    (ballot, _log), mine = pair
    return ballot == mine


def _quorum_log(pair: tuple[tuple[Ballot, dict], Ballot]) -> dict:
    return pair[0][1]


def _slots_below(max_slot: int) -> range:
    return range(max_slot)


def _hole(slot: int) -> tuple[int, None]:
    return (slot, None)


def _recommitted(entry: tuple[int, LogValue]) -> tuple[int, Any]:
    slot, log_value = entry
    return (slot, log_value.value)


def _after(slot: int) -> int:
    return slot + 1


def _slotted(pair: tuple[tuple[int, Any], int]) -> tuple[int, Any]:
    (index, payload), base_slot = pair
    return (base_slot + index, payload)


def _sum(pair: tuple[int, int]) -> int:
    return pair[0] + pair[1]


def _with_ballot(pair: tuple[tuple[int, Any], Ballot]) -> tuple[tuple[int, Ballot], Any]:
    (slot, value), ballot = pair
    return ((slot, ballot), value)


def _to_p2a(proposal: tuple[tuple[int, Ballot], Any]) -> P2a:
    (slot, ballot), value = proposal
    return P2a(ballot, slot, value)


def _unit(key: Any) -> tuple[Any, None]:
    return (key, None)


def _committed(entry: tuple[tuple[int, Ballot], tuple[Any, None]]) -> tuple[int, Any]:
    (slot, _ballot), (value, _) = entry
    return (slot, value)


def _still_current(pair: tuple[tuple[tuple[int, Ballot], Any], Ballot]) -> bool:
    ((_slot, ballot), _value), mine = pair
    return ballot == mine


# -- quorums (hydro_std::quorum) ---------------------------------------------------------------

def _quorum_tick(responses: Stream, min_count: int, max_count: int, tick=None):
    """The tick-level core of the two quorum collectors below: ``(just_reached_keys,
    just_reached_responses)`` in ``tick`` (default: a new tick of the responses' location).
    All the responses of a key that reaches its quorum come out in the same tick."""
    tick = tick if tick is not None else responses.location.tick()
    pending_handle, pending = tick.cycle("Stream", order=Order.NO_ORDER)
    current = pending.chain(responses.batch(tick, nondet(
        "responses of a key that has not reached its quorum are kept for the next tick, so "
        "batch boundaries do not change which keys reach it")))
    answered = (current.map(_sender_ok)
                       .into_keyed()
                       .fold(_no_senders, _add_sender,
                             commutative="adding senders to sets commutes",
                             idempotent="a sender that answers twice (a re-sent request) is "
                                        "still one sender"))
    reached = answered.filter(_reached(min_count)).keys()
    not_reached = answered.filter(_short_of(min_count)).keys()
    if min_count == max_count:
        pending_handle.complete_next_tick(current.anti_join(reached))
        return reached, current.anti_join(not_reached)
    reported_handle, reported = tick.cycle("Stream", order=Order.NO_ORDER)
    heard_from_all = answered.filter(_heard_from_all(max_count)).keys()
    reported_handle.complete_next_tick(reached.filter_not_in(heard_from_all))
    pending_handle.complete_next_tick(current.anti_join(heard_from_all))
    return (reached.filter_not_in(reported),
            current.anti_join(not_reached).anti_join(reported))


def collect_quorum(responses: Stream, min_count: int, max_count: int) -> Stream:
    """``responses``: a top-level Stream of ``(key, (sender, ok, value))``. Returns each key
    once, when ``min_count`` distinct senders answered it ok (out of at most ``max_count``):
    a NoOrder Stream. A sender counts once per key however often it answered: a request
    re-sent after a timeout is answered again by the same acceptor, which must not make a
    quorum on its own. (hydro_std counts responses; the simulator found that a timer firing
    while p1b messages are slow lets two answers of one acceptor elect a leader whose log
    misses a committed slot.)"""
    keys, _ = _quorum_tick(responses, min_count, max_count)
    return keys.all_ticks()


def collect_quorum_with_response(responses: Stream, min_count: int, max_count: int) -> Stream:
    """Like :func:`collect_quorum`, but returns ``(key, value)`` for every ok response of a key
    that has just reached its quorum (at least ``min_count`` of them, in one tick)."""
    _, reached = _quorum_tick(responses, min_count, max_count)
    return reached.filter(_response_ok).map(_response_value).all_ticks()


# -- the protocol ------------------------------------------------------------------------------

def paxos_core(proposers: Cluster, acceptors: Cluster,
               payloads: Stream | Callable[[Stream], Stream], config: PaxosConfig,
               nondet_leader: NonDet, nondet_commit: NonDet) -> tuple[Stream, Stream]:
    """Sequence ``payloads`` with ``2f+1`` acceptors.

    ``payloads`` is a TotalOrder Stream at the proposers, or (as in Hydro) a function from the
    stream of newly elected ballots to that stream, for clients that follow the leader. Payloads
    that reach a proposer while it is not the leader are dropped.

    Returns ``(new_ballots, committed)`` at the proposers: the ballot of each proposer every time it
    becomes the leader (TotalOrder), and the committed ``(slot, value)`` pairs (``value`` None for a
    hole; NoOrder, AtLeastOnce: a slot may be reported again by a later leader, with the same
    value).
    """
    for name, token in (("nondet_leader", nondet_leader), ("nondet_commit", nondet_commit)):
        if not isinstance(token, NonDet):
            raise HydroTypeError(f'paxos_core: {name} must be a nondet("reason") token, got '
                                 f"{type(token).__name__}.\n  Fix: pass nondet(\"why the "
                                 "caller accepts it\").", op="paxos_core")
    f = config.f
    quorum, participants = f + 1, 2 * f + 1
    zero = ballot_zero(proposers)
    proposer_tick = proposers.tick()
    acceptor_tick = acceptors.tick()

    # Forward references: what the proposers learn from their own later messages.
    p1b_fail_handle, p1b_fail = proposers.forward_ref(order=Order.NO_ORDER)
    p2b_fail_handle, p2b_fail = proposers.forward_ref(order=Order.NO_ORDER)
    heartbeats_handle, heartbeats = proposers.forward_ref(
        order=Order.NO_ORDER, retries=Retries.AT_LEAST_ONCE)
    is_leader_handle, is_leader_ref = proposer_tick.forward_ref("Optional")

    # -- leader election: this proposer's ballot ---------------------------------------------
    received_max = (p1b_fail.interleave(p2b_fail)
                            .interleave(heartbeats)
                            .max()
                            .unwrap_or(proposers.singleton(zero))
                            .snapshot(proposer_tick, nondet(
                                "a stale max ballot may delay becoming the leader or stepping "
                                f"down; which proposer leads is non-deterministic anyway "
                                f"({nondet_leader.reason})")))
    num_handle, prev_num = proposer_tick.cycle_with_initial(0)
    ballot_num = received_max.zip(prev_num).map(_next_ballot_num)
    num_handle.complete_next_tick(ballot_num)
    p_ballot = ballot_num.map(_my_ballot)
    has_largest_ballot = received_max.zip(p_ballot).filter(_at_most)

    # -- heartbeats and leader expiry ----------------------------------------------------------
    i_am_leader = (p_ballot.filter_if_some(is_leader_ref)
                           .latest()
                           .sample_every(config.i_am_leader_send_timeout, nondet(
                               "late heartbeats may start an election while the leader is alive; "
                               f"that only changes who leads ({nondet_leader.reason})"))
                           .broadcast(proposers, nondet(
                               "proposers that join or leave may miss a heartbeat, which only "
                               f"changes who leads ({nondet_leader.reason})"))
                           .values())
    heartbeats_handle.complete(i_am_leader)
    leader_expired = (i_am_leader.timeout(config.i_am_leader_check_timeout, nondet(
                          "a timeout that fires late or early only changes who wins the "
                          f"re-election ({nondet_leader.reason})"))
                      .snapshot(proposer_tick, nondet("absorbed into the timeout"))
                      .filter_if_none(is_leader_ref))
    check_timer = (proposers.source_interval(config.i_am_leader_check_timeout, nondet(
                       f"when proposers check for an expired leader ({nondet_leader.reason})"))
                   .enumerate()
                   .filter(_StartDelay(config.i_am_leader_check_timeout,
                                       config.i_am_leader_check_timeout_delay_multiplier))
                   .batch(proposer_tick, nondet("absorbed into the timer"))
                   .first())
    start_election = leader_expired.filter_if_some(check_timer)

    # -- phase 1 at the acceptors ---------------------------------------------------------------
    p1a = (p_ballot.filter_if_some(start_election)
                   .all_ticks()
                   .broadcast(acceptors, nondet(
                       "an acceptor that joins or leaves may miss a p1a; a quorum still decides "
                       f"({nondet_leader.reason})"))
                   .values())
    p1a_batch = p1a.batch(acceptor_tick, nondet(
        "a p1a batched with a higher ballot is refused; payloads may be dropped while leaders "
        f"change ({nondet_commit.reason})"))

    # -- phase 2 input at the acceptors (p2a comes from the proposers, further below) ----------
    p2a_handle, p2a = acceptors.forward_ref(order=Order.NO_ORDER)
    p2a_batch = p2a.batch(acceptor_tick, nondet(
        "the log is updated before the p2a is acknowledged, and entries merge by highest "
        "ballot, so batch boundaries do not change the log"))

    max_handle, prev_max = acceptor_tick.cycle_with_initial(zero)
    promised = p1a_batch.chain(prev_max.into_stream()).max().unwrap_or(prev_max)
    checked_p2a = p2a_batch.cross_singleton(promised)
    accepted = checked_p2a.filter(_p2a_accepted)
    max_handle.complete_next_tick(
        accepted.map(_p2a_ballot)
                .chain(promised.into_stream()).max().unwrap_or(promised))

    log_handle, prev_log = acceptor_tick.cycle_with_initial({})
    new_entries = accepted.map(_log_entry).fold(
        _empty_log, _log_insert, commutative="per slot the entry with the highest ballot wins, "
        "whatever the order (a proposer proposes one value per slot and ballot)")
    a_log = prev_log.zip(new_entries).map(_merge_logs)
    log_handle.complete_next_tick(a_log)

    p1b_from = (p1a_batch.cross_singleton(promised)    # (acceptor, P1b) at the proposer
                         .cross_singleton(a_log)
                         .map(_p1b)
                         .all_ticks()
                         .demux(proposers)
                         .entries())
    p2b_from = (checked_p2a.map(_p2b)
                           .all_ticks()
                           .demux(proposers)
                           .entries())
    p1b, p2b = p1b_from.map(_value), p2b_from.map(_value)

    # -- phase 1 at the proposers: who leads -----------------------------------------------------
    p1b_fail_handle.complete(p1b.filter(_p1b_failed).map(_max_ballot))
    # The quorum is counted in the proposer's own tick, so that every log of the quorum is
    # seen in the tick the proposer becomes leader. (Re-batching collect_quorum_with_response's
    # output into the proposer's tick, as an earlier version did, may split the quorum's logs
    # over two ticks: the simulator found a leader that recovered from one acceptor's log only
    # and filled a committed slot with a hole. Hydro keeps them together with atomic().)
    _, p1b_reached = _quorum_tick(p1b_from.map(_p1b_response), quorum, participants,
                                  tick=proposer_tick)
    quorum_batch = p1b_reached.filter(_response_ok).map(_response_value)
    quorum_ballot_handle, prev_quorum_ballot = proposer_tick.cycle("Optional")
    quorum_ballot = (quorum_batch.map(_key)
                                 .chain(prev_quorum_ballot.into_stream())
                                 .max())
    quorum_ballot_handle.complete_next_tick(quorum_ballot)
    is_leader = (quorum_ballot.zip(p_ballot)
                              .filter(_equal)
                              .filter_if_some(has_largest_ballot))
    is_leader_handle.complete(is_leader)
    just_became_leader = is_leader.filter_if_none(is_leader.defer_tick())
    new_ballots = p_ballot.filter_if_some(just_became_leader).all_ticks()

    # -- phase 2 at the proposers: recommit, then number new payloads ---------------------------
    if not isinstance(payloads, Stream):
        payloads = payloads(new_ballots)
    quorum_logs = (quorum_batch.cross_singleton(p_ballot)
                               .filter(_quorum_for_my_ballot)
                               .map(_quorum_log)
                               .filter_if_some(just_became_leader))
    highest = (quorum_logs.flat_map_unordered(_log_entries)
                          .into_keyed()
                          .reduce(_higher_ballot, commutative="the entry with the highest ballot "
                                  "wins, whatever the order"))
    max_slot = highest.keys().max()
    holes = max_slot.flat_map_ordered(_slots_below).filter_not_in(highest.keys()).map(_hole)
    recommit = highest.entries().map(_recommitted).chain(holes)

    payload_batch = payloads.batch(proposer_tick, nondet(
        "which payloads share a tick with a leader change decides which are dropped and which "
        f"slots they get ({nondet_commit.reason})")).filter_if_some(is_leader)
    next_slot_handle, prev_next_slot = proposer_tick.cycle_with_initial(0)
    base_slot = max_slot.map(_after).unwrap_or(prev_next_slot)
    numbered = payload_batch.enumerate().cross_singleton(base_slot).map(_slotted)
    next_slot_handle.complete_next_tick(numbered.count().zip(base_slot).map(_sum))

    proposals = (numbered.chain(recommit)
                         .cross_singleton(p_ballot)
                         .map(_with_ballot)
                         .filter_if_some(is_leader))
    p2a_handle.complete(proposals.all_ticks()
                                 .map(_to_p2a)
                                 .broadcast(acceptors, nondet(
                                     "an acceptor that joins or leaves may miss a p2a; a quorum "
                                     f"still decides ({nondet_commit.reason})"))
                                 .values())

    # -- commits: f+1 acceptors accepted (slot, ballot) ----------------------------------------
    p2b_fail_handle.complete(p2b.filter(_p2b_failed).map(_max_ballot))
    committed_keys = (collect_quorum(p2b_from.map(_p2b_response), quorum, participants)
                      .batch(proposer_tick, nondet(
                          "a commit seen a tick later is reported a tick later"))
                      .map(_unit))
    in_flight_handle, prev_in_flight = proposer_tick.cycle("Stream", order=Order.NO_ORDER)
    in_flight = prev_in_flight.chain(proposals)
    committed = in_flight.join(committed_keys).map(_committed).all_ticks().weaken_retries()
    in_flight_handle.complete_next_tick(
        in_flight.anti_join(committed_keys.map(_key))
                 .cross_singleton(p_ballot)
                 .filter(_still_current)
                 .map(_key))
    return new_ballots, committed


def _to_leader(pair: tuple[Any, Ballot]) -> tuple[MemberId, Any]:
    payload, leader = pair
    return (leader.proposer_id, payload)


def paxos_with_client(client: Process, proposers: Cluster, acceptors: Cluster,
                      payloads: Stream, config: PaxosConfig | None = None) -> Stream:
    """Paxos behind a client process: ``payloads`` (a TotalOrder Stream at ``client``) wait at
    the client until a leader is known and then go to the latest leader.

    Returns the committed ``(slot, value)`` pairs at the client (NoOrder, AtLeastOnce).
    """
    return paxos_with_client_ballots(client, proposers, acceptors, payloads, config)[1]


def paxos_with_client_ballots(client: Process, proposers: Cluster, acceptors: Cluster,
                              payloads: Stream, config: PaxosConfig | None = None
                              ) -> tuple[Stream, Stream]:
    """``paxos_with_client``, also giving who leads: ``(ballots, committed)``, ``ballots`` at
    the proposers (the ballot of each proposer every time it becomes the leader; send it where
    it should be seen), ``committed`` the ``(slot, value)`` pairs at the client."""
    config = config or PaxosConfig()
    elected: dict[str, Stream] = {}

    def to_proposers(new_ballots: Stream) -> Stream:
        elected["ballots"] = new_ballots
        leader = new_ballots.send(client).values().max()
        tick = client.tick()
        waiting_handle, waited = tick.cycle("Stream")
        waiting = waited.chain(payloads.batch(tick, nondet(
            "payloads wait for a leader; batching only changes when they are sent")))
        current_leader = leader.snapshot(tick, nondet(
            "payloads sent to a leader that has just been replaced are dropped, which the "
            "service allows"))
        waiting_handle.complete_next_tick(waiting.filter_if_none(current_leader))
        return (waiting.cross_singleton(current_leader)
                       .map(_to_leader)
                       .all_ticks()
                       .demux(proposers))

    _, committed = paxos_core(
        proposers, acceptors, to_proposers, config,
        nondet_leader=nondet("which proposer leads, and when, is not part of the contract"),
        nondet_commit=nondet("payloads sent while the leader changes may be dropped; committed "
                             "slots never change"),
    )
    return elected["ballots"], committed.send(client).values()


def agreement_check(name: str = "paxos", payloads: tuple = ("a", "b", "c"),
                    config: PaxosConfig | None = None):
    """Paxos behind a client for the simulator, and a test body that checks agreement.

    Returns ``(flow, proposers, acceptors, body)``. ``body(inst)`` waits 5 virtual seconds (a
    leader is most likely elected by then), sends ``payloads``, waits 15 more, and asserts that
    no slot holds two values and no payload is invented or committed in two slots (``None`` is
    a hole a new leader filled). It appends the number of committed slots to
    ``body.committed``. Run it with ``flow.sim({proposers: 2, acceptors: 3}, faults=...)``.
    """
    from hydro_lab import FlowBuilder

    flow = FlowBuilder(name)
    client = flow.process("client")
    proposers, acceptors = flow.cluster("proposers"), flow.cluster("acceptors")
    port, sent = client.sim_input()
    config = config or PaxosConfig(i_am_leader_send_timeout=1.0, i_am_leader_check_timeout=2.0)
    out = paxos_with_client(client, proposers, acceptors, sent, config).sim_output()
    expected = set(payloads)

    def body(inst) -> None:
        inst.advance(5)
        inst.connect(port).send_many(list(payloads))
        inst.advance(15)
        slots: dict[int, set] = {}
        for slot, value in inst.connect(out).collect():
            slots.setdefault(slot, set()).add(value)
        assert all(len(v) == 1 for v in slots.values()), f"slots disagree: {slots}"
        values = [v for vs in slots.values() for v in vs if v is not None]
        assert set(values) <= expected and len(values) == len(set(values)), \
            f"a payload was invented or committed in two slots: {slots}"
        body.committed.append(len(slots))

    body.committed = []
    return flow, proposers, acceptors, body
