"""``KeyedStream``: a set of per-key streams. Order and retries hold within each key group; across
keys nothing is ordered, which is why ``entries()`` and ``values()`` are always NoOrder.

A cluster's messages arrive at the receiver as a KeyedStream keyed by the sender's MemberId.
Aggregations group by key and follow the aggregation rule per group.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.errors import rule_error
from hydro_lab.ir import kinds as K
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Bound, Kind, Order, Retries
from hydro_lab.lang import networking, quote, ticks
from hydro_lab.lang import watch as watching
from hydro_lab.lang.collection import CommutativeAliases, LiveCollection, combine, register
from hydro_lab.lang.context import operator


def _value(pair: Any) -> Any:
    return pair[1]


def _key(pair: Any) -> Any:
    return pair[0]


def _first(a: Any, b: Any) -> Any:
    return a


def _zero() -> int:
    return 0


def _plus_one(acc: int, _: Any) -> int:
    return acc + 1


class KeyEquals:
    """``entry[0] == key``: the filter behind ``get(key)``; a class so it pickles by value."""

    def __init__(self, key: Any):
        self.key = key

    def __call__(self, entry: Any) -> bool:
        return entry[0] == self.key

    def __repr__(self) -> str:
        return f"key == {self.key!r}"


def _enumerate_init() -> int:
    return 0


def _enumerate_step(i: int, v: Any) -> tuple[int, tuple[int, Any]]:
    return i + 1, (i, v)


class PrefixKey:
    """``(key, value) -> ((f((key, value)), key), value)``: ``prefix_key``'s rewrite of each
    entry; a class so it pickles by value."""

    def __init__(self, f: Any):
        self.f = f

    def __call__(self, entry: Any) -> Any:
        return ((self.f(entry), entry[0]), entry[1])

    def __repr__(self) -> str:
        return f"prefix_key({getattr(self.f, '__name__', self.f)!r})"


def _prefix_with_singleton(entry: Any) -> Any:
    key, (value, prefix) = entry
    return ((prefix, key), value)


def _drop_key_prefix(entry: Any) -> Any:
    (_, key), value = entry
    return (key, value)


def _pair_key_matches(pair: Any) -> bool:
    (key, _), wanted = pair
    return key == wanted


def _pair_value(pair: Any) -> Any:
    return pair[0][1]


def get_values(c: LiveCollection, key: Any, kind: K.CollectionKind) -> LiveCollection:
    """The values stored under ``key`` (a constant, or a Bounded Singleton/Optional here)."""
    entries = c._cast(K.stream(c.bound, Order.NO_ORDER, c.retries))
    if isinstance(key, LiveCollection):
        c._check_operand(key, (Kind.SINGLETON, Kind.OPTIONAL), "the key")
        key._check_bounded("the key")
        paired = entries._new(N.CrossSingleton, entries.kind_info, input=entries.node_id,
                              singleton=key.node_id)
        hit = paired._new(N.Filter, paired.kind_info, input=paired.node_id,
                          f=quote.builtin(_pair_key_matches, "key matches"))
        return hit._new(N.Map, kind, input=hit.node_id, f=quote.builtin(_pair_value, "value"))
    hit = entries._new(N.Filter, entries.kind_info, input=entries.node_id,
                       f=quote.builtin(KeyEquals(key), f"key == {quote.shorten(repr(key), 20)}"))
    return hit._new(N.Map, kind, input=hit.node_id, f=quote.builtin(_value, "value"))


@register
class KeyedStream(CommutativeAliases, LiveCollection):
    """Per-key streams: ``order`` and ``retries`` hold within each key."""

    KIND = Kind.KEYED_STREAM
    __slots__ = ()

    # -- views ----------------------------------------------------------------------------------

    @operator()
    def entries(self):
        """All ``(key, value)`` pairs as a Stream. → NoOrder (nothing orders keys)."""
        return self._cast(K.stream(self.bound, Order.NO_ORDER, self.retries))

    @operator()
    def values(self):
        """All values as a Stream, keys dropped. → NoOrder (e.g. a cluster's senders merged)."""
        return self._new(N.Map, K.stream(self.bound, Order.NO_ORDER, self.retries),
                         input=self.node_id, f=quote.builtin(_value, "values"))

    @operator()
    def keys(self):
        """The distinct keys as a Stream. → NoOrder, ExactlyOnce."""
        mapped = self._new(N.Map, K.stream(self.bound, Order.NO_ORDER, self.retries),
                           input=self.node_id, f=quote.builtin(_key, "keys"))
        return mapped._new(N.Unique, K.stream(self.bound, Order.NO_ORDER, Retries.EXACTLY_ONCE,
                                              elem_cluster=self.kind_info.key_cluster),
                           input=mapped.node_id)

    # -- per-value transforms (keys kept) --------------------------------------------------------

    @operator()
    def map(self, f) -> KeyedStream:
        """Apply ``f`` to each value; keys stay. Keeps every guarantee."""
        c = self._closure(f, example="map(lambda v: v * 2)")
        return self._new(N.Map, self.kind_info, input=self.node_id, f=c, on="value")

    @operator()
    def map_with_key(self, f) -> KeyedStream:
        """``f((key, value))`` becomes the new value; keys stay."""
        c = self._closure(f, example="map_with_key(lambda kv: f'{kv[0]}={kv[1]}')")
        return self._new(N.Map, self.kind_info, input=self.node_id, f=c, on="entry")

    @operator()
    def filter(self, f) -> KeyedStream:
        """Keep the values for which ``f(value)`` is true."""
        c = self._closure(f, example="filter(lambda v: v > 0)")
        return self._new(N.Filter, self.kind_info, input=self.node_id, f=c, on="value")

    @operator()
    def filter_map(self, f) -> KeyedStream:
        """Apply ``f`` to each value, keeping the results that are not ``None``."""
        c = self._closure(f, example="filter_map(lambda v: v or None)")
        return self._new(N.FilterMap, self.kind_info, input=self.node_id, f=c, on="value")

    @operator()
    def flat_map_ordered(self, f) -> KeyedStream:
        """Expand each value into the items of ``f(value)`` (deterministic order)."""
        c = self._closure(f, example="flat_map_ordered(lambda v: v.split())")
        return self._new(N.FlatMap, self.kind_info, input=self.node_id, f=c, on="value")

    @operator()
    def flat_map_unordered(self, f) -> KeyedStream:
        """Expand each value into the items of ``f(value)`` (no fixed order). → NoOrder."""
        c = self._closure(f, example="flat_map_unordered(lambda v: set(v))")
        return self._new(N.FlatMap, self.kind_info.with_(order=Order.NO_ORDER),
                         input=self.node_id, f=c, ordered=False, on="value")

    @operator()
    def filter_with_key(self, f) -> KeyedStream:
        """Keep the values for which ``f((key, value))`` is true (Hydro's ``filter_with_key``).
        Keeps every guarantee."""
        c = self._closure(f, example="filter_with_key(lambda kv: kv[1] > kv[0])")
        return self._new(N.Filter, self.kind_info, input=self.node_id, f=c, on="entry")

    @operator()
    def filter_map_with_key(self, f) -> KeyedStream:
        """``f((key, value))`` becomes the new value, dropped when it is ``None``; the key stays
        (Hydro's ``filter_map_with_key``: the results are not re-grouped)."""
        c = self._closure(f, example="filter_map_with_key(lambda kv: kv[1] if kv[0] else None)")
        return self._new(N.FilterMap, self.kind_info, input=self.node_id, f=c, on="entry")

    @operator()
    def enumerate(self) -> KeyedStream:
        """Pair each value with its index within its key: ``(i, v)``, counting from 0 per key
        (at the top level the count goes on across ticks). Rule: needs TotalOrder and
        ExactlyOnce within each key (indices would differ between runs otherwise)."""
        self._check_total_order("the index of a value depends on the order within its key")
        self._check_exactly_once("a duplicate would shift every later index")
        return self._new(N.Scan, self.kind_info, input=self.node_id,
                         init=quote.builtin(_enumerate_init, "0"),
                         f=quote.builtin(_enumerate_step, "enumerate"), keyed=True)

    @operator()
    def prefix_key(self, prefix) -> KeyedStream:
        """Add a leading key component: key ``k`` becomes ``(p, k)``. ``prefix`` is a function
        of the entry, ``p = prefix((k, v))`` (e.g. the partition or member an entry goes to),
        or a Bounded Singleton at this location whose value prefixes every key (e.g.
        ``cluster.self_id()``). Each new group is part of an old one, so the order and retries
        within groups hold. ``drop_key_prefix()`` undoes it."""
        if isinstance(prefix, LiveCollection):
            self._check_operand(prefix, (Kind.SINGLETON,), "the prefix")
            prefix._check_bounded("the prefix")
            paired = self._new(N.CrossSingleton, self.kind_info, input=self.node_id,
                               singleton=prefix.node_id, detail="values")
            return paired._new(N.Map, self.kind_info.with_(key_cluster=None),
                               input=paired.node_id,
                               f=quote.builtin(_prefix_with_singleton, "prefix_key"))
        c = self._closure(prefix, role="the prefix function",
                          example="prefix_key(lambda kv: hash(kv[0]) % 4)")
        rewrite = N.Closure(fn=PrefixKey(c.fn), label=f"prefix_key({c.label})", text=c.text,
                            source=c.source)
        return self._new(N.Map, self.kind_info.with_(key_cluster=None), input=self.node_id,
                         f=rewrite)

    @operator()
    def drop_key_prefix(self) -> KeyedStream:
        """Remove the leading key component (e.g. the one ``prefix_key`` added): key
        ``(p, k)`` becomes ``k`` (Hydro's ``drop_key_prefix``). Groups that differed only in
        ``p`` merge, their values interleaved: → NoOrder within each group."""
        return self._new(N.Map, self.kind_info.with_(order=Order.NO_ORDER, key_cluster=None),
                         input=self.node_id, f=quote.builtin(_drop_key_prefix, "drop_key_prefix"))

    @operator()
    def inspect(self, f) -> KeyedStream:
        """Call ``f(value)`` for its side effect; values pass through."""
        c = self._closure(f, example="inspect(print)")
        return self._new(N.Inspect, self.kind_info, input=self.node_id, f=c, on="value")

    @operator()
    def inspect_with_key(self, f) -> KeyedStream:
        """Call ``f((key, value))`` for its side effect; entries pass through (Hydro's
        ``inspect_with_key``)."""
        c = self._closure(f, example="inspect_with_key(print)")
        return self._new(N.Inspect, self.kind_info, input=self.node_id, f=c, on="entry")

    # -- per-key aggregations -------------------------------------------------------------------

    def _grouped(self, values_fixed: bool = False) -> K.CollectionKind:
        """Keyed aggregates are KeyedSingletons with the input's boundedness."""
        return K.keyed_singleton(self.bound, key_cluster=self.kind_info.key_cluster,
                                 values_fixed=values_fixed and self.bound is Bound.UNBOUNDED)

    @operator()
    def fold(self, init, f, *, commutative: str | None = None, idempotent: str | None = None):
        """Fold each key's values into a KeyedSingleton. The aggregation rule applies per key:
        NoOrder needs ``commutative="why"``, AtLeastOnce needs ``idempotent="why"``."""
        i = self._closure(init, role="init", arity=0, example="fold(lambda: 0, lambda a, v: a + v)")
        c = self._closure(f, role="the combine function", arity=2,
                          example="fold(lambda: 0, lambda a, v: a + v)")
        comm, idem = self._check_algebra(commutative, idempotent, what="the combine function")
        return self._new(N.FoldKeyed, self._grouped(), input=self.node_id, init=i, f=c,
                         commutative=comm, idempotent=idem)

    @operator()
    def reduce(self, f, *, commutative: str | None = None, idempotent: str | None = None):
        """Reduce each key's values into a KeyedSingleton (same rule as ``fold``)."""
        c = self._closure(f, role="the combine function", arity=2,
                          example="reduce(lambda a, b: a + b)")
        comm, idem = self._check_algebra(commutative, idempotent, what="the combine function")
        return self._new(N.ReduceKeyed, self._grouped(), input=self.node_id, f=c,
                         commutative=comm, idempotent=idem)

    @operator()
    def value_counts(self):
        """How many values each key has: a KeyedSingleton of ints. Rule: needs ExactlyOnce."""
        self._check_exactly_once("a duplicate would be counted twice")
        return self._new(N.FoldKeyed, self._grouped(), input=self.node_id,
                         init=quote.builtin(_zero, "0"), f=quote.builtin(_plus_one, "count"),
                         commutative="counting commutes")

    @operator()
    def first(self):
        """Each key's first value, fixed once seen. Rule: needs TotalOrder and ExactlyOnce."""
        self._check_total_order("which value is first depends on the order")
        self._check_exactly_once("a retry could arrive before the original")
        return self._new(N.ReduceKeyed, self._grouped(values_fixed=True), input=self.node_id,
                         f=quote.builtin(_first, "first"))

    @operator()
    def scan(self, init, f) -> KeyedStream:
        """Per-key state machine: ``f(acc, v)`` returns ``(new_acc, output)`` or ``None`` to end
        that key's output. Rule: TotalOrder and ExactlyOnce. → TotalOrder, ExactlyOnce."""
        self._check_total_order("each key's outputs depend on the order of its values")
        self._check_exactly_once("a duplicate would change the state")
        i = self._closure(init, role="init", arity=0, example="scan(lambda: 0, ...)")
        c = self._closure(f, role="the step function", arity=2,
                          example="scan(lambda: 0, lambda acc, v: (acc + v, acc + v))")
        return self._new(N.Scan, K.keyed_stream(self.bound, key_cluster=self.kind_info.key_cluster),
                         input=self.node_id, init=i, f=c, keyed=True)

    @operator()
    def fold_early_stop(self, init, f):
        """Per-key fold ``f(acc, v) -> (acc, stop)`` whose value freezes once ``stop`` is true
        (then the key's value never changes). Rule: TotalOrder and ExactlyOnce."""
        self._check_total_order("when a key stops depends on the order of its values")
        self._check_exactly_once("a duplicate would change the state")
        i = self._closure(init, role="init", arity=0, example="fold_early_stop(lambda: 0, ...)")
        c = self._closure(f, role="the step function", arity=2,
                          example="fold_early_stop(lambda: 0, lambda acc, v: (acc + v, acc >= 10))")
        return self._new(N.FoldKeyedEarlyStop, self._grouped(values_fixed=True),
                         input=self.node_id, init=i, f=c)

    @operator()
    def reduce_watermark(self, watermark, f, *, commutative: str | None = None,
                         idempotent: str | None = None):
        """Reduce per key, deleting keys below ``watermark`` (a Bounded Optional in a tick of
        this location): garbage collection for per-key state. Same rule as ``reduce``."""
        if not isinstance(watermark, LiveCollection) or watermark.KIND not in (
                Kind.OPTIONAL, Kind.SINGLETON):
            raise rule_error("reduce_watermark", "the watermark must be an Optional or Singleton "
                             f"in a tick, got {type(watermark).__name__}",
                             "e.g. tick.singleton(0) or a snapshot of a checkpoint")
        if watermark._ctx is not self._ctx or watermark._loc.root != self._loc.root:
            raise rule_error("reduce_watermark", "the watermark must live at the same process or "
                             "cluster", "build it from a tick of this location")
        watermark._check_bounded("the watermark")
        c = self._closure(f, role="the combine function", arity=2,
                          example="reduce_watermark(wm, lambda a, b: a + b)")
        comm, idem = self._check_algebra(commutative, idempotent, what="the combine function")
        return self._new(N.ReduceKeyedWatermark, self._grouped(), input=self.node_id,
                         watermark=watermark.node_id, f=c, commutative=comm, idempotent=idem)

    # -- combining ------------------------------------------------------------------------------

    @operator()
    def cross_singleton(self, singleton) -> KeyedStream:
        """Pair each value with a Bounded Singleton/Optional's value: ``(v, s)``."""
        self._check_operand(singleton, (Kind.SINGLETON, Kind.OPTIONAL), "the singleton")
        singleton._check_bounded("the singleton")
        return self._new(N.CrossSingleton, self.kind_info, input=self.node_id,
                         singleton=singleton.node_id, detail="values")

    @operator()
    def chain(self, other: KeyedStream) -> KeyedStream:
        """Per key: this stream's values, then ``other``'s. Rule: both must be Bounded."""
        self._check_operand(other, (Kind.KEYED_STREAM,), "the other keyed stream")
        self._check_bounded("the first keyed stream")
        other._check_bounded("the other keyed stream")
        return self._new(N.Chain, combine(self.kind_info, other.kind_info), first=self.node_id,
                         second=other.node_id)

    @operator()
    def interleave(self, other: KeyedStream) -> KeyedStream:
        """Merge two keyed streams per key in arrival order. Top level only. → NoOrder."""
        self._check_operand(other, (Kind.KEYED_STREAM,), "the other keyed stream")
        self._check_top_level("inside a tick, use .chain(other)")
        kind = combine(self.kind_info, other.kind_info, order=Order.NO_ORDER,
                       bound=Bound.UNBOUNDED)
        return self._new(N.Chain, kind, first=self.node_id, second=other.node_id)

    merge_unordered = interleave

    @operator()
    def filter_key_not_in(self, keys) -> KeyedStream:
        """Drop the groups whose key is in ``keys`` (a Bounded Stream)."""
        self._check_operand(keys, (Kind.STREAM,), "the keys")
        keys._check_bounded("the keys stream")
        return self._new(N.AntiJoin, self.kind_info, input=self.node_id, neg=keys.node_id)

    @operator()
    def get(self, key):
        """The values of one key (a constant, or a Bounded Singleton/Optional at this location),
        as a Stream. Rule: needs a Bounded keyed stream."""
        self._check_bounded("the keyed stream")
        return get_values(self, key, K.stream(self.bound, self.order, self.retries))

    # -- ticks and guarantees -------------------------------------------------------------------

    @operator()
    def batch(self, tick, nondet=None) -> KeyedStream:
        """This tick's batch of each key's values. Needs ``nondet``."""
        return ticks.batch(self, tick, nondet)

    @operator()
    def atomic(self, tick) -> KeyedStream:
        """Enter an atomic region tied to ``tick``."""
        return ticks.atomic(self, tick)

    @operator()
    def end_atomic(self) -> KeyedStream:
        """Leave the atomic region."""
        return ticks.end_atomic(self)

    @operator()
    def all_ticks(self) -> KeyedStream:
        """Concatenate every tick's batches into a top-level keyed stream."""
        self._check_in_tick("all_ticks leaves a tick; this keyed stream is not in one")
        return self._new(N.YieldConcat, self.kind_info.with_(bound=Bound.UNBOUNDED),
                         location=self._loc.outer, input=self.node_id)

    @operator()
    def all_ticks_atomic(self) -> KeyedStream:
        """Like ``all_ticks``, but the result stays in the atomic region of this tick, processed
        synchronously with it (Hydro's ``all_ticks_atomic``)."""
        return ticks.all_ticks_atomic(self, self.kind_info.with_(bound=Bound.UNBOUNDED))

    @operator()
    def defer_tick(self) -> KeyedStream:
        """This tick's batch, delivered next tick."""
        self._check_in_tick("defer_tick works inside a tick; batch the keyed stream first")
        return self._new(N.DeferTick, self.kind_info, input=self.node_id)

    @operator()
    def assume_ordering(self, nondet=None) -> KeyedStream:
        """Claim TotalOrder within each key. Needs ``nondet``."""
        info = self._check_nondet(nondet)
        return self._new(N.ObserveNonDet, self.kind_info.with_(order=Order.TOTAL_ORDER),
                         input=self.node_id, nondet_info=info)

    @operator()
    def assume_retries(self, nondet=None) -> KeyedStream:
        """Claim ExactlyOnce. Needs ``nondet``."""
        info = self._check_nondet(nondet)
        return self._new(N.ObserveNonDet, self.kind_info.with_(retries=Retries.EXACTLY_ONCE),
                         input=self.node_id, nondet_info=info)

    @operator()
    def weaken_ordering(self) -> KeyedStream:
        """→ NoOrder within each key."""
        return self._cast(self.kind_info.with_(order=Order.NO_ORDER))

    @operator()
    def weaken_retries(self) -> KeyedStream:
        """→ AtLeastOnce."""
        return self._cast(self.kind_info.with_(retries=Retries.AT_LEAST_ONCE))

    @operator()
    def watch(self, name: str | None = None, last: int = 50, nondet=None,
              keys: int | None = None):
        """Show the recent ``(key, value)`` entries live while the flow runs: a ``Watch``
        handle. Rule: needs ``nondet`` (nothing orders the keys, so entries would show in a
        different order from run to run); see ``hydro_lab.lang.watch``. The live view draws
        one line per key (each key's latest value) for the ``keys`` keys with the largest
        latest values (10 when not given)."""
        return watching.watch(self, name, last, nondet, keys)

    @operator()
    def ir_node_named(self, name: str) -> KeyedStream:
        """Name this node in graphs and traces."""
        return ticks.rename(self, name)

    # -- networking -----------------------------------------------------------------------------

    @operator()
    def demux(self, cluster, codec: Any = "pickle", name: str | None = None):
        """Send each value to the member of ``cluster`` named by its key (a MemberId of that
        cluster). From a process each member gets a Stream; from a cluster a KeyedStream keyed
        by sender."""
        return networking.demux(self, cluster, codec, name)

    @operator()
    def demux_bincode(self, cluster):
        """Alias of ``demux(cluster)``; sends with pickle, like ``Stream.send_bincode``."""
        return self.demux(cluster)
