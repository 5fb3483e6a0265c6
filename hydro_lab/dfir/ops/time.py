"""Operators that read the driver's clock (``now``): wall time in deployments, virtual time in
the simulator. Each evaluates its condition once per tick, so they are heads."""

from __future__ import annotations

from typing import Any

from hydro_lab.dfir.graph import Operator
from hydro_lab.dfir.ops.base import OpSpec, State, register
from hydro_lab.dfir.ops.sources import IntervalState

_FIRED = (None,)


class SampleState(IntervalState):
    def take(self, items, now: float):
        return items if self.fire(now) else ()


class TimeoutState(State):
    """Non-empty (``None``) once nothing has arrived for ``seconds`` (or nothing ever has)."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.seconds = float(op.args["seconds"])
        self.last: float | None = None
        self.expired = False  # once seen expired, no tick is needed until input comes again

    def take(self, items, now: float):
        if items:
            self.last = now
            self.expired = False
            return ()
        # compared as deadline() says (now - last >= seconds can be False at the deadline
        # itself, e.g. 1.4 - 0.4 < 1.0 in floats: a driver that ticks at the deadline would
        # then tick forever)
        if self.last is None or now >= self.last + self.seconds:
            self.expired = True
            return _FIRED
        return ()

    def deadline(self) -> float | None:
        if self.expired or self.last is None:
            return None
        return self.last + self.seconds

    def snapshot(self):
        return self.last


register(OpSpec(
    "sample_every", "head", ports=1, always=True, state=SampleState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.take({inputs[0]}, now)",
    doc="Passes the input in ticks where the interval fires (first at once).",
))
register(OpSpec(
    "timeout", "head", ports=1, always=True, state=TimeoutState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.take({inputs[0]}, now)",
    doc="Emits None while the input has been quiet for the duration.",
))
