"""Aggregations: an accumulating half fused into the producer's loop (a sink) and an emitting half
that reads the accumulator in a later stratum (a reference edge orders them, as DFIR's ``#ref``).

With ``'tick`` persistence the accumulator restarts every tick (a fold then emits ``init()`` for an
empty batch); with ``'static`` it keeps accumulating and the emitting half re-emits the current
value every tick, which is how a top-level singleton is seen. ``sort`` and ``persist`` are plain
blocking heads.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.dfir.graph import Operator
from hydro_lab.dfir.ops.base import OpSpec, State, register
from hydro_lab.dfir.sentinels import Sentinel

MISSING = Sentinel(__name__, "MISSING")


class FoldState(State):
    """``versions`` (a simulation snapshotting a top-level aggregation): ``history`` keeps every
    value the accumulator took this tick, from the one it started the tick with, so a snapshot
    can see any of them (Hydro's simulator emits a top-level singleton's intermediate values)."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.init = op.args["init"].fn
        self.acc = self.init()
        self.history: list | None = [self.acc] if op.args.get("versions") else None

    def end_tick(self) -> None:
        if not self.persistent:
            self.acc = self.init()
        if self.history is not None:
            self.history = [self.acc]

    def emit(self):
        return (self.acc,)

    def snapshot(self):
        return self.acc


class ReduceState(State):
    """``history`` as in ``FoldState`` (``MISSING`` until the first element)."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.acc: Any = MISSING
        self.history: list | None = [self.acc] if op.args.get("versions") else None

    def end_tick(self) -> None:
        if not self.persistent:
            self.acc = MISSING
        if self.history is not None:
            self.history = [self.acc]

    def emit(self):
        return () if self.acc is MISSING else (self.acc,)

    def snapshot(self):
        return self.acc


class KeyedState(State):
    """Per-key accumulators (fold_keyed, reduce_keyed, reduce_keyed_watermark). With
    ``versions`` (a simulation snapshotting it at the top level), ``history`` holds the table as
    it was when the tick started, so a snapshot may still see it without this tick's updates."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        init = op.args.get("init")
        self.init = init.fn if init is not None else None
        self.table: dict = {}
        self.history: list | None = [{}] if op.args.get("versions") else None

    def end_tick(self) -> None:
        if not self.persistent:
            self.table = {}
        if self.history is not None:
            self.history = [dict(self.table)]

    def emit(self):
        return list(self.table.items())

    def emit_watermark(self, marks):
        if marks:
            mark = marks[0]
            self.table = {k: v for k, v in self.table.items() if not k < mark}
        return list(self.table.items())

    def size(self) -> int:
        return len(self.table)

    def snapshot(self):
        return dict(self.table)


