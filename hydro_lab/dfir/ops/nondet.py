"""Operators that let a simulator decide what a non-deterministic point does.

Each asks the ``chooser`` runtime parameter (the simulator's decision oracle) and knows nothing
else about it. ``sim_batch`` holds a stream's elements and releases the ones the chooser picks
into the tick (a prefix when the order matters, any subset otherwise); ``sim_snapshot`` remembers
the versions of a value and releases one no older than the last it released; ``sim_permute``
orders each tick's elements as the chooser says; ``sim_claim`` (only when a simulation checks
claims) hands an aggregation's input to the chooser, which may reorder it or deliver an element
twice where the aggregation claims that does not matter. Outside a simulation these never
appear: a deployment's batch is simply what arrived in the tick.
"""

from __future__ import annotations

from math import factorial
from typing import Any

from hydro_lab.dfir.graph import Operator
from hydro_lab.dfir.ops.base import OpSpec, State, register
from hydro_lab.dfir.ops.folds import MISSING
from hydro_lab.dfir.sentinels import Sentinel

_EMPTY = Sentinel(__name__, "_EMPTY")


class SimBatchState(State):
    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.chooser = params["chooser"]
        self.mode = op.args.get("mode", "prefix")
        self.pending: list = []
        self.decided = False  # this tick released its batch (a cycle may bring more: they wait)

    def end_tick(self) -> None:
        self.decided = False

    def take(self, new_items) -> list:
        if new_items:
            self.pending.extend(new_items)
        if not self.pending or self.decided or self.chooser.observing is not None:
            return []  # what arrives after this tick's decision (or in an observation) waits
        self.decided = True
        pending = self.pending
        if self.mode == "prefix":
            k = self.chooser.batch_prefix(self.op, pending)
            released, self.pending = pending[:k], pending[k:]
            return released
        if self.mode == "keyed_prefix":  # per key a prefix: each key's order is kept
            keys: dict = {}
            for kv in pending:
                keys[kv[0]] = keys.get(kv[0], 0) + 1
            take = self.chooser.batch_keyed_prefix(self.op, pending, list(keys.values()))
            quota = dict(zip(keys, take, strict=True))
            released, rest = [], []
            for kv in pending:
                if quota[kv[0]] > 0:
                    quota[kv[0]] -= 1
                    released.append(kv)
                else:
                    rest.append(kv)
            self.pending = rest
            return released
        mask = self.chooser.batch_subset(self.op, pending)
        released = [x for i, x in enumerate(pending) if mask >> i & 1]
        self.pending = [x for i, x in enumerate(pending) if not mask >> i & 1]
        return released

    def size(self) -> int:
        return len(self.pending)

    def snapshot(self):
        return tuple(self.pending)


