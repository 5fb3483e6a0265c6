"""The ``"watch"`` view: the current value and a sparkline for numbers, text otherwise, a
stream's recent elements, updated by the pump while the flow runs, BokehJS sent once."""

from __future__ import annotations

import math
import re
import time

from IPython.utils.capture import capture_output

from hydro_lab import FlowBuilder, nondet
from hydro_lab.dashboard import bokehjs
from hydro_lab.dashboard.pump import PUMP, Pump
from hydro_lab.dashboard.watch import WatchView
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
