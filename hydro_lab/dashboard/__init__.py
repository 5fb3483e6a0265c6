"""Live views in a notebook: per-tick dashboards of a deployment, its live graph, watched values,
and the replay of a recorded run. Widgets are ipywidgets and bokeh figures inside jupyter_bokeh
widgets, with BokehJS loaded inline; graphs are drawn by the JupyterLab extension, which gets
small updates on a comm. One pump thread applies every live update at a bounded rate.

The views are registered here, once each (``hydro_lab.views``); their modules (and bokeh,
ipywidgets, jupyter_bokeh) load on first use, not when hydro_lab is imported.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.views import register_view


def deployment_dashboard(deployment: Any, **options: Any) -> Any:
    """``d.dashboard(**options)``: see ``deployment_view.DeploymentDashboard``."""
    from hydro_lab.dashboard.deployment_view import DeploymentDashboard

    return DeploymentDashboard(deployment, **options)


def deployment_graph(deployment: Any, **options: Any) -> Any:
    """``d.graph(**options)``: see ``live_graph.LiveGraph`` (no widget library needed)."""
    from hydro_lab.dashboard.live_graph import LiveGraph

    return LiveGraph(deployment, **options)


def watch_view(watch: Any, **options: Any) -> Any:
    """How a ``collection.watch()`` handle shows itself (``Watch._ipython_display_`` and
    ``watch.view()``): see ``watch.WatchView``."""
    from hydro_lab.dashboard.watch import WatchView

    return WatchView(watch, **options)


def frame_view(rows: Any, columns: list[str]) -> Any:
    """How a ``Watch`` gives its rows as a pandas DataFrame (``watch.to_pandas()``; the
    building layers do not import pandas): see ``observe.metrics.typed_frame``."""
    from hydro_lab.observe.metrics import typed_frame

    return typed_frame(rows, columns)


def replay_view(recording: Any, **options: Any) -> Any:
    """``recording.replay()``: see ``replay.ReplayView``."""
    from hydro_lab.dashboard.replay import ReplayView

    return ReplayView(recording, **options)


register_view("dashboard", deployment_dashboard)
register_view("graph", deployment_graph)
register_view("watch", watch_view)
register_view("replay", replay_view)
register_view("frame", frame_view)
