"""Every example RUNS, on each backend (the ``backend`` fixture: local and Ray), and its results
are checked.

Deterministic and fast: flows are driven with ``d.step()`` in the caller (exact rounds on both
backends, no background thread), time-based operators read a fake clock the test advances itself
(the driver passes its value to every tick), and randomness is seeded where it runs in this
process. Where a result depends on timing by design (which proposer leads), only the contract is
asserted.

On Ray user closures run in the actors' processes, so results are observed only through what comes
back to the driver: ``dest_sink(list)``, external ports, and ``metrics()``, read once the
deployment has stopped (see ``finished_metrics``).
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from contextlib import contextmanager

import pytest

from hydro_lab import FlowBuilder, MemberId, nondet, self_id
from hydro_lab.errors import HydroDeployError
from hydro_lab.examples import counter as counter_module
from hydro_lab.examples.chat import chat_server
from hydro_lab.examples.counter import (
    keyed_counter,
    partitioned_counter,
    shard_of,
    single_counter_atomic,
)
from hydro_lab.examples.echo import echo_capitalize
from hydro_lab.examples.estimate_pi import estimate_pi
from hydro_lab.examples.map_reduce import word_count
from hydro_lab.examples.paxos import PaxosConfig, paxos_with_client
from hydro_lab.examples.two_pc import two_phase_commit

TEST_ORDER = nondet("test: collected for assertions that do not depend on the order")


class MetricNotRecorded(LookupError):
    """The deployment recorded no row at all of a metric (not an assertion failure)."""


def backends(*ray_marks):
    """The ``backend`` fixture's parameters, with extra marks on the Ray case."""
    return pytest.mark.parametrize(
        "backend", ["local", pytest.param("ray", marks=[pytest.mark.ray, *ray_marks])],
        indirect=True)


