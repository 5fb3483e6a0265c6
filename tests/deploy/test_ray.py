"""What is particular to the Ray backend: free-running actors, clean shutdown in every case
(stop, failure, the driver's exit), re-deploys in one session, and a real two-node cluster."""

from __future__ import annotations

import contextvars
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hydro_lab import FlowBuilder, HydroRuntimeError, nondet
from hydro_lab.errors import HydroDeployError
from hydro_lab.examples.echo import echo_capitalize

pytestmark = pytest.mark.ray
ROOT = Path(__file__).resolve().parents[2]
ND = nondet("test")


def hydro_actors(ray, pid=None):
    prefix = f"hydro-{pid if pid is not None else os.getpid()}-"
    return [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
            if a["name"].startswith(prefix)]


def echo_deployment():
    flow = FlowBuilder("echo")
    in_port, out_port = echo_capitalize(flow.process("server"), flow.external("client"))
    return flow.deploy("ray"), in_port, out_port


def test_free_running_actors_answer_clients_and_stop_cleanly(ray_session):
    d, in_port, out_port = echo_deployment()
    sender, receiver = d.connect(in_port), d.connect(out_port)
    d.start()
    assert d.state == "running"
    for word in ("a", "b", "c"):
        sender.send(word)
    assert [receiver.recv(timeout=10) for _ in range(3)] == ["A", "B", "C"]
    assert len(hydro_actors(ray_session)) == 1
    d.stop()
    assert d.state == "stopped" and hydro_actors(ray_session) == []


def test_outputs_sent_before_a_client_connects_are_kept_for_it(ray_session):
    flow = FlowBuilder()
    out_port = flow.process("p").source_iter(["a", "b"]).send_external(flow.external("client"))
    with flow.deploy("ray") as d:
        d.run(ticks=3)
        receiver = d.connect(out_port)
        assert [receiver.recv(timeout=10) for _ in range(2)] == ["a", "b"]


def test_run_seconds_runs_the_actors_and_pauses_them_again(ray_session):
    flow = FlowBuilder()
    p = flow.process("p")
    ticks = []
    p.tick().spin_batch(1).count().all_ticks().dest_sink(ticks)
    d = flow.deploy("ray")
    try:
        d.run(seconds=0.5)
        # on return every output of the ticks run so far has reached the driver's sink (CI
        # once saw 21 more arrive while "paused": pause did not wait for them)
        assert d.state == "paused" and len(ticks) > 10
        seen = len(ticks)
        time.sleep(0.2)
        assert len(ticks) == seen  # nothing runs, and nothing arrives, while paused
        d.step(2)
        assert len(ticks) == seen + 2
    finally:
        d.stop()               # a failure here must not leave the actor to the next tests
    assert hydro_actors(ray_session) == []


def test_pause_waits_for_outputs_still_on_their_way_to_the_driver(ray_session):
    """The driver's receiving thread is slow (here: stalled on purpose): pause must still return
    only when every output of the ticks that ran has been handed to the sink."""
    flow = FlowBuilder()
    p = flow.process("p")
    ticks = []
    p.tick().spin_batch(1).count().all_ticks().dest_sink(ticks)
    d = flow.deploy("ray")
    handled = []
    original = d._endpoint._on_message       # what the driver's receiving thread calls

    def slow(kind, header, payload):
        if kind == b"sink":
            handled.append(1)
            if len(handled) == 5:
                time.sleep(0.6)         # everything sent meanwhile queues behind this one
        original(kind, header, payload)

    d._endpoint._on_message = slow
    try:
        d.run(seconds=0.3)
        n = len(ticks)
        assert n > 10                   # the backlog was drained before run() returned
        time.sleep(0.3)
        assert len(ticks) == n          # and nothing trickles in afterwards
    finally:
        d.stop()
    assert hydro_actors(ray_session) == []


