"""Hydro's live-collection operators that issue 13 found missing, ported from Hydro's doc-tests and
unit tests (``hydro_lang/src/live_collections/*``), plus the two divergences of that issue fixed
here (a join with a Bounded right side keeps the left order; a KeyedSingleton with list values).

Each test's docstring names the Hydro file and function (or the doc-test's operator) it ports and
asserts what the Rust test asserts. Hydro's doc-tests run through ``stream_transform_test``, which
reads the first elements of the output stream; here the simulator's ``recv()`` reads them the
same way (``run`` is one execution; ``exhaustive`` returns Hydro's execution counts).
"""

from __future__ import annotations

import pytest

from hydro_lab import (
    Bound,
    FlowBuilder,
    HydroTypeError,
    MemberId,
    Order,
    Retries,
    nondet,
)
from hydro_lab.ir.locations import AtomicId

ND = nondet("test")


def recv_n(flow: FlowBuilder, port, n: int) -> list:
    """The first ``n`` outputs of ``port`` in one simulated execution."""
    return recv_each(flow, [port], n)[0]


def recv_each(flow: FlowBuilder, ports: list, n: int) -> list[list]:
    """The first ``n`` outputs of each port, in one simulated execution."""
    got: list = []

    def body(inst):
        handles = [inst.connect(port) for port in ports]
        got.extend([h.recv() for _ in range(n)] for h in handles)

    flow.sim().run(body)
    return got


def collect(flow: FlowBuilder, port) -> list:
    """Everything ``port`` yields in one simulated execution, run to quiescence."""
    got: list = []
    flow.sim().run(lambda inst: got.extend(inst.connect(port).collect()))
    return got


def two_ticks(process, tick, first, second):
    """Hydro's doc-test idiom: ``first`` batched in tick 1, ``second`` (deferred) in tick 2, with
    ``tick.spin_batch(q!(1)).all_ticks().for_each(..)`` forcing the second tick to run."""
    tick.spin_batch(1).all_ticks().for_each(lambda _: None)
    a = process.source_iter(first).batch(tick, ND)
    b = process.source_iter(second).batch(tick, ND).defer_tick()
    return a.chain(b)


# -- aliases (API.md: Hydro's older names stay as thin aliases) ----------------------------------

def test_keyed_fold_and_reduce_commutative_are_aliases():
    """hydro_lang keyed_stream/mod.rs ``fold_commutative`` / ``reduce_commutative`` (era C names,
    still used by ``hydro_std::quorum``): on a NoOrder keyed stream they accept what ``fold``
    without ``commutative=`` refuses, and give the same per-key sums."""
    flow = FlowBuilder()
    p = flow.process("p")
    ks = p.source_iter([("a", 1), ("b", 2), ("a", 3)]).into_keyed().weaken_ordering()
    with pytest.raises(HydroTypeError, match="commutative"):
        ks.fold(lambda: 0, lambda acc, x: acc + x)
    folded = ks.fold_commutative(lambda: 0, lambda acc, x: acc + x)
    reduced = ks.reduce_commutative(lambda a, b: a + b)
    assert type(folded).__name__ == type(reduced).__name__ == "KeyedSingleton"
    f_port, r_port = folded.entries().sim_output(), reduced.entries().sim_output()
    got = {}
    flow.sim().run(lambda inst: got.update(f=sorted(inst.connect(f_port).collect()),
                                           r=sorted(inst.connect(r_port).collect())))
    assert got == {"f": [("a", 4), ("b", 2)], "r": [("a", 4), ("b", 2)]}


def test_bincode_networking_aliases():
    """hydro_lang stream/networking.rs ``round_robin_bincode``, ``send_bincode_external`` and
    location ``source_external_bincode`` (era C names, e.g. singleton.rs
    ``tick_cycle_cardinality``): the same operators as ``round_robin``, ``send_external`` and
    ``source_external``, with the same rules (round_robin needs a nondet)."""
    flow = FlowBuilder()
    p, workers, ext = flow.process("p"), flow.cluster("workers"), flow.external("client")
    in_port, s = p.source_external_bincode(ext)
    assert (type(s).__name__, s.bound, s.order, s.retries) == \
        ("Stream", Bound.UNBOUNDED, Order.TOTAL_ORDER, Retries.EXACTLY_ONCE)
    out_port = s.map(lambda x: x * 2).send_bincode_external(ext)
    assert (in_port.direction, out_port.direction) == ("in", "out")
    at_workers = s.round_robin_bincode(workers, ND)
    assert at_workers.location == workers
    with pytest.raises(HydroTypeError, match="nondet"):
        s.round_robin_bincode(workers)


