"""The live lines of a watched KeyedStream or KeyedSingleton: one line per key on view, the
``keys`` keys with the largest latest values, in one bokeh figure fed by one ColumnDataSource.

The view keeps each key's latest value (a KeyedSingleton: its entry in the latest map of its
instance, so a key that left the map has none; a KeyedStream: the key's last element), ranks
them, and gives the top ``keys`` a slot each: a column of the source, a line and a legend entry
naming the key. A slot keeps its key while the key stays on view, so the key keeps its color; a
key that comes onto view takes a free slot and its line starts there. On a cluster a line is a
key at one member. Each refresh appends one point per distinct tick time it saw (at most
``MAX_POINTS``, evenly spread over them, the latest always) with one ``stream`` call: one bokeh
patch per refresh however fast the flow ticks, a few more when the keys on view change; a fast
flow's 600 points (``rollover``) span 24 s at the pump's 5 refreshes a second. ``rollover`` bounds
the points kept, ``MAX_TRACKED`` the keys remembered.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from typing import Any

from bokeh.core.properties import value as literal
from bokeh.models import ColumnDataSource, HoverTool, Legend, LegendItem
from bokeh.plotting import figure

from hydro_lab.dashboard.figures import ROLLOVER, palette
from hydro_lab.lang.watch import Watch, WatchRow

MAX_POINTS = 5         # points one refresh appends at most (spread over its tick times)
MAX_TRACKED = 10_000   # keys remembered for ranking (the least recently updated are forgotten)
LEGEND_ROWS = 10       # legend entries a column
_GONE = object()       # a key a KeyedSingleton's latest map no longer holds

Series = tuple[str | None, Any]  # (instance on a cluster or None, key)


def _number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return math.nan


def _rank(item: tuple[Series, list]) -> tuple:
    """Largest number first, then what is not a number; ties: the key seen first."""
    _, (value, seen) = item
    number = _number(value)
    return (1, 0.0, seen) if math.isnan(number) else (0, -number, seen)


def _spread(n: int, m: int) -> set[int]:
    """``m`` of the indices ``0 .. n-1`` evenly spread, the last always (all when ``n <= m``)."""
    if n <= m:
        return set(range(n))
    if m == 1:
        return {n - 1}
    return {round(i * (n - 1) / (m - 1)) for i in range(m)}


def series_label(series: Series, limit: int = 40) -> str:
    """What the legend calls a line: the key (``str``), ``"key @ workers[1]"`` on a cluster."""
    instance, key = series
    text = key if isinstance(key, str) else repr(key)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text if instance is None else f"{text} @ {instance}"


class KeyedLines:
    """The lines of one keyed watch: ``figure`` draws the columns ``k0`` … of ``source`` against
    ``x`` (seconds since the first value the view saw, on the clock of ``d.metrics()``);
    ``slots[i]`` is the series (``(instance or None, key)``) column ``k{i}`` draws, None when
    free, and ``legend.items[i]`` names it. ``update(rows)`` takes a refresh's new rows."""

    def __init__(self, watch: Watch, keys: int, *, rollover: int = ROLLOVER, width: int = 360,
                 height: int = 160):
        self.watch = watch
        self.keys = keys
        self.rollover = rollover
        self.maps = watch.collection == "KeyedSingleton"
        self.latest: OrderedDict[Series, list] = OrderedDict()  # series -> [value, first seen]
        self.current: dict[str | None, set[Series]] = {}  # a map's series, per instance
        self.slots: list[Series | None] = [None] * keys
        self.points = 0   # rows in the source (at most rollover)
        self.t0: float | None = None
        self._seen = 0
        self.columns = [f"k{i}" for i in range(keys)]
        self.source = ColumnDataSource({"x": [], **{c: [] for c in self.columns}},
                                       tags=[rollover])
        height = max(height, 40 + 16 * min(keys, LEGEND_ROWS))
        fig = figure(height=height, width=width, tools="pan,xwheel_zoom,box_zoom,reset",
                     toolbar_location=None, x_axis_label="seconds")
        items = []
        for column, color in zip(self.columns, palette(keys), strict=True):
            line = fig.line(x="x", y=column, source=self.source, color=color, line_width=2)
            # a dot per point too: a key seen once, or now and then, still shows
            dots = fig.scatter(x="x", y=column, source=self.source, color=color, size=4)
            items.append(LegendItem(label=literal(""), renderers=[line, dots], visible=False))
        # at most 10 entries a column, so 20 keys fit beside a chart of 10 entries' height
        self.legend = Legend(items=items, click_policy="hide", label_text_font_size="8pt",
                             spacing=0, padding=4, margin=4, nrows=min(keys, LEGEND_ROWS))
        fig.add_layout(self.legend, "right")
        fig.add_tools(HoverTool(tooltips=[("seconds", "$x{0.0}"), ("value", "$y{0.[000]}")]))
        fig.xaxis.axis_label_text_font_size = "8pt"
        fig.toolbar.logo = None
        fig.min_border_left = fig.min_border_bottom = 4
        self.figure = fig

    # -- reading ----------------------------------------------------------------------------------

    def on_view(self) -> list[tuple[Series, Any]]:
        """The series on view, in rank order, with their latest values."""
        shown = {s for s in self.slots if s is not None}
        return [(s, self.latest[s][0]) for s in self._ranked() if s in shown]

    def numeric(self) -> bool:
        """Whether a series on view has a number to draw."""
        return any(not math.isnan(_number(v)) for _, v in self.on_view())

    def _ranked(self) -> list[Series]:
        return [s for s, _ in heapq.nsmallest(self.keys, self.latest.items(), key=_rank)]

    # -- updating ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything (the watch was reset: a new simulated execution)."""
        self.latest.clear()
        self.current.clear()
        self.slots = [None] * self.keys
        self.points, self.t0 = 0, None
        self._hold()
        try:
            self.source.data = {"x": [], **{c: [] for c in self.columns}}
            for item in self.legend.items:
                item.visible = False
        finally:
            self._unhold()

    def update(self, rows: list[WatchRow]) -> bool:
        """Take the rows that arrived since the last refresh; True when something changed."""
        if not rows:
            return False
        groups: list[tuple[float, list[tuple[Series, Any]]]] = []
        before: dict[Series, Any] = {}  # the value of each series touched, before these rows
        for r in rows:
            t = float(r.time if r.time is not None else r.tick)
            if not groups or groups[-1][0] != t:
                groups.append((t, []))
            updates = groups[-1][1]
            instance = None if r.member is None else f"{r.location}[{r.member}]"
            if self.maps:
                now = {(instance, k): v for k, v in r.value.items()}
                for s in self.current.get(instance, set()) - now.keys():
                    self._set(s, _GONE, updates, before)
                for s, v in now.items():
                    self._set(s, v, updates, before)
                self.current[instance] = set(now)
            else:
                key, value = r.value
                self._set((instance, key), value, updates, before)
        if self.t0 is None:
            self.t0 = groups[0][0]
        changed = self._assign()
        values = {s: before.get(s, self.latest[s][0] if s in self.latest else _GONE)
                  for s in self.slots if s is not None}
        xs: list[float] = []
        cols: dict[str, list[float]] = {c: [] for c in self.columns}
        kept = _spread(len(groups), MAX_POINTS)
        for g, (t, updates) in enumerate(groups):
            for s, v in updates:
                if s in values:
                    values[s] = v
            if g not in kept:
                continue
            xs.append(t - self.t0)
            for column, s in zip(self.columns, self.slots, strict=True):
                v = values.get(s, _GONE) if s is not None else _GONE
                cols[column].append(math.nan if v is _GONE else _number(v))
        self._draw(changed, xs, cols)
        return True

    def _set(self, s: Series, value: Any, updates: list, before: dict) -> None:
        old = self.latest.get(s)
        if s not in before:
            before[s] = old[0] if old is not None else _GONE
        if value is _GONE:
            self.latest.pop(s, None)
        elif old is None:
            self._seen += 1
            self.latest[s] = [value, self._seen]
            if len(self.latest) > MAX_TRACKED:
                self.latest.popitem(last=False)
        else:
            old[0] = value
            self.latest.move_to_end(s)
        updates.append((s, value))

    def _assign(self) -> list[int]:
        """Give the top keys a slot each, keeping the slots of those already on view; the slots
        whose series changed."""
        top = self._ranked()
        wanted = set(top)
        changed = []
        for i, s in enumerate(self.slots):
            if s is not None and s not in wanted:
                self.slots[i] = None
                changed.append(i)
        shown = set(self.slots)
        free = (i for i, s in enumerate(self.slots) if s is None)
        for s in top:
            if s not in shown:
                i = next(free)
                self.slots[i] = s
                if i not in changed:
                    changed.append(i)
        return changed

    def _draw(self, changed: list[int], xs: list[float], cols: dict[str, list[float]]) -> None:
        self._hold()
        try:
            if changed and self.points:  # a slot's new key starts its line now: clear the past
                n = self.points
                self.source.patch({self.columns[i]: [(slice(0, n), [math.nan] * n)]
                                   for i in changed})
            for i in changed:
                item, s = self.legend.items[i], self.slots[i]
                if s is None:
                    item.visible = False
                else:
                    item.label = literal(series_label(s))  # a name, not a column
                    item.visible = True
            if xs:
                self.source.stream({"x": xs, **cols}, rollover=self.rollover)
                self.points = min(self.points + len(xs), self.rollover)
        finally:
            self._unhold()

    def _hold(self) -> None:
        doc = self.figure.document
        if doc is not None:
            doc.hold("combine")

    def _unhold(self) -> None:
        doc = self.figure.document
        if doc is not None:
            doc.unhold()
