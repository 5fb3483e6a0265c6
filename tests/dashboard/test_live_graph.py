"""``deployment.graph()``: the deployment's graph payload once, then small updates: counts that
grow, messages/s on the channel's nodes, killed members, a last update after stop that keeps the
values, a failed deployment's error and then silence; on the pump at >= 2 Hz; on Ray too."""

from __future__ import annotations

import json
import time

import pytest

from hydro_lab import FlowBuilder
from hydro_lab.dashboard import live_graph
from hydro_lab.dashboard.live_graph import LiveGraph
from hydro_lab.dashboard.pump import Pump
from hydro_lab.viz import MIME_TYPE
from tests.dashboard.live_fakes import fake_channel
from tests.flows import PI_BATCH
from tests.flows import pi_deployment as pi

BATCH = PI_BATCH
CHANNEL = "workers->leader#1"




def following(d, **options):
    """The deployment's live graph on a fake front end, refreshed by hand."""
    channel, comms = fake_channel()
    graph = d.graph(channel=channel, pump=None, **options)
    graph._repr_mimebundle_()  # displayed: the kernel opens its comm
    return graph, comms[0]


def ids(payload, view):
    return {n["id"]: n for n in payload["views"][view]["nodes"]}


def test_it_displays_as_the_flows_graph_with_both_views_members_and_live_set():
    d = pi()
    graph, _ = following(d, key="display-1")
    assert isinstance(graph, LiveGraph)
    bundle = graph._repr_mimebundle_()
    payload = bundle[MIME_TYPE]
    assert payload["live"] == {"id": graph.id, "state": "created",
                               "status": "created · 3 instances · 0 ticks"}
    assert payload["key"] == "display-1"
    assert payload["view"] == "ir" and payload["views"]["dfir"] is not None
    assert payload == json.loads(json.dumps(payload))
    for view in ("ir", "dfir"):
        (cluster,) = [g for g in payload["views"][view]["groups"] if g.get("members")]
        assert cluster["members"] == 2 and cluster["label"].endswith("workers")
    assert graph.payload("dfir")["view"] == "dfir"
    assert "workers" in bundle["text/plain"]
    d.stop()


def test_counts_grow_between_updates_in_both_views():
    d = pi()
    graph, comm = following(d)
    channel_node = f"n{d.compiled.lowered.channels[0].origin.node_id}"
    payload = graph.payload()
    (shown,) = comm.sent  # sent with the graph: nothing ran yet
    assert shown["views"]["ir"]["counts"] == {} and shown["status"].endswith(" 0 ticks")
    d.step(3)
    graph.refresh()
    d.step(4)
    graph.refresh()
    _, first, second = comm.sent
    assert second["seq"] == first["seq"] + 1 and first["id"] == second["id"] == graph.id
    for view in ("ir", "dfir"):
        a, b = first["views"][view]["counts"], second["views"][view]["counts"]
        assert set(a) == set(b) and set(a) <= set(ids(payload, view))
        assert all(b[node] > a[node] for node in a), view
    ir, dfir = second["views"]["ir"]["counts"], second["views"]["dfir"]["counts"]
    dfir_nodes = ids(payload, "dfir")
    # a worker's map ran 7 ticks of 64 darts in each of 2 workers: summed over the instances
    (map_op,) = [k for k, n in dfir_nodes.items() if n["op"] == "map" and k.startswith("loc2")]
    assert dfir[map_op] == 2 * 7 * BATCH and ir[dfir_nodes[map_op]["ir"]] == 2 * 7 * BATCH
    # the fold takes 64 darts and emits 1 per tick: its IR node shows the busier half
    fold_ir = next(n["ir"] for n in dfir_nodes.values() if n["op"] == "fold")
    assert ir[fold_ir] == 2 * 7 * BATCH
    assert ir[channel_node] == 2 * 7  # one message per worker tick
    assert second["state"] == "created" and second["status"] == "created · 3 instances · 21 ticks"
    d.stop()


def test_a_quiet_deployments_rates_fall_to_zero_and_then_nothing_is_sent(monkeypatch):
    monkeypatch.setattr(live_graph, "RATE_WINDOW_S", 0.05)
    d = pi()
    graph, comm = following(d)
    d.step(3)
    graph.refresh()
    time.sleep(0.1)
    graph.refresh()
    time.sleep(0.1)
    graph.refresh()
    rates = comm.sent[-1]["views"]["ir"]["rates"]
    assert list(rates.values()) == [0]
    sent = len(comm.sent)
    graph.refresh()
    graph.refresh()
    assert len(comm.sent) == sent  # nothing changed: nothing sent
    d.stop()


def test_rates_sit_on_the_channels_network_node_and_its_send_and_recv_operators():
    d = pi()
    graph, comm = following(d)
    payload = graph.payload()
    d.start()
    time.sleep(0.3)
    graph.refresh()
    time.sleep(0.3)
    graph.refresh()
    ir, dfir = comm.sent[-1]["views"]["ir"], comm.sent[-1]["views"]["dfir"]
    (network,) = [k for k, n in ids(payload, "ir").items() if n.get("channel") == CHANNEL]
    ends = {k for k, n in ids(payload, "dfir").items() if n.get("channel") == CHANNEL}
    assert len(ends) == 2 and set(ir["rates"]) == {network} and set(dfir["rates"]) == ends
    assert ir["rates"][network] > 10 and all(dfir["rates"][e] == ir["rates"][network]
                                             for e in ends)
    d.stop()


