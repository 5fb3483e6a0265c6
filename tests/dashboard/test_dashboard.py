"""``d.dashboard()``: live series per instance and channel, controls that act on the deployment,
BokehJS sent once per page, and updates that end when the deployment stops."""

from __future__ import annotations

import math
import time

import pytest
from IPython.utils.capture import capture_output

from hydro_lab import FlowBuilder
from hydro_lab.dashboard import bokehjs
from hydro_lab.dashboard.deployment_view import DeploymentDashboard
from hydro_lab.dashboard.pump import Pump
from hydro_lab.dashboard.series import DeploymentSeries
from hydro_lab.examples.echo import echo_capitalize
from tests.flows import PI_BATCH, pi_deployment

BATCH = PI_BATCH
CHANNEL = "workers->leader#1"




def column(dash, panel, series):
    return dash.sources[panel].data[series]


def test_sources_get_one_row_per_refresh_for_every_instance_and_channel():
    d = pi_deployment()
    dash = d.dashboard(pump=None)
    assert isinstance(dash, DeploymentDashboard)
    assert set(dash.figures) == {"ticks_per_s", "elements_per_tick", "tick_ms", "state_size",
                                 "messages_per_s", "bytes_per_s", "dropped_per_s"}
    assert set(dash.sources["ticks_per_s"].data) == {"x", "leader", "workers[0]", "workers[1]"}
    assert set(dash.sources["messages_per_s"].data) == {"x", CHANNEL}
    d.step(5)
    assert dash.refresh() is True
    for series in ("leader", "workers[0]", "workers[1]"):
        assert column(dash, "ticks_per_s", series)[-1] > 0
        assert column(dash, "tick_ms", series)[-1] > 0
    # a worker's tick: spin_batch(64) -> 64 units -> 64 darts -> fold -> 1 count, sent
    assert column(dash, "elements_per_tick", "workers[0]") == [2 * BATCH + 2]
    assert column(dash, "messages_per_s", CHANNEL)[-1] > 0
    assert column(dash, "dropped_per_s", CHANNEL) == [0]
    d.inject(CHANNEL, drop=1.0)
    d.step(3)
    dash.refresh()
    assert column(dash, "dropped_per_s", CHANNEL)[-1] > 0
    assert column(dash, "messages_per_s", CHANNEL)[-1] == 0
    assert len(dash.sources["ticks_per_s"].data["x"]) == 2
    xs = dash.sources["tick_ms"].data["x"]
    assert 0 <= xs[0] <= xs[1] < 60                  # seconds since the dashboard was made
    d.stop()


def test_a_quiet_deployment_streams_one_row_of_zeros_then_nothing():
    d = pi_deployment()
    dash = d.dashboard(pump=None)
    d.step(2)
    dash.refresh()
    time.sleep(0.6)                                   # longer than a series holds its value
    dash.refresh()
    dash.refresh()
    assert column(dash, "ticks_per_s", "leader")[1:] == [0]
    assert math.isnan(column(dash, "tick_ms", "leader")[-1])   # no tick, no duration
    d.stop()


def test_memory_is_bounded_by_rollover():
    d = pi_deployment(workers=1)
    dash = d.dashboard(pump=None, rollover=3)
    for _ in range(6):
        d.step(1)
        dash.refresh()
    assert len(dash.sources["ticks_per_s"].data["x"]) == 3
    d.stop()


def test_buttons_and_sliders_act_on_the_deployment():
    d = pi_deployment()
    c = d.dashboard(pump=None).controls
    c.resume.click()                                  # a created deployment starts
    assert d.state == "running" and c.resume.disabled and not c.pause.disabled
    c.pause.click()
    assert d.state == "paused" and c.pause.disabled and not c.resume.disabled
    ticks = d.metrics().query("metric == 'tick_duration_s' and location == 'leader'").shape[0]
    c.step_ticks.value = 4
    c.step.click()
    after = d.metrics().query("metric == 'tick_duration_s' and location == 'leader'").shape[0]
    assert after == ticks + 4
    c.rate.value = 50                                 # moving the slider sets a limit
    assert d.tick_rate == pytest.approx(50) and c.limit.value
    c.limit.value = False
    assert d.tick_rate is None
    c.member.value = "workers[1]"
    c.kill.click()
    assert "workers[1]" not in d.live_instances()
    assert c.kill.disabled and not c.restart.disabled
    events = d.metrics().query("metric == 'event'")
    assert events[["member", "key"]].values.tolist() == [[1, "killed"]]
    c.kill.click()                                    # refused: the message shows, no raise
    c.restart.click()
    assert "workers[1]" in d.live_instances() and "restarted" in c.status.value
    c.channel.value = CHANNEL
    c.drop.value = 0.5
    c.delay.value = 0.25
    assert d.faults()[CHANNEL].drop == 0.5 and d.faults()[CHANNEL].delay == 0.25
    c.clear.click()
    assert d.faults() == {} and c.drop.value == 0 and c.delay.value == 0
    d.stop()
    c.sync()
    assert all(b.disabled for b in (c.pause, c.resume, c.step, c.kill, c.restart, c.clear))


def test_a_refused_action_shows_its_message():
    d = pi_deployment()
    c = d.dashboard(pump=None).controls
    c.member.value = "workers[0]"
    d.stop()
    c.kill.disabled = False                           # as if clicked before the pump synced
    c.kill.click()
    assert "this deployment was stopped" in c.status.value and "#b00020" in c.status.value


