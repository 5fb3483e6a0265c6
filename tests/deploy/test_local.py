"""LocalDeployment: lifecycle, bad arguments, clients and metrics."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from hydro_lab import FlowBuilder, HydroRuntimeError, MembershipEvent, nondet
from hydro_lab.errors import HydroDeployError

ND = nondet("test")


def hydro_threads():
    return [t for t in threading.enumerate() if t.name.startswith("hydro-")]


def spinning_flow(out):
    flow = FlowBuilder()
    p = flow.process("p")
    p.tick().spin_batch(1).count().all_ticks().dest_sink(out)
    return flow


def test_context_manager_starts_and_stops_cleanly():
    out = []
    with spinning_flow(out).deploy("local") as d:
        assert d.state == "running"
        d.run(seconds=0.2)
    assert d.state == "stopped" and len(out) > 5
    assert hydro_threads() == []


def test_pause_holds_ticks_and_resume_releases_them():
    out = []
    d = spinning_flow(out).deploy("local").start()
    time.sleep(0.1)
    d.pause()
    time.sleep(0.05)
    held = len(out)
    time.sleep(0.15)
    assert len(out) == held
    d.resume()
    time.sleep(0.1)
    assert len(out) > held
    d.step(3)  # stepping while started pauses, steps and resumes
    d.stop()
    assert hydro_threads() == []


def test_run_ticks_counts_rounds_and_metrics_see_every_tick():
    out = []
    d = spinning_flow(out).deploy("local")
    d.run(ticks=5)
    assert out == [1] * 5
    m = d.metrics()
    assert list(m.columns) == ["location", "member", "tick", "time", "metric", "key", "value"]
    durations = m[m.metric == "tick_duration_s"]
    assert sorted(durations.tick) == [0, 1, 2, 3, 4]
    counted = m[(m.metric == "elements_out") & m.key.str.startswith("count")]
    assert counted.value.sum() == 5
    wide = d.metrics(wide=True)
    assert len(wide) == 5 and "tick_duration_s" in wide.columns


def test_metrics_count_channel_messages_and_bytes():
    flow = FlowBuilder()
    a, w = flow.process("a"), flow.cluster("w")
    a.source_iter(list(range(10))).broadcast(w, ND).for_each(lambda x: None)
    d = flow.deploy("local", cluster_sizes={w: 2})
    d.step(2)
    m = d.metrics()
    sent = m[m.metric == "messages_out"]
    assert sent.value.sum() == 20 and (m[m.metric == "bytes_out"].value > 0).all()
    received = m[m.metric == "messages_in"].groupby("member").value.sum()
    assert received.to_dict() == {0: 10, 1: 10}


def test_metrics_memory_is_bounded():
    out = []
    d = spinning_flow(out).deploy("local", max_records=50)
    d.run(ticks=100)
    assert len(d.metrics()) == 50


def test_error_in_the_background_stops_and_surfaces_at_stop():
    flow = FlowBuilder()
    p = flow.process("p")
    p.tick().spin_batch(1).all_ticks().enumerate().map(lambda ix: 1 // (3 - ix[0])) \
        .for_each(lambda x: None)
    d = flow.deploy("local").start()
    deadline = time.time() + 5
    while d.error is None and time.time() < deadline:
        time.sleep(0.01)
    assert d.state == "failed"
    with pytest.raises(HydroRuntimeError, match="ZeroDivisionError"):
        d.stop()
    assert hydro_threads() == []


def test_a_background_failure_is_heard_at_once_and_stays_after_stop():
    flow = FlowBuilder()
    p = flow.process("p")
    p.tick().spin_batch(1).all_ticks().enumerate().map(lambda ix: 1 // (3 - ix[0])) \
        .for_each(lambda x: None)
    d = flow.deploy("local")
    heard = []
    d.on_failure(lambda err: heard.append((err, threading.current_thread().name)))
    d.start()
    deadline = time.time() + 5
    while not heard and time.time() < deadline:
        time.sleep(0.01)
    assert heard == [(d.error, "hydro-local")]  # from the thread that saw it, once
    assert d.state == "failed" and d.error.element == "(3, None)" and d.error.tick == 3
    late = []
    d.on_failure(late.append)  # after the failure: called at once
    assert late == [d.error]
    with pytest.raises(HydroRuntimeError):
        d.stop()
    assert d.state == "stopped" and "ZeroDivisionError" in str(d.error)  # the reason stays


def test_background_ticks_print_where_the_deployment_was_made():
    """A deployment's threads run in a copy of its creator's context (ipykernel keeps the cell
    an output belongs to in a context variable): a later caller's context sees none of it."""
    cell = contextvars.ContextVar("cell", default="no cell")
    seen = []
    flow = FlowBuilder()
    p = flow.process("p")
    p.tick().spin_batch(1).all_ticks().for_each(lambda _: seen.append(cell.get()))

    def deploy_cell():
        cell.set("the deploy cell")
        return flow.deploy("local")

    d = contextvars.copy_context().run(deploy_cell)
    cell.set("a later cell")
    d.start()
    deadline = time.time() + 5
    while len(seen) < 3 and time.time() < deadline:
        time.sleep(0.01)
    d.pause()
    d.step()  # run by the caller: in the caller's context
    d.stop()
    assert set(seen[:-1]) == {"the deploy cell"} and seen[-1] == "a later cell"