# -- Singleton / Optional (singleton.rs, optional.rs) --------------------------------------------

def test_filter_if_doc():
    """hydro_lang singleton.rs ``filter_if`` doc-test: ``count()`` of a batch, passed only while
    ``tick.optional_first_tick(q!(())).is_some()`` is true: yields ``[1]``."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    signal = tick.optional_first_tick(()).is_some()  # true on tick 1, false on tick 2
    out = two_ticks(p, tick, [1], [1, 2, 3]).count().filter_if(signal).all_ticks()
    port = out.sim_output()
    assert recv_n(flow, port, 1) == [1]


def test_filter_if_some_and_none_docs_are_the_deprecated_forms():
    """hydro_lang singleton.rs ``filter_if_some`` and ``filter_if_none`` doc-tests (deprecated in
    Hydro for ``filter_if(signal.is_some())`` / ``filter_if(signal.is_none())``): ``[1]`` and
    ``[3]``; the ``filter_if`` spellings give the same."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    some_on_first = tick.optional_first_tick(())
    counts = two_ticks(p, tick, [1], [1, 2, 3]).count()
    ports = [counts.filter_if_some(some_on_first).all_ticks().sim_output(),
             counts.filter_if_none(some_on_first).all_ticks().sim_output(),
             counts.filter_if(some_on_first.is_some()).all_ticks().sim_output(),
             counts.filter_if(some_on_first.is_none()).all_ticks().sim_output()]
    got: list = []
    flow.sim().run(lambda inst: got.extend(inst.connect(q).recv() for q in ports))
    assert got == [1, 3, 1, 3]


def test_is_some_is_none_follow_the_optional_each_tick():
    """hydro_lang optional.rs ``is_some``/``is_none`` (as singleton.rs' doc-tests use them:
    ``optional_first_tick(q!(())).is_some()`` is "true on tick 1, false on tick 2"): a
    ``Singleton[bool]`` with the Optional's boundedness."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    tick.spin_batch(1).all_ticks().for_each(lambda _: None)
    opt = tick.optional_first_tick(())
    some, none = opt.is_some(), opt.is_none()
    assert (type(some).__name__, some.bound) == ("Singleton", Bound.BOUNDED)
    ports = [some.all_ticks().sim_output(), none.all_ticks().sim_output()]
    assert recv_each(flow, ports, 3) == [[True, False, False], [False, True, True]]


def test_filter_if_takes_a_bounded_singleton_bool():
    """hydro_lang singleton.rs ``filter_if(signal: Singleton<bool, L, B>)`` with ``B:
    IsBounded``: an Optional signal or an Unbounded one is refused, naming the fix."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    value = tick.singleton(5)
    with pytest.raises(HydroTypeError, match=r"is_some\(\)"):
        value.filter_if(tick.optional_first_tick(()))
    unbounded = p.source_iter([1]).batch(tick, ND).all_ticks().count().map(lambda n: n > 0)
    with pytest.raises(HydroTypeError, match="the signal is Unbounded"):
        p.singleton(5).filter_if(unbounded)
    assert type(value.filter_if(tick.singleton(True))).__name__ == "Optional"


def test_and_or_doc():
    """hydro_lang singleton.rs ``and`` and ``or`` doc-tests (spelled ``and_``/``or_``):
    ``is_some()`` of ``optional_first_tick`` (true, false) AND ``true`` gives ``[true, false]``;
    OR ``false`` gives ``[true, false]``."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    tick.spin_batch(1).all_ticks().for_each(lambda _: None)
    a = tick.optional_first_tick(()).is_some()
    both = a.and_(tick.singleton(True))
    either = a.or_(tick.singleton(False))
    assert (type(both).__name__, both.bound) == ("Singleton", Bound.BOUNDED)
    ports = [both.all_ticks().sim_output(), either.all_ticks().sim_output()]
    assert recv_each(flow, ports, 2) == [[True, False], [True, False]]


def test_not_is_invert():
    """hydro_lang singleton.rs ``impl Not for Singleton<bool, L, B>`` (``!signal``, a ``map``):
    ``~signal`` in Python, same boundedness."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    tick.spin_batch(1).all_ticks().for_each(lambda _: None)
    negated = ~tick.optional_first_tick(()).is_some()
    assert (type(negated).__name__, negated.bound) == ("Singleton", Bound.BOUNDED)
    port = negated.all_ticks().sim_output()
    assert recv_n(flow, port, 2) == [False, True]


