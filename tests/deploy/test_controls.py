"""Live controls on every backend: the tick-rate limit, and drops and delays injected on a channel
while the flow runs (``set_tick_rate``, ``inject``, ``channels``, ``faults``)."""

from __future__ import annotations

import math
import time

import pytest

from hydro_lab import FlowBuilder, nondet
from hydro_lab.errors import HydroDeployError

ND = nondet("test")
PER_TICK = 10


def two_channel_flow():
    """``a`` sends PER_TICK numbered messages a tick to ``b`` on channel "nums", and the tick
    number on an unnamed channel; ``b`` collects both."""
    flow = FlowBuilder()
    a, b = flow.process("a"), flow.process("b")
    nums, ticks = [], []
    numbered = a.tick().spin_batch(PER_TICK).all_ticks().enumerate().map(lambda ix: ix[0])
    numbered.send(b, name="nums").dest_sink(nums)
    numbered.filter(lambda n: n % PER_TICK == 0).send(b).dest_sink(ticks)
    return flow, nums, ticks


def relay_flow():
    """A client sends to ``a``, which relays on channel "relay" to ``b``, which answers."""
    flow = FlowBuilder()
    a, b, client = flow.process("a"), flow.process("b"), flow.external("client")
    in_port, requests = a.source_external(client)
    out_port = requests.send(b, name="relay").send_external(client)
    return flow, in_port, out_port


def counted(d, metric, channel, location=None):
    m = d.metrics()
    m = m[(m.metric == metric) & (m.key == channel)]
    if location is not None:
        m = m[m.location == location]
    return int(m.value.sum())


def ticks_between(d, location, t0, t1):
    m = d.metrics()
    m = m[(m.location == location) & (m.metric == "tick_duration_s")]
    return int(((m.time >= t0) & (m.time < t1)).sum())


def settle(d, backend):
    """Pause and let free-running actors' last metrics rows reach the driver."""
    d.pause()
    if backend == "ray":
        time.sleep(0.5)


def test_tick_rate_caps_free_running_ticks_and_none_lifts_it(backend):
    flow, _nums, _ticks = two_channel_flow()
    d = flow.deploy(backend)
    d.set_tick_rate(20)                       # before start: applies once running
    assert d.tick_rate == 20.0
    d.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    time.sleep(1.0)
    t1 = time.monotonic()
    time.sleep(0.5)                           # Ray actors send their metrics every 0.2 s
    limited = ticks_between(d, "a", t0, t1) / (t1 - t0)
    assert 14 <= limited <= 22, limited
    d.set_tick_rate(None)
    time.sleep(0.2)
    t2 = time.monotonic()
    time.sleep(0.3)
    t3 = time.monotonic()
    settle(d, backend)
    free = ticks_between(d, "a", t2, t3) / (t3 - t2)
    assert free > 10 * limited, (limited, free)
    d.set_tick_rate(5)
    started = time.monotonic()
    d.step(30)                                # explicit rounds are not rate limited
    assert time.monotonic() - started < 3
    d.stop()


def test_drop_all_loses_every_message_of_that_channel_only_and_metrics_show_it(backend):
    flow, nums, ticks = two_channel_flow()
    d = flow.deploy(backend)
    assert d.channels() == ["nums", "a->b#2"]
    d.step(2)
    assert len(nums) == 2 * PER_TICK and len(ticks) == 2
    d.inject("nums", drop=1.0)
    assert d.faults()["nums"].drop == 1.0
    d.step(5)
    assert len(nums) == 2 * PER_TICK           # nothing more on "nums"
    assert ticks == [0, 10, 20, 30, 40, 50, 60]  # the other channel is untouched
    assert counted(d, "dropped", "nums", "a") == 5 * PER_TICK
    assert counted(d, "messages_out", "nums") == 2 * PER_TICK   # what went on the network
    assert counted(d, "messages_in", "nums", "b") == 2 * PER_TICK
    assert counted(d, "dropped", "a->b#2") == 0
    d.inject("nums")                          # no fault: cleared
    assert d.faults() == {}
    d.step(2)
    assert nums[2 * PER_TICK:] == list(range(7 * PER_TICK, 9 * PER_TICK))
    d.stop()


def received_with_half_dropped(backend, rounds=20):
    flow, nums, _ticks = two_channel_flow()
    d = flow.deploy(backend)
    d.inject("nums", drop=0.5, seed=7)
    d.step(rounds)
    dropped = counted(d, "dropped", "nums", "a")
    d.stop()
    return list(nums), dropped


