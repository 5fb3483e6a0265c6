"""Time in the simulator: timers and timeouts settle as they do deployed (virtual time jumps to
the next timer when nothing else can happen), and a flow that never settles says what keeps it
busy and which option changes the limit."""

from __future__ import annotations

import pytest

from hydro_lab import FlowBuilder, nondet
from hydro_lab.sim import SimFailure


def heartbeat_monitor():
    """A cluster member sends a heartbeat every 0.2 s; the monitor suspects a crash once none
    came for 1 s (``timeout``), polled every 0.1 s."""
    flow = FlowBuilder("heartbeats")
    monitor = flow.process("monitor")
    members = flow.cluster("members")
    beats = (members.source_interval(0.2, nondet("heartbeats"))
             .send(monitor, name="beats").values())
    suspect = beats.timeout(1.0, nondet("no heartbeat for 1 s: suspect a crash"))
    out = suspect.sample_every(0.1, nondet("poll")).map(lambda _: "suspect").sim_output()
    return flow, members, out


def test_a_crashed_members_heartbeats_time_out_and_the_body_sees_it():
    flow, members, out = heartbeat_monitor()
    seen = []

    def test_suspects_the_crashed_member(inst):
        o = inst.connect(out)
        inst.advance(0.5)        # heartbeats at 0, 0.2 and 0.4 s
        assert o.collect() == ["suspect"]  # at 0 s: nothing had arrived yet
        inst.crash(members, 0)
        assert o.next() == "suspect"       # time jumps to the timers until the timeout fires
        seen.append(inst.time)

    sim = flow.sim({members: 1})
    trace = sim.run(test_suspects_the_crashed_member)
    assert seen == [1.4]                   # the last heartbeat (0.4 s) + 1 s
    ticks = [e for e in trace.events if e["kind"] == "tick"]
    assert len(ticks) < 40                 # it settled; it did not spin at 1.4 s
    assert sim.exhaustive(test_suspects_the_crashed_member) > 1
    assert set(seen) <= {1.4, 1.5}         # the poll may run just before the timeout's tick


def test_advance_ends_with_a_timer_that_never_stops():
    flow, members, out = heartbeat_monitor()
    times = []

    def body(inst):
        o = inst.connect(out)
        inst.advance(30.0)       # 150 heartbeats, 300 polls
        times.append(inst.time)
        assert o.collect() == ["suspect"]

    flow.sim({members: 1}).run(body)
    assert times == [30.0]


def fast_timer_flow():
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_interval(0.01, nondet("a fast timer")).for_each(lambda _: None)
    port, s = p.sim_input()
    return flow, s.sim_output()


def test_a_wait_that_never_ends_names_the_timer_and_the_options():
    flow, out = fast_timer_flow()

    def test_waits_forever(inst):
        inst.connect(out).next()

    with pytest.raises(SimFailure) as info:
        flow.sim().exhaustive(test_waits_forever)
    text = str(info.value)
    head = text.split("\n  (in execution")[0]
    assert head.startswith("HydroRuntimeError: the simulation did not settle within 20,000 "
                           "steps (in 200 more, p ticked 200 times), and virtual time went "
                           "from 0 s to 202 s")
    assert "What keeps it busy:\n    source_interval(0.01s) at test_time.py, line" in head
    assert "fires every 0.01 s (at p)" in head
    assert "flow.sim(..., max_steps=100000)" in head and "max_time=600 s" in head
    assert "inst.advance(seconds), then collect()" in head
    # the 20,000 alike ticks print as one line
    trace = text.split("--- trace ---\n")[1]
    assert len(trace.splitlines()) < 10
    assert "(20,200 times)" in trace


def test_max_steps_and_max_time_are_options_of_the_simulator():
    flow, out = fast_timer_flow()

    def test_waits(inst):
        inst.connect(out).next()

    with pytest.raises(SimFailure, match="did not settle within 500 steps"):
        flow.sim(max_steps=500).run(test_waits)
    with pytest.raises(SimFailure) as info:
        flow.sim(max_time=1.0).run(test_waits)
    assert ("nothing more came within 1 s of virtual time (a timer kept the flow going; "
            "flow.sim(..., max_time=) sets the limit) without yielding") in str(info.value)


def test_a_spin_that_never_ends_is_named():
    flow = FlowBuilder()
    p = flow.process("p")
    p.spin().for_each(lambda _: None)
    port, s = p.sim_input()
    out = s.sim_output()

    def test_collects(inst):
        inst.connect(out).collect()

    with pytest.raises(SimFailure) as info:
        flow.sim(max_steps=300).run(test_collects)
    head = str(info.value).split("\n  replay:")[0]
    assert "virtual time stayed at 0 s" in head
    assert "spin() at test_time.py, line" in head and "runs every tick (at p)" in head
    assert "flow.sim(..., max_steps=1500)" in head
