"""What a live collection is: its kind and its three guarantees, and the lattice over them.

Every collection carries a boundedness, an order and a retries guarantee. Weakening a guarantee is
always allowed; combining two collections gives the weaker of the two; only operators that take a
``nondet`` may strengthen one. The lattice lives here as data so that it can be tested on its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace


class Bound(enum.Enum):
    """Bounded: complete within the current tick (or a constant). Unbounded: grows over time."""

    BOUNDED = "Bounded"
    UNBOUNDED = "Unbounded"

    def __repr__(self) -> str:
        return f"Bound.{self.name}"


class Order(enum.Enum):
    """TotalOrder: the element order is deterministic. NoOrder: it may differ between runs."""

    TOTAL_ORDER = "TotalOrder"
    NO_ORDER = "NoOrder"

    def __repr__(self) -> str:
        return f"Order.{self.name}"


class Retries(enum.Enum):
    """ExactlyOnce: each element appears once. AtLeastOnce: duplicates are possible."""

    EXACTLY_ONCE = "ExactlyOnce"
    AT_LEAST_ONCE = "AtLeastOnce"

    def __repr__(self) -> str:
        return f"Retries.{self.name}"


class Kind(enum.Enum):
    """The five kinds of live collection."""

    STREAM = "Stream"
    KEYED_STREAM = "KeyedStream"
    SINGLETON = "Singleton"
    OPTIONAL = "Optional"
    KEYED_SINGLETON = "KeyedSingleton"

    @property
    def keyed(self) -> bool:
        return self in (Kind.KEYED_STREAM, Kind.KEYED_SINGLETON)

    @property
    def is_stream(self) -> bool:
        return self in (Kind.STREAM, Kind.KEYED_STREAM)

    @property
    def is_single(self) -> bool:
        return self in (Kind.SINGLETON, Kind.OPTIONAL)


# The weaker member of each guarantee, and a strength rank (higher is stronger).
_WEAK = {Bound: Bound.UNBOUNDED, Order: Order.NO_ORDER, Retries: Retries.AT_LEAST_ONCE}


def weaker(a, b):
    """The weaker of two values of the same guarantee (the lattice meet)."""
    if type(a) is not type(b):
        raise TypeError(f"cannot compare {a!r} with {b!r}")
    weak = _WEAK[type(a)]
    return weak if weak in (a, b) else a


def is_at_least(value, required) -> bool:
    """True when ``value`` is as strong as ``required`` or stronger."""
    return weaker(value, required) is required


@dataclass(frozen=True)
class CollectionKind:
    """The static description of a collection: kind plus guarantees.

    ``order`` and ``retries`` of a keyed collection hold within each key group; across keys
    nothing is ordered. Singletons and optionals hold one value, which is trivially
    TotalOrder and ExactlyOnce. ``values_fixed`` marks a KeyedSingleton whose keys may still
    arrive but whose values never change once present (Hydro's ``BoundedValue``).
    ``key_cluster`` / ``elem_cluster`` record that keys / elements are MemberIds of that cluster,
    so that sending them to another cluster is caught while the flow is built. ``monotonic``
    marks an Unbounded Singleton whose value only grows (Hydro's ``Monotonic`` bound: ``count()``,
    or a ``fold`` declared ``monotone=``), which ``threshold_greater_or_equal`` requires.
    """

    kind: Kind
    bound: Bound
    order: Order = Order.TOTAL_ORDER
    retries: Retries = Retries.EXACTLY_ONCE
    values_fixed: bool = False
    key_cluster: str | None = None
    elem_cluster: str | None = None
    monotonic: bool = False

    def with_(self, **changes) -> CollectionKind:
        return replace(self, **changes)

    def describe(self) -> str:
        """``Stream<Unbounded, NoOrder, ExactlyOnce>``-style text for messages and graphs."""
        if self.kind.is_single:
            bound = "Monotonic" if self.monotonic and self.bound is Bound.UNBOUNDED \
                else self.bound.value
            return f"{self.kind.value}<{bound}>"
        parts = [self.bound.value]
        if self.values_fixed:
            parts[0] = "BoundedValue"
        if self.kind is not Kind.KEYED_SINGLETON:
            parts += [self.order.value, self.retries.value]
        key = f"MemberId<{self.key_cluster}>, " if self.key_cluster else ""
        return f"{self.kind.value}<{key}{', '.join(parts)}>"


def stream(bound=Bound.UNBOUNDED, order=Order.TOTAL_ORDER, retries=Retries.EXACTLY_ONCE, **kw):
    """Shorthand constructors used by the builder and by tests."""
    return CollectionKind(Kind.STREAM, bound, order, retries, **kw)


def keyed_stream(bound=Bound.UNBOUNDED, order=Order.TOTAL_ORDER, retries=Retries.EXACTLY_ONCE,
                 **kw):
    return CollectionKind(Kind.KEYED_STREAM, bound, order, retries, **kw)


def singleton(bound=Bound.BOUNDED, **kw):
    return CollectionKind(Kind.SINGLETON, bound, **kw)


def optional(bound=Bound.BOUNDED, **kw):
    return CollectionKind(Kind.OPTIONAL, bound, **kw)


def keyed_singleton(bound=Bound.BOUNDED, **kw):
    return CollectionKind(Kind.KEYED_SINGLETON, bound, **kw)
