"""Conformance: Hydro's ``source_stream`` and ``sliced!``, ported from hydro-project/hydro.

``Location::source_stream`` is in ``hydro_lang/src/location/mod.rs`` (its doc-test and its
signature: ``Stream<T, Self, Unbounded, TotalOrder, ExactlyOnce>``); ``sliced!`` and its tests
in ``hydro_lang/src/live_collections/sliced/mod.rs`` and ``sliced/style.rs``.
"""

from __future__ import annotations

import time

import pytest

from hydro_lab import (
    Bound,
    FlowBuilder,
    HydroTypeError,
    Order,
    Retries,
    nondet,
    sliced,
    use,
)

ND = nondet("test")


def recv_all(client, n, timeout=10.0):
    return [client.recv(timeout=timeout) for _ in range(n)]


def test_source_stream_doc_example_yields_the_streams_items_in_order():
    """location/mod.rs, ``Location::source_stream`` doc-test:
    ``process.source_stream(q!(futures::stream::iter(vec![1, 2, 3])))`` yields 1, 2, 3 (an
    async stream: here an async generator), as an Unbounded TotalOrder ExactlyOnce Stream."""

    async def items():
        for x in [1, 2, 3]:
            yield x

    flow = FlowBuilder()
    process, ext = flow.process("process"), flow.external("test")
    stream = process.source_stream(items())
    assert type(stream).__name__ == "Stream"
    assert (stream.bound, stream.order, stream.retries) == \
        (Bound.UNBOUNDED, Order.TOTAL_ORDER, Retries.EXACTLY_ONCE)
    port = stream.send_external(ext)
    with flow.deploy("local") as d:
        assert recv_all(d.connect(port), 3) == [1, 2, 3]


def test_source_stream_of_a_plain_iterator_like_source_iter_but_unbounded():
    """location/mod.rs: ``source_stream`` is the Unbounded counterpart of ``source_iter``
    (whose doc-test yields 1, 2, 3, 4): the same items, in order, from a live source."""
    flow = FlowBuilder()
    process, ext = flow.process("process"), flow.external("test")
    bounded = process.source_iter([1, 2, 3, 4])
    live = process.source_stream(lambda: iter([1, 2, 3, 4]))
    assert bounded.bound is Bound.BOUNDED and live.bound is Bound.UNBOUNDED
    port = live.send_external(ext)
    with flow.deploy("local") as d:
        assert recv_all(d.connect(port), 4) == [1, 2, 3, 4]


def test_sliced_requires_a_use_to_determine_the_tick():
    """sliced/mod.rs, ``__sliced_parse_uses__`` terminal case without uses:
    ``compile_error!("sliced! requires at least one `let name = use(...)` statement to determine
    the tick")``."""
    flow = FlowBuilder()
    flow.process("node")
    with pytest.raises(HydroTypeError) as info:
        sliced(lambda counter: counter.into_stream(),
               counter=use.state(lambda tick: tick.singleton(0)))
    assert "sliced: at least one use(collection, nondet(...)) is needed: it decides the tick" \
        in str(info.value)
    assert "test_sources.py" in str(info.value)


def test_sliced_atomic_uses_of_different_ticks_are_refused():
    """sliced/mod.rs, ``Slicable::preferred_tick`` for tuples: two atomic uses with different
    ticks ``panic!("Mismatched preferred ticks for sliced collections")``."""
    flow = FlowBuilder()
    node = flow.process("node")
    _, a = node.sim_input()
    _, b = node.sim_input()
    a_atomic, b_atomic = a.atomic(node.tick()), b.atomic(node.tick())
    with pytest.raises(HydroTypeError, match="sliced: the atomic uses are in different ticks"):
        sliced(lambda a, b: a.chain(b), a=use.atomic(a_atomic, ND), b=use.atomic(b_atomic, ND))


def test_sliced_results_leave_through_all_ticks_and_latest():
    """sliced/mod.rs, ``Unslicable``: a bounded Stream / KeyedStream in the tick leaves through
    ``all_ticks()`` (Unbounded, same order and retries), a Singleton / Optional through
    ``latest()``; a tuple of results unslices each."""
    flow = FlowBuilder()
    node = flow.process("node")
    _, requests = node.sim_input()
    count = node.source_iter([1, 2]).count()
    stream, value = sliced(lambda r, c: (r.map(lambda x: x + 1), c),
                           r=use(requests, ND), c=use(count, ND))
    assert type(stream).__name__ == "Stream" and stream.bound is Bound.UNBOUNDED
    assert stream.order is Order.TOTAL_ORDER and stream.location == node
    assert value.location == node and value.bound is Bound.UNBOUNDED
    assert type(value).__name__ in ("Singleton", "Optional")
    keyed = sliced(lambda r: r.map(lambda x: (x, 1)).into_keyed(), r=use.batch(requests, ND))
    assert type(keyed).__name__ == "KeyedStream" and keyed.location == node


