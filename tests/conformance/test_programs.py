"""Real Hydro programs, ported line by line as a Hydro user would with API.md (issue 13): the
cluster examples of ``hydro_test/src/cluster/`` and the quickstart of ``docs/docs/hydro/learn/``.

Each test names the Hydro file and function it ports and asserts what Hydro's test asserts: a
cluster example's test reads each member's stdout (``nodes.get_cluster(&c).members()[i]
.stdout()``), here ``d.stdout(cluster, i)``. Programs run on the local backend, driven in exact
rounds by ``d.step`` with a clock the test advances (``FakeClock``). A port that needs a name
hydro_lab does not have yet is still written the Hydro way and marked
``xfail(strict=True, reason="needs <name>")``: it turns into a failure the day the name lands.
"""

from __future__ import annotations

import math
import re
import time
import zlib
from collections import Counter
from contextlib import contextmanager

import pytest

from hydro_lab import FlowBuilder, MemberId, MembershipEvent, nondet, self_id, sliced, use

SETTLE = 12  # rounds after which these small programs have nothing left to do


class FakeClock:
    """Seconds that pass only when the test says so (``deploy(clock=...)``)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def deployed(flow: FlowBuilder, cluster_sizes=None, clock=None):
    """A local deployment driven by the test's ``step`` calls, stopped at the end."""
    d = flow.deploy("local", cluster_sizes=cluster_sizes, clock=clock or FakeClock())
    try:
        yield d
    finally:
        d.stop()


def steps(d, rounds: int = SETTLE, clock: FakeClock | None = None, every: float = 0.0) -> None:
    """Run ``rounds`` rounds, advancing ``clock`` by ``every`` seconds before each."""
    for _ in range(rounds):
        if clock is not None:
            clock.now += every
        d.step(1)


# -- hydro_test/src/cluster/simple_cluster.rs ---------------------------------------------------

def simple_cluster(flow: FlowBuilder):
    """``simple_cluster`` (the version reading its numbers with ``source_iter(q!(0..5))``)."""
    process = flow.process("process")
    cluster = flow.cluster("cluster")

    numbers = process.source_iter(range(5))
    ids = (process
           .source_cluster_members(cluster)
           .entries()
           .filter_map(lambda ie: ie[0] if ie[1] == MembershipEvent.JOINED else None))

    (ids.cross_product(numbers)
        .map(lambda id_n: (id_n[0], (id_n[0], id_n[1])))
        .demux_bincode(cluster)
        .inspect(lambda n: print(f"cluster received: {n!r} (self cluster id: {self_id()})"))
        .send_bincode(process)
        .entries()
        .assume_ordering(nondet("testing, order does not matter"))
        .for_each(lambda id_d: print(f"node received: ({id_d[0]}, {id_d[1]!r})")))

    return process, cluster


def test_simple_cluster():
    """hydro_test/src/cluster/simple_cluster.rs, ``tests::simple_cluster``: with 2 members, member
    i's stdout is exactly ``cluster received: (MemberId(i), j) (self cluster id: MemberId(i))``
    for j = 0..4 in order, and the process's 10 lines, sorted, are ``node received:
    (MemberId(i/5), (MemberId(i/5), i%5))``."""
    flow = FlowBuilder()
    node, cluster = simple_cluster(flow)
    with deployed(flow, {cluster: 2}) as d:
        steps(d)
        for i in range(2):
            me = MemberId("cluster", i)
            assert d.stdout(cluster, i) == [
                f"cluster received: ({me!r}, {j}) (self cluster id: {me})" for j in range(5)]
        node_outs = sorted(d.stdout(node))
        assert node_outs == [
            f"node received: ({MemberId('cluster', i // 5)}, "
            f"({MemberId('cluster', i // 5)!r}, {i % 5}))" for i in range(10)]


