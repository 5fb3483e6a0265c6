"""``Stream``: a sequence that grows over time, at one location, with three guarantees.

Each method states its rule in its docstring, checks it when called, and appends IR. Element-wise
operators keep the guarantees; combinations take the weaker of both sides; aggregations follow
the aggregation rule (NoOrder needs ``commutative=``, AtLeastOnce needs ``idempotent=``).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from hydro_lab.errors import rule_error
from hydro_lab.ir import kinds as K
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Bound, Kind, Order, Retries
from hydro_lab.ir.locations import ClusterId
from hydro_lab.lang import networking, quote, ticks
from hydro_lab.lang import watch as watching
from hydro_lab.lang.collection import CommutativeAliases, LiveCollection, combine, register
from hydro_lab.lang.context import operator

T = TypeVar("T")

_NO_ORDER_WHY = "its result depends on the order of the elements, which NoOrder does not fix"
_RETRY_WHY = "a duplicate would change its result"


def _first(a: Any, b: Any) -> Any:
    return a


def _last(a: Any, b: Any) -> Any:
    return b


def _count_init() -> int:
    return 0


def _count_step(acc: int, _: Any) -> int:
    return acc + 1


def _list_init() -> list:
    return []


def _list_append(acc: list, x: Any) -> list:
    acc.append(x)
    return acc


def _identity(x: Any) -> Any:
    return x


def _key_of(pair: Any) -> Any:
    return pair[0]


@register
class Stream(CommutativeAliases, LiveCollection, Generic[T]):
    """A growing sequence of elements at one location.

    Guarantees: ``bound`` (Bounded in a tick or for a fixed source, else Unbounded), ``order``
    (TotalOrder or NoOrder) and ``retries`` (ExactlyOnce or AtLeastOnce).
    """

    KIND = Kind.STREAM
    __slots__ = ()

    # -- element-wise -------------------------------------------------------------------------

    @operator()
    def map(self, f) -> Stream:
        """Apply ``f`` to each element. Keeps every guarantee."""
        c = self._closure(f, example="map(lambda x: x * 2)")
        return self._new(N.Map, self.kind_info.with_(elem_cluster=None), input=self.node_id, f=c)

    @operator()
    def flat_map_ordered(self, f) -> Stream:
        """Expand each element into the items of ``f(x)``, whose order must be deterministic
        (a list, a range). Keeps every guarantee."""
        c = self._closure(f, example="flat_map_ordered(lambda line: line.split())")
        return self._new(N.FlatMap, self.kind_info.with_(elem_cluster=None), input=self.node_id,
                         f=c, ordered=True)

    @operator()
    def flat_map_unordered(self, f) -> Stream:
        """Expand each element into the items of ``f(x)`` in no fixed order (a set). → NoOrder."""
        c = self._closure(f, example="flat_map_unordered(lambda x: set(x))")
        return self._new(N.FlatMap, self.kind_info.with_(order=Order.NO_ORDER, elem_cluster=None),
                         input=self.node_id, f=c, ordered=False)

    @operator()
    def flatten_ordered(self) -> Stream:
        """Each element is an iterable with a deterministic order; emit its items."""
        return self._new(N.FlatMap, self.kind_info.with_(elem_cluster=None), input=self.node_id,
                         f=quote.builtin(_identity, "flatten"), ordered=True)

    @operator()
    def flatten_unordered(self) -> Stream:
        """Each element is an iterable in no fixed order; emit its items. → NoOrder."""
        return self._new(N.FlatMap, self.kind_info.with_(order=Order.NO_ORDER, elem_cluster=None),
                         input=self.node_id, f=quote.builtin(_identity, "flatten"), ordered=False)

    @operator()
    def filter(self, f) -> Stream:
        """Keep the elements for which ``f(x)`` is true. Keeps every guarantee."""
        c = self._closure(f, example="filter(lambda x: x > 0)")
        return self._new(N.Filter, self.kind_info, input=self.node_id, f=c)

    @operator()
    def filter_map(self, f) -> Stream:
        """Apply ``f`` and keep the results that are not ``None``. Keeps every guarantee."""
        c = self._closure(f, example="filter_map(lambda s: int(s) if s.isdigit() else None)")
        return self._new(N.FilterMap, self.kind_info.with_(elem_cluster=None), input=self.node_id,
                         f=c)

    @operator()
    def inspect(self, f) -> Stream:
        """Call ``f(x)`` for its side effect (logging); the elements pass through unchanged."""
        c = self._closure(f, example="inspect(print)")
        return self._new(N.Inspect, self.kind_info, input=self.node_id, f=c)

    @operator()
    def enumerate(self) -> Stream:
        """Pair each element with its index: ``(0, x0), (1, x1), ...``.

        Rule: needs TotalOrder and ExactlyOnce (indices would differ between runs otherwise).
        At the top level the index keeps counting across ticks.
        """
        self._check_total_order("the index of an element depends on the order")
        self._check_exactly_once("a duplicate would shift every later index")
        return self._new(N.Enumerate, self.kind_info.with_(elem_cluster=None), input=self.node_id)

    @operator()
    def scan(self, init, f) -> Stream:
        """A running state machine: ``f(acc, x)`` returns ``(new_acc, output)`` or ``None`` to end
        the output (like ``itertools.accumulate`` with early stop).

        Rule: needs TotalOrder and ExactlyOnce. Result: TotalOrder, ExactlyOnce.
        """
        self._check_total_order(_NO_ORDER_WHY)
        self._check_exactly_once(_RETRY_WHY)
        i = self._closure(init, role="init", arity=0, example="scan(lambda: 0, ...)")
        c = self._closure(f, role="the step function", arity=2,
                          example="scan(lambda: 0, lambda acc, x: (acc + x, acc + x))")
        return self._new(N.Scan, K.stream(self.bound), input=self.node_id, init=i, f=c)

    @operator()
    def unique(self) -> Stream:
        """Drop duplicates (remembered across ticks at the top level). → ExactlyOnce."""
        return self._new(N.Unique, self.kind_info.with_(retries=Retries.EXACTLY_ONCE),
                         input=self.node_id)

    @operator()
    def partition(self, f) -> tuple[Stream, Stream]:
        """Split into ``(matching, non_matching)`` by ``f``; both keep every guarantee."""
        c = self._closure(f, example="partition(lambda x: x % 2 == 0)")
        yes = self._new(N.Filter, self.kind_info, input=self.node_id, f=c, detail="true side")
        no_fn = _Negate(c.fn)
        no = self._new(N.Filter, self.kind_info, input=self.node_id, detail="false side",
                       f=N.Closure(fn=no_fn, label=f"not {c.label}", text=f"not ({c.text})",
                                   source=c.source))
        return yes, no

    # -- aggregations -------------------------------------------------------------------------

    @operator()
    def fold(self, init, f, *, commutative: str | None = None, idempotent: str | None = None,
             monotone: str | None = None):
        """Aggregate into a Singleton: ``acc = init()``, then ``acc = f(acc, x)`` per element.

        Rule (Hydro's aggregation rule): TotalOrder + ExactlyOnce input accepts any ``f``; on
        NoOrder input ``f`` must be declared ``commutative="why"``, on AtLeastOnce input
        ``idempotent="why"``. At the top level the value keeps accumulating across ticks; in a
        tick it starts over each tick. ``monotone="why"`` declares that the accumulator only
        grows (Hydro's ``monotone = manual_proof!(..)``): a top-level result is then Monotonic,
        which ``threshold_greater_or_equal`` needs.
        """
        i = self._closure(init, role="init", arity=0,
                          example="fold(lambda: 0, lambda acc, x: acc + x)")
        c = self._closure(f, role="the combine function", arity=2,
                          example="fold(lambda: 0, lambda acc, x: acc + x)")
        comm, idem = self._check_algebra(commutative, idempotent, what="the combine function")
        if monotone is not None and not (isinstance(monotone, str) and monotone.strip()):
            raise rule_error("fold", f"monotone= takes the reason as a non-empty string, got "
                             f"{monotone!r}", 'monotone="the accumulator only grows"')
        kind = K.singleton(self.bound, monotonic=monotone is not None
                           and self.bound is Bound.UNBOUNDED)
        return self._new(N.Fold, kind, input=self.node_id, init=i, f=c,
                         commutative=comm, idempotent=idem)

    @operator()
    def reduce(self, f, *, commutative: str | None = None, idempotent: str | None = None):
        """Like :meth:`fold` with the first element as the start: an Optional (empty until the
        first element). Same aggregation rule as ``fold``."""
        c = self._closure(f, role="the combine function", arity=2,
                          example="reduce(lambda a, b: a + b)")
        comm, idem = self._check_algebra(commutative, idempotent, what="the combine function")
        return self._new(N.Reduce, K.optional(self.bound), input=self.node_id, f=c,
                         commutative=comm, idempotent=idem)

    @operator()
    def count(self):
        """The number of elements, a Singleton (Monotonic at the top level: it only grows).
        Rule: needs ExactlyOnce (any order)."""
        self._check_exactly_once("a duplicate would be counted twice")
        kind = K.singleton(self.bound, monotonic=self.bound is Bound.UNBOUNDED)
        return self._new(N.Fold, kind, input=self.node_id,
                         init=quote.builtin(_count_init, "0"),
                         f=quote.builtin(_count_step, "count"),
                         commutative="counting commutes")

    @operator()
    def max(self):
        """The largest element, an Optional. Any order and retries (max is commutative and
        idempotent)."""
        return self._new(N.Reduce, K.optional(self.bound), input=self.node_id,
                         f=quote.builtin(max, "max"), commutative="max commutes",
                         idempotent="max ignores duplicates")

    @operator()
    def min(self):
        """The smallest element, an Optional. Any order and retries."""
        return self._new(N.Reduce, K.optional(self.bound), input=self.node_id,
                         f=quote.builtin(min, "min"), commutative="min commutes",
                         idempotent="min ignores duplicates")

    @operator()
    def first(self):
        """The first element, an Optional. Rule: needs TotalOrder."""
        self._check_total_order("which element is first depends on the order")
        return self._new(N.Reduce, K.optional(self.bound), input=self.node_id,
                         f=quote.builtin(_first, "first"), idempotent="a retry is not first")

    @operator()
    def last(self):
        """The last element so far, an Optional. Rule: needs TotalOrder."""
        self._check_total_order("which element is last depends on the order")
        return self._new(N.Reduce, K.optional(self.bound), input=self.node_id,
                         f=quote.builtin(_last, "last"), idempotent="a retry repeats the last")

    @operator()
    def collect_list(self):
        """All elements in order as a list, a Singleton (Hydro's ``collect_vec``).

        Rule: needs TotalOrder and ExactlyOnce.
        """
        self._check_total_order("the list's order would differ between runs")
        self._check_exactly_once("duplicates would appear in the list")
        return self._new(N.Fold, K.singleton(self.bound), input=self.node_id,
                         init=quote.builtin(_list_init, "[]"),
                         f=quote.builtin(_list_append, "collect_list"))

    @operator()
    def sort(self) -> Stream:
        """The elements in ascending order. Rule: needs a Bounded input. → TotalOrder."""
        self._check_bounded("the stream", fix="sort inside a tick: .batch(tick, "
                            "nondet(\"why\")).sort()")
        return self._new(N.Sort, self.kind_info.with_(order=Order.TOTAL_ORDER),
                         input=self.node_id)

    @operator()
    def keys(self) -> Stream:
        """The distinct keys of a stream of ``(key, value)`` pairs. Rule: needs a Bounded input.
        → NoOrder, ExactlyOnce."""
        self._check_bounded("the stream")
        mapped = self._new(N.Map, self.kind_info, input=self.node_id,
                           f=quote.builtin(_key_of, "key"))
        return mapped._new(N.Unique, K.stream(self.bound, Order.NO_ORDER, Retries.EXACTLY_ONCE),
                           input=mapped.node_id)

    @operator()
    def into_keyed(self):
        """View a stream of ``(key, value)`` pairs as a KeyedStream (zero cost). The order and
        retries now hold within each key."""
        ki = self.kind_info
        return self._cast(K.keyed_stream(ki.bound, ki.order, ki.retries))

    # -- combining ----------------------------------------------------------------------------

    @operator()
    def chain(self, other: Stream) -> Stream:
        """All of ``self``, then all of ``other``. Rule: ``self`` must be Bounded (its end must be
        known). Result: the weaker guarantees of the two, and ``other``'s boundedness."""
        self._check_operand(other, (Kind.STREAM,), "the other stream")
        self._check_bounded("the first stream", fix="chain a Bounded stream first, or merge "
                            "two growing streams with .interleave(other) (NoOrder)")
        return self._new(N.Chain, combine(self.kind_info, other.kind_info, bound=other.bound),
                         first=self.node_id, second=other.node_id)

    @operator()
    def interleave(self, other: Stream) -> Stream:
        """Merge two streams in arrival order (Hydro's ``merge_unordered``). Rule: top level only
        (inside a tick use ``chain``). → NoOrder, Unbounded, the weaker retries."""
        self._check_operand(other, (Kind.STREAM,), "the other stream")
        self._check_top_level("inside a tick, concatenate with .chain(other)")
        kind = combine(self.kind_info, other.kind_info, order=Order.NO_ORDER,
                       bound=Bound.UNBOUNDED)
        return self._new(N.Chain, kind, first=self.node_id, second=other.node_id)

    merge_unordered = interleave

    @operator()
    def merge_ordered(self, other: Stream, nondet=None) -> Stream:
        """Merge two TotalOrder streams claiming a TotalOrder result; the interleaving is chosen
        by arrival, so it needs ``nondet``. Rule: top level; both TotalOrder."""
        self._check_operand(other, (Kind.STREAM,), "the other stream")
        self._check_top_level("inside a tick, concatenate with .chain(other)")
        info = self._check_nondet(nondet)
        self._check_total_order("merge_ordered keeps each side's order")
        if other.order is not Order.TOTAL_ORDER:
            raise rule_error("merge_ordered", f"the other stream is NoOrder ({other._here()})",
                             "use .interleave(other) for a NoOrder merge",
                             why="merge_ordered keeps each side's order")
        merged = self._new(N.Chain, combine(self.kind_info, other.kind_info,
                                            bound=Bound.UNBOUNDED),
                           first=self.node_id, second=other.node_id)
        return merged._new(N.ObserveNonDet, merged.kind_info, input=merged.node_id,
                           nondet_info=info)

    @operator()
    def cross_product(self, other: Stream) -> Stream:
        """Every pair ``(x, y)`` of the two streams. → NoOrder, the weaker of both sides."""
        self._check_operand(other, (Kind.STREAM,), "the other stream")
        kind = combine(self.kind_info, other.kind_info, order=Order.NO_ORDER)
        return self._new(N.CrossProduct, kind, left=self.node_id, right=other.node_id)

    @operator()
    def cross_singleton(self, singleton) -> Stream:
        """Pair each element with the value of a Bounded Singleton or Optional: ``(x, s)``;
        nothing is emitted while an Optional is empty. Keeps this stream's guarantees."""
        self._check_operand(singleton, (Kind.SINGLETON, Kind.OPTIONAL), "the singleton")
        singleton._check_bounded("the singleton", fix="snapshot it into this tick: "
                                 ".snapshot(tick, nondet(\"why\"))")
        return self._new(N.CrossSingleton, self.kind_info.with_(elem_cluster=None),
                         input=self.node_id, singleton=singleton.node_id)

    @operator()
    def join(self, other: Stream) -> Stream:
        """Equi-join two streams of pairs: ``(k, v1)`` and ``(k, v2)`` give ``(k, (v1, v2))``.
        Two top-level inputs emit each new pair once. Retries and boundedness: the weaker of
        both sides. Order: with a Bounded ``other`` (complete before this stream's elements
        look it up) the output keeps this stream's order, each element followed by its matches
        in ``other``'s order (Hydro's bounded join); otherwise NoOrder."""
        self._check_operand(other, (Kind.STREAM,), "the other stream")
        order = self.order if other.bound is Bound.BOUNDED else Order.NO_ORDER
        kind = combine(self.kind_info, other.kind_info, order=order)
        return self._new(N.Join, kind, left=self.node_id, right=other.node_id)

    @operator()
    def anti_join(self, keys: Stream) -> Stream:
        """Drop the pairs ``(k, v)`` whose key is in ``keys``. Rule: ``keys`` must be Bounded.
        Keeps this stream's guarantees."""
        self._check_operand(keys, (Kind.STREAM,), "the keys")
        keys._check_bounded("the keys stream")
        return self._new(N.AntiJoin, self.kind_info, input=self.node_id, neg=keys.node_id)

    @operator()
    def filter_not_in(self, other: Stream) -> Stream:
        """Drop the elements that appear in ``other`` (set difference). Rule: ``other`` must be
        Bounded. Keeps this stream's order; retries are the weaker of both."""
        self._check_operand(other, (Kind.STREAM,), "the other stream")
        other._check_bounded("the other stream")
        kind = self.kind_info.with_(retries=K.weaker(self.retries, other.retries))
        return self._new(N.Difference, kind, input=self.node_id, neg=other.node_id)

    @operator()
    def filter_if(self, signal) -> Stream:
        """Pass the elements only while ``signal``, a Bounded ``Singleton[bool]`` at this
        location, is true (Hydro's ``filter_if``). Keeps this stream's guarantees."""
        return ticks.filter_if(self, signal)

    @operator()
    def filter_if_some(self, signal) -> Stream:
        """Pass the elements only while ``signal`` (a Bounded Optional at this location) has a
        value. Hydro deprecates it for ``filter_if(signal.is_some())``; kept, as it reads the
        same (Hydro's older ``continue_if``)."""
        return ticks.gate(self, signal, when_some=True)

    @operator()
    def filter_if_none(self, signal) -> Stream:
        """Pass the elements only while ``signal`` is empty. Hydro deprecates it for
        ``filter_if(signal.is_none())``; kept (Hydro's older ``continue_unless``)."""
        return ticks.gate(self, signal, when_some=False)

    # -- ticks, atomicity, time ----------------------------------------------------------------

    @operator()
    def batch(self, tick, nondet=None) -> Stream:
        """This tick's batch of a top-level stream: Bounded, same order and retries.

        Needs ``nondet``: where batch boundaries fall depends on timing. Every element lands in
        exactly one batch.
        """
        return ticks.batch(self, tick, nondet)

    @operator()
    def atomic(self, tick) -> Stream:
        """Enter an atomic region tied to ``tick``; leave it with ``end_atomic``."""
        return ticks.atomic(self, tick)

    @operator()
    def end_atomic(self) -> Stream:
        """Leave the atomic region: elements are released once their tick has finished."""
        return ticks.end_atomic(self)

    @operator()
    def all_ticks(self) -> Stream:
        """Concatenate every tick's batch into a top-level Unbounded stream."""
        self._check_in_tick("all_ticks turns a tick's batches into a top-level stream; this "
                            "stream is not in a tick")
        return self._new(N.YieldConcat, self.kind_info.with_(bound=Bound.UNBOUNDED),
                         location=self._loc.outer, input=self.node_id)

    @operator()
    def all_ticks_atomic(self) -> Stream:
        """Like ``all_ticks``, but the result stays in the atomic region of this tick: it is
        processed synchronously with the tick (Hydro's ``all_ticks_atomic``). Unbounded, same
        order and retries."""
        return ticks.all_ticks_atomic(self, self.kind_info.with_(bound=Bound.UNBOUNDED))

    @operator()
    def across_ticks(self, f):
        """Stateful across ticks: ``f`` gets this tick's batches as one growing stream (in the
        tick's atomic region, so an aggregation keeps its state from tick to tick instead of
        starting over) and its result comes back into this tick: a stream as this tick's new
        elements, a singleton, optional or keyed singleton as its value now. Hydro's
        ``across_ticks``: ``thunk(self.all_ticks_atomic()).batched_atomic()``. Deterministic.

        Examples
        --------
        >>> flow = FlowBuilder()
        >>> p = flow.process("p")
        >>> tick = p.tick()
        >>> batch = p.source_iter([1, 2, 3]).batch(tick, nondet("test"))
        >>> so_far = batch.across_ticks(lambda s: s.count())  # elements so far, tick by tick
        >>> type(so_far).__name__, so_far.location == tick
        ('Singleton', True)
        """
        self._check_in_tick("across_ticks runs inside a tick: batch the stream into one first")
        if not callable(f):
            raise rule_error("across_ticks", f"expects a function of the stream, got "
                             f"{type(f).__name__} {f!r:.40}",
                             "across_ticks(lambda s: s.count())")
        given = self.all_ticks_atomic()
        return ticks.batched_atomic(f(given), self._loc, given)

    @operator()
    def defer_tick(self) -> Stream:
        """This tick's batch, delivered in the next tick (empty in tick 0)."""
        self._check_in_tick("defer_tick delays a batch by one tick; batch the stream first")
        return self._new(N.DeferTick, self.kind_info, input=self.node_id)

    @operator()
    def persist(self) -> Stream:
        """Seed-era operator: in each tick, every element of every tick so far."""
        self._check_in_tick("persist replays a tick stream's history; batch it first")
        return self._new(N.Persist, self.kind_info, input=self.node_id)

    @operator()
    def sample_every(self, seconds: float, nondet=None) -> Stream:
        """The elements that arrive in ticks where a ``seconds`` timer fires; the rest are
        skipped. Needs ``nondet`` (real time). Top level only. → Unbounded, AtLeastOnce."""
        return ticks.sample_every(self, seconds, nondet,
                                  self.kind_info.with_(bound=Bound.UNBOUNDED,
                                                       retries=Retries.AT_LEAST_ONCE))

    @operator()
    def timeout(self, seconds: float, nondet=None):
        """An Optional that holds ``None`` once the stream has been quiet for ``seconds`` (or has
        seen nothing yet). Needs ``nondet`` (real time). Top level only."""
        return ticks.sample_every(self, seconds, nondet, K.optional(Bound.UNBOUNDED),
                                  node=N.Timeout)

    # -- guarantees ---------------------------------------------------------------------------

    @operator()
    def assume_ordering(self, nondet=None) -> Stream:
        """Claim TotalOrder on your word (the simulator explores the orders). Needs ``nondet``."""
        info = self._check_nondet(nondet)
        return self._new(N.ObserveNonDet, self.kind_info.with_(order=Order.TOTAL_ORDER),
                         input=self.node_id, nondet_info=info)

    @operator()
    def assume_retries(self, nondet=None) -> Stream:
        """Claim ExactlyOnce on your word. Needs ``nondet``."""
        info = self._check_nondet(nondet)
        return self._new(N.ObserveNonDet, self.kind_info.with_(retries=Retries.EXACTLY_ONCE),
                         input=self.node_id, nondet_info=info)

    @operator()
    def weaken_ordering(self) -> Stream:
        """Forget the order: → NoOrder (always allowed)."""
        return self._cast(self.kind_info.with_(order=Order.NO_ORDER))

    @operator()
    def weaken_retries(self) -> Stream:
        """Forget exactly-once: → AtLeastOnce (always allowed)."""
        return self._cast(self.kind_info.with_(retries=Retries.AT_LEAST_ONCE))

    # -- sinks --------------------------------------------------------------------------------

    @operator()
    def for_each(self, f) -> None:
        """Run ``f(x)`` for its side effect on every element. Rule: needs TotalOrder (the side
        effects would happen in a different order in each run)."""
        c = self._closure(f, example="for_each(print)")
        self._check_total_order("the side effects would run in a different order each time",
                                fix="sort() it in a tick, or .assume_ordering(nondet(\"why the "
                                "order does not matter here\")) if it really does not")
        self._root(N.ForEach, input=self.node_id, f=c)

    @operator()
    def dest_sink(self, sink) -> None:
        """Push every element into ``sink``: an object with ``send``, ``put`` or ``append`` (a
        list, a queue). Rule: needs TotalOrder."""
        if not any(callable(getattr(sink, m, None)) for m in ("send", "put", "append")):
            raise rule_error("dest_sink", f"the sink {sink!r:.40} has no send, put or append "
                             "method", "pass a list, a queue.Queue or an object with send(x)")
        self._check_total_order("elements would reach the sink in a different order each time")
        self._root(N.DestSink, input=self.node_id, sink=sink)

    @operator()
    def watch(self, name: str | None = None, last: int = 50, nondet=None):
        """Show the recent elements live while the flow runs: a ``Watch`` handle keeping the
        last ``last`` ``(location, member, tick, element)`` rows (in a notebook it displays
        itself). Rule: a NoOrder or AtLeastOnce stream needs ``nondet`` (its elements would show
        in a different order, or duplicated, from run to run); see ``hydro_lab.lang.watch``."""
        return watching.watch(self, name, last, nondet)

    @operator()
    def ir_node_named(self, name: str) -> Stream:
        """Name this node in graphs and traces. Returns the same stream."""
        return ticks.rename(self, name)

    # -- networking ---------------------------------------------------------------------------

    @operator()
    def send(self, to, codec: Any = "pickle", name: str | None = None):
        """Send to another process (a Stream there, same order and retries) or, from a cluster,
        to anywhere (a KeyedStream keyed by the sender's MemberId). See ``broadcast``, ``demux``
        and ``round_robin`` for sends to a cluster."""
        return networking.send(self, to, codec, name)

    @operator()
    def broadcast(self, cluster, nondet=None, codec: Any = "pickle", name: str | None = None):
        """Send every element to every member of ``cluster``. Needs ``nondet``: members that join
        or leave during the broadcast may or may not receive it."""
        return networking.broadcast(self, cluster, nondet, codec, name)

    @operator()
    def demux(self, cluster, codec: Any = "pickle", name: str | None = None):
        """Send each ``(member_id, x)`` pair's ``x`` to that member of ``cluster``.

        A member id is ``MemberId(cluster.name, i)`` for ``i`` in ``0 .. size-1`` (the size is
        ``cluster_sizes`` at deploy time); an id of another cluster or past the size stops the
        deployment with a ``HydroRuntimeError``. Each member gets a Stream (from a cluster: a
        KeyedStream keyed by sender). Routing by key: hash the key with a stable hash
        (``zlib.crc32``, not the per-process ``hash()`` of a string) modulo the size.

        Examples
        --------
        >>> import zlib
        >>> flow = FlowBuilder()
        >>> router, shards = flow.process("router"), flow.cluster("shards")
        >>> def owner(key):
        ...     return MemberId("shards", zlib.crc32(key.encode()) % 3)
        >>> at_shard = router.source_iter(["a", "b"]).map(lambda k: (owner(k), k)).demux(shards)
        >>> at_shard.location
        Cluster('cluster shards')
        """
        return networking.demux(self.into_keyed(), cluster, codec, name)

    @operator()
    def round_robin(self, cluster, nondet=None, codec: Any = "pickle", name: str | None = None):
        """Send element i to member ``i mod n`` of ``cluster``. Rule: needs TotalOrder and
        ExactlyOnce; needs ``nondet`` (who is a member decides who gets what)."""
        return networking.round_robin(self, cluster, nondet, codec, name)

    @operator()
    def send_external(self, external, codec: Any = "pickle"):
        """Send every element to an external client; returns the port it connects to."""
        return networking.send_external(self, external, codec)

    @operator()
    def send_bincode_external(self, external):
        """Alias of ``send_external(external)`` (Hydro's older name); sends with pickle, Python's
        counterpart of bincode."""
        return self.send_external(external)

    @operator()
    def sim_output(self):
        """An output port for simulator tests (``inst.connect(port)`` gives ``next``,
        ``recv``, ``collect``, ``collect_sorted``, ``assert_yields``..., and iterates); an
        external port of the implicit client ``sim``.

        On a cluster each member's output is its own (Hydro's ``sim_cluster_output``): the
        handle reads one member with ``next(member)``, ``collect(member)``,
        ``collect_sorted(member)`` or ``handle[member]``, and without a member reads
        ``(member, value)`` pairs from all of them."""
        return networking.send_external(self, networking.sim_external(self), "pickle",
                                        cluster_ok=True)

    @operator()
    def sim_cluster_output(self):
        """Hydro's name for ``sim_output()`` of a Stream on a cluster: per-member output,
        read in a test with ``next(member)``, ``collect(member)``, ``collect_sorted(member)``."""
        if not isinstance(self._loc.root, ClusterId):
            raise rule_error("sim_cluster_output", f"this Stream is at "
                             f"{self._loc.root.describe()}, not on a cluster",
                             "use .sim_output(), which works at any process or cluster")
        return networking.send_external(self, networking.sim_external(self), "pickle",
                                        cluster_ok=True)

    # -- seed-era aliases (documented as aliases of today's names) -----------------------------

    @operator()
    def send_bincode(self, to):
        """Alias of ``send(to)`` (Hydro's older name). hydro_lab has no bincode: the edge uses
        the default codec, pickle, Python's counterpart of bincode, and graphs label it
        ``[pickle]``, the codec actually used."""
        return self.send(to)

    @operator()
    def send_bincode_interleaved(self, to):
        """Alias of ``send(to).values()`` from a cluster (``send(to)`` from a process): the
        senders' messages merged, NoOrder. Sends with pickle, like ``send_bincode``."""
        received = self.send(to)
        return received.values() if received.KIND is Kind.KEYED_STREAM else received

    send_bincode_anonymous = send_bincode_interleaved

    @operator()
    def demux_bincode(self, cluster):
        """Alias of ``demux(cluster)``; sends with pickle, like ``send_bincode``."""
        return self.demux(cluster)

    @operator()
    def broadcast_bincode(self, cluster, nondet=None):
        """Alias of ``broadcast(cluster, nondet)``; like ``broadcast`` it needs a ``nondet``.
        Sends with pickle, like ``send_bincode``."""
        return self.broadcast(cluster, nondet)

    @operator()
    def round_robin_bincode(self, cluster, nondet=None):
        """Alias of ``round_robin(cluster, nondet)`` (Hydro's older name); like ``round_robin``
        it needs a ``nondet``. Sends with pickle, like ``send_bincode``."""
        return self.round_robin(cluster, nondet)

    @operator()
    def continue_if(self, signal) -> Stream:
        """Alias of ``filter_if_some(signal)``."""
        return self.filter_if_some(signal)

    @operator()
    def continue_unless(self, signal) -> Stream:
        """Alias of ``filter_if_none(signal)``."""
        return self.filter_if_none(signal)


class _Negate:
    """``not f(x)``: the false side of ``partition``; a class so it pickles by value."""

    def __init__(self, f):
        self.f = f

    def __call__(self, x: Any) -> bool:
        return not self.f(x)

