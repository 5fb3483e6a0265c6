"""The live view of ``collection.watch()`` (the ``"watch"`` view ``hydro_lab.dashboard`` registers).

A Singleton's or Optional's value shows as its current value and, while the values are numbers,
a sparkline of the recent ticks (one line per instance: bokeh in a jupyter_bokeh widget, BokehJS
from ``bokehjs.py``); any other value as text. A stream shows its recent elements with where and
when they were seen. A KeyedStream or KeyedSingleton shows one live line per key for the
``keys`` keys with the largest latest values, named in a legend (``keyed_lines.py``): the top
three endpoints by error rate are ``rates.watch(keys=3, nondet=...)``. The pump calls
``refresh`` a few times a second; it redraws only when the watch moved.
"""

from __future__ import annotations

import html
import math
import re
import threading
from typing import Any

import ipywidgets as widgets

from hydro_lab.dashboard import bokehjs
from hydro_lab.dashboard.figures import ROLLOVER, bokeh_widget, palette, stopped_updating
from hydro_lab.dashboard.pump import PUMP, Pump
from hydro_lab.errors import HydroError
from hydro_lab.lang.watch import EMPTY, MAX_KEYS, Watch

TEXT_LIMIT = 120


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def short(value: Any, limit: int = TEXT_LIMIT) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def instance_name(location: str, member: int | None) -> str:
    return location if member is None else f"{location}[{member}]"


