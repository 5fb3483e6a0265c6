"""``collection.watch()``: the values each kind of collection shows, on the local deployment, in
the simulator and on Ray, and the rule for when a watch needs ``nondet``."""

from __future__ import annotations

import pickle
import threading

import pytest

from hydro_lab import FlowBuilder, HydroTypeError, nondet
from hydro_lab.ir import nodes as N
from hydro_lab.lang.watch import EMPTY, Watch, WatchRow, watch
from hydro_lab.observe.recording import Recording

SHOW = nondet("only shown in the notebook")


def counter_flow():
    """A process counting what a client sends: the count as a top-level singleton."""
    flow = FlowBuilder("counter")
    p = flow.process("p")
    port, requests = p.source_external(flow.external("client"))
    return flow, p, port, requests


def drive(flow, port, batches, **deploy):
    """Send each batch, then run one round; return the stopped deployment."""
    d = flow.deploy(**deploy)
    client = d.connect(port)
    for batch in batches:
        client.send_many(batch)
        d.step(1)
    d.stop()
    return d


# -- values per kind, on the local deployment ----------------------------------------------------

def test_singleton_count_goes_one_two_three():
    flow, p, port, requests = counter_flow()
    w = requests.count().watch(name="count", nondet=SHOW)
    drive(flow, port, [["a"], ["b"], ["c"]])
    assert w.values == [1, 2, 3]
    assert w.latest == 3
    times = [r.time for r in w.history]
    assert w.history == [WatchRow("p", None, 0, 1, times[0]), WatchRow("p", None, 1, 2, times[1]),
                         WatchRow("p", None, 2, 3, times[2])]
    assert times == sorted(times) and all(isinstance(t, float) for t in times)
    assert w.name == "count" and w.collection == "Singleton" and w.shape == "value"


def test_singleton_in_a_tick_is_each_ticks_value_without_nondet():
    flow, p, port, requests = counter_flow()
    tick = p.tick()
    w = requests.batch(tick, nondet("test")).count().watch()
    drive(flow, port, [["a", "b"], [], ["c"]])
    assert [(r.tick, r.value) for r in w.history] == [(0, 2), (1, 0), (2, 1)]


def test_optional_shows_empty_ticks():
    flow, p, port, requests = counter_flow()
    tick = p.tick()
    w = requests.batch(tick, nondet("test")).max().watch()
    drive(flow, port, [[3, 7], [], [1]])
    assert w.values == [7, EMPTY, 1]
    assert w.latest == 1
    assert w.collection == "Optional"
    # the latest value of an empty optional reads as None
    flow2, p2, port2, requests2 = counter_flow()
    w2 = requests2.batch(p2.tick(), nondet("test")).max().watch()
    drive(flow2, port2, [[5], []])
    assert w2.values == [5, EMPTY] and w2.latest is None


def test_top_level_stream_shows_elements_in_order_with_their_ticks():
    flow, p, port, requests = counter_flow()
    w = requests.map(lambda x: x * 10).watch(name="tens")
    drive(flow, port, [[1, 2], [], [3]])
    assert [(r.tick, r.value) for r in w.history] == [(0, 10), (0, 20), (2, 30)]
    assert w.shape == "stream" and w.latest == 30


def test_stream_in_a_tick():
    flow, p, port, requests = counter_flow()
    w = requests.batch(p.tick(), nondet("test")).filter(lambda x: x % 2).watch()
    drive(flow, port, [[1, 2, 3], [5]])
    assert [(r.tick, r.value) for r in w.history] == [(0, 1), (0, 3), (1, 5)]


def test_keyed_stream_shows_pairs():
    flow, p, port, requests = counter_flow()
    keyed = requests.map(lambda x: (x % 2, x)).into_keyed()
    w = keyed.watch(nondet=SHOW)
    drive(flow, port, [[1, 2], [3]])
    assert w.values == [(1, 1), (0, 2), (1, 3)]
    assert w.collection == "KeyedStream"


