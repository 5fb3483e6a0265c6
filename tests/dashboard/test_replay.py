"""``recording.replay()``: a slider (with a jslinked Play) scrubs the recorded ticks; each step
lights exactly that tick's active operators and channels on the graph and shows the watched
values of that tick. The graph is the extension's: shown once (a live payload in state
"replay"), then one small update per step lights the step's nodes in both views; no ``dot``
needed. ``render="svg"``/``"dot"`` keep drawing in the kernel for other front ends."""

from __future__ import annotations

import html
import json
import re
import shutil

import pytest

from hydro_lab import FlowBuilder, nondet
from hydro_lab.dashboard.replay import ReplayView
from hydro_lab.observe.recording import Recording, op_id_of
from hydro_lab.viz import MIME_TYPE
from hydro_lab.viz import dot as dot_writer
from tests.dashboard.live_fakes import FakeComm, fake_channel

HAS_DOT = shutil.which("dot") is not None


def recorded():
    """p doubles what a client sends and sends it to q, which counts it (watched)."""
    flow = FlowBuilder("rec")
    p, q = flow.process("p"), flow.process("q")
    port, inp = p.source_external(flow.external("client"))
    doubled = inp.map(lambda x: x * 2)
    received = doubled.send(q, name="to_q")
    total = received.count()
    total.watch(name="total", nondet=nondet("only shown in the notebook"))
    d = flow.deploy()
    client = d.connect(port)
    client.send(1)
    d.step(2)
    client.send_many([2, 3])
    d.step(1)
    d.stop()
    nodes = {"inp": inp.node_id, "doubled": doubled.node_id, "received": received.node_id,
             "total": total.node_id}
    return Recording.from_deployment(d), nodes


def lit_in_svg(svg: str) -> set[str]:
    groups = re.findall(r'<g id="[^"]*" class="node ([^"]*)">\s*<title>(\w+)</title>', svg)
    return {title for cls, title in groups if "active" in cls.split()}


def lit_in_dot(shown: str) -> set[str]:
    text = html.unescape(shown)  # the DOT source sits escaped in a <pre>
    return set(re.findall(r'(n\d+) \[label=[^\n]*class="[^"]*\bactive\b', text))


def test_play_is_jslinked_to_the_slider_over_every_step():
    rec, _ = recorded()
    view = rec.replay()
    assert isinstance(view, ReplayView)
    assert view.link.source == (view.play, "value") and view.link.target == (view.slider, "value")
    assert view.play.max == view.slider.max == len(rec) - 1 == 5
    assert not view.slider.disabled and not view.play.disabled


def test_the_graph_is_shown_once_as_a_replay_payload_in_an_output():
    rec, _ = recorded()
    view = rec.replay(channel=fake_channel()[0])
    (shown,) = view.graph_view.outputs
    payload = shown["data"][MIME_TYPE]
    assert payload["live"]["id"] == view.id and payload["live"]["state"] == "replay"
    assert payload["views"]["dfir"] is not None  # both views: the programs the ticks ran
    assert "image/svg+xml" not in shown["data"] or HAS_DOT  # never needs dot
    for step in range(len(rec)):
        view.slider.value = step
    assert view.graph_view.outputs == (shown,)  # steps never send the graph again


def test_each_step_sends_one_update_lighting_that_ticks_nodes_in_both_views():
    channel, comms = fake_channel()
    rec, n = recorded()
    view = rec.replay(channel=channel)
    channel.open()
    payload = view.graph.payload()
    ids = {kind: {node["id"] for node in payload["views"][kind]["nodes"]}
           for kind in ("ir", "dfir")}
    loc_keys = {loc.name: loc.key for loc in rec.programs}
    for step in (1, 0, 4, 2, 5, 3):
        before = len(comms[0].sent)
        view.slider.value = step
        assert view.step == step and view.active == rec.active_nodes(step)
        (update,) = comms[0].sent[before:]
        assert update == view.update
        assert update["id"] == view.id and update["state"] == "replay"
        ir, dfir = update["views"]["ir"], update["views"]["dfir"]
        assert ir["lit"] is dfir["lit"] is True
        assert ir["counts"] == {f"n{i}": c for i, c in rec.active_nodes(step).items()}
        t = rec[step]
        assert dfir["counts"] == {f"loc{loc_keys[t.location]}_op{op_id_of(k)}": c
                                  for k, c in t.ops.items()}
        assert set(ir["counts"]) <= ids["ir"] and set(dfir["counts"]) <= ids["dfir"]
        assert f"step {step} of 6: tick {t.tick} of {t.instance}" in update["status"]
    view.slider.value = 0  # p's first tick: the input, the map and the channel
    assert set(view.update["views"]["ir"]["counts"]) == {
        f"n{n[k]}" for k in ("inp", "doubled", "received")}
    assert "tick <b>0</b> of <b>p</b>" in view.title.value
    assert "channel <b>to_q</b>" in view.ops_view.value and "map(lambda x: x * 2)" in \
        view.ops_view.value
    assert "<td style='padding:0 8px'>—</td>" in view.values_view.value  # nothing watched yet
    view.slider.value = 1  # q's first tick: it counts the message, the watch sees 1
    assert {n["received"], n["total"]} <= set(view.active) and n["inp"] not in view.active
    assert "<code>1</code>" in view.values_view.value and "this tick" in view.values_view.value
    view.slider.value = 4  # p's third tick: two more inputs; q's count is as of step 3
    assert view.update["views"]["ir"]["counts"][f"n{n['doubled']}"] == 2
    assert "<code>1</code>" in view.values_view.value and "step 3" in view.values_view.value
    view.slider.value = 5
    assert "<code>3</code>" in view.values_view.value and "this tick" in view.values_view.value
    view.slider.value = 2  # nothing happened at p in its second tick: nothing lit
    assert view.update["views"]["ir"] == {"counts": {}, "lit": True}
    assert json.dumps(view.update).__len__() < len(json.dumps(payload)) / 5


