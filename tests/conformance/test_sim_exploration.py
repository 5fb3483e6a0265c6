"""Hydro's simulator tests, ported: what they assert, with Hydro's exact execution counts.

Sources (hydro-project/hydro): ``hydro_lang/src/live_collections/stream/mod.rs`` and
``keyed_stream/mod.rs`` (their ``#[cfg(feature = "sim")]`` tests) and ``hydro_lang/src/sim/tests/
mod.rs``. Rust's ``Vec`` accumulators become tuples (hashable: a keyed output is a set of
entries), ``collect_sorted`` is ``sorted(o.collect())``, ``#[should_panic]`` is
``pytest.raises(SimFailure)``, and ``node.forward_ref::<Stream<_, _, _, NoOrder>>()`` is
``p.forward_ref(order=Order.NO_ORDER)``.
"""

from __future__ import annotations

import pytest

from hydro_lab import FlowBuilder, Order, Retries, nondet
from hydro_lab.sim import SimFailure

ND = nondet("test")


def process():
    flow = FlowBuilder()
    return flow, flow.process("p")


def early_stop_pair(acc, v):
    """``fold_early_stop(|| Vec::new(), |acc, v| { acc.push(v); acc.len() >= 2 })``."""
    acc = acc + (v,)
    return acc, len(acc) >= 2


# -- stream/mod.rs ---------------------------------------------------------------------------


def test_sim_batch_nondet_size():
    """stream/mod.rs, ``sim_batch_nondet_size`` (should_panic): a count of a batch of three
    is not always 3."""
    flow, p = process()
    port, s = p.sim_input()
    out = s.batch(p.tick(), ND).count().all_ticks().sim_output()

    def body(inst):
        inst.connect(port).send_many([None, None, None])
        assert inst.connect(out).next() == 3  # fails with nondet batching

    with pytest.raises(SimFailure):
        flow.sim().exhaustive(body, progress=False)


def test_sim_batch_preserves_order():
    """stream/mod.rs, ``sim_batch_preserves_order``: batching keeps a TotalOrder stream's
    order."""
    flow, p = process()
    port, s = p.sim_input()
    out = s.batch(p.tick(), ND).all_ticks().sim_output()

    def body(inst):
        inst.connect(port).send_many([1, 2, 3])
        inst.connect(out).assert_yields_only([1, 2, 3])

    assert flow.sim().exhaustive(body, progress=False) == 4  # 2^(3-1) compositions


def test_sim_batch_unordered_shuffles():
    """stream/mod.rs, ``sim_batch_unordered_shuffles`` (should_panic): batches of an unordered
    stream are shuffled, so (1, 3) and then (2, 2) is an execution."""
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    batch = s.batch(p.tick(), ND)
    out = batch.min().zip(batch.max()).all_ticks().sim_output()

    def body(inst):
        inst.connect(port).send_many_unordered([1, 2, 3])
        got = inst.connect(out).collect()
        assert got != [(1, 3), (2, 2)], "saw both (1, 3) and (2, 2): batching shuffled"

    with pytest.raises(SimFailure, match="batching shuffled"):
        flow.sim().exhaustive(body, progress=False)


def test_sim_batch_unordered_shuffles_count():
    """stream/mod.rs, ``sim_batch_unordered_shuffles_count``: 75 = sum over k of S(4,k) k!."""
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = s.batch(p.tick(), ND).all_ticks().sim_output()

    def body(inst):
        inst.connect(port).send_many_unordered([1, 2, 3, 4])
        inst.connect(out).assert_yields_only_unordered([1, 2, 3, 4])

    assert flow.sim().exhaustive(body, progress=False) == 75


def observe_order_batched():
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = s.batch(p.tick(), ND).assume_ordering(ND).all_ticks().sim_output()
    return flow, port, out


def test_sim_observe_order_batched():
    """stream/mod.rs, ``sim_observe_order_batched`` (should_panic): an assumed order is not
    always the order sent."""
    flow, port, out = observe_order_batched()

    def body(inst):
        inst.connect(port).send_many_unordered([1, 2, 3, 4])
        inst.connect(out).assert_yields_only([1, 2, 3, 4])  # fails with assume_ordering

    with pytest.raises(SimFailure):
        flow.sim().exhaustive(body, progress=False)


