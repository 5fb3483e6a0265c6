"""``hydro_lab.std`` against Hydro's ``hydro_std``: its own tests (``hydro_std/src/quorum.rs``,
``membership.rs``) and ``hydro_test``'s uses of it (``cluster/simple_cluster.rs`` for
compartmentalize, ``cluster/paxos_bench.rs`` for the bench client with collect_quorum), ported
line by line, each citing the Rust file and function. Simulator tests run exhaustively as
Hydro's do; deployments run on the local backend for a second or two.
"""

from __future__ import annotations

import os
import re
import traceback
from collections import defaultdict

import pytest

from hydro_lab import (
    FlowBuilder,
    HydroRuntimeError,
    HydroTypeError,
    MemberId,
    MembershipEvent,
    Order,
    Retries,
    nondet,
    self_id,
)
from hydro_lab.examples.paxos import PaxosConfig, paxos_core
from hydro_lab.sim import SimFailure
from hydro_lab.std import (
    BenchReport,
    BenchResult,
    Err,
    Histogram,
    Ok,
    RollingAverage,
    aggregate_bench_results,
    bench_client,
    bench_report,
    collect_quorum,
    collect_quorum_with_response,
    compute_throughput_latency,
    decouple_cluster,
    decouple_process,
    join_responses,
    pretty_print_bench_results,
    send_partitioned,
    track_membership,
)

HERE = os.path.basename(__file__)
ND = nondet("test: collected for assertions that do not depend on the order")


def refused(flow, action, *words):
    """``action`` raises a HydroTypeError naming ``words`` and a fix, at this file's line, and
    leaves the flow's IR as it was."""
    before = flow.ir()
    with pytest.raises(HydroTypeError) as info:
        action()
    msg = str(info.value)
    for word in words:
        assert word in msg, f"{word!r} not in message:\n{msg}"
    assert "Fix:" in msg and f"{HERE}, line" in msg, msg
    internal = [f for f in traceback.extract_tb(info.value.__traceback__)
                if f"{os.sep}hydro_lab{os.sep}" in f.filename]
    assert len(internal) <= 1, "the traceback should stop at the helper's call"
    after = flow.ir()
    assert list(after.nodes) == list(before.nodes), "a refused call must not leave nodes behind"
    assert after.cycles == before.cycles
    return msg


# -- hydro_std/src/quorum.rs -----------------------------------------------------------------------

def quorum_flow(helper, min_count, max_count, order=Order.TOTAL_ORDER):
    flow = FlowBuilder("quorum")
    node = flow.process("node")
    port, responses = node.sim_input(order=order)
    success, error = helper(responses, min_count, max_count)
    return flow, port, success.sim_output(), error.sim_output(), success, error


def test_collect_quorum_with_response_preserves_order():
    """quorum.rs ``collect_quorum_with_response_preserves_order``: min = max = 3, two keys'
    responses in order; in every execution the successes come out in the input's order."""
    flow, port, out, _, success, _ = quorum_flow(collect_quorum_with_response, 3, 3)
    assert success.order is Order.TOTAL_ORDER  # Stream<(K, V), L, Unbounded, Order>

    def body(inst):
        inst.connect(port).send_many([(1, Ok()), (1, Ok()), (1, Ok()),
                                      (2, Ok()), (2, Ok()), (2, Ok())])
        assert inst.connect(out).collect() == [(1, None)] * 3 + [(2, None)] * 3

    assert flow.sim().exhaustive(body) > 1  # the batchings of the 6 sends