class SimSnapshotState(State):
    """The versions of a value a snapshot may still see: ``versions[0]`` is the one released
    last (none yet before the first release), the rest are newer. With the ``acc`` of a
    top-level aggregation, every value it took is a version, not only each tick's last (so a
    count over 4 inputs that arrived together can be seen at 0, 1, 2, 3 or 4; a keyed
    aggregation's table also as it was before the tick's updates). Newer versions
    are ``pending``: the simulator keeps ticking until the snapshot has caught up."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.chooser = params["chooser"]
        self.versions: list = []
        self.released = False

    def _add(self, value) -> None:
        if not self.versions or self.versions[-1] != value:
            self.versions.append(value)

    def take(self, current, history=None) -> list:
        if history is not None:
            for h in history:
                if isinstance(h, dict):  # a keyed table as the tick started
                    self._add(tuple(h.items()) if h else _EMPTY)
                else:
                    self._add(_EMPTY if h is MISSING else (h,))
        self._add(tuple(current) if current else _EMPTY)
        if self.released and self.chooser.observing is not None:
            chosen = self.versions[0]  # an observation step: the tick makes no decision
            return [] if chosen is _EMPTY else list(chosen)
        if not self.released:  # the first release: any version since the start
            i = self.chooser.snapshot_version(self.op, self.versions, first=True)
            self.released = True
            self.versions = self.versions[i:]
        elif len(self.versions) > 1:
            i = self.chooser.snapshot_version(self.op, self.versions)
            self.versions = self.versions[i:]
        chosen = self.versions[0]
        return [] if chosen is _EMPTY else list(chosen)

    @property
    def pending(self) -> bool:
        """A version newer than the one released last exists."""
        return len(self.versions) > 1

    def snapshot(self):
        return tuple(self.versions)


class SimPermuteState(State):
    """An assumed order. In a tick all of the tick's elements are ordered at once (``keyed``:
    within each key's group, keeping where each group's elements sit). At the top level
    (``one_at_a_time``) elements wait here, and an observation step releases the one the
    simulator chose before the tick (``chooser.observing``), so one fed back through a cycle
    can overtake the ones still waiting."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.chooser = params["chooser"]
        self.keyed = bool(op.args.get("keyed"))
        self.one_at_a_time = bool(op.args.get("one_at_a_time"))
        self.pending: list = []
        self.released = False  # one_at_a_time: this step's element has been released

    def take(self, items) -> list:
        if self.one_at_a_time:
            if items:
                self.pending.extend(items)
            observing = self.chooser.observing
            i = observing.get(self.op.id) if observing else None
            if i is None or self.released:
                return []
            self.released = True
            return [self.pending.pop(i)]
        if len(items) < 2:
            return items
        if not self.keyed:
            return nth_permutation(list(items), self.chooser.permutation(self.op, items))
        places: dict = {}
        for i, kv in enumerate(items):
            places.setdefault(kv[0], []).append(i)
        out = list(items)
        for where in places.values():
            if len(where) > 1:
                group = [items[i] for i in where]
                group = nth_permutation(group, self.chooser.permutation(self.op, group))
                for i, kv in zip(where, group, strict=True):
                    out[i] = kv
        return out

    def end_tick(self) -> None:
        self.released = False

    def size(self) -> int:
        return len(self.pending)

    def snapshot(self):
        return tuple(self.pending)


class SimClaimState(State):
    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.chooser = params["chooser"]
        self.commutative = op.args.get("commutative")
        self.idempotent = op.args.get("idempotent")
        self.keyed = bool(op.args.get("keyed"))

    def take(self, items) -> list:
        if not items:
            return items
        return self.chooser.against_claim(self.op, list(items), commutative=self.commutative,
                                          idempotent=self.idempotent, keyed=self.keyed)


def nth_permutation(items: list, index: int) -> list:
    """The ``index``-th permutation of ``items`` in lexicographic order of positions."""
    out = []
    pool = list(items)
    for i in range(len(pool), 0, -1):
        f = factorial(i - 1)
        j, index = divmod(index, f)
        out.append(pool.pop(j))
    return out


def _take(gen, op, inputs) -> str:
    """The head of every simulation op: its state releases what the chooser picks."""
    return f"{gen.state(op)}.take({inputs[0]})"


register(OpSpec(
    "sim_batch", "head", ports=1, always=True, state=SimBatchState,
    head=_take,
    doc="Simulation only: releases the elements the chooser picks into this tick.",
))


def _take_snapshot(gen, op, inputs) -> str:
    """A snapshot of a top-level aggregation also reads the values it took this tick."""
    acc = op.args.get("acc")
    if acc is None:
        return _take(gen, op, inputs)
    return f"{gen.state(op)}.take({inputs[0]}, {gen.state(gen.op(acc))}.history)"


register(OpSpec(
    "sim_snapshot", "head", ports=1, always=True, state=SimSnapshotState,
    head=_take_snapshot,
    doc="Simulation only: releases a version of the value no older than the last one.",
))
register(OpSpec(
    "sim_claim", "head", ports=1, state=SimClaimState,
    head=_take,
    doc="Simulation checking claims only: an aggregation's input, reordered or with an element "
        "twice where its commutative/idempotent claim says that does not matter.",
))
register(OpSpec(
    "sim_permute", "head", ports=1, always=True, state=SimPermuteState,
    head=_take,
    doc="Simulation only: orders each tick's elements as the chooser says (at the top level: "
        "releases the element an observation step chose).",
))