class WatchView:
    """What a ``Watch`` displays as: ``widget`` (an ipywidgets VBox), with ``header`` (name,
    where, current value), ``body`` (recent values or elements as text) and, once the values
    are numbers, ``chart`` (a BokehModel of ``figure``, whose ``source`` has one line per
    instance in the columns ``xs`` (ticks), ``ys`` (values), ``instance`` and ``color``);
    its first child is ``bokehjs`` (the kernel's ``bokehjs.widget()``, invisible).
    A keyed watch's view has ``lines`` (a ``keyed_lines.KeyedLines``: its ``figure`` and
    ``source`` are the view's) and draws ``keys`` lines (the watch's ``keys`` unless given),
    each keeping its last ``rollover`` points.
    ``refresh()`` updates it now; the pump (``pump=``, ``None`` for none) calls it while the
    view is open; ``close()`` stops that."""

    def __init__(self, watch: Watch, *, rows: int = 8, width: int = 360, height: int = 110,
                 pump: Pump | None = PUMP, keys: int | None = None, rollover: int = ROLLOVER):
        self.watch = watch
        self.rows = rows
        self.width, self.height = width, height
        self.header = widgets.HTML()
        self.body = widgets.HTML()
        self.figure = self.source = self.chart = None
        self.lines = None
        self.keys = keys if keys is not None else watch.keys
        self.rollover = rollover
        self._cursor = None
        if watch.keyed:
            _check_view_keys(self.keys)
        elif keys is not None:
            raise HydroError(f"keys= is how many keys a keyed watch's view draws a line for, "
                             f"and {watch.name!r} watches a {watch.collection}, which has no "
                             f"keys. Fix: leave keys= out")
        self.bokehjs = bokehjs.widget()
        self.widget = widgets.VBox([self.bokehjs, self.header, self.body])
        self.closed = False
        self._seen = None
        self._lock = threading.Lock()
        self.refresh()
        self._pump = pump
        self.subscription = pump.subscribe(self._pumped, f"watch {watch.name}",
                                           on_error=self._on_pump_error) \
            if pump is not None else None

    # -- updating ---------------------------------------------------------------------------------

    def _pumped(self) -> bool:
        self.refresh()
        return not self.closed

    def _on_pump_error(self, err: BaseException) -> None:
        """An update failed (the pump has unsubscribed us): say so in the header."""
        self.header.value += stopped_updating(err, f"{self.watch.name} (the watch handle)")
        self.close()

    def refresh(self) -> None:
        """Redraw from the watch's rows, if they changed since the last time."""
        with self._lock:
            if self.closed or self.watch.version == self._seen:
                return
            self._seen = self.watch.version
            if self.watch.keyed:
                self._show_keys()
                return
            rows = self.watch.history
            if self.watch.shape == "stream":
                self._show_stream(rows)
            else:
                self._show_values(rows)

    def _show_values(self, rows) -> None:
        w = self.watch
        latest: dict[str, Any] = {}
        for r in rows:
            latest[instance_name(r.location, r.member)] = r
        numeric = bool(rows) and all(is_number(r.value) or r.value is EMPTY for r in rows) \
            and any(r.value is not EMPTY for r in rows)
        if len(latest) <= 1:
            now = next(iter(latest.values()), None)
            current = "—" if now is None else value_html(now.value)
            where = "" if now is None else f" <small>(tick {now.tick})</small>"
        else:
            current = ", ".join(f"{html.escape(name)}: {value_html(r.value)}"
                                for name, r in sorted(latest.items()))
            where = ""
        self.header.value = (f"{_title(w)}<div style='font-size:1.6em'>{current}{where}</div>")
        if numeric:
            self._plot(rows)
            self.body.value = ""
        else:
            self._hide_plot()
            recent = rows[-self.rows:]
            self.body.value = table_html(["tick", "instance", "value"],
                                     [(r.tick, instance_name(r.location, r.member),
                                       value_html(r.value)) for r in recent])

    def _show_stream(self, rows) -> None:
        w = self.watch
        recent = rows[-self.rows:]
        self.header.value = (f"{_title(w)}<div><small>{w.total} element"
                             f"{'s' if w.total != 1 else ''} seen, the last "
                             f"{len(recent)} below</small></div>")
        self.body.value = table_html(["tick", "instance", "element"],
                                 [(r.tick, instance_name(r.location, r.member),
                                   value_html(r.value)) for r in recent])

    def _plot(self, rows) -> None:
        lines: dict[str, tuple[list, list]] = {}
        for r in rows:
            xs, ys = lines.setdefault(instance_name(r.location, r.member), ([], []))
            xs.append(r.tick)
            ys.append(math.nan if r.value is EMPTY else float(r.value))
        names = sorted(lines)
        data = {"xs": [lines[n][0] for n in names], "ys": [lines[n][1] for n in names],
                "instance": names, "color": palette(len(names))}
        if self.chart is None:
            self._make_plot(data)
        else:
            self.source.data = data
        if self.chart not in self.widget.children:
            self.widget.children = (self.bokehjs, self.header, self.chart, self.body)

    def _make_plot(self, data: dict) -> None:
        from bokeh.models import ColumnDataSource, HoverTool
        from bokeh.plotting import figure

        self.source = ColumnDataSource(data)
        fig = figure(height=self.height, width=self.width, tools="", toolbar_location=None,
                     x_axis_label="tick")
        fig.multi_line(xs="xs", ys="ys", color="color", source=self.source, line_width=2)
        fig.add_tools(HoverTool(tooltips=[("instance", "@instance"), ("tick", "$x{0}"),
                                          ("value", "$y{0.[000]}")]))
        fig.xaxis.axis_label_text_font_size = "8pt"
        fig.yaxis.minor_tick_line_color = None
        fig.min_border_left = fig.min_border_bottom = 4
        self.figure = fig
        self.chart = bokeh_widget(fig)

    def _show_keys(self) -> None:
        from hydro_lab.dashboard.keyed_lines import KeyedLines, series_label

        w = self.watch
        rows, cursor = w.since(self._cursor)
        fresh = self._cursor is not None and cursor[0] != self._cursor[0]
        self._cursor = cursor
        if self.lines is None:
            self.lines = KeyedLines(w, self.keys, rollover=self.rollover, width=self.width,
                                    height=max(self.height, 160))
            self.figure, self.source = self.lines.figure, self.lines.source
        elif fresh:
            self.lines.reset()
        if not self.lines.update(rows) and self.header.value and not fresh:
            return
        on_view = self.lines.on_view()
        shown = " · ".join(f"{html.escape(series_label(s))} {value_html(v)}"
                           for s, v in on_view) or "—"
        latest = f" <small>(tick {rows[-1].tick})</small>" if rows else ""
        self.header.value = (f"{_title(w)}<div><small>top {self.keys} key"
                             f"{'s' if self.keys != 1 else ''} by latest value{latest}"
                             f"</small><br>{shown}</div>")
        if self.lines.numeric():
            if self.chart is None:
                self.chart = bokeh_widget(self.figure)
            self.body.value = ""
            if self.chart not in self.widget.children:
                self.widget.children = (self.bokehjs, self.header, self.chart, self.body)
        else:
            self._hide_plot()
            self.body.value = table_html(["key", "latest value"],
                                         [(html.escape(series_label(s)), value_html(v))
                                          for s, v in on_view])

    def _hide_plot(self) -> None:
        if self.chart is not None and self.chart in self.widget.children:
            self.widget.children = (self.bokehjs, self.header, self.body)

    # -- lifetime ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop updating (the watch keeps collecting)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        if self.subscription is not None and self._pump is not None:
            self._pump.unsubscribe(self.subscription)

    def _ipython_display_(self) -> None:
        # what a notebook shows without its kernel: the header when it was displayed
        header = html.unescape(re.sub(r"<[^>]+>", " ", self.header.value))
        bokehjs.show(self.widget, "live watch (shown while its kernel runs): "
                     + " ".join(header.split()))

    def __repr__(self) -> str:
        return f"<WatchView of {self.watch!r}{' (closed)' if self.closed else ''}>"


def _check_view_keys(keys: Any) -> None:
    if isinstance(keys, bool) or not isinstance(keys, int) or not 1 <= keys <= MAX_KEYS:
        raise HydroError(f"keys= is how many keys the view draws a line for, an int from 1 to "
                         f"{MAX_KEYS}; got {keys!r}. Fix: e.g. watch.view(keys=3)")


def _title(w: Watch) -> str:
    nd = f" · nondet: {html.escape(w.nondet)}" if w.nondet else ""
    return (f"<b>{html.escape(w.name)}</b> <small>{w.collection} at "
            f"{html.escape(w.location)}{nd}</small>")


def value_html(value: Any) -> str:
    if value is EMPTY:
        return "<i>empty</i>"
    return f"<code>{html.escape(short(value))}</code>"


def table_html(head: list[str], rows: list[tuple]) -> str:
    if not rows:
        return "<i>nothing yet</i>"
    cells = "".join(f"<th style='text-align:left;padding:0 8px'>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td style='padding:0 8px'>{c}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"
