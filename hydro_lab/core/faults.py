"""Faults injected on a channel while a flow runs (``d.inject(channel, drop=, delay=)``): drop a
fraction of its messages, hold them for some seconds. Shared by every backend: the sender's router
applies a ``ChannelFault`` when it splits a batch per destination, and the sender keeps delayed
batches in ``HeldDeliveries`` until they are due.

A message is one element sent on the channel (what the ``messages_out`` metric counts). Drops are
decided per message by a random generator seeded with ``(seed, channel, sender)``, so the same
traffic loses the same messages on every run and on every backend.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fault:
    """What ``inject`` set on one channel: the fraction dropped, the delay in seconds, the seed."""

    drop: float = 0.0
    delay: float = 0.0
    seed: int = 0

    def __bool__(self) -> bool:
        return bool(self.drop or self.delay)


@dataclass
class ChannelFault:
    """A ``Fault`` at work in one sender: its random generators, one per sending instance."""

    fault: Fault
    channel: str
    _rngs: dict[str, random.Random] = field(default_factory=dict)

    @property
    def delay(self) -> float:
        return self.fault.delay

    def keep(self, sender: str, batch: list) -> list:
        """The messages of ``batch`` that are not dropped (in order)."""
        drop = self.fault.drop
        if not drop:
            return batch
        if drop >= 1.0:
            return []
        rng = self._rngs.get(sender)
        if rng is None:
            rng = self._rngs[sender] = random.Random(f"{self.fault.seed}:{self.channel}:{sender}")
        draw = rng.random
        return [x for x in batch if draw() >= drop]


class HeldDeliveries:
    """Delayed deliveries, FIFO per (channel, destination): a delivery queued behind held ones
    on its channel is due no earlier than they are, so a delay never reorders a channel."""

    def __init__(self) -> None:
        self._queues: dict[tuple[str, Any], deque] = {}

    def __bool__(self) -> bool:
        return bool(self._queues)

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def queued(self, channel: str, dst: Any) -> bool:
        return (channel, dst) in self._queues

    def admit(self, d: Any, now: float, faulted: dict[str, list[int]]) -> bool:
        """Count what a fault did to delivery ``d`` in ``faulted[channel] = [dropped, delayed]``
        and hold ``d`` if it is delayed (or its channel has deliveries held: they go first).
        True when ``d`` is to go now. A held delivery counts as sent when it is held."""
        counts = faulted.setdefault(d.channel, [0, 0])
        counts[0] += d.dropped
        if not d.count:
            return False
        if d.delay or self.queued(d.channel, d.dst):
            counts[1] += d.count
            self.hold(d, now + d.delay)
            return False
        return True

    def hold(self, delivery: Any, due: float) -> None:
        q = self._queues.setdefault((delivery.channel, delivery.dst), deque())
        if q and q[-1][0] > due:
            due = q[-1][0]
        q.append((due, delivery))

    def next_due(self) -> float | None:
        return min((q[0][0] for q in self._queues.values()), default=None)

    def pop_due(self, now: float) -> list:
        """Every delivery due by ``now``, in order of due time (FIFO within a channel)."""
        out = []
        for key in list(self._queues):
            q = self._queues[key]
            while q and q[0][0] <= now:
                out.append(q.popleft())
            if not q:
                del self._queues[key]
        out.sort(key=lambda item: item[0])
        return [d for _, d in out]

    def forget(self, dst: Any) -> None:
        """Drop what is held for ``dst`` (it was killed, or restarted with fresh state)."""
        for key in [k for k in self._queues if k[1] == dst]:
            del self._queues[key]
