"""``sliced``: Hydro's ``sliced!`` macro, the Python way: several top-level collections batched or
snapshotted into one tick, a body computing on them there, and its results returned to the top
level. The one rule it keeps: every use is sliced in the same tick (the tick of its atomic uses,
if any; else a new tick at the first use's location).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hydro_lab.errors import HydroTypeError
from hydro_lab.ir import source_info
from hydro_lab.ir.kinds import Kind, Order, Retries
from hydro_lab.ir.locations import AtomicId, TickId
from hydro_lab.ir.source_info import SourceInfo
from hydro_lab.lang.collection import LiveCollection
from hydro_lab.lang.context import built_at
from hydro_lab.lang.locations import Tick


@dataclass(frozen=True)
class Use:
    """One collection to slice (made by :class:`use`): ``style`` is ``"default"``, ``"batch"``,
    ``"snapshot"`` or ``"atomic"``; ``site`` is where it was written (graphs and simulator
    traces point there, as Hydro records each use's backtrace)."""

    style: str
    collection: Any
    nondet: Any
    site: SourceInfo | None = None


@dataclass(frozen=True)
class State:
    """State kept across slices (made by ``use.state`` / ``use.state_null``): a tick cycle whose
    value in one slice is what the body gave it in the slice before."""

    initial: Callable[[Tick], Any] | None
    kind: Any = "Stream"
    order: Order = Order.TOTAL_ORDER
    retries: Retries = Retries.EXACTLY_ONCE


class use:  # noqa: N801  (spelled as Hydro's ``use`` in ``sliced!``)
    """What a :func:`sliced` body gets for one keyword: ``use(c, nondet)`` slices ``c`` in its
    default style (a Stream or KeyedStream is batched, a Singleton or Optional snapshotted, a
    KeyedSingleton batched if its values never change, else snapshotted); ``use.batch``,
    ``use.snapshot`` and ``use.atomic`` choose the style; ``use.state`` and ``use.state_null``
    declare state carried from one slice to the next. A use records the line it is written on:
    graphs and simulator traces point there. (The newest Hydro deprecates the unstyled
    ``use(..)`` in favour of ``use::batch``/``use::snapshot``; both spellings work here.)"""

    def __new__(cls, collection: Any, nondet: Any = None) -> Use:  # type: ignore[misc]
        return Use("default", collection, nondet, source_info.capture(sys._getframe(1)))

    @staticmethod
    def batch(collection: Any, nondet: Any = None) -> Use:
        """This slice's batch of a stream-like collection (``.batch(tick, nondet)``)."""
        return Use("batch", collection, nondet, source_info.capture(sys._getframe(1)))

    @staticmethod
    def snapshot(collection: Any, nondet: Any = None) -> Use:
        """A snapshot of a singleton-like collection (``.snapshot(tick, nondet)``)."""
        return Use("snapshot", collection, nondet, source_info.capture(sys._getframe(1)))

    @staticmethod
    def atomic(collection: Any, nondet: Any = None) -> Use:
        """A collection in an atomic region (``.atomic(tick)``), sliced in that region's tick:
        batched if stream-like, else snapshotted consistently with the region
        (``snapshot_atomic``). A plain ``use`` of it reads it outside the region instead."""
        return Use("atomic", collection, nondet, source_info.capture(sys._getframe(1)))

    @staticmethod
    def state(initial: Callable[[Tick], Any]) -> State:
        """State seeded by ``initial(tick)`` (e.g. ``lambda tick: tick.singleton(0)``): a
        Singleton or Stream in the slice's tick."""
        return State(initial)

    @staticmethod
    def state_null(kind: Any = "Optional", *, order: Order = Order.TOTAL_ORDER,
                   retries: Retries = Retries.EXACTLY_ONCE) -> State:
        """State that is empty in the first slice: ``kind`` is ``"Optional"`` (default),
        ``"Stream"``, ``"KeyedStream"`` or ``"KeyedSingleton"``."""
        return State(None, kind, order, retries)


def sliced(body: Callable[..., Any], /, **uses: Any) -> Any:
    """Hydro's ``sliced!``: slice several top-level collections into one tick, run ``body`` on
    the slices, and return its results to the top level.

    Each keyword names a parameter of ``body`` and says what it gets:

    * ``use(c, nondet("why"))``: ``c`` sliced in its default style (a Stream or KeyedStream is
      batched, a Singleton or Optional snapshotted);
    * ``use.batch(c, nd)``, ``use.snapshot(c, nd)``: the style chosen explicitly;
    * ``use.atomic(c, nd)``: ``c`` is in an atomic region (``c.atomic(tick)``); the slice runs in
      that region's tick (several atomic uses must share it);
    * ``use.state(lambda tick: tick.singleton(0))`` / ``use.state_null("Optional")``: state
      carried from one slice to the next (Hydro's ``let mut x = use::state(..)``); the body
      gives the next value by returning ``(result, {"name": next_value})`` (a state it does not
      give keeps its value).

    At least one ``use`` is needed (it decides the tick). Without atomic uses a new tick is
    made at the first use's location. The body's result (a collection in the slice's tick, a
    tuple of them, or None) returns to the top level: a Stream or KeyedStream through
    ``all_ticks()`` (every slice's batch, concatenated), a Singleton or Optional through
    ``latest()`` (the last slice's value).

    Examples
    --------
    >>> flow = FlowBuilder()
    >>> node = flow.process("node")
    >>> port, requests = node.sim_input()
    >>> def running_total(batch, counter):
    ...     new = counter.zip(batch.count()).map(lambda p: p[0] + p[1])
    ...     return new.into_stream(), {"counter": new}
    >>> totals = sliced(
    ...     running_total,
    ...     batch=use.batch(requests, nondet("the total is the same however requests batch")),
    ...     counter=use.state(lambda tick: tick.singleton(0)))
    >>> type(totals).__name__, totals.bound
    ('Stream', Bound.UNBOUNDED)
    """
    site = source_info.capture(sys._getframe(1))

    def refuse(problem: str, fix: str) -> HydroTypeError:
        return HydroTypeError(f"sliced: {problem}\n  Fix: {fix}", op="sliced",
                              where=site.where_with_code() if site else None)

    if not callable(body):
        raise refuse(f"the body must be a function of the slices, got {type(body).__name__}",
                     "sliced(lambda batch: batch.count().into_stream(), batch=use(s, nondet(..)))")
    slices = {name: u for name, u in uses.items() if isinstance(u, Use)}
    states = {name: u for name, u in uses.items() if isinstance(u, State)}
    other = [name for name in uses if name not in slices and name not in states]
    if other:
        name = other[0]
        raise refuse(f"{name}= must be use(collection, nondet(...)), use.batch/snapshot/atomic"
                     f"(...) or use.state(...), got {type(uses[name]).__name__}",
                     f"{name}=use({name}_collection, nondet(\"why\"))")
    if not slices:
        raise refuse("at least one use(collection, nondet(...)) is needed: it decides the tick "
                     "the slice runs in", "add a use(...) of the collection the body reads")
    for name, u in slices.items():
        if not isinstance(u.collection, LiveCollection):
            raise refuse(f"use({name}) expects a live collection, got "
                         f"{type(u.collection).__name__}", f"{name}=use(stream, nondet(...))")
    ctx = next(iter(slices.values())).collection._ctx
    mark = ctx.checkpoint()
    try:
        return _build(body, uses, slices, states, refuse)
    except BaseException:
        ctx.rollback(mark)  # a refused slice (or a body that raised) leaves nothing behind
        raise


def _build(body: Callable[..., Any], uses: dict[str, Any], slices: dict[str, Use],
           states: dict[str, State], refuse: Callable[..., HydroTypeError]) -> Any:
    tick = _tick_of(slices, refuse)
    values = {}
    for name, u in slices.items():
        try:
            with built_at(u.site):
                values[name] = _slice(u, tick, refuse, name)
        except HydroTypeError as err:
            if err.where is not None or u.site is None:
                raise
            raise HydroTypeError(err.reason, op=err.op, where=u.site.where_with_code()
                                 ).with_traceback(None) from None
    handles = {}
    for name, st in states.items():
        if st.initial is None:
            handles[name], values[name] = tick.cycle(st.kind, order=st.order, retries=st.retries)
        else:
            initial = st.initial(tick)
            if not isinstance(initial, LiveCollection):
                raise refuse(f"use.state({name}) needs a function of the tick returning the "
                             f"initial collection, which returned {type(initial).__name__}",
                             f"{name}=use.state(lambda tick: tick.singleton({initial!r}))")
            handles[name], values[name] = tick.cycle_with_initial(initial)
    ordered = {name: values[name] for name in uses}
    result = body(**ordered)
    updates: dict[str, Any] = {}
    if states and isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict):
        result, updates = result
    unknown = sorted(set(updates) - set(states))
    if unknown:
        raise refuse(f"the body gave a next value to {unknown}, which "
                     f"{'is' if len(unknown) == 1 else 'are'} not state of this slice (its "
                     f"state: {sorted(states) or 'none'})",
                     "declare it with name=use.state(...) or use.state_null(...)")
    for name, handle in handles.items():
        handle.complete_next_tick(updates.get(name, values[name]))
    return _unslice(result, tick, refuse)