class FakeClock:
    """A clock for ``deploy(clock=...)``: seconds that pass only when the test says so. It lives
    in the driver (this process) on every backend: the driver reads it once per round."""

    def __init__(self, start: float = 0.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextmanager
def deployed(flow: FlowBuilder, backend: str, cluster_sizes=None, clock=None):
    """A deployment driven only by the test's ``step()`` calls (never started in the background),
    stopped at the end."""
    d = flow.deploy(backend, cluster_sizes=cluster_sizes, clock=clock or FakeClock())
    try:
        yield d
    finally:
        d.stop()


def finished_metrics(d):
    """``d.metrics()`` of a stopped deployment. On Ray an actor sends its metrics rows to the
    driver after its tick, and ``step()`` does not wait for them (only for sink and port outputs),
    so the last round's rows may be missing right after ``step()``; ``stop()`` waits for the
    actors, so read them after it."""
    assert d.state == "stopped"
    return d.metrics()


def _totals(df, metric: str, location: str, key_pattern: str, max_tick: int | None) -> dict:
    rows = df[(df.metric == metric) & (df.location == location)
              & df.key.str.contains(key_pattern, regex=True)]
    if max_tick is not None:
        rows = rows[rows.tick <= max_tick]
    totals: dict = defaultdict(int)
    for member, value in zip(rows.member, rows.value, strict=True):
        totals[None if member is None or member != member else int(member)] += int(value)
    return dict(totals)


def messages(df, metric: str, location: str, channel: str, max_tick: int | None = None) -> dict:
    """``{member: total}`` of a ``messages_in``/``messages_out`` metric at ``location`` in the
    metrics frame ``df``, summed over the channels whose name contains ``channel`` (e.g.
    ``"workers->leader"``) and, with ``max_tick``, over the ticks up to it (``messages_in`` is
    recorded at the tick that consumes the messages); a process's member is ``None``. Raises
    ``MetricNotRecorded`` when ``df`` has no row of ``metric`` at all."""
    if not (df.metric == metric).any():
        raise MetricNotRecorded(f"no {metric!r} rows in metrics() (metrics recorded: "
                                f"{sorted(set(df.metric))})")
    return _totals(df, metric, location, re.escape(channel), max_tick)


def received(df, location: str, channel: str, max_tick: int | None = None) -> dict:
    """``{member: total}`` of the elements the receiving operators (``recv <channel>``) at
    ``location`` produced: the messages each instance consumed, from ``elements_out``."""
    return _totals(df, "elements_out", location, r"^recv [^ ]*" + re.escape(channel), max_tick)


# -- echo ----------------------------------------------------------------------------------------

def test_echo_capitalizes_in_order_and_takes_one_client(backend):
    flow = FlowBuilder("echo")
    server, client = flow.process("server"), flow.external("client")
    in_port, out_port = echo_capitalize(server, client)
    with deployed(flow, backend) as d:
        sender, receiver = d.connect(in_port), d.connect(out_port)
        sender.send_many(["hello", "world"])
        # recv drives the flow itself when nothing runs in the background
        assert [receiver.recv(timeout=5), receiver.recv(timeout=5)] == ["HELLO", "WORLD"]
        sender.send("again")
        d.step(2)
        assert receiver.recv_all() == ["AGAIN"]
        assert d.connect(in_port) is sender  # one client: connecting again gives it back
        d.step(2)
        assert receiver.recv_all() == []  # nothing echoed twice


def test_echo_in_the_background(backend):
    """The documented pattern: a started deployment (context manager) and blocking ``recv``."""
    flow = FlowBuilder("echo_bg")
    server, client = flow.process("server"), flow.external("client")
    in_port, out_port = echo_capitalize(server, client)
    with flow.deploy(backend) as d:
        sender, receiver = d.connect(in_port), d.connect(out_port)
        words = ["hello", "world", "from", "a", "thread"]
        for w in words:
            sender.send(w)
        assert [receiver.recv(timeout=10) for _ in words] == [w.upper() for w in words]
    assert d.state == "stopped"


# -- estimate_pi -------------------------------------------------------------------------------

@backends()
def test_estimate_pi_sums_both_workers_and_converges(backend):
    # The workers draw from the global generator of the process they run in: this one locally,
    # their own on Ray. Nothing asserted below depends on the draws beyond the statistics.
    random.seed(1234)
    batch_size, rounds = 2500, 10
    flow = FlowBuilder("estimate_pi")
    leader, workers = flow.process("leader"), flow.cluster("workers")
    total = estimate_pi(leader, workers, batch_size=batch_size)
    samples: list[tuple[int, int]] = []
    total.sample_every(1.0, nondet("test: sampled when the fake clock says")).dest_sink(samples)
    clock = FakeClock()
    with deployed(flow, backend, {workers: 2}, clock) as d:
        d.step(rounds)             # the sampler fired in tick 0 (nothing yet), then not again
        assert samples == []
        clock.advance(1.0)
        d.step(1)                  # the leader's tick `rounds` samples its total
        assert len(samples) == 1
        inside, count = samples[0]
    df = finished_metrics(d)
    sent = messages(df, "messages_out", "workers", "workers->leader")
    # the leader sampled in its tick `rounds`: what it had consumed by then
    consumed = received(df, "leader", "workers->leader", max_tick=rounds)

    # each worker sent one (inside, total) per tick, and both ticked every round
    assert sent == {0: rounds + 1, 1: rounds + 1}
    # the leader's total is the sum of every batch it received from both workers: one per
    # worker tick before the last round (the last round's batches are queued for its next tick)
    assert consumed == {None: 2 * rounds}
    assert count == 2 * rounds * batch_size
    assert count % batch_size == 0 and 0 <= inside <= count
    assert count >= 50_000
    assert abs(4 * inside / count - math.pi) < 0.2
    # the same, from the metric the receiver records
    assert messages(df, "messages_in", "leader", "workers->leader", max_tick=rounds) == consumed


def test_estimate_pi_leader_total_is_the_sum_of_the_ticks_it_received(backend):
    """Per tick (snapshot + all_ticks): the leader's running total grows by exactly the batches
    that arrived, ``2 * batch_size`` per tick once both workers' batches flow in."""
    random.seed(99)
    batch_size = 64
    flow = FlowBuilder("estimate_pi_ticks")
    leader, workers = flow.process("leader"), flow.cluster("workers")
    total = estimate_pi(leader, workers, batch_size=batch_size)
    per_tick: list = []
    (total.snapshot(leader.tick(), nondet("test: every tick's running total"))
          .all_ticks()
          .dest_sink(per_tick))
    with deployed(flow, backend, {workers: 2}) as d:
        d.step(20)
    totals = [t for _, t in per_tick]
    assert totals == [2 * batch_size * k for k in range(1, 20)]  # tick 0 had nothing yet
    assert all(0 <= i <= t for i, t in per_tick)
    assert [i for i, _ in per_tick] == sorted(i for i, _ in per_tick)  # never decreases


# -- counters -----------------------------------------------------------------------------------

def counter_flow(name: str):
    flow = FlowBuilder(name)
    server, client = flow.process("server"), flow.external("client")
    inc_port, increments = server.source_external(client)
    get_port, gets = server.source_external(client)
    return flow, server, client, inc_port, get_port, increments.into_keyed(), gets.into_keyed()


def connect_counter(d, ports):
    return [d.connect(p) for p in ports]


def test_single_counter_atomic_get_sees_acked_increments(backend):
    flow, server, client, inc_port, get_port, increments, gets = counter_flow("atomic")
    acks, counts = single_counter_atomic(server, increments, gets)
    ack_port = acks.entries().send_external(client)
    count_port = counts.entries().send_external(client)
    with deployed(flow, backend) as d:
        inc, get, ack, cnt = connect_counter(d, [inc_port, get_port, ack_port, count_port])
        get.send(("c1", None))
        d.step(1)
        assert cnt.recv_all() == [("c1", 0)]

        inc.send_many([("c1", "+1"), ("c2", "+1"), ("c1", "+1")])
        d.step(1)
        assert ack.recv_all() == [("c1", "+1"), ("c2", "+1"), ("c1", "+1")]
        get.send_many([("c1", None), ("c2", None)])  # after the acks: must see all three
        d.step(1)
        assert cnt.recv_all() == [("c1", 3), ("c2", 3)]

        # an increment and a get in the same tick: the atomic count already includes it
        inc.send(("c3", "+1"))
        get.send(("c3", None))
        d.step(1)
        assert ack.recv_all() == [("c3", "+1")]
        assert cnt.recv_all() == [("c3", 4)]
        d.step(3)
        assert ack.recv_all() == [] and cnt.recv_all() == []  # each answered once


def test_keyed_counter_counts_per_key_and_zero_for_unknown_keys(backend):
    flow, server, client, inc_port, get_port, increments, gets = counter_flow("keyed")
    acks, counts = keyed_counter(server, increments, gets)
    ack_port = acks.entries().send_external(client)
    count_port = counts.entries().send_external(client)
    with deployed(flow, backend) as d:
        inc, get, ack, cnt = connect_counter(d, [inc_port, get_port, ack_port, count_port])
        incs = [("c1", "a"), ("c2", "a"), ("c1", "b"), ("c3", "a")]
        inc.send_many(incs)
        d.step(1)
        assert ack.recv_all() == incs
        get.send_many([("c1", "a"), ("c2", "b"), ("c3", "never")])
        d.step(1)
        assert sorted(cnt.recv_all()) == [("c1", ("a", 3)), ("c2", ("b", 1)),
                                          ("c3", ("never", 0))]
        inc.send_many([("c2", "b"), ("c2", "never")])
        d.step(1)
        get.send_many([("c1", "b"), ("c1", "never"), ("c1", "a")])
        d.step(1)
        assert sorted(cnt.recv_all()) == [("c1", ("a", 3)), ("c1", ("b", 2)),
                                          ("c1", ("never", 1))]


@backends()
def test_partitioned_counter_routes_each_key_to_one_shard(backend, monkeypatch):
    num_shards = 3
    # Record, at the shards, which member each routed request reaches: wrap the keyed counter
    # that partitioned_counter runs on every shard (it looks the name up when called, i.e. while
    # the flow is built here; the records reach this process's list through dest_sink).
    seen: list[tuple[str, MemberId, str]] = []
    inner = counter_module.keyed_counter

    def recording_keyed_counter(shards, increments, gets):
        for kind, requests in (("inc", increments), ("get", gets)):
            (requests.values()
                     .map(lambda key, kind=kind: (kind, self_id(), key))
                     .assume_ordering(TEST_ORDER)
                     .dest_sink(seen))
        return inner(shards, increments, gets)

    monkeypatch.setattr(counter_module, "keyed_counter", recording_keyed_counter)

    flow, leader, client, inc_port, get_port, increments, gets = counter_flow("partitioned")
    shards = flow.cluster("shards")
    acks, counts = partitioned_counter(leader, shards, increments, gets, num_shards)
    ack_port = acks.entries().send_external(client)
    count_port = counts.entries().send_external(client)

    keys = ["apple", "banana", "cherry", "date", "elder", "fig", "zz"]
    owner = {k: shard_of(k, "shards", num_shards) for k in keys}
    assert {m.get_raw_id() for m in owner.values()} == set(range(num_shards))  # all shards used
    incs = [("c1", k) for k in keys] + [("c2", "apple"), ("c2", "fig"), ("c3", "apple")]
    with deployed(flow, backend, {shards: num_shards}) as d:
        inc, get, ack, cnt = connect_counter(d, [inc_port, get_port, ack_port, count_port])
        inc.send_many(incs)
        d.step(3)  # leader -> shard -> leader -> client
        assert sorted(ack.recv_all()) == sorted(incs)
        gets_sent = [("c1", k) for k in keys] + [("c4", "unknown")]
        get.send_many(gets_sent)
        d.step(3)
        answers = cnt.recv_all()
    df = finished_metrics(d)

    expected = Counter(k for _, k in incs)
    assert sorted(answers) == sorted([("c1", (k, expected[k])) for k in keys]
                                     + [("c4", ("unknown", 0))])
    # every request reached exactly the shard that owns its key, and only that one
    for kind, member, key in seen:
        assert member == owner.get(key, shard_of(key, "shards", num_shards)), (kind, key)
    assert Counter((kind, key) for kind, _, key in seen) == (
        Counter(("inc", k) for _, k in incs) + Counter(("get", k) for _, k in gets_sent))
    per_shard = Counter(owner.get(k, shard_of(k, "shards", num_shards)).get_raw_id()
                        for _, k in incs + gets_sent)
    assert received(df, "shards", "->shards") == dict(per_shard)
    # the same, from the metric the receiver records
    assert messages(df, "messages_in", "shards", "->shards") == dict(per_shard)


# -- two-phase commit ---------------------------------------------------------------------------

def test_two_phase_commit_commits_all_yes_and_aborts_on_a_no(backend):
    num = 3
    flow = FlowBuilder("two_pc")
    coordinator, participants = flow.process("coordinator"), flow.cluster("participants")
    txs = ["t1", "t2", "t3", "t4"]
    no_votes = {("t2", 1), ("t4", 0), ("t4", 2)}  # t2: one no; t4: two

    def vote(member: MemberId, tx) -> bool:
        return (tx, member.get_raw_id()) not in no_votes

    decisions, acks = two_phase_commit(coordinator, participants,
                                       coordinator.source_iter(txs), num, vote)
    got_decisions: list = []
    got_acks: list = []
    decisions.assume_ordering(TEST_ORDER).dest_sink(got_decisions)
    acks.assume_ordering(TEST_ORDER).dest_sink(got_acks)
    with deployed(flow, backend, {participants: num}) as d:
        d.step(10)
    acks_out = messages(finished_metrics(d), "messages_out", "participants",
                        "participants->coordinator")

    assert sorted(got_decisions) == [("t1", "commit"), ("t2", "abort"), ("t3", "commit"),
                                     ("t4", "abort")]  # each decided exactly once
    # phase 2: every participant acknowledged every decision, exactly once
    assert Counter(got_acks) == {decision: num for decision in got_decisions}
    # each participant sent one vote and one ack per transaction
    assert acks_out == {m: 2 * len(txs) for m in range(num)}


# -- map-reduce ---------------------------------------------------------------------------------

LINES = [
    "the quick brown fox",
    "jumps over the lazy dog",
    "the dog barks",
    "a fox a dog",
    "quick quick quick",
]


def word_count_results(counts, reducer) -> list:
    """Every reducer tick's full table, as a sorted list of (word, count)."""
    tables: list = []
    (counts.snapshot(reducer.tick(), nondet("test: the table after every tick"))
           .entries()
           .sort()
           .collect_list()
           .all_ticks()
           .dest_sink(tables))
    return tables


@backends()
def test_word_count_totals_and_round_robin_over_two_mappers(backend):
    flow = FlowBuilder("map_reduce")
    leader, mappers, reducer = (flow.process("leader"), flow.cluster("mappers"),
                                flow.process("reducer"))
    counts = word_count(leader, mappers, reducer, leader.source_iter(LINES))
    tables = word_count_results(counts, reducer)
    with deployed(flow, backend, {mappers: 2}) as d:
        d.step(6)
    df = finished_metrics(d)
    lines_in = received(df, "mappers", "leader->mappers")

    expected = sorted(Counter(w for line in LINES for w in line.split()).items())
    assert tables[-1] == expected
    assert tables[-2] == expected  # stable: nothing counted twice
    # round robin: both mappers got lines, as evenly as possible, each line once
    assert sorted(lines_in.values()) == [2, 3]
    assert set(lines_in) == {0, 1}
    # the same, from the metric the receiver records
    assert messages(df, "messages_in", "mappers", "leader->mappers") == lines_in


@backends()
def test_word_count_keeps_adding_lines_from_later_ticks(backend):
    flow = FlowBuilder("map_reduce_live")
    leader, mappers, reducer = (flow.process("leader"), flow.cluster("mappers"),
                                flow.process("reducer"))
    ext = flow.external("client")
    port, lines = leader.source_external(ext)
    counts = word_count(leader, mappers, reducer, lines)
    tables = word_count_results(counts, reducer)
    with deployed(flow, backend, {mappers: 2}) as d:
        client = d.connect(port)
        sent: list[str] = []
        for batch in (LINES[:2], LINES[2:3], LINES[3:]):
            client.send_many(batch)
            sent += batch
            d.step(4)
            assert tables[-1] == sorted(Counter(w for ln in sent for w in ln.split()).items())
    df = finished_metrics(d)
    lines_in = received(df, "mappers", "leader->mappers")
    assert sum(lines_in.values()) == len(LINES) and set(lines_in) == {0, 1}
    # the same, from the metric the receiver records
    assert messages(df, "messages_in", "mappers", "leader->mappers") == lines_in


# -- chat ---------------------------------------------------------------------------------------

def test_chat_delivers_to_every_connected_client_and_not_after_close(backend):
    flow = FlowBuilder("chat")
    server, clients = flow.process("server"), flow.external("clients")
    port, deliveries = chat_server(server, clients)
    delivered: list = []
    deliveries.entries().assume_ordering(TEST_ORDER).dest_sink(delivered)
    with deployed(flow, backend) as d:
        a, b, c = d.connect(port), d.connect(port), d.connect(port)
        ids = [a.client_id, b.client_id, c.client_id]
        assert len(set(ids)) == 3
        d.step(1)  # the connections are known

        a.send("hi all")
        d.step(1)
        for client in (a, b, c):  # the sender too
            assert client.recv_all() == [(a.client_id, "hi all")]

        b.send("from b")
        c.send("from c")
        d.step(1)
        for client in (a, b, c):
            assert sorted(client.recv_all()) == sorted([(b.client_id, "from b"),
                                                        (c.client_id, "from c")])

        c.close()
        d.step(1)  # the departure is known
        delivered.clear()
        a.send("after c left")
        b.send("me too")
        d.step(2)
        later = [(a.client_id, "after c left"), (b.client_id, "me too")]
        assert sorted(a.recv_all()) == sorted(later)
        assert sorted(b.recv_all()) == sorted(later)
        assert c.recv_all() == []
        # the server itself no longer addresses the closed client (not only the client side)
        assert sorted(delivered) == sorted((member, msg) for member in (a.client_id, b.client_id)
                                           for msg in later)
        with pytest.raises(HydroDeployError, match="closed"):
            c.send("too late")


def test_chat_two_clients_and_a_late_joiner(backend):
    flow = FlowBuilder("chat2")
    server, clients = flow.process("server"), flow.external("clients")
    port, _ = chat_server(server, clients)
    with deployed(flow, backend) as d:
        a, b = d.connect(port), d.connect(port)
        d.step(1)
        a.send("one")
        d.step(1)
        assert a.recv_all() == b.recv_all() == [(a.client_id, "one")]
        late = d.connect(port)
        d.step(1)
        b.send("two")
        d.step(1)
        assert a.recv_all() == b.recv_all() == late.recv_all() == [(b.client_id, "two")]
        d.step(2)
        assert a.recv_all() == b.recv_all() == late.recv_all() == []  # "one" never reached late


# -- paxos --------------------------------------------------------------------------------------

def paxos_flow(name: str, initial: list, config: PaxosConfig):
    flow = FlowBuilder(name)
    client, ext = flow.process("client"), flow.external("ext")
    proposers, acceptors = flow.cluster("proposers"), flow.cluster("acceptors")
    port, later = client.source_external(ext)
    payloads = client.source_iter(initial).chain(later)
    committed = paxos_with_client(client, proposers, acceptors, payloads, config)
    reports: list = []
    committed.assume_ordering(TEST_ORDER).dest_sink(reports)
    return flow, proposers, acceptors, port, reports


def assert_paxos_log(reports: list, submitted: list) -> None:
    """The contract: every submitted payload committed once, in distinct slots 0..n-1, each slot
    with exactly one value however often it was reported."""
    values_of: dict[int, set] = defaultdict(set)
    for slot, value in reports:
        values_of[slot].add(value)
    assert {slot: vals for slot, vals in values_of.items() if len(vals) != 1} == {}
    log = {slot: next(iter(vals)) for slot, vals in values_of.items()}
    assert sorted(log) == list(range(len(submitted)))          # distinct and dense
    assert sorted(log.values()) == sorted(submitted)           # each payload in one slot


CONFIG = PaxosConfig(f=1, i_am_leader_send_timeout=1.0, i_am_leader_check_timeout=2.0)


def test_paxos_commits_every_payload_in_dense_distinct_slots(backend):
    initial = [f"a{i}" for i in range(6)]
    later = [f"b{i}" for i in range(6)]
    flow, proposers, acceptors, port, reports = paxos_flow("paxos", initial, CONFIG)
    clock = FakeClock()
    with deployed(flow, backend, {proposers: 2, acceptors: 3}, clock) as d:
        client = d.connect(port)
        for i in range(120):
            if i == 40:
                client.send_many(later)
            d.step(1)
            clock.advance(0.1)
    assert_paxos_log(reports, initial + later)
    # the later payloads were sent after the initial ones committed: they come after them
    log = dict(reports)
    assert sorted(log[s] for s in range(len(initial))) == sorted(initial)


def test_paxos_after_a_clock_jump_slots_keep_one_value(backend):
    """The clock jumps 10 s (longer than the leader check timeout) once the first payloads are
    committed: heartbeats look late, so a proposer may start a new election and a new leader
    recommits (reports again) the slots its quorum had accepted. Whatever happens, each slot
    keeps one value; payloads sent well after the jump commit after the earlier ones."""
    initial = [f"a{i}" for i in range(5)]
    later = [f"b{i}" for i in range(5)]
    flow, proposers, acceptors, port, reports = paxos_flow("paxos_jump", initial, CONFIG)
    clock = FakeClock()
    with deployed(flow, backend, {proposers: 2, acceptors: 3}, clock) as d:
        client = d.connect(port)
        for i in range(200):
            if i == 50:
                assert sorted(v for _, v in set(reports)) == sorted(initial)
                clock.advance(10.0)
            if i == 120:
                client.send_many(later)
            d.step(1)
            clock.advance(0.1)
    assert_paxos_log(reports, initial + later)
    log = dict(reports)
    assert sorted(log[s] for s in range(len(initial))) == sorted(initial)