@pytest.mark.parametrize("sends, successes, errors", [
    ([(1, Ok()), (1, Ok())], [1], []),                            # 1: exactly min (2/3)
    ([(2, Ok()), (2, Ok()), (2, Err())], [2], [(2, None)]),      # 2: max responses, mixed
    ([(3, Ok()), (3, Err()), (3, Err())], [], [(3, None)] * 2),  # 3: no quorum
    ([(4, Ok()), (4, Ok()), (4, Ok())], [4], []),                 # 4: extra response ignored
    ([(5, Err())] * 3, [], [(5, None)] * 3),                      # 5: only errors
    ([(6, Err()), (6, Ok()), (6, Ok())], [6], [(6, None)]),      # 6: quorum exactly at max
], ids=["exact_min", "max_mixed", "no_quorum", "extra_ignored", "only_errors", "at_max"])
def test_collect_quorum_functionality(sends, successes, errors):
    """quorum.rs ``collect_quorum_functionality`` (its six cases, min 2 of max 3, one compiled
    simulation): the keys reaching quorum once (unordered), every error in order."""
    flow, port, success_out, error_out, success, error = quorum_flow(collect_quorum, 2, 3)
    assert (success.order, error.order) == (Order.NO_ORDER, Order.TOTAL_ORDER)

    def body(inst):
        inst.connect(port).send_many(sends)
        inst.connect(success_out).assert_yields_only_unordered(successes)
        if errors:
            inst.connect(error_out).assert_yields_only(errors)
        else:
            inst.connect(error_out).assert_no_more()

    # Hydro's test asserts no count. The batch of the responses is the tick's only hook (the
    # cycles are not), and Hydro's run_hooks makes a tick's last hook release something, so the
    # executions are the compositions of the sends: 2^(n-1) (2 for exact_min's two sends; the
    # ">= 4" this port had counted an empty first batch, which Hydro does not explore)
    assert flow.sim().exhaustive(body) == 2 ** (len(sends) - 1)


def test_collect_quorum_min_equals_max():
    """quorum.rs ``collect_quorum_min_equals_max``: min = max = 2; keys 1 and 3 get two
    successes, key 2 one success and one error: only 1 and 3 reach quorum."""
    flow, port, out, _, _, _ = quorum_flow(collect_quorum, 2, 2)

    def body(inst):
        inst.connect(port).send_many([(1, Ok()), (1, Ok()), (2, Ok()), (2, Err()),
                                      (3, Ok()), (3, Ok())])
        inst.connect(out).assert_yields_only_unordered([1, 3])

    flow.sim().exhaustive(body)


def test_collect_quorum_single_response():
    """quorum.rs ``collect_quorum_single_response``: min = max = 1; every single success is a
    quorum at once."""
    flow, port, out, _, _, _ = quorum_flow(collect_quorum, 1, 1)

    def body(inst):
        inst.connect(port).send_many([(1, Ok()), (2, Err()), (3, Ok())])
        inst.connect(out).assert_yields_only_unordered([1, 3])

    flow.sim().exhaustive(body)


def test_collect_quorum_no_responses():
    """quorum.rs ``collect_quorum_no_responses``: nothing sent, nothing out (one execution)."""
    flow, _, out, _, _, _ = quorum_flow(collect_quorum, 2, 3)

    def body(inst):
        inst.connect(out).assert_no_more()

    assert flow.sim().exhaustive(body) == 1


def test_collect_quorum_no_double_quorum_before_max():
    """quorum.rs ``collect_quorum_no_double_quorum_before_max``: min 2 of max 4; key 1 gets four
    successes, key 2 two errors and two successes: each key reaches quorum exactly once."""
    flow, port, out, _, _, _ = quorum_flow(collect_quorum, 2, 4)

    def body(inst):
        inst.connect(port).send_many([(1, Ok()), (1, Ok()), (1, Ok()), (1, Ok()),
                                      (2, Err()), (2, Ok()), (2, Ok()), (2, Err())])
        inst.connect(out).assert_yields_only_unordered([1, 2])

    flow.sim().exhaustive(body)


def test_collect_quorum_with_response_gives_the_values_of_the_quorum_tick():
    """quorum.rs ``collect_quorum_with_response`` (min < max branch): the successful responses
    of a key come out once it reaches min (those of that tick, never a second time before max);
    NoOrder input keeps NoOrder outputs."""
    flow, port, out, errors, success, error = quorum_flow(
        collect_quorum_with_response, 2, 3, order=Order.NO_ORDER)
    assert (success.order, error.order) == (Order.NO_ORDER, Order.NO_ORDER)
    outcomes = set()

    def body(inst):
        inst.connect(port).send_many_unordered([("k", Ok("a")), ("k", Ok("b")), ("k", Err("x"))])
        values = inst.connect(out).collect()
        assert {"a", "b"} == {v for _, v in values} and len(values) == 2
        inst.connect(errors).assert_yields_only([("k", "x")])
        outcomes.add(tuple(sorted(values)))

    assert flow.sim().exhaustive(body) > 1
    assert outcomes == {(("k", "a"), ("k", "b"))}


@pytest.mark.parametrize("helper", [collect_quorum, collect_quorum_with_response],
                         ids=lambda h: h.__name__)
