"""Bad inputs: every rule violation is refused when the operator is called, with a HydroTypeError
(a TypeError) naming the operator, the guarantee or rule, the fix and the user's line, and
leaving the flow exactly as it was."""

from __future__ import annotations

import os
import traceback

import pytest

from hydro_lab import FlowBuilder, HydroTypeError, MemberId, Order, nondet

HERE = os.path.basename(__file__)


def refused(flow, action, *words, line_hint=True):
    """Run ``action``; check the error and that the flow's IR did not change."""
    before = flow.ir()
    with pytest.raises(HydroTypeError) as info:
        action()
    err = info.value
    msg = str(err)
    assert isinstance(err, TypeError)
    for word in words:
        assert word in msg, f"{word!r} not in message:\n{msg}"
    assert "Fix:" in msg, msg
    if line_hint:
        assert f"{HERE}, line" in msg, f"no user line in:\n{msg}"
    internal = [f for f in traceback.extract_tb(err.__traceback__)
                if f"{os.sep}hydro_lab{os.sep}" in f.filename]
    assert len(internal) <= 1, "the traceback should stop at the operator call"
    after = flow.ir()
    assert list(after.nodes) == list(before.nodes), "a refused call must not leave nodes behind"
    assert after.locations == before.locations
    assert after.cycles == before.cycles and after.ports == before.ports
    return err


ND = nondet("test")


# --- the aggregation rule -----------------------------------------------------------------------

def test_fold_on_no_order_needs_commutative(world):
    e = refused(world.flow, lambda: world.s_no.fold(lambda: 0, lambda a, x: a + x),
                "fold", "NoOrder", "commutative", 'commutative="')
    assert e.op == "fold"


def test_the_fix_says_a_claim_must_be_true_and_how_to_check_it(world):
    """A reason is the user's word: the fix asks for a true one and names the simulator's
    check (a wrong claim, e.g. subtraction, is not caught when the flow is built)."""
    e = refused(world.flow, lambda: world.s_no.reduce(lambda a, b: a - b),
                "does not care about the order", "make sure it is true",
                "flow.sim(..., check_claims=True)")
    assert "Fix: say why the combine function does not care about the order, and make " \
        "sure it is true" in str(e)
    s = world.s_no.weaken_retries()
    refused(world.flow, lambda: s.fold(lambda: 0, lambda a, x: a + x),
            "does not care about the order or duplicates", "check_claims=True")


def test_reduce_on_at_least_once_needs_idempotent(world):
    refused(world.flow, lambda: world.s_alo.reduce(lambda a, b: a + b),
            "reduce", "AtLeastOnce", "idempotent", ".unique()")


def test_fold_on_no_order_and_retries_needs_both(world):
    s = world.s_no.weaken_retries()
    refused(world.flow, lambda: s.fold(lambda: 0, lambda a, x: a + x),
            "NoOrder and AtLeastOnce", "commutative and idempotent")
    refused(world.flow, lambda: s.fold(lambda: 0, lambda a, x: a + x, commutative="sum"),
            "AtLeastOnce", "idempotent", 'idempotent="why"')


def test_commutative_must_be_a_reason_string(world):
    refused(world.flow, lambda: world.s_no.fold(lambda: 0, max, commutative=True),
            "commutative=", "non-empty string")


def test_commutative_reason_cannot_be_blank(world):
    refused(world.flow, lambda: world.s_no.reduce(max, commutative="   "),
            "commutative=", "non-empty string")


def test_keyed_fold_applies_rule_per_key(world):
    unordered = world.ks_u.weaken_ordering()
    refused(world.flow, lambda: unordered.fold(lambda: 0, lambda a, v: a + v),
            "fold", "NoOrder", "commutative")


def test_reduce_commutative_alias_still_checks_retries(world):
    merged = world.s_alo.weaken_ordering()
    refused(world.flow, lambda: merged.reduce_commutative(max), "reduce", "idempotent")


# --- order and retries sensitive operators -------------------------------------------------------