def test_sliced_default_style_batches_streams_and_snapshots_singletons():
    """sliced/style.rs, ``Default`` style: ``Stream``/``KeyedStream`` are ``batch``ed,
    ``Singleton``/``Optional`` ``snapshot``ted, into the same new tick at the first use's
    location."""
    flow = FlowBuilder()
    node = flow.process("node")
    _, requests = node.sim_input()
    total = requests.fold(lambda: 0, lambda acc, x: acc + x)
    seen = {}

    def body(batch, snap):
        seen.update(batch=batch, snap=snap)
        return batch.cross_singleton(snap)

    sliced(body, batch=use(requests, ND), snap=use(total, ND))
    assert seen["batch"].bound is Bound.BOUNDED and type(seen["batch"]).__name__ == "Stream"
    assert type(seen["snap"]).__name__ == "Singleton" and seen["snap"].bound is Bound.BOUNDED
    assert seen["batch"].location == seen["snap"].location  # one tick
    assert seen["batch"].location.outer == node


def test_sim_state_counter():
    """sliced/mod.rs, ``sim_state_counter``: ``use::state(|l| l.singleton(q!(0)))`` incremented
    by each batch's count; after sending 1 three times the outputs are 1, 2, 3 (exhaustive)."""
    flow = FlowBuilder()
    node = flow.process("node")
    port, inp = node.sim_input()

    def body(batch, counter):
        new_count = counter.zip(batch.count()).map(lambda p: p[0] + p[1])
        return new_count.into_stream(), {"counter": new_count}

    out = sliced(body, batch=use(inp, ND),
                 counter=use.state(lambda tick: tick.singleton(0))).sim_output()

    def test(inst):
        send, recv = inst.connect(port), inst.connect(out)
        send.send(1)
        assert recv.recv() == 1
        send.send(1)
        assert recv.recv() == 2
        send.send(1)
        assert recv.recv() == 3

    flow.sim().exhaustive(test)


def test_sim_state_null_optional():
    """sliced/mod.rs, ``sim_state_null_optional``: ``use::state_null::<Optional<..>>()`` holds
    the previous batch's first value; outputs -1 (none yet), 10, 20 after sending 10, 20, 30."""
    flow = FlowBuilder()
    node = flow.process("node")
    port, inp = node.sim_input()

    def body(batch, prev):
        output = prev.unwrap_or(prev.location.singleton(-1))
        return output.into_stream(), {"prev": batch.first()}

    out = sliced(body, batch=use(inp, ND), prev=use.state_null("Optional")).sim_output()

    def test(inst):
        send, recv = inst.connect(port), inst.connect(out)
        send.send(10)
        assert recv.recv() == -1
        send.send(20)
        assert recv.recv() == 10
        send.send(30)
        assert recv.recv() == 20

    flow.sim().exhaustive(test)


def test_state_counter_and_state_null_when_every_batch_holds_one_item():
    """The two tests above (sliced/mod.rs ``sim_state_counter``, ``sim_state_null_optional``)
    on a local deployment, one input per tick: the counter gives 1, 2, 3 and the previous-value
    state -1, 10, 20 after the first (empty) tick, which a deployment runs at start."""
    flow = FlowBuilder()
    node, ext = flow.process("node"), flow.external("test")
    in_port, inp = node.source_external(ext)

    def counter_body(batch, counter):
        new_count = counter.zip(batch.count()).map(lambda p: p[0] + p[1])
        return new_count.into_stream(), {"counter": new_count}

    def prev_body(batch, prev):
        output = prev.unwrap_or(prev.location.singleton(-1))
        return output.into_stream(), {"prev": batch.first()}

    counts = sliced(counter_body, batch=use(inp, ND),
                    counter=use.state(lambda tick: tick.singleton(0))).send_external(ext)
    prevs = sliced(prev_body, batch=use(inp, ND),
                   prev=use.state_null("Optional")).send_external(ext)
    d = flow.deploy("local")
    send, c, p = d.connect(in_port), d.connect(counts), d.connect(prevs)
    d.step()  # the first tick: empty batches
    assert (c.recv(timeout=1), p.recv(timeout=1)) == (0, -1)
    for x, want_count, want_prev in [(10, 1, -1), (20, 2, 10), (30, 3, 20)]:
        send.send(x)
        d.step()
        assert (c.recv(timeout=1), p.recv(timeout=1)) == (want_count, want_prev)
    d.stop()