def _tick_of(slices: dict[str, Use], refuse: Callable[..., HydroTypeError]) -> Tick:
    """The tick of the atomic uses (they must agree), else a new tick at the first use's
    location."""
    chosen: Tick | None = None
    for name, u in slices.items():
        if u.style != "atomic":
            continue
        loc = u.collection._loc
        if not isinstance(loc, AtomicId):
            raise refuse(f"use.atomic({name}) expects a collection in an atomic region, but it "
                         f"lives at {loc.describe()}", f"enter one first: {name}.atomic(tick)")
        tick = u.collection._ctx.handle(loc.tick_id)
        if chosen is not None and tick != chosen:
            raise refuse(f"the atomic uses are in different ticks ({chosen.name} and "
                         f"{tick.name}); a slice runs in one tick",
                         "make the atomic regions with the same tick")
        chosen = tick
    if chosen is not None:
        return chosen
    first = next(iter(slices.values())).collection
    if isinstance(first._loc, (TickId, AtomicId)):
        name = next(iter(slices))
        raise refuse(f"use({name}) expects a top-level collection, but it is in "
                     f"{first._loc.describe()}",
                     "slice top-level collections (inside a tick, use the collection directly;"
                     " for an atomic region, use.atomic)")
    return first._ctx.handle(first._loc).tick()