def test_enumerate_needs_total_order(world):
    refused(world.flow, lambda: world.s_no.enumerate(), "enumerate", "NoOrder", "TotalOrder")


def test_enumerate_needs_exactly_once(world):
    refused(world.flow, lambda: world.s_alo.enumerate(), "enumerate", "ExactlyOnce")


def test_count_needs_exactly_once(world):
    refused(world.flow, lambda: world.s_alo.count(), "count", "AtLeastOnce", "unique()")


def test_first_needs_total_order(world):
    refused(world.flow, lambda: world.s_no.first(), "first", "TotalOrder", "sort()")


def test_for_each_needs_total_order(world):
    refused(world.flow, lambda: world.s_no.for_each(print), "for_each", "NoOrder",
            "assume_ordering")


def test_collect_list_needs_exactly_once(world):
    refused(world.flow, lambda: world.s_alo.collect_list(), "collect_list", "ExactlyOnce")


def test_scan_needs_total_order(world):
    refused(world.flow, lambda: world.s_no.scan(lambda: 0, lambda a, x: (a, x)), "scan",
            "TotalOrder")


def test_keyed_value_counts_needs_exactly_once(world):
    retried = world.ks_u.weaken_retries()
    refused(world.flow, lambda: retried.value_counts(), "value_counts", "ExactlyOnce")


def test_round_robin_needs_total_order(world):
    refused(world.flow, lambda: world.s_no.round_robin(world.c, ND), "round_robin", "TotalOrder")


def test_merge_ordered_needs_both_sides_ordered(world):
    refused(world.flow, lambda: world.s_u.merge_ordered(world.s_no, ND), "merge_ordered",
            "NoOrder", "interleave")


# --- boundedness ----------------------------------------------------------------------------------

def test_chain_needs_a_bounded_first_stream(world):
    refused(world.flow, lambda: world.s_u.chain(world.s_b), "chain", "Unbounded", "interleave")


def test_sort_needs_bounded_input(world):
    refused(world.flow, lambda: world.s_u.sort(), "sort", "Unbounded", "batch(tick")


def test_cross_singleton_needs_a_bounded_singleton(world):
    refused(world.flow, lambda: world.s_u.cross_singleton(world.sing_u), "cross_singleton",
            "Unbounded", "snapshot")


def test_keyed_chain_needs_both_bounded(world):
    top = world.t_pairs.into_keyed().all_ticks()
    refused(world.flow, lambda: top.chain(world.ks_u), "chain", "Bounded")


def test_into_stream_needs_bounded(world):
    refused(world.flow, lambda: world.sing_u.into_stream(), "into_stream", "snapshot")


def test_zip_needs_bounded(world):
    refused(world.flow, lambda: world.sing_u.zip(world.sing_b), "zip", "Unbounded")


def test_singleton_flat_map_needs_bounded(world):
    refused(world.flow, lambda: world.sing_u.flat_map_ordered(range), "flat_map_ordered",
            "Bounded")


def test_keyed_singleton_entries_need_fixed_values(world):
    refused(world.flow, lambda: world.ksing_u.entries(), "entries", "keep changing",
            ".snapshot(tick")


def test_keyed_singleton_get_needs_bounded(world):
    refused(world.flow, lambda: world.ksing_u.get("k"), "get", "Unbounded", ".snapshot(tick")


def test_keyed_singleton_batch_needs_fixed_values(world):
    refused(world.flow, lambda: world.ksing_u.batch(world.tp, ND), "batch", "values change",
            "snapshot")


# --- nondet ---------------------------------------------------------------------------------------

def test_batch_needs_nondet(world):
    refused(world.flow, lambda: world.s_u.batch(world.tp), "batch", "non-deterministic",
            'nondet("', "batch boundaries")


def test_nondet_must_be_a_token_not_a_string(world):
    refused(world.flow, lambda: world.s_u.batch(world.tp, "timing"), "nondet('timing')",
            "token")