def test_sim_observe_order_batched_count():
    """stream/mod.rs, ``sim_observe_order_batched_count``: 192 = 4! * 2^(4-1)."""
    flow, port, out = observe_order_batched()

    def body(inst):
        inst.connect(port).send_many_unordered([1, 2, 3, 4])
        inst.connect(out).collect()

    assert flow.sim().exhaustive(body, progress=False) == 192


def test_sim_unordered_count_instance_count():
    """stream/mod.rs, ``sim_unordered_count_instance_count``: 16 = 2^4, a snapshot of the
    count may see each of 0, 1, 2, 3 or not, and always ends at 4."""
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = s.count().snapshot(p.tick(), ND).all_ticks().sim_output()
    seen = set()

    def body(inst):
        inst.connect(port).send_many_unordered([1, 2, 3, 4])
        got = inst.connect(out).collect()
        assert got[-1] == 4
        seen.add(tuple(got))

    assert flow.sim().exhaustive(body, progress=False) == 16
    assert seen == {tuple(v for v in range(4) if mask >> v & 1) + (4,) for mask in range(16)}


def test_sim_top_level_assume_ordering():
    """stream/mod.rs, ``sim_top_level_assume_ordering``: 6 = 3! orders at the top level."""
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = s.assume_ordering(ND).sim_output()

    def body(inst):
        inst.connect(port).send_many_unordered([1, 2, 3])
        assert sorted(inst.connect(out).collect()) == [1, 2, 3]

    assert flow.sim().exhaustive(body, progress=False) == 6


def cycle_back(through_tick: bool):
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    complete, back = p.forward_ref(order=Order.NO_ORDER)
    ordered = s.merge_unordered(back).assume_ordering(ND)
    fed = ordered.batch(p.tick(), ND).all_ticks() if through_tick else ordered
    complete.complete(fed.map(lambda v: v + 1).filter(lambda v: v % 2 == 1))
    return flow, port, ordered.sim_output()


@pytest.mark.parametrize("through_tick,count", [(False, 6), (True, 58)])
def test_sim_top_level_assume_ordering_cycle_back(through_tick, count):
    """stream/mod.rs, ``sim_top_level_assume_ordering_cycle_back`` (6) and ``..._tick`` (58):
    a top-level cycle without a tick delay runs, and the element fed back (0 + 1) can be
    observed before one still waiting (2)."""
    flow, port, out = cycle_back(through_tick)
    saw = []

    def body(inst):
        inst.connect(port).send_many_unordered([0, 2])
        if inst.connect(out).collect()[:3] == [0, 1, 2]:
            saw.append(True)

    assert flow.sim().exhaustive(body, progress=False) == count
    assert saw, "did not see an instance with 0, 1, 2 in order"


def test_sim_top_level_assume_ordering_multiple():
    """stream/mod.rs, ``sim_top_level_assume_ordering_multiple``: two top-level assumed orders
    in one cycle; 0, 3, 1 is an execution, and there are 24 (in one observation step each
    assumed order releases one element or none, the last one waiting must if none did)."""
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    _, s2 = p.sim_input(order=Order.NO_ORDER)
    complete, back = p.forward_ref(order=Order.NO_ORDER)
    in1 = s.merge_unordered(back).assume_ordering(ND)
    foo = in1.map(lambda v: v + 3).weaken_ordering().merge_unordered(s2).assume_ordering(ND)
    complete.complete(foo.filter(lambda v: v == 3))
    out = in1.sim_output()
    saw = []

    def body(inst):
        inst.connect(port).send_many_unordered([0, 1])
        if inst.connect(out).collect()[:3] == [0, 3, 1]:
            saw.append(True)

    count = flow.sim().exhaustive(body, progress=False)
    assert saw, "did not see an instance with 0, 3, 1 in order"
    assert count == 24


def test_sim_atomic_assume_ordering_cycle_back():
    """stream/mod.rs, ``sim_atomic_assume_ordering_cycle_back``: 22 executions, each yielding
    4 elements."""
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    complete, back = p.forward_ref(order=Order.NO_ORDER)
    ordered = s.merge_unordered(back).atomic(p.tick()).assume_ordering(ND).end_atomic()
    complete.complete(ordered.map(lambda v: v + 1).filter(lambda v: v % 2 == 1))
    out = ordered.sim_output()

    def body(inst):
        inst.connect(port).send_many_unordered([0, 2])
        assert len(inst.connect(out).collect()) == 4

    assert flow.sim().exhaustive(body, progress=False) == 22