def _slice(u: Use, tick: Tick, refuse: Callable[..., HydroTypeError], name: str) -> Any:
    c = u.collection
    kind = c.KIND
    streamy = kind in (Kind.STREAM, Kind.KEYED_STREAM) or (
        kind is Kind.KEYED_SINGLETON and c.kind_info.values_fixed)
    if u.style == "atomic":
        if not isinstance(c._loc, AtomicId):
            raise refuse(f"use.atomic({name}) expects a collection in an atomic region",
                         f"enter one first: {name}.atomic(tick)")
        return c.batch(tick, u.nondet) if streamy else c.snapshot_atomic(u.nondet)
    if isinstance(c._loc, AtomicId):  # a plain use drops the region's consistency (Hydro's
        c = c.end_atomic()             # DropConsistency): it slices the value outside it
    if u.style == "batch" or (u.style == "default" and streamy):
        if kind in (Kind.SINGLETON, Kind.OPTIONAL):
            raise refuse(f"use.batch({name}) batches a stream, but {name} is a "
                         f"{kind.value}", f"use.snapshot({name}, nondet(...))")
        return c.batch(tick, u.nondet)
    if kind in (Kind.STREAM, Kind.KEYED_STREAM):
        raise refuse(f"use.snapshot({name}) snapshots a value, but {name} is a "
                     f"{kind.value}", f"use.batch({name}, nondet(...))")
    return c.snapshot(tick, u.nondet)


def _unslice(result: Any, tick: Tick, refuse: Callable[..., HydroTypeError]) -> Any:
    if result is None:
        return None
    if isinstance(result, tuple):
        return tuple(_unslice(r, tick, refuse) for r in result)
    if not isinstance(result, LiveCollection):
        raise refuse(f"the body returned {type(result).__name__} {result!r:.40}, not a live "
                     "collection", "return a collection computed from the slices (or a tuple "
                     "of them, or None)")
    if result._loc != tick.id:
        raise refuse(f"the body returned a {result.KIND.value} at {result._loc.describe()}, "
                     f"not in the slice's tick {tick.name}",
                     "return what the body computed from the slices")
    if result.KIND in (Kind.STREAM, Kind.KEYED_STREAM):
        return result.all_ticks()
    if result.KIND in (Kind.SINGLETON, Kind.OPTIONAL):
        return result.latest()
    raise refuse("a KeyedSingleton cannot leave a slice (as in Hydro)",
                 "return its .entries() (a Stream of (key, value)) instead")


__all__ = ["State", "Use", "sliced", "use"]