def test_drop_half_loses_about_half_the_same_ones_on_every_run_and_backend(backend):
    sent = 20 * PER_TICK
    got, dropped = received_with_half_dropped(backend)
    assert 0.35 * sent <= len(got) <= 0.65 * sent
    assert len(got) + dropped == sent and got == sorted(got)   # the rest arrive, in order
    assert received_with_half_dropped("local") == (got, dropped)  # seeded: repeatable
    other_flow, other_nums, _ = two_channel_flow()
    other = other_flow.deploy("local")
    other.inject("nums", drop=0.5, seed=8)
    other.step(20)
    assert other_nums != got                  # another seed, other messages lost
    other.stop()


def test_delay_holds_messages_about_that_long_and_keeps_their_order(backend):
    flow, in_port, out_port = relay_flow()
    d = flow.deploy(backend)
    requests, replies = d.connect(in_port), d.connect(out_port)
    d.start()
    requests.send("warm-up")
    assert replies.recv(timeout=10) == "warm-up"
    d.inject("relay", delay=0.4)
    sent_at = time.monotonic()
    requests.send_many(["a", "b"])
    requests.send("c")
    got = [replies.recv(timeout=10) for _ in range(3)]
    waited = time.monotonic() - sent_at
    assert got == ["a", "b", "c"]
    assert 0.38 <= waited <= 1.5, waited
    d.inject("relay", delay=0.0)
    sent_at = time.monotonic()
    requests.send("d")
    assert replies.recv(timeout=10) == "d"
    assert time.monotonic() - sent_at < 0.3
    settle(d, backend)
    assert counted(d, "delayed", "relay", "a") == 3
    assert counted(d, "messages_in", "relay", "b") == 5
    d.stop()


def test_a_delay_in_rounds_releases_at_the_first_round_after_it_is_due(backend):
    flow, nums, _ticks = two_channel_flow()
    d = flow.deploy(backend)
    d.inject("nums", delay=0.3)
    d.step(2)
    assert nums == []                          # held at the sender
    time.sleep(0.35)
    d.inject("nums")
    d.step(2)                                  # released first, then new ones queue behind
    assert nums == list(range(4 * PER_TICK))
    assert counted(d, "delayed", "nums", "a") == 2 * PER_TICK
    d.stop()


def test_faults_survive_a_member_restart(backend):
    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    answers = []
    pings = leader.tick().spin_batch(1).all_ticks().broadcast(workers, ND)
    (pings.map(lambda _: 1).send(leader, name="answers").entries().assume_ordering(ND)
          .dest_sink(answers))
    d = flow.deploy(backend, cluster_sizes={workers: 2})
    d.inject("answers", drop=1.0)
    d.kill(workers, 1)
    d.restart(workers, 1)
    d.step(4)
    assert answers == []
    assert counted(d, "dropped", "answers") > 0
    restarted = d.metrics().query("metric == 'dropped' and member == 1")
    assert restarted.value.sum() > 0           # the new member 1 drops too
    d.stop()


def test_bad_controls_are_clear_errors_that_name_the_fix():
    flow, _nums, _ticks = two_channel_flow()
    d = flow.deploy("local")
    with pytest.raises(HydroDeployError, match=r"no channel 'numbers' in this flow; its channels "
                                               r"are \['nums', 'a->b#2'\] \(d.channels\(\)"):
        d.inject("numbers", drop=1.0)
    for bad in (1.5, -0.1, "half", True, math.nan):
        with pytest.raises(HydroDeployError, match="fraction of messages to lose, between 0 "
                                                   "and 1"):
            d.inject("nums", drop=bad)
    for bad in (-1, math.inf, "1s"):
        with pytest.raises(HydroDeployError, match="delay is a number of seconds >= 0"):
            d.inject("nums", delay=bad)
    for bad in (0, -5, "fast", math.nan):
        with pytest.raises(HydroDeployError, match="ticks per second > 0.*or None for no "
                                                   "limit"):
            d.set_tick_rate(bad)
    assert d.faults() == {} and d.tick_rate is None   # nothing half-applied
    d.stop()
    with pytest.raises(HydroDeployError, match="deploy the flow again"):
        d.inject("nums", drop=0.5)
    lonely = FlowBuilder()
    lonely.process("p").source_iter([1]).for_each(print)
    with pytest.raises(HydroDeployError, match="this flow has no channels"):
        lonely.deploy("local").inject("a->b#1")
