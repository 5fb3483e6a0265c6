"""Sources: operators with no inputs that start a subgraph and produce an iterable each tick."""

from __future__ import annotations

from typing import Any

from hydro_lab.dfir.graph import Operator, UserFn
from hydro_lab.dfir.ops.base import OpSpec, State, register

_SPIN = (None,)


class SourceIterState(State):
    """``source_iter``: everything in the first tick (a re-iterable, or a function giving one)."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.done = False

    def take(self):
        if self.done:
            return ()
        self.done = True
        it = self.op.args["iterable"]
        if isinstance(it, UserFn):
            it = it.fn()
        if isinstance(it, (list, tuple, range)):
            return it
        return list(it)

    def snapshot(self):
        return self.done


register(OpSpec(
    "source_iter", "source", always=True, state=SourceIterState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.take()",
    doc="Emits an iterable's items in the first tick.",
))


class ValueState(State):
    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.items = (op.args["value"],)
        self.first_only = op.args.get("first_tick_only", False)
        self.done = False

    def take(self):
        if self.first_only:
            if self.done:
                return ()
            self.done = True
        return self.items

    def snapshot(self):
        return self.done


register(OpSpec(
    "singleton", "source", always=True, state=ValueState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.take()",
    doc="Emits a constant every tick (or only in the first, with first_tick_only).",
))

register(OpSpec(
    "null", "source", head=lambda gen, op, inputs: "()",
    doc="Emits nothing (an always-empty optional).",
))

register(OpSpec(
    "spin", "source", always=True, head=lambda gen, op, inputs: gen.bind("spin", _SPIN),
    doc="Emits one None every tick and keeps ticks coming.",
))


class ParamState(State):
    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        name = op.args["name"]
        if name not in params:
            raise KeyError(f"runtime parameter {name!r} was not supplied for operator {op.label}")
        self.items = (params[name],)


register(OpSpec(
    "param", "source", always=True, state=ParamState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.items",
    doc="Emits a per-instance runtime parameter (e.g. a cluster member's own id) every tick.",
))


class IntervalState(State):
    """Fires at the first tick, then every ``seconds`` of the driver's clock."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.seconds = float(op.args["seconds"])
        self.next_fire: float | None = None

    def fire(self, now: float) -> bool:
        if self.next_fire is None:
            self.next_fire = now + self.seconds
            return True
        if now >= self.next_fire:
            self.next_fire += self.seconds
            if self.next_fire <= now:  # fell far behind: fire once, resume from now
                self.next_fire = now + self.seconds
            return True
        return False

    def deadline(self) -> float | None:
        return self.next_fire

    def snapshot(self):
        return self.next_fire


class SourceIntervalState(IntervalState):
    def take(self, now: float):
        return _SPIN if self.fire(now) else ()


register(OpSpec(
    "source_interval", "source", always=True, state=SourceIntervalState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.take(now)",
    doc="Emits None each time the interval elapses on the driver's clock.",
))

register(OpSpec(
    "source_stream", "source", always=True, external_input=True,
    head=lambda gen, op, inputs: f"{gen.rt('I')}.take({op.args['port']!r})",
    doc="Emits what arrived on an input port (network or external) since the last tick.",
))
