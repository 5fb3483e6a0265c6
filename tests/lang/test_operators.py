"""Every operator's result: its kind, its location and its three guarantees.

Each row builds one collection from the ``world`` fixture and states what Hydro says the result
is: (kind, location, bound, order, retries). Locations: p/q processes, c/d clusters, tp/tc ticks
at p and c, 'ap' the atomic region of tp.
"""

from __future__ import annotations

import pytest

from hydro_lab import Bound, MemberId, Order, Retries, nondet
from hydro_lab.ir.locations import AtomicId, TickId

B, U = Bound.BOUNDED, Bound.UNBOUNDED
TO, NO = Order.TOTAL_ORDER, Order.NO_ORDER
EO, ALO = Retries.EXACTLY_ONCE, Retries.AT_LEAST_ONCE
ND = nondet("test")


def inc(x):
    return x + 1


def add(a, b):
    return a + b


CASES = [
    # --- sources ---
    ("source_iter", lambda w: w.p.source_iter([1, 2]), ("Stream", "p", B, TO, EO)),
    ("source_iter callable", lambda w: w.p.source_iter(lambda: range(3)), ("Stream", "p", B, TO, EO)),
    ("singleton", lambda w: w.p.singleton(1), ("Singleton", "p", B, TO, EO)),
    ("spin", lambda w: w.p.spin(), ("Stream", "p", U, TO, EO)),
    ("source_interval", lambda w: w.p.source_interval(1.0, ND), ("Stream", "p", U, TO, EO)),
    ("tick.spin_batch", lambda w: w.tc.spin_batch(8), ("Stream", "tc", B, TO, EO)),
    ("tick.singleton", lambda w: w.tp.singleton(1), ("Singleton", "tp", B, TO, EO)),
    ("tick.none", lambda w: w.tp.none(), ("Optional", "tp", B, TO, EO)),
    ("tick.optional_first_tick", lambda w: w.tp.optional_first_tick(1), ("Optional", "tp", B, TO, EO)),
    ("cluster.self_id", lambda w: w.c.self_id(), ("Singleton", "c", B, TO, EO)),
    ("cluster.members", lambda w: w.c.members(), ("KeyedStream", "c", U, TO, EO)),
    ("source_cluster_members", lambda w: w.p.source_cluster_members(w.c), ("KeyedStream", "p", U, TO, EO)),
    ("source_external", lambda w: w.p.source_external(w.ext)[1], ("Stream", "p", U, TO, EO)),
    ("source_external NoOrder", lambda w: w.p.source_external(w.ext, order=NO, retries=ALO)[1],
     ("Stream", "p", U, NO, ALO)),
    ("bidi_external messages", lambda w: w.p.bidi_external(w.ext).messages, ("KeyedStream", "p", U, TO, EO)),
    ("bidi_external events", lambda w: w.p.bidi_external(w.ext).events, ("KeyedStream", "p", U, TO, EO)),
    ("forward_ref", lambda w: w.p.forward_ref()[1], ("Stream", "p", U, TO, EO)),
    ("forward_ref NoOrder", lambda w: w.p.forward_ref(order=NO)[1], ("Stream", "p", U, NO, EO)),
    ("tick.cycle", lambda w: w.tp.cycle()[1], ("Stream", "tp", B, TO, EO)),
    ("tick.cycle optional", lambda w: w.tp.cycle("Optional")[1], ("Optional", "tp", B, TO, EO)),
    ("cycle_with_initial value", lambda w: w.tp.cycle_with_initial(0)[1], ("Singleton", "tp", B, TO, EO)),
    # --- stream element-wise ---
    ("map", lambda w: w.s_no.map(inc), ("Stream", "p", U, NO, EO)),
    ("flat_map_ordered", lambda w: w.s_u.flat_map_ordered(lambda x: [x, x]), ("Stream", "p", U, TO, EO)),
    ("flat_map_unordered", lambda w: w.s_u.flat_map_unordered(lambda x: {x}), ("Stream", "p", U, NO, EO)),
    ("flatten_ordered", lambda w: w.s_b.map(lambda x: [x]).flatten_ordered(), ("Stream", "p", B, TO, EO)),
    ("flatten_unordered", lambda w: w.s_b.map(lambda x: {x}).flatten_unordered(), ("Stream", "p", B, NO, EO)),
    ("filter", lambda w: w.s_alo.filter(bool), ("Stream", "p", U, TO, ALO)),
    ("filter_map", lambda w: w.s_b.filter_map(lambda x: x or None), ("Stream", "p", B, TO, EO)),
    ("inspect", lambda w: w.t_s.inspect(print), ("Stream", "tp", B, TO, EO)),
    ("enumerate", lambda w: w.s_u.enumerate(), ("Stream", "p", U, TO, EO)),
    ("scan", lambda w: w.t_s.scan(lambda: 0, lambda a, x: (a + x, a)), ("Stream", "tp", B, TO, EO)),
    ("unique", lambda w: w.s_alo.unique(), ("Stream", "p", U, TO, EO)),
    ("partition true side", lambda w: w.s_no.partition(bool)[0], ("Stream", "p", U, NO, EO)),
    ("partition false side", lambda w: w.s_no.partition(bool)[1], ("Stream", "p", U, NO, EO)),
    ("sort", lambda w: w.t_s.weaken_ordering().sort(), ("Stream", "tp", B, TO, EO)),
    ("keys", lambda w: w.t_pairs.keys(), ("Stream", "tp", B, NO, EO)),
    ("into_keyed", lambda w: w.pairs_b.into_keyed(), ("KeyedStream", "p", B, TO, EO)),
    # --- stream aggregations ---
    ("fold top", lambda w: w.s_u.fold(lambda: 0, add), ("Singleton", "p", U, TO, EO)),
    ("fold tick", lambda w: w.t_s.fold(lambda: 0, add), ("Singleton", "tp", B, TO, EO)),
    ("fold bounded top", lambda w: w.s_b.fold(lambda: 0, add), ("Singleton", "p", B, TO, EO)),
    ("fold NoOrder commutative", lambda w: w.s_no.fold(lambda: 0, add, commutative="+"),
     ("Singleton", "p", U, TO, EO)),
    ("reduce", lambda w: w.s_u.reduce(add), ("Optional", "p", U, TO, EO)),
    ("reduce idempotent", lambda w: w.s_alo.reduce(max, idempotent="max"), ("Optional", "p", U, TO, EO)),
    ("count", lambda w: w.s_no.count(), ("Singleton", "p", U, TO, EO)),
    ("max", lambda w: w.s_alo.weaken_ordering().max(), ("Optional", "p", U, TO, EO)),
    ("min", lambda w: w.t_s.min(), ("Optional", "tp", B, TO, EO)),
    ("first", lambda w: w.s_alo.first(), ("Optional", "p", U, TO, EO)),
    ("last", lambda w: w.t_s.last(), ("Optional", "tp", B, TO, EO)),
    ("collect_list", lambda w: w.t_s.collect_list(), ("Singleton", "tp", B, TO, EO)),
    # --- stream combinations ---
    ("chain", lambda w: w.s_b.chain(w.s_no), ("Stream", "p", U, NO, EO)),
    ("chain in tick", lambda w: w.t_s.chain(w.t_s.weaken_retries()), ("Stream", "tp", B, TO, ALO)),
    ("interleave", lambda w: w.s_u.interleave(w.s_alo), ("Stream", "p", U, NO, ALO)),
    ("merge_unordered", lambda w: w.s_u.merge_unordered(w.s_b), ("Stream", "p", U, NO, EO)),
    ("merge_ordered", lambda w: w.s_u.merge_ordered(w.s_b, ND), ("Stream", "p", U, TO, EO)),
    ("cross_product", lambda w: w.s_b.cross_product(w.s_alo), ("Stream", "p", U, NO, ALO)),
    ("cross_singleton", lambda w: w.s_no.cross_singleton(w.sing_b), ("Stream", "p", U, NO, EO)),
    ("cross_singleton tick", lambda w: w.t_s.cross_singleton(w.t_opt), ("Stream", "tp", B, TO, EO)),
    ("join", lambda w: w.pairs_b.join(w.pairs_u), ("Stream", "p", U, NO, EO)),
    # a Bounded right side keeps the left side's order (issue 13, divergence 1)
    ("join tick", lambda w: w.t_pairs.join(w.t_pairs.weaken_retries()), ("Stream", "tp", B, TO, ALO)),
    ("join tick NoOrder left", lambda w: w.t_pairs.weaken_ordering().join(w.t_pairs),
     ("Stream", "tp", B, NO, EO)),
    ("join bounded right", lambda w: w.pairs_u.join(w.pairs_b), ("Stream", "p", U, TO, EO)),
    ("anti_join", lambda w: w.pairs_u.anti_join(w.s_b), ("Stream", "p", U, TO, EO)),
    ("filter_not_in", lambda w: w.t_s.filter_not_in(w.t_s.weaken_retries()), ("Stream", "tp", B, TO, ALO)),
    ("filter_if_some", lambda w: w.t_s.filter_if_some(w.t_opt), ("Stream", "tp", B, TO, EO)),
    ("filter_if_none", lambda w: w.t_s.filter_if_none(w.t_opt), ("Stream", "tp", B, TO, EO)),
    # --- ticks, atomic, time ---
    ("batch", lambda w: w.s_no.batch(w.tp, ND), ("Stream", "tp", B, NO, EO)),
    ("all_ticks", lambda w: w.t_s.weaken_retries().all_ticks(), ("Stream", "p", U, TO, ALO)),
    ("defer_tick", lambda w: w.t_s.defer_tick(), ("Stream", "tp", B, TO, EO)),
    ("persist", lambda w: w.t_s.persist(), ("Stream", "tp", B, TO, EO)),
    ("atomic", lambda w: w.s_u.atomic(w.tp), ("Stream", "ap", U, TO, EO)),
    ("atomic then batch", lambda w: w.s_u.atomic(w.tp).batch(w.tp, ND), ("Stream", "tp", B, TO, EO)),
    ("end_atomic", lambda w: w.s_no.atomic(w.tp).end_atomic(), ("Stream", "p", U, NO, EO)),
    ("stream sample_every", lambda w: w.s_no.sample_every(1.0, ND), ("Stream", "p", U, NO, ALO)),
    ("timeout", lambda w: w.s_u.timeout(2.0, ND), ("Optional", "p", U, TO, EO)),
    # --- guarantees ---
    ("assume_ordering", lambda w: w.s_no.assume_ordering(ND), ("Stream", "p", U, TO, EO)),
    ("assume_retries", lambda w: w.s_alo.assume_retries(ND), ("Stream", "p", U, TO, EO)),
    ("weaken_ordering", lambda w: w.s_b.weaken_ordering(), ("Stream", "p", B, NO, EO)),
    ("weaken_retries", lambda w: w.s_b.weaken_retries(), ("Stream", "p", B, TO, ALO)),
    ("ir_node_named", lambda w: w.s_no.ir_node_named("x"), ("Stream", "p", U, NO, EO)),
    # --- networking ---
    ("send p->q", lambda w: w.s_no.send(w.q), ("Stream", "q", U, NO, EO)),
    ("send c->p keyed by sender", lambda w: w.c_s.send(w.p), ("KeyedStream", "p", U, TO, EO)),
    ("send c->p values", lambda w: w.c_s.send(w.p).values(), ("Stream", "p", U, NO, EO)),
    ("broadcast p->c", lambda w: w.s_alo.broadcast(w.c, ND), ("Stream", "c", U, TO, ALO)),
    ("broadcast c->d", lambda w: w.c_s.broadcast(w.d, ND), ("KeyedStream", "d", U, TO, EO)),
    ("demux p->c", lambda w: w.s_u.map(lambda x: (MemberId("c", 0), x)).demux(w.c),
     ("Stream", "c", U, TO, EO)),
    ("demux_bincode", lambda w: w.s_u.map(lambda x: (MemberId("c", 0), x)).demux_bincode(w.c),
     ("Stream", "c", U, TO, EO)),
    ("round_robin p->c", lambda w: w.s_u.round_robin(w.c, ND), ("Stream", "c", U, TO, EO)),
    ("round_robin c->d", lambda w: w.c_s.round_robin(w.d, ND), ("KeyedStream", "d", U, TO, EO)),
    ("send_bincode", lambda w: w.s_u.send_bincode(w.q), ("Stream", "q", U, TO, EO)),
    ("send_bincode_interleaved", lambda w: w.c_s.send_bincode_interleaved(w.p), ("Stream", "p", U, NO, EO)),
    ("send_bincode_anonymous", lambda w: w.c_s.send_bincode_anonymous(w.p), ("Stream", "p", U, NO, EO)),
    ("broadcast_bincode", lambda w: w.s_u.broadcast_bincode(w.c, ND), ("Stream", "c", U, TO, EO)),
    # --- keyed stream ---
    ("ks.entries", lambda w: w.ks_u.entries(), ("Stream", "p", U, NO, EO)),
    ("ks.values", lambda w: w.ks_u.values(), ("Stream", "p", U, NO, EO)),
    ("ks.keys", lambda w: w.ks_u.weaken_retries().keys(), ("Stream", "p", U, NO, EO)),
    ("ks.map", lambda w: w.ks_u.map(inc), ("KeyedStream", "p", U, TO, EO)),
    ("ks.map_with_key", lambda w: w.ks_u.map_with_key(str), ("KeyedStream", "p", U, TO, EO)),
    ("ks.filter", lambda w: w.ks_u.filter(bool), ("KeyedStream", "p", U, TO, EO)),
    ("ks.filter_map", lambda w: w.ks_u.filter_map(inc), ("KeyedStream", "p", U, TO, EO)),
    ("ks.flat_map_ordered", lambda w: w.ks_u.flat_map_ordered(lambda v: [v]), ("KeyedStream", "p", U, TO, EO)),
    ("ks.flat_map_unordered", lambda w: w.ks_u.flat_map_unordered(lambda v: {v}), ("KeyedStream", "p", U, NO, EO)),
    ("ks.inspect", lambda w: w.ks_t.inspect(print), ("KeyedStream", "tp", B, TO, EO)),
    ("ks.fold top", lambda w: w.ks_u.fold(lambda: 0, add), ("KeyedSingleton", "p", U, TO, EO)),
    ("ks.fold tick", lambda w: w.ks_t.fold(lambda: 0, add), ("KeyedSingleton", "tp", B, TO, EO)),
    ("ks.reduce NoOrder", lambda w: w.ks_u.weaken_ordering().reduce(add, commutative="+"),
     ("KeyedSingleton", "p", U, TO, EO)),
    ("ks.value_counts", lambda w: w.ks_u.weaken_ordering().value_counts(), ("KeyedSingleton", "p", U, TO, EO)),
    ("ks.first", lambda w: w.ks_u.first(), ("KeyedSingleton", "p", U, TO, EO)),
    ("ks.scan", lambda w: w.ks_u.scan(lambda: 0, lambda a, v: (a + v, a)), ("KeyedStream", "p", U, TO, EO)),
    ("ks.fold_early_stop", lambda w: w.ks_u.fold_early_stop(lambda: 0, lambda a, v: (a + v, a > 3)),
     ("KeyedSingleton", "p", U, TO, EO)),
    ("ks.reduce_watermark", lambda w: w.ks_u.reduce_watermark(w.tp.singleton(0), add),
     ("KeyedSingleton", "p", U, TO, EO)),
    ("ks.cross_singleton", lambda w: w.ks_t.cross_singleton(w.t_sing), ("KeyedStream", "tp", B, TO, EO)),
    ("ks.chain", lambda w: w.ks_t.chain(w.ks_t.weaken_ordering()), ("KeyedStream", "tp", B, NO, EO)),
    ("ks.interleave", lambda w: w.ks_u.interleave(w.ks_u), ("KeyedStream", "p", U, NO, EO)),
    ("ks.filter_key_not_in", lambda w: w.ks_u.filter_key_not_in(w.s_b), ("KeyedStream", "p", U, TO, EO)),
    ("ks.get", lambda w: w.ks_t.get("k"), ("Stream", "tp", B, TO, EO)),
    ("ks.get singleton key", lambda w: w.ks_t.get(w.tp.singleton("k")), ("Stream", "tp", B, TO, EO)),
    ("ks.batch", lambda w: w.ks_u.weaken_ordering().batch(w.tp, ND), ("KeyedStream", "tp", B, NO, EO)),
    ("ks.atomic", lambda w: w.ks_u.atomic(w.tp), ("KeyedStream", "ap", U, TO, EO)),
    ("ks.end_atomic", lambda w: w.ks_u.atomic(w.tp).end_atomic(), ("KeyedStream", "p", U, TO, EO)),
    ("ks.all_ticks", lambda w: w.ks_t.all_ticks(), ("KeyedStream", "p", U, TO, EO)),
    ("ks.defer_tick", lambda w: w.ks_t.defer_tick(), ("KeyedStream", "tp", B, TO, EO)),
    ("ks.assume_ordering", lambda w: w.ks_u.weaken_ordering().assume_ordering(ND), ("KeyedStream", "p", U, TO, EO)),
    ("ks.assume_retries", lambda w: w.ks_u.weaken_retries().assume_retries(ND), ("KeyedStream", "p", U, TO, EO)),
    ("ks.weaken_ordering", lambda w: w.ks_u.weaken_ordering(), ("KeyedStream", "p", U, NO, EO)),
    ("ks.weaken_retries", lambda w: w.ks_u.weaken_retries(), ("KeyedStream", "p", U, TO, ALO)),
    ("ks.demux p->c", lambda w: _member_keyed(w).demux(w.c), ("Stream", "c", U, TO, EO)),
    ("ks.demux_bincode", lambda w: _member_keyed(w).demux_bincode(w.c), ("Stream", "c", U, TO, EO)),
    ("ks.demux c->d", lambda w: _member_keyed_at_c(w).demux(w.d), ("KeyedStream", "d", U, TO, EO)),
    # --- singleton / optional ---
    ("sing.map", lambda w: w.sing_u.map(inc), ("Singleton", "p", U, TO, EO)),
    ("sing.filter", lambda w: w.sing_u.filter(bool), ("Optional", "p", U, TO, EO)),
    ("sing.filter_map", lambda w: w.t_sing.filter_map(inc), ("Optional", "tp", B, TO, EO)),
    ("sing.flat_map_ordered", lambda w: w.t_sing.flat_map_ordered(range), ("Stream", "tp", B, TO, EO)),
    ("sing.flat_map_unordered", lambda w: w.t_sing.flat_map_unordered(lambda v: {v}), ("Stream", "tp", B, NO, EO)),
    ("sing.flatten_ordered", lambda w: w.t_sing.map(lambda v: [v]).flatten_ordered(), ("Stream", "tp", B, TO, EO)),
    ("sing.zip singleton", lambda w: w.t_sing.zip(w.tp.singleton(2)), ("Singleton", "tp", B, TO, EO)),
    ("sing.zip optional", lambda w: w.t_sing.zip(w.t_opt), ("Optional", "tp", B, TO, EO)),
    ("sing.into_stream", lambda w: w.t_sing.into_stream(), ("Stream", "tp", B, TO, EO)),
    ("sing.snapshot", lambda w: w.sing_u.snapshot(w.tp, ND), ("Singleton", "tp", B, TO, EO)),
    ("sing.snapshot_atomic", lambda w: w.sing_u.atomic(w.tp).snapshot_atomic(ND), ("Singleton", "tp", B, TO, EO)),
    ("sing.latest", lambda w: w.t_sing.latest(), ("Optional", "p", U, TO, EO)),
    ("sing.all_ticks", lambda w: w.t_sing.all_ticks(), ("Stream", "p", U, TO, EO)),
    ("sing.defer_tick", lambda w: w.t_sing.defer_tick(), ("Optional", "tp", B, TO, EO)),
    ("sing.sample_every", lambda w: w.sing_u.sample_every(1.0, ND), ("Stream", "p", U, TO, ALO)),
    ("sing.sample_eager", lambda w: w.sing_u.sample_eager(ND), ("Stream", "p", U, TO, ALO)),
    ("sing.filter_if_some", lambda w: w.t_sing.filter_if_some(w.t_opt), ("Optional", "tp", B, TO, EO)),
    ("sing.filter_if_none", lambda w: w.t_sing.filter_if_none(w.t_opt), ("Optional", "tp", B, TO, EO)),
    ("sing.continue_if", lambda w: w.t_sing.continue_if(w.t_opt), ("Optional", "tp", B, TO, EO)),
    # issue 13: Hydro's newest Singleton/Optional operators (singleton.rs, optional.rs)
    ("sing.filter_if", lambda w: w.t_sing.filter_if(w.t_opt.is_some()), ("Optional", "tp", B, TO, EO)),
    ("sing.equals", lambda w: w.t_sing.equals(w.tp.singleton(7)), ("Singleton", "tp", B, TO, EO)),
    ("sing.and_", lambda w: w.t_opt.is_some().and_(w.tp.singleton(True)), ("Singleton", "tp", B, TO, EO)),
    ("sing.or_", lambda w: w.sing_b.map(bool).or_(w.p.singleton(False)), ("Singleton", "p", B, TO, EO)),
    ("sing.invert", lambda w: ~w.opt_u.is_some(), ("Singleton", "p", U, TO, EO)),
    ("sing.into_optional", lambda w: w.t_sing.into_optional(), ("Optional", "tp", B, TO, EO)),
    ("sing.clone_into_tick", lambda w: w.sing_b.clone_into_tick(w.tp), ("Singleton", "tp", B, TO, EO)),
    ("sing.threshold bounded", lambda w: w.sing_b.threshold_greater_or_equal(w.p.singleton(1)),
     ("Stream", "p", B, TO, EO)),
    ("sing.threshold monotonic", lambda w: w.s_u.count().threshold_greater_or_equal(w.p.singleton(1)),
     ("Stream", "p", U, TO, EO)),
    ("sing.all_ticks_atomic", lambda w: w.t_sing.all_ticks_atomic(), ("Stream", "ap", U, TO, EO)),
    ("opt.filter_if", lambda w: w.t_opt.filter_if(w.tp.singleton(True)), ("Optional", "tp", B, TO, EO)),
    ("opt.map", lambda w: w.opt_u.map(inc), ("Optional", "p", U, TO, EO)),
    ("opt.or_else optional", lambda w: w.t_opt.or_else(w.tp.none()), ("Optional", "tp", B, TO, EO)),
    ("opt.or_else singleton", lambda w: w.t_opt.or_else(w.t_sing), ("Singleton", "tp", B, TO, EO)),
    ("opt.unwrap_or", lambda w: w.opt_u.unwrap_or(w.sing_b), ("Singleton", "p", U, TO, EO)),
    ("opt.into_singleton", lambda w: w.t_opt.into_singleton(), ("Singleton", "tp", B, TO, EO)),
    ("opt.is_some", lambda w: w.opt_u.is_some(), ("Singleton", "p", U, TO, EO)),
    ("opt.is_none", lambda w: w.t_opt.is_none(), ("Singleton", "tp", B, TO, EO)),
    ("opt.latest", lambda w: w.t_opt.latest(), ("Optional", "p", U, TO, EO)),
    ("opt.all_ticks", lambda w: w.t_opt.all_ticks(), ("Stream", "p", U, TO, EO)),
    ("opt.defer_tick", lambda w: w.t_opt.defer_tick(), ("Optional", "tp", B, TO, EO)),
    ("opt.sample_every", lambda w: w.opt_u.sample_every(0.5, ND), ("Stream", "p", U, TO, ALO)),
    ("opt.snapshot", lambda w: w.opt_u.snapshot(w.tp, ND), ("Optional", "tp", B, TO, EO)),
    # --- keyed stream, issue 13 (keyed_stream/mod.rs) ---
    ("ks.filter_with_key", lambda w: w.ks_u.weaken_retries().filter_with_key(bool), ("KeyedStream", "p", U, TO, ALO)),
    ("ks.filter_map_with_key", lambda w: w.ks_t.filter_map_with_key(str), ("KeyedStream", "tp", B, TO, EO)),
    ("ks.inspect_with_key", lambda w: w.ks_u.inspect_with_key(print), ("KeyedStream", "p", U, TO, EO)),
    ("ks.enumerate", lambda w: w.ks_u.enumerate(), ("KeyedStream", "p", U, TO, EO)),
    ("ks.prefix_key", lambda w: w.ks_u.prefix_key(str), ("KeyedStream", "p", U, TO, EO)),
    ("ks.drop_key_prefix", lambda w: w.ks_u.prefix_key(str).drop_key_prefix(), ("KeyedStream", "p", U, NO, EO)),
    ("ks.fold_commutative", lambda w: w.ks_u.weaken_ordering().fold_commutative(lambda: 0, add),
     ("KeyedSingleton", "p", U, TO, EO)),
    ("ks.reduce_commutative", lambda w: w.ks_u.weaken_ordering().reduce_commutative(add),
     ("KeyedSingleton", "p", U, TO, EO)),
    ("ks.all_ticks_atomic", lambda w: w.ks_t.all_ticks_atomic(), ("KeyedStream", "ap", U, TO, EO)),
    ("stream.all_ticks_atomic", lambda w: w.t_s.weaken_retries().all_ticks_atomic(), ("Stream", "ap", U, TO, ALO)),
    ("stream.across_ticks", lambda w: w.t_s.across_ticks(lambda s: s.count()), ("Singleton", "tp", B, TO, EO)),
    ("stream.filter_if", lambda w: w.t_s.filter_if(w.t_opt.is_none()), ("Stream", "tp", B, TO, EO)),
    ("stream.round_robin_bincode", lambda w: w.s_u.round_robin_bincode(w.c, ND), ("Stream", "c", U, TO, EO)),
    # --- keyed singleton ---
    ("ksing.map", lambda w: w.ksing_u.map(inc), ("KeyedSingleton", "p", U, TO, EO)),
    ("ksing.map_with_key", lambda w: w.ksing_u.map_with_key(str), ("KeyedSingleton", "p", U, TO, EO)),
    ("ksing.filter", lambda w: w.ksing_t.filter(bool), ("KeyedSingleton", "tp", B, TO, EO)),
    ("ksing.entries", lambda w: w.ksing_t.entries(), ("Stream", "tp", B, NO, EO)),
    ("ksing.keys", lambda w: w.ksing_t.keys(), ("Stream", "tp", B, NO, EO)),
    ("ksing.values", lambda w: w.ksing_t.values(), ("Stream", "tp", B, NO, EO)),
    ("ksing.entries of first()", lambda w: w.ks_u.first().entries(), ("Stream", "p", U, NO, EO)),
    ("ksing.key_count", lambda w: w.ksing_u.key_count(), ("Singleton", "p", U, TO, EO)),
    ("ksing.into_keyed_stream", lambda w: w.ksing_t.into_keyed_stream(), ("KeyedStream", "tp", B, TO, EO)),
    ("ksing.get", lambda w: w.ksing_t.get("k"), ("Optional", "tp", B, TO, EO)),
    ("ksing.join_keyed_stream", lambda w: w.ksing_t.join_keyed_stream(w.ks_t.weaken_retries()),
     ("KeyedStream", "tp", B, TO, ALO)),
    ("ksing.join_keyed_singleton", lambda w: w.ksing_t.join_keyed_singleton(w.ksing_t),
     ("KeyedSingleton", "tp", B, TO, EO)),
    ("ksing.filter_key_in", lambda w: w.ksing_t.filter_key_in(w.t_s), ("KeyedSingleton", "tp", B, TO, EO)),
    ("ksing.filter_key_not_in", lambda w: w.ksing_t.filter_key_not_in(w.t_s), ("KeyedSingleton", "tp", B, TO, EO)),
    ("ksing.snapshot", lambda w: w.ksing_u.snapshot(w.tp, ND), ("KeyedSingleton", "tp", B, TO, EO)),
    ("ksing.batch", lambda w: w.ks_u.first().batch(w.tp, ND), ("KeyedSingleton", "tp", B, TO, EO)),
    ("ksing.defer_tick", lambda w: w.ksing_t.defer_tick(), ("KeyedSingleton", "tp", B, TO, EO)),
]


