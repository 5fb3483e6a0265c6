"""``Singleton`` (exactly one value that may change over time) and ``Optional`` (zero or one).

A top-level aggregation is an Unbounded singleton: its value keeps changing, so reading it as a
whole needs a ``snapshot`` into a tick (non-deterministic: which version is seen depends on
timing). Constants and values inside a tick are Bounded.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.errors import rule_error
from hydro_lab.ir import kinds as K
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Bound, Kind, Order, Retries
from hydro_lab.ir.locations import AtomicId
from hydro_lab.lang import quote, ticks
from hydro_lab.lang import watch as watching
from hydro_lab.lang.collection import LiveCollection, register
from hydro_lab.lang.context import current_op, operator
from hydro_lab.lang.nondet import nondet


def _identity(x: Any) -> Any:
    return x


def _none() -> None:
    return None


def _true() -> bool:
    return True


def _false() -> bool:
    return False


def _take_new(_: Any, x: Any) -> Any:
    return x


def _always_true(_: Any, __: Any) -> bool:
    return True


def _always_false(_: Any, __: Any) -> bool:
    return False


def _equals(pair: Any) -> bool:
    return pair[0] == pair[1]


def _both(pair: Any) -> bool:
    return bool(pair[0] and pair[1])


def _either(pair: Any) -> bool:
    return bool(pair[0] or pair[1])


def _not(b: Any) -> bool:
    return not b


def _passed(pair: Any) -> Any:
    """``(threshold, value)`` -> the threshold once the value has reached it, else None."""
    t, m = pair
    return None if m < t else t


def _is_first(entry: Any) -> bool:
    return entry[0] == 0


def _second(entry: Any) -> Any:
    return entry[1]


CLONE_INTO_TICK = "a Bounded top-level singleton has one version, so every tick sees it"
THRESHOLDS = "thresholds are deterministic: the value only grows, so once reached it stays reached"


class _SingleValue(LiveCollection):
    """What Singleton and Optional share."""

    __slots__ = ()

    def _same(self, **changes) -> K.CollectionKind:
        return self.kind_info.with_(**changes) if changes else self.kind_info

    @operator()
    def map(self, f):
        """Apply ``f`` to the value (an empty Optional stays empty). A Monotonic value is no
        longer known to be monotonic afterwards (``f`` need not preserve the order)."""
        c = self._closure(f, example="map(lambda v: v * 2)")
        return self._new(N.Map, self._same(elem_cluster=None, monotonic=False),
                         input=self.node_id, f=c)

    @operator()
    def filter(self, f):
        """Keep the value when ``f(value)`` is true: an Optional."""
        c = self._closure(f, example="filter(lambda v: v > 0)")
        return self._new(N.Filter, K.optional(self.bound), input=self.node_id, f=c)

    @operator()
    def filter_map(self, f):
        """Apply ``f`` and keep the result unless it is ``None``: an Optional."""
        c = self._closure(f, example="filter_map(lambda v: v or None)")
        return self._new(N.FilterMap, K.optional(self.bound), input=self.node_id, f=c)

    @operator()
    def flat_map_ordered(self, f):
        """The items of ``f(value)`` as a Bounded TotalOrder Stream. Rule: needs Bounded."""
        self._check_bounded(f"this {self.KIND.value}")
        c = self._closure(f, example="flat_map_ordered(lambda v: range(v))")
        return self._new(N.FlatMap, K.stream(Bound.BOUNDED), input=self.node_id, f=c)

    @operator()
    def flat_map_unordered(self, f):
        """The items of ``f(value)`` as a Bounded NoOrder Stream. Rule: needs Bounded."""
        self._check_bounded(f"this {self.KIND.value}")
        c = self._closure(f, example="flat_map_unordered(lambda v: set(v))")
        return self._new(N.FlatMap, K.stream(Bound.BOUNDED, Order.NO_ORDER), input=self.node_id,
                         f=c, ordered=False)

    @operator()
    def flatten_ordered(self):
        """The items of the value (an iterable) as a Bounded TotalOrder Stream."""
        self._check_bounded(f"this {self.KIND.value}")
        return self._new(N.FlatMap, K.stream(Bound.BOUNDED), input=self.node_id,
                         f=quote.builtin(_identity, "flatten"))

    @operator()
    def flatten_unordered(self):
        """The items of the value as a Bounded NoOrder Stream."""
        self._check_bounded(f"this {self.KIND.value}")
        return self._new(N.FlatMap, K.stream(Bound.BOUNDED, Order.NO_ORDER), input=self.node_id,
                         f=quote.builtin(_identity, "flatten"), ordered=False)

    @operator()
    def zip(self, other):
        """Pair two Bounded values: ``(a, b)``. Singleton with Singleton gives a Singleton;
        with an Optional on either side the result is an Optional."""
        self._check_operand(other, (Kind.SINGLETON, Kind.OPTIONAL), "the other value")
        self._check_bounded(f"this {self.KIND.value}")
        other._check_bounded("the other value")
        both = self.KIND is Kind.SINGLETON and other.KIND is Kind.SINGLETON
        kind = K.singleton(Bound.BOUNDED) if both else K.optional(Bound.BOUNDED)
        return self._new(N.CrossSingleton, kind, input=self.node_id, singleton=other.node_id)

    @operator()
    def into_stream(self):
        """The value as a Bounded Stream of zero or one element. Rule: needs Bounded."""
        self._check_bounded(f"this {self.KIND.value}", fix="snapshot it into a tick first")
        return self._cast(K.stream(Bound.BOUNDED, elem_cluster=self.kind_info.elem_cluster))

    @operator()
    def snapshot(self, tick, nondet=None):
        """The value as seen in each tick of ``tick``: Bounded. Needs ``nondet`` (which version a
        tick sees depends on timing). All snapshots in one tick agree; later ticks never see an
        older version."""
        return ticks.snapshot(self, tick, nondet)

    @operator()
    def snapshot_atomic(self, nondet=None):
        """Snapshot an atomic value into its own tick, consistent with the atomic region."""
        return ticks.snapshot_atomic(self, nondet)

    @operator()
    def atomic(self, tick):
        """Enter an atomic region tied to ``tick``."""
        return ticks.atomic(self, tick)

    @operator()
    def end_atomic(self):
        """Leave the atomic region."""
        return ticks.end_atomic(self)

    @operator()
    def latest(self):
        """The value of the latest tick, as a top-level Optional (empty before the first tick)."""
        self._check_in_tick("latest() leaves a tick; this value is not in one")
        return self._new(N.YieldConcat, K.optional(Bound.UNBOUNDED), location=self._loc.outer,
                         input=self.node_id)

    @operator()
    def all_ticks(self):
        """One element per tick (ticks where an Optional is empty are skipped): a top-level
        Unbounded TotalOrder Stream."""
        self._check_in_tick("all_ticks() leaves a tick; this value is not in one")
        return self._new(N.YieldConcat, K.stream(Bound.UNBOUNDED), location=self._loc.outer,
                         input=self.node_id)

    @operator()
    def all_ticks_atomic(self):
        """Like ``all_ticks``, but the stream stays in the atomic region of this tick, processed
        synchronously with it (Hydro's ``all_ticks_atomic``)."""
        return ticks.all_ticks_atomic(self, K.stream(Bound.UNBOUNDED))

    @operator()
    def defer_tick(self):
        """The previous tick's value: an Optional, empty in tick 0."""
        self._check_in_tick("defer_tick works inside a tick")
        return self._new(N.DeferTick, K.optional(Bound.BOUNDED), input=self.node_id)

    @operator()
    def sample_every(self, seconds: float, nondet=None):
        """The value every ``seconds`` seconds, as a Stream (TotalOrder, AtLeastOnce: an unchanged
        value is sampled again). Needs ``nondet`` (real time). Top level only."""
        return ticks.sample_every(self, seconds, nondet,
                                  K.stream(Bound.UNBOUNDED, Order.TOTAL_ORDER,
                                           Retries.AT_LEAST_ONCE))

    @operator()
    def sample_eager(self, nondet=None):
        """The value in every tick, as a Stream (TotalOrder, AtLeastOnce). Needs ``nondet``."""
        if not self._loc.is_top_level or isinstance(self._loc, AtomicId):
            raise rule_error("sample_eager", f"this {self.KIND.value} is inside "
                             f"{self._loc.describe()}", "call it on a top-level value")
        info = self._check_nondet(nondet)
        tick_id = self.location.tick().id
        snap = self._new(N.Batch, self.kind_info.with_(bound=Bound.BOUNDED), location=tick_id,
                         input=self.node_id, nondet_info=info)
        stream = snap._cast(K.stream(Bound.BOUNDED))
        return stream._new(N.YieldConcat, K.stream(Bound.UNBOUNDED, retries=Retries.AT_LEAST_ONCE),
                           location=self._loc, input=stream.node_id)

    @operator()
    def filter_if(self, signal):
        """The value while ``signal``, a Bounded ``Singleton[bool]`` here, is true, else empty:
        an Optional (Bounded). Rule: this value must be Bounded too (Hydro's ``filter_if``)."""
        return ticks.filter_if(self, signal)

    @operator()
    def filter_if_some(self, signal):
        """The value while ``signal`` (a Bounded Optional) has a value, else empty: an Optional
        (Bounded). Hydro deprecates it for ``filter_if(signal.is_some())``; kept, as it reads
        the same."""
        return ticks.gate(self, signal, when_some=True)

    @operator()
    def filter_if_none(self, signal):
        """The value while ``signal`` is empty: an Optional (Bounded). Hydro deprecates it for
        ``filter_if(signal.is_none())``; kept."""
        return ticks.gate(self, signal, when_some=False)

    @operator()
    def continue_if(self, signal):
        """Alias of ``filter_if_some(signal)``."""
        return self.filter_if_some(signal)

    @operator()
    def continue_unless(self, signal):
        """Alias of ``filter_if_none(signal)``."""
        return self.filter_if_none(signal)

    @operator()
    def watch(self, name: str | None = None, last: int = 50, nondet=None):
        """Show the value live while the flow runs, tick by tick: a ``Watch`` handle keeping the
        last ``last`` ``(location, member, tick, value)`` rows (a number shows as a sparkline in
        a notebook). Rule: a top-level value that changes (Unbounded) needs ``nondet``, as
        ``sample_eager`` does (which versions are seen depends on timing); a value in a tick or
        a constant needs none. See ``hydro_lab.lang.watch``."""
        return watching.watch(self, name, last, nondet)

    @operator()
    def ir_node_named(self, name: str):
        """Name this node in graphs and traces."""
        return ticks.rename(self, name)


@register
class Singleton(_SingleValue):
    """Exactly one value, which may change over time (Unbounded) or not (Bounded)."""

    KIND = Kind.SINGLETON
    __slots__ = ()

    def _pair_with(self, other, role: str):
        """``(self, other)`` as a Bounded Singleton: the zip Hydro's and/or/equals start from."""
        self._check_operand(other, (Kind.SINGLETON,), role)
        self._check_bounded(f"this {self.KIND.value}")
        other._check_bounded(role)
        return self._new(N.CrossSingleton, K.singleton(Bound.BOUNDED), input=self.node_id,
                         singleton=other.node_id)

    def _on_pair(self, other, role: str, fn, label: str):
        pair = self._pair_with(other, role)
        return pair._new(N.Map, K.singleton(Bound.BOUNDED), input=pair.node_id,
                         f=quote.builtin(fn, label))

    @operator()
    def equals(self, other):
        """``self == other`` as a Bounded ``Singleton[bool]``. Rule: both Bounded Singletons at
        this location (Hydro's ``equals``)."""
        return self._on_pair(other, "the other singleton", _equals, "==")

    @operator("and_")
    def and_(self, other):
        """Logical AND of two ``Singleton[bool]`` (Hydro's ``and``, spelled ``and_`` because
        ``and`` is a Python keyword): a Bounded Singleton. Rule: both Bounded."""
        return self._on_pair(other, "the other Singleton[bool]", _both, "and")

    @operator("or_")
    def or_(self, other):
        """Logical OR of two ``Singleton[bool]`` (Hydro's ``or``, spelled ``or_``): a Bounded
        Singleton. Rule: both Bounded."""
        return self._on_pair(other, "the other Singleton[bool]", _either, "or")

    @operator("~")
    def __invert__(self):
        """``~signal``: logical NOT of a ``Singleton[bool]`` (Hydro's ``Not``, ``!signal``), same
        boundedness. Python's ``not`` cannot be overloaded (it asks for a truth value, which a
        live collection does not have while building), so ``~`` it is."""
        return self._new(N.Map, K.singleton(self.bound), input=self.node_id,
                         f=quote.builtin(_not, "not"))

    @operator()
    def into_optional(self):
        """A ``Singleton`` holding ``None`` or a value, as an Optional: empty for ``None``
        (Hydro's ``into_optional`` on ``Singleton<Option<T>>``). Same boundedness."""
        return self._new(N.FilterMap, K.optional(self.bound), input=self.node_id,
                         f=quote.builtin(_identity, "into_optional"))

    @operator()
    def clone_into_tick(self, tick):
        """This Bounded top-level value inside ``tick``: a Bounded Singleton there. No
        ``nondet``: a Bounded singleton has one version, so every tick sees the same value
        (Hydro's ``clone_into_tick``). Rule: needs a Bounded singleton."""
        self._check_bounded("this singleton", fix="a changing (Unbounded) value enters a tick "
                            "with .snapshot(tick, nondet(\"why\"))")
        tick_id = ticks._check_tick(self, tick)
        return self._new(N.Batch, self.kind_info.with_(monotonic=False), location=tick_id,
                         input=self.node_id, nondet_info=N.NonDetInfo(CLONE_INTO_TICK))

    @operator()
    def threshold_greater_or_equal(self, threshold):
        """A Stream that emits ``threshold``'s value once, the first time this value is ``>=``
        it (Hydro's ``threshold_greater_or_equal``). Deterministic, which is why the rule:
        this singleton must be Bounded or Monotonic (it only grows: ``count()``, or a ``fold``
        declared ``monotone=``); ``threshold`` a Bounded Singleton at this location. →
        Stream (TotalOrder, ExactlyOnce), Bounded for a Bounded input, else Unbounded."""
        self._check_operand(threshold, (Kind.SINGLETON,), "the threshold")
        threshold._check_bounded("the threshold", fix="use a constant: "
                                 "loc.singleton(value)")
        ki = self.kind_info
        if ki.bound is Bound.BOUNDED:
            return _passing(threshold.zip(self).into_stream())
        if not ki.monotonic:
            raise rule_error(
                "threshold_greater_or_equal", f"this singleton is {ki.describe()}, but "
                "threshold_greater_or_equal needs a Monotonic or Bounded one",
                "make the value one that only grows: count(), or fold(..., monotone=\"why the "
                "accumulator only grows\"); a map() in between forgets monotonicity. To compare "
                "a changing value on purpose, snapshot it into a tick with "
                ".snapshot(tick, nondet(\"why\")) and compare there",
                why="a value that can shrink may cross the threshold several times, so when it "
                "fires would depend on timing",
            )
        tick = self.location.tick()
        me = ticks.snapshot(self, tick, nondet(THRESHOLDS))
        passed = _passing(threshold.clone_into_tick(tick).zip(me).into_stream())
        hits = passed.all_ticks_atomic() if isinstance(self._loc, AtomicId) \
            else passed.all_ticks()
        numbered = hits.enumerate()
        first = numbered._new(N.Filter, numbered.kind_info, input=numbered.node_id,
                              f=quote.builtin(_is_first, "first time"))
        return first._new(N.Map, K.stream(Bound.UNBOUNDED), input=first.node_id,
                          f=quote.builtin(_second, "threshold"))


def _passing(pairs: LiveCollection) -> LiveCollection:
    """The thresholds of a stream of ``(threshold, value)`` pairs whose value reached them."""
    return pairs._new(N.FilterMap, pairs.kind_info, input=pairs.node_id,
                      f=quote.builtin(_passed, "value >= threshold"))


@register
class Optional(_SingleValue):
    """Zero or one value, which may change over time."""

    KIND = Kind.OPTIONAL
    __slots__ = ()

    @operator()
    def or_else(self, other):
        """This value if present, else ``other``'s (Hydro's ``or``). With a Singleton ``other``
        the result is a Singleton."""
        self._check_operand(other, (Kind.OPTIONAL, Kind.SINGLETON), "the other value")
        bound = K.weaker(self.bound, other.bound)
        kind = K.singleton(bound) if other.KIND is Kind.SINGLETON else K.optional(bound)
        return self._new(N.ChainFirst, kind, first=self.node_id, second=other.node_id)

    @operator()
    def unwrap_or(self, default):
        """This value if present, else the Singleton ``default``'s: a Singleton."""
        if not isinstance(default, LiveCollection):
            op = current_op()
            raise rule_error(op, f"the default must be a Singleton, got {type(default).__name__} "
                             f"{default!r:.30}", f"wrap a constant: {op}(loc.singleton(value)) "
                             "(tick.singleton(value) inside a tick)")
        self._check_operand(default, (Kind.SINGLETON,), "the default")
        return self._new(N.ChainFirst, K.singleton(K.weaker(self.bound, default.bound)),
                         first=self.node_id, second=default.node_id)

    @operator()
    def into_singleton(self):
        """A Singleton holding the value or ``None``."""
        return self._new(N.Fold, K.singleton(self.bound), input=self.node_id,
                         init=quote.builtin(_none, "None"), f=quote.builtin(_take_new, "value"))

    @operator()
    def is_some(self):
        """A ``Singleton[bool]``, same boundedness: does the Optional hold a value (now: a
        top-level one follows the Optional, including when it becomes empty again)? Hydro's
        ``is_some``, the signal for ``filter_if``."""
        return self._new(N.Fold, K.singleton(self.bound), input=self.node_id,
                         init=quote.builtin(_false, "False"),
                         f=quote.builtin(_always_true, "is_some"))

    @operator()
    def is_none(self):
        """A ``Singleton[bool]``, same boundedness: is the Optional empty? Hydro's ``is_none``
        (``!is_some()``)."""
        return self._new(N.Fold, K.singleton(self.bound), input=self.node_id,
                         init=quote.builtin(_true, "True"),
                         f=quote.builtin(_always_false, "is_none"))