def test_the_quorum_helpers_commutativity_claims_hold(helper):
    """quorum.rs folds the responses per key with ``fold_commutative``: the simulator with
    ``check_claims=True`` also feeds the fold every order of each batch, and the keys reaching
    quorum (and their values) stay the same."""
    flow = FlowBuilder("quorum_claims")
    p = flow.process("p")
    port, responses = p.sim_input(order=Order.NO_ORDER)
    out = helper(responses, 2, 3)[0].sim_output()

    def body(inst):
        inst.connect(port).send_many_unordered([(1, Ok("a")), (1, Err()), (1, Ok("b")),
                                                (2, Ok("c"))])
        got = sorted(inst.connect(out).collect(), key=str)
        assert got in ([1], [(1, "a"), (1, "b")]), got

    assert flow.sim(check_claims=True).exhaustive(body) > flow.sim().exhaustive(body)


def test_collect_quorum_on_an_atomic_stream_stays_atomic():
    """quorum.rs, the earlier signature ``responses: Stream<_, Atomic<L>, ..>`` as
    ``paxos_bench.rs`` called it (``collect_quorum(c_received_payloads.atomic(&tick), ..)
    .0.end_atomic()``): the results stay in the atomic region, and leave it with end_atomic."""
    flow = FlowBuilder("atomic_quorum")
    node = flow.process("node")
    port, responses = node.sim_input()
    tick = node.tick()
    keys, errors = collect_quorum(responses.atomic(tick), 2, 2)
    assert type(keys.location).__name__ == type(errors.location).__name__ == "Atomic"
    out = keys.end_atomic().sim_output()

    def body(inst):
        inst.connect(port).send_many([(1, Ok()), (1, Ok()), (2, Ok())])
        inst.connect(out).assert_yields_only_unordered([1])

    flow.sim().exhaustive(body)


def test_collect_quorum_refuses_what_its_rust_type_refuses():
    """quorum.rs's signature: ``responses: Stream<(K, Result<..>), L: NoTick, Unbounded, Order>``
    (ExactlyOnce by default), ``min``/``max: usize``."""
    flow = FlowBuilder("quorum_refusals")
    p = flow.process("p")
    _, responses = p.sim_input()
    tick = p.tick()
    in_tick, keyed, retried = (responses.batch(tick, ND), responses.into_keyed(),
                               responses.weaken_retries())
    msg = refused(flow, lambda: collect_quorum(in_tick, 2, 3),
                  "collect_quorum", "inside tick", "top-level", ".all_ticks()")
    assert "across ticks" in msg
    refused(flow, lambda: collect_quorum(keyed, 2, 3),
            "collect_quorum", "must be a Stream, got a KeyedStream", ".entries()")
    refused(flow, lambda: collect_quorum(retried, 2, 3),
            "collect_quorum", "AtLeastOnce", "ExactlyOnce", "assume_retries", "count twice")
    refused(flow, lambda: collect_quorum_with_response(responses, 3, 2),
            "collect_quorum_with_response", "max (2) is smaller than min (3)")
    refused(flow, lambda: collect_quorum(responses, 0, 3), "min must be a positive int")


def test_a_response_that_is_not_ok_or_err_stops_the_flow_naming_the_fix():
    """Rust's ``Result`` is a type; here a response that is neither ``Ok`` nor ``Err`` fails the
    running flow with a ``HydroRuntimeError`` that says how to wrap it."""
    flow = FlowBuilder("bad_response")
    p = flow.process("p")
    port, responses = p.sim_input()
    collect_quorum(responses, 1, 1)[0].sim_output()

    def body(inst):
        inst.connect(port).send((1, True))
        inst.run()

    with pytest.raises(SimFailure, match=r"HydroRuntimeError: .*must be \(key, Ok\(value\)\) "
                       r"or \(key, Err\(error\)\).*wrap it"):
        flow.sim().run(body)
    with pytest.raises(HydroRuntimeError, match=r"got \(1, 'yes'\); wrap it"):
        with flow.deploy("local") as d:  # the deployment stops and raises the flow's error
            d.connect(port).send((1, "yes"))
            d.step(3)


# -- hydro_test/src/cluster/simple_cluster.rs (hydro_std::compartmentalize) ----------------------

def _received(x):
    return (self_id(), x)


