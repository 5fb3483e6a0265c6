"""Where every decision of a simulated execution comes from.

A decision is one integer in ``range(n)``, and 0 always means what a deployment does (release
everything that arrived, see the latest version, keep the order, no fault, the first instance in
line); so the all-zero schedule is the ordinary run, and a shrunk failure keeps only the
deviations it needs. ``ReplayChooser`` follows a recorded schedule (and
picks 0 past its end), which is how exhaustive search enumerates executions (replay a prefix, then
count the options met on the way) and how a failure is replayed. ``RandomChooser`` draws them,
for fuzzing. Every decision is recorded as ``(choice, n)`` so the schedule of any run can be kept,
shrunk and replayed.

The operator-level questions (which elements a batch releases, which version a snapshot sees, an
assumed order) are asked by ``dfir.ops.nondet`` and turned into one integer each here.
"""

from __future__ import annotations

import random
from math import factorial

from hydro_lab.dfir.ops.nondet import nth_permutation
from hydro_lab.sim.trace import short


class Chooser:
    def __init__(self) -> None:
        self.record: list[tuple[int, int]] = []
        self.trace = None
        self.forced_last: int | None = None  # the batch operator that must release this tick
        self.released_this_tick = False
        # an observation step: the element each top-level assumed order releases (by
        # operator id: its index among those waiting); None: a tick that makes its batch and
        # snapshot decisions (Hydro schedules ticks and observations as units of their own)
        self.observing: dict[int, int] | None = None

    # -- the one primitive ------------------------------------------------------------------
    def choose(self, n: int) -> int:
        if n <= 1:
            return 0
        c = self._pick(n)
        self.record.append((c, n))
        return c

    def _pick(self, n: int) -> int:
        return 0

    @property
    def schedule(self) -> list[int]:
        return [c for c, _ in self.record]

    # -- tick context (set by the world) ----------------------------------------------------
    def begin_tick(self, forced_last: int | None,
                   observing: dict[int, int] | None = None) -> None:
        self.forced_last = forced_last
        self.released_this_tick = False
        self.observing = observing

    def _must_release(self, op) -> bool:
        return self.forced_last == op.id and not self.released_this_tick

    def _note(self, kind: str, op, **data) -> None:
        if self.trace is not None:
            from_op = {"where": _where(op), "op": op.id}
            self.trace.add(kind, **from_op, **data)

    # -- operator questions -----------------------------------------------------------------
    def batch_prefix(self, op, pending: list) -> int:
        n = len(pending)
        low = 1 if self._must_release(op) else 0
        k = n - self.choose(n + 1 - low)
        self._released(op, pending[:k], n)
        return k

    def batch_subset(self, op, pending: list) -> int:
        n = len(pending)
        low = 1 if self._must_release(op) else 0
        mask = (1 << n) - 1 - self.choose((1 << n) - low)
        self._released(op, [x for i, x in enumerate(pending) if mask >> i & 1], n)
        return mask

    def batch_keyed_prefix(self, op, pending: list, counts: list[int]) -> list[int]:
        total = 1
        for c in counts:
            total *= c + 1
        low = 1 if self._must_release(op) else 0
        index = total - 1 - self.choose(total - low)  # 0: every key releases everything
        take = []
        for c in counts:
            index, t = divmod(index, c + 1)
            take.append(t)
        if self.trace is not None or not self.released_this_tick:
            quota = dict(zip(dict.fromkeys(kv[0] for kv in pending), take, strict=True))
            released = []
            for kv in pending:
                if quota[kv[0]] > 0:
                    quota[kv[0]] -= 1
                    released.append(kv)
            self._released(op, released, len(pending))
        return take

    def _released(self, op, released: list, pending: int) -> None:
        if released:
            self.released_this_tick = True
        self._note("batch", op, released=list(released), pending=pending)

    def snapshot_version(self, op, versions: list, first: bool = False) -> int:
        """Which version a snapshot sees: ``versions[0]`` is the one it saw last (unless this
        is its ``first`` release), option 0 the latest. A tick run to let it catch up (forced)
        must see a newer one."""
        n = len(versions)
        low = 1 if not first and self._must_release(op) else 0
        i = n - 1 - self.choose(n - low)
        if first or i > 0:
            self.released_this_tick = True
        self._note("snapshot", op, chosen=i, versions=n)
        return i

    def permutation(self, op, items: list) -> int:
        index = self.choose(factorial(len(items)))
        self._note("permute", op, order=index)
        return index

    def next_of(self, op, waiting: list, forced: bool) -> int | None:
        """Which of the ``waiting`` elements a top-level assumed order observes in this
        observation step (option 0: the one that arrived first), or None: none this step (not
        when ``forced``: the step's last assumed order with elements waiting, when no other
        released one, as Hydro forces the last hook of a step)."""
        n = len(waiting)
        c = self.choose(n if forced else n + 1)
        i = None if c == n else c
        if self.trace is not None:
            self._note("observe", op, item=None if i is None else waiting[i], waiting=n,
                       held=i is None)
        return i

    def against_claim(self, op, items: list, *, commutative: str | None,
                      idempotent: str | None, keyed: bool) -> list:
        """What an aggregation claiming ``commutative``/``idempotent`` gets instead of
        ``items``: option 0 is ``items`` unchanged; the others deliver one element twice (an
        idempotent claim), then reorder the elements (a commutative claim; per key when keyed,
        since only each key's order reaches its aggregate)."""
        received = items
        tested = []
        if idempotent is not None:
            i = self.choose(len(items) + 1)
            if i:
                items = items[:i] + [items[i - 1]] + items[i:]
                tested.append(f"delivered {short(items[i - 1], 40)} twice")
        if commutative is not None and len(items) > 1:
            reordered = self._reorder(items, keyed)
            if reordered != items:
                tested.append(f"folded them in the order {short(reordered)}")
            items = reordered
        if self.trace is not None:
            claims = ", ".join(f'{name}="{why}"' for name, why in
                               (("commutative", commutative), ("idempotent", idempotent))
                               if why is not None)
            says = {(True, False): "the order does not matter",
                    (False, True): "duplicates do not matter",
                    (True, True): "neither the order nor duplicates matter"}[
                (commutative is not None, idempotent is not None)]
            change = " and ".join(tested) if tested else "as they arrived"
            self._note("claim", op, claim=claims, says=says, items=received,
                       tested=f"got {short(received)} and {change}" if tested else None,
                       what=f"checking {claims}: got {short(received)}, {change}")
        return items

    def _reorder(self, items: list, keyed: bool) -> list:
        if not keyed:
            return nth_permutation(items, self.choose(factorial(len(items))))
        positions: dict = {}
        for i, kv in enumerate(items):
            positions.setdefault(kv[0], []).append(i)
        out = list(items)
        for places in positions.values():
            if len(places) > 1:
                values = nth_permutation([items[i] for i in places],
                                         self.choose(factorial(len(places))))
                for i, kv in zip(places, values, strict=True):
                    out[i] = kv
        return out


class ReplayChooser(Chooser):
    """Follows ``schedule`` (clamped to the options available), then picks 0."""

    def __init__(self, schedule: list[int] | None = None):
        super().__init__()
        self.prefix = list(schedule or [])

    def _pick(self, n: int) -> int:
        i = len(self.record)
        return min(self.prefix[i], n - 1) if i < len(self.prefix) else 0


class RandomChooser(Chooser):
    def __init__(self, rng: random.Random):
        super().__init__()
        self.rng = rng

    def _pick(self, n: int) -> int:
        return self.rng.randrange(n)


def next_schedule(record: list[tuple[int, int]]) -> list[int] | None:
    """The next schedule in depth-first order after a run that made these decisions."""
    for i in range(len(record) - 1, -1, -1):
        c, n = record[i]
        if c + 1 < n:
            return [c for c, _ in record[:i]] + [c + 1]
    return None


def _where(op) -> str:
    origin = getattr(op, "origin", None)
    describe = getattr(origin, "describe", None)
    return describe() if callable(describe) else op.label
