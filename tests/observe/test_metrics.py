"""The metrics vocabulary of ``observe/metrics.py``: what deployments and the simulator record is
named there, and the readers (dashboard series, live graph, recordings) understand rows built by
its row builders."""

from __future__ import annotations

import ast
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

import hydro_lab
from hydro_lab import FlowBuilder, nondet
from hydro_lab.dashboard.live_graph import Totals
from hydro_lab.dashboard.series import DeploymentSeries
from hydro_lab.observe import metrics as M
from hydro_lab.observe.recording import Recording

ND = nondet("test")


def busy_flow():
    """The leader pings its workers every tick and they answer on the channel ``"answers"``;
    the leader also keeps a keyed fold (state) and joins a batch with its count (a handoff)."""
    flow = FlowBuilder("busy")
    leader, workers = flow.process("leader"), flow.cluster("workers")
    pings = leader.tick().spin_batch(1).all_ticks().broadcast(workers, ND)
    answers = pings.enumerate().map(lambda ix: ix[0]).send(leader, name="answers")
    answers.entries().assume_ordering(ND).for_each(lambda x: None)
    numbers = leader.source_iter([1, 2, 3, 4])
    (numbers.map(lambda x: (x % 2, x)).into_keyed()
        .fold(lambda: 0, lambda a, x: a + x, commutative="sum")
        .entries().assume_ordering(ND).for_each(lambda x: None))
    batch = numbers.batch(leader.tick(), ND)
    batch.cross_singleton(batch.count()).all_ticks().for_each(lambda x: None)
    return flow, workers


def test_every_metric_a_local_deployment_records_is_in_the_vocabulary():
    flow, workers = busy_flow()
    d = flow.deploy("local", cluster_sizes={workers: 3})
    d.step(3)
    d.inject("answers", drop=0.5, delay=0.001, seed=1)
    d.step(20)
    d.kill(workers, 1)
    d.step(2)
    d.stop()
    recorded = {row[4] for row in d.recorder.rows()}
    assert recorded <= set(M.METRICS), recorded - set(M.METRICS)
    assert recorded >= {M.TICK_DURATION, M.ELEMENTS_OUT, M.ELEMENTS_IN, M.HANDOFF_ITEMS,
                        M.STATE_SIZE, M.MESSAGES_OUT, M.BYTES_OUT, M.MESSAGES_IN, M.BYTES_IN,
                        M.DROPPED, M.DELAYED, M.EVENT}
    assert set(d.metrics()["metric"]) == recorded


def test_every_metric_a_simulated_execution_records_is_in_the_vocabulary():
    flow = FlowBuilder()
    p, q = flow.process("p"), flow.process("q")
    port, inp = p.sim_input()
    received = inp.map(lambda x: x * 2).send(q, name="to_q")
    oport = received.sim_output()

    def body(inst):
        inst.connect(port).send_many([1, 2])
        inst.connect(oport).assert_yields([2, 4])

    trace = flow.sim().run(body, record=True)
    recorded = {row[4] for e in trace.events if e["kind"] == "activity" for row in e["rows"]}
    assert recorded <= set(M.METRICS)
    assert {M.TICK_DURATION, M.ELEMENTS_OUT, M.MESSAGES_OUT} <= recorded


def test_every_metric_is_described_once():
    names = [v for k, v in vars(M).items() if k.isupper() and isinstance(v, str)
             and k not in ("COLUMNS",)]
    assert sorted(names) == sorted(M.METRICS)
    assert len(set(names)) == len(names)
    assert all(M.METRICS[name] for name in names)


# -- rows from the row builders, read by the dashboard, the live graph and a recording ----------

def tick_rows(location, member, tick, started, *, duration=0.01, state=0):
    """One tick's rows through ``tick_records``: operator 1 (``src``) sends 4 elements to
    operator 2 (``fold``), which keeps ``state`` items; handoff 7 carries 4."""
    ops = {1: SimpleNamespace(id=1, label="src"), 2: SimpleNamespace(id=2, label="fold")}
    graph = SimpleNamespace(operators=ops, edges=[SimpleNamespace(src=1, dst=2)])
    report = SimpleNamespace(tick=tick, started=started, duration=duration, op_out={1: 4},
                             handoffs={7: 4}, state_sizes={2: state} if state else {})
    return M.tick_records(location, member, report, graph)


