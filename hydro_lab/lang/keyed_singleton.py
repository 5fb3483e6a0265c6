"""``KeyedSingleton``: a map from keys to values that may change over time.

Keyed aggregations produce it. Its values can be read as a stream of entries only when they never
change once present (Bounded, or Hydro's ``BoundedValue`` from ``first``/``fold_early_stop``);
otherwise take a consistent copy with ``snapshot(tick, nondet)`` first.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.errors import rule_error
from hydro_lab.ir import kinds as K
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Bound, Kind, Order, Retries
from hydro_lab.lang import quote, ticks
from hydro_lab.lang import watch as watching
from hydro_lab.lang.collection import LiveCollection, combine, register
from hydro_lab.lang.context import current_op, operator
from hydro_lab.lang.keyed_stream import get_values


def _key(pair: Any) -> Any:
    return pair[0]


def _value(pair: Any) -> Any:
    return pair[1]


def _zero() -> int:
    return 0


def _plus_one(acc: int, _: Any) -> int:
    return acc + 1


def _unit(key: Any) -> tuple[Any, None]:
    return (key, None)


def _left(pair: Any) -> Any:
    return pair[0]


@register
class KeyedSingleton(LiveCollection):
    """A map from keys to values. ``kind_info.values_fixed`` marks values that never change."""

    KIND = Kind.KEYED_SINGLETON
    __slots__ = ()

    def _check_values_fixed(self) -> None:
        ki = self.kind_info
        if ki.bound is not Bound.BOUNDED and not ki.values_fixed:
            op = current_op()
            raise rule_error(
                op, f"the values of this keyed singleton keep changing ({self._here()}), but "
                f"{op} needs values that are fixed once present",
                "take a consistent copy inside a tick first: .snapshot(tick, nondet(\"why\"))",
                why="reading changing values as a stream would see each key at an arbitrary "
                "version",
            )

    def _entries_kind(self, **changes) -> K.CollectionKind:
        return K.stream(self.bound, Order.NO_ORDER, Retries.EXACTLY_ONCE, **changes)

    @operator()
    def map(self, f) -> KeyedSingleton:
        """Apply ``f`` to each value; keys stay."""
        c = self._closure(f, example="map(lambda v: v * 2)")
        return self._new(N.Map, self.kind_info, input=self.node_id, f=c, on="value")

    @operator()
    def map_with_key(self, f) -> KeyedSingleton:
        """``f((key, value))`` becomes the new value; keys stay."""
        c = self._closure(f, example="map_with_key(lambda kv: kv[1] + len(kv[0]))")
        return self._new(N.Map, self.kind_info, input=self.node_id, f=c, on="entry")

    @operator()
    def filter(self, f) -> KeyedSingleton:
        """Keep the keys whose value passes ``f``. Rule: values must be fixed (or Bounded)."""
        self._check_values_fixed()
        c = self._closure(f, example="filter(lambda v: v > 0)")
        return self._new(N.Filter, self.kind_info, input=self.node_id, f=c, on="value")

    @operator()
    def inspect(self, f) -> KeyedSingleton:
        """Call ``f(value)`` for its side effect. Rule: values must be fixed (or Bounded)."""
        self._check_values_fixed()
        c = self._closure(f, example="inspect(print)")
        return self._new(N.Inspect, self.kind_info, input=self.node_id, f=c, on="value")

    @operator()
    def entries(self):
        """The ``(key, value)`` pairs as a NoOrder Stream. Rule: values must be fixed."""
        self._check_values_fixed()
        return self._cast(self._entries_kind())

    @operator()
    def keys(self):
        """The keys as a NoOrder Stream, each key once (at the top level a key is not passed
        again in later ticks). Rule: values must be fixed."""
        self._check_values_fixed()
        entries = self._cast(self._entries_kind())
        return entries._new(N.Map, self._entries_kind(elem_cluster=self.kind_info.key_cluster),
                            input=entries.node_id, f=quote.builtin(_key, "keys"))

    @operator()
    def values(self):
        """The values as a NoOrder Stream, one per key, passed once (any value, hashable or
        not: a list works). Rule: values must be fixed."""
        self._check_values_fixed()
        entries = self._cast(self._entries_kind())
        return entries._new(N.Map, self._entries_kind(), input=entries.node_id,
                            f=quote.builtin(_value, "values"))

    @operator()
    def key_count(self):
        """How many keys there are: a Singleton (Unbounded at the top level)."""
        return self._new(N.Fold, K.singleton(self.bound), input=self.node_id,
                         init=quote.builtin(_zero, "0"), f=quote.builtin(_plus_one, "key_count"),
                         commutative="counting keys commutes")

    @operator()
    def into_keyed_stream(self):
        """One element per key, as a KeyedStream. Rule: values must be fixed."""
        self._check_values_fixed()
        return self._cast(K.keyed_stream(self.bound, key_cluster=self.kind_info.key_cluster))

    @operator()
    def get(self, key):
        """The value under ``key`` (a constant or a Bounded Singleton/Optional here): an Optional.
        Rule: needs a Bounded keyed singleton (snapshot it into a tick first)."""
        self._check_bounded("the keyed singleton", fix="snapshot it into a tick first: "
                            ".snapshot(tick, nondet(\"why\")).get(key)")
        values = get_values(self, key, K.stream(Bound.BOUNDED))
        return values._cast(K.optional(Bound.BOUNDED))

    @operator()
    def join_keyed_stream(self, requests):
        """For each ``(key, v2)`` of ``requests`` whose key is present: ``(key, (value, v2))``.
        The standard "serve requests against state". Rule: this keyed singleton must be
        Bounded. Keeps the requests' guarantees."""
        self._check_operand(requests, (Kind.KEYED_STREAM,), "the requests")
        self._check_bounded("the keyed singleton", fix="snapshot it into the requests' tick")
        return self._new(N.Join, requests.kind_info, left=self.node_id, right=requests.node_id)

    @operator()
    def join_keyed_singleton(self, other):
        """Keys present in both: ``key -> (value, other_value)``. Rule: both Bounded."""
        self._check_operand(other, (Kind.KEYED_SINGLETON,), "the other keyed singleton")
        self._check_bounded("this keyed singleton")
        other._check_bounded("the other keyed singleton")
        return self._new(N.Join, combine(self.kind_info, other.kind_info), left=self.node_id,
                         right=other.node_id)

    @operator()
    def filter_key_in(self, keys):
        """Keep only the keys in ``keys`` (a Bounded Stream). Rule: values must be fixed."""
        self._check_values_fixed()
        self._check_operand(keys, (Kind.STREAM,), "the keys")
        keys._check_bounded("the keys stream")
        units = keys._new(N.Map, keys.kind_info, input=keys.node_id,
                          f=quote.builtin(_unit, "(key, None)"))
        joined = self._new(N.Join, self.kind_info, left=self.node_id, right=units.node_id)
        return joined._new(N.Map, self.kind_info, input=joined.node_id,
                           f=quote.builtin(_left, "drop marker"), on="value")

    @operator()
    def filter_key_not_in(self, keys):
        """Drop the keys in ``keys`` (a Bounded Stream). Rule: values must be fixed."""
        self._check_values_fixed()
        self._check_operand(keys, (Kind.STREAM,), "the keys")
        keys._check_bounded("the keys stream")
        return self._new(N.AntiJoin, self.kind_info, input=self.node_id, neg=keys.node_id)

    @operator()
    def snapshot(self, tick, nondet=None):
        """The whole map as seen in each tick of ``tick`` (Bounded). Needs ``nondet``."""
        return ticks.snapshot(self, tick, nondet)

    @operator()
    def snapshot_atomic(self, nondet=None):
        """Snapshot an atomic keyed singleton into its own tick."""
        return ticks.snapshot_atomic(self, nondet)

    @operator()
    def batch(self, tick, nondet=None):
        """The entries added since the previous batch (values must be fixed). Needs ``nondet``."""
        return ticks.batch(self, tick, nondet)

    @operator()
    def atomic(self, tick):
        """Enter an atomic region tied to ``tick``."""
        return ticks.atomic(self, tick)

    @operator()
    def end_atomic(self):
        """Leave the atomic region."""
        return ticks.end_atomic(self)

    @operator()
    def defer_tick(self):
        """This tick's map, seen next tick (empty in tick 0)."""
        self._check_in_tick("defer_tick works inside a tick")
        return self._new(N.DeferTick, self.kind_info, input=self.node_id)

    @operator()
    def watch(self, name: str | None = None, last: int = 50, nondet=None,
              keys: int | None = None):
        """Show the whole map live while the flow runs, tick by tick (each row's value is a
        dict): a ``Watch`` handle. Rule: a top-level keyed singleton (Unbounded) needs
        ``nondet``, as ``snapshot`` does; one in a tick needs none. The live view draws one
        line per key for the ``keys`` keys with the largest latest values (10 when not
        given). See ``hydro_lab.lang.watch``."""
        return watching.watch(self, name, last, nondet, keys)

    @operator()
    def ir_node_named(self, name: str):
        """Name this node in graphs and traces."""
        return ticks.rename(self, name)