# -- keyed_stream/mod.rs ---------------------------------------------------------------------


def test_keyed_sim_batch_nondet_size():
    """keyed_stream/mod.rs, ``sim_batch_nondet_size`` (should_panic): a keyed batch need not
    hold a whole key group."""
    flow, p = process()
    keyed = p.source_iter([(1, 1), (1, 2), (2, 3)]).into_keyed()
    out = (keyed.batch(p.tick(), ND).fold(tuple, lambda acc, v: acc + (v,)).entries()
           .all_ticks().sim_output())

    def body(inst):
        inst.connect(out).assert_yields_only_unordered([(1, (1, 2))])

    with pytest.raises(SimFailure):
        flow.sim().exhaustive(body, progress=False)


def test_keyed_sim_batch_preserves_group_order():
    """keyed_stream/mod.rs, ``sim_batch_preserves_group_order``: 8 (three separate ticks: 3;
    (1,1),(1,2) together, (2,3) before or after: 2; (1,1),(1,2) apart with (2,3) beside one: 2;
    all together: 1)."""
    flow, p = process()
    keyed = p.source_iter([(1, 1), (1, 2), (2, 3)]).into_keyed()
    out = (keyed.batch(p.tick(), ND).all_ticks()
           .fold_early_stop(lambda: 0, lambda acc, v: (max(v, acc), max(v, acc) >= 2))
           .entries().sim_output())

    def body(inst):
        inst.connect(out).assert_yields_only_unordered([(1, 2), (2, 3)])

    assert flow.sim().exhaustive(body, progress=False) == 8


def test_keyed_sim_batch_unordered_shuffles():
    """keyed_stream/mod.rs, ``sim_batch_unordered_shuffles``: 13 (6 + 2 + 4 + 1, as Hydro's
    comment counts them)."""
    flow, p = process()
    keyed = p.source_iter([(1, 1), (1, 2), (2, 3)]).into_keyed().weaken_ordering()
    out = keyed.batch(p.tick(), ND).all_ticks().entries().sim_output()

    def body(inst):
        inst.connect(out).assert_yields_only_unordered([(1, 1), (1, 2), (2, 3)])

    assert flow.sim().exhaustive(body, progress=False) == 13


def keyed_observe_order_batched(first: bool):
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    ordered = s.into_keyed().batch(p.tick(), ND).assume_ordering(ND).all_ticks()
    out = (ordered.first() if first else ordered).entries().sim_output()
    return flow, port, out


def test_keyed_sim_observe_order_batched():
    """keyed_stream/mod.rs, ``sim_observe_order_batched`` (should_panic): the first value per
    key is not always the first sent."""
    flow, port, out = keyed_observe_order_batched(first=True)

    def body(inst):
        inst.connect(port).send_many_unordered([(1, 1), (1, 2), (2, 1), (2, 2)])
        inst.connect(out).assert_yields_only_unordered([(1, 1), (2, 1)])

    with pytest.raises(SimFailure):
        flow.sim().exhaustive(body, progress=False)


def test_keyed_sim_observe_order_batched_count():
    """keyed_stream/mod.rs, ``sim_observe_order_batched_count``: 104 (a keyed assumed order
    orders within each key's group only: fewer than the stream's 192)."""
    flow, port, out = keyed_observe_order_batched(first=False)

    def body(inst):
        inst.connect(port).send_many_unordered([(1, 1), (1, 2), (2, 1), (2, 2)])
        sorted(inst.connect(out).collect())

    assert flow.sim().exhaustive(body, progress=False) == 104


def test_keyed_sim_top_level_assume_ordering():
    """keyed_stream/mod.rs, ``sim_top_level_assume_ordering``: 24, one entry per key."""
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = (s.into_keyed().assume_ordering(ND).fold_early_stop(tuple, early_stop_pair)
           .entries().sim_output())

    def body(inst):
        inst.connect(port).send_many_unordered([(1, "a"), (1, "b"), (2, "c"), (2, "d")])
        assert len(dict(sorted(inst.connect(out).collect()))) == 2

    assert flow.sim().exhaustive(body, progress=False) == 24