def test_equals_doc():
    """hydro_lang singleton.rs ``equals`` doc-test: ``tick.singleton(5).equals(tick.singleton(5))``
    yields ``[true]``."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    port = tick.singleton(5).equals(tick.singleton(5)).all_ticks().sim_output()
    assert recv_n(flow, port, 1) == [True]


def test_into_optional_doc():
    """hydro_lang singleton.rs ``into_optional`` doc-test: ``tick.singleton(q!(Some(42)))
    .into_optional()`` yields ``42``; a ``None`` value (Rust's ``None``) is empty."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    some = tick.singleton(42).into_optional()
    assert type(some).__name__ == "Optional"
    port = some.all_ticks().sim_output()
    empty = tick.singleton(None).into_optional().into_stream().count().all_ticks().sim_output()
    got: list = []
    flow.sim().run(lambda inst: got.extend([inst.connect(port).recv(),
                                            inst.connect(empty).recv()]))
    assert got == [42, 0]


def test_threshold_greater_or_equal_doc():
    """hydro_lang singleton.rs ``threshold_greater_or_equal`` doc-test: ``process.singleton(5)
    .threshold_greater_or_equal(process.singleton(4))`` yields ``[4]``."""
    flow = FlowBuilder()
    p = flow.process("p")
    out = p.singleton(5).threshold_greater_or_equal(p.singleton(4))
    assert (type(out).__name__, out.order, out.retries) == \
        ("Stream", Order.TOTAL_ORDER, Retries.EXACTLY_ONCE)
    port = out.sim_output()
    not_reached = p.singleton(3).threshold_greater_or_equal(p.singleton(4)).sim_output()
    got: dict = {}
    flow.sim().run(lambda inst: got.update(hit=inst.connect(port).collect(),
                                           miss=inst.connect(not_reached).collect()))
    assert got == {"hit": [4], "miss": []}


def test_threshold_greater_or_equal_needs_monotonic():
    """hydro_lang singleton.rs ``threshold_greater_or_equal`` ``where B: IsMonotonic`` ("The input
    singleton must be monotonic (`Monotonic`) or bounded (`Bounded`)"): a plain Unbounded fold is
    refused; ``count()`` and a fold declared ``monotone=`` are Monotonic; a ``map`` forgets it."""
    flow = FlowBuilder()
    p = flow.process("p")
    s = p.source_iter([1, 2]).batch(p.tick(), ND).all_ticks()
    refused = [lambda: s.fold(lambda: 0, lambda a, x: a + x),
               lambda: s.count().map(lambda n: n)]
    for build in refused:
        with pytest.raises(HydroTypeError) as info:
            build().threshold_greater_or_equal(p.singleton(3))
        msg = str(info.value)
        assert "needs a Monotonic or Bounded one" in msg and "Fix:" in msg
        assert "monotone=" in msg
    count = s.count()
    assert count.kind_info.describe() == "Singleton<Monotonic>"
    grows = s.fold(lambda: 0, lambda a, x: a + x, monotone="adds positive numbers")
    assert grows.kind_info.monotonic
    assert type(count.threshold_greater_or_equal(p.singleton(2))).__name__ == "Stream"


def test_threshold_greater_or_equal_on_a_growing_count_fires_once():
    """hydro_lang singleton.rs ``threshold_greater_or_equal`` on a Monotonic singleton (the
    ``sliced!`` branch): the threshold is emitted once, when the count first reaches it, and
    never again however far it grows."""
    flow = FlowBuilder()
    p = flow.process("p")
    inp, s = p.sim_input()
    port = s.count().threshold_greater_or_equal(p.singleton(3)).sim_output()

    def body(inst):
        i, out = inst.connect(inp), inst.connect(port)
        i.send_many([1, 1])
        assert out.collect() == []
        i.send_many([1, 1, 1])
        assert out.collect() == [3]
        i.send(1)
        assert out.collect() == []

    flow.sim().run(body)


def test_clone_into_tick_is_deterministic():
    """hydro_lang singleton.rs ``sim_top_level_singleton_join_count``: a batched ``source_iter``
    of 4 crossed with ``node.singleton(q!(123)).clone_into_tick(&tick)`` explores 16 executions
    ("2^4 ways to split up"): the cloned singleton adds none. And
    ``sim_top_level_singleton_exhaustive``: a snapshot of a top-level constant has 1."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    batch = p.source_iter([1, 2, 3, 4]).batch(tick, ND).cross_singleton(
        p.singleton(123).clone_into_tick(tick))
    port = batch.all_ticks().sim_output()
    seen: list = []
    count = flow.sim().exhaustive(lambda inst: seen.append(sorted(inst.connect(port).collect())))
    assert count == 16
    assert all(s == [(x, 123) for x in (1, 2, 3, 4)] for s in seen)

    flow2 = FlowBuilder()
    node = flow2.process("node")
    out = node.singleton(1).snapshot(node.tick(), ND).all_ticks().sim_output()
    assert flow2.sim().exhaustive(lambda inst: inst.connect(out).collect()) == 1


def test_clone_into_tick_needs_bounded():
    """hydro_lang singleton.rs ``clone_into_tick`` ``where B: IsBounded``: an Unbounded singleton
    is refused; its fix is ``snapshot(tick, nondet)``."""
    flow = FlowBuilder()
    p = flow.process("p")
    growing = p.source_iter([1]).batch(p.tick(), ND).all_ticks().count()
    with pytest.raises(HydroTypeError, match=r"snapshot\(tick"):
        growing.clone_into_tick(p.tick())


def test_tick_cycle_cardinality():
    """hydro_lang singleton.rs ``tick_cycle_cardinality``: a tick cycle holding a singleton
    (initially 0) whose ``into_stream().count()`` passes ``filter_if(input.batch(..).first()
    .is_some())``: each input yields ``1``."""
    flow = FlowBuilder()
    node = flow.process("node")
    inp, trigger = node.sim_input()
    node_tick = node.tick()
    complete_cycle, singleton = node_tick.cycle_with_initial(node_tick.singleton(0))
    counts = (singleton.into_stream().count()
              .filter_if(trigger.batch(node_tick, nondet("testing")).first().is_some())
              .all_ticks().sim_output())
    complete_cycle.complete_next_tick(singleton)

    def body(inst):
        tick_trigger, out = inst.connect(inp), inst.connect(counts)
        tick_trigger.send(())
        assert out.recv() == 1
        tick_trigger.send(())
        assert out.recv() == 1

    flow.sim().run(body)


# -- ticks and atomicity (stream/mod.rs, batch_atomic.rs, hydro_std quorum.rs) -------------------

def test_across_ticks_doc():
    """hydro_lang stream/mod.rs ``across_ticks`` doc-test: batches ``[1, 2, 3, 4]`` then
    ``[5, 6, 7]``, ``.across_ticks(|s| s.count())`` keeps counting across ticks: ``[4, 7]``."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    batches = two_ticks(p, tick, [1, 2, 3, 4], [5, 6, 7])
    counted = batches.across_ticks(lambda s: s.count())
    assert (type(counted).__name__, counted.bound) == ("Singleton", Bound.BOUNDED)
    assert counted.location == tick
    port = counted.all_ticks().sim_output()
    assert recv_n(flow, port, 2) == [4, 7]


def test_across_ticks_stream_result_and_determinism():
    """hydro_lang batch_atomic.rs ``BatchAtomic`` for a Stream: ``batch_atomic`` back into the
    tick, so a stream result is the tick's own new elements; it is deterministic (Hydro passes a
    ``nondet!`` it justifies internally): the simulator explores only the input's batchings."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    batches = p.source_iter([1, 2, 3]).batch(tick, ND)
    running = batches.across_ticks(lambda s: s.scan(lambda: 0, lambda a, x: (a + x, a + x)))
    assert (type(running).__name__, running.location) == ("Stream", tick)
    port = running.all_ticks().sim_output()
    outs: list = []
    count = flow.sim().exhaustive(lambda inst: outs.append(inst.connect(port).collect()))
    # the batchings of [1, 2, 3]: its 2^(3-1) compositions, as sim_batch_preserves_order. The
    # batch is the tick's only hook, and Hydro's run_hooks forces the last hook of a tick to
    # decide something, so no tick (tick 0 included) releases nothing; the 2^4 of
    # sim_top_level_singleton_join_count for four elements ("including a possibly empty first
    # batch") comes from its clone_into_tick singleton, a second hook that decides in tick 0.
    # across_ticks adds no decision: Hydro's SimBuilder::batch emits a batch from the tick's
    # own atomic region (batch_atomic) as a plain `out = in`, with no hook.
    assert count == 4
    assert all(o == [1, 3, 6] for o in outs)


def test_across_ticks_result_must_stay_in_the_region():
    """hydro_lang stream/mod.rs ``across_ticks<Out: BatchAtomic>``: the thunk's result must be a
    collection of the atomic region it was given (here: leaving it with ``end_atomic``)."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    batches = p.source_iter([1]).batch(tick, ND)
    with pytest.raises(HydroTypeError, match="atomic region it was given"):
        batches.across_ticks(lambda s: s.end_atomic())
    with pytest.raises(HydroTypeError, match="function"):
        batches.across_ticks(42)


def test_all_ticks_atomic_type():
    """hydro_lang stream/mod.rs ``all_ticks_atomic(self) -> Stream<T, Atomic<L>, Unbounded, O,
    R>`` (and singleton.rs / optional.rs ``all_ticks_atomic`` -> TotalOrder, ExactlyOnce): the
    result is in the tick's atomic region, Unbounded, same order and retries; ``end_atomic``
    returns to the process."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    batch = p.source_iter([1, 2]).batch(tick, ND).weaken_ordering()
    atomic = batch.all_ticks_atomic()
    assert isinstance(atomic._loc, AtomicId) and atomic._loc.tick_id == tick.id
    assert (atomic.bound, atomic.order, atomic.retries) == \
        (Bound.UNBOUNDED, Order.NO_ORDER, Retries.EXACTLY_ONCE)
    assert atomic.end_atomic().location == p
    single = batch.count().all_ticks_atomic()
    assert (type(single).__name__, single.order) == ("Stream", Order.TOTAL_ORDER)
    with pytest.raises(HydroTypeError, match="not in one"):
        p.source_iter([1]).all_ticks_atomic()


def test_atomic_source_is_the_tick():
    """hydro_std quorum.rs ``collect_quorum_with_response``: ``let tick =
    responses.atomic_source();`` on a stream in ``Atomic<L>`` gives the tick of that region
    (then ``tick.cycle`` and ``responses.batch(..)`` into it). Outside a region it is refused."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    responses = p.source_iter([("k", 1)]).atomic(tick)
    assert responses.atomic_source() == tick
    batched = responses.batch(responses.atomic_source(), nondet("quorum"))
    assert batched.location == tick
    with pytest.raises(HydroTypeError, match="not in an atomic region"):
        p.source_iter([1]).atomic_source()


# -- KeyedStream (keyed_stream/mod.rs) -----------------------------------------------------------

def test_filter_with_key_doc():
    """hydro_lang keyed_stream/mod.rs ``filter_with_key`` doc-test: ``[(1, 2), (1, 3), (2, 4)]``
    filtered by ``v - k == 2`` gives ``{1: [3], 2: [4]}``."""
    flow = FlowBuilder()
    p = flow.process("p")
    out = p.source_iter([(1, 2), (1, 3), (2, 4)]).into_keyed().filter_with_key(
        lambda kv: kv[1] - kv[0] == 2)
    assert (out.order, out.retries) == (Order.TOTAL_ORDER, Retries.EXACTLY_ONCE)
    assert collect(flow, out.entries().sim_output()) == [(1, 3), (2, 4)]


def test_filter_map_with_key_doc():
    """hydro_lang keyed_stream/mod.rs ``filter_map_with_key`` doc-test: ``[(1, "2"), (1, "hello"),
    (2, "2")]`` with ``s.parse().ok().filter(|v| v == &k)`` gives ``{2: [2]}``."""
    flow = FlowBuilder()
    p = flow.process("p")

    def parse_if_key(kv):
        k, s = kv
        return int(s) if s.isdigit() and int(s) == k else None

    out = p.source_iter([(1, "2"), (1, "hello"), (2, "2")]).into_keyed().filter_map_with_key(
        parse_if_key)
    assert collect(flow, out.entries().sim_output()) == [(2, 2)]


def test_inspect_with_key_doc():
    """hydro_lang keyed_stream/mod.rs ``inspect_with_key`` doc-test: the entries pass through
    unchanged (``[(1, 2), (1, 3), (2, 4)]``) and the function sees each ``(k, v)``."""
    flow = FlowBuilder()
    p = flow.process("p")
    seen: list = []
    out = p.source_iter([(1, 2), (1, 3), (2, 4)]).into_keyed().inspect_with_key(seen.append)
    assert collect(flow, out.entries().sim_output()) == [(1, 2), (1, 3), (2, 4)]
    assert seen == [(1, 2), (1, 3), (2, 4)]


def test_drop_key_prefix_doc():
    """hydro_lang keyed_stream/mod.rs ``drop_key_prefix`` doc-test: ``[((1, 10), 2), ((1, 10), 3),
    ((2, 20), 4)]`` gives ``{10: [2, 3], 20: [4]}``, NoOrder within each group."""
    flow = FlowBuilder()
    p = flow.process("p")
    out = p.source_iter([((1, 10), 2), ((1, 10), 3), ((2, 20), 4)]).into_keyed().drop_key_prefix()
    assert out.order is Order.NO_ORDER
    assert collect(flow, out.entries().sim_output()) == [(10, 2), (10, 3), (20, 4)]


def test_prefix_key_adds_a_leading_component():
    """``prefix_key`` (the partitioning tutorial's counterpart of ``drop_key_prefix``, keyed
    stream ``KeyedStream<(K1, K2), V>``): by a function of the entry or by a Bounded singleton
    such as ``cluster.self_id()``; ``drop_key_prefix`` takes it off again."""
    flow = FlowBuilder()
    p = flow.process("p")
    ks = p.source_iter([("a", 1), ("b", 2), ("a", 3)]).into_keyed()
    by_parity = ks.prefix_key(lambda kv: kv[1] % 2)
    assert (by_parity.order, by_parity.retries) == (Order.TOTAL_ORDER, Retries.EXACTLY_ONCE)
    by_const = ks.prefix_key(p.singleton("x"))
    back = by_parity.drop_key_prefix()
    ports = [by_parity.entries().sim_output(), by_const.entries().sim_output(),
             back.entries().sim_output()]
    got: list = []
    flow.sim().run(lambda inst: got.extend(inst.connect(q).collect() for q in ports))
    assert got == [[((1, "a"), 1), ((0, "b"), 2), ((1, "a"), 3)],
                   [(("x", "a"), 1), (("x", "b"), 2), (("x", "a"), 3)],
                   [("a", 1), ("b", 2), ("a", 3)]]
    with pytest.raises(HydroTypeError, match="Bounded"):
        ks.prefix_key(p.source_iter([1]).batch(p.tick(), ND).all_ticks().count())


def test_keyed_enumerate_counts_per_key():
    """``KeyedStream::enumerate``: Hydro's ``Stream::enumerate`` rule (TotalOrder + ExactlyOnce,
    stream/mod.rs) applied within each group; indices count per key, and at the top level they
    keep counting across ticks (as a top-level ``Stream::enumerate`` does)."""
    flow = FlowBuilder()
    p = flow.process("p")
    inp, s = p.sim_input()
    numbered = s.into_keyed().enumerate()
    port = numbered.entries().sim_output()

    def body(inst):
        i, out = inst.connect(inp), inst.connect(port)
        i.send_many([("a", "x"), ("b", "y"), ("a", "z")])
        assert sorted(out.collect()) == [("a", (0, "x")), ("a", (1, "z")), ("b", (0, "y"))]
        i.send(("a", "w"))
        assert out.collect() == [("a", (2, "w"))]

    flow.sim().run(body)
    with pytest.raises(HydroTypeError, match="TotalOrder"):
        p.source_iter([("a", 1)]).into_keyed().weaken_ordering().enumerate()
    with pytest.raises(HydroTypeError, match="ExactlyOnce"):
        p.source_iter([("a", 1)]).into_keyed().weaken_retries().enumerate()


# -- divergence 1: join with a Bounded right side keeps the left order --------------------------

def test_join_doc():
    """hydro_lang stream/mod.rs ``join`` doc-test: ``[(1, 'a'), (2, 'b')]`` joined with
    ``[(1, 'x'), (2, 'y')]`` gives ``{(1, ('a', 'x')), (2, ('b', 'y'))}``."""
    flow = FlowBuilder()
    p = flow.process("p")
    joined = p.source_iter([(1, "a"), (2, "b")]).join(p.source_iter([(1, "x"), (2, "y")]))
    assert set(collect(flow, joined.sim_output())) == {(1, ("a", "x")), (2, ("b", "y"))}


def test_join_order_rule_at_build_time():
    """Issue 13, divergence 1 (Hydro's bounded-join type rules): with a Bounded right side the
    output keeps the left side's order, so order-sensitive operators Hydro accepts
    (``enumerate``, ``first``, ``fold`` without ``commutative``, ``for_each``) are accepted; an
    Unbounded right side still gives NoOrder and they are refused."""
    flow = FlowBuilder()
    p = flow.process("p")
    tick = p.tick()
    left = p.source_iter([("a", 1)]).batch(tick, ND).all_ticks()   # Unbounded, TotalOrder
    right_bounded = p.source_iter([("a", "x")])                      # Bounded
    kept = left.join(right_bounded)
    assert (kept.bound, kept.order, kept.retries) == \
        (Bound.UNBOUNDED, Order.TOTAL_ORDER, Retries.EXACTLY_ONCE)
    kept.enumerate()
    kept.first()
    kept.fold(lambda: "", lambda acc, kv: acc + kv[0])
    kept.for_each(lambda _: None)
    in_tick = left.batch(tick, ND).join(right_bounded.batch(tick, ND))
    assert in_tick.order is Order.TOTAL_ORDER
    unordered = right_bounded.join(left)                              # right side Unbounded
    assert unordered.order is Order.NO_ORDER
    with pytest.raises(HydroTypeError, match="NoOrder"):
        unordered.enumerate()
    assert left.weaken_ordering().join(right_bounded).order is Order.NO_ORDER


def _left_ordered_join(flow: FlowBuilder):
    p = flow.process("p")
    left = p.source_iter([("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)])
    right = p.source_iter([("a", "x"), ("b", "y"), ("a", "z")])
    return left.join(right).enumerate()


LEFT_ORDER = [(0, ("b", (1, "y"))), (1, ("a", (2, "x"))), (2, ("a", (2, "z"))),
              (3, ("b", (3, "y"))), (4, ("a", (5, "x"))), (5, ("a", (5, "z")))]


def test_join_keeps_left_order_at_run_time_in_the_simulator():
    """Issue 13, divergence 1 at run time: the join emits in the left side's order (each left
    element followed by its matches in the right side's order), in every execution."""
    flow = FlowBuilder()
    port = _left_ordered_join(flow).sim_output()
    outs: list = []
    count = flow.sim().exhaustive(lambda inst: outs.append(inst.connect(port).collect()))
    assert count == 1 and outs == [LEFT_ORDER]


def test_join_keeps_left_order_at_run_time_locally():
    """Issue 13, divergence 1 on the local backend: the same order as in the simulator."""
    flow = FlowBuilder()
    got: list = []
    _left_ordered_join(flow).dest_sink(got)
    with flow.deploy("local") as d:
        d.step(3)
    assert got == LEFT_ORDER


# -- divergence 5: KeyedSingleton values of any type ---------------------------------------------

def test_keyed_singleton_with_list_values():
    """Issue 13, divergence 5: a KeyedSingleton whose values are lists (Rust's ``Vec``) reads
    through ``entries()``, ``values()``, ``keys()``, ``into_keyed_stream()`` and after ``map``,
    at the top level (where each entry is passed once) and inside a tick."""
    flow = FlowBuilder()
    p = flow.process("p")
    ks = p.source_iter([("a", 1), ("a", 2), ("b", 3)]).into_keyed().fold(
        lambda: [], lambda acc, x: acc + [x])
    tick = p.tick()
    snap = ks.snapshot(tick, ND)
    ports = {
        "entries": ks.entries().sim_output(),
        "values": ks.values().sim_output(),
        "keys": ks.keys().sim_output(),
        "keyed": ks.into_keyed_stream().entries().sim_output(),
        "mapped": ks.map(lambda v: v + [0]).entries().sim_output(),
        "tick": snap.entries().all_ticks().sim_output(),
    }
    got: dict = {}
    flow.sim().run(lambda inst: got.update(
        {name: sorted(inst.connect(port).collect()) for name, port in ports.items()}))
    assert got == {
        "entries": [("a", [1, 2]), ("b", [3])],
        "values": [[1, 2], [3]],
        "keys": ["a", "b"],
        "keyed": [("a", [1, 2]), ("b", [3])],
        "mapped": [("a", [1, 2, 0]), ("b", [3, 0])],
        "tick": [("a", [1, 2]), ("b", [3])],
    }


def test_keyed_singleton_list_values_not_repeated_across_ticks():
    """Issue 13, divergence 5: ``first()`` of a growing keyed stream (Hydro's ``BoundedValue``)
    with list values: ``entries()``, ``values()`` and ``keys()`` pass each key's entry once, in
    the tick its value appears, however many ticks follow."""
    flow = FlowBuilder()
    p = flow.process("p")
    inp, s = p.sim_input()
    firsts = s.into_keyed().first()
    ports = [firsts.entries().sim_output(), firsts.values().sim_output(),
             firsts.keys().sim_output()]

    def body(inst):
        i = inst.connect(inp)
        outs = [inst.connect(q) for q in ports]
        i.send(("a", [1]))
        assert [o.collect() for o in outs] == [[("a", [1])], [[1]], ["a"]]
        i.send_many([("b", [2]), ("a", [3])])
        assert [o.collect() for o in outs] == [[("b", [2])], [[2]], ["b"]]

    flow.sim().run(body)


# -- error hints ----------------------------------------------------------------------------------

def test_error_hints_name_the_hydro_lab_spelling():
    """Issue 13, error hints: a Hydro name hydro_lab spells differently raises an AttributeError
    that names the hydro_lab spelling; an unknown name keeps Python's plain message."""
    flow = FlowBuilder()
    p, c = flow.process("p"), flow.cluster("c")
    s = p.source_iter([1])
    cases = [
        (lambda: s.collect_vec, "Stream has no attribute 'collect_vec': hydro_lab spells "
                                "Hydro's collect_vec as collect_list()"),
        (lambda: c.CLUSTER_SELF_ID, "Cluster has no attribute 'CLUSTER_SELF_ID': hydro_lab "
                                    "spells Hydro's CLUSTER_SELF_ID as cluster.self_id()"),
        (lambda: MemberId.from_raw, "MemberId has no attribute 'from_raw': hydro_lab spells "
                                    "Hydro's from_raw as MemberId(cluster_name, raw_id)"),
        (lambda: MemberId("c", 0).from_raw, "hydro_lab spells Hydro's from_raw as MemberId("),
        (lambda: s.send_bytes, "hydro_lab spells Hydro's send_bytes as send(to, codec=...)"),
        (lambda: s.demux_bytes, "hydro_lab spells Hydro's demux_bytes as demux(...)"),
        (lambda: s.fold_commutative_idempotent,
         "Stream has no attribute 'fold_commutative_idempotent': hydro_lab spells Hydro's "
         "fold_commutative_idempotent as fold(init, f, commutative=\"why\", "
         "idempotent=\"why\")"),
        (lambda: s.into_keyed().reduce_watermark_idempotent,
         "hydro_lab spells Hydro's reduce_watermark_idempotent as reduce_watermark(watermark, "
         "f, idempotent=\"why\")"),
        (lambda: s.into_keyed().weakest_ordering,
         "KeyedStream has no attribute 'weakest_ordering': hydro_lab spells Hydro's "
         "weakest_ordering as weaken_ordering()"),
        (lambda: p.source_external_bytes, "Process has no attribute 'source_external_bytes'"),
        (lambda: p.tick().tick_batch, "Tick has no attribute 'tick_batch'"),
    ]
    for get, words in cases:
        with pytest.raises(AttributeError) as info:
            get()
        assert words in str(info.value), str(info.value)
    with pytest.raises(AttributeError) as info:
        s.no_such_operator
    assert str(info.value) == "Stream has no attribute 'no_such_operator'"
    assert not hasattr(s, "_repr_html_")


def test_error_hint_on_import():
    """Issue 13, error hints: ``from hydro_lab import CLUSTER_SELF_ID`` (Hydro's prelude name)
    says what to write instead."""
    with pytest.raises(ImportError, match=r"cluster\.self_id\(\)"):
        from hydro_lab import CLUSTER_SELF_ID  # noqa: F401
    import hydro_lab

    assert not hasattr(hydro_lab, "no_such_name")