def test_nondet_reason_cannot_be_empty():
    with pytest.raises(HydroTypeError) as info:
        nondet("")
    assert "non-empty string" in str(info.value) and f"{HERE}, line" in str(info.value)


def test_nondet_reason_must_be_a_string():
    with pytest.raises(HydroTypeError, match="non-empty string"):
        nondet(None)


def test_broadcast_needs_nondet(world):
    refused(world.flow, lambda: world.s_u.broadcast(world.c), "broadcast", "nondet(",
            "join or leave")


def test_snapshot_needs_nondet(world):
    refused(world.flow, lambda: world.sing_u.snapshot(world.tp), "snapshot", "nondet(")


def test_sample_every_needs_nondet(world):
    refused(world.flow, lambda: world.sing_u.sample_every(1.0), "sample_every", "real time")


def test_assume_ordering_needs_nondet(world):
    refused(world.flow, lambda: world.s_no.assume_ordering(), "assume_ordering", "nondet(")


def test_source_interval_needs_nondet(world):
    refused(world.flow, lambda: world.p.source_interval(1.0), "source_interval", "nondet(")


# --- closures -------------------------------------------------------------------------------------

def test_map_needs_a_function(world):
    refused(world.flow, lambda: world.s_u.map(5), "map", "must be a function", "lambda")


def test_fold_init_takes_no_arguments(world):
    refused(world.flow, lambda: world.s_u.fold(lambda x: 0, lambda a, x: a), "fold", "init",
            "no arguments")


def test_fold_combine_takes_two_arguments(world):
    refused(world.flow, lambda: world.s_u.fold(lambda: 0, lambda a: a), "fold",
            "2 arguments", "lambda a: a")


# --- locations ------------------------------------------------------------------------------------

def test_join_across_locations_needs_a_send(world):
    other = world.q.source_iter([("a", 1)])
    refused(world.flow, lambda: world.pairs_b.join(other), "join", "process q", "process p",
            ".send(")


def test_chain_across_ticks_is_refused(world):
    other_tick = world.p.tick()
    later = world.s_u.batch(other_tick, ND)
    refused(world.flow, lambda: world.t_s.chain(later), "chain", "same tick")


def test_mixing_tick_and_top_level_is_refused(world):
    refused(world.flow, lambda: world.t_s.cross_product(world.s_b), "cross_product", "inside",
            ".batch(tick")


def test_operands_from_another_flow_are_refused(world):
    other = FlowBuilder("other").process("p").source_iter([1])
    refused(world.flow, lambda: world.s_b.chain(other), "chain", "different FlowBuilder")


def test_operand_of_wrong_kind(world):
    refused(world.flow, lambda: world.s_u.join(world.sing_b), "join", "must be a Stream",
            "into_stream")


def test_signal_must_be_an_optional(world):
    refused(world.flow, lambda: world.t_s.filter_if_some(world.t_s), "filter_if_some",
            "Optional or Singleton")


def test_all_ticks_outside_a_tick(world):
    refused(world.flow, lambda: world.s_u.all_ticks(), "all_ticks", "inside a tick")


def test_defer_tick_outside_a_tick(world):
    refused(world.flow, lambda: world.sing_b.defer_tick(), "defer_tick", "inside a tick")


def test_batch_of_a_tick_collection(world):
    refused(world.flow, lambda: world.t_s.batch(world.tp, ND), "batch", "already inside")


def test_batch_into_a_tick_of_another_location(world):
    refused(world.flow, lambda: world.s_u.batch(world.tc, ND), "batch", "cluster c",
            "process p")


def test_batch_needs_a_tick(world):
    refused(world.flow, lambda: world.s_u.batch(world.p, ND), "batch", "expects a Tick",
            "loc.tick()")


def test_interleave_inside_a_tick(world):
    refused(world.flow, lambda: world.t_s.interleave(world.t_s), "interleave", ".chain(")


