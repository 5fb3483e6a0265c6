"""The ``"watch"`` view: the current value and a sparkline for numbers, text otherwise, a
stream's recent elements, updated by the pump while the flow runs, BokehJS sent once."""

from __future__ import annotations

import math
import re
import time

import pytest
from IPython.utils.capture import capture_output

from hydro_lab import FlowBuilder, nondet
from hydro_lab.dashboard import bokehjs
from hydro_lab.dashboard.keyed_lines import series_label
from hydro_lab.dashboard.pump import PUMP, Pump
from hydro_lab.dashboard.watch import WatchView
from hydro_lab.errors import HydroError
from hydro_lab.views import get_view

SHOW = nondet("only shown in the notebook")


def counter():
    flow = FlowBuilder("counter")
    p = flow.process("p")
    port, requests = p.source_external(flow.external("client"))
    return flow, p, port, requests


def run(flow, port, batches):
    d = flow.deploy()
    client = d.connect(port)
    for batch in batches:
        client.send_many(batch)
        d.step(1)
    return d


def test_a_number_shows_its_value_and_a_sparkline_of_the_ticks():
    flow, p, port, requests = counter()
    w = requests.count().watch(name="count", nondet=SHOW)
    view = w.view(pump=None)
    assert isinstance(view, WatchView) and view.chart is None
    assert "nothing yet" in view.body.value
    d = run(flow, port, [["a"], ["b"], ["c"]])
    view.refresh()
    assert "<code>3</code>" in view.header.value and "(tick 2)" in view.header.value
    assert "<b>count</b>" in view.header.value and "nondet: only shown" in view.header.value
    assert view.source.data["xs"] == [[0, 1, 2]]
    assert view.source.data["ys"] == [[1.0, 2.0, 3.0]]
    assert view.widget.children == (view.bokehjs, view.header, view.chart, view.body)
    assert type(view.chart).__name__ == "BokehModel"
    d.stop()


def test_each_cluster_member_gets_its_own_line():
    flow = FlowBuilder()
    workers = flow.cluster("workers")
    w = workers.source_iter([1, 2, 3]).count().watch(nondet=SHOW)
    d = flow.deploy(cluster_sizes={workers: 2})
    d.step(2)
    d.stop()
    view = w.view(pump=None)
    assert view.source.data["instance"] == ["workers[0]", "workers[1]"]
    assert view.source.data["ys"] == [[3.0, 3.0], [3.0, 3.0]]
    assert "workers[0]: <code>3</code>" in view.header.value


def test_an_empty_optional_leaves_a_gap():
    flow, p, port, requests = counter()
    w = requests.batch(p.tick(), nondet("test")).max().watch()
    d = run(flow, port, [[4], [], [9]])
    view = w.view(pump=None)
    ys = view.source.data["ys"][0]
    assert ys[0] == 4.0 and math.isnan(ys[1]) and ys[2] == 9.0
    d.stop()
    flow2, p2, port2, requests2 = counter()
    w2 = requests2.batch(p2.tick(), nondet("test")).max().watch()
    d2 = run(flow2, port2, [[1], []])
    assert "<i>empty</i>" in w2.view(pump=None).header.value
    d2.stop()


def test_other_values_show_as_text():
    flow, p, port, requests = counter()
    w = requests.batch(p.tick(), nondet("test")).collect_list().watch(name="batch")
    d = run(flow, port, [["x", "y"], ["<z>"]])
    view = w.view(pump=None)
    assert view.chart is None and view.widget.children == (view.bokehjs, view.header,
                                                               view.body)
    assert "<code>[&#x27;&lt;z&gt;&#x27;]</code>" in view.header.value  # escaped
    assert view.body.value.count("<tr>") == 3  # a head row and one per tick
    assert "[&#x27;x&#x27;, &#x27;y&#x27;]" in view.body.value
    d.stop()


def test_a_stream_shows_its_recent_elements():
    flow, p, port, requests = counter()
    w = requests.map(lambda s: s.upper()).watch(name="upper")
    view = w.view(pump=None, rows=2)
    d = run(flow, port, [["a", "b"], ["c"]])
    view.refresh()
    assert "3 elements seen, the last 2 below" in view.header.value
    cells = re.findall(r"<td[^>]*>(.*?)</td>", view.body.value)
    assert cells == ["0", "p", "<code>&#x27;B&#x27;</code>", "1", "p",
                     "<code>&#x27;C&#x27;</code>"]
    d.stop()


