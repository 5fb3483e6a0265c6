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


# -- to_pandas: the long form of d.metrics() -----------------------------------------------------

LONG = ["step", "instance", "location", "member", "tick", "time", "metric", "key", "value"]


def test_to_pandas_of_a_deployment_holds_the_rows_of_d_metrics_for_its_counts():
    flow, port, _, w = two_processes()
    d = flow.deploy()
    client = d.connect(port)
    client.send(1)
    d.step(2)
    client.send_many([2, 3])
    d.step(1)
    d.stop()
    rec = Recording.from_deployment(d)
    df = rec.to_pandas()
    assert list(df.columns) == LONG
    assert str(df.member.dtype) == "Int64" and df.member.isna().all()
    assert df.tick.dtype == "int64" and df.time.dtype == "float64"
    counts = df[df.metric != "watched"]
    assert set(counts.metric) == {"elements_out", "elements_in", "messages_out"}
    m = d.metrics()
    metric_rows = {(r.location, r.tick, r.time, r.metric, r.key, r.value)
                   for r in m.itertuples() if r.value}
    mine = [(r.location, r.tick, r.time, r.metric, r.key, float(r.value))
            for r in counts.itertuples()]
    assert mine and all(row in metric_rows for row in mine)
    # every count of every tick is there: elements_out rows are exactly d.metrics()' non-zero ones
    outs = {row for row in metric_rows if row[3] == "elements_out"}
    assert {row for row in mine if row[3] == "elements_out"} == outs
    # the watch's values, one row each, at the steps the ticks of q took
    watched = df[df.metric == "watched"]
    assert list(watched.key) == ["total"] * 3 and list(watched.value) == [1, 1, 3]
    assert list(watched.instance) == ["q"] * 3 and list(watched.tick) == [0, 1, 2]
    assert list(watched.step) == rec.steps("q")
    # a watched row's time is the tick's, as in the watch's own frame
    assert list(watched.time) == list(w.to_pandas().time)


def test_to_pandas_of_a_simulated_execution():
    flow = FlowBuilder("sim")
    p, q = flow.process("p"), flow.process("q")
    port, inp = p.sim_input()
    received = inp.map(lambda x: x * 2).send(q, name="to_q")
    received.watch(name="at q")
    best = received.batch(q.tick(), nondet("test")).max().watch(name="max")
    oport = received.sim_output()

    def body(inst):
        i, o = inst.connect(port), inst.connect(oport)
        i.send_many([1, 2])
        o.assert_yields([2, 4])

    df = flow.sim().run(body, record=True).recording().to_pandas()
    at_q = df[(df.metric == "watched") & (df.key == "at q")]
    assert list(at_q.value) == [2, 4] and set(at_q.instance) == {"q"}
    # q's tick 0 saw nothing: its empty max is None (NaN: the column is numeric); tick 1 saw 4
    maxes = df[(df.metric == "watched") & (df.key == "max")]
    assert list(maxes.tick) == [0, 1] and list(maxes.value.isna()) == [True, False]
    assert maxes.value.iloc[1] == 4 and df.value.dtype == "float64"
    sent = df[df.metric == "messages_out"]
    assert list(zip(sent.instance, sent.key, sent.value, strict=True)) == [("p", "to_q", 2)]
    assert best.values[-1] == 4


def test_to_pandas_tells_a_sinks_elements_in_from_elements_out():
    rows = [
        ("p", None, 0, 1.0, "elements_out", "source #1", 3),
        ("p", None, 0, 1.0, "elements_in", "source #1", 9),   # out wins: it is not a sink
        ("p", None, 0, 1.0, "elements_in", "sink #4", 2),
        ("w", 1, 0, 2.0, "messages_out", "w->p", 5),
    ]
    df = Recording.from_rows(rows).to_pandas()
    df["member"] = df.member.astype(object).where(df.member.notna(), None)
    assert [tuple(r) for r in df.itertuples(index=False)] == [
        (0, "p", "p", None, 0, 1.0, "elements_out", "source #1", 3),
        (0, "p", "p", None, 0, 1.0, "elements_in", "sink #4", 2),
        (1, "w[1]", "w", 1, 0, 2.0, "messages_out", "w->p", 5),
    ]
    assert df.value.dtype == "int64"
    assert Recording.from_rows([]).to_pandas().columns.tolist() == LONG