def test_error_inside_a_with_block_is_raised_on_exit():
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_iter([0]).map(lambda x: 1 // x).for_each(print)
    with pytest.raises(HydroRuntimeError, match=r"map\(lambda x: 1 // x\)"):
        with flow.deploy("local") as d:
            d.run(seconds=1)
    assert hydro_threads() == []


def test_a_stopped_deployment_cannot_run_again_but_the_flow_can_redeploy():
    out = []
    flow = spinning_flow(out)
    compiled = flow.compile()
    d = compiled.deploy("local")
    d.step()
    d.stop()
    with pytest.raises(HydroDeployError, match="deploy the flow again"):
        d.step()
    again = compiled.deploy("local")
    again.step(2)
    assert out == [1, 1, 1]


def test_cluster_sizes_are_checked():
    flow = FlowBuilder()
    w = flow.cluster("workers")
    w.spin().for_each(print)
    with pytest.raises(HydroDeployError, match=r"cluster 'workers' has no size.*workers: 2"):
        flow.deploy("local")
    with pytest.raises(HydroDeployError, match="which this flow does not have"):
        flow.deploy("local", cluster_sizes={w: 1, "nobody": 2})
    with pytest.raises(HydroDeployError, match="positive int"):
        flow.deploy("local", cluster_sizes={"workers": 0})
    assert flow.deploy("local", cluster_sizes={"workers": 3}).cluster_sizes == {"workers": 3}


def test_unknown_backend_and_bad_arguments():
    flow = FlowBuilder()
    flow.process("p").source_iter([1]).for_each(print)
    with pytest.raises(HydroDeployError, match="unknown backend 'cloud'"):
        flow.deploy("cloud")
    d = flow.deploy("local")
    with pytest.raises(HydroDeployError, match="exactly one of"):
        d.run()
    with pytest.raises(HydroDeployError, match="non-negative int"):
        d.step(-1)


def test_clients_connect_send_receive_and_explain_mistakes():
    flow = FlowBuilder()
    p = flow.process("p")
    client = flow.external("client")
    in_port, xs = p.source_external(client)
    out_port = xs.map(lambda x: x + 1).send_external(client)
    d = flow.deploy("local")
    sender, receiver = d.connect(in_port), d.connect(out_port)
    # connecting again (a notebook cell run again) gives the same clients back
    assert d.connect(in_port) is sender and d.connect(out_port) is receiver
    with pytest.raises(HydroDeployError, match="output port"):
        receiver.send(1)
    with pytest.raises(HydroDeployError) as info:
        d.connect(12345)
    assert str(info.value) == (
        "connect(): 12345 is not a port of the flow this deployment runs: the deployment runs "
        "the flow as it was deployed; deploy the flow again to use your edits")
    sender.send_many([1, 2])
    assert [receiver.recv(timeout=2), receiver.recv(timeout=2)] == [2, 3]
    with pytest.raises(TimeoutError):
        receiver.recv(timeout=0.05)
    with pytest.raises(HydroRuntimeError, match="could not carry"):
        sender.send(lambda: 1)  # cannot be pickled: refused before it enters the flow


def test_outputs_sent_before_a_client_connects_are_kept_for_it():
    # DESIGN: nothing is lost to a late client (CI once lost the cookbook's hellos this way)
    flow = FlowBuilder()
    p = flow.process("p")
    out_port = p.source_iter([1, 2, 3]).send_external(flow.external("client"))
    d = flow.deploy("local")
    d.run(ticks=3)
    receiver = d.connect(out_port)
    assert [receiver.recv(timeout=2) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(TimeoutError):
        receiver.recv(timeout=0.05)
    # kept once: connecting again returns the same client, with nothing delivered twice
    assert d.connect(out_port) is receiver and receiver.recv_all() == []


def test_many_clients_connect_and_leave():
    flow = FlowBuilder()
    p = flow.process("p")
    port, messages, events, replies = p.bidi_external(flow.external("clients"))
    seen = []
    events.entries().assume_ordering(ND).dest_sink(seen)
    replies.complete(messages.map(lambda m: m.upper()))
    d = flow.deploy("local")
    a, b = d.connect(port), d.connect(port)
    a.send("hi")
    b.send("yo")
    assert a.recv(timeout=2) == "HI" and b.recv(timeout=2) == "YO"
    a.close()
    d.step()
    assert seen == [(1, MembershipEvent.JOINED), (2, MembershipEvent.JOINED),
                    (1, MembershipEvent.LEFT)]


def test_two_deployments_of_one_compiled_flow_do_not_share_state():
    flow = FlowBuilder()
    p = flow.process("p")
    out = []
    p.tick().spin_batch(1).all_ticks().fold(lambda: 0, lambda a, _: a + 1) \
        .sample_eager(ND).dest_sink(out)
    compiled = flow.compile()
    first, second = compiled.deploy("local"), compiled.deploy("local")
    first.step(3)
    second.step(1)
    assert out == [1, 2, 3, 1]
