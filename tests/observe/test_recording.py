"""``Recording``: a run tick by tick, from a deployment and from a simulated execution, with the
IR nodes each tick lit up."""

from __future__ import annotations

import pytest

from hydro_lab import FlowBuilder, nondet
from hydro_lab.errors import HydroError
from hydro_lab.observe.recording import Recording, TickActivity, op_id_of

SHOW = nondet("only shown in the notebook")


def two_processes(name="rec"):
    """p doubles what a client sends and sends it to q, which counts it (watched)."""
    flow = FlowBuilder(name)
    p, q = flow.process("p"), flow.process("q")
    port, inp = p.source_external(flow.external("client"))
    doubled = inp.map(lambda x: x * 2)
    received = doubled.send(q, name="to_q")
    total = received.count()
    w = total.watch(name="total", nondet=SHOW)
    return flow, port, (inp, doubled, received, total), w


def watch_nodes(program):
    return {n.id for n in program.nodes.values() if n.meta.op == "watch"}


def test_from_a_deployment_every_tick_with_its_active_nodes_and_values():
    flow, port, (inp, doubled, received, total), w = two_processes()
    d = flow.deploy()
    client = d.connect(port)
    client.send(1)
    d.step(1)
    d.step(1)
    client.send_many([2, 3])
    d.step(1)
    d.stop()
    rec = Recording.from_deployment(d)
    assert [(t.instance, t.tick) for t in rec.ticks] == [
        ("p", 0), ("q", 0), ("p", 1), ("q", 1), ("p", 2), ("q", 2)]
    assert rec.source == "local deployment" and rec.program is d.compiled.program
    watched = watch_nodes(rec.program)

    # p's first tick: the input, the map and the channel to q; q's: the channel, the count, the
    # watch (its nondet node passes data without an operator of its own)
    assert rec.active_nodes(0) == {inp.node_id: 1, doubled.node_id: 1, received.node_id: 1}
    assert rec[0].channels == {"to_q": 1}
    assert set(rec.active_nodes(1)) == {received.node_id, total.node_id} | watched
    assert rec.values_at(1) == {"total": [1]}
    # nothing arrives at p in its second tick; q still shows its count (a singleton is
    # re-emitted every tick)
    assert rec.active_nodes(2) == {} and rec[2].ops == {}
    assert set(rec.active_nodes(3)) == {total.node_id} | watched
    assert rec.active_nodes(4) == {inp.node_id: 2, doubled.node_id: 2, received.node_id: 2}
    assert rec.values_at(5) == {"total": [3]}
    assert rec.value_before("total", 4) == (3, 1)
    assert rec.steps("q") == [1, 3, 5] and rec.steps("p", tick=2) == [4]


def test_recorded_ops_are_the_operators_metrics_counted():
    flow, port, _, _ = two_processes()
    d = flow.deploy()
    d.connect(port).send_many([5, 6])
    d.step(1)
    d.stop()
    rec = Recording.from_deployment(d)
    m = d.metrics()
    at_p0 = m[(m.location == "p") & (m.tick == 0)]
    out = at_p0[at_p0.metric == "elements_out"]
    into = at_p0[at_p0.metric == "elements_in"]
    expected = dict(zip(out.key, out.value.astype(int), strict=True))
    for key, n in zip(into.key, into.value.astype(int), strict=True):
        expected.setdefault(key, n)  # the channel's sending half produces nothing: it takes in
    assert rec[0].ops == expected and rec[0].ops["send to_q #3"] == 2
    graph = d.compiled.program_of("p").graph
    for key in rec[0].ops:
        assert graph.operators[op_id_of(key)].label in key


def test_from_a_simulated_execution():
    flow = FlowBuilder("sim")
    p, q = flow.process("p"), flow.process("q")
    port, inp = p.sim_input()
    doubled = inp.map(lambda x: x * 2)
    received = doubled.send(q, name="to_q")
    received.watch(name="at q")
    oport = received.sim_output()

    def body(inst):
        i, o = inst.connect(port), inst.connect(oport)
        i.send_many([1, 2])
        o.assert_yields([2, 4])

    sim = flow.sim()
    trace = sim.run(body, record=True)
    rec = trace.recording()
    assert rec.source == "simulation" and rec.program is sim.program_ir
    # every instance starts with tick 0 when the body first waits (p takes the inputs sent
    # before; q has nothing yet), then q takes the messages
    assert [(t.instance, t.tick) for t in rec.ticks] == [("p", 0), ("q", 0), ("q", 1)]
    assert rec.active_nodes(0) == {inp.node_id: 2, doubled.node_id: 2, received.node_id: 2}
    assert rec[0].channels == {"to_q": 2}
    assert rec.active_nodes(1) == {}
    assert received.node_id in rec.active_nodes(2)
    assert rec.values_at(2) == {"at q": [2, 4]}
    assert set(rec.watches) == {"at q"}


def test_a_trace_without_activity_says_how_to_record_it():
    flow = FlowBuilder()
    p = flow.process("p")
    port, inp = p.sim_input()
    oport = inp.sim_output()

    def body(inst):
        inst.connect(port).send(1)
        inst.connect(oport).assert_yields([1])

    trace = flow.sim().run(body)
    with pytest.raises(HydroError, match=r"sim.run\(body, record=True\)"):
        Recording.from_trace(trace)


def test_from_rows_orders_by_time_then_instance_and_skips_events():
    rows = [
        ("q", None, 0, 1.0, "elements_out", "map #2", 3),
        ("p", None, 0, 1.0, "elements_out", "source #1", 3),
        ("p", None, 0, 1.0, "messages_out", "p->q#1", 3),
        ("p", None, 1, 2.0, "tick_duration_s", "", 0.001),
        ("w", 1, -1, 1.5, "event", "killed", 1),
        ("w", 0, 0, 0.5, "elements_in", "sink #4", 2),
    ]
    rec = Recording.from_rows(rows, instances=["p", "q", "w[0]", "w[1]"])
    assert [(t.instance, t.tick, t.time) for t in rec.ticks] == [
        ("w[0]", 0, 0.5), ("p", 0, 1.0), ("q", 0, 1.0), ("p", 1, 2.0)]
    assert rec[0].ops == {"sink #4": 2}  # a sink counts what it took in
    assert rec[1] == TickActivity(1, "p", "p", None, 0, 1.0, {"source #1": 3}, {"p->q#1": 3}, {})
    assert rec.active_nodes(1) == {}  # no origins known: nothing to light
    frame = rec.frame()
    assert list(frame.columns) == ["step", "instance", "location", "member", "tick", "time",
                                   "ops", "channels", "values"]
    assert list(frame.instance) == ["w[0]", "p", "q", "p"]