def test_simple_cluster_newest_reads_a_source_stream():
    """hydro_test/src/cluster/simple_cluster.rs, ``simple_cluster`` as of today: the numbers come
    from ``process.source_stream(q!(tokio_stream::iter(0..5)))``; ``tests::simple_cluster``
    asserts the same lines as ``test_simple_cluster``."""
    flow = FlowBuilder()
    process, cluster = flow.process("process"), flow.cluster("cluster")
    numbers = process.source_stream(iter(range(5)))
    ids = (process.source_cluster_members(cluster).entries()
           .filter_map(lambda ie: ie[0] if ie[1] == MembershipEvent.JOINED else None))
    (ids.cross_product(numbers)
        .map(lambda id_n: (id_n[0], (id_n[0], id_n[1])))
        .demux(cluster)
        .inspect(lambda n: print(f"cluster received: {n!r} (self cluster id: {self_id()})"))
        .send(process)
        .entries()
        .assume_ordering(nondet("testing, order does not matter"))
        .for_each(lambda id_d: print(f"node received: ({id_d[0]}, {id_d[1]!r})")))
    with deployed(flow, {cluster: 2}) as d:
        # a live source is read by a thread of its own, in real time: step until it has all come
        deadline = time.monotonic() + 10
        while len(d.stdout(process)) < 10 and time.monotonic() < deadline:
            steps(d, rounds=1)
            time.sleep(0.01)
        steps(d)
        for i in range(2):
            me = MemberId("cluster", i)
            assert d.stdout(cluster, i) == [
                f"cluster received: ({me!r}, {j}) (self cluster id: {me})" for j in range(5)]
        assert len(d.stdout(process)) == 10


def test_decouple_process():
    """hydro_test/src/cluster/simple_cluster.rs, ``decouple_process`` and its test: process2's
    stdout is ``I received message is i`` for i = 0..2, in order."""
    from hydro_lab import std

    flow = FlowBuilder()
    process1, process2 = flow.process("process1"), flow.process("process2")
    (std.decouple_process(process1.source_iter(range(3)), process2)
        .for_each(lambda message: print(f"I received message is {message}")))
    with deployed(flow) as d:
        steps(d)
        assert d.stdout(process2) == [f"I received message is {i}" for i in range(3)]


def test_decouple_cluster():
    """hydro_test/src/cluster/simple_cluster.rs, ``decouple_cluster`` and its test: with 3 members
    in each cluster, member i of cluster2 prints ``My self id is MemberId(i), my message is
    MemberId(i)`` (member i of cluster1 sends its own id to member i of cluster2)."""
    from hydro_lab import std

    flow = FlowBuilder()
    cluster1, cluster2 = flow.cluster("cluster1"), flow.cluster("cluster2")
    sent = (cluster1.source_iter([None]).map(lambda _: self_id())
            .inspect(lambda message: print(f"Cluster1 node sending message: {message}")))
    (std.decouple_cluster(sent, cluster2)
        .for_each(lambda message: print(f"My self id is {self_id()}, my message is "
                                        f"{message}")))
    with deployed(flow, {cluster1: 3, cluster2: 3}) as d:
        steps(d)
        for i in range(3):
            assert d.stdout(cluster2, i) == [
                f"My self id is {MemberId('cluster2', i)}, my message is "
                f"{MemberId('cluster1', i)}"]


