"""The session's graph display and the deployment's live graph: ``%hydro deploy`` turns the graph
above into the deployment's, in place; a cell re-run unchanged keeps it live, an edited flow is
drawn without live values and says the deployment runs the flow as deployed; after ``%hydro
stop`` the last values stay; ``%hydro reset`` and a redeploy leave it. Replays draw on the same
renderer."""

from __future__ import annotations

import ipywidgets as widgets
from ipywidgets.widgets import widget as widget_module

from hydro_lab.dashboard.live_channel import LIVE
from hydro_lab.dashboard.live_graph import LiveGraph
from hydro_lab.viz import MIME_TYPE
from tests.notebook.test_magics import BODY, SIM_FLOW

FLOW = ("%%hydro\nleader = flow.process('leader')\nworkers = flow.cluster('workers')\n"
        "counted = workers.spin().map(lambda _: 1).send(leader).values().count()\n")
EDITED = FLOW.replace("map(lambda _: 1)", "map(lambda _: 2)")
WIDGET = "application/vnd.jupyter.widget-view+json"


def test_deploy_turns_the_graph_above_into_the_deployments_live_graph(run, session):
    shown = run(FLOW, "c1").graphs()[0]
    display_id = shown.transient["display_id"]
    assert "live" not in shown.data[MIME_TYPE]
    deployed = run("%hydro deploy --size workers=3")
    assert deployed.ok, deployed.stderr
    (live,) = deployed.graphs()
    assert live.update and live.transient["display_id"] == display_id
    payload = live.data[MIME_TYPE]
    assert isinstance(session.live, LiveGraph) and session.live.deployment is session.deployment
    assert payload["live"]["id"] == session.live.id and payload["live"]["state"] == "running"
    assert payload["key"] == display_id  # the renderer keeps zoom and folds
    assert [g["members"] for g in payload["views"]["ir"]["groups"] if g["kind"] == "cluster"] \
        == [3]
    # a cell re-run unchanged: still the same live graph
    again = run(FLOW, "c1")
    assert again.ok and again.stdout == ""
    assert again.graph()["live"]["id"] == session.live.id
    session.stop()


def test_an_edited_flow_is_drawn_without_live_values_and_says_so(run, session):
    run(FLOW, "c1")
    run("%hydro deploy")
    live_id = session.live.id
    edited = run(EDITED, "c1")
    assert edited.ok
    assert edited.stdout.startswith("note: the flow changed since %hydro deploy: this graph "
                                    "shows it without live values; the deployment runs the "
                                    "flow as it was deployed")
    payload = edited.graph()
    assert "live" not in payload
    assert "runs the flow as it was deployed" in payload["notes"]["ir"]
    assert any("lambda _: 2" in n["label"] for n in payload["views"]["ir"]["nodes"])
    assert "the flow changed since it was deployed" in run("%hydro status").stdout
    back = run(FLOW, "c1")  # the edit undone: the deployment's live graph again
    assert back.stdout == "" and back.graph()["live"]["id"] == live_id
    session.stop()


def test_after_stop_the_last_values_stay_and_reset_leaves_the_live_graph(run, session):
    run(FLOW, "c1")
    run("%hydro deploy --paused")
    run("%hydro step 3")
    live = session.live
    assert run("%hydro stop").ok
    last = live.last
    assert last["state"] == "stopped" and live.closed
    assert last["views"]["ir"]["counts"]  # what it counted before it stopped
    assert LIVE.latest[live.id] == last  # what a reloaded page's Hello gets
    shown = run(FLOW, "c1").graph()  # drawn again: still that graph, stopped
    assert shown["live"] == {"id": live.id, "state": "stopped", "status": last["status"]}
    reset = run("%hydro reset")
    assert "live" not in reset.graph() and session.live is None
    run(FLOW, "c1")
    assert "live" not in run(FLOW, "c1").graph()


def test_a_redeploy_makes_a_new_live_graph_and_ends_the_old(run, session):
    run(FLOW, "c1")
    run("%hydro deploy")
    first = session.live
    redeployed = run("%hydro deploy")
    assert first.closed and first.last["state"] == "stopped"
    assert session.live is not first and redeployed.graph()["live"]["id"] == session.live.id
    session.stop()


def test_a_failed_deployment_keeps_its_live_graph_with_the_error(run, session):
    assert run("%%hydro\np = flow.process('p')\n"
               "p.source_iter([1, 0]).map(lambda x: 1 // x).for_each(print)\n", "c1").ok
    run("%hydro deploy --paused")
    failed = run("%hydro step")
    assert not failed.ok
    session.live.refresh()
    assert session.live.last["state"] == "failed"
    assert "ZeroDivisionError" in session.live.last["error"]


def replay_view_of(ran):
    (shown,) = [o for o in ran.outputs if WIDGET in o.data]
    return widget_module._instances[shown.data[WIDGET]["model_id"]]


def test_replay_draws_on_the_extensions_renderer(run, session):
    run(FLOW, "c1")
    run("%hydro deploy --paused")
    run("%hydro step 2")
    ran = run("%hydro replay")
    box = replay_view_of(ran)
    (output,) = [w for w in box.children[-1].children if isinstance(w, widgets.Output)]
    (drawn,) = output.outputs
    payload = drawn["data"][MIME_TYPE]
    assert payload["live"]["state"] == "replay" and payload["views"]["dfir"] is not None
    update = LIVE.latest[payload["live"]["id"]]
    assert update["state"] == "replay" and update["views"]["ir"]["lit"] is True
    assert update["views"]["ir"]["counts"] and update["views"]["dfir"]["counts"]
    session.stop()


def test_replay_of_the_sims_failing_execution_lights_its_steps(run, session):
    assert run(SIM_FLOW, "c1").ok
    assert run(BODY.replace("sorted(o.collect())", "o.collect()")).ok
    assert run("%hydro sim").ok and type(session.last_sim).__name__ == "SimFailure"
    ran = run("%hydro replay --sim")
    assert ran.ok, ran.stderr
    box = replay_view_of(ran)
    slider = next(w for w in box.children[1].children if isinstance(w, widgets.IntSlider))
    (output,) = [w for w in box.children[-1].children if isinstance(w, widgets.Output)]
    payload = output.outputs[0]["data"][MIME_TYPE]
    live_id = payload["live"]["id"]
    assert payload["live"]["state"] == "replay" and payload["views"]["dfir"] is not None
    ir_nodes = {n["id"] for n in payload["views"]["ir"]["nodes"]}
    lit = set()
    for step in range(slider.max + 1):
        slider.value = step
        update = LIVE.latest[live_id]
        assert update["status"].startswith(f"step {step} of {slider.max + 1}: ")
        assert set(update["views"]["ir"]["counts"]) <= ir_nodes
        lit |= set(update["views"]["ir"]["counts"])
    assert len(lit) >= 3  # the input, the batch and the output all lit at some step