def test_keyed_singleton_shows_the_whole_map_each_tick():
    flow, p, port, requests = counter_flow()
    sums = requests.map(lambda x: (x % 2, x)).into_keyed().fold(lambda: 0, lambda a, v: a + v)
    w = sums.watch(nondet=SHOW)
    drive(flow, port, [[1, 2], [3], []])
    assert w.values == [{1: 1, 0: 2}, {1: 4, 0: 2}, {1: 4, 0: 2}]


def test_keyed_singleton_in_a_tick_needs_no_nondet():
    flow, p, port, requests = counter_flow()
    batch = requests.batch(p.tick(), nondet("test")).map(lambda x: (x, 1)).into_keyed()
    w = batch.value_counts().watch()
    drive(flow, port, [["a", "a", "b"], []])
    assert w.values == [{"a": 2, "b": 1}, {}]


def test_constant_singleton_needs_no_nondet():
    flow = FlowBuilder()
    p = flow.process("p")
    w = p.singleton(5).watch()
    d = flow.deploy()
    d.step(2)
    d.stop()
    assert w.values == [5, 5]


def test_cluster_members_are_told_apart():
    flow = FlowBuilder()
    workers = flow.cluster("workers")
    ids = workers.source_iter([1, 2]).map(lambda x: x * 100)
    w = ids.watch()
    d = flow.deploy(cluster_sizes={workers: 2})
    d.step(1)
    d.stop()
    assert sorted((r.location, r.member, r.value) for r in w.history) == [
        ("workers", 0, 100), ("workers", 0, 200), ("workers", 1, 100), ("workers", 1, 200)]
    assert w.latest_by_instance() == {("workers", 0): 200, ("workers", 1): 200}


def test_last_bounds_the_buffer_but_total_counts_everything():
    flow, p, port, requests = counter_flow()
    w = requests.watch(last=2)
    drive(flow, port, [[1, 2, 3], [4]])
    assert w.values == [3, 4] and w.total == 4 and len(w) == 2
    assert w.at(1) == [4] and w.at(0) == [3]


def test_watch_is_recorded_in_the_ir_with_its_nondet():
    flow, p, port, requests = counter_flow()
    requests.count().watch(name="count", nondet=nondet("dashboard only"))
    text = flow.finalize().as_text(long=True)
    assert 'watch(count) <-' in text and 'nondet("dashboard only")' in text


