"""``loc.source_stream``: live Python sources read by the drivers without holding up ticks
(local and Ray), their end, their errors, backpressure and throughput."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from hydro_lab import (
    Bound,
    FlowBuilder,
    HydroRuntimeError,
    HydroTypeError,
    Order,
    nondet,
    self_id,
)
from hydro_lab.errors import HydroDeployError
from hydro_lab.lower.ports import SourcePort

ND = nondet("test")


def wait_for(predicate, timeout=5.0):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.01)


def numbers(n):
    yield from range(n)


def test_a_generator_object_arrives_in_order_exactly_once_on_local():
    flow = FlowBuilder()
    p = flow.process("p")
    s = p.source_stream(numbers(500))
    assert (s.bound, s.order) == (Bound.UNBOUNDED, Order.TOTAL_ORDER)
    out = []
    s.map(lambda x: x * 2).dest_sink(out)
    with flow.deploy("local"):
        wait_for(lambda: len(out) == 500)
    assert out == [2 * i for i in range(500)]


def test_an_async_generator_is_read_on_an_event_loop():
    async def ticks():
        for i in range(5):
            await asyncio.sleep(0.01)
            yield i

    flow = FlowBuilder()
    p = flow.process("p")
    out = []
    p.source_stream(ticks()).dest_sink(out)
    with flow.deploy("local"):
        wait_for(lambda: len(out) == 5)
    assert out == [0, 1, 2, 3, 4]


def test_a_source_that_ends_closes_its_stream_and_the_flow_goes_idle():
    flow = FlowBuilder()
    p = flow.process("p")
    s = p.source_stream(lambda: numbers(3))
    total = []
    s.fold(lambda: 0, lambda acc, x: acc + x).sample_every(0.02, ND).dest_sink(total)
    d = flow.deploy("local")
    d.start()
    inst = d.instances[0]
    wait_for(lambda: SourcePort.of(s.node_id) in d.cores[inst].closed_sources)
    reader = d.sources[inst].readers[SourcePort.of(s.node_id)]
    assert reader.ended and reader.error is None and reader.told
    assert not reader._thread.is_alive() or reader._thread.join(1) is None
    wait_for(lambda: total and total[-1] == 3)
    d.stop()
    assert set(total) <= {0, 1, 3}  # partial sums, then the whole: nothing after the end


def bad_source():
    yield 1
    raise ValueError("sensor unplugged")  # the line the error names


def test_a_source_that_raises_stops_the_deployment_at_the_users_line():
    flow = FlowBuilder()
    p = flow.process("p")
    out = []
    p.source_stream(bad_source).dest_sink(out)
    d = flow.deploy("local")
    with pytest.raises(HydroRuntimeError) as info:
        d.run(seconds=2.0)
    err = info.value
    assert str(err).startswith("source_stream(bad_source) raised ValueError: sensor unplugged")
    assert err.operator == "source_stream(bad_source)"
    assert 'raise ValueError("sensor unplugged")  # the line the error names' in err.where
    assert "test_source_stream.py" in err.where
    assert isinstance(err.__cause__, ValueError)
    assert err.instance == "p"
    assert out == [1]
    assert d.state == "failed"
    with pytest.raises(HydroRuntimeError):
        d.stop()


def test_an_external_has_no_live_sources():
    flow = FlowBuilder()
    with pytest.raises(HydroTypeError, match="source_stream: External 'client' has no live "
                       "collections of its own"):
        flow.external("client").source_stream([1])


def test_the_items_a_source_gave_before_it_raised_are_handled_first():
    def two_then_fail():
        yield 1
        yield 2
        raise ValueError("no more")

    flow = FlowBuilder()
    p = flow.process("p")
    out = []
    p.source_stream(two_then_fail).dest_sink(out)
    d = flow.deploy("local")
    d.step()  # tick 0; the reader starts, reads both items and raises before the next round
    wait_for(lambda: d.sources[d.instances[0]].ready())
    time.sleep(0.05)
    with pytest.raises(HydroRuntimeError, match=r"ValueError: no more[\s\S]*in p, tick 2"):
        d.run(seconds=2.0)
    assert out == [1, 2]  # tick 1 handled them; tick 2 failed


def test_a_slow_source_does_not_hold_up_ticks():
    release = threading.Event()

    def slow():
        yield "first"
        release.wait(5)  # a source with nothing to say for a long time
        yield "late"

    flow = FlowBuilder()
    p = flow.process("p")
    got, beats = [], []
    p.source_stream(slow).dest_sink(got)
    p.source_interval(0.02, ND).fold(lambda: 0, lambda n, _: n + 1) \
        .sample_every(0.02, ND).dest_sink(beats)
    with flow.deploy("local"):
        wait_for(lambda: got == ["first"])
        time.sleep(0.5)
        assert beats and beats[-1] >= 8  # the interval kept ticking while the source waited
        release.set()
        wait_for(lambda: got == ["first", "late"])


def test_the_reader_stops_pulling_when_its_buffer_is_full():
    pulled = []

    def counting():
        for i in range(10_000):
            pulled.append(i)
            yield i

    flow = FlowBuilder()
    p = flow.process("p")
    out = []
    p.source_stream(counting, buffer=50).dest_sink(out)
    d = flow.deploy("local")
    d.step()  # starts the reader; no more rounds run for now
    time.sleep(0.3)
    assert len(pulled) <= 50 + 1  # the buffer, and the item it holds while it waits
    d.start()
    wait_for(lambda: len(out) == 10_000)
    assert out == list(range(10_000))
    d.stop()


def test_fifty_thousand_events_a_second_are_not_limited_by_the_source_path():
    n = 200_000

    def events():
        for i in range(n):
            yield ("/login" if i % 3 else "/", i % 50)

    flow = FlowBuilder()
    p = flow.process("p")
    counts = []
    p.source_stream(events).count().sample_every(0.01, ND).dest_sink(counts)
    d = flow.deploy("local")
    started = time.perf_counter()
    d.start()
    wait_for(lambda: counts and counts[-1] == n, timeout=20)
    rate = n / (time.perf_counter() - started)
    d.stop()
    assert rate >= 50_000, f"{rate:,.0f} events/s"


def test_each_cluster_member_reads_its_own_source():
    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    # each member calls the function; self_id() inside the source is the member's own id
    per_member = workers.source_stream(
        lambda: (self_id().get_raw_id() * 10 + i for i in range(4))).send(leader).entries()
    out = []
    per_member.assume_ordering(nondet("checked per member below")).dest_sink(out)
    with flow.deploy("local", cluster_sizes={workers: 3}):
        wait_for(lambda: len(out) == 12)
    for m in range(3):
        assert [v for k, v in out if k.raw_id == m] == [m * 10 + i for i in range(4)]


def test_one_generator_object_for_several_members_is_refused():
    flow = FlowBuilder()
    workers = flow.cluster("workers")
    workers.source_stream(numbers(4)).for_each(print)
    with pytest.raises(HydroDeployError, match=r"source_stream\(numbers\(\)\) at .*: one generator "
                       r"\(or iterator\) object, but cluster 'workers' runs 2 members, and "
                       r"each member reads its own source.\n  Fix: pass the function that makes "
                       r"it, e.g. source_stream\(lambda: my_generator\(\)\)"):
        flow.deploy("local", cluster_sizes={workers: 2})
    flow.deploy("local", cluster_sizes={workers: 1}).stop()  # one member may read it


def test_bad_sources_are_refused_while_building():
    flow = FlowBuilder()
    p = flow.process("p")
    with pytest.raises(HydroTypeError, match="source_stream: expects an iterable, an async "
                       "iterable or a function returning one, got int 42"):
        p.source_stream(42)
    with pytest.raises(HydroTypeError, match="source_stream: the source function must take "
                       "no arguments"):
        p.source_stream(lambda x: [x])
    with pytest.raises(HydroTypeError, match="buffer must be a positive int, got 0"):
        p.source_stream([1], buffer=0)


def test_a_function_returning_no_iterable_fails_the_flow_with_a_clear_error():
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_stream(lambda: 42).for_each(print)
    with pytest.raises(HydroRuntimeError, match=r"source_stream\(lambda: 42\) raised TypeError: "
                       r"the source function returned int 42, which is neither an "
                       r"iterable nor an async iterable"):
        flow.deploy("local").run(seconds=1.0)


def test_the_simulator_refuses_a_live_source_and_names_sim_input():
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_stream(numbers(3)).for_each(print)
    with pytest.raises(HydroTypeError) as info:
        flow.sim()
    text = str(info.value)
    assert text.startswith("source_stream: the simulator cannot read a live Python source "
                           "(numbers())")
    assert "loc.sim_input()" in text and "send_many(items)" in text
    assert "test_source_stream.py" in text


def test_ray_refuses_a_generator_object_before_starting_actors():
    pytest.importorskip("ray")
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_stream(numbers(3)).for_each(print)
    with pytest.raises(HydroDeployError, match=r"source_stream\(numbers\(\)\) at .*: a generator "
                       r"object, which cannot be sent to a Ray actor .*\n  Fix: pass the "
                       r"function that makes it, e.g. source_stream\(lambda: my_generator\(\)\)"):
        flow.deploy("ray")


@pytest.mark.ray
def test_a_callable_source_runs_in_each_ray_actor(ray_session):
    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    ext = flow.external("client")
    out_port = workers.source_stream(lambda: (i * i for i in range(5))) \
        .send(leader).entries().assume_ordering(nondet("checked per member below")) \
        .send_external(ext)
    with flow.deploy("ray", cluster_sizes={workers: 2}) as d:
        client = d.connect(out_port)
        got = [client.recv(timeout=30) for _ in range(10)]
    for m in range(2):
        assert [v for k, v in got if k.raw_id == m] == [0, 1, 4, 9, 16]


def test_a_restarted_member_calls_its_source_function_anew():
    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    out = []
    workers.source_stream(lambda: iter(["hello"])).send(leader).entries() \
        .assume_ordering(nondet("checked as a multiset")).dest_sink(out)
    with flow.deploy("local", cluster_sizes={workers: 2}) as d:
        wait_for(lambda: len(out) == 2)
        d.kill(workers, 1)
        d.restart(workers, 1)
        wait_for(lambda: len(out) == 3)
    assert sorted((k.raw_id, v) for k, v in out) == [(0, "hello"), (1, "hello"), (1, "hello")]


def test_a_restarted_member_goes_on_with_its_one_shot_source():
    release = threading.Event()

    def stepped():
        yield 1
        release.wait(5)
        yield 2
        yield 3

    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    out = []
    workers.source_stream(stepped()).send(leader).values() \
        .assume_ordering(nondet("one member")).dest_sink(out)
    with flow.deploy("local", cluster_sizes={workers: 1}) as d:
        wait_for(lambda: out == [1])
        d.kill(workers, 0)        # its reader is inside the generator, waiting
        d.restart(workers, 0)
        release.set()             # the old reader takes 2 and lets go; the new one reads on
        wait_for(lambda: 3 in out)
    assert out == [1, 3]  # 2 went to the killed member (fail-stop), 3 to its new life


def sensor_readings():
    yield 20.5
    yield 21.0
    raise OSError("sensor unplugged")  # <sensor>


def test_a_raising_source_reads_the_same_on_every_backend(backend):
    """The failure of a source on local and on Ray: the same text, at the source's line, with
    the exception as its cause (a free-running Ray actor reports it as a failed tick)."""
    flow = FlowBuilder()
    p = flow.process("p")
    ext = flow.external("client")
    port = p.source_stream(lambda: sensor_readings()).send_external(ext)
    d = flow.deploy(backend)
    client = d.connect(port)
    heard = []
    d.on_failure(heard.append)
    d.start()
    assert [client.recv(timeout=30), client.recv(timeout=30)] == [20.5, 21.0]
    wait_for(lambda: heard, timeout=30)
    err = heard[0]
    assert err.operator == "source_stream(lambda: sensor_readings())"
    assert err.where.endswith('raise OSError("sensor unplugged")  # <sensor>')
    assert str(err).startswith("source_stream(lambda: sensor_readings()) raised OSError: "
                               "sensor unplugged\n  at ")
    assert isinstance(err.__cause__, OSError) and err.instance == "p"
    with pytest.raises(HydroRuntimeError):
        d.stop()


def test_an_async_source_waits_for_room_too():
    pulled = []

    async def counting():
        for i in range(2000):
            pulled.append(i)
            yield i

    flow = FlowBuilder()
    p = flow.process("p")
    out = []
    p.source_stream(counting(), buffer=20).dest_sink(out)
    d = flow.deploy("local")
    d.step()
    time.sleep(0.2)
    assert len(pulled) <= 20 + 1
    d.start()
    wait_for(lambda: len(out) == 2000)
    d.stop()
    assert out == list(range(2000))