def test_sample_every_inside_a_tick(world):
    refused(world.flow, lambda: world.t_sing.sample_every(1.0, ND), "sample_every",
            "top-level")


def test_atomic_collection_enters_only_its_tick(world):
    a = world.s_u.atomic(world.tp)
    other = world.p.tick()
    refused(world.flow, lambda: a.batch(other, ND), "batch", "its own tick")


def test_end_atomic_outside_an_atomic_region(world):
    refused(world.flow, lambda: world.s_u.end_atomic(), "end_atomic", "not in an atomic region")


def test_ticks_do_not_nest(world):
    refused(world.flow, lambda: world.tp.tick(), "tick", "do not nest", "outer.tick()")


def test_external_has_no_collections(world):
    refused(world.flow, lambda: world.ext.source_iter([1]), "External 'client'",
            "send_external", line_hint=False)


def test_duplicate_location_name(world):
    refused(world.flow, lambda: world.flow.process("p"), "already has a location named 'p'")


def test_location_name_must_be_an_identifier(world):
    refused(world.flow, lambda: world.flow.cluster("my workers"), "identifier")


def test_self_id_is_only_on_clusters(world):
    with pytest.raises(AttributeError):
        world.p.self_id()


# --- networking -----------------------------------------------------------------------------------

def test_send_to_a_cluster_must_choose_how(world):
    refused(world.flow, lambda: world.s_u.send(world.c), "send", "broadcast", "demux",
            "round_robin")


def test_send_to_an_external_uses_a_port(world):
    refused(world.flow, lambda: world.s_u.send(world.ext), "send", "send_external",
            "d.connect(port)")


def test_send_from_inside_a_tick(world):
    refused(world.flow, lambda: world.t_s.send(world.q), "send", "all_ticks")


def test_demux_with_member_ids_of_another_cluster(world):
    ids = world.c_s.send(world.p)  # keyed by MemberIds of cluster c
    refused(world.flow, lambda: ids.demux(world.d), "demux", "'c'", "'d'",
            "identifiers across clusters")


def test_unknown_codec(world):
    refused(world.flow, lambda: world.s_u.send(world.q, codec="protobuf"), "unknown codec",
            "'pickle'", "encode(obj)")


def test_codec_object_needs_decode(world):
    class Half:
        def encode(self, obj):
            return b""

    refused(world.flow, lambda: world.s_u.send(world.q, codec=Half()), "no decode method")


def test_external_ports_attach_to_processes(world):
    refused(world.flow, lambda: world.c.source_external(world.ext), "attach to a process")


def test_send_external_from_a_cluster(world):
    refused(world.flow, lambda: world.c_s.send_external(world.ext), "attach to a process")


def test_channel_name_must_be_a_string(world):
    refused(world.flow, lambda: world.s_u.send(world.q, name=""), "name=", "non-empty")


# --- cycles ---------------------------------------------------------------------------------------

def test_forward_ref_completed_twice(world):
    handle, s = world.p.forward_ref()
    handle.complete(world.s_u)
    refused(world.flow, lambda: handle.complete(world.s_u), "already completed", "exactly once")


def test_forward_ref_completed_with_another_kind(world):
    handle, _ = world.p.forward_ref()
    refused(world.flow, lambda: handle.complete(world.sing_u), "declared as a Stream",
            "Singleton")


def test_forward_ref_completed_with_weaker_order(world):
    handle, _ = world.p.forward_ref()
    refused(world.flow, lambda: handle.complete(world.s_no), "declared TotalOrder", "NoOrder",
            "order=Order.NO_ORDER")


def test_forward_ref_completed_at_another_location(world):
    handle, _ = world.q.forward_ref()
    refused(world.flow, lambda: handle.complete(world.s_u), "process q", "process p")


def test_forward_ref_unknown_kind(world):
    refused(world.flow, lambda: world.p.forward_ref("banana"), "unknown collection kind")


def test_forward_ref_order_must_be_an_enum(world):
    refused(world.flow, lambda: world.p.forward_ref(order="TotalOrder"), "must be a Order",
            "Order.TOTAL_ORDER")