def test_decouple_process():
    """simple_cluster.rs ``decouple_process``: process1's ``0..3`` decoupled to process2, which
    receives them in order ("I received message is i")."""
    flow = FlowBuilder("decouple_process")
    process1, process2 = flow.process("process1"), flow.process("process2")
    moved = decouple_process(process1.source_iter(range(3)), process2)
    assert (moved.location, moved.order) == (process2, Order.TOTAL_ORDER)
    lines: list = []
    moved.map(lambda m: f"I received message is {m}").dest_sink(lines)
    with flow.deploy("local") as d:
        d.run(ticks=5)
    assert lines == [f"I received message is {i}" for i in range(3)]


def test_decouple_cluster():
    """simple_cluster.rs ``decouple_cluster``: member i of cluster1 sends its own id to member i
    of cluster2 (three members each): "My self id is i, my message is i"."""
    flow = FlowBuilder("decouple_cluster")
    cluster1, cluster2 = flow.cluster("cluster1"), flow.cluster("cluster2")
    ids = cluster1.source_iter([None]).map(lambda _: self_id())
    moved = decouple_cluster(ids, cluster2)
    assert (moved.location, moved.order, moved.retries) == (cluster2, Order.TOTAL_ORDER,
                                                           Retries.EXACTLY_ONCE)
    got: list = []
    moved.map(_received).dest_sink(got)
    with flow.deploy("local", cluster_sizes={cluster1: 3, cluster2: 3}) as d:
        d.run(ticks=5)
    assert sorted((me.get_raw_id(), m.get_raw_id()) for me, m in got) == [(i, i) for i in range(3)]


class _Doubled:
    """simple_cluster.rs's ``dist_policy``: ``MemberId::from_raw_id(id * num_partitions)``."""

    def __init__(self, cluster: str, num_partitions: int):
        self.cluster, self.num_partitions = cluster, num_partitions

    def __call__(self, pair):
        member, msg = pair
        return (MemberId(self.cluster, member.get_raw_id() * self.num_partitions), msg)


def test_partition():
    """simple_cluster.rs ``partition``: 3 members each send "Hello from <id>" with
    ``send_partitioned``; the policy doubles the id, so member 2i of the 6 receives i's."""
    flow = FlowBuilder("partition")
    cluster1, cluster2 = flow.cluster("cluster1"), flow.cluster("cluster2")
    hello = cluster1.source_iter([None]).map(lambda _: (self_id(), f"Hello from {self_id()!r}"))
    moved = send_partitioned(hello, cluster2, _Doubled("cluster2", 2))
    assert (moved.location, moved.order) == (cluster2, Order.NO_ORDER)  # several senders
    got: list = []
    moved.assume_ordering(ND).map(_received).dest_sink(got)
    with flow.deploy("local", cluster_sizes={cluster1: 3, cluster2: 6}) as d:
        d.run(ticks=5)
    assert sorted((me.get_raw_id(), m) for me, m in got) == [
        (2 * i, f"Hello from MemberId<cluster1>({i})") for i in range(3)]


def test_compartmentalize_refuses_what_its_traits_do_not_cover():
    """compartmentalize.rs: ``DecoupleProcessStream`` is implemented for process streams,
    ``DecoupleClusterStream`` and ``PartitionStream`` for cluster streams, all top-level."""
    flow = FlowBuilder("compartmentalize_refusals")
    p, q, c = flow.process("p"), flow.process("q"), flow.cluster("c")
    at_p, at_c = p.source_iter([1]), c.source_iter([1])
    pairs, in_tick = at_p.map(lambda x: (x, x)), at_p.batch(p.tick(), ND)
    refused(flow, lambda: decouple_process(at_c, q), "decouple_process", "cluster c",
            "decouple_cluster(stream, other_cluster)")
    refused(flow, lambda: decouple_cluster(at_p, c), "decouple_cluster", "process p",
            "decouple_process(stream, other_process)")
    refused(flow, lambda: decouple_cluster(at_c, q), "the destination must be a Cluster")
    refused(flow, lambda: send_partitioned(pairs, c, lambda x: x),
            "send_partitioned", ".demux(other)")
    refused(flow, lambda: decouple_process(in_tick, q), "decouple_process",
            "top level", ".all_ticks()")


# -- hydro_std/src/request_response.rs -------------------------------------------------------------

