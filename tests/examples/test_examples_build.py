"""Every example builds in a fresh flow, compiles (cycles closed, no synchronous cycle) and
returns collections of the kinds and guarantees its docstring promises. Build-only: nothing runs.
"""

from __future__ import annotations

import zlib

import pytest

from hydro_lab import (
    Bound,
    FlowBuilder,
    HydroTypeError,
    MemberId,
    Order,
    Retries,
    nondet,
)
from hydro_lab.examples.chat import chat_server
from hydro_lab.examples.counter import (
    keyed_counter,
    partitioned_counter,
    shard_of,
    single_counter,
    single_counter_atomic,
)
from hydro_lab.examples.map_reduce import print_counts, word_count
from hydro_lab.examples.paxos import (
    Ballot,
    PaxosConfig,
    ballot_zero,
    collect_quorum,
    collect_quorum_with_response,
    paxos_core,
    paxos_with_client,
)

B, U = Bound.BOUNDED, Bound.UNBOUNDED
TO, NO = Order.TOTAL_ORDER, Order.NO_ORDER
EO, ALO = Retries.EXACTLY_ONCE, Retries.AT_LEAST_ONCE


def kind(c):
    """(kind, bound, order, retries) of a collection; order/retries only for streams."""
    name = type(c).__name__
    if name in ("Stream", "KeyedStream"):
        return (name, c.bound, c.order, c.retries)
    return (name, c.bound)


def node_type(flow: FlowBuilder, c) -> str:
    return type(flow.ir()[c.node_id]).__name__


def compiles(flow: FlowBuilder) -> None:
    built = flow.compile()
    assert built.problems == []
    assert built.as_text()
    assert flow.graph().to_dot()


# -- counters ------------------------------------------------------------------------------------

def counter_flow(name: str):
    flow = FlowBuilder(name)
    server, client = flow.process("server"), flow.external("client")
    _, increments = server.source_external(client)
    _, gets = server.source_external(client)
    return flow, server, client, increments.into_keyed(), gets.into_keyed()


@pytest.mark.parametrize("service", [single_counter, single_counter_atomic])
def test_single_counter(service):
    flow, server, client, increments, gets = counter_flow(service.__name__)
    acks, counts = service(server, increments, gets)
    acks.entries().send_external(client)
    counts.entries().send_external(client)
    compiles(flow)
    assert kind(acks) == ("KeyedStream", U, TO, EO)
    assert kind(counts) == ("KeyedStream", U, TO, EO)
    assert acks.location == server and counts.location == server


def test_only_the_atomic_counter_holds_acks_until_counted():
    flow, server, _, increments, gets = counter_flow("naive")
    naive_acks, _ = single_counter(server, increments, gets)
    assert naive_acks.node_id == increments.node_id  # acked as they arrive
    flow, server, _, increments, gets = counter_flow("atomic")
    atomic_acks, _ = single_counter_atomic(server, increments, gets)
    assert node_type(flow, atomic_acks) == "EndAtomic"


def test_keyed_counter():
    flow, server, client, increments, gets = counter_flow("keyed_counter")
    acks, counts = keyed_counter(server, increments, gets)
    acks.entries().send_external(client)
    counts.entries().send_external(client)
    compiles(flow)
    assert kind(acks) == ("KeyedStream", U, TO, EO)
    assert node_type(flow, acks) == "EndAtomic"
    assert kind(counts) == ("KeyedStream", U, NO, EO)  # answers for many keys, merged


def test_partitioned_counter():
    flow, leader, client, increments, gets = counter_flow("partitioned_counter")
    shards = flow.cluster("shards")
    acks, counts = partitioned_counter(leader, shards, increments, gets, num_shards=5)
    acks.entries().send_external(client)
    counts.entries().send_external(client)
    compiles(flow)
    assert kind(acks) == ("KeyedStream", U, NO, EO)
    assert kind(counts) == ("KeyedStream", U, NO, EO)
    assert acks.location == leader and counts.location == leader


def test_shard_of_is_deterministic_and_in_range():
    for key in ["abc", "xyz", 7, ("a", 1)]:
        shard = shard_of(key, "shards", 5)
        assert shard == MemberId("shards", zlib.crc32(str(key).encode()) % 5)
        assert shard == shard_of(key, "shards", 5)
        assert 0 <= shard.raw_id < 5


# -- map-reduce ----------------------------------------------------------------------------------

