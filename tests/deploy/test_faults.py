"""Killing and restarting cluster members (fail-stop), on every backend."""

from __future__ import annotations

import pytest

from hydro_lab import FlowBuilder, MemberId, MembershipEvent, nondet
from hydro_lab.errors import HydroDeployError

ND = nondet("test")


def ping_flow():
    """The leader pings every worker each tick; each worker answers with how many pings it has
    seen (a top-level count, which a restart resets)."""
    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    replies, membership = [], []
    pings = leader.tick().spin_batch(1).all_ticks().broadcast(workers, ND)
    (pings.enumerate().map(lambda ix: ix[0]).send(leader).entries()
          .assume_ordering(ND).dest_sink(replies))
    leader.source_cluster_members(workers).entries().assume_ordering(ND).dest_sink(membership)
    return flow, workers, replies, membership


def answers(replies, member):
    return [n for m, n in replies if m == MemberId("workers", member)]


def test_kill_drops_messages_to_the_member_and_the_rest_keep_going(backend):
    flow, workers, replies, membership = ping_flow()
    d = flow.deploy(backend, cluster_sizes={workers: 3})
    d.step(3)  # an answer reaches the leader one round after its ping
    assert [answers(replies, m) for m in range(3)] == [[0, 1]] * 3
    d.kill(workers, 1)
    replies.clear()
    d.step(3)
    assert answers(replies, 1) == [2]        # sent before it died; then nothing: pings dropped
    assert answers(replies, 0) == answers(replies, 2) == [2, 3, 4]
    assert (MemberId("workers", 1), MembershipEvent.LEFT) in membership
    events = d.metrics().query("metric == 'event'")
    assert events[["member", "key"]].values.tolist() == [[1, "killed"]]
    d.kill(workers, 1)  # dead already: nothing happens (a notebook cell can run again)
    assert len(d.metrics().query("metric == 'event'")) == 1
    d.stop()


def test_restart_comes_back_with_fresh_state(backend):
    flow, workers, replies, membership = ping_flow()
    d = flow.deploy(backend, cluster_sizes={workers: 2})
    d.step(2)
    d.kill(workers, 0)
    d.step(2)
    d.restart(workers, 0)
    replies.clear()
    d.step(3)
    assert answers(replies, 0) == [0, 1]                  # counting again from zero
    assert answers(replies, 1) == [3, 4, 5]               # the other member never stopped
    joined = [e for e in membership if e == (MemberId("workers", 0), MembershipEvent.JOINED)]
    assert len(joined) == 2                               # at start, and after the restart
    # a notebook cell that kills or restarts can run again: a dead member stays dead, a
    # running one restarts afresh
    d.kill(workers, 1)
    d.kill(workers, 1)
    assert d.live_instances() == ["leader", "workers[0]"]
    d.step(1)  # the answer it sent before it died arrives
    replies.clear()
    d.restart(workers, 1)
    d.restart(workers, 1)
    d.step(3)
    assert answers(replies, 1) == [0, 1]
    events = d.metrics().query("metric == 'event'")
    assert list(zip(events.member, events.key, strict=True)) == [
        (0, "killed"), (0, "restarted"), (1, "killed"), (1, "restarted"), (1, "killed"),
        (1, "restarted")]
    with pytest.raises(HydroDeployError) as info:
        d.kill(workers, 7)
    assert str(info.value) == "kill(): cluster 'workers' has no member 7: its members are 0..1"
    d.stop()
    with pytest.raises(HydroDeployError, match=r"kill\(\): this deployment was stopped"):
        d.kill(workers, 0)


def test_a_process_cannot_be_killed_and_the_error_says_what_can():
    flow, workers, _replies, _membership = ping_flow()
    leader = flow.locations[0]
    d = flow.deploy("local", cluster_sizes={workers: 2})
    for verb in (d.kill, d.restart):
        with pytest.raises(HydroDeployError) as info:
            verb(leader, 0)
        name = verb.__name__
        assert str(info.value) == (
            f"{name}(): 'leader' is a process: only members of a cluster can be killed and "
            f"restarted, as {name}(cluster, member) (its clusters: workers (2 members))")
    with pytest.raises(HydroDeployError) as info:
        d.kill("nobody", 0)
    assert str(info.value) == ("kill(): this deployment has no cluster 'nobody' (its clusters: "
                               "workers (2 members))")
    assert d.live_instances() == ["leader", "workers[0]", "workers[1]"]


def test_a_killed_ray_actor_is_really_gone(ray_session):
    ray = ray_session
    flow, workers, _replies, _membership = ping_flow()
    d = flow.deploy("ray", cluster_sizes={workers: 2})
    victim = d.actors[d._member(workers, 1)]
    d.kill(workers, 1)
    with pytest.raises(ray.exceptions.RayActorError):
        ray.get(victim.address.remote(), timeout=10)
    d.stop()