def _member_keyed(w):
    """A KeyedStream at p keyed by MemberIds of cluster c."""
    return w.s_u.map(lambda x: (MemberId("c", x % 2), x)).into_keyed()


def _member_keyed_at_c(w):
    return w.c_s.map(lambda x: (x, x)).into_keyed()


def _location_key(w, loc) -> str:
    names = {w.p.id: "p", w.q.id: "q", w.c.id: "c", w.d.id: "d", w.tp.id: "tp", w.tc.id: "tc"}
    if isinstance(loc, AtomicId) and loc.tick_id == w.tp.id:
        return "ap"
    if isinstance(loc, TickId) and loc not in names:
        return f"tick of {names[loc.outer]}"
    return names[loc]


@pytest.mark.parametrize("name,build,expected", CASES, ids=[c[0] for c in CASES])
def test_operator_result(world, name, build, expected):
    result = build(world)
    kind, loc, bound, order, retries = expected
    assert type(result).__name__ == kind
    assert _location_key(world, result._loc) == loc
    assert (result.bound, result.order, result.retries) == (bound, order, retries)
    # the location handle matches the id and every node recorded the user's line in this file
    assert result.location.id == result._loc
    if name == "ir_node_named":  # renames the existing node (built in conftest)
        assert result._node.meta.name == "x"
        return
    assert result._node.meta.source is not None
    assert result._node.meta.source.filename.endswith("test_operators.py")