def test_a_failure_stops_every_actor_and_surfaces_in_the_caller(ray_session):
    flow = FlowBuilder()
    p, w = flow.process("p"), flow.cluster("w")
    p.tick().spin_batch(1).all_ticks().enumerate() \
        .map(lambda ix: 1 // (5 - ix[0])).broadcast(w, ND).for_each(lambda x: None)
    d = flow.deploy("ray", cluster_sizes={w: 2})
    d.start()
    deadline = time.time() + 20
    while d.error is None and time.time() < deadline:
        time.sleep(0.05)
    with pytest.raises(HydroRuntimeError) as info:
        d.stop()
    msg = str(info.value)
    # the operator, the line that raised (here the operator's own: the lambda is inlined), the
    # element it failed on, where: as a local deployment says it
    assert msg.startswith("map(lambda ix: 1 // (5 - ix[0])) raised ZeroDivisionError: integer "
                          "division or modulo by zero\n  at test_ray.py, line ")
    assert msg.endswith("\n  element: (5, None)\n  in p, tick 5")
    assert hydro_actors(ray_session) == []


class _Printed:
    """sys.stdout that notes the value of ``var`` each write is made under."""

    def __init__(self, var):
        self.var, self.writes = var, []

    def write(self, text):
        self.writes.append((self.var.get(), text))
        return len(text)

    def flush(self):
        pass

    def text(self, cell):
        return "".join(t for c, t in self.writes if c == cell)


def test_what_actors_print_reaches_the_driver_where_the_deployment_prints(ray_session,
                                                                           monkeypatch):
    """An actor's prints come to the driver with its outputs (not through Ray's log thread, which
    prints under whichever notebook cell ran last): a round's before the round returns, in the
    caller's context; free-running ones in the context the deployment was made in."""
    cell = contextvars.ContextVar("cell", default="no cell")
    printed = _Printed(cell)
    monkeypatch.setattr(sys, "stdout", printed)
    flow = FlowBuilder()
    p = flow.process("p")
    p.tick().spin_batch(1).all_ticks().enumerate().filter(lambda ix: ix[0] < 4) \
        .for_each(lambda ix: print("tick", ix[0]))

    def deploy_cell():
        cell.set("deploy cell")
        return flow.deploy("ray")

    d = contextvars.copy_context().run(deploy_cell)
    try:
        cell.set("step cell")
        d.step(2)
        assert printed.text("step cell") == "[p] tick 0\n[p] tick 1\n"  # before step returned
        cell.set("later cell")
        d.start()
        deadline = time.time() + 20
        while "tick 3" not in printed.text("deploy cell") and time.time() < deadline:
            time.sleep(0.05)
    finally:
        d.stop()
    assert printed.text("deploy cell") == "[p] tick 2\n[p] tick 3\n"
    assert printed.text("later cell") == ""


def test_redeploying_in_the_same_session_works(ray_session):
    for _ in range(2):
        d, in_port, out_port = echo_deployment()
        sender, receiver = d.connect(in_port), d.connect(out_port)
        sender.send("again")
        assert receiver.recv(timeout=10) == "AGAIN"
        d.stop()
    assert hydro_actors(ray_session) == []


def test_resources_and_placement_are_checked(ray_session):
    flow = FlowBuilder()
    flow.process("p").source_iter([1]).for_each(print)
    with pytest.raises(HydroDeployError, match="placement"):
        flow.deploy("ray", placement="everywhere")
    with pytest.raises(HydroDeployError, match="not a process or cluster"):
        flow.deploy("ray", resources={"nowhere": {"num_cpus": 1}})
    with pytest.raises(HydroDeployError, match="dict of Ray actor options"):
        flow.deploy("ray", resources={"p": 1})


DRIVER_SCRIPT = """
import sys, ray
from hydro_lab import FlowBuilder
from hydro_lab.deploy.ray import ensure_ray
ensure_ray(address=sys.argv[1])
flow = FlowBuilder()
p, w = flow.process("p"), flow.cluster("w")
p.spin().for_each(lambda x: None)
d = flow.deploy("ray", cluster_sizes={w: 2})
d.start()
import os
names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
         if a["name"].startswith(f"hydro-{os.getpid()}-")]
print("DEPLOYED", os.getpid(), len(names), flush=True)
os._exit(0)   # the driver dies without stopping anything
"""


def test_actors_die_with_the_driver(ray_session, tmp_path):
    ray = ray_session
    gcs = ray.get_runtime_context().gcs_address
    script = tmp_path / "driver.py"
    script.write_text(DRIVER_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH",
                                                                                  "")]))
    proc = subprocess.run([sys.executable, str(script), gcs], capture_output=True, text=True,
                          timeout=120, env=env, cwd=ROOT)
    assert "DEPLOYED" in proc.stdout, proc.stderr[-2000:]
    pid, alive = proc.stdout.split("DEPLOYED", 1)[1].split()[:2]
    assert alive == "3"  # a process and two members were running when the driver died
    deadline = time.time() + 30
    while hydro_actors(ray, pid) and time.time() < deadline:
        time.sleep(0.5)
    assert hydro_actors(ray, pid) == []


TWO_NODES = textwrap.dedent("""
    import ray
    from ray.cluster_utils import Cluster
    from hydro_lab import FlowBuilder, MemberId, nondet
    from hydro_lab.deploy.ray import ensure_ray

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ensure_ray(address=cluster.address)
    assert len([n for n in ray.nodes() if n["Alive"]]) == 2

    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    replies = []
    (leader.source_iter(["ping"]).broadcast(workers, nondet("test"))
           .map(lambda s: s + "-pong").send(leader).entries()
           .assume_ordering(nondet("test")).dest_sink(replies))
    d = flow.deploy("ray", cluster_sizes={workers: 2}, placement="spread",
                    resources={"workers": {"num_cpus": 1}})
    nodes = {d.node_of(f"workers[{i}]") for i in range(2)}
    d.step(3)
    d.stop()
    print("NODES", len(nodes))
    print("REPLIES", sorted(replies) == [(MemberId("workers", 0), "ping-pong"),
                                         (MemberId("workers", 1), "ping-pong")])
    ray.shutdown()
    cluster.shutdown()
""")


def test_members_spread_over_two_nodes_and_the_flow_runs(tmp_path):
    """A real two-node Ray cluster on this machine (ray.cluster_utils.Cluster); it needs its own
    driver process, since this one is connected to the shared test session."""
    script = tmp_path / "two_nodes.py"
    script.write_text(TWO_NODES)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=240, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "NODES 2" in proc.stdout and "REPLIES True" in proc.stdout, proc.stdout