def keyed_cycle(feedback):
    flow, p = process()
    port, s = p.sim_input(order=Order.NO_ORDER)
    complete, back = p.forward_ref("KeyedStream", order=Order.NO_ORDER)
    ordered = s.into_keyed().merge_unordered(back).assume_ordering(ND)
    complete.complete(feedback(p, ordered))
    out = ordered.fold_early_stop(tuple, early_stop_pair).entries().sim_output()
    return flow, port, out


@pytest.mark.parametrize("through_tick,count", [(False, 6), (True, 58)])
def test_keyed_sim_top_level_assume_ordering_cycle_back(through_tick, count):
    """keyed_stream/mod.rs, ``sim_top_level_assume_ordering_cycle_back`` (6) and ``..._tick``
    (58): key 1 can get 0 and then 1, fed back from 0 + 1."""
    def feedback(p, ordered):
        fed = ordered.batch(p.tick(), ND).all_ticks() if through_tick else ordered
        return fed.map(lambda v: v + 1).filter(lambda v: v % 2 == 1)

    flow, port, out = keyed_cycle(feedback)
    saw = []

    def body(inst):
        inst.connect(port).send_many_unordered([(1, 0), (1, 2)])
        if dict(sorted(inst.connect(out).collect())).get(1) == (0, 1):
            saw.append(True)

    assert flow.sim().exhaustive(body, progress=False) == count
    assert saw, "did not see an instance with key 1 having [0, 1] in order"


def test_keyed_sim_top_level_assume_ordering_cross_key_cycle():
    """keyed_stream/mod.rs, ``sim_top_level_assume_ordering_cross_key_cycle``: 60; (2, 100)
    fed back from key 1 can be released before (2, 20) that was already waiting (elements are
    observed one at a time)."""
    def feedback(p, ordered):
        return (ordered.filter(lambda v: v == 10).map(lambda _: 100).entries()
                .map(lambda kv: (2, kv[1])).into_keyed())

    flow, port, out = keyed_cycle(feedback)
    saw = []

    def body(inst):
        inst.connect(port).send_many_unordered([(1, 10), (1, 11), (2, 20), (2, 21)])
        values = dict(sorted(inst.connect(out).collect())).get(2)
        if values and len(values) >= 2 and values[0] == 100:
            saw.append(True)

    assert flow.sim().exhaustive(body, progress=False) == 60
    assert saw, "did not see the cycled-back 100 released before key 2's pending items"


# -- sim/tests/mod.rs ------------------------------------------------------------------------


def fuzzed_batching_program():
    """sim/tests/mod.rs, ``fuzzed_batching_program``: a sum per batch."""
    flow, p = process()
    port, s = p.sim_input()
    out = s.batch(p.tick(), ND).fold(lambda: 0, lambda acc, v: acc + v).all_ticks().sim_output()
    return flow, port, out


def test_sim_batch_preserves_order_fuzzed():
    """sim/tests/mod.rs, ``sim_batch_preserves_order_fuzzed``."""
    flow, p = process()
    port, s = p.sim_input()
    out = s.batch(p.tick(), ND).all_ticks().sim_output()

    def body(inst):
        inst.connect(port).send_many([1, 2, 3])
        o = inst.connect(out)
        assert [o.next(), o.next(), o.next()] == [1, 2, 3]
        o.assert_no_more()

    assert flow.sim().fuzz(body, runs=100, progress=False) == 100


def crash_with_fuzzed_batching(inst, port, out):
    i = inst.connect(port)
    for _ in range(1000):
        i.send(456)  # the fuzzer should put these in some batches
    i.send(100)
    i.send(23)  # the fuzzer must put these in one batch
    i.send(99)  # the fuzzer must put this in a later batch
    for got in inst.connect(out).collect():
        if got == 456:
            return  # exhaustive would find the bug with trivial (size 1) batches
        assert got != 123, "boom"