def test_sinks_add_roots(world):
    before = len(world.flow.ir().roots)
    world.s_u.for_each(print)
    world.s_u.dest_sink([])
    port = world.s_u.send_external(world.ext)
    roots = world.flow.ir().roots
    assert len(roots) == before + 3
    assert [type(r).__name__ for r in roots[-3:]] == ["ForEach", "DestSink", "SendExternal"]
    assert port.direction == "out"


def test_partition_splits_by_predicate_and_its_negation(world):
    yes, no = world.s_b.partition(lambda x: x > 1)
    f_yes, f_no = yes._node.f.fn, no._node.f.fn
    assert [f_yes(x) for x in (1, 2)] == [False, True]
    assert [f_no(x) for x in (1, 2)] == [True, False]


def test_keyed_counts_record_member_keys(world):
    at_p = world.c_s.send(world.p)
    assert at_p.kind_info.key_cluster == "c"
    assert at_p.fold(lambda: 0, add).kind_info.key_cluster == "c"
    assert at_p.keys().kind_info.elem_cluster == "c"


def test_first_keyed_values_are_fixed(world):
    firsts = world.ks_u.first()
    assert firsts.kind_info.values_fixed
    assert not world.ksing_u.kind_info.values_fixed
    assert firsts.kind_info.describe() == "KeyedSingleton<BoundedValue>"