def test_join_responses_waits_for_the_metadata_of_each_request():
    """request_response.rs ``join_responses``: metadata made when a request is sent waits in the
    tick until its response arrives; each response is joined once, in whichever tick it
    arrives."""
    flow = FlowBuilder("join_responses")
    p = flow.process("p")
    meta_port, requests = p.sim_input()
    resp_port, responses = p.sim_input(order=Order.NO_ORDER)
    tick = p.tick()
    joined = join_responses(tick, responses, requests.batch(tick, ND))
    assert (joined.location, joined.order) == (p, Order.NO_ORDER)
    out = joined.sim_output()

    def body(inst):
        inst.connect(meta_port).send_many([(1, "req1"), (2, "req2")])
        inst.run()
        inst.connect(resp_port).send_many_unordered([(2, "resp2"), (1, "resp1")])
        inst.connect(out).assert_yields_only_unordered([(1, ("req1", "resp1")),
                                                        (2, ("req2", "resp2"))])

    assert flow.sim().exhaustive(body) > 1
    refused(flow, lambda: join_responses(tick, responses, requests), "join_responses",
            "inside tick", "metadata.batch(tick")


# -- hydro_std/src/membership.rs ------------------------------------------------------------------

def _present(snapshot):
    return snapshot.filter(lambda b: b).keys().fold(
        list, lambda acc, k: acc + [k], commutative="sorted below").map(sorted)


@pytest.mark.parametrize("events, members", [
    ([(1, MembershipEvent.JOINED)], [1]),
    ([(1, MembershipEvent.JOINED), (2, MembershipEvent.JOINED), (3, MembershipEvent.JOINED)],
     [1, 2, 3]),
    ([(1, MembershipEvent.JOINED), (2, MembershipEvent.JOINED), (1, MembershipEvent.LEFT)], [2]),
    ([(1, MembershipEvent.JOINED), (1, MembershipEvent.LEFT), (1, MembershipEvent.JOINED)], [1]),
], ids=["basic_join", "multiple_join", "member_leaves", "member_rejoins"])
def test_track_membership(events, members):
    """membership.rs ``test_basic_join_leave`` and ``test_multiple_members_join_leave`` (its
    three cases): the members whose last event is Joined. (Hydro reads the entries of the
    top-level keyed singleton; hydro_lab's are read through a snapshot.)"""
    flow = FlowBuilder("membership")
    p = flow.process("p")
    port, events_in = p.sim_input()
    tracked = track_membership(events_in.into_keyed())
    assert type(tracked).__name__ == "KeyedSingleton"
    seen: list = []
    _present(tracked.snapshot(p.tick(), ND)).all_ticks().dest_sink(seen)
    with flow.deploy("local") as d:
        d.connect(port).send_many(events)
        d.run(ticks=5)
    assert seen[-1] == members


def test_track_membership_of_a_cluster():
    """membership.rs as ``aggregate_bench_results`` uses it: ``track_membership(
    aggregator.source_cluster_members(clients))``, snapshot, ``filter(|b| *b).key_count()``."""
    flow = FlowBuilder("cluster_size")
    p, c = flow.process("p"), flow.cluster("c")
    sizes: list = []
    (track_membership(p.source_cluster_members(c)).snapshot(p.tick(), ND)
        .filter(lambda b: b).key_count().all_ticks().dest_sink(sizes))
    with flow.deploy("local", cluster_sizes={c: 3}) as d:
        d.run(ticks=5)
    assert sizes[-1] == 3


# -- hydro_std/src/bench_client/ ----------------------------------------------------------------

