"""``hydro_lab/core``: the topology of a compiled flow and the sans-IO instance core, driven by
hand (no deployment, no thread, no clock): arrivals in, ``tick(now)`` -> ``Outcome`` out."""

from __future__ import annotations

import pickle
import threading

import cloudpickle
import pytest

from hydro_lab import FlowBuilder, MemberId, MembershipEvent, nondet
from hydro_lab.core.faults import Fault
from hydro_lab.core.instance import InstanceCore
from hydro_lab.core.routing import InstanceId
from hydro_lab.core.topology import Topology
from hydro_lab.errors import HydroDeployError
from hydro_lab.lower.ports import ChannelPort, ClientPort, MembersPort, SinkPort
from hydro_lab.observe.metrics import (
    BYTES_IN,
    BYTES_OUT,
    DELAYED,
    DROPPED,
    MESSAGES_IN,
    MESSAGES_OUT,
    TICK_DURATION,
)

ND = nondet("test")


def relay_flow(parse=lambda x: x + 1):
    """workers: source_iter -> map -> send to the leader (channel "jobs"); leader: the values
    to a sink and, times 10, to an external port; it also watches the workers' membership."""
    flow = FlowBuilder("relay")
    leader, workers, client = flow.process("leader"), flow.cluster("workers"), \
        flow.external("client")
    jobs = workers.source_iter([1, 2, 3]).map(parse).send(leader, name="jobs").values() \
        .assume_ordering(ND)
    seen: list = []
    jobs.dest_sink(seen)
    port = jobs.map(lambda x: x * 10).send_external(client)
    members: list = []
    leader.source_cluster_members(workers).entries().assume_ordering(ND).dest_sink(members)
    return flow, port, seen, members


def test_the_topology_is_built_once_from_the_compiled_flow_and_the_sizes():
    flow, port, _, _ = relay_flow()
    topo = Topology.of(flow.compile(), {"workers": 2})
    assert [i.name for i in topo.instances] == ["leader", "workers[0]", "workers[1]"]
    assert topo.cluster_sizes == {"workers": 2} and topo.members == {"workers": [0, 1]}
    assert [spec.name for spec in topo.channels.values()] == ["jobs"]
    assert isinstance(next(iter(topo.channels)), ChannelPort)
    assert topo.port(port).key == port.key and topo.find("workers[1]").member == 1
    assert topo.wiring(topo.instances[0].location)[0] == {
        "workers": MembersPort.of("workers")}
    assert topo.port_instances == {port.key: topo.instances[0]}
    assert topo.channel_ports == {"jobs": ChannelPort.of("jobs")}
    with pytest.raises(HydroDeployError, match="cluster 'workers' has no size"):
        Topology.of(flow.compile(), {})


def test_a_tick_becomes_an_outcome_that_the_driver_moves():
    flow, port, _, _ = relay_flow()
    topo = Topology.of(flow.compile(), {"workers": 1})
    leader, worker = topo.instances
    cores = {i: InstanceCore(i, topo) for i in topo.instances}
    out = cores[worker].tick(now=1.0)
    assert out.failure is None and not out.external and not out.sinks
    [d] = out.deliveries
    assert (d.dst, d.channel, d.count, d.tag) == (leader, "jobs", 3, MemberId("workers", 0))
    assert (MESSAGES_OUT, "jobs", 3) in [(r[4], r[5], r[6]) for r in out.rows]
    assert (BYTES_OUT, "jobs", d.nbytes) in [(r[4], r[5], r[6]) for r in out.rows]
    assert any(r[4] == TICK_DURATION for r in out.rows)
    # the driver moves the encoded batch; the receiver decodes it and counts it at its tick
    assert cores[leader].arrive(d.port, d.data, d.tag) == [
        (MemberId("workers", 0), v) for v in (2, 3, 4)]
    got = cores[leader].tick(now=2.0)
    assert got.failure is None
    [(key, data)] = got.external.items()
    assert key == port.key and topo.ports[key].codec.decode(data) == [20, 30, 40]
    [(sink_port, values)] = [(p, v) for p, v in got.sinks.items() if v == [2, 3, 4]]
    assert isinstance(sink_port, SinkPort)
    rows = [(r[4], r[5], r[6]) for r in got.rows]
    assert (MESSAGES_IN, "jobs", 3) in rows and (BYTES_IN, "jobs", d.nbytes) in rows