def test_word_count():
    flow = FlowBuilder("map_reduce")
    leader, mappers, reducer = flow.process("leader"), flow.cluster("mappers"), \
        flow.process("reducer")
    lines = leader.source_iter(["the quick brown fox", "jumps over the lazy dog"])
    counts = word_count(leader, mappers, reducer, lines)
    print_counts(counts, every=0.5)
    compiles(flow)
    assert kind(counts) == ("KeyedSingleton", U)
    assert counts.location == reducer


def test_word_count_needs_ordered_lines():
    flow = FlowBuilder("map_reduce_unordered")
    leader, mappers, reducer = flow.process("leader"), flow.cluster("mappers"), \
        flow.process("reducer")
    lines = leader.source_iter(["a b"]).weaken_ordering()
    with pytest.raises(HydroTypeError, match="round_robin"):
        word_count(leader, mappers, reducer, lines)


# -- chat ----------------------------------------------------------------------------------------

def test_chat():
    flow = FlowBuilder("chat")
    server, clients = flow.process("server"), flow.external("clients")
    port, deliveries = chat_server(server, clients)
    compiles(flow)
    assert port.direction == "bidi"
    assert port.info.output_node is not None  # the replies are completed
    assert kind(deliveries) == ("KeyedStream", U, NO, EO)
    assert deliveries.location == server


# -- paxos ---------------------------------------------------------------------------------------

def test_paxos_with_client():
    flow = FlowBuilder("paxos")
    client = flow.process("client")
    proposers, acceptors = flow.cluster("proposers"), flow.cluster("acceptors")
    payloads = client.source_iter([f"cmd{i}" for i in range(10)])
    committed = paxos_with_client(client, proposers, acceptors, payloads,
                                  PaxosConfig(f=1, i_am_leader_send_timeout=0.5,
                                              i_am_leader_check_timeout=1.0))
    committed.assume_ordering(nondet("test log")).for_each(print)
    compiles(flow)
    assert kind(committed) == ("Stream", U, NO, ALO)
    assert committed.location == client


@pytest.mark.parametrize("f", [1, 2])
def test_paxos_core(f):
    flow = FlowBuilder(f"paxos_core_f{f}")
    proposers, acceptors = flow.cluster("proposers"), flow.cluster("acceptors")
    payloads = proposers.source_interval(0.1, nondet("test load")).enumerate()
    ballots, committed = paxos_core(
        proposers, acceptors, payloads, PaxosConfig(f=f),
        nondet_leader=nondet("test"), nondet_commit=nondet("test"))
    compiles(flow)
    assert kind(ballots) == ("Stream", U, TO, EO)
    assert kind(committed) == ("Stream", U, NO, ALO)
    assert ballots.location == proposers and committed.location == proposers


def test_paxos_core_takes_nondet_tokens():
    flow = FlowBuilder("paxos_tokens")
    proposers, acceptors = flow.cluster("proposers"), flow.cluster("acceptors")
    payloads = proposers.source_iter([1, 2, 3])
    with pytest.raises(HydroTypeError, match="nondet_leader"):
        paxos_core(proposers, acceptors, payloads, PaxosConfig(),
                   nondet_leader="leaders change", nondet_commit=nondet("test"))


def test_ballots_order_by_number_then_proposer():
    flow = FlowBuilder("ballots")
    proposers = flow.cluster("proposers")
    zero = ballot_zero(proposers)
    p0, p1 = MemberId("proposers", 0), MemberId("proposers", 1)
    assert zero == Ballot(0, p0)
    assert Ballot(0, p0) < Ballot(0, p1) < Ballot(1, p0)
    assert max([Ballot(2, p0), Ballot(1, p1), Ballot(2, p1)]) == Ballot(2, p1)


@pytest.mark.parametrize("min_count, max_count", [(2, 3), (2, 2)])
def test_quorums(min_count, max_count):
    flow = FlowBuilder("quorum")
    p = flow.process("p")
    responses = p.source_iter([("a", ("x", True, 1)), ("a", ("y", False, 2)),
                               ("a", ("z", True, 3))]) \
        .weaken_ordering()
    keys = collect_quorum(responses, min_count, max_count)
    with_values = collect_quorum_with_response(responses, min_count, max_count)
    compiles(flow)
    assert kind(keys) == ("Stream", U, NO, EO)
    assert kind(with_values) == ("Stream", U, NO, EO)