def test_tick_cycle_closes_with_complete_next_tick(world):
    handle, prev = world.tp.cycle()
    refused(world.flow, lambda: handle.complete(prev), "complete_next_tick")


def test_singleton_tick_cycle_needs_an_initial_value(world):
    refused(world.flow, lambda: world.tp.cycle("Singleton"), "tick 0", "cycle_with_initial")


def test_cycle_with_initial_takes_stream_or_singleton(world):
    refused(world.flow, lambda: world.tp.cycle_with_initial(world.t_opt), "Optional",
            "tick.cycle(")


# --- values and arguments -------------------------------------------------------------------------

def test_source_iter_refuses_one_shot_generators(world):
    refused(world.flow, lambda: world.p.source_iter(x for x in range(3)), "one-shot",
            "list(...)")


def test_source_iter_needs_an_iterable(world):
    refused(world.flow, lambda: world.p.source_iter(5), "expects an iterable")


def test_spin_batch_needs_a_positive_int(world):
    refused(world.flow, lambda: world.tp.spin_batch(0), "spin_batch", "positive int")


def test_interval_needs_positive_seconds(world):
    refused(world.flow, lambda: world.p.source_interval(-1, ND), "positive number of seconds")


def test_unwrap_or_needs_a_singleton_not_a_value(world):
    refused(world.flow, lambda: world.opt_u.unwrap_or(0), "must be a Singleton",
            "loc.singleton(value)")


def test_dest_sink_needs_a_sink(world):
    refused(world.flow, lambda: world.s_u.dest_sink(42), "dest_sink", "send, put or append")


def test_ir_node_named_needs_a_name(world):
    refused(world.flow, lambda: world.s_u.ir_node_named(""), "ir_node_named", "non-empty")


def test_reduce_watermark_needs_an_optional(world):
    refused(world.flow, lambda: world.ks_u.reduce_watermark(world.s_u, max), "watermark",
            "Optional or Singleton")


def test_bidi_replies_completed_twice(world):
    port, messages, events, replies = world.p.bidi_external(world.ext)
    replies.complete(messages)
    refused(world.flow, lambda: replies.complete(messages), "already completed")


def test_collections_have_no_truth_value(world):
    with pytest.raises(HydroTypeError, match="no truth value"):
        if world.s_u:
            pass


# --- checks at compile time -----------------------------------------------------------------------

def test_compile_refuses_an_uncompleted_forward_ref():
    flow = FlowBuilder()
    p = flow.process("p")
    _handle, s = p.forward_ref()
    s.for_each(print)
    with pytest.raises(HydroTypeError) as info:
        flow.compile()
    msg = str(info.value)
    assert "never completed" in msg and "handle.complete(" in msg and f"{HERE}, line" in msg


def test_a_top_level_cycle_without_a_tick_delay_compiles():
    """Top-level streams are asynchronous, so Hydro accepts a top-level forward_ref cycle
    (stream/mod.rs's sim_top_level_assume_ordering_cycle_back has one)."""
    flow = FlowBuilder()
    p = flow.process("p")
    handle, s = p.forward_ref()
    handle.complete(s.map(lambda x: x + 1))
    assert flow.compile().locations == ["p"]


def test_complete_refuses_a_cycle_inside_a_tick_without_a_tick_delay():
    flow = FlowBuilder()
    t = flow.process("p").tick()
    handle, s = t.forward_ref()
    plus_one = s.map(lambda x: x + 1)
    refused(flow, lambda: handle.complete(plus_one), "within the same tick",
            "handle.complete(c.defer_tick())")
    handle.complete(plus_one.defer_tick())  # the fix: it compiles
    assert flow.compile().locations == ["p"]


def test_order_enum_is_accepted(world):
    _, s = world.p.forward_ref(order=Order.NO_ORDER)
    assert s.order is Order.NO_ORDER and MemberId("c", 1).cluster == "c"