def test_membership_is_written_once_for_every_driver():
    flow, _, _, _ = relay_flow()
    topo = Topology.of(flow.compile(), {"workers": 2})
    leader, w0, w1 = topo.instances
    core = InstanceCore(leader, topo)
    events = [(w0, MembershipEvent.JOINED), (w1, MembershipEvent.JOINED)]
    assert core.membership_items(events) == [(MembersPort.of("workers"), [
        (MemberId("workers", 0), MembershipEvent.JOINED),
        (MemberId("workers", 1), MembershipEvent.JOINED)])]
    core.membership(events)
    core.set_alive(w1, False)  # announced now: the program sees w1 leave
    out = core.tick(0.0)
    [members] = [v for v in out.sinks.values() if v and isinstance(v[0][1], MembershipEvent)]
    assert members[-1] == (MemberId("workers", 1), MembershipEvent.LEFT)
    assert w1 not in core.router.alive


def test_a_user_function_that_raises_is_a_failure_in_the_outcome_and_stays_one():
    flow, _, _, _ = relay_flow(parse=lambda x: 1 // (x - 2))
    topo = Topology.of(flow.compile(), {"workers": 1})
    core = InstanceCore(topo.instances[1], topo)
    out = core.tick(0.0)
    f = out.failure
    assert f is not None and not out.deliveries and not out.rows
    assert (f.instance, f.tick, f.element) == ("workers[0]", 0, "2")
    assert f.error == "ZeroDivisionError: integer division or modulo by zero"
    assert isinstance(core.failed_cause, ZeroDivisionError)
    assert core.tick(1.0).failure is f  # a failed instance does not tick again


def test_a_value_its_channel_cannot_carry_fails_the_tick_naming_the_channel():
    flow, _, _, _ = relay_flow(parse=lambda x: threading.Lock())
    topo = Topology.of(flow.compile(), {"workers": 1})
    out = InstanceCore(topo.instances[1], topo).tick(0.0)
    assert out.failure is not None
    assert out.failure.error.startswith("channel 'jobs' (codec pickle) could not encode what ")
    assert "cannot pickle '_thread.lock' object" in out.failure.error


def test_injected_faults_drop_and_hold_back_in_the_core():
    flow, _, _, _ = relay_flow()
    topo = Topology.of(flow.compile(), {"workers": 1})
    leader, worker = topo.instances
    core = InstanceCore(worker, topo)
    core.set_fault("jobs", Fault(delay=5.0))
    out = core.tick(now=10.0)
    assert not out.deliveries and core.next_deadline() == 15.0
    assert (DELAYED, "jobs", 3) in [(r[4], r[5], r[6]) for r in out.rows]
    assert core.release(14.9) == []
    [d] = core.release(15.0)
    assert d.dst == leader and d.count == 3
    dropping = InstanceCore(worker, topo)
    dropping.set_fault("jobs", Fault(drop=1.0))
    out = dropping.tick(now=0.0)
    assert not out.deliveries and (DROPPED, "jobs", 3) in [(r[4], r[5], r[6]) for r in out.rows]


def test_external_inputs_arrive_as_items():
    flow = FlowBuilder()
    p = flow.process("p")
    in_port, xs = p.source_external(flow.external("c"))
    seen: list = []
    xs.dest_sink(seen)
    topo = Topology.of(flow.compile())
    core = InstanceCore(topo.instances[0], topo)
    core.arrive_items(ClientPort.of(in_port.key, "single"), ["a", "b"])
    assert list(core.tick(0.0).sinks.values()) == [["a", "b"]]


def test_a_compiled_program_travels_as_its_source_and_bindings():
    flow, _, _, _ = relay_flow()
    compiled = flow.compile()
    program = next(iter(compiled.programs.values()))
    copy = pickle.loads(cloudpickle.dumps(program))
    assert copy.source == program.source and copy.make is not program.make
    # it runs: a topology carrying the copy ticks like the original
    topo = Topology.of(compiled, {"workers": 1})
    shipped = Topology.of(compiled, {"workers": 1})
    shipped.programs = {loc: pickle.loads(cloudpickle.dumps(p)) for loc, p in
                        compiled.programs.items()}
    a = InstanceCore(topo.instances[1], topo).tick(0.0)
    b = InstanceCore(shipped.instances[1], shipped).tick(0.0)
    assert [(d.dst, d.data) for d in a.deliveries] == [(d.dst, d.data) for d in b.deliveries]


def test_instance_ids_name_members():
    flow, _, _, _ = relay_flow()
    topo = Topology.of(flow.compile(), {"workers": 2})
    assert InstanceId(topo.instances[2].location, 1).name == "workers[1]"
    assert topo.instances[2] == InstanceId(topo.instances[1].location, 1)
