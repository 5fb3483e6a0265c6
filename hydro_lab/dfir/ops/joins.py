"""Multi-input operators. Each reads whole input batches, so it starts its own subgraph.

Persistence of a join-like operator applies per input (``lifetimes=('static', 'tick')``): a
``'static`` side is remembered across ticks. Two ``'static`` sides emit each new pair once
(symmetric hash join: new × old, old × new, new × new), which is Hydro's top-level join.
"""

from __future__ import annotations

from itertools import chain as _chain
from typing import Any

from hydro_lab.dfir.graph import Operator
from hydro_lab.dfir.ops.base import OpSpec, State, register


def _lifetimes(op: Operator) -> tuple[bool, bool]:
    a, b = op.args.get("lifetimes", (op.persistence, op.persistence))
    return a == "static", b == "static"


def _concat(gen, op, inputs):
    return "(" + " + ".join(inputs) + ")" if inputs else "()"


register(OpSpec("union", "head", ports=2, head=_concat,
                doc="Merges its inputs (no order between them)."))
register(OpSpec("chain", "head", ports=2, head=_concat,
                doc="All of input 0, then all of input 1."))
register(OpSpec(
    "chain_first", "head", ports=2,
    head=lambda gen, op, inputs: f"({inputs[0]}[:1] or {inputs[1]}[:1])",
    doc="The first input's value if it has one, else the second's.",
))
register(OpSpec(
    "handoff", "head", ports=1, head=lambda gen, op, inputs: inputs[0],
    doc="Reads a handoff (inserted where a subgraph starts at a plain edge).",
))


class PairState(State):
    """Remembered sides of a join-like operator."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.keep_left, self.keep_right = _lifetimes(op)
        self.left: dict = {}
        self.right: dict = {}
        self.left_all: list = []
        self.right_all: list = []

    def size(self) -> int:
        return (sum(map(len, self.left.values())) + sum(map(len, self.right.values()))
                + len(self.left_all) + len(self.right_all))

    def snapshot(self):
        return (tuple((k, tuple(v)) for k, v in self.left.items()),
                tuple((k, tuple(v)) for k, v in self.right.items()),
                tuple(self.left_all), tuple(self.right_all))

    def join(self, new_left, new_right):
        """(k, (l, r)) for every new pair, in the left side's arrival order (each left element
        meets the right values of its key in theirs), then old left values meeting new right
        ones. So a join whose right side is Bounded (complete when the left arrives) keeps the
        left side's order, as Hydro's type says."""
        out = []
        old_left = self.left if self.keep_left else {}
        old_right = self.right if self.keep_right else {}
        nr: dict = {}
        for k, v in new_right:
            nr.setdefault(k, []).append(v)
        nl: dict = {}
        for k, lv in new_left:
            nl.setdefault(k, []).append(lv)
            for rv in old_right.get(k, ()):
                out.append((k, (lv, rv)))
            for rv in nr.get(k, ()):
                out.append((k, (lv, rv)))
        for k, rs in nr.items():
            for lv in old_left.get(k, ()):
                for rv in rs:
                    out.append((k, (lv, rv)))
        if self.keep_left:
            for k, ls in nl.items():
                self.left.setdefault(k, []).extend(ls)
        if self.keep_right:
            for k, rs in nr.items():
                self.right.setdefault(k, []).extend(rs)
        return out

    def cross(self, new_left, new_right):
        old_left = self.left_all if self.keep_left else ()
        old_right = self.right_all if self.keep_right else ()
        new_left, new_right = list(new_left), list(new_right)
        out = [(a, b) for a in new_left for b in _chain(old_right, new_right)]
        out.extend((a, b) for a in old_left for b in new_right)
        if self.keep_left:
            self.left_all.extend(new_left)
        if self.keep_right:
            self.right_all.extend(new_right)
        return out


register(OpSpec(
    "join", "head", ports=2, state=PairState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.join({inputs[0]}, {inputs[1]})",
    doc="Equi-join of (k, a) and (k, b) into (k, (a, b)), multiset semantics.",
))
register(OpSpec(
    "cross_join", "head", ports=2, state=PairState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.cross({inputs[0]}, {inputs[1]})",
    doc="Every pair (a, b).",
))


def _cross_singleton(items, single, keyed: bool):
    if not single:
        return ()
    s = single[0]
    if keyed:
        return [(k, (v, s)) for k, v in items]
    return [(x, s) for x in items]


register(OpSpec(
    "cross_singleton", "head", ports=2, blocking=frozenset({1}),
    head=lambda gen, op, inputs: f"{gen.bind('cross_singleton', _cross_singleton)}("
    f"{inputs[0]}, {inputs[1]}, {bool(op.args.get('keyed'))})",
    doc="Pairs each input element with the singleton input's value (nothing if it is empty).",
))


class NegState(State):
    """The negative side of difference / anti_join ('static keeps it across ticks)."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        _, self.keep = _lifetimes(op)
        self.neg: set = set()

    def size(self) -> int:
        return len(self.neg)

    def snapshot(self):
        return frozenset(self.neg)

    def difference(self, pos, neg):
        if self.keep:
            self.neg.update(neg)
            neg = self.neg
        else:
            neg = set(neg)
        return [x for x in pos if x not in neg]

    def anti_join(self, pos, neg):
        if self.keep:
            self.neg.update(neg)
            neg = self.neg
        else:
            neg = set(neg)
        return [kv for kv in pos if kv[0] not in neg]


register(OpSpec(
    "difference", "head", ports=2, blocking=frozenset({1}), state=NegState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.difference({inputs[0]}, {inputs[1]})",
    doc="Elements of input 0 not in input 1.",
))
register(OpSpec(
    "anti_join", "head", ports=2, blocking=frozenset({1}), state=NegState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.anti_join({inputs[0]}, {inputs[1]})",
    doc="Pairs (k, v) of input 0 whose key is not in input 1.",
))
register(OpSpec(
    "filter_if", "head", ports=2, blocking=frozenset({1}),
    head=lambda gen, op, inputs: f"({inputs[0]} if bool({inputs[1]}) is "
    f"{bool(op.args['when_some'])} else ())",
    doc="Input 0 while input 1 has a value (when_some) or is empty.",
))


class CycleState(State):
    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.mode = op.args.get("mode", "plain")
        self.first = True

    def take(self, prev, initial=()):
        first, self.first = self.first, False
        if self.mode == "stream":
            return list(prev) + list(initial) if first else prev
        if self.mode == "singleton":
            return prev[:1] or initial[:1]
        return prev

    def snapshot(self):
        return self.first


register(OpSpec(
    "cycle_source", "head", ports=2, always=True, state=CycleState,
    head=lambda gen, op, inputs: f"{gen.state(op)}.take({', '.join(inputs)})",
    doc="What was fed back from the previous tick (plus an initial value in tick 0).",
))