def test_tick_records_name_operators_by_label_and_id():
    rows = tick_rows("w", 0, 3, 1.5, state=2)
    assert rows == [
        ("w", 0, 3, 1.5, M.TICK_DURATION, "", 0.01),
        ("w", 0, 3, 1.5, M.ELEMENTS_OUT, "src #1", 4),
        ("w", 0, 3, 1.5, M.ELEMENTS_IN, "fold #2", 4),
        ("w", 0, 3, 1.5, M.HANDOFF_ITEMS, "h7", 4),
        ("w", 0, 3, 1.5, M.STATE_SIZE, "fold #2", 2),
    ]


def built_rows():
    """Ten ticks of ``workers[0]`` over one second, each sending 3 messages (30 bytes) on
    ``"ch"`` of which 1 was dropped; then the member is killed."""
    rows = []
    for tick in range(10):
        t = 0.1 * (tick + 1)
        rows += tick_rows("workers", 0, tick, t, duration=0.002, state=tick + 1)
        rows += M.channel_records("workers", 0, tick, t, {"ch": [3, 30]}, sent=True)
        rows += M.channel_records("workers", 0, tick, t, {"back": [5, 50]}, sent=False)
        rows += M.fault_records("workers", 0, tick, t, {"ch": [1, 0]})
    rows += M.event_records("workers", 0, 1.05, "killed")
    return rows


def test_the_dashboard_series_show_rows_built_by_the_row_builders():
    series = DeploymentSeries(["workers[0]"], ["ch"], start=0.0)
    series.add("workers[0]", built_rows())
    points = series.points(1.1)  # a first refresh: rates over the 1.1 s since the start
    assert points["ticks_per_s"]["workers[0]"] == pytest.approx(10 / 1.1)
    assert points["elements_per_tick"]["workers[0]"] == 4
    assert points["tick_ms"]["workers[0]"] == pytest.approx(2.0)
    assert points["state_size"]["workers[0]"] == 10          # the latest tick's
    assert points["messages_per_s"]["ch"] == pytest.approx(30 / 1.1)
    assert points["bytes_per_s"]["ch"] == pytest.approx(300 / 1.1)
    assert points["dropped_per_s"]["ch"] == pytest.approx(10 / 1.1)
    assert list(series.events) == [(1.05, "workers[0]", "killed")]


def test_the_live_graph_totals_read_rows_built_by_the_row_builders():
    totals = Totals()
    totals.add("workers[0]", built_rows())
    assert totals.fold()
    assert totals.outs == {"workers": {"src #1": 40}}
    assert totals.ins == {"workers": {"fold #2": 40}}
    assert totals.messages == {"ch": 30}                      # sent only, not "back"
    assert totals.ticks == {("workers", 0): 10}


def test_a_recording_reads_rows_built_by_the_row_builders():
    rec = Recording.from_rows(built_rows())
    assert [(t.instance, t.tick) for t in rec.ticks] == [("workers[0]", i) for i in range(10)]
    first = rec[0]
    assert first.time == pytest.approx(0.1)
    assert first.ops == {"src #1": 4, "fold #2": 4}           # what the fold took in counts
    assert first.channels == {"ch": 3}
    assert not any(math.isnan(t.time) for t in rec.ticks)


def metric_literals(path: Path) -> list[str]:
    """Where ``path`` compares a ``metric`` to a string literal (``metric == "x"``,
    ``metric in ("x", ...)``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        if not any(isinstance(s, ast.Name) and s.id == "metric" for s in sides):
            continue
        for side in sides:
            elts = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
            for e in elts:
                if isinstance(e, ast.Constant) and isinstance(e.value, str):
                    found.append(f"{path.name}:{node.lineno}: {e.value!r}")
    return found


def test_readers_compare_metrics_with_the_vocabulary_constants_only():
    root = Path(hydro_lab.__file__).parent
    files = [p for p in root.rglob("*.py") if p != root / "observe" / "metrics.py"]
    assert [hit for p in files for hit in metric_literals(p)] == []