def test_a_killed_member_shows_as_killed_and_the_last_update_keeps_the_values():
    d = pi()
    graph, comm = following(d)
    d.step(2)
    graph.refresh()
    assert comm.sent[-1]["groups"] == {"loc2": {"members": 2, "alive": 2, "killed": []}}
    d.kill("workers", 1)
    d.step(2)
    assert graph.refresh() is True
    running = comm.sent[-1]
    assert running["groups"] == {"loc2": {"members": 2, "alive": 1, "killed": ["workers[1]"]}}
    assert running["status"].startswith("created · 2 of 3 instances")
    d.stop()
    assert graph.refresh() is False and graph.closed
    last = comm.sent[-1]
    assert last["state"] == "stopped" and last["views"] == running["views"]
    assert last["groups"] == running["groups"] and "error" not in last
    assert graph.totals.add not in d.recorder.subscribers
    assert graph.refresh() is False and comm.sent[-1] is last  # nothing after the last one
    assert graph.payload()["live"]["state"] == "stopped"


def test_a_failed_deployment_sends_its_error_once_and_nothing_is_raised(capsys):
    flow = FlowBuilder("boom")
    p = flow.process("p")
    p.tick().spin_batch(1).all_ticks().enumerate().map(lambda ix: 1 // (3 - ix[0])) \
        .for_each(lambda x: None)
    d = flow.deploy("local")
    pump = Pump(rate_hz=50)
    channel, comms = fake_channel()
    graph = d.graph(channel=channel, pump=pump, interval=0.02)
    graph._repr_mimebundle_()
    d.start()
    deadline = time.monotonic() + 5
    while not graph.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert graph.closed and graph.subscription.error is None
    failed = comms[0].sent[-1]
    assert failed["state"] == "failed"
    assert failed["error"].startswith("HydroRuntimeError: ") and "ZeroDivisionError" in \
        failed["error"] and "map" in failed["error"]
    assert sum(u["state"] == "failed" for u in comms[0].sent) == 1
    time.sleep(0.1)
    assert comms[0].sent[-1] is failed and graph.refresh() is False
    assert graph.subscription not in pump.subscriptions()
    assert capsys.readouterr() == ("", "")
    pump.stop()


def test_updates_are_small_next_to_the_payload():
    d = pi(workers=4)
    graph, comm = following(d)
    d.step(3)
    graph.refresh()
    update, payload = json.dumps(comm.sent[-1]), json.dumps(graph.payload())
    assert "nodes" not in update and "edges" not in update
    assert len(update) * 8 < len(payload)
    d.stop()


def test_the_pump_sends_updates_at_least_twice_a_second_then_lets_go():
    pump = Pump()  # the default rate, as in a notebook
    d = pi()
    channel, comms = fake_channel()
    graph = d.graph(channel=channel, pump=pump)
    graph._repr_mimebundle_()
    d.start()
    time.sleep(1.6)
    sent = list(comms[0].sent)
    d.stop()
    assert len(sent) >= 4  # at least 2 Hz, each with new values
    counts = [u["views"]["ir"]["counts"].get("n5", 0) for u in sent]
    assert counts == sorted(counts) and counts[-1] > counts[0]
    deadline = time.monotonic() + 2
    while not graph.closed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert graph.closed and comms[0].sent[-1]["state"] == "stopped"
    pump.stop()


def test_in_plain_python_it_does_not_follow_but_tells_the_values_now():
    d = pi()
    graph = d.graph()  # no kernel here: nothing to send to
    assert not graph.started and graph.subscription is None
    assert graph.totals.add not in d.recorder.subscribers
    d.step(2)
    now = graph.update()
    assert now["views"]["ir"]["counts"]["n5"] == 2 * 2 * BATCH
    bundle = graph._repr_mimebundle_()
    assert bundle[MIME_TYPE]["live"]["id"] == graph.id and not graph.started
    d.stop()


def test_a_graph_made_late_counts_what_ran_before_it():
    d = pi()
    d.step(3)
    graph, comm = following(d)
    d.step(1)
    graph.refresh()
    assert comm.sent[-1]["views"]["ir"]["counts"]["n5"] == 2 * 4 * BATCH
    d.stop()


@pytest.mark.ray
def test_a_ray_deployments_live_graph_counts_grow(ray_session):
    d = pi("ray")
    try:
        graph, comm = following(d)
        d.start()
        seen = []
        deadline = time.monotonic() + 20
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.3)
            graph.refresh()
            counts = comm.sent[-1]["views"]["ir"]["counts"] if comm.sent else {}
            if counts.get("n5") and (not seen or counts["n5"] > seen[-1]):
                seen.append(counts["n5"])
        assert len(seen) == 2 and seen[1] > seen[0]
        assert comm.sent[-1]["state"] == "running"
        assert comm.sent[-1]["views"]["ir"]["rates"]
    finally:
        d.stop()
    graph.refresh()
    stopped = comm.sent[-1]
    assert stopped["state"] == "stopped"
    # the actors are gone, none of them killed: membership as it was at the end
    assert stopped["groups"] == {"loc2": {"members": 2, "alive": 2, "killed": []}}
    assert stopped["status"].startswith("stopped · 3 instances")


def test_a_live_graph_whose_update_fails_says_so_on_the_graph_and_stops(capsys):
    pump = Pump(rate_hz=50)
    d = pi(workers=1)
    channel, comms = fake_channel()
    graph = d.graph(channel=channel, pump=pump, interval=0.02)
    graph._repr_mimebundle_()

    def broken():
        raise RuntimeError("the overlay said no")

    graph.update = broken
    deadline = time.monotonic() + 5
    while not graph.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert graph.closed and isinstance(graph.subscription.error, RuntimeError)
    said = comms[0].sent[-1]
    assert said["status"] == "the live graph stopped updating: RuntimeError: the overlay said no"
    assert said["id"] == graph.id and said["state"] == "created"
    assert graph.totals.add not in d.recorder.subscribers
    assert capsys.readouterr() == ("", "")
    d.stop()
    pump.stop()
