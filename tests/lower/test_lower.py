"""Lowering: every IR node type has a rule; persistence and channels come out as Hydro's do."""

from __future__ import annotations

import inspect

from hydro_lab import FlowBuilder, nondet
from hydro_lab.ir import nodes as N
from hydro_lab.lower.rules import LOWERINGS

ND = nondet("test")


def test_every_ir_node_type_has_a_lowering_rule():
    node_types = [c for c in vars(N).values() if inspect.isclass(c) and issubclass(c, N.Node)
                  and c not in (N.Node, N.ElementWise, N.Aggregation)]
    assert node_types and all(t in LOWERINGS for t in node_types), \
        [t.__name__ for t in node_types if t not in LOWERINGS]


def ops_of(flow, location):
    graph = flow.compile().program_of(location).graph
    return list(graph.operators.values())


def test_top_level_folds_are_static_and_tick_folds_are_tick():
    flow = FlowBuilder()
    p = flow.process("p")
    s = p.source_iter([1])
    s.fold(lambda: 0, max).into_stream().for_each(print)
    s.batch(p.tick(), ND).fold(lambda: 0, max).all_ticks().for_each(print)
    folds = [op for op in ops_of(flow, "p") if op.op == "fold"]
    assert sorted(op.persistence for op in folds) == ["static", "tick"]


def test_aggregations_over_re_emitted_values_are_per_tick():
    flow = FlowBuilder()
    p = flow.process("p")
    counts = p.source_iter([("a", 1)]).into_keyed().fold(lambda: 0, lambda a, v: a + v)
    counts.key_count().sample_every(1.0, ND).for_each(print)
    key_count = [op for op in ops_of(flow, "p") if op.op == "fold"][0]
    assert key_count.persistence == "tick"  # a keyed singleton is re-emitted in full every tick


def test_top_level_join_remembers_both_sides():
    flow = FlowBuilder()
    p = flow.process("p")
    a = p.source_iter([("k", 1)])
    a.join(p.spin().map(lambda _: ("k", 2))).assume_ordering(ND).for_each(print)
    join = next(op for op in ops_of(flow, "p") if op.op == "join")
    assert join.args["lifetimes"] == ("static", "static")


def test_free_nodes_leave_no_operator():
    flow = FlowBuilder()
    p = flow.process("p")
    t = p.tick()
    (p.source_iter([1]).weaken_ordering().assume_ordering(ND).batch(t, ND).all_ticks()
      .for_each(print))
    assert [op.op for op in ops_of(flow, "p")] == ["source_iter", "for_each"]


def test_network_edges_become_send_and_receive_halves_with_one_codec():
    flow = FlowBuilder()
    a, w = flow.process("a"), flow.cluster("w")
    (a.source_iter([1]).broadcast(w, ND, codec="json").send(a).values()
      .assume_ordering(ND).for_each(print))
    compiled = flow.compile()
    channels = compiled.lowered.channels
    assert [(c.mode, c.codec.name, c.tagged) for c in channels] == [
        ("broadcast", "json", False), ("send", "pickle", True)]
    a_ops = [op.op for op in compiled.program_of("a").graph.operators.values()]
    w_ops = [op.op for op in compiled.program_of("w").graph.operators.values()]
    assert a_ops.count("dest_port") == 1 and a_ops.count("source_stream") == 1
    assert w_ops.count("dest_port") == 1 and w_ops.count("source_stream") == 1


def test_operators_remember_the_user_line():
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_iter([1]).map(lambda x: x).for_each(print)
    m = next(op for op in ops_of(flow, "p") if op.op == "map")
    assert m.origin.describe().startswith("map(lambda x: x) at test_lower.py, line")


def test_a_watch_lowers_to_a_stamped_port_that_the_lowered_flow_lists():
    flow = FlowBuilder()
    p = flow.process("p")
    s = p.source_iter([1, 2])
    w = s.watch(name="seen")
    got = []
    s.dest_sink(got)
    compiled = flow.compile()
    lowered = compiled.lowered
    (port,) = lowered.watches
    assert lowered.watches[port] is w and lowered.sinks[port] is w
    assert [sink for sink in lowered.sinks.values() if sink is not w] == [got]
    ports = {op.args["port"]: op.args for op in ops_of(flow, p) if op.op == "dest_port"}
    assert ports[port].get("stamp") is True
    assert [args.get("stamp") for key, args in ports.items() if key != port] == [None]