def test_the_pump_drives_the_dashboard_and_lets_go_when_the_deployment_stops():
    pump = Pump(rate_hz=20)
    d = pi_deployment()
    dash = d.dashboard(pump=pump, interval=0.05)
    assert dash.subscription in pump.subscriptions()
    assert dash.series.add in d.recorder.subscribers
    d.start()
    end = time.monotonic() + 5
    while len(dash.sources["ticks_per_s"].data["x"]) < 3 and time.monotonic() < end:
        time.sleep(0.02)
    assert len(dash.sources["ticks_per_s"].data["x"]) >= 3
    assert max(column(dash, "ticks_per_s", "workers[0]")) > 10
    d.stop()
    end = time.monotonic() + 5
    while dash.subscription.active and time.monotonic() < end:
        time.sleep(0.02)
    assert not dash.subscription.active and dash.closed
    assert dash.subscription not in pump.subscriptions()
    assert dash.series.add not in d.recorder.subscribers
    assert "stopped" in dash.title.value and dash.controls.pause.disabled
    rows = len(dash.sources["ticks_per_s"].data["x"])
    assert dash.refresh() is False and len(dash.sources["ticks_per_s"].data["x"]) == rows
    pump.stop()


def test_close_stops_updates_but_not_the_deployment():
    pump = Pump(rate_hz=20)
    d = pi_deployment()
    dash = d.dashboard(pump=pump)
    dash.close()
    assert not dash.subscription.active and d.state == "created"
    d.step(1)
    assert d.state != "stopped"
    d.stop()
    pump.stop()


def test_display_sends_bokehjs_once_then_the_widget_in_its_place(monkeypatch, ipython_shell):
    monkeypatch.setattr(bokehjs, "_sessions", set())
    d = pi_deployment(workers=1)
    dash = d.dashboard(pump=None)
    with capture_output() as cap:
        dash._ipython_display_()
        dash._ipython_display_()                      # BokehJS only once per page
    script, shown, again = cap.outputs
    assert list(script.data) == ["application/javascript"]
    assert script.data["application/javascript"] == bokehjs.script()
    # the output that carried BokehJS is replaced by the dashboard: the notebook keeps that
    assert shown.update and shown.transient == script.transient
    assert not again.update and not again.transient
    for out in (shown, again):
        assert out.data["application/vnd.jupyter.widget-view+json"]["model_id"] == \
            dash.widget.model_id
        # what a notebook viewer without the kernel shows
        assert out.data["text/plain"] == ("live dashboard (shown while its kernel runs): pi on "
                                          "local: 2 of 2 instances running, state created")
    # a page that loads the kernel's widgets gets BokehJS from the dashboard's first child
    assert dash.widget.children[0] is bokehjs.widget()
    assert type(dash.plots).__name__ == "BokehModel"
    assert "http" not in str(dash.plots.render_bundle)
    d.stop()


def test_a_dashboard_whose_update_fails_says_so_and_stops_following():
    pump = Pump(rate_hz=50)
    d = pi_deployment(workers=1)
    dash = d.dashboard(pump=pump)

    def broken(*args, **kwargs):
        raise RuntimeError("bokeh said no")

    dash.series.points = broken
    deadline = time.monotonic() + 5
    while not dash.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert dash.closed and isinstance(dash.subscription.error, RuntimeError)
    title = dash.title.value
    assert "live updates stopped: RuntimeError: bokeh said no" in title
    assert "%hydro dashboard" in title                      # how to get a live one again
    assert dash.series.add not in d.recorder.subscribers
    d.stop()
    pump.stop()


def test_a_flow_without_clusters_or_channels_has_no_member_or_fault_controls():
    flow = FlowBuilder("echo")
    echo_capitalize(flow.process("server"), flow.external("client"))
    d = flow.deploy("local")
    dash = d.dashboard(pump=None)
    assert "messages_per_s" not in dash.figures and "ticks_per_s" in dash.figures
    titles = [g.children[0].value for g in dash.controls.widget.children[0].children]
    assert titles == ["<b>run</b>", "<b>tick rate</b>"]
    d.stop()


def test_series_rates_use_record_times_not_arrival_chunks():
    s = DeploymentSeries(["p"], ["c"], start=0.0)

    def tick(t):
        return [("p", None, 0, t, "tick_duration_s", "", 0.001),
                ("p", None, 0, t, "messages_out", "c", 3)]

    s.add("p", [r for i in range(10) for r in tick(1.0 + i * 0.01)])    # 10 ticks in 0.1 s
    first = s.points(now=1.2)
    s.add("p", [r for i in range(10, 30) for r in tick(1.0 + i * 0.01)])  # 20 more, one chunk
    second = s.points(now=1.4)
    assert second["ticks_per_s"]["p"] == pytest.approx(100, rel=0.01)
    assert second["messages_per_s"]["c"] == pytest.approx(300, rel=0.01)
    assert second["tick_ms"]["p"] == pytest.approx(1.0)
    assert first["ticks_per_s"]["p"] > 0
    held = s.points(now=1.5)                          # nothing new yet: held a moment
    assert held["ticks_per_s"]["p"] == second["ticks_per_s"]["p"]
    assert s.points(now=3.0)["ticks_per_s"]["p"] == 0


@pytest.mark.ray
def test_the_dashboard_follows_a_ray_deployment(ray_session):
    d = pi_deployment("ray")
    dash = d.dashboard(pump=None)
    d.start()
    time.sleep(0.8)
    dash.controls.pause.click()
    assert d.state == "paused"
    time.sleep(0.4)                                   # the actors' last metrics arrive
    dash.refresh()
    for series in ("leader", "workers[0]", "workers[1]"):
        assert max(column(dash, "ticks_per_s", series)) > 0
    assert max(column(dash, "messages_per_s", CHANNEL)) > 0
    dash.controls.member.value = "workers[0]"
    dash.controls.kill.click()
    assert d.live_instances() == ["leader", "workers[1]"]
    d.stop()
    assert dash.refresh() is False and dash.closed