def test_sim_sliced_atomic_keyed_stream():
    """sliced/mod.rs, ``sim_sliced_atomic_keyed_stream``: an atomic keyed input and its
    per-key running sum, both ``use::atomic`` in one slice, joined: each input reads the sum
    including itself: (1, 1), (1, 3), (2, 1), (1, 6) (exhaustive)."""
    flow = FlowBuilder()
    node = flow.process("node")
    port, inp = node.sim_input()
    tick = node.tick()
    atomic_keyed_input = inp.into_keyed().atomic(tick)
    accumulated_inputs = atomic_keyed_input.assume_ordering(ND) \
        .fold(lambda: 0, lambda curr, new: curr + new)
    out = sliced(
        lambda atomic_keyed_input, accumulated_inputs: accumulated_inputs
        .join_keyed_stream(atomic_keyed_input).map(lambda p: p[0]).entries(),
        atomic_keyed_input=use.atomic(atomic_keyed_input, ND),
        accumulated_inputs=use.atomic(accumulated_inputs, ND),
    ).assume_ordering(ND).sim_output()

    def test(inst):
        send, recv = inst.connect(port), inst.connect(out)
        send.send((1, 1))
        assert recv.recv() == (1, 1)
        send.send((1, 2))
        assert recv.recv() == (1, 3)
        send.send((2, 1))
        assert recv.recv() == (2, 1)
        send.send((1, 3))
        assert recv.recv() == (1, 6)

    assert flow.sim().exhaustive(test) > 0


def test_fuzzed_batching_program_sliced_sums_each_batch():
    """sim/tests/mod.rs, ``fuzzed_batching_program_sliced``: ``use(input)`` folded per slice
    into a stream of batch sums; the sums of all batches add up to the sum of the inputs, and
    every input lands in exactly one batch (checked over every batching of three inputs)."""
    flow = FlowBuilder()
    node = flow.process("node")
    port, inp = node.sim_input()
    out = sliced(lambda batch: batch.fold(lambda: 0, lambda acc, v: acc + v).into_stream(),
                 batch=use(inp, ND)).sim_output()
    batchings = set()

    def test(inst):
        inst.connect(port).send_many([456, 100, 23])
        sums = [s for s in inst.connect(out).collect() if s]
        assert sum(sums) == 579
        batchings.add(tuple(sums))

    flow.sim().exhaustive(test)
    assert {(579,), (456, 123), (556, 23), (456, 100, 23)} <= batchings


def test_sliced_body_errors_point_at_the_users_line():
    """What ``sliced!`` refuses at compile time in Rust, told at the user's line: a use of a
    collection inside a tick, a result outside the slice, a state it does not declare."""
    flow = FlowBuilder()
    node = flow.process("node")
    _, inp = node.sim_input()
    tick = node.tick()
    in_tick = inp.batch(tick, ND)
    with pytest.raises(HydroTypeError, match=r"sliced: use\(x\) expects a top-level collection"):
        sliced(lambda x: x, x=use(in_tick, ND))
    with pytest.raises(HydroTypeError, match=r"sliced: the body returned a Stream at process "
                       r"node, not in the slice's tick"):
        sliced(lambda x: inp, x=use(inp, ND))
    with pytest.raises(HydroTypeError, match=r"sliced: the body gave a next value to \['nope'\]"):
        sliced(lambda x, s: (x, {"nope": s}), x=use(inp, ND),
               s=use.state(lambda t: t.singleton(0)))
    with pytest.raises(HydroTypeError, match=r"sliced: use.batch\(x\) batches a stream, but x "
                       r"is a Singleton"):
        sliced(lambda x: x, x=use.batch(inp.count(), ND))
    with pytest.raises(HydroTypeError, match=r"sliced: use.snapshot\(x\) snapshots a value, but "
                       r"x is a Stream"):
        sliced(lambda x: x, x=use.snapshot(inp, ND))
    with pytest.raises(HydroTypeError, match=r"sliced: use.atomic\(x\) expects a collection in "
                       r"an atomic region, but it lives at process node"):
        sliced(lambda x: x, x=use.atomic(inp, ND))
    with pytest.raises(HydroTypeError, match=r"sliced: a KeyedSingleton cannot leave a slice"):
        sliced(lambda x: x.map(lambda v: (v, v)).into_keyed().reduce(lambda a, b: b),
               x=use(inp, ND))


