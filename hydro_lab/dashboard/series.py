"""What a deployment dashboard plots, computed from metrics records: one point per refresh for each
location instance (ticks/s, elements out per tick, tick duration, state size) and each channel
(messages/s, bytes/s, dropped/s).

Records arrive in any chunks (every tick locally, every 0.2 s from Ray actors) on whatever thread
records them; ``add`` only queues them (the rows, not the chunks: thousands of chunk lists a
second kept until the next refresh outlived young garbage collections and brought on full ones,
which cost the deployment more than the folding), ``points`` (on the pump thread) folds them.
Rates use the
records' own times (from the last record of the previous refresh to the last of this one), so
the size of the chunks does not show in the curves; a series that got no records in one refresh
keeps its last value for ``hold_s`` seconds before it falls to zero.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from hydro_lab.observe.metrics import (
    BYTES_OUT,
    DROPPED,
    ELEMENTS_OUT,
    EVENT,
    MESSAGES_OUT,
    STATE_SIZE,
    TICK_DURATION,
    Record,
)

# figure key -> (title, y axis label, what its series are: "instance" or "channel")
PANELS: dict[str, tuple[str, str, str]] = {
    "ticks_per_s": ("ticks / s", "ticks/s", "instance"),
    "elements_per_tick": ("elements out per tick (all operators)", "elements", "instance"),
    "tick_ms": ("tick duration (ms)", "ms", "instance"),
    "state_size": ("state size ('static items)", "items", "instance"),
    "messages_per_s": ("messages / s per channel (sent)", "msgs/s", "channel"),
    "bytes_per_s": ("bytes / s per channel (sent)", "bytes/s", "channel"),
    "dropped_per_s": ("dropped messages / s per channel", "msgs/s", "channel"),
}

# the metrics a channel panel sums, and where: messages, bytes, dropped
_CHANNEL_METRICS = {MESSAGES_OUT: 0, BYTES_OUT: 1, DROPPED: 2}


@dataclass
class _Instance:
    ticks: int = 0
    duration: float = 0.0
    elements: float = 0.0
    state: dict[int, float] = field(default_factory=dict)  # tick -> state size
    first: float = math.inf
    last: float = -math.inf


@dataclass
class _Channel:
    sums: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    first: float = math.inf
    last: float = -math.inf


class DeploymentSeries:
    """Folds metrics records into points. ``instances`` and ``channels`` are the series names
    (instance names such as ``"workers[1]"``, channel names)."""

    def __init__(self, instances: list[str], channels: list[str], *, start: float | None = None,
                 hold_s: float = 0.5, max_pending: int = 2_000_000):
        self.instances = list(instances)
        self.channels = list(channels)
        self.hold_s = hold_s
        self._pending: deque[Record] = deque(maxlen=max_pending)
        self._last_time: dict[str, float] = {}     # series -> time of its latest record
        self._last_value: dict[tuple[str, str], float] = {}
        self._last_now = start  # the previous refresh
        self.events: deque[tuple[float, str, str]] = deque(maxlen=1000)  # (time, inst, what)

    def add(self, instance: str, rows: list[Record]) -> None:
        """A ``MetricsRecorder`` subscriber: queue the rows (cheap: called on the tick path)."""
        self._pending.extend(rows)

    def points(self, now: float) -> dict[str, dict[str, float]]:
        """One value per panel and series for the records queued since the last call; ``now``
        is the time of this refresh on the records' clock."""
        insts: dict[str, _Instance] = {}
        chans: dict[str, _Channel] = {}
        popleft = self._pending.popleft
        last_loc, last_member, instance = None, None, ""
        for _ in range(len(self._pending)):  # add() may append meanwhile: next refresh
            loc, member, tick, t, metric, key, value = popleft()
            if loc is not last_loc or member != last_member:
                last_loc, last_member = loc, member
                instance = loc if member is None else f"{loc}[{member}]"
            if metric == TICK_DURATION:
                s = insts.get(instance) or insts.setdefault(instance, _Instance())
                s.ticks += 1
                s.duration += value
                s.first = min(s.first, t)
                s.last = max(s.last, t)
            elif metric == ELEMENTS_OUT:
                s = insts.get(instance) or insts.setdefault(instance, _Instance())
                s.elements += value
            elif metric == STATE_SIZE:
                s = insts.get(instance) or insts.setdefault(instance, _Instance())
                s.state[tick] = s.state.get(tick, 0.0) + value
            elif metric in _CHANNEL_METRICS:
                c = chans.get(key) or chans.setdefault(key, _Channel())
                c.sums[_CHANNEL_METRICS[metric]] += value
                c.first = min(c.first, t)
                c.last = max(c.last, t)
            elif metric == EVENT:
                self.events.append((t, instance, key))
        out: dict[str, dict[str, float]] = {panel: {} for panel in PANELS}
        for name in self.instances:
            s = insts.get(name)
            if s is None or not s.ticks:
                out["ticks_per_s"][name] = self._idle("ticks_per_s", name, now)
                out["elements_per_tick"][name] = math.nan
                out["tick_ms"][name] = math.nan
                out["state_size"][name] = self._last_value.get(("state_size", name), math.nan)
                continue
            span = self._span(name, s.first, s.last, now)
            self._set("ticks_per_s", name, s.ticks / span)
            out["ticks_per_s"][name] = s.ticks / span
            out["elements_per_tick"][name] = s.elements / s.ticks
            out["tick_ms"][name] = 1000.0 * s.duration / s.ticks
            state = s.state[max(s.state)] if s.state else 0.0
            self._set("state_size", name, state)
            out["state_size"][name] = state
        for name in self.channels:
            c = chans.get(name)
            if c is None:
                for panel in ("messages_per_s", "bytes_per_s", "dropped_per_s"):
                    out[panel][name] = self._idle(panel, name, now)
                continue
            span = self._span("channel:" + name, c.first, c.last, now)
            for panel, total in zip(("messages_per_s", "bytes_per_s", "dropped_per_s"), c.sums,
                                    strict=True):
                self._set(panel, name, total / span)
                out[panel][name] = total / span
        self._last_now = now
        return out

    def _span(self, series: str, first: float, last: float, now: float) -> float:
        """The seconds the records of one refresh cover: from the latest record of the previous
        refresh to the latest of this one; after a pause (or at first), the time since the
        previous refresh (or their own spread, if longer)."""
        previous = self._last_time.get(series)
        self._last_time[series] = last
        if previous is not None and last > previous and first - previous < self.hold_s:
            return last - previous
        window = now - self._last_now if self._last_now is not None else 0.0
        return max(last - first, window, 1e-3)

    def _set(self, panel: str, name: str, value: float) -> None:
        self._last_value[(panel, name)] = value

    def _idle(self, panel: str, name: str, now: float) -> float:
        """No records this refresh: keep the last value a moment (records may be on their way),
        then zero."""
        series = name if panel == "ticks_per_s" else "channel:" + name
        last = self._last_time.get(series)
        if last is not None and now - last < self.hold_s:
            return self._last_value.get((panel, name), 0.0)
        return 0.0
