"""Moving between the top level, ticks and atomic regions, and the time-based operators.

These rules are shared by several collection kinds, so each lives here once: ``batch`` and
``snapshot`` enter a tick from the top level (non-deterministic: they need ``nondet``),
``atomic``/``end_atomic`` bracket an atomic region, ``sample_every``/``timeout`` read real time.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.errors import rule_error
from hydro_lab.ir import kinds as K
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Bound, Kind
from hydro_lab.ir.locations import AtomicId, TickId
from hydro_lab.lang import quote
from hydro_lab.lang.collection import LiveCollection, wrap
from hydro_lab.lang.context import current_op
from hydro_lab.lang.locations import Atomic, Tick, _positive_seconds


def _check_tick(c: LiveCollection, tick: Any) -> TickId:
    op = current_op()
    if not isinstance(tick, Tick):
        raise rule_error(op, f"expects a Tick, got {type(tick).__name__} {tick!r:.40}",
                         f"create one with loc.tick() and pass it: {op}(tick, ...)")
    if tick._ctx is not c._ctx:
        raise rule_error(op, "the tick belongs to a different FlowBuilder",
                         "use a tick of this flow")
    if isinstance(c._loc, TickId):
        raise rule_error(op, f"this {c.KIND.value} is already inside {c._loc.describe()}",
                         f"{op} brings a top-level collection into a tick; inside a tick use it "
                         "directly, or leave with .all_ticks()/.latest() first")
    if isinstance(c._loc, AtomicId):
        if tick._id != c._loc.tick_id:
            raise rule_error(op, f"an atomic collection can only enter its own tick "
                             f"{c._loc.tick_id.name}, not {tick._id.name}",
                             f"pass the tick given to .atomic(): {op}({c._loc.tick_id.name}, ...)")
        return tick._id
    if tick._id.outer != c._loc:
        raise rule_error(op, f"the tick runs at {tick._id.outer.describe()}, but this "
                         f"{c.KIND.value} lives at {c._loc.describe()}",
                         f"use a tick of {c._loc.describe()} ({c._loc.name}.tick()), or send the "
                         "data there first")
    return tick._id


def batch(c: LiveCollection, tick: Any, nondet: Any) -> LiveCollection:
    tick_id = _check_tick(c, tick)
    info = c._check_nondet(nondet)
    kind = c.kind_info.with_(bound=Bound.BOUNDED)
    if c.KIND is Kind.KEYED_SINGLETON:
        if not (c.bound is Bound.BOUNDED or c.kind_info.values_fixed):
            raise rule_error(
                "batch", f"batch takes the new entries of a keyed singleton whose values never "
                f"change, but this one's values change ({c._here()})",
                "take a consistent copy with .snapshot(tick, nondet(\"why\")) instead")
        kind = kind.with_(values_fixed=False)
    return c._new(N.Batch, kind, location=tick_id, input=c.node_id, nondet_info=info)


def snapshot(c: LiveCollection, tick: Any, nondet: Any) -> LiveCollection:
    tick_id = _check_tick(c, tick)
    info = c._check_nondet(nondet)
    kind = c.kind_info.with_(bound=Bound.BOUNDED, values_fixed=False, monotonic=False)
    return c._new(N.Batch, kind, location=tick_id, input=c.node_id, nondet_info=info)


def snapshot_atomic(c: LiveCollection, nondet: Any) -> LiveCollection:
    if not isinstance(c._loc, AtomicId):
        raise rule_error("snapshot_atomic", f"this {c.KIND.value} is not in an atomic region "
                         f"({c._loc.describe()})", "enter one with .atomic(tick) first, or use "
                         ".snapshot(tick, nondet(...))")
    info = c._check_nondet(nondet)
    kind = c.kind_info.with_(bound=Bound.BOUNDED, values_fixed=False)
    return c._new(N.Batch, kind, location=c._loc.tick_id, input=c.node_id, nondet_info=info)


def atomic(c: LiveCollection, tick: Any) -> LiveCollection:
    op = current_op()
    if not isinstance(tick, Tick) or tick._ctx is not c._ctx:
        raise rule_error(op, f"expects a Tick of this flow, got {type(tick).__name__}",
                         "atomic(loc.tick())")
    if isinstance(c._loc, AtomicId):
        raise rule_error(op, f"this {c.KIND.value} is already in {c._loc.describe()}",
                         "atomic regions do not nest")
    if isinstance(c._loc, TickId):
        raise rule_error(op, f"this {c.KIND.value} is inside {c._loc.describe()}",
                         "atomic() applies to top-level collections")
    if tick._id.outer != c._loc:
        raise rule_error(op, f"the tick runs at {tick._id.outer.describe()}, not at "
                         f"{c._loc.describe()}", "use a tick of the same location")
    return c._new(N.BeginAtomic, c.kind_info, location=_atomic_of(c, tick._id),
                  input=c.node_id)


def _atomic_of(c: LiveCollection, tick_id: TickId) -> AtomicId:
    """The atomic region tied to ``tick_id`` (one per tick), created on first use."""
    atomic_id = next((loc for loc in c._ctx.graph.locations
                      if isinstance(loc, AtomicId) and loc.tick_id == tick_id), None)
    if atomic_id is None:
        atomic_id = c._ctx.graph.add_location(AtomicId(c._ctx.graph.new_key(), tick_id))
        Atomic(c._ctx, atomic_id)
    return atomic_id


def all_ticks_atomic(c: LiveCollection, kind: K.CollectionKind) -> LiveCollection:
    """Hydro's ``all_ticks_atomic``: a tick's outputs into the atomic region of that tick."""
    c._check_in_tick(f"{current_op()} leaves a tick; this {c.KIND.value} is not in one")
    return c._new(N.YieldConcat, kind, location=_atomic_of(c, c._loc), input=c.node_id)


ACROSS_TICKS_INFO = N.NonDetInfo(
    "across_ticks: a collection of the tick's own atomic region read back into the tick is "
    "deterministic (Hydro's batched_atomic)")


def batched_atomic(out: Any, tick_id: TickId, given: LiveCollection) -> LiveCollection:
    """Back into ``tick_id`` from its atomic region (Hydro's ``BatchAtomic``): a stream is
    batched, a singleton, optional or keyed singleton snapshotted. Deterministic: the region
    runs synchronously with the tick, so the batch is exactly what this tick produced."""
    op = current_op()
    if not isinstance(out, LiveCollection) or out._ctx is not given._ctx:
        raise rule_error(op, f"the function must return a live collection built from the one it "
                         f"was given, got {type(out).__name__} {out!r:.40}",
                         "return the result of operators on the argument, e.g. "
                         "across_ticks(lambda s: s.count())")
    if out._loc != given._loc:
        raise rule_error(op, f"the function's result lives at {out._loc.describe()}, not in the "
                         f"atomic region it was given ({given._loc.describe()})",
                         "return a collection derived from the argument (stay in its atomic "
                         "region: no end_atomic, batch or send)")
    kind = out.kind_info.with_(bound=Bound.BOUNDED, values_fixed=False, monotonic=False)
    return out._new(N.Batch, kind, location=tick_id, input=out.node_id,
                    nondet_info=ACROSS_TICKS_INFO)


def end_atomic(c: LiveCollection) -> LiveCollection:
    if not isinstance(c._loc, AtomicId):
        raise rule_error("end_atomic", f"this {c.KIND.value} is not in an atomic region "
                         f"({c._loc.describe()})", "only call end_atomic() after atomic(tick)")
    return c._new(N.EndAtomic, c.kind_info, location=c._loc.root, input=c.node_id)


def gate(c: LiveCollection, signal: Any, *, when_some: bool) -> LiveCollection:
    c._check_operand(signal, (Kind.OPTIONAL, Kind.SINGLETON), "the signal")
    signal._check_bounded("the signal", fix="snapshot it into this tick first")
    kind = c.kind_info
    if c.KIND is Kind.SINGLETON:
        c._check_bounded("this singleton")
        kind = K.optional(c.bound)
    elif c.KIND is Kind.OPTIONAL:
        c._check_bounded("this optional")
    return c._new(N.FilterIf, kind, input=c.node_id, signal=signal.node_id, when_some=when_some)


def _truthy(x: Any) -> bool:
    return bool(x)


def filter_if(c: LiveCollection, signal: Any) -> LiveCollection:
    """Hydro's ``filter_if(signal: Singleton<bool, L, Bounded>)``: ``c`` passes while the
    signal is true; ``signal.filter(|b| *b)`` gates it as ``filter_if_some`` does."""
    op = current_op()
    if isinstance(signal, LiveCollection) and signal.KIND is Kind.OPTIONAL:
        raise rule_error(op, "the signal must be a Singleton[bool], got an Optional",
                         f"{op}(signal.is_some()) passes while the Optional has a value, "
                         f"{op}(signal.is_none()) while it is empty")
    c._check_operand(signal, (Kind.SINGLETON,), "the signal")
    signal._check_bounded("the signal", fix="snapshot it into this tick first")
    truthy = signal._new(N.Filter, K.optional(Bound.BOUNDED), input=signal.node_id,
                         f=quote.builtin(_truthy, "is true"))
    return gate(c, truthy, when_some=True)


def sample_every(c: LiveCollection, seconds: Any, nondet: Any, kind: K.CollectionKind,
                 node: type[N.Node] = N.SampleEvery) -> LiveCollection:
    seconds = _positive_seconds(seconds)
    op = current_op()
    if not c._loc.is_top_level or isinstance(c._loc, AtomicId):
        raise rule_error(op, f"this {c.KIND.value} is inside {c._loc.describe()}, but {op} "
                         "reads the clock of a top-level process or cluster",
                         "call it on a top-level collection (leave the tick with .all_ticks() "
                         "or .latest(), or the atomic region with .end_atomic())")
    info = c._check_nondet(nondet)
    return c._new(node, kind, input=c.node_id, seconds=seconds, nondet_info=info,
                  detail=f"{seconds:g}s")


def rename(c: LiveCollection, name: Any) -> LiveCollection:
    if not isinstance(name, str) or not name.strip():
        raise rule_error("ir_node_named", f"the name must be a non-empty string, got {name!r}",
                         'ir_node_named("requests")')
    return wrap(c._ctx, c._ctx.graph.update_meta(c.node_id, name=name.strip()))