def test_partition():
    """hydro_test/src/cluster/simple_cluster.rs, ``partition`` and its test: 3 senders, 6
    receivers, the policy sends member i's message to member 2i; receiver 2i prints ``My self
    id is MemberId(2i), my message is "Hello from MemberId(i)"`` (``send_partitioned`` ends
    with ``.values()``, hydro_std/src/compartmentalize.rs)."""
    from hydro_lab import std

    num_nodes, num_partitions = 3, 2
    flow = FlowBuilder()
    cluster1, cluster2 = flow.cluster("cluster1"), flow.cluster("cluster2")
    greetings = (cluster1.source_iter([None]).map(lambda _: self_id())
                 .map(lambda id: (id, f"Hello from {id}")))
    (std.send_partitioned(
        greetings, cluster2,
        lambda id_msg: (MemberId("cluster2", id_msg[0].get_raw_id() * num_partitions),
                        id_msg[1]))
        .assume_ordering(nondet("testing, order does not matter"))
        .for_each(lambda message: print(f"My self id is {self_id()}, my message is "
                                        f"{message!r}")))
    with deployed(flow, {cluster1: num_nodes, cluster2: num_nodes * num_partitions}) as d:
        steps(d)
        for cluster2_id in range(0, num_nodes * num_partitions, num_partitions):
            me = MemberId("cluster2", cluster2_id)
            sender = MemberId("cluster1", cluster2_id // num_partitions)
            assert d.stdout(cluster2, cluster2_id)[0] == (
                f"My self id is {me}, my message is 'Hello from {sender}'")


# -- hydro_test/src/cluster/many_to_many.rs -----------------------------------------------------

def many_to_many(flow: FlowBuilder):
    """``many_to_many``: every member broadcasts 0 and 1 to every member."""
    cluster = flow.cluster("cluster")
    (cluster
        .source_iter(range(2))
        .broadcast(cluster, nondet("test"), name="m2m_broadcast")
        .entries()
        .assume_ordering(nondet("intentionally unordered logs"))
        .for_each(lambda n: print(f"cluster received: {n!r}")))
    return cluster


def test_many_to_many():
    """hydro_test/src/cluster/many_to_many.rs, ``tests::many_to_many``: with 2 members, each
    member's 4 lines, sorted, are ``cluster received: (MemberId(sender), value)`` for every
    sender in 0..1 and value in 0..1 (every pair, once); the channel is named
    ``m2m_broadcast``."""
    flow = FlowBuilder()
    cluster = many_to_many(flow)
    with deployed(flow, {cluster: 2}) as d:
        assert d.channels() == ["m2m_broadcast"]
        steps(d)
        for member in range(2):
            assert sorted(d.stdout(cluster, member)) == [
                f"cluster received: ({MemberId('cluster', sender)!r}, {value})"
                for sender in range(2) for value in range(2)]


# -- hydro_test/src/cluster/compute_pi.rs -------------------------------------------------------

def compute_pi(flow: FlowBuilder, batch_size: int):
    """``compute_pi``: each worker samples ``batch_size`` points a tick; the leader adds the
    counts up and prints the estimate every second."""
    import random

    cluster = flow.cluster("cluster")
    process = flow.process("process")

    trials = (cluster
              .tick()
              .spin_batch(batch_size)
              .map(lambda _: (random.random(), random.random()))
              .map(lambda xy: xy[0] * xy[0] + xy[1] * xy[1] < 1.0)
              .fold(lambda: (0, 0),
                    lambda acc, sample_inside: (acc[0] + sample_inside, acc[1] + 1))
              .all_ticks())

    estimate = (trials
                .send_bincode_anonymous(process)
                .reduce_commutative(lambda acc, batch: (acc[0] + batch[0], acc[1] + batch[1])))

    (estimate.sample_every(1.0, nondet("intentional non-determinism"))
        .for_each(lambda it: print(f"pi: {4.0 * it[0] / it[1]} ({it[1]} trials)")))

    return cluster, process


def test_compute_pi():
    """hydro_test/src/cluster/compute_pi.rs, ``compute_pi`` (Hydro tests its IR only; its
    example, hydro_test/examples/compute_pi.rs, deploys it and reads the leader's output): the
    leader prints ``pi: <estimate> (<trials> trials)`` once a second, the trials a growing
    multiple of ``batch_size`` and the estimate near pi."""
    flow = FlowBuilder()
    cluster, process = compute_pi(flow, 2048)
    clock = FakeClock()
    with deployed(flow, {cluster: 2}, clock) as d:
        steps(d, 8, clock, every=0.5)
        lines = d.stdout(process)
    parsed = [re.fullmatch(r"pi: ([0-9.]+) \((\d+) trials\)", line) for line in lines]
    assert lines and all(parsed), lines
    totals = [int(m[2]) for m in parsed]
    assert totals == sorted(totals) and all(t % 2048 == 0 for t in totals)
    assert abs(float(parsed[-1][1]) - math.pi) < 0.1
    assert d.stdout(cluster, 0) == d.stdout(cluster, 1) == []  # only the leader prints


# -- hydro_test/src/cluster/map_reduce.rs -------------------------------------------------------

WORDS = ["abc", "abc", "xyz", "abc"]


def test_map_reduce():
    """hydro_test/src/cluster/map_reduce.rs, ``map_reduce``, written as Hydro writes it (Hydro
    tests its IR only): what ``test_map_reduce_in_hydro_lab_spelling`` asserts."""
    flow = FlowBuilder()
    process, cluster = flow.process("process"), flow.cluster("cluster")

    words = process.source_iter(WORDS).map(str)

    partitioned_words = (words
                         .round_robin_bincode(cluster, nondet("test"))
                         .map(lambda string: (string, None))
                         .into_keyed())

    batches = (partitioned_words
               .batch(cluster.tick(), nondet("addition is associative so we can batch reduce"))
               .fold(lambda: 0, lambda count, _: count + 1)
               .entries()
               .inspect(lambda sc: print(f"partition count: {sc[0]} - {sc[1]}"))
               .all_ticks()
               .send_bincode(process)
               .values())

    reduced = batches.into_keyed().reduce_commutative(lambda total, count: total + count)

    (reduced
        .snapshot(process.tick(), nondet("intentional output"))
        .entries()
        .all_ticks()
        .assume_ordering(nondet("unordered logs across keys are okay"))
        .for_each(lambda sc: print(f"{sc[0]}: {sc[1]}")))
    _check_map_reduce(flow, process, cluster)


def test_map_reduce_in_hydro_lab_spelling():
    """hydro_test/src/cluster/map_reduce.rs, ``map_reduce``, with API.md's spelling of the two
    names Hydro's version uses that hydro_lab lacks: ``round_robin(cluster, nondet)`` for
    ``round_robin_bincode`` and ``reduce(f, commutative=...)`` for the keyed
    ``reduce_commutative``. Round robin sends word i to member i mod 2: member 0 counts
    abc 1, xyz 1, member 1 abc 2; the leader's last snapshot is abc: 3, xyz: 1."""
    flow = FlowBuilder()
    process, cluster = flow.process("process"), flow.cluster("cluster")

    words = process.source_iter(WORDS).map(str)

    partitioned_words = (words
                         .round_robin(cluster, nondet("test"))
                         .map(lambda string: (string, None))
                         .into_keyed())

    batches = (partitioned_words
               .batch(cluster.tick(), nondet("addition is associative so we can batch reduce"))
               .fold(lambda: 0, lambda count, _: count + 1)
               .entries()
               .inspect(lambda sc: print(f"partition count: {sc[0]} - {sc[1]}"))
               .all_ticks()
               .send_bincode(process)
               .values())

    reduced = batches.into_keyed().reduce(lambda total, count: total + count,
                                          commutative="addition")

    (reduced
        .snapshot(process.tick(), nondet("intentional output"))
        .entries()
        .all_ticks()
        .assume_ordering(nondet("unordered logs across keys are okay"))
        .for_each(lambda sc: print(f"{sc[0]}: {sc[1]}")))
    _check_map_reduce(flow, process, cluster)


def _check_map_reduce(flow, process, cluster) -> None:
    with deployed(flow, {cluster: 2}) as d:
        steps(d)
        per_member = [Counter() for _ in range(2)]
        for member in range(2):
            for line in d.stdout(cluster, member):
                word, count = re.fullmatch(r"partition count: (\w+) - (\d+)", line).groups()
                per_member[member][word] += int(count)
        assert per_member == [Counter(abc=1, xyz=1), Counter(abc=2)]
        last = {}
        for line in d.stdout(process):
            word, count = line.split(": ")
            last[word] = int(count)
        assert last == {"abc": 3, "xyz": 1}


# -- hydro_test/src/cluster/two_pc.rs -----------------------------------------------------------

def test_two_pc():
    """hydro_test/src/cluster/two_pc.rs, ``two_pc`` (its test, two_pc_bench.rs
    ``two_pc_some_throughput``, drives it with ``bench_client`` and waits for a positive
    throughput): with every participant voting yes, every payload is committed, once, after 3
    prepares and 3 commits."""
    from hydro_lab.std import Ok, collect_quorum

    num_participants = 3
    flow = FlowBuilder()
    coordinator, participants = flow.process("coordinator"), flow.cluster("participants")
    payloads = coordinator.source_iter(range(5)).weaken_ordering()

    p_prepare = payloads.broadcast_bincode(participants, nondet("TODO"))
    c_votes = p_prepare.send_bincode(coordinator).values()
    coordinator_tick = coordinator.tick()
    c_all_vote_yes, _ = collect_quorum(
        c_votes.map(lambda kv: (kv, Ok(None))).atomic(coordinator_tick),
        num_participants, num_participants)
    p_commit = c_all_vote_yes.end_atomic().broadcast_bincode(participants, nondet("TODO"))
    c_commits = p_commit.send_bincode(coordinator).values()
    c_all_commit, _ = collect_quorum(
        c_commits.map(lambda kv: (kv, Ok(None))).atomic(coordinator_tick),
        num_participants, num_participants)
    committed = c_all_commit.end_atomic()
    committed.assume_ordering(nondet("test")).for_each(lambda p: print(f"committed {p}"))

    with deployed(flow, {participants: num_participants}) as d:
        steps(d)
        assert sorted(d.stdout(coordinator)) == [f"committed {p}" for p in range(5)]


# -- hydro_test/src/tutorials/ (docs/docs/hydro/learn/quickstart/) ------------------------------
#
# The tutorials read their slices with ``sliced! { let b = use(x, nondet); let s =
# use::atomic(c, nondet); body }``: hydro_lab's ``sliced(body, b=use(x, nondet),
# s=use.atomic(c, nondet))``, line for line.

GET_BATCH = nondet("we never observe batch boundaries")
CONSISTENT = nondet("atomicity guarantees consistency wrt increments")


def single_counter_service(increment_requests, get_requests):
    """single_counter.rs, ``single_counter_service``."""
    atomic_tick = increment_requests.location.tick()
    increment_request_processing = increment_requests.atomic(atomic_tick)
    current_count = increment_request_processing.values().count()
    increment_ack = increment_request_processing.end_atomic()

    get_response = sliced(
        lambda request_batch, count_snapshot: (
            request_batch.cross_singleton(count_snapshot).map(lambda rc: rc[1])),
        request_batch=use(get_requests, GET_BATCH),
        count_snapshot=use.atomic(current_count, CONSISTENT),
    )

    return increment_ack, get_response


def single_counter_service_buggy(increment_requests, get_requests):
    """single_counter.rs, ``single_counter_service_buggy``: the count is read with a plain
    ``use`` (a snapshot into the slice's own tick), not ``use::atomic``."""
    current_count = increment_requests.values().count()
    increment_ack = increment_requests

    get_response = sliced(
        lambda request_batch, count_snapshot: (
            request_batch.cross_singleton(count_snapshot).map(lambda rc: rc[1])),
        request_batch=use(get_requests, GET_BATCH),
        count_snapshot=use(current_count, CONSISTENT),
    )

    return increment_ack, get_response


def counter_read_after_write(service, source, sink):
    """The flow of ``test_counter_read_after_write``: the service between two input ports and
    two output ports made with ``source``/``sink`` (Hydro's ``source_external_bincode`` /
    ``send_bincode_external``, or API.md's ``source_external`` / ``send_external``)."""
    flow = FlowBuilder()
    process = flow.process("process")
    external = flow.external("external")

    inc_in_port, inc_requests = source(process, external)
    inc_requests = inc_requests.into_keyed()
    get_in_port, get_requests = source(process, external)
    get_requests = get_requests.into_keyed()

    inc_acks, get_responses = service(inc_requests, get_requests)

    inc_out_port = sink(inc_acks.entries(), external)
    get_out_port = sink(get_responses.entries(), external)

    def body(instance):
        inc_in = instance.connect(inc_in_port)
        get_in = instance.connect(get_in_port)
        inc_out = instance.connect(inc_out_port)
        get_out = instance.connect(get_out_port)

        instance.launch()

        inc_in.send((1, None))
        inc_out.assert_yields_unordered([(1, None)])
        get_in.send((1, None))
        get_out.assert_yields_only_unordered([(1, 1)])

    return flow, body


def api_source(process, external):
    return process.source_external(external)


def api_sink(stream, external):
    return stream.send_external(external)


def test_single_counter_read_after_write():
    """hydro_test/src/tutorials/single_counter.rs, ``tests::test_counter_read_after_write``
    (quickstart, single-counter.mdx): increment from client 1, wait for its ack, get: every
    execution the exhaustive simulator explores answers ``(1, 1)`` and nothing else."""
    flow, body = counter_read_after_write(single_counter_service, api_source, api_sink)
    assert flow.sim().exhaustive(body) >= 1


def test_buggy_single_counter_read_after_write_fails():
    """hydro_test/src/tutorials/single_counter_buggy.rs,
    ``tests::test_buggy_counter_read_after_write`` (``#[should_panic]``): the exhaustive
    simulator finds the execution where the get reads a stale snapshot and answers ``(1, 0)``
    (single-counter.mdx shows that failure: "Stream yielded unexpected message: (1, 0)")."""
    flow, body = counter_read_after_write(single_counter_service_buggy, api_source, api_sink)
    with pytest.raises(AssertionError) as failed:
        flow.sim().exhaustive(body)
    assert "(1, 0)" in str(failed.value)


def test_single_counter_read_after_write_with_hydro_port_names():
    """single_counter.rs, ``tests::test_counter_read_after_write`` with Hydro's port names
    (``source_external_bincode(&external)``, ``send_bincode_external(&external)``)."""
    flow, body = counter_read_after_write(
        single_counter_service,
        lambda process, external: process.source_external_bincode(external),
        lambda stream, external: stream.send_bincode_external(external))
    assert flow.sim().exhaustive(body) >= 1


def keyed_counter_service(increment_requests, get_requests):
    """keyed_counter.rs, ``keyed_counter_service``."""
    atomic_tick = increment_requests.location.tick()
    increment_request_processing = increment_requests.atomic(atomic_tick)
    current_count = (increment_request_processing
                     .entries()
                     .map(lambda cid_key: (cid_key[1], None))
                     .into_keyed()
                     .value_counts())
    increment_ack = increment_request_processing.end_atomic()

    requests_regrouped = (get_requests
                          .entries()
                          .map(lambda cid_key: (cid_key[1], cid_key[0]))
                          .into_keyed())

    get_lookup = sliced(
        lambda request_batch, count_snapshot: count_snapshot.join_keyed_stream(request_batch),
        request_batch=use(requests_regrouped, GET_BATCH),
        count_snapshot=use.atomic(current_count, CONSISTENT),
    )

    get_response = (get_lookup
                    .entries()
                    .map(lambda e: (e[1][1], (e[0], e[1][0])))
                    .into_keyed())

    return increment_ack, get_response


def test_keyed_counter_read_after_write():
    """hydro_test/src/tutorials/keyed_counter.rs, ``tests::test_counter_read_after_write``
    (quickstart, keyed-counter.mdx), with ``sim_input``/``sim_output`` as Hydro's test: increment
    "abc" from client 1, wait for the ack, get "abc": every execution answers
    ``(1, ("abc", 1))`` and nothing else."""
    flow = FlowBuilder()
    process = flow.process("process")

    inc_in_port, inc_requests = process.sim_input()
    inc_requests = inc_requests.into_keyed()
    get_in_port, get_requests = process.sim_input()
    get_requests = get_requests.into_keyed()

    inc_acks, get_responses = keyed_counter_service(inc_requests, get_requests)

    inc_out_port = inc_acks.entries().sim_output()
    get_out_port = get_responses.entries().sim_output()

    def body(instance):
        inc_in, get_in = instance.connect(inc_in_port), instance.connect(get_in_port)
        inc_out, get_out = instance.connect(inc_out_port), instance.connect(get_out_port)
        inc_in.send((1, "abc"))
        inc_out.assert_yields_unordered([(1, "abc")])
        get_in.send((1, "abc"))
        get_out.assert_yields_only_unordered([(1, ("abc", 1))])

    assert flow.sim().exhaustive(body) >= 1


def sharded_counter_service(leader, shard_servers, increment_requests, get_requests):
    """partitioned_counter.rs, ``sharded_counter_service``: requests go to shard
    ``hash(key) % 5`` (crc32 here: Python's ``hash`` of a string changes per process)."""
    def to_shard(client_key):
        client, key = client_key
        return (MemberId(shard_servers.name, zlib.crc32(key.encode()) % 5), (client, key))

    sharded_increment_requests = (increment_requests
                                  .entries()
                                  .map(to_shard)
                                  .into_keyed()
                                  .demux_bincode(shard_servers)
                                  .into_keyed())

    sharded_get_requests = (get_requests
                            .entries()
                            .map(to_shard)
                            .into_keyed()
                            .demux_bincode(shard_servers)
                            .into_keyed())

    sharded_increment_ack, sharded_get_response = keyed_counter_service(
        sharded_increment_requests, sharded_get_requests)

    increment_ack = (sharded_increment_ack
                     .entries()
                     .send_bincode(leader)
                     .values()
                     .into_keyed())

    get_response = (sharded_get_response
                    .entries()
                    .send_bincode(leader)
                    .values()
                    .into_keyed())

    return increment_ack, get_response


def test_partitioned_counter_read_after_write():
    """hydro_test/src/tutorials/partitioned_counter.rs, ``tests::test_counter_read_after_write``
    (quickstart, partitioned-counter.mdx), 5 shards (``with_cluster_size(&shards, 5)``):
    every execution answers ``(1, ("abc", 1))`` and nothing else."""
    flow = FlowBuilder()
    process = flow.process("process")
    shards = flow.cluster("shards")
    external = flow.external("external")

    inc_in_port, inc_requests = process.source_external(external)
    inc_requests = inc_requests.into_keyed()
    get_in_port, get_requests = process.source_external(external)
    get_requests = get_requests.into_keyed()

    inc_acks, get_responses = sharded_counter_service(process, shards, inc_requests,
                                                      get_requests)

    inc_out_port = inc_acks.entries().send_external(external)
    get_out_port = get_responses.entries().send_external(external)

    def body(instance):
        inc_in, get_in = instance.connect(inc_in_port), instance.connect(get_in_port)
        inc_out, get_out = instance.connect(inc_out_port), instance.connect(get_out_port)
        inc_in.send((1, "abc"))
        inc_out.assert_yields_unordered([(1, "abc")])
        get_in.send((1, "abc"))
        get_out.assert_yields_only_unordered([(1, ("abc", 1))])

    assert flow.sim({shards: 5}).exhaustive(body) >= 1


def single_client_counter_service(increment_requests, get_requests):
    """single_client_counter.rs, ``single_client_counter_service``: plain Streams, one client."""
    atomic_tick = increment_requests.location.tick()
    increment_request_processing = increment_requests.atomic(atomic_tick)
    current_count = increment_request_processing.count()
    increment_ack = increment_request_processing.end_atomic()

    get_response = sliced(
        lambda request_batch, count_snapshot: (
            request_batch.cross_singleton(count_snapshot).map(lambda rc: rc[1])),
        request_batch=use(get_requests, GET_BATCH),
        count_snapshot=use.atomic(current_count, CONSISTENT),
    )

    return increment_ack, get_response


def single_client_counter_service_buggy(increment_requests, get_requests):
    """single_client_counter_buggy.rs, ``single_client_counter_service_buggy``."""
    current_count = increment_requests.count()
    increment_ack = increment_requests

    get_response = sliced(
        lambda request_batch, count_snapshot: (
            request_batch.cross_singleton(count_snapshot).map(lambda rc: rc[1])),
        request_batch=use(get_requests, GET_BATCH),
        count_snapshot=use(current_count,
                           nondet("intentional, based on when the request came in")),
    )

    return increment_ack, get_response


def single_client_flow(service):
    """The flow of single_client_counter.rs ``tests::test_counter_read_after_write``."""
    flow = FlowBuilder()
    process = flow.process("process")

    inc_in_port, inc_requests = process.sim_input()
    get_in_port, get_requests = process.sim_input()

    inc_acks, get_responses = service(inc_requests, get_requests)

    inc_out_port = inc_acks.sim_output()
    get_out_port = get_responses.sim_output()

    def body(instance):
        inc_in, get_in = instance.connect(inc_in_port), instance.connect(get_in_port)
        inc_out, get_out = instance.connect(inc_out_port), instance.connect(get_out_port)
        inc_in.send(None)
        inc_out.assert_yields([None])
        get_in.send(None)
        get_out.assert_yields_only([1])

    return flow, body


def test_single_client_counter_read_after_write():
    """hydro_test/src/tutorials/single_client_counter.rs, ``tests::test_counter_read_after_write``
    (quickstart, concurrent-clients.mdx starts from it): increment, wait for the ack, get:
    every execution answers 1 and nothing else."""
    flow, body = single_client_flow(single_client_counter_service)
    assert flow.sim().exhaustive(body) >= 1


def test_buggy_single_client_counter_finds_the_stale_read():
    """hydro_test/src/tutorials/single_client_counter_buggy.rs (the quickstart runs
    single_client_counter's test against it and shows it fail): some execution answers 0."""
    flow, body = single_client_flow(single_client_counter_service_buggy)
    with pytest.raises(AssertionError) as failed:
        flow.sim().exhaustive(body)
    assert "[0]" in str(failed.value)


def test_concurrent_clients():
    """hydro_test/src/tutorials/concurrent_clients.rs, ``tests::test_concurrent_clients``
    (``concurrent_counter_service`` is ``single_counter_service``): clients 1 and 2 increment,
    each waiting for its ack; then each reads 2, in every execution."""
    flow = FlowBuilder()
    process = flow.process("process")

    inc_in_port, inc_requests = process.sim_input()
    inc_requests = inc_requests.into_keyed()
    get_in_port, get_requests = process.sim_input()
    get_requests = get_requests.into_keyed()

    inc_acks, get_responses = single_counter_service(inc_requests, get_requests)

    inc_out_port = inc_acks.entries().sim_output()
    get_out_port = get_responses.entries().sim_output()

    def body(instance):
        inc_in, get_in = instance.connect(inc_in_port), instance.connect(get_in_port)
        inc_out, get_out = instance.connect(inc_out_port), instance.connect(get_out_port)
        inc_in.send((1, None))
        inc_out.assert_yields_unordered([(1, None)])
        inc_in.send((2, None))
        inc_out.assert_yields_unordered([(2, None)])
        get_in.send((1, None))
        get_out.assert_yields_only_unordered([(1, 2)])
        get_in.send((2, None))
        get_out.assert_yields_only_unordered([(2, 2)])

    assert flow.sim().exhaustive(body) >= 1


# -- template/hydro/ ----------------------------------------------------------------------------

def echo_capitalize(input):
    """template/hydro/src/lib.rs, ``echo_capitalize``."""
    return input.map(lambda s: s.upper())


def echo_flow(source, sink):
    flow = FlowBuilder()
    node = flow.process("node")
    external = flow.external("external")

    in_port, input = source(node, external)
    out_port = sink(echo_capitalize(input), external)

    def body(compiled):
        in_ = compiled.connect(in_port)
        out = compiled.connect(out_port)
        in_.send("hello")
        in_.send("world")
        out.assert_yields_only(["HELLO", "WORLD"])

    return flow, body


def test_echo_capitalize():
    """template/hydro/src/lib.rs, ``tests::test_echo_capitalize``: "hello" and "world" come back
    as exactly ["HELLO", "WORLD"], in order, in every execution."""
    flow, body = echo_flow(api_source, api_sink)
    assert flow.sim().exhaustive(body) == 1


def test_echo_capitalize_with_hydro_port_names():
    """template/hydro/src/lib.rs, ``tests::test_echo_capitalize`` with its port names."""
    flow, body = echo_flow(lambda node, external: node.source_external_bincode(external),
                           lambda stream, external: stream.send_bincode_external(external))
    assert flow.sim().exhaustive(body) == 1


def first_ten_cluster(leader, workers, round_robin):
    """template/hydro/src/first_ten_cluster.rs, ``first_ten_cluster`` (``round_robin`` sends the
    numbers to the workers: Hydro's ``round_robin_bincode`` or API.md's ``round_robin``). The
    leader's ``values()`` are NoOrder, and ``for_each`` needs TotalOrder, in hydro_lab as in
    today's Hydro (many_to_many.rs, simple_cluster.rs): hence the ``assume_ordering`` the older
    template lacks."""
    (round_robin(leader.source_iter(range(10)),
                 workers, nondet("okay to non-deterministically distribute as cluster members "
                                 "change"))
        .map(lambda n: n * 2)
        .inspect(lambda n: print(n))
        .send_bincode(leader)
        .values()
        .assume_ordering(nondet("the leader prints in arrival order"))
        .for_each(lambda n: print(n)))


def check_first_ten(round_robin) -> None:
    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    first_ten_cluster(leader, workers, round_robin)
    with deployed(flow, {workers: 4}) as d:
        steps(d)
        out = sorted(d.stdout(leader))
        expected = sorted(["0", "2", "4", "6", "8", "10", "12", "14", "16", "18"])
        assert out == expected
        # round robin: worker i doubles the numbers i, i+4, i+8
        assert [d.stdout(workers, i) for i in range(4)] == [
            [str(2 * n) for n in range(i, 10, 4)] for i in range(4)]


def test_first_ten_cluster():
    """template/hydro/src/first_ten_cluster.rs, ``tests::first_ten_cluster``: 4 workers; the
    leader's 10 lines, sorted, are the doubled numbers 0..18 (as strings, sorted)."""
    check_first_ten(lambda s, workers, nd: s.round_robin_bincode(workers, nd))


def test_first_ten_cluster_in_hydro_lab_spelling():
    """template/hydro/src/first_ten_cluster.rs, ``tests::first_ten_cluster`` with API.md's
    ``round_robin(cluster, nondet)`` for ``round_robin_bincode``; each worker's own stdout also
    holds what it printed: worker i the doubles of i, i+4, i+8."""
    check_first_ten(lambda s, workers, nd: s.round_robin(workers, nd))
