"""A cluster's simulator ports: ``cluster.sim_input()`` sends to a chosen member, a cluster's
``sim_output()`` is read per member or as ``(member, value)`` pairs; output handles iterate and
``collect_sorted``; misuse is refused with errors that name ``sim_input``."""

from __future__ import annotations

import pytest

from hydro_lab import FlowBuilder, MemberId, Order, Retries, nondet
from hydro_lab.errors import HydroDeployError, HydroTypeError

ND = nondet("test")


def times_ten(order=Order.TOTAL_ORDER, retries=Retries.EXACTLY_ONCE):
    flow = FlowBuilder()
    workers = flow.cluster("workers")
    port, numbers = workers.sim_input(order=order, retries=retries)
    out = numbers.map(lambda x: x * 10).sim_output()
    return flow, workers, port, out


def test_each_member_gets_what_is_sent_to_it_in_order():
    flow, workers, port, out = times_ten()

    def body(inst):
        sender, received = inst.connect(port), inst.connect(out)
        sender.send_many([(1, 1), (0, 2), (1, 3), (MemberId("workers", 2), 4)])
        received[1].assert_yields_only([10, 30])
        assert received.collect(0) == [20]
        assert received.member(MemberId("workers", 2)).next() == 40
        received.assert_no_more(2)
        assert received.members == [0, 1, 2] and sender.members == [0, 1, 2]

    assert flow.sim(cluster_sizes={workers: 3}).exhaustive(body) >= 1


def test_without_a_member_the_output_reads_member_value_pairs_and_shares_what_was_read():
    flow, workers, port, out = times_ten()

    def body(inst):
        sender, received = inst.connect(port), inst.connect(out)
        sender.send_many([(0, 1), (1, 2), (0, 3)])
        assert received.next(0) == 10  # read through member 0: not read again below
        rest = received.collect()
        assert sorted(rest) == [(0, 30), (1, 20)]
        assert [v for m, v in rest if m == 0] == [30]  # each member's order is kept
        assert received.collect(0) == [] and received.collect(1) == []
        sender.send(1, 5)
        assert received.recv() == (1, 50)
        sender.send_many([(0, 6), (1, 7)])
        assert sorted(received) == [(0, 60), (1, 70)]  # iterating: until the flow settles
        assert received.collect_sorted() == []

    assert flow.sim(cluster_sizes={workers: 2}).exhaustive(body) >= 1


def test_sim_cluster_output_is_hydros_name_and_refuses_a_process():
    flow = FlowBuilder()
    workers, leader = flow.cluster("workers"), flow.process("leader")
    port, numbers = workers.sim_input()
    out = numbers.sim_cluster_output()

    def body(inst):
        inst.connect(port).send(0, "x")
        assert inst.connect(out).collect_sorted(0) == ["x"]

    assert flow.sim(cluster_sizes={workers: 1}).exhaustive(body) == 1
    with pytest.raises(HydroTypeError, match=r"(?s)sim_cluster_output: this Stream is at process "
                       r"leader, not on a cluster.*use \.sim_output\(\)"):
        leader.source_iter([1]).sim_cluster_output()


def test_an_at_least_once_cluster_input_may_deliver_twice():
    flow, workers, port, out = times_ten(retries=Retries.AT_LEAST_ONCE)
    seen = set()

    def body(inst):
        inst.connect(port).send(1, 1)
        seen.add(tuple(inst.connect(out).collect(1)))

    assert flow.sim(cluster_sizes={workers: 2}).exhaustive(body) == 2
    assert seen == {(10,), (10, 10)}


def test_a_crashed_member_gets_nothing_more_and_the_others_go_on():
    flow, workers, port, out = times_ten()

    def body(inst):
        sender, received = inst.connect(port), inst.connect(out)
        inst.crash(workers, 0)
        sender.send_many([(0, 1), (1, 2)])
        assert received.collect() == [(1, 20)]

    assert flow.sim(cluster_sizes={workers: 2}).exhaustive(body) == 1


def test_the_trace_names_the_member_an_input_went_to():
    flow, workers, port, out = times_ten()

    def body(inst):
        inst.connect(port).send(1, 7)
        assert inst.connect(out).next(1) == 71  # fails: the trace shows the input

    with pytest.raises(AssertionError) as failure:
        flow.sim(cluster_sizes={workers: 2}).run(body)
    assert "to workers[1]: [7]" in str(failure.value)


def test_process_output_iterates_and_collects_sorted():
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = s.batch(p.tick(), ND).all_ticks().sim_output()

    def body(inst):
        inst.connect(port).send_many_unordered([3, 1, 2])
        received = inst.connect(out)
        assert received.collect_sorted() == [1, 2, 3]
        inst.connect(port).send_many_unordered(["b", "a"])
        assert sorted(received) == ["a", "b"]
        inst.connect(port).send_many_unordered([{"k": 2}, {"k": 1}])
        assert received.collect_sorted(key=lambda d: d["k"]) == [{"k": 1}, {"k": 2}]

    # each send: the ordered set partitions of its values (13 of 3 values, 3 of 2)
    assert flow.sim().exhaustive(body) == 13 * 3 * 3