def test_appends_from_many_threads_are_all_kept():
    w = Watch("w", "p", "Stream", "stream", 10_000, 0)

    def push(base):
        for i in range(1000):
            w.append((None, 0, 0.0, base + i))

    threads = [threading.Thread(target=push, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.total == 4000 and sorted(w.values) == list(range(4000))


def test_a_watch_pickles_with_its_rows():
    flow, p, port, requests = counter_flow()
    w = requests.watch(last=3)
    drive(flow, port, [[1, 2]])
    copy = pickle.loads(pickle.dumps(w))
    assert copy.history == w.history and copy.last == 3
    copy.append((None, 5, 1.5, 9))
    assert copy.values == [1, 2, 9] and w.values == [1, 2]


def test_watching_an_atomic_region():
    flow, p, port, requests = counter_flow()
    processing = requests.atomic(p.tick())
    w = processing.watch()
    counted = processing.count().watch(nondet=SHOW)
    drive(flow, port, [[1, 2], [3]])
    assert [(r.tick, r.value) for r in w.history] == [(0, 1), (0, 2), (1, 3)]
    assert counted.values == [2, 3]


# -- to_pandas: one row per observed value -------------------------------------------------------

def test_to_pandas_of_a_singleton_has_the_ticks_times_of_d_metrics():
    flow, p, port, requests = counter_flow()
    w = requests.count().watch(name="count", nondet=SHOW)
    d = drive(flow, port, [["a"], ["b", "c"]])
    df = w.to_pandas()
    assert list(df.columns) == ["location", "member", "tick", "time", "value"] == w.columns
    assert [str(t) for t in df.dtypes] == ["str", "Int64", "int64", "float64", "int64"]
    assert list(df.value) == [1, 3] and list(df.tick) == [0, 1] and df.member.isna().all()
    ticks = d.metrics()
    ticks = ticks[ticks.metric == "tick_duration_s"].set_index("tick").time
    assert list(df.time) == [ticks[0], ticks[1]]


def test_to_pandas_of_an_optional_leaves_nan_where_it_was_empty():
    flow, p, port, requests = counter_flow()
    w = requests.batch(p.tick(), nondet("test")).max().watch()
    drive(flow, port, [[3, 7], [], [1]])
    df = w.to_pandas()
    assert df.value.dtype == "float64" and df.value.isna().tolist() == [False, True, False]
    assert w.records()[1][-1] is None


def test_to_pandas_of_a_stream_and_of_cluster_members():
    flow = FlowBuilder()
    workers = flow.cluster("workers")
    w = workers.source_iter(["x", "y"]).watch()
    d = flow.deploy(cluster_sizes={workers: 2})
    d.step(1)
    d.stop()
    df = w.to_pandas().sort_values(["member", "value"])
    assert str(df.member.dtype) == "Int64"
    assert list(zip(df.location, df.member, df.tick, df.value, strict=True)) == [
        ("workers", 0, 0, "x"), ("workers", 0, 0, "y"), ("workers", 1, 0, "x"),
        ("workers", 1, 0, "y")]


def test_to_pandas_of_a_keyed_stream_has_a_key_column():
    flow, p, port, requests = counter_flow()
    w = requests.map(lambda x: (x % 2, x * 1.5)).into_keyed().watch(nondet=SHOW)
    drive(flow, port, [[1, 2], [3]])
    df = w.to_pandas()
    assert list(df.columns) == ["location", "member", "tick", "time", "key", "value"]
    assert list(zip(df.tick, df.key, df.value, strict=True)) == [(0, 1, 1.5), (0, 0, 3.0),
                                                                  (1, 1, 4.5)]
    assert df.key.dtype == "int64" and df.value.dtype == "float64"


def test_to_pandas_of_a_keyed_singleton_has_a_row_per_key_and_tick():
    flow, p, port, requests = counter_flow()
    counts = requests.map(lambda e: (e, 1)).into_keyed().value_counts()
    w = counts.watch(nondet=SHOW, keys=2)
    drive(flow, port, [["/a", "/b", "/a"], [], ["/c"]])
    df = w.to_pandas()
    assert list(df.columns) == ["location", "member", "tick", "time", "key", "value"]
    assert list(zip(df.tick, df.key, df.value, strict=True)) == [
        (0, "/a", 2), (0, "/b", 1), (1, "/a", 2), (1, "/b", 1), (2, "/a", 2), (2, "/b", 1),
        (2, "/c", 1)]
    assert w.keys == 2 and w.keyed
    # pivot: one column per key, one row per tick
    wide = df.pivot(index="tick", columns="key", values="value")
    assert wide.loc[2].to_dict() == {"/a": 2, "/b": 1, "/c": 1}


def test_to_pandas_of_an_empty_watch_has_the_columns():
    flow, p, port, requests = counter_flow()
    w = requests.map(lambda x: (x, x)).into_keyed().watch(nondet=SHOW)
    df = w.to_pandas()
    assert df.empty and list(df.columns) == w.columns and str(df.member.dtype) == "Int64"


def test_since_gives_only_what_is_new():
    w = Watch("w", "p", "Stream", "stream", 3, 0)
    for i in range(2):
        w.append((None, i, float(i), i))
    rows, cursor = w.since()
    assert [r.value for r in rows] == [0, 1]
    for i in range(2, 6):
        w.append((None, i, float(i), i))
    rows, cursor = w.since(cursor)
    assert [r.value for r in rows] == [3, 4, 5]  # the buffer kept the last 3
    assert w.since(cursor) == ([], cursor)
    w.reset()
    for i in range(7):  # more rows than before the reset: still told apart
        w.append((None, i, 0.0, 10 + i))
    rows, after = w.since(cursor)
    assert [r.value for r in rows] == [14, 15, 16] and after != cursor


# -- in the simulator ----------------------------------------------------------------------------

def sim_flow(watched: bool):
    flow = FlowBuilder("sim")
    p, q = flow.process("p"), flow.process("q")
    port, inp = p.sim_input()
    count = inp.count()
    out = inp.map(lambda x: x * 10).send(q)
    watches = []
    if watched:
        watches = [count.watch(name="count", nondet=SHOW), out.watch(name="at q")]
    oport = out.sim_output()

    def body(inst):
        i, o = inst.connect(port), inst.connect(oport)
        i.send_many([1, 2])
        o.assert_yields([10, 20])
        i.send(3)
        o.assert_yields([30])

    return flow, body, watches


def test_watch_in_a_simulation_shows_the_execution_run():
    flow, body, (count, at_q) = sim_flow(watched=True)
    sim = flow.sim()
    trace = sim.run(body)
    # tick 0 runs when the body first waits, with the two it sent before
    assert count.values[0] == 2 and count.latest == 3
    assert sorted(set(count.values)) == count.values  # a count never goes down
    assert at_q.values == [10, 20, 30]
    events = [e for e in trace.events if e["kind"] == "watch" and e["watch"] == "at q"]
    assert [v for e in events for v in e["values"]] == [10, 20, 30]
    sim.run(body)  # a new execution starts the watch over
    assert at_q.values == [10, 20, 30]


def test_a_watch_adds_no_decisions_to_the_simulator():
    plain, body, _ = sim_flow(watched=False)
    watched, body_w, _ = sim_flow(watched=True)
    assert plain.sim().exhaustive(body, progress=False) == \
        watched.sim().exhaustive(body_w, progress=False)


# -- on Ray --------------------------------------------------------------------------------------

@pytest.mark.ray
def test_watch_on_ray(ray_session):
    flow, p, port, requests = counter_flow()
    w = requests.count().watch(nondet=SHOW)
    tens = requests.map(lambda x: x * 10).watch()
    d = drive(flow, port, [[1], [2], [3]], backend="ray")
    assert w.values == [1, 2, 3]
    assert [(r.tick, r.value) for r in tens.history] == [(0, 10), (1, 20), (2, 30)]
    rec = Recording.from_deployment(d)  # the actor's metrics and the driver's watches agree
    assert [(t.instance, t.tick) for t in rec.ticks] == [("p", 0), ("p", 1), ("p", 2)]
    assert [rec.values_at(i)[w.name] for i in range(3)] == [[1], [2], [3]]
    assert all(requests.node_id in rec.active_nodes(i) for i in range(3))


# -- the rule and bad inputs -----------------------------------------------------------------------

def test_a_changing_singleton_needs_nondet_like_sample_eager():
    flow, p, port, requests = counter_flow()
    with pytest.raises(HydroTypeError) as err:
        requests.count().watch()
    msg = str(err.value)
    assert "needs a nondet" in msg and "sample_eager" in msg
    assert '.watch(nondet=nondet("only shown in the notebook"))' in msg
    assert "test_watch.py" in msg  # points at the user's line


@pytest.mark.parametrize("make", [
    lambda s: s.weaken_ordering(),
    lambda s: s.weaken_retries(),
    lambda s: s.map(lambda x: (x, x)).into_keyed(),
    lambda s: s.max(),
    lambda s: s.map(lambda x: (x, x)).into_keyed().fold(lambda: 0, lambda a, v: a + v),
])
def test_nondeterministic_observations_need_nondet(make):
    flow, p, port, requests = counter_flow()
    c = make(requests)
    with pytest.raises(HydroTypeError, match=r"Fix: \.watch\(nondet="):
        c.watch()
    assert isinstance(c.watch(nondet=SHOW), Watch)


def test_nondet_must_be_a_token():
    flow, p, port, requests = counter_flow()
    with pytest.raises(HydroTypeError, match=r'wrap the reason: nondet\(\'why\'\)'):
        requests.count().watch(nondet="why")


@pytest.mark.parametrize("last", [0, -3, True, 2.5, "50", None])
def test_bad_last_names_the_fix(last):
    flow, p, port, requests = counter_flow()
    with pytest.raises(HydroTypeError) as err:
        requests.watch(last=last)
    assert "last= is how many recent rows" in str(err.value)
    assert "Fix: pass a count, e.g. .watch(last=50)" in str(err.value)


def test_keys_counts_lines_of_a_keyed_watch():
    flow, p, port, requests = counter_flow()
    keyed = requests.map(lambda x: (x, 1)).into_keyed()
    assert keyed.watch(nondet=SHOW).keys == 10  # the default
    assert keyed.value_counts().watch(nondet=SHOW, keys=3).keys == 3
    assert requests.watch().keys is None


@pytest.mark.parametrize("keys", [0, 21, True, 2.5, "3"])
def test_bad_keys_names_the_fix(keys):
    flow, p, port, requests = counter_flow()
    keyed = requests.map(lambda x: (x, 1)).into_keyed()
    with pytest.raises(HydroTypeError) as err:
        keyed.watch(nondet=SHOW, keys=keys)
    msg = str(err.value)
    assert "keys= is how many keys the live view draws a line for" in msg
    assert f"got {keys!r}" in msg and "Fix: pass a count, e.g. .watch(keys=3, ...)" in msg
    assert "test_watch.py" in msg


def test_keys_on_a_collection_without_keys_is_refused():
    flow, p, port, requests = counter_flow()
    with pytest.raises(HydroTypeError) as err:
        watch(requests.count(), nondet=SHOW, keys=3)
    msg = str(err.value)
    assert "keys= is how many keys a keyed watch draws a line for, and this" in msg
    assert "has no keys" in msg and "leave keys= out here" in msg


@pytest.mark.parametrize("name", ["", "  ", 3])
def test_bad_name(name):
    flow, p, port, requests = counter_flow()
    with pytest.raises(HydroTypeError, match="name= must be a non-empty string"):
        requests.watch(name=name)


@pytest.mark.parametrize("thing", [[1, 2], 42, None, "count"])
def test_watch_on_a_non_collection_names_the_fix(thing):
    with pytest.raises(HydroTypeError) as err:
        watch(thing)
    msg = str(err.value)
    assert "watch() takes a live collection" in msg
    assert "call .watch() on the collection an operator returned" in msg


def test_a_refused_watch_leaves_no_nodes():
    flow, p, port, requests = counter_flow()
    count = requests.count()
    before = len(flow.ir().nodes)
    with pytest.raises(HydroTypeError):
        count.watch()
    assert len(flow.ir().nodes) == before


def test_the_ir_marks_the_watch_sink_and_nothing_else():
    flow, p, port, requests = counter_flow()
    w = requests.count().watch(name="count", nondet=SHOW)
    got = []
    requests.dest_sink(got)
    sinks = {n.sink is w: n for n in flow.finalize().program.nodes.values()
             if isinstance(n, N.DestSink)}
    assert sinks[True].watch and sinks[True].meta.op == "watch"
    assert not sinks[False].watch and sinks[False].meta.op == "dest_sink"


def test_a_sink_that_looks_like_a_watch_is_a_plain_sink():
    """Watch marking is the IR's field, not an attribute of the sink object."""

    class Lookalike(list):
        hydro_stamped = True

    flow, p, port, requests = counter_flow()
    got = Lookalike()
    requests.dest_sink(got)
    drive(flow, port, [[7, 8]])
    assert got == [7, 8]  # the values themselves, not (member id, tick, value)
