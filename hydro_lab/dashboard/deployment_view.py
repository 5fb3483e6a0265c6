"""``d.dashboard()``: a deployment's live dashboard in a notebook. Bokeh time series per location
instance and per channel (``series.PANELS``) inside one jupyter_bokeh widget, the controls of
``controls.py`` above them, all in one ipywidgets VBox.

Metrics reach it through the deployment's ``MetricsRecorder`` (a subscriber queues every chunk of
records, from local ticks or from Ray actors alike); the pump thread calls ``refresh`` a few times
a second, which folds the queued records into one point per series and streams it into the
figures' sources (with rollover: bounded memory) and lets the controls follow the deployment's
state. When the deployment stops, the last refresh unsubscribes from the pump and the recorder.
"""

from __future__ import annotations

import html
import math
import re
import threading
import time
from typing import Any

import ipywidgets as widgets
from bokeh.layouts import gridplot

from hydro_lab.dashboard import bokehjs
from hydro_lab.dashboard.controls import DeploymentControls
from hydro_lab.dashboard.figures import (
    ROLLOVER,
    bokeh_widget,
    stopped_updating,
    stream_row,
    time_series,
)
from hydro_lab.dashboard.pump import PUMP, Pump, PumpedView
from hydro_lab.dashboard.series import PANELS, DeploymentSeries

OVER = ("stopped", "failed")


class DeploymentDashboard(PumpedView):
    """The live dashboard of a deployment.

    ``interval``: least seconds between two refreshes (the pump may call more often);
    ``rollover``: points kept per series; ``columns``: figures per row; ``pump``: the pump that
    drives it (the process-wide ``PUMP``; ``None`` to drive it only by calling ``refresh()``).

    Introspection: ``figures`` and ``sources`` by panel name (``"ticks_per_s"``, ``"tick_ms"``,
    ``"messages_per_s"``, ...; a source has a column ``"x"``, seconds since the dashboard was
    made, and one per instance or channel), ``controls`` (a ``DeploymentControls``: the
    control widgets by name, ``controls["kill"]``, also ``controls.kill``), ``widget``
    (what is displayed), ``plots`` (the BokehModel), ``subscription`` (the pump's).
    """

    def __init__(self, deployment: Any, *, interval: float = 0.2, rollover: int = ROLLOVER,
                 columns: int = 2, pump: Pump | None = PUMP):
        self.deployment = d = deployment
        self.interval = interval
        instances, channels = [i.name for i in d.instances], d.channels()
        self.figures: dict[str, Any] = {}
        self.sources: dict[str, Any] = {}
        x_range = None
        for panel, (title, y_label, per) in PANELS.items():
            names = instances if per == "instance" else channels
            if not names:
                continue
            fig, source = time_series(title, names, y_label=y_label, rollover=rollover,
                                      x_range=x_range)
            x_range = x_range or fig.x_range
            self.figures[panel], self.sources[panel] = fig, source
        self.controls = DeploymentControls(d)
        self.plots = bokeh_widget(gridplot(list(self.figures.values()), ncols=columns,
                                           merge_tools=False, toolbar_location=None))
        self.title = widgets.HTML(self._title())
        self.widget = widgets.VBox([bokehjs.widget(), self.title, self.controls.widget,
                                    self.plots])
        self._lock = threading.Lock()
        self._last_refresh = -math.inf
        self._idle = False  # the last row streamed was all zeros: no need to repeat it
        self.closed = False
        self.t0 = time.monotonic()
        # the records' clock: the deployment's (a Ray actor's is time.monotonic, as by default)
        self.series = DeploymentSeries(instances, channels, start=d.clock())
        self._rows = self.series.add  # what the recorder feeds (PumpedView unsubscribes it)
        d.recorder.subscribe(self._rows)
        self._pump = pump
        self.subscription = pump.subscribe(self._pumped, f"dashboard of {d!r:.60}",
                                           on_error=self._on_pump_error) \
            if pump is not None else None

    # -- updating ------------------------------------------------------------------------------

    def _pumped(self) -> bool:
        if time.monotonic() - self._last_refresh < self.interval * 0.95:
            return not self.closed
        return self.refresh()

    def refresh(self) -> bool:
        """One update now, in the caller's thread: new points for every series, controls and
        title follow the deployment. Returns False once the deployment has stopped (after this
        last update the dashboard is closed: no more pump calls)."""
        with self._lock:
            if self.closed:
                return False
            now = time.monotonic()
            self._last_refresh = now
            over = self.deployment.state in OVER
            points = self.series.points(self.deployment.clock())
            rows = {panel: values for panel, values in points.items() if panel in self.sources}
            quiet = all(v == 0 or math.isnan(v) for panel, values in rows.items()
                        if panel != "state_size" for v in values.values())
            if not (quiet and self._idle):
                for panel, values in rows.items():
                    stream_row(self.sources[panel], now - self.t0, values)
            self._idle = quiet
            self.controls.sync()
            self.title.value = self._title()
            if over:
                self._close()
                return False
            return True

    def _on_pump_error(self, err: BaseException) -> None:
        """An update failed (the pump has unsubscribed us): say so where the user looks, instead
        of a dashboard that silently stops moving."""
        with self._lock:
            self.title.value = self._title() + stopped_updating(err, "%hydro dashboard")
            self._close()

    def _title(self) -> str:
        d = self.deployment
        name = getattr(d.compiled.program, "name", "flow")
        live = d.live_instances() if d.state not in OVER else []
        text = (f"<b>{name}</b> on <b>{d.backend}</b>: {len(live)} of {len(d.instances)} "
                f"instances running, state <b>{d.state}</b>")
        if d.tick_rate is not None:
            text += f", at most {d.tick_rate:.3g} ticks/s"
        faults = d.faults()
        if faults:
            text += "; faults: " + ", ".join(
                f"{c} (drop {f.drop:.0%}, delay {f.delay:g} s)" for c, f in faults.items())
        return text

    # -- lifetime ------------------------------------------------------------------------------

    # -- display -------------------------------------------------------------------------------

    def _ipython_display_(self) -> None:
        # what a notebook shows without its kernel: the title line when it was displayed
        title = html.unescape(re.sub(r"<[^>]+>", "", self._title()))
        bokehjs.show(self.widget, f"live dashboard (shown while its kernel runs): {title}")

    def __repr__(self) -> str:
        state = "closed" if self.closed else "live"
        return (f"<DeploymentDashboard of a {self.deployment.backend} deployment, {state}: "
                f"{', '.join(self.figures)}>")
