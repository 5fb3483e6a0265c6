"""Tick semantics through the public API, on every backend (the ``backend`` fixture).

Each test drives rounds with ``step()`` (every instance ticks once per round) and reads what
reached a ``dest_sink``. A fake clock makes the time-based operators deterministic.
"""

from __future__ import annotations

import inspect

import pytest

from hydro_lab import FlowBuilder, HydroRuntimeError, MemberId, nondet, self_id

ND = nondet("test")


class Clock:
    def __init__(self, t: float = 0.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def per_tick(d, out, ticks):
    """Run ``ticks`` rounds; return what ``out`` received in each."""
    seen = []
    for _ in range(ticks):
        before = len(out)
        d.step()
        seen.append(out[before:])
    return seen


def ext_input(flow, p):
    client = flow.external("client")
    port, stream = p.source_external(client)
    return port, stream


# -- 'tick vs 'static ---------------------------------------------------------------------------

def test_tick_fold_restarts_each_tick_and_top_level_fold_accumulates(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    port, xs = ext_input(flow, p)
    t = p.tick()
    per, total = [], []
    xs.batch(t, ND).fold(lambda: 0, lambda a, x: a + x).all_ticks().dest_sink(per)
    xs.fold(lambda: 0, lambda a, x: a + x).snapshot(t, ND).all_ticks().dest_sink(total)
    d = flow.deploy(backend)
    c = d.connect(port)
    c.send_many([1, 2])
    d.step()
    c.send(10)
    d.step()
    d.step()
    assert per == [3, 10, 0]          # a tick fold over an empty batch is init()
    assert total == [3, 13, 13]       # the top-level fold keeps its value


def test_unique_and_enumerate_remember_at_top_level_only(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    port, xs = ext_input(flow, p)
    t = p.tick()
    top_u, tick_u, top_e, tick_e = [], [], [], []
    xs.unique().dest_sink(top_u)
    xs.batch(t, ND).unique().all_ticks().dest_sink(tick_u)
    xs.enumerate().dest_sink(top_e)
    xs.batch(t, ND).enumerate().all_ticks().dest_sink(tick_e)
    d = flow.deploy(backend)
    c = d.connect(port)
    c.send_many(["a", "a"])
    d.step()
    c.send_many(["a", "b"])
    d.step()
    assert top_u == ["a", "b"]
    assert tick_u == ["a", "a", "b"]
    assert top_e == [(0, "a"), (1, "a"), (2, "a"), (3, "b")]
    assert tick_e == [(0, "a"), (1, "a"), (0, "a"), (1, "b")]


def test_source_iter_appears_in_the_first_tick_only(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    out = []
    p.source_iter([1, 2, 3]).dest_sink(out)
    d = flow.deploy(backend)
    assert per_tick(d, out, 3) == [[1, 2, 3], [], []]


def test_singletons_are_seen_every_tick(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    t = p.tick()
    out = []
    p.singleton(7).snapshot(t, ND).all_ticks().dest_sink(out)
    d = flow.deploy(backend)
    assert per_tick(d, out, 3) == [[7], [7], [7]]


# -- defer_tick and tick cycles ---------------------------------------------------------------

def test_defer_tick_delivers_in_the_next_tick(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    t = p.tick()
    out = []
    p.source_iter(["x"]).batch(t, ND).defer_tick().all_ticks().dest_sink(out)
    d = flow.deploy(backend)
    assert per_tick(d, out, 3) == [[], ["x"], []]


def test_defer_tick_twice_is_two_ticks_later(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    t = p.tick()
    out = []
    p.source_iter(["x"]).batch(t, ND).defer_tick().defer_tick().all_ticks().dest_sink(out)
    d = flow.deploy(backend)
    assert per_tick(d, out, 4) == [[], [], ["x"], []]


def test_tick_cycle_counts_ticks(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    t = p.tick()
    handle, prev = t.cycle_with_initial(0)
    handle.complete_next_tick(prev.map(lambda n: n + 1))
    out = []
    prev.all_ticks().dest_sink(out)
    d = flow.deploy(backend)
    d.step(4)
    assert out == [0, 1, 2, 3]


def test_stream_cycle_with_initial_and_optional_defer(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    t = p.tick()
    handle, prev = t.cycle_with_initial(t.spin_batch(1).map(lambda _: "seed"))
    handle.complete_next_tick(prev.map(lambda s: s + "!").filter(lambda s: len(s) < 7))
    out, last = [], []
    prev.all_ticks().dest_sink(out)
    t.singleton(5).defer_tick().all_ticks().dest_sink(last)
    d = flow.deploy(backend)
    d.step(4)
    # the initial value only in tick 0, then last tick's feedback (until the filter ends it)
    assert out == ["seed", "seed!", "seed!!"]
    assert last == [5, 5, 5]  # the previous tick's value: nothing in tick 0


# -- joins across ticks --------------------------------------------------------------------------

def test_top_level_join_emits_each_new_pair_once(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    lport, left = ext_input(flow, p)
    client2 = flow.external("client2")
    rport, right = p.source_external(client2)
    out = []
    left.join(right).assume_ordering(ND).dest_sink(out)
    d = flow.deploy(backend)
    lc, rc = d.connect(lport), d.connect(rport)
    lc.send(("k", 1))
    d.step()
    rc.send(("k", "a"))
    d.step()
    lc.send(("k", 2))
    d.step()
    d.step()
    assert sorted(out) == [("k", (1, "a")), ("k", (2, "a"))]


def test_tick_join_only_joins_within_a_tick(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    lport, left = ext_input(flow, p)
    client2 = flow.external("client2")
    rport, right = p.source_external(client2)
    t = p.tick()
    out = []
    left.batch(t, ND).join(right.batch(t, ND)).all_ticks().assume_ordering(ND).dest_sink(out)
    d = flow.deploy(backend)
    lc, rc = d.connect(lport), d.connect(rport)
    lc.send(("k", 1))
    d.step()
    rc.send(("k", "a"))
    lc.send(("k", 2))
    d.step()
    assert out == [("k", (2, "a"))]


def test_top_level_anti_join_remembers_the_negative_side(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    port, pairs = ext_input(flow, p)
    out = []
    pairs.anti_join(p.source_iter(["banned"])).dest_sink(out)
    d = flow.deploy(backend)
    c = d.connect(port)
    d.step()
    c.send_many([("banned", 1), ("ok", 2)])
    d.step()
    assert out == [("ok", 2)]


# -- strata: blocking operators see the whole tick ---------------------------------------------

def test_blocking_operators_see_the_whole_tick(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    t = p.tick()
    a = p.source_iter([3, 1]).batch(t, ND)
    b = p.source_iter([2]).batch(t, ND)
    sorted_out, count_out = [], []
    merged = a.chain(b)
    merged.sort().all_ticks().dest_sink(sorted_out)
    merged.count().all_ticks().dest_sink(count_out)
    d = flow.deploy(backend)
    d.step()
    assert sorted_out == [1, 2, 3] and count_out == [3]
    program = flow.compile().program_of("p")
    assert program.partitioned.strata >= 2


def test_cross_singleton_pairs_with_the_current_value(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    port, xs = ext_input(flow, p)
    t = p.tick()
    out = []
    total = xs.fold(lambda: 0, lambda a, x: a + x)
    xs.batch(t, ND).cross_singleton(total.snapshot(t, ND)).all_ticks().dest_sink(out)
    d = flow.deploy(backend)
    c = d.connect(port)
    c.send_many([1, 2])
    d.step()
    c.send(5)
    d.step()
    assert out == [(1, 3), (2, 3), (5, 8)]


def test_filter_if_some_and_none_gate_a_batch(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    port, xs = ext_input(flow, p)
    t = p.tick()
    batch = xs.batch(t, ND)
    has_big = batch.filter(lambda x: x > 10).first()
    yes, no = [], []
    batch.filter_if_some(has_big).all_ticks().dest_sink(yes)
    batch.filter_if_none(has_big).all_ticks().dest_sink(no)
    d = flow.deploy(backend)
    c = d.connect(port)
    c.send_many([1, 20])
    d.step()
    c.send_many([2, 3])
    d.step()
    assert yes == [1, 20] and no == [2, 3]


# -- networking ---------------------------------------------------------------------------------

def test_cluster_to_process_is_keyed_by_sender(backend):
    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    t = workers.tick()
    keyed, merged = [], []
    sent = t.singleton(1).all_ticks().map(lambda one: self_id().raw_id * 10 + one)
    received = sent.send(leader)
    received.entries().assume_ordering(ND).dest_sink(keyed)
    received.values().assume_ordering(ND).dest_sink(merged)
    d = flow.deploy(backend, cluster_sizes={workers: 3})
    d.step(2)
    assert sorted(keyed) == [(MemberId("workers", i), i * 10 + 1) for i in range(3)]
    assert sorted(merged) == [1, 11, 21]


def test_broadcast_demux_and_round_robin(backend):
    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    got = []
    src = leader.source_iter(list(range(6)))
    (src.broadcast(workers, ND).map(lambda x: ("b", self_id().raw_id, x))
        .send(leader).values().assume_ordering(ND).dest_sink(got))
    (src.map(lambda x: (MemberId("workers", x % 2), x)).demux(workers)
        .map(lambda x: ("d", self_id().raw_id, x)).send(leader).values()
        .assume_ordering(ND).dest_sink(got))
    (src.round_robin(workers, ND).map(lambda x: ("r", self_id().raw_id, x))
        .send(leader).values().assume_ordering(ND).dest_sink(got))
    d = flow.deploy(backend, cluster_sizes={workers: 3})
    d.step(3)
    b = sorted(g[1:] for g in got if g[0] == "b")
    assert b == sorted((m, x) for m in range(3) for x in range(6))
    dm = sorted(g[1:] for g in got if g[0] == "d")
    assert dm == sorted((x % 2, x) for x in range(6))
    rr = sorted(g[1:] for g in got if g[0] == "r")
    assert rr == sorted((x % 3, x) for x in range(6))


def test_process_to_process_keeps_order_and_arrives_later(backend):
    flow = FlowBuilder()
    a, b = flow.process("a"), flow.process("b")
    out = []
    a.source_iter(list(range(100))).send(b).dest_sink(out)
    d = flow.deploy(backend)
    d.step()
    assert out == list(range(100))  # b ticks after a in the same round
    program = flow.compile()
    assert "recv" in program.source("b")


def test_demux_to_a_member_of_another_cluster_fails_at_run_time(backend):
    flow = FlowBuilder()
    p, workers = flow.process("p"), flow.cluster("workers")
    p.source_iter([1]).map(lambda x: (MemberId("other", 0), x)).demux(workers).for_each(print)
    d = flow.deploy(backend, cluster_sizes={workers: 2})
    with pytest.raises(HydroRuntimeError) as info:
        d.step()
    msg = str(info.value)
    assert "cluster 'other'" in msg and "cluster 'workers'" in msg and "test_semantics.py" in msg


def test_demux_to_a_member_that_does_not_exist(backend):
    flow = FlowBuilder()
    p, workers = flow.process("p"), flow.cluster("workers")
    p.source_iter([1]).map(lambda x: (MemberId("workers", 5), x)).demux(workers).for_each(print)
    d = flow.deploy(backend, cluster_sizes={workers: 2})
    with pytest.raises(HydroRuntimeError, match=r"members 0\.\.1"):
        d.step()


# -- codecs -------------------------------------------------------------------------------------

def test_unpicklable_values_fail_with_the_channel_and_codec_named(backend):
    flow = FlowBuilder()
    a, b = flow.process("a"), flow.process("b")
    a.source_iter([1]).map(lambda x: (lambda: x)).send(b).for_each(print)
    d = flow.deploy(backend)
    with pytest.raises(HydroRuntimeError) as info:
        d.step()
    msg = str(info.value)
    assert "a->b#1" in msg and "codec pickle" in msg and "test_semantics.py" in msg
    assert d.state == "failed"


def test_json_codec_turns_tuples_into_lists_and_refuses_sets(backend):
    flow = FlowBuilder()
    a, b = flow.process("a"), flow.process("b")
    out = []
    a.source_iter([(1, 2)]).send(b, codec="json").dest_sink(out)
    d = flow.deploy(backend)
    d.step()
    assert out == [[1, 2]]
    flow = FlowBuilder()
    a, b = flow.process("a"), flow.process("b")
    a.source_iter([{1}]).send(b, codec="json").for_each(print)
    with pytest.raises(HydroRuntimeError, match="codec json"):
        flow.deploy(backend).step()


def test_a_custom_codec_object_is_used_on_both_ends(backend):
    class Upper:
        name = "upper"

        def encode(self, obj):
            return "\n".join(obj).upper().encode()

        def decode(self, data):
            return data.decode().split("\n")

    flow = FlowBuilder()
    a, b = flow.process("a"), flow.process("b")
    out = []
    a.source_iter(["x", "y"]).send(b, codec=Upper()).dest_sink(out)
    d = flow.deploy(backend)
    d.step()
    assert out == ["X", "Y"]


# -- time ---------------------------------------------------------------------------------------

def test_source_interval_sample_every_and_timeout_follow_the_clock(backend):
    clock = Clock()
    flow = FlowBuilder()
    p = flow.process("p")
    port, xs = ext_input(flow, p)
    fires, samples, quiet = [], [], []
    p.source_interval(1.0, ND).dest_sink(fires)
    xs.fold(lambda: 0, lambda a, x: a + x).sample_every(2.0, ND).dest_sink(samples)
    t = p.tick()
    xs.timeout(1.5, ND).snapshot(t, ND).all_ticks().dest_sink(quiet)
    d = flow.deploy(backend, clock=clock)
    c = d.connect(port)
    c.send(1)
    fired_at, sampled_at, quiet_at = [], [], []
    for now in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0):
        clock.t = now
        counts = len(fires), len(samples), len(quiet)
        d.step()
        for seen, before, at in ((fires, counts[0], fired_at), (samples, counts[1], sampled_at),
                                 (quiet, counts[2], quiet_at)):
            if len(seen) > before:
                at.append(now)
    assert fired_at == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert sampled_at == [0.0, 2.0, 4.0] and samples == [1, 1, 1]  # re-sampled, unchanged
    assert quiet_at == [1.5, 2.0, 2.5, 3.0, 3.5, 4.0]  # quiet for 1.5 s after the input at 0


def test_spin_batch_delivers_n_units_per_tick(backend):
    flow = FlowBuilder()
    p = flow.process("p")
    out = []
    p.tick().spin_batch(4).count().all_ticks().dest_sink(out)
    d = flow.deploy(backend)
    d.step(3)
    assert out == [4, 4, 4]


# -- user errors --------------------------------------------------------------------------------

def test_an_exception_in_user_code_names_the_operator_and_line():
    flow = FlowBuilder()
    p = flow.process("p")
    line = inspect.currentframe().f_lineno + 1
    p.source_iter([1, 0]).map(lambda x: 10 // x).for_each(print)
    d = flow.deploy("local")
    with pytest.raises(HydroRuntimeError) as info:
        d.step()
    assert str(info.value) == (
        "map(lambda x: 10 // x) raised ZeroDivisionError: integer division or modulo by zero\n"
        f"  at test_semantics.py, line {line}: "
        "p.source_iter([1, 0]).map(lambda x: 10 // x).for_each(print)\n"
        "  element: 0\n"
        "  in p, tick 0")
    err = info.value
    assert (err.operator, err.element, err.instance, err.tick) == \
        ("map(lambda x: 10 // x)", "0", "p", 0)
    assert isinstance(err.__cause__, ZeroDivisionError)
    with pytest.raises(HydroRuntimeError):
        d.step()  # the deployment stays failed


def test_an_exception_in_a_called_function_points_at_the_operator(backend):
    def risky(x):
        raise ValueError(f"bad {x}")

    flow = FlowBuilder()
    p = flow.process("p")
    line = inspect.currentframe().f_lineno + 1
    p.source_iter([1]).filter(risky).for_each(print)
    with pytest.raises(HydroRuntimeError) as info:
        flow.deploy(backend).step()
    # the line inside the function that raised (found on Ray too), then the operator's
    assert str(info.value) == (
        "filter(risky) raised ValueError: bad 1\n"
        f"  at test_semantics.py, line {line - 5}: raise ValueError(f\"bad {{x}}\")\n"
        "  element: 1\n"
        f"  operator built at test_semantics.py, line {line}: "
        "p.source_iter([1]).filter(risky).for_each(print)\n"
        "  in p, tick 0")


def test_the_element_a_failure_shows_is_cut_short():
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_iter(["x" * 500]).map(int).for_each(print)
    with pytest.raises(HydroRuntimeError) as info:
        flow.deploy("local").step()
    assert info.value.element == "'" + "x" * 76 + "..."
    assert f"\n  element: {info.value.element}\n" in str(info.value)
