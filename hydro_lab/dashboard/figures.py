"""Bokeh pieces of the live views: a streaming time-series figure and its jupyter_bokeh widget
(the page gets BokehJS from ``bokehjs.py``).

``time_series`` is the one helper every live view uses: a figure with one line per series over a
shared ``x`` column, fed by ``source.stream(row, rollover=...)`` so memory stays bounded. Update
sources only from the pump thread (``hydro_lab.dashboard.pump``): a bokeh document has no lock.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter
from bokeh.palettes import Category10_10, Category20_20
from bokeh.plotting import figure

ROLLOVER = 600  # points kept per series: 2 minutes at 5 updates a second


def palette(n: int) -> list[str]:
    """``n`` distinct colors (cycling past 20)."""
    colors = Category10_10 if n <= 10 else Category20_20
    return [colors[i % len(colors)] for i in range(n)]


def time_series(title: str, series: Sequence[str], *, y_label: str = "",
                x_label: str = "seconds", rollover: int = ROLLOVER, height: int = 200,
                width: int = 440, x_range=None,
                y_start: float | None = 0) -> tuple[figure, ColumnDataSource]:
    """A figure drawing one line per name in ``series`` against the column ``"x"``, and its
    ColumnDataSource (columns ``"x"`` and every series name). Append points with
    ``stream_row(source, x, {name: value})``; NaN leaves a gap in a line. ``rollover`` (kept on
    ``source.tags``) bounds the points kept. Pass ``x_range=`` another figure's ``x_range`` to
    scroll several figures together. ``y_start`` pins the y axis' lower end (0: the dashboard's
    series are counts, rates and durations; None: follow the data)."""
    source = ColumnDataSource({"x": [], **{name: [] for name in series}}, tags=[rollover])
    options = {"x_range": x_range} if x_range is not None else {}
    fig = figure(title=title, height=height, width=width, x_axis_label=x_label,
                 y_axis_label=y_label, tools="pan,xwheel_zoom,box_zoom,reset,save",
                 toolbar_location="right", **options)
    for name, color in zip(series, palette(len(series)), strict=True):
        fig.line(x="x", y=name, source=source, color=color, line_width=2, legend_label=name,
                 name=name)
        # a dot per point too: a line needs two neighbours, and a series that only ticks now
        # and then (NaN between) would otherwise draw nothing at all
        fig.scatter(x="x", y=name, source=source, color=color, size=4, legend_label=name,
                    name=name)
    if series:
        fig.legend.location = "top_left"
        fig.legend.click_policy = "hide"
        fig.legend.label_text_font_size = "8pt"
        fig.legend.background_fill_alpha = 0.6
        fig.add_tools(HoverTool(tooltips=[("series", "$name"), ("x", "@x{0.0}"),
                                          ("value", "$y{0.[00]}")]))
    fig.title.text_font_size = "10pt"
    fig.toolbar.logo = None
    if y_start is not None:
        fig.y_range.start = y_start
    fig.yaxis.formatter = NumeralTickFormatter(format="0.[000]a")  # 110k, not 1.100e+5; 0.005 ms
    return fig, source


def stream_row(source: ColumnDataSource, x: float, values: Mapping[str, float]) -> None:
    """Append one point to every series of a ``time_series`` source (NaN where ``values`` has
    none), keeping at most the source's rollover."""
    row = {name: [float(values.get(name, math.nan))] for name in source.data if name != "x"}
    row["x"] = [float(x)]
    rollover = source.tags[0] if source.tags else ROLLOVER
    source.stream(row, rollover=rollover)


def bokeh_widget(layout):
    """A bokeh layout as an ipywidget (jupyter_bokeh's BokehModel): it sits inside ipywidgets
    boxes and syncs every change (``stream``, property sets) to the browser by itself. Its
    view needs BokehJS: show it in a box whose first child is ``bokehjs.widget()``, with
    ``bokehjs.show`` (as the dashboard and watches do)."""
    from jupyter_bokeh.widgets import BokehModel

    return BokehModel(layout)


def stopped_updating(err: BaseException, again: str) -> str:
    """The HTML line a live view appends when an update raised and it stopped following the run:
    what went wrong, and how to get a live view again."""
    return (f"<br><span style='color:#b00'>live updates stopped: "
            f"{html.escape(type(err).__name__)}: {html.escape(str(err))[:300]}. "
            f"Show it again ({html.escape(again)}) for a new live view.</span>")