class FakeClock:
    """Seconds that pass only when the test says so (``deploy(clock=...)``)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def inc_i32_workload_generator(ids_and_prev_payloads):
    """paxos_bench.rs ``inc_i32_workload_generator``: 0 for a new virtual client, else the
    previous output + 1."""
    return ids_and_prev_payloads.map(lambda payload: 0 if payload is None else payload + 1)


def _tag_sender(entry):
    return (self_id(), entry)


def echo_protocol(clients, server):
    """hydro_optimize's ``simple_kv_bench``-style echo: the server sends each payload back to
    the client member that sent it."""
    def protocol(inputs):
        at_server = inputs.entries().map(_tag_sender).send(server).values()
        return at_server.demux(clients).into_keyed()
    return protocol


def test_bench_client_runs_closed_loop_virtual_clients():
    """bench_client/mod.rs ``bench_client``: ``num_clients_per_node`` virtual clients per member,
    each with one request in flight: the workload sees each output and sends the next input,
    so every virtual client's outputs are 0, 1, 2, ... in order, and every output comes with
    its latency (a positive number of seconds)."""
    flow = FlowBuilder("bench_echo")
    clients, server = flow.cluster("clients"), flow.process("server")
    done = bench_client(clients, 3, inc_i32_workload_generator, echo_protocol(clients, server))
    assert (type(done).__name__, done.location, done.order) == ("KeyedStream", clients,
                                                                Order.NO_ORDER)
    seen: list = []
    done.entries().map(_tag_sender).assume_ordering(ND).dest_sink(seen)
    with flow.deploy("local", cluster_sizes={clients: 2}) as d:
        d.step(40)
    per_client = defaultdict(list)
    for member, (vid, (output, latency)) in seen:
        per_client[member.get_raw_id(), vid].append(output)
        assert isinstance(latency, float) and latency > 0
    assert sorted(per_client) == [(m, v) for m in range(2) for v in range(3)]
    for outputs in per_client.values():
        assert outputs == list(range(len(outputs))) and len(outputs) >= 5


def _four_requests(prev):
    """inc_i32_workload_generator that stops each virtual client after its 4th request, so a
    simulation ends."""
    return prev.filter_map(lambda p: 0 if p is None else (p + 1 if p < 3 else None))


def test_bench_client_in_the_simulator_measures_each_request_once():
    """bench_client/mod.rs ``bench_client`` under the simulator's batchings (Hydro's nondets:
    the batching of start times and outputs "does not actually affect the result"): in every
    explored execution each virtual client completes requests 0..3, each once, each with a
    non-negative latency."""
    flow = FlowBuilder("bench_sim")
    clients, server = flow.cluster("clients"), flow.process("server")
    done = bench_client(clients, 2, _four_requests, echo_protocol(clients, server))
    out = done.entries().map(_tag_sender).send(server).values().sim_output()

    def body(inst):
        per_client = defaultdict(list)
        for member, (vid, (output, latency)) in inst.connect(out).collect():
            per_client[member.get_raw_id(), vid].append(output)
            assert latency >= 0, (member, vid, output, latency)
        assert sorted(per_client) == [(m, v) for m in range(2) for v in range(2)]
        assert all(sorted(outputs) == [0, 1, 2, 3] for outputs in per_client.values())

    assert flow.sim(cluster_sizes={clients: 2}).fuzz(body, runs=100, seed=3) == 100


def test_compute_throughput_latency_counts_every_latency_once():
    """bench_client/mod.rs ``compute_throughput_latency``: at the end of each window a member
    emits the window's requests and latency histogram (also when it had none); every latency
    is in exactly one window."""
    flow = FlowBuilder("windows")
    clients = flow.cluster("clients")
    latencies = clients.source_iter([0.001, 0.002, 0.003])
    results = compute_throughput_latency(clients, latencies, 1000, nondet("test windows"))
    assert isinstance(results, BenchResult) and results.interval_millis == 1000
    assert (results.throughput.order, results.latency_histogram.order) == (Order.TOTAL_ORDER,) * 2
    report = bench_report(results)
    clock = FakeClock()
    with flow.deploy("local", cluster_sizes={clients: 1}, clock=clock) as d:
        for _ in range(4):
            d.step(2)
            clock.now += 1.0
        d.step(2)
    assert len(report.throughput) >= 3 and sum(report.throughput) == 3
    merged = Histogram()
    for h in report.latency:
        merged.add(h)
    assert merged.len() == 3
    assert abs(merged.value_at_quantile(0.5) - 2_000_000) <= 2_000_000 * 0.001
    assert {r["member"] for r in report.records()} == {MemberId("clients", 0)}


def test_pretty_print_bench_results_prints_hydros_lines(capsys):
    """bench_client/mod.rs ``pretty_print_bench_results``: ``Throughput: <n> requests/s`` and
    ``Latency p50: <ms> | p99 <ms> | p999 <ms> ms (<n> samples)``."""
    flow = FlowBuilder("print")
    clients, aggregator = flow.cluster("clients"), flow.process("aggregator")
    results = compute_throughput_latency(clients, clients.source_iter([0.004] * 4), 1000,
                                         nondet("test windows"))
    pretty_print_bench_results(aggregate_bench_results(results, aggregator, 1000))
    clock = FakeClock()
    with flow.deploy("local", cluster_sizes={clients: 2}, clock=clock) as d:
        for _ in range(5):
            d.step(3)
            clock.now += 1.0
    out = capsys.readouterr().out
    throughput = [float(x) for x in re.findall(r"Throughput: ([0-9.]+) requests/s", out)]
    latency = re.findall(r"Latency p50: ([0-9.]+) \| p99 ([0-9.]+) \| p999 ([0-9.]+) ms "
                         r"\((\d+) samples\)", out)
    assert sum(throughput) == 8.0  # 4 latencies on each of 2 members
    # 4 ms to three significant digits: the highest value of its bucket, as HdrHistogram says
    assert ("4.001", "4.001", "4.001", "8") in latency


def _reply(entry):
    """A replica's answer to the client that sent a committed payload: ``(client,
    ((vid, payload), Ok()))``; holes (None) are not answered."""
    _slot, value = entry
    if value is None:
        return None
    client, request = value
    return (client, (request, Ok()))


def _to_leader(pair):
    request, ballot = pair
    return (ballot.proposer_id, request)


def paxos_bench(num_clients_per_node, f, num_replicas, paxos_config, clients,
                client_aggregator, proposers, acceptors, replicas, interval_millis):
    """paxos_bench.rs ``paxos_bench``, on hydro_lab's Paxos example: clients send their
    payloads to the leader (``with_client``), committed payloads go to the replicas, and a
    client's request is done once ``collect_quorum`` heard from f+1 of ``num_replicas``
    replicas. (hydro_lab's Paxos has no checkpoints and its replicas only deduplicate and
    answer, where Hydro's ``kv_replica`` applies the log in slot order.)"""
    bench_nd = nondet("benchmarking: order and which leader do not matter")

    def protocol(inputs):
        def with_client(new_ballots):
            leader = new_ballots.broadcast(clients, bench_nd).values().max()
            tick = clients.tick()
            waiting_handle, waited = tick.cycle("Stream", order=Order.NO_ORDER)
            waiting = waited.chain(inputs.entries().map(_tag_sender).batch(tick, bench_nd))
            current_leader = leader.snapshot(tick, bench_nd)
            waiting_handle.complete_next_tick(waiting.filter_if_none(current_leader))
            return (waiting.cross_singleton(current_leader).map(_to_leader).all_ticks()
                    .demux(proposers).values()
                    .assume_ordering(nondet("clients own their keys: interleaving their "
                                            "payloads does not reorder writes to one key")))

        _, committed = paxos_core(proposers, acceptors, with_client, paxos_config,
                                  nondet_leader=bench_nd, nondet_commit=bench_nd)
        processed = committed.broadcast(replicas, bench_nd).values().unique().filter_map(_reply)
        c_received_payloads = processed.demux(clients).values()
        # we only mark a transaction as committed when f+1 replicas have applied it
        return collect_quorum(c_received_payloads, f + 1, num_replicas)[0].into_keyed()

    latencies = (bench_client(clients, num_clients_per_node, inc_i32_workload_generator,
                              protocol)
                 .entries().map(lambda entry: entry[1][1]))
    bench_results = compute_throughput_latency(clients, latencies, interval_millis / 10,
                                               nondet("bench"))
    aggregate_results = aggregate_bench_results(bench_results, client_aggregator,
                                                interval_millis)
    pretty_print_bench_results(aggregate_results)
    return bench_report(aggregate_results)


def test_paxos_some_throughput(capsys):
    """paxos_bench.rs ``paxos_some_throughput``: Paxos (f = 1: 2 proposers, 3 acceptors, 2
    replicas, one client machine) under the bench client reports a positive throughput (Hydro
    waits for two ``Throughput:`` lines with a positive lower bound), here on the local backend
    for 2.5 seconds; the report has the latencies of the completed requests."""
    flow = FlowBuilder("paxos_bench")
    proposers, acceptors = flow.cluster("proposers"), flow.cluster("acceptors")
    clients, replicas = flow.cluster("clients"), flow.cluster("replicas")
    client_aggregator = flow.process("client_aggregator")
    config = PaxosConfig(f=1, i_am_leader_send_timeout=0.05, i_am_leader_check_timeout=0.2,
                         i_am_leader_check_timeout_delay_multiplier=0.3)
    report = paxos_bench(10, 1, 2, config, clients, client_aggregator, proposers, acceptors,
                         replicas, 500)
    with flow.deploy("local", cluster_sizes={proposers: 2, acceptors: 3, clients: 1,
                                             replicas: 2}) as d:
        d.run(seconds=2.5)
    out = capsys.readouterr().out
    positive = [x for x in re.findall(r"Throughput: ([0-9.]+) requests/s", out) if float(x) > 0]
    assert len(positive) >= 2, out
    assert isinstance(report, BenchReport)
    summary = report.summary()
    assert summary["requests"] > 0 and summary["throughput_rps"] > 0
    assert summary["samples"] == summary["requests"]
    assert 0 < summary["latency_p50_ms"] <= summary["latency_p99_ms"] < 2500
    frame = report.to_pandas()
    assert list(frame.columns) == ["member", "interval", "time", "requests", "throughput_rps",
                                   "samples", "latency_mean_ms", "latency_p50_ms",
                                   "latency_p99_ms", "latency_p999_ms"]
    assert frame.requests.sum() == summary["requests"] and (frame.samples == frame.requests).all()


def test_bench_client_refuses_what_its_rust_type_refuses():
    """bench_client/mod.rs's signature: ``clients: &Cluster``, ``num_clients_per_node: usize``,
    and both closures returning ``KeyedStream<u32, _, Cluster<Client>, Unbounded, NoOrder>``
    (ExactlyOnce)."""
    flow = FlowBuilder("bench_refusals")
    clients, server = flow.cluster("clients"), flow.process("server")
    echo = echo_protocol(clients, server)
    refused(flow, lambda: bench_client(server, 2, inc_i32_workload_generator, echo),
            "bench_client", "the clients must be a Cluster")
    refused(flow, lambda: bench_client(clients, 0, inc_i32_workload_generator, echo),
            "num_clients_per_node must be a positive int")
    refused(flow, lambda: bench_client(clients, 2, lambda prev: prev.entries(), echo),
            "workload_generator must return a KeyedStream", "got a Stream", ".into_keyed()")
    refused(flow, lambda: bench_client(clients, 2, inc_i32_workload_generator,
                                       lambda inputs: inputs.entries().send(server)
                                       .entries().into_keyed()),
            "protocol returned a KeyedStream at process server", ".demux(clients)")
    refused(flow, lambda: bench_client(clients, 2, inc_i32_workload_generator,
                                       lambda inputs: echo(inputs).weaken_retries()),
            "AtLeastOnce", "a duplicate would be measured as another request")
    latencies = server.source_iter([0.1])
    refused(flow, lambda: compute_throughput_latency(clients, latencies, 100, ND),
            "compute_throughput_latency", "process server", "at the clients")
    refused(flow, lambda: aggregate_bench_results("results", server, 100),
            "aggregate_bench_results", "expects a BenchResult")


def test_histogram_and_rolling_average():
    """hdrhistogram's ``Histogram::new(3)`` as the bench client uses it (three significant
    digits, mergeable) and rolling_average.rs ``RollingAverage`` (mean, variance, the 99%
    interval ``mean ± 2.576·σ/√n``, ``add``)."""
    h = Histogram()
    for v in range(1, 10_001):
        h.record(v * 1000)
    assert h.len() == len(h) == 10_000
    for q, exact in ((0.5, 5_000_000), (0.99, 9_900_000), (0.999, 9_990_000)):
        assert abs(h.value_at_quantile(q) - exact) <= exact * 0.001
    other = Histogram()
    other.record(20_000_000)
    h.add(other)
    assert h.len() == 10_001 and abs(h.max() - 20_000_000) <= 20_000
    assert Histogram().value_at_quantile(0.5) == 0

    r = RollingAverage()
    assert (r.sample_mean(), r.sample_variance(), r.confidence_interval_99()) == (0.0, 0.0, None)
    for x in (2.0, 4.0, 6.0, 8.0):
        r.add_sample(x)
    assert (r.sample_count(), r.sample_mean()) == (4, 5.0)
    assert r.sample_variance() == pytest.approx(20 / 3)
    lower, upper = r.confidence_interval_99()
    assert (lower + upper) / 2 == pytest.approx(5.0)
    assert upper - lower == pytest.approx(2 * 2.576 * (20 / 3) ** 0.5 / 2)
    s = RollingAverage()
    s.add_sample(10.0)
    r.add(s)
    assert (r.sample_count(), r.sample_mean()) == (5, 6.0)