def test_the_pump_updates_the_view_while_the_flow_runs():
    pump = Pump(rate_hz=50)
    flow, p, port, requests = counter()
    w = requests.count().watch(nondet=SHOW)
    view = w.view(pump=pump)
    assert view.subscription in pump.subscriptions()
    d = flow.deploy()
    client = d.connect(port)
    d.start()
    try:
        for x in range(5):
            client.send(x)
        deadline = time.monotonic() + 10
        while "<code>5</code>" not in view.header.value and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "<code>5</code>" in view.header.value
        assert view.source.data["ys"][0][-1] == 5.0
        assert view.subscription.calls > 0 and view.subscription.error is None
        view.close()
        assert view.subscription not in pump.subscriptions()
        client.send("more")
        deadline = time.monotonic() + 10
        while w.latest != 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        view.refresh()  # closed: stays as it was
        assert w.latest == 6 and "<code>5</code>" in view.header.value
    finally:
        d.stop()
        pump.stop()


def test_a_watch_view_whose_update_fails_says_so():
    pump = Pump(rate_hz=50)
    flow, p, port, requests = counter()
    w = requests.count().watch(nondet=SHOW)
    view = w.view(pump=pump)

    def broken(rows):
        raise ValueError("cannot draw")

    view._show_values = broken
    d = run(flow, port, [[1], [2]])
    deadline = time.monotonic() + 5
    while not view.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert view.closed and isinstance(view.subscription.error, ValueError)
    assert "live updates stopped: ValueError: cannot draw" in view.header.value
    assert view.subscription not in pump.subscriptions()
    d.stop()
    pump.stop()


def test_display_sends_bokehjs_once_and_shows_one_live_widget(monkeypatch, ipython_shell):
    monkeypatch.setattr(bokehjs, "_sessions", set())
    flow, p, port, requests = counter()
    w = requests.count().watch(name="count", nondet=SHOW)
    d = run(flow, port, [[1], [2]])
    with capture_output() as cap:
        w._ipython_display_()  # the registered "watch" view
    script, shown = cap.outputs
    assert script.data == {"application/javascript": bokehjs.script()}
    assert shown.update and shown.transient == script.transient  # BokehJS, then the view
    assert shown.data["text/plain"] == ("live watch (shown while its kernel runs): "
                                        "count Singleton at p · nondet: only shown in the "
                                        "notebook 2 (tick 1)")
    view = get_view("watch")(w, pump=None)
    assert type(view.chart).__name__ == "BokehModel"
    assert "http" not in str(view.chart.render_bundle)
    shown_views = [s for s in PUMP.subscriptions() if s.name == f"watch {w.name}"]
    assert len(shown_views) == 1  # the displayed view is live on the process-wide pump
    PUMP.unsubscribe(shown_views[0])
    d.stop()


# -- a keyed watch: one live line per key on view --------------------------------------------------

def endpoint_counts(keys=None, **watch):
    """A process counting requests per endpoint (a top-level KeyedSingleton), watched."""
    flow, p, port, requests = counter()
    counts = requests.map(lambda e: (e, 1)).into_keyed().value_counts()
    w = counts.watch(name="hits", nondet=SHOW, **({"keys": keys} if keys else {}), **watch)
    return flow, port, w


def on_view(view):
    """{legend label: the column's values} of the lines on view."""
    return {item.label.value: view.source.data[col]
            for item, col in zip(view.lines.legend.items, view.lines.columns, strict=True)
            if item.visible}


def nan_list(values):
    return [None if math.isnan(v) else v for v in values]


def step_and_refresh(d, client, view, batches):
    for batch in batches:
        client.send_many(batch)
        d.step(1)
        view.refresh()


def test_a_keyed_singleton_draws_a_line_per_key_named_in_the_legend():
    flow, port, w = endpoint_counts(keys=3)
    d = flow.deploy()
    view = w.view(pump=None)
    assert view.lines is not None and view.chart is None  # nothing yet: no chart
    step_and_refresh(d, d.connect(port), view, [["/a", "/b", "/a"], ["/a"], ["/b", "/c"]])
    assert {k: nan_list(v) for k, v in on_view(view).items()} == {
        "/a": [2.0, 3.0, 3.0], "/b": [1.0, 1.0, 2.0], "/c": [None, None, 1.0]}
    xs = view.source.data["x"]
    assert xs[0] == 0.0 and xs == sorted(xs) and len(xs) == 3  # seconds since the first tick
    assert view.widget.children == (view.bokehjs, view.header, view.chart, view.body)
    assert type(view.chart).__name__ == "BokehModel"
    assert "top 3 keys by latest value" in view.header.value
    assert "/a <code>3</code> · /b <code>2</code> · /c <code>1</code>" in view.header.value
    d.stop()