def test_sliced_nondet_is_required():
    """style.rs: every use carries a ``NonDet`` (batching and snapshots are non-deterministic);
    a use without ``nondet(...)`` is refused as ``batch``/``snapshot`` are."""
    flow = FlowBuilder()
    node = flow.process("node")
    _, inp = node.sim_input()
    nodes = dict(flow._ctx.graph.nodes)
    with pytest.raises(HydroTypeError, match="nondet") as info:
        sliced(lambda x: x.all_ticks(), y=use(inp, ND),
               x=use(inp))  # the line the error names
    assert "# the line the error names" in str(info.value)
    assert dict(flow._ctx.graph.nodes) == nodes  # a refused slice leaves the flow unchanged


def test_live_source_feeds_a_slice():
    """A live source (``source_stream``) sliced with a snapshot of its own running count: the
    live metrics pattern (issue 14), on a local deployment."""
    flow = FlowBuilder()
    node, ext = flow.process("node"), flow.external("test")
    events = node.source_stream(lambda: iter(range(1, 101)))
    seen = events.count()
    port = sliced(lambda batch, n: batch.cross_singleton(n).filter(lambda p: p[0] == 100),
                  batch=use(events, ND), n=use(seen, ND)).send_external(ext)
    with flow.deploy("local") as d:
        client = d.connect(port)
        deadline = time.monotonic() + 5
        got = client.recv(timeout=max(0.1, deadline - time.monotonic()))
    assert got[0] == 100 and 1 <= got[1] <= 100


def _atomic_read_flow(atomic: bool):
    flow = FlowBuilder()
    node = flow.process("node")
    write_port, write_req = node.sim_input()
    read_port, read_req = node.sim_input()
    if atomic:
        tick = node.tick()
        atomic_write = write_req.atomic(tick)
        current_state = atomic_write.fold(lambda: 0, lambda state, v: state + v)
        ack = atomic_write.end_atomic().sim_output()
        read = use.atomic(current_state, ND)
    else:
        current_state = write_req.fold(lambda: 0, lambda state, v: state + v)
        ack = write_req.sim_output()
        read = use(current_state, ND)
    response = sliced(lambda batch_of_req, latest: batch_of_req.cross_singleton(latest),
                      batch_of_req=use(read_req, ND), latest=read).sim_output()
    return flow, write_port, read_port, ack, response


def test_sim_atomic_stream():
    """location/tick.rs, ``sim_atomic_stream`` (first half): a write acknowledged through
    ``end_atomic`` is seen by a later read through ``use::atomic``: 1 execution."""
    flow, write_port, read_port, ack, response = _atomic_read_flow(atomic=True)

    def read_after_write(inst):
        inst.connect(write_port).send(1)
        inst.connect(ack).assert_yields([1])
        inst.connect(read_port).send(())
        _, v = inst.connect(response).next()
        assert v >= 1

    assert flow.sim().exhaustive(read_after_write) == 1


def test_sim_atomic_stream_read_before_write():
    """location/tick.rs, ``sim_atomic_stream`` (second half): the read sent before the
    acknowledgement: 3 executions (read before write, write before read, both in one tick)."""
    flow, write_port, read_port, ack, response = _atomic_read_flow(atomic=True)

    def read_before_write(inst):
        inst.connect(write_port).send(1)
        inst.connect(read_port).send(())
        inst.connect(ack).assert_yields([1])
        inst.connect(response).next()

    assert flow.sim().exhaustive(read_before_write) == 3


def test_sim_non_atomic_stream():
    """location/tick.rs, ``sim_non_atomic_stream`` (``#[should_panic]``): without atomicity a
    read after an acknowledged write can see the old state, and the exhaustive simulation finds
    that execution."""
    flow, write_port, read_port, ack, response = _atomic_read_flow(atomic=False)

    def read_after_write(inst):
        inst.connect(write_port).send(1)
        inst.connect(ack).assert_yields([1])
        inst.connect(read_port).send(())
        got = inst.connect(response).next()
        if got is not None:
            assert got[1] == 1

    with pytest.raises(AssertionError):
        flow.sim().exhaustive(read_after_write)