class EarlyStopState(KeyedState):
    """``f(acc, v) -> (acc, stop)``; a key's value is released (and frozen) once stop is true."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.f = op.args["f"].fn
        self.stopped: dict = {}

    def end_tick(self) -> None:
        if not self.persistent:
            self.table, self.stopped = {}, {}

    def step(self, kv) -> None:
        k, x = kv
        if k in self.stopped:
            return
        acc = self.table[k] if k in self.table else self.init()
        acc, stop = self.f(acc, x)
        if stop:
            self.stopped[k] = acc
            self.table.pop(k, None)
        else:
            self.table[k] = acc

    def emit(self):
        return list(self.stopped.items())

    def size(self) -> int:
        return len(self.table) + len(self.stopped)

    def snapshot(self):
        return (dict(self.table), dict(self.stopped))


def _fold_acc(gen, op, v):
    st = gen.state(op)
    acc = gen.fresh("acc")
    gen.pre(f"{acc} = {st}.acc")
    gen.post(f"{st}.acc = {acc}")
    gen.line(f"{acc} = {gen.call(op, op.args['f'], [acc, v])}", op)
    if op.args.get("versions"):
        gen.line(f"{st}.history.append({acc})", op)
    return None, 0


def _reduce_acc(gen, op, v):
    st = gen.state(op)
    acc = gen.fresh("acc")
    missing = gen.bind("MISSING", MISSING)
    gen.pre(f"{acc} = {st}.acc")
    gen.post(f"{st}.acc = {acc}")
    gen.line(f"{acc} = {v} if {acc} is {missing} else {gen.call(op, op.args['f'], [acc, v])}",
             op)
    if op.args.get("versions"):
        gen.line(f"{st}.history.append({acc})", op)
    return None, 0


def _fold_keyed_acc(gen, op, v):
    st = gen.state(op)
    table, k, x, a = gen.fresh("table"), gen.fresh("k"), gen.fresh("x"), gen.fresh("a")
    missing = gen.bind("MISSING", MISSING)
    init = gen.bind("init", op.args["init"].fn)
    gen.pre(f"{table} = {st}.table")
    gen.line(f"{k}, {x} = {v}", op)
    gen.line(f"{a} = {table}.get({k}, {missing})", op)
    gen.line(f"if {a} is {missing}:", op)
    gen.line(f"    {a} = {init}()", op)
    gen.line(f"{table}[{k}] = {gen.call(op, op.args['f'], [a, x])}", op)
    return None, 0


def _reduce_keyed_acc(gen, op, v):
    st = gen.state(op)
    table, k, x, a = gen.fresh("table"), gen.fresh("k"), gen.fresh("x"), gen.fresh("a")
    missing = gen.bind("MISSING", MISSING)
    gen.pre(f"{table} = {st}.table")
    gen.line(f"{k}, {x} = {v}", op)
    gen.line(f"{a} = {table}.get({k}, {missing})", op)
    gen.line(f"{table}[{k}] = {x} if {a} is {missing} else "
             f"{gen.call(op, op.args['f'], [a, x])}", op)
    return None, 0


def _early_stop_acc(gen, op, v):
    gen.line(f"{gen.state(op)}.step({v})", op)
    return None, 0


def _emit(gen, op, inputs):
    return f"{gen.state(gen.op(op.args['acc']))}.emit()"


def _emit_watermark(gen, op, inputs):
    return f"{gen.state(gen.op(op.args['acc']))}.emit_watermark({inputs[0]})"


register(OpSpec("fold", "sink", ports=1, push=_fold_acc, state=FoldState,
                doc="Accumulates acc = f(acc, x) from acc = init()."))
register(OpSpec("reduce", "sink", ports=1, push=_reduce_acc, state=ReduceState,
                doc="Accumulates acc = f(acc, x) from the first element."))
register(OpSpec("fold_keyed", "sink", ports=1, push=_fold_keyed_acc, state=KeyedState,
                doc="A fold per key of (key, value) pairs."))
register(OpSpec("reduce_keyed", "sink", ports=1, push=_reduce_keyed_acc, state=KeyedState,
                doc="A reduce per key of (key, value) pairs."))
register(OpSpec("fold_keyed_early_stop", "sink", ports=1, push=_early_stop_acc,
                state=EarlyStopState, doc="A per-key fold that freezes a key when it says stop."))
register(OpSpec("emit", "source", always=True, head=_emit,
                doc="Emits the current value of the aggregation it references (#acc)."))
register(OpSpec("emit_watermark", "head", ports=1, blocking=frozenset({0}), always=True,
                head=_emit_watermark,
                doc="Drops keys below the watermark input, then emits the keyed table."))


register(OpSpec(
    "sort", "head", ports=1, blocking=frozenset({0}),
    head=lambda gen, op, inputs: f"sorted({inputs[0]})",
    doc="The tick's batch in ascending order.",
))


class PersistState(State):
    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.history: list = []

    def replay(self, new):
        self.history.extend(new)
        return tuple(self.history)

    def size(self) -> int:
        return len(self.history)

    def snapshot(self):
        return tuple(self.history)


register(OpSpec(
    "persist", "head", ports=1, always=True, state=PersistState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.replay({inputs[0]})",
    doc="Emits everything seen so far, every tick.",
))