def test_only_the_top_keys_are_on_view_and_a_newcomer_takes_a_freed_slot():
    """The top two by latest value: /c overtakes /b, takes its slot (and color), and its line
    starts where it came on view; /a keeps its slot throughout."""
    flow, port, w = endpoint_counts(keys=2)
    d = flow.deploy()
    view = w.view(pump=None)
    client = d.connect(port)
    step_and_refresh(d, client, view, [["/a"] * 5 + ["/b"] * 3 + ["/c"]])
    assert view.lines.slots == [(None, "/a"), (None, "/b")]
    step_and_refresh(d, client, view, [["/c"] * 3])
    assert view.lines.slots == [(None, "/a"), (None, "/c")]
    assert {k: nan_list(v) for k, v in on_view(view).items()} == {
        "/a": [5.0, 5.0], "/c": [None, 4.0]}
    legend = [(i.label.value, i.visible) for i in view.lines.legend.items]
    assert legend == [("/a", True), ("/c", True)]
    assert "/b <code>" not in view.header.value and "/c <code>4</code>" in view.header.value
    d.stop()


def test_a_key_appearing_late_gets_its_line():
    flow, port, w = endpoint_counts(keys=3)
    d = flow.deploy()
    view = w.view(pump=None)
    client = d.connect(port)
    step_and_refresh(d, client, view, [["/a"], ["/a"], [], ["/late"]])
    lines = {k: nan_list(v) for k, v in on_view(view).items()}
    assert lines == {"/a": [1.0, 2.0, 2.0, 2.0], "/late": [None, None, None, 1.0]}
    assert [i.visible for i in view.lines.legend.items] == [True, True, False]
    d.stop()


def test_rollover_bounds_the_points_kept():
    flow, port, w = endpoint_counts(keys=2)
    d = flow.deploy()
    view = w.view(pump=None, rollover=4)
    step_and_refresh(d, d.connect(port), view, [["/a"]] * 10)
    assert len(view.source.data["x"]) == 4
    assert view.source.data["k0"] == [7.0, 8.0, 9.0, 10.0]
    d.stop()


def test_a_refresh_appends_at_most_max_points_spread_over_its_ticks(monkeypatch):
    from hydro_lab.dashboard import keyed_lines

    monkeypatch.setattr(keyed_lines, "MAX_POINTS", 3)
    flow, port, w = endpoint_counts(keys=2)
    d = flow.deploy()
    view = w.view(pump=None)
    client = d.connect(port)
    for _ in range(5):  # five ticks, then one refresh: three points spread over them
        client.send("/a")
        d.step(1)
    view.refresh()
    assert view.source.data["k0"] == [1.0, 3.0, 5.0]
    for _ in range(2):  # fewer ticks than that: a point each
        client.send("/a")
        d.step(1)
    view.refresh()
    assert view.source.data["k0"] == [1.0, 3.0, 5.0, 6.0, 7.0]
    d.stop()


def test_a_keyed_stream_draws_each_keys_latest_element():
    flow, p, port, requests = counter()
    latency = requests.map(lambda e: (e[0], e[1])).into_keyed()
    w = latency.watch(name="latency", nondet=SHOW, keys=2)
    d = flow.deploy()
    view = w.view(pump=None)
    step_and_refresh(d, d.connect(port), view, [[("/a", 10), ("/b", 30), ("/a", 12)],
                                                [("/b", 5)]])
    assert on_view(view) == {"/a": [12.0, 12.0], "/b": [30.0, 5.0]}
    d.stop()


def test_on_a_cluster_each_member_has_its_own_line():
    flow = FlowBuilder()
    workers = flow.cluster("workers")
    counts = workers.source_iter(["x", "x", "y"]).map(lambda k: (k, 1)).into_keyed() \
        .value_counts()
    w = counts.watch(nondet=SHOW, keys=4)
    d = flow.deploy(cluster_sizes={workers: 2})
    d.step(1)
    d.stop()
    view = w.view(pump=None)
    assert sorted(on_view(view)) == ["x @ workers[0]", "x @ workers[1]", "y @ workers[0]",
                                     "y @ workers[1]"]
    assert on_view(view)["x @ workers[1]"] == [2.0]


def test_keyed_values_that_are_not_numbers_show_as_a_table():
    flow, p, port, requests = counter()
    last_seen = requests.map(lambda e: (e, e.upper())).into_keyed()
    w = last_seen.watch(nondet=SHOW, keys=2)
    d = run(flow, port, [["a", "b"]])
    view = w.view(pump=None)
    assert view.widget.children == (view.bokehjs, view.header, view.body)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", view.body.value)
    assert cells == ["a", "<code>&#x27;A&#x27;</code>", "b", "<code>&#x27;B&#x27;</code>"]
    d.stop()


def test_the_view_can_show_fewer_keys_and_refuses_a_bad_count():
    flow, port, w = endpoint_counts()
    assert w.view(pump=None).lines is not None and w.view(pump=None).keys == 10
    assert len(w.view(pump=None, keys=1).lines.legend.items) == 1
    with pytest.raises(HydroError, match=r"keys= is how many keys the view draws a line for, "
                                         r"an int from 1 to 20; got 0"):
        w.view(pump=None, keys=0)
    flow2, p2, port2, requests2 = counter()
    plain = requests2.count().watch(name="count", nondet=SHOW)
    with pytest.raises(HydroError, match=r"'count' watches a Singleton, which has no keys\. "
                                         r"Fix: leave keys= out"):
        plain.view(pump=None, keys=3)
    # twenty keys: two legend columns of ten, beside a chart tall enough for ten
    lines = w.view(pump=None, keys=20).lines
    assert lines.legend.nrows == 10 and lines.figure.height == 200


