"""The base of the five live-collection handles and the checks their operators share.

A handle wraps exactly one IR node; its kind, location and guarantees are that node's metadata.
Every operator checks Hydro's rules when it is called, then appends one node (or a few) and returns
a new handle. The shared checks live here; each operator's docstring states its own rule.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.errors import HydroTypeError, no_attribute, rule_error
from hydro_lab.ir import kinds as K
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Bound, CollectionKind, Kind, Order, Retries
from hydro_lab.ir.locations import AtomicId, LocationId, TickId
from hydro_lab.lang import quote
from hydro_lab.lang.context import BuildContext, current_op, current_site, operator
from hydro_lab.lang.nondet import require_nondet

_CLASSES: dict[Kind, type[LiveCollection]] = {}


def register(cls: type[LiveCollection]) -> type[LiveCollection]:
    _CLASSES[cls.KIND] = cls
    return cls


def wrap(ctx: BuildContext, node: N.Node) -> LiveCollection:
    return _CLASSES[node.meta.kind.kind](ctx, node)


def kind_name(kind: Kind) -> str:
    return kind.value


class LiveCollection:
    """Common behavior of Stream, KeyedStream, Singleton, Optional and KeyedSingleton."""

    KIND: Kind
    __slots__ = ("_ctx", "_node")

    def __init__(self, ctx: BuildContext, node: N.Node):
        self._ctx = ctx
        self._node = node

    # -- introspection ---------------------------------------------------------------------

    @property
    def kind_info(self) -> CollectionKind:
        """Kind and guarantees as one value (``c.kind_info.describe()`` prints them)."""
        return self._ctx.graph.nodes[self._node.id].meta.kind

    @property
    def location(self):
        """The location handle: a Process, Cluster, Tick (``.outer`` is its process) or Atomic."""
        return self._ctx.handle(self._loc)

    @property
    def bound(self) -> Bound:
        """``Bound.BOUNDED`` (finite: a tick's batch, a source_iter) or ``Bound.UNBOUNDED``
        (grows as the flow runs); part of the kind, as in ``Stream<Unbounded, ...>``."""
        return self.kind_info.bound

    @property
    def order(self) -> Order:
        """``Order.TOTAL_ORDER`` or ``Order.NO_ORDER`` (e.g. after a send from a cluster's
        members): what order-sensitive operators such as ``fold`` may rely on."""
        return self.kind_info.order

    @property
    def retries(self) -> Retries:
        """``Retries.EXACTLY_ONCE`` or ``Retries.AT_LEAST_ONCE`` (an element may come more than
        once): aggregations over the latter must be declared idempotent."""
        return self.kind_info.retries

    @property
    def node_id(self) -> int:
        """The id of the IR node that produces this collection: the number the graph shows as
        ``#id`` and error messages cite."""
        return self._node.id

    @operator()
    def atomic_source(self):
        """The Tick of the atomic region this collection is in (the tick given to
        ``atomic(tick)``), for batching or snapshotting into it (Hydro's ``atomic_source``).
        Rule: only in an atomic region."""
        if not isinstance(self._loc, AtomicId):
            raise rule_error(
                "atomic_source", f"this {self.KIND.value} is not in an atomic region (it is at "
                f"{self._loc.describe()})", "enter one with .atomic(tick) (then "
                "atomic_source() is that tick), or use the tick you have",
            )
        return self._ctx.handle(self._loc.tick_id)

    @property
    def _loc(self) -> LocationId:
        return self._node.meta.location

    def __repr__(self) -> str:
        return f"<{self.kind_info.describe()} at {self._loc.describe()} (%{self._node.id})>"

    def __getattr__(self, name: str):
        """Only for names that do not exist: a Hydro name hydro_lab spells differently
        (``collect_vec``, ``send_bytes``, ...) gets an AttributeError naming the spelling."""
        raise no_attribute(self, name)

    def __bool__(self) -> bool:
        raise HydroTypeError(
            f"{kind_name(self.KIND)}s have no truth value while a flow is being built: their "
            "contents only exist once the flow runs.\n"
            "  Fix: use filter(...), filter_if_some(...) or filter_if_none(...) to branch in the "
            "dataflow."
        )

    # -- building --------------------------------------------------------------------------

    def _meta(self, kind: CollectionKind | None, location: LocationId | None = None,
              detail: str = "", op: str | None = None) -> N.Meta:
        return N.Meta(
            location=location if location is not None else self._loc,
            kind=kind,
            op=op or current_op(),
            source=current_site(),
            detail=detail,
        )

    def _new(self, cls: type[N.Node], kind: CollectionKind, *, location: LocationId | None = None,
             detail: str = "", op: str | None = None, **fields: Any) -> LiveCollection:
        node = self._ctx.graph.add(cls, self._meta(kind, location, detail, op), **fields)
        return wrap(self._ctx, node)

    def _root(self, cls: type[N.Node], *, detail: str = "", **fields: Any) -> N.Node:
        return self._ctx.graph.add(cls, self._meta(None, detail=detail), **fields)

    def _closure(self, fn: Any, *, role: str = "the function", arity: int = 1,
                 example: str = "lambda x: x") -> N.Closure:
        return quote.capture(fn, op=current_op(), role=role, arity=arity, example=example)

    def _cast(self, kind: CollectionKind, *, location: LocationId | None = None,
              detail: str = "") -> LiveCollection:
        return self._new(N.Cast, kind, location=location, detail=detail, input=self._node.id)

    # -- shared checks ---------------------------------------------------------------------

    def _here(self) -> str:
        return f"{self.kind_info.describe()} at {self._loc.describe()}"

    def _check_operand(self, other: Any, allowed: tuple[Kind, ...], role: str) -> None:
        """``other`` is a live collection of the same flow, of an allowed kind, at our location."""
        op = current_op()
        names = " or ".join(k.value for k in allowed)
        if not isinstance(other, LiveCollection):
            raise rule_error(
                op, f"{role} must be a {names}, got {type(other).__name__} {other!r:.40}",
                f"pass a live collection built at {self._loc.describe()}",
            )
        if other._ctx is not self._ctx:
            raise rule_error(op, f"{role} belongs to a different FlowBuilder",
                             "build both collections from the same flow")
        if other.KIND not in allowed:
            raise rule_error(op, f"{role} must be a {names}, got a {other.KIND.value}",
                             _convert_hint(other.KIND, allowed))
        self._check_same_location(other, role)

    def _check_same_location(self, other: LiveCollection, role: str) -> None:
        a, b = self._loc, other._loc
        if a == b:
            return
        op = current_op()
        if a.root != b.root:
            raise rule_error(
                op,
                f"{role} lives at {b.describe()}, but this {self.KIND.value} lives at "
                f"{a.describe()}",
                "operators only combine collections at the same location; move one side "
                "with .send(...) (or broadcast/demux) first",
                why="data at different locations can only meet through an explicit network send",
            )
        if isinstance(a, TickId) and isinstance(b, TickId):
            raise rule_error(
                op, f"{role} is in tick {b.name}, but this {self.KIND.value} is in tick {a.name} "
                f"of the same {a.root.describe()}",
                "batch/snapshot both collections into the same tick",
                why="two ticks are independent clocks; nothing relates their batches",
            )
        if isinstance(a, TickId) or isinstance(b, TickId):
            inside, outside = (a, b) if isinstance(a, TickId) else (b, a)
            raise rule_error(
                op, f"one operand is inside {inside.describe()} and the other at "
                f"{outside.describe()}",
                "bring the top-level one into the tick with .batch(tick, nondet(...)) or "
                ".snapshot(tick, nondet(...)), or leave the tick with .all_ticks()/.latest()",
            )
        if isinstance(a, AtomicId) or isinstance(b, AtomicId):
            raise rule_error(
                op, "one operand is in an atomic region "
                f"({(a if isinstance(a, AtomicId) else b).name}) "
                "and the other is not",
                "call .atomic(tick) on the other operand too, or .end_atomic() on this one",
            )
        raise rule_error(op, f"{role} lives at {b.describe()}, not {a.describe()}",
                         "combine collections at one location")

    def _check_top_level(self, fix: str) -> None:
        if not self._loc.is_top_level:
            raise rule_error(
                current_op(), f"this {self.KIND.value} is inside {self._loc.describe()}, but "
                f"{current_op()} runs at the top level of a process or cluster", fix,
            )

    def _check_not_atomic(self, fix: str) -> None:
        if isinstance(self._loc, AtomicId):
            raise rule_error(current_op(), f"this {self.KIND.value} is in an atomic region", fix)

    def _check_in_tick(self, fix: str) -> None:
        if not isinstance(self._loc, TickId):
            raise rule_error(
                current_op(), f"{current_op()} only applies inside a tick, but this "
                f"{self.KIND.value} is at {self._loc.describe()}", fix,
            )

    def _check_bounded(self, what: str = "this collection", fix: str | None = None) -> None:
        if self.bound is not Bound.BOUNDED:
            raise rule_error(
                current_op(), f"{what} is Unbounded ({self._here()}), but {current_op()} needs "
                "a Bounded input",
                fix or "batch it into a tick first: .batch(tick, nondet(\"why\")) for a stream, "
                ".snapshot(tick, nondet(\"why\")) for a singleton",
                why=f"{current_op()} must see the whole collection, which an Unbounded one "
                "never is: it keeps growing",
            )

    def _check_total_order(self, why: str, fix: str | None = None) -> None:
        if self.order is not Order.TOTAL_ORDER:
            raise rule_error(
                current_op(), f"the input is NoOrder ({self._here()}), but {current_op()} needs "
                "TotalOrder", fix or "sort() it inside a tick, or declare the order with "
                ".assume_ordering(nondet(\"why the order is fixed\"))", why=why,
            )

    def _check_exactly_once(self, why: str, fix: str | None = None) -> None:
        if self.retries is not Retries.EXACTLY_ONCE:
            raise rule_error(
                current_op(), f"the input is AtLeastOnce ({self._here()}), but {current_op()} "
                "needs ExactlyOnce", fix or "remove duplicates with .unique(), or declare "
                ".assume_retries(nondet(\"why there are no duplicates\"))", why=why,
            )

    def _check_nondet(self, token: Any) -> N.NonDetInfo:
        return require_nondet(token)

    def _check_algebra(self, commutative: Any, idempotent: Any, *, what: str = "the function"
                       ) -> tuple[str | None, str | None]:
        """Hydro's aggregation rule: NoOrder input needs a commutative reason, AtLeastOnce an
        idempotent one; TotalOrder + ExactlyOnce accepts any function. A reason is the user's
        word, not checked here: ``flow.sim(check_claims=True)`` tests it."""
        op = current_op()
        commutative = _reason(op, "commutative", commutative)
        idempotent = _reason(op, "idempotent", idempotent)
        needs = []
        if self.order is Order.NO_ORDER and commutative is None:
            needs.append("commutative")
        if self.retries is Retries.AT_LEAST_ONCE and idempotent is None:
            needs.append("idempotent")
        if needs:
            guarantee = " and ".join(
                g for g, n in (("NoOrder", "commutative"), ("AtLeastOnce", "idempotent"))
                if n in needs
            )
            args = ", ".join(f'{n}="why"' for n in needs)
            why = []
            if "commutative" in needs:
                why.append("on NoOrder input the result could depend on the order elements "
                           "arrive in")
            if "idempotent" in needs:
                why.append("on AtLeastOnce input a duplicate could be counted twice")
            alt = []
            if "commutative" in needs:
                alt.append('.assume_ordering(nondet("why"))')
            if "idempotent" in needs:
                alt.append(".unique()")
            example = ('commutative="addition commutes"' if "commutative" in needs
                       else 'idempotent="max ignores duplicates"')
            cares = " or ".join(c for c, n in (("the order", "commutative"),
                                               ("duplicates", "idempotent")) if n in needs)
            raise rule_error(
                op, f"the input is {guarantee} ({self._here()}), so {what} must be declared "
                f"{' and '.join(needs)}",
                f"say why {what} does not care about {cares}, and make sure it is true (a "
                f"wrong claim is not caught here; the simulator checks it with "
                f"flow.sim(..., check_claims=True)): {op}(..., {args}) (e.g. {example}); or "
                f"first strengthen the input with {' / '.join(alt)}",
                why="; ".join(why),
            )
        return commutative, idempotent


def _reason(op: str, name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise rule_error(
        op, f"{name}= takes the reason as a non-empty string, got {value!r}",
        f'{name}="why it holds", e.g. {name}="addition commutes"'
        if name == "commutative" else f'{name}="why", e.g. {name}="max ignores duplicates"',
    )


def _convert_hint(got: Kind, allowed: tuple[Kind, ...]) -> str:
    if got is Kind.KEYED_STREAM and Kind.STREAM in allowed:
        return "turn it into a Stream with .entries() or .values()"
    if got is Kind.STREAM and Kind.KEYED_STREAM in allowed:
        return "turn a stream of (key, value) pairs into a KeyedStream with .into_keyed()"
    if got in (Kind.SINGLETON, Kind.OPTIONAL) and Kind.STREAM in allowed:
        return "turn it into a Stream with .into_stream() (inside a tick) or .all_ticks()"
    if got is Kind.STREAM and (Kind.SINGLETON in allowed or Kind.OPTIONAL in allowed):
        return "aggregate the stream first (fold/reduce/first/last/count)"
    if got is Kind.KEYED_SINGLETON and Kind.KEYED_STREAM in allowed:
        return "use .into_keyed_stream()"
    return "convert it to the kind named above"


def combine(a: CollectionKind, b: CollectionKind, kind: Kind | None = None, **changes
            ) -> CollectionKind:
    """The kind of a binary combination: the weaker of each guarantee of the two inputs."""
    result = CollectionKind(
        kind or a.kind,
        K.weaker(a.bound, b.bound),
        K.weaker(a.order, b.order),
        K.weaker(a.retries, b.retries),
        key_cluster=a.key_cluster if a.key_cluster == b.key_cluster else None,
    )
    return result.with_(**changes) if changes else result


class CommutativeAliases:
    """Hydro's older names ``fold_commutative`` / ``reduce_commutative``, for the collections
    that fold and reduce (Stream, KeyedStream)."""

    @operator()
    def fold_commutative(self, init, f, commutative: str = "declared by fold_commutative"):
        """Alias of ``fold(init, f, commutative=...)`` (Hydro's older name)."""
        return self.fold(init, f, commutative=commutative)

    @operator()
    def reduce_commutative(self, f, commutative: str = "declared by reduce_commutative"):
        """Alias of ``reduce(f, commutative=...)`` (Hydro's older name)."""
        return self.reduce(f, commutative=commutative)