def test_sim_crash_with_fuzzed_batching_and_its_trace():
    """sim/tests/mod.rs, ``sim_crash_with_fuzzed_batching`` (should_panic) and
    ``trace_for_fuzzed_batching``: fuzzing finds the batch [100, 23]; the trace shows the
    decisive releases, and the 1,003 inputs as one line (not a thousand)."""
    flow, port, out = fuzzed_batching_program()

    def body(inst):
        crash_with_fuzzed_batching(inst, port, out)

    with pytest.raises(SimFailure, match="boom") as info:
        flow.sim().fuzz(body, runs=300, seed=3, progress=False)
    trace = info.value.trace.format()
    lines = trace.splitlines()
    assert lines[0].endswith("1,003 messages: [456] ×1,000, [100], [23], [99]")
    assert any("released [100, 23] (2 of" in line for line in lines)
    assert any("output" in line and "[123]" in line for line in lines)
    assert sum("input" in line for line in lines) == 1
    assert len(str(info.value)) < 2_000 and len(lines) < 20


class NotPrintable:
    """Rust's ``struct Test {}`` without ``Debug``: ``repr()`` fails."""

    def __repr__(self):
        raise TypeError("no printable form")


def test_sim_batch_nondebuggable_type():
    """sim/tests/mod.rs, ``sim_batch_nondebuggable_type``: any value can be batched and
    counted (a trace shows it as ``?``)."""
    Test = NotPrintable
    flow, p = process()
    port, s = p.sim_input()
    out = s.batch(p.tick(), ND).count().all_ticks().sim_output()

    def body(inst):
        inst.connect(port).send(Test())
        assert inst.connect(out).collect() == [1]

    assert flow.sim().exhaustive(body, progress=False) == 1
    assert "released [?] (1 of 1 pending)" in flow.sim().run(body).format()


def atomic_passthrough():
    flow, p = process()
    port, s = p.sim_input()
    return flow, port, s.atomic(p.tick()).end_atomic().sim_output()


def test_sim_send_after_assert_yields_only():
    """sim/tests/mod.rs, ``sim_send_after_assert_yields_only``: sending after the flow settled
    still works."""
    flow, port, out = atomic_passthrough()

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send(1)
        o.assert_yields_only([1])
        i.send(2)
        o.assert_yields_only([2])

    assert flow.sim().exhaustive(body, progress=False) == 1


def test_assert_yields_only_catches_extra_value():
    """sim/tests/mod.rs, ``assert_yields_only_catches_extra_value`` (should_panic with
    "unexpected")."""
    flow, port, out = atomic_passthrough()

    def body(inst):
        inst.connect(port).send_many([1, 2])
        inst.connect(out).assert_yields_only([1])

    with pytest.raises(SimFailure, match="unexpected"):
        flow.sim().exhaustive(body, progress=False)


def test_sim_collect_waits_for_all_ticks():
    """sim/tests/mod.rs, ``sim_collect_waits_for_all_ticks``."""
    flow, p = process()
    port, s = p.sim_input()
    out = s.batch(p.tick(), ND).all_ticks().sim_output()

    def body(inst):
        inst.connect(port).send_many([1, 2, 3])
        assert inst.connect(out).collect() == [1, 2, 3]

    assert flow.sim().exhaustive(body, progress=False) == 4


# -- top-level cycles outside the simulator ----------------------------------------------------


def test_a_top_level_cycle_runs_in_a_local_deployment():
    """Top-level streams are asynchronous (Hydro accepts a top-level forward_ref cycle without
    a tick delay): a countdown fed back settles within a tick, and a cycle through a fold
    feeds back across ticks."""
    flow, p = process()
    complete, back = p.forward_ref(order=Order.NO_ORDER)
    merged = p.source_iter([3]).merge_unordered(back)
    complete.complete(merged.map(lambda x: x - 1).filter(lambda x: x > 0))
    countdown: list = []
    merged.assume_ordering(ND).for_each(countdown.append)
    # through a fold (it reads its whole input before it emits): fed back in the next tick
    complete2, back2 = p.forward_ref(order=Order.NO_ORDER, retries=Retries.AT_LEAST_ONCE)
    total = p.source_iter([1]).merge_unordered(back2).fold(
        lambda: 0, lambda acc, x: acc + x, commutative="a sum", idempotent="test: it is not")
    seen = total.sample_eager(ND)
    complete2.complete(seen.filter(lambda t: t < 8))
    totals: list = []
    seen.for_each(totals.append)

    with flow.deploy("local") as d:
        d.run(ticks=6)
    assert countdown == [3, 2, 1]
    assert totals[:4] == [1, 2, 4, 8] and set(totals[4:]) <= {8}