def test_a_new_simulated_execution_starts_the_lines_over():
    flow = FlowBuilder("sim")
    p = flow.process("p")
    port, inp = p.sim_input()
    w = inp.map(lambda e: (e, 1)).into_keyed().value_counts().watch(nondet=SHOW, keys=2)
    out = inp.sim_output()

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send_many(["/a", "/a"])
        o.assert_yields(["/a", "/a"])

    sim = flow.sim()
    sim.run(body)
    view = w.view(pump=None)
    first = on_view(view)
    assert first["/a"][-1] == 2.0
    sim.run(body)
    view.refresh()
    assert on_view(view)["/a"] == first["/a"]  # the same execution again, drawn afresh


def test_memory_is_bounded_however_many_keys_pass(monkeypatch):
    from hydro_lab.dashboard import keyed_lines

    monkeypatch.setattr(keyed_lines, "MAX_TRACKED", 50)
    flow, p, port, requests = counter()
    w = requests.map(lambda i: (i, i)).into_keyed().watch(nondet=SHOW, keys=3, last=1000)
    d = run(flow, port, [list(range(k * 100, k * 100 + 100)) for k in range(3)])
    view = w.view(pump=None, rollover=10)
    assert len(view.lines.latest) == 50
    assert [s for s, _ in view.lines.on_view()] == [(None, 299), (None, 298), (None, 297)]
    d.stop()


def test_one_bokeh_event_per_refresh_while_the_keys_on_view_stay():
    """The message volume: a refresh that saw many ticks sends one ``stream`` of the
    ColumnDataSource (jupyter_bokeh makes one comm patch of it); a change of the keys on view
    adds a patch of the cleared column and the legend entry's label."""
    flow, port, w = endpoint_counts(keys=20)
    d = flow.deploy()
    view = w.view(pump=None)
    client = d.connect(port)
    step_and_refresh(d, client, view, [[f"/e{i}" for i in range(20)] * 2])
    events = []
    view.figure.document.on_change(lambda event: events.append(type(event).__name__))
    for _ in range(5):  # every key's count changes, in five ticks
        client.send_many([f"/e{i}" for i in range(20)])
        d.step(1)
    view.refresh()
    assert events == ["ColumnsStreamedEvent"] and len(view.source.data["x"]) == 6
    events.clear()
    client.send_many(["/new"] * 9)  # /new tops the 20, the last key seen leaves
    d.step(1)
    view.refresh()
    assert sorted(events) == ["ColumnsPatchedEvent", "ColumnsStreamedEvent",
                              "ModelChangedEvent"]
    assert "/new" in on_view(view) and "/e19" not in on_view(view)
    d.stop()


def test_the_top_three_endpoints_by_error_rate_live():
    """Chapter 4's exercise: each endpoint's error rate per tick, the three highest on view."""
    flow, p, port, requests = counter()

    def count_errors(acc, is_error):
        return (acc[0] + 1, acc[1] + is_error)

    hits = requests.map(lambda r: (r[0], r[1] >= 500)).into_keyed()
    errors = hits.batch(p.tick(), nondet("per tick")).fold(lambda: (0, 0), count_errors)
    w = errors.map(lambda c: c[1] / c[0]).watch(name="error rate", keys=3)
    d = flow.deploy()
    view = w.view(pump=None)
    client = d.connect(port)
    step_and_refresh(d, client, view, [
        [("/a", 500), ("/a", 200), ("/b", 503), ("/c", 200), ("/d", 200), ("/d", 500),
         ("/d", 500), ("/d", 200)],
        [("/a", 200), ("/b", 200), ("/c", 500), ("/d", 500)],
    ])
    # tick 0: /b 1.0, /a 0.5, /d 0.5 (/c 0.0 off view); tick 1: /c and /d 1.0, /a and /b 0.0
    assert [(series_label(s), v) for s, v in view.lines.on_view()] == [
        ("/c", 1.0), ("/d", 1.0), ("/a", 0.0)]
    assert {k: nan_list(v) for k, v in on_view(view).items()} == {
        "/a": [0.5, 0.0], "/c": [None, 1.0], "/d": [0.5, 1.0]}
    df = w.to_pandas()  # the same, as data
    assert df[df.tick == 1].set_index("key").value.to_dict() == {
        "/a": 0.0, "/b": 0.0, "/c": 1.0, "/d": 1.0}
    d.stop()