def test_a_renderer_that_says_hello_gets_the_step_shown():
    channel, comms = fake_channel()
    rec, _ = recorded()
    view = rec.replay(channel=channel)
    view.slider.value = 3
    reloaded = FakeComm()
    channel.comm_opened(reloaded, {"content": {"data": {"type": "hello", "ids": [view.id]}}})
    (again,) = reloaded.sent
    assert again["views"] == view.update["views"] and again["status"].startswith("step 3 ")


@pytest.mark.parametrize("render", ["svg", "dot"])
def test_without_the_extension_svg_or_dot_text_light_the_step(render):
    if render == "svg" and not HAS_DOT:
        pytest.skip("needs the dot binary for SVG")
    rec, n = recorded()
    view = rec.replay(render=render)
    lit = lit_in_svg if render == "svg" else lit_in_dot
    for step in (1, 0, 4, 2, 5, 3):
        view.slider.value = step
        assert view.step == step
        assert view.active == rec.active_nodes(step)
        assert lit(view.graph_view.value) == {f"n{i}" for i in rec.active_nodes(step)}
    view.slider.value = 2  # nothing happened at p in its second tick
    assert view.active == {} and lit(view.graph_view.value) == set()


def test_without_dot_it_shows_dot_text_and_the_table(monkeypatch):
    monkeypatch.setattr(dot_writer, "dot_available", lambda: False)
    rec, n = recorded()
    view = rec.replay(render="svg")
    assert "<pre" in view.graph_view.value and "not installed" in view.graph_view.value
    assert "<svg" not in view.graph_view.value
    view.slider.value = 0
    assert lit_in_dot(view.graph_view.value) == {f"n{n[k]}" for k in ("inp", "doubled",
                                                                         "received")}
    assert "send to_q #3" in view.ops_view.value


def test_svg_is_drawn_once_per_distinct_activity():
    if not HAS_DOT:
        pytest.skip("needs the dot binary")
    rec, _ = recorded()
    view = rec.replay(render="svg")
    for step in range(len(rec)):
        view.slider.value = step
    distinct = {frozenset(rec.active_nodes(s)) for s in range(len(rec))}
    assert len(view._svg_cache) == len(distinct) < len(rec)
    assert all(svg.startswith('<svg style="max-width: 100%; height: auto"')
               and "viewBox=" in svg for svg in view._svg_cache.values())


def test_replay_of_a_simulated_execution():
    flow = FlowBuilder("sim")
    p, q = flow.process("p"), flow.process("q")
    port, inp = p.sim_input()
    received = inp.map(lambda x: x + 1).send(q, name="to_q")
    received.watch(name="at q")
    oport = received.sim_output()

    def body(inst):
        inst.connect(port).send_many([1, 2])
        inst.connect(oport).assert_yields([2, 3])

    rec = flow.sim().run(body, record=True).recording()
    view = rec.replay(channel=fake_channel()[0])
    assert view.graph.payload()["views"]["dfir"] is not None  # the simulated programs
    view.slider.value = 2  # q takes the messages (p took the inputs in its tick 0)
    assert received.node_id in view.active
    assert f"n{received.node_id}" in view.update["views"]["ir"]["counts"]
    assert view.update["views"]["dfir"]["counts"]
    assert "<code>2</code>, <code>3</code>" in view.values_view.value
    view.slider.value = 0
    assert "channel <b>to_q</b>" in view.ops_view.value


def test_an_empty_recording_shows_a_disabled_slider():
    view = ReplayView(Recording("nothing", []))
    assert view.slider.disabled and view.play.disabled
    assert "nothing was recorded" in view.title.value


def test_bad_render_option():
    rec, _ = recorded()
    with pytest.raises(ValueError, match="render"):
        rec.replay(render="png")