def test_collect_sorted_of_values_without_an_order_says_what_to_do():
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input()
    out = s.sim_output()

    def body(inst):
        inst.connect(port).send_many([{"k": 1}, {"k": 2}])
        inst.connect(out).collect_sorted()

    with pytest.raises(HydroDeployError, match=r"collect_sorted\(\): the values of port \d+ "
                       r"\(sim_output at .*\) cannot be ordered .*collect_sorted\(key=\.\.\.\)"):
        flow.sim().exhaustive(body)


@pytest.mark.parametrize("call, message", [
    (lambda s: s.send(0), r"send\(\): port \d+ \(sim_input at .*\) is a sim_input of cluster "
     r"'workers': say which member gets the message, send\(member, value\), e\.g\. send\(0, 0\)"),
    (lambda s: s.send(2, "x"), r"send\(\): cluster 'workers' has members 0 \.\. 1 in this "
     r"simulation \(flow\.sim\(cluster_sizes=\.\.\.\)\), got member 2"),
    (lambda s: s.send(MemberId("other", 0), "x"), r"MemberId<other>\(0\) is a member of cluster "
     r"'other', but port \d+ \(sim_input at .*\) is at cluster 'workers'"),
    (lambda s: s.send_many([1, 2]), r"send_many\(\): port \d+ \(sim_input at .*\) is a "
     r"sim_input of cluster 'workers', so it takes \(member, value\) pairs, got 1"),
    (lambda s: s.send("0", 1), r"a member is its index \(0 \.\. 1\) or its MemberId, got '0'"),
    (lambda s: s.send_many_unordered([(0, 1)]), r"send_many_unordered\(\): port \d+ "
     r"\(sim_input at .*\) was declared TotalOrder.*sim_input\(order=Order\.NO_ORDER\)"),
])
def test_cluster_input_misuse_is_refused(call, message):
    flow, workers, port, out = times_ten()

    def body(inst):
        call(inst.connect(port))

    with pytest.raises(HydroDeployError, match=message):
        flow.sim(cluster_sizes={workers: 2}).exhaustive(body)


def test_a_bad_member_of_an_output_is_refused():
    flow, workers, port, out = times_ten()

    def body(inst):
        inst.connect(out).next(5)

    with pytest.raises(HydroDeployError, match=r"member\(\): cluster 'workers' has members "
                       r"0 \.\. 1 in this simulation"):
        flow.sim(cluster_sizes={workers: 2}).exhaustive(body)


def test_errors_name_sim_input_not_source_external():
    flow = FlowBuilder()
    workers, client = flow.cluster("workers"), flow.external("client")
    with pytest.raises(HydroTypeError) as bad_order:
        workers.sim_input(order="total")
    assert str(bad_order.value).startswith("sim_input: order= must be an Order, got 'total'")
    with pytest.raises(HydroTypeError) as on_external:
        client.sim_input()
    assert str(on_external.value).startswith("sim_input: External 'client' has no live "
                                             "collections of its own")
    assert "loc.sim_input() for input, stream.sim_output() for output" in str(on_external.value)
    port, numbers = workers.sim_input()
    assert numbers.location == workers and port.direction == "in"
    assert flow.graph().model is not None  # the node is named for the call: sim_input
    node = flow._ctx.graph.nodes[port.info.input_node]
    assert node.meta.op == "sim_input"


def test_a_deployment_refuses_a_clusters_sim_ports():
    flow, workers, port, out = times_ten()
    with flow.deploy(cluster_sizes={workers: 2}) as d:
        with pytest.raises(HydroDeployError, match=r"connect\(\): port \d+ is a sim_input of "
                           r"cluster 'workers', whose members each have their own; only the "
                           r"simulator connects to it"):
            d.connect(port)
        with pytest.raises(HydroDeployError, match=r"port \d+ is a sim_output of cluster "
                           r"'workers'"):
            d.connect(out)


def test_hydros_other_readers_try_next_collect_n_next_only():
    flow, workers, port, out = times_ten(order=Order.NO_ORDER)

    def body(inst):
        sender, received = inst.connect(port), inst.connect(out)
        sender.send_many_unordered([(0, 2), (0, 1), (1, 3)])
        assert received.collect_n_sorted_only(0, 2) == [10, 20]
        assert received.next_only(1) == 30
        assert received.try_next(0) is None and received.try_next() is None
        sender.send_many_unordered([(1, 4), (1, 5)])
        assert sorted(received[1].collect_n_only(2)) == [40, 50]
        sender.send_many_unordered([(0, 6)])
        assert received.next_only() == (0, 60)
        sender.send_many_unordered([(0, 7)])
        received[0].collect_n(2)  # only one comes: fails this execution

    with pytest.raises(AssertionError, match=r"member workers\[0\] of port \d+ \(sim_output at "
                       r".*\): the flow settled after 1 values, but 2 were expected: \[70\]"):
        flow.sim(cluster_sizes={workers: 2}).exhaustive(body)


def test_next_only_fails_on_a_second_value():
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input()
    out = s.sim_output()

    def body(inst):
        inst.connect(port).send_many([1, 2])
        inst.connect(out).next_only()

    with pytest.raises(AssertionError, match=r"yielded unexpected values \[2\]"):
        flow.sim().run(body)
