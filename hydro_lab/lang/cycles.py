"""Forward references and tick cycles: using a collection before it is defined.

``loc.forward_ref()`` gives ``(handle, collection)``; ``handle.complete(c)`` closes the cycle.
At the top level a cycle may be synchronous (top-level streams are asynchronous, as in Hydro);
inside a tick the completion must not read the reference within the same tick (``complete``
refuses it). ``tick.cycle()`` feeds a value to the next tick: ``prev`` in tick t is what
``handle.complete_next_tick(c)`` received in tick t-1. Each handle must be completed exactly once.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.errors import rule_error
from hydro_lab.ir import kinds as K
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Bound, Kind, Order, Retries
from hydro_lab.ir.locations import TickId
from hydro_lab.ir.program import CycleInfo
from hydro_lab.lang.collection import LiveCollection, wrap
from hydro_lab.lang.context import current_op, current_site, operator


def parse_kind(kind: Any) -> Kind:
    """Accept ``Stream`` (the class), ``"Stream"``/``"stream"``/``"keyed_stream"`` or a Kind."""
    if isinstance(kind, Kind):
        return kind
    if isinstance(kind, type) and issubclass(kind, LiveCollection):
        return kind.KIND
    if isinstance(kind, str):
        wanted = kind.replace("_", "").lower()
        for k in Kind:
            if k.value.lower() == wanted:
                return k
    raise rule_error(
        current_op(), f"unknown collection kind {kind!r}",
        "pass one of Stream, KeyedStream, Singleton, Optional, KeyedSingleton "
        "(the class or its name)",
    )


def _check_guarantee(enum_cls: type, value: Any, name: str) -> Any:
    if isinstance(value, enum_cls):
        return value
    raise rule_error(current_op(), f"{name}= must be a {enum_cls.__name__}, got {value!r}",
                     f"use one of {', '.join(f'{enum_cls.__name__}.{m.name}' for m in enum_cls)}")


def _declared(kind: Kind, bound: Bound, order: Order, retries: Retries) -> K.CollectionKind:
    bound = _check_guarantee(Bound, bound, "bound")
    order = _check_guarantee(Order, order, "order")
    retries = _check_guarantee(Retries, retries, "retries")
    if kind.is_single or kind is Kind.KEYED_SINGLETON:
        return K.CollectionKind(kind, bound)
    return K.CollectionKind(kind, bound, order, retries)


def _new_ident(loc: Any, prefix: str) -> str:
    return f"{prefix}{loc._ctx.graph.new_key()}"


def forward_ref(loc: Any, kind: Any, *, bound: Bound, order: Order, retries: Retries
                ) -> tuple[ForwardHandle, LiveCollection]:
    declared = _declared(parse_kind(kind), bound, order, retries)
    ident = _new_ident(loc, "cycle")
    meta = N.Meta(location=loc._id, kind=declared, op=current_op(), source=current_site(),
                  detail=ident)
    node = loc._ctx.graph.add(N.CycleSource, meta, ident=ident, cycle="forward")
    loc._ctx.graph.cycles[ident] = CycleInfo(ident, "forward", loc._id, node.id, None,
                                             current_site())
    handle = ForwardHandle(loc._ctx, ident, declared, "complete")
    loc._ctx.cycle_handles[ident] = handle
    return handle, wrap(loc._ctx, node)


def tick_cycle(tick: Any, kind: Any, *, order: Order, retries: Retries,
               initial: LiveCollection | None) -> tuple[ForwardHandle, LiveCollection]:
    declared = _declared(parse_kind(kind), Bound.BOUNDED, order, retries)
    if initial is None and declared.kind is Kind.SINGLETON:
        raise rule_error(
            current_op(), "a Singleton tick cycle has no value in tick 0",
            "seed it with tick.cycle_with_initial(initial_value), or declare "
            "tick.cycle('Optional') (empty in tick 0)",
        )
    if initial is not None and declared.kind not in (Kind.STREAM, Kind.SINGLETON):
        raise rule_error(
            current_op(), f"cycle_with_initial takes a Stream or a Singleton, got a "
            f"{declared.kind.value}", f"use tick.cycle({declared.kind.value!r}) (empty in tick 0)",
        )
    if initial is not None and initial._loc != tick._id:
        raise rule_error(
            current_op(), f"the initial value lives at {initial._loc.describe()}, not in "
            f"{tick._id.describe()}", "build the initial value in the same tick, e.g. "
            "tick.singleton(0)",
        )
    ident = _new_ident(tick, "tick_cycle")
    meta = N.Meta(location=tick._id, kind=declared, op=current_op(), source=current_site(),
                  detail=ident)
    node = tick._ctx.graph.add(N.CycleSource, meta, ident=ident, cycle="tick",
                               initial=None if initial is None else initial.node_id)
    tick._ctx.graph.cycles[ident] = CycleInfo(ident, "tick", tick._id, node.id, None,
                                              current_site())
    handle = ForwardHandle(tick._ctx, ident, declared, "complete_next_tick")
    tick._ctx.cycle_handles[ident] = handle
    return handle, wrap(tick._ctx, node)


class ForwardHandle:
    """The completing end of a forward reference or tick cycle."""

    def __init__(self, ctx: Any, ident: str, declared: K.CollectionKind, verb: str):
        self._ctx = ctx
        self.ident = ident
        self.declared = declared
        self._verb = verb

    @property
    def completed(self) -> bool:
        """Whether ``complete``/``complete_next_tick`` was called (a flow with an open handle
        does not compile)."""
        return self._ctx.graph.cycles[self.ident].sink_node is not None

    def __repr__(self) -> str:
        state = "completed" if self.completed else "open"
        return f"<{type(self).__name__} {self.ident} {self.declared.describe()} ({state})>"

    @operator()
    def complete(self, collection: LiveCollection) -> None:
        """Close a forward reference with the collection it stands for."""
        self._complete(collection, "complete")

    @operator()
    def complete_next_tick(self, collection: LiveCollection) -> None:
        """Close a tick cycle: ``collection`` (in the same tick) is seen next tick."""
        self._complete(collection, "complete_next_tick")

    def _complete(self, c: LiveCollection, verb: str) -> None:
        info = self._ctx.graph.cycles[self.ident]
        op = verb
        if verb != self._verb:
            raise rule_error(
                op, f"this is a {'tick cycle' if info.cycle == 'tick' else 'forward reference'}"
                f" handle; close it with .{self._verb}(...)", f"call handle.{self._verb}(c)",
            )
        if info.sink_node is not None:
            where = ""
            sink = self._ctx.graph.nodes.get(info.sink_node)
            if sink is not None and sink.meta.source is not None:
                where = f" (at {sink.meta.source.where()})"
            raise rule_error(op, f"{self.ident} was already completed{where}",
                             "complete each forward reference or cycle exactly once; combine "
                             "the collections first (chain/interleave) if several feed it")
        if not isinstance(c, LiveCollection) or c._ctx is not self._ctx:
            raise rule_error(op, f"expects a live collection of this flow, got "
                             f"{type(c).__name__}", "pass the collection that closes the cycle")
        d = self.declared
        if c.KIND is not d.kind:
            raise rule_error(op, f"{self.ident} was declared as a {d.kind.value}, but completed "
                             f"with a {c.KIND.value}",
                             f"declare it with forward_ref({c.KIND.value!r}) / "
                             f"cycle({c.KIND.value!r}), or convert the collection")
        if c._loc != info.location:
            raise rule_error(op, f"{self.ident} lives at {info.location.describe()}, but the "
                             f"completing collection is at {c._loc.describe()}",
                             "complete it with a collection at the same location (send it "
                             "there first, or batch it into the same tick)")
        weaker = [
            (name, got, want) for name, got, want in (
                ("bound", c.bound, d.bound), ("order", c.order, d.order),
                ("retries", c.retries, d.retries))
            if not K.is_at_least(got, want)
        ]
        if weaker:
            name, got, want = weaker[0]
            raise rule_error(
                op, f"{self.ident} was declared {want.value} but is completed with a "
                f"{got.value} collection ({c.kind_info.describe()})",
                f"declare the weaker guarantee where the reference is created "
                f"({name}={type(got).__name__}.{got.name}), or strengthen the completing "
                "collection",
            )
        if info.cycle == "forward" and isinstance(info.location, TickId) and \
                _same_tick_path(self._ctx.graph.nodes, c.node_id, info.source_node):
            raise rule_error(
                op, f"{self.ident} is a forward reference inside {info.location.describe()}, and "
                "the collection completing it reads the reference within the same tick, so the "
                "tick would have to settle on its own output",
                "delay the feedback by one tick: handle.complete(c.defer_tick()), or use "
                "tick.cycle() and complete_next_tick(c); a forward_ref at the top level (on "
                "the process or cluster) may cycle freely, since top-level streams are "
                "asynchronous",
            )
        node = c._root(N.CycleSink, input=c.node_id, ident=self.ident)
        from_info = self._ctx.graph.cycles[self.ident]
        self._ctx.graph.cycles[self.ident] = CycleInfo(
            from_info.ident, from_info.cycle, from_info.location, from_info.source_node,
            node.id, from_info.created_at)


def _same_tick_path(nodes: dict, start: int, target: int) -> bool:
    """Whether ``start`` reads ``target`` without a ``defer_tick`` or a network hop between."""
    stack, seen = [start], set()
    while stack:
        node_id = stack.pop()
        if node_id == target:
            return True
        if node_id in seen:
            continue
        seen.add(node_id)
        node = nodes[node_id]
        if not isinstance(node, (N.DeferTick, N.Network)):
            stack.extend(node.inputs())
    return False
