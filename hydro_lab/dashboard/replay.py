"""The replay of a recorded run (registered as the ``"replay"`` view): ``recording.replay()``.

A slider scrubs the recording's steps (one tick of one instance each), with a Play widget linked
to it in the browser (``jslink``) to animate; every step draws the flow's IR graph with that
tick's active operators and channels lit (``Graph.with_activity``), lists them with their
counts, and shows what each watch saw. The drawing is SVG when a ``dot`` binary is installed;
without one it is the DOT text (and the list), so a replay never fails for want of Graphviz.
Updates follow the slider (a widget event in the kernel), not the pump: nothing here is live.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from hydro_lab.dashboard.watch import table_html, value_html
from hydro_lab.observe.recording import Recording, op_id_of
from hydro_lab.views import register_view
from hydro_lab.viz import dot as dot_writer
from hydro_lab.viz import graph_of_program

RENDERS = ("auto", "svg", "dot")


class ReplayView:
    """What ``recording.replay()`` displays: ``widget`` (an ipywidgets VBox) holding ``play``
    and ``slider`` (jslinked), ``title`` (the step), ``graph_view`` (the lit graph: SVG, or
    DOT text), ``ops_view`` (the active operators and channels) and ``values_view`` (the watched
    values). ``step`` is the step shown, ``active`` its lit IR nodes, ``graph`` its ``Graph``.

    ``render``: ``"auto"`` (SVG when ``dot`` is installed, else DOT text), ``"svg"`` or
    ``"dot"``; ``interval_ms``: the Play widget's pace."""

    def __init__(self, recording: Recording, *, render: str = "auto", interval_ms: int = 600,
                 width: str = "640px"):
        if render not in RENDERS:
            raise ValueError(f"replay(render=...) takes one of {RENDERS}, got {render!r}")
        self.recording = recording
        self.render = render
        last = max(len(recording) - 1, 0)
        self.play = widgets.Play(value=0, min=0, max=last, step=1, interval=interval_ms,
                                 description="play", disabled=not len(recording))
        self.slider = widgets.IntSlider(value=0, min=0, max=last, step=1, description="step",
                                        continuous_update=True, disabled=not len(recording),
                                        layout=widgets.Layout(width="420px"))
        self.link = widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.title = widgets.HTML()
        self.graph_view = widgets.HTML(layout=widgets.Layout(width=width, overflow="auto"))
        self.ops_view = widgets.HTML()
        self.values_view = widgets.HTML()
        side = widgets.VBox([self.values_view, self.ops_view],
                            layout=widgets.Layout(min_width="260px"))
        self.widget = widgets.VBox([
            widgets.HTML(f"<b>replay</b> of {html.escape(recording.title)}: "
                         f"{len(recording)} steps"),
            widgets.HBox([self.play, self.slider]), self.title,
            widgets.HBox([self.graph_view, side])])
        self._base = graph_of_program(recording.program) if recording.program is not None \
            else None
        self._svg_cache: dict[frozenset, str] = {}
        self.step = -1
        self.active: dict[int, int] = {}
        self.graph = None
        self.slider.observe(self._on_slide, names="value")
        self.show(0)

    def _on_slide(self, change: dict) -> None:
        self.show(change["new"])

    # -- one step ---------------------------------------------------------------------------------

    def show(self, step: int) -> None:
        """Show ``step`` (the slider follows)."""
        rec = self.recording
        if not len(rec):
            self.title.value = "<i>nothing was recorded</i>"
            self.graph_view.value = self.ops_view.value = self.values_view.value = ""
            return
        step = max(0, min(int(step), len(rec) - 1))
        self.step = step
        if self.slider.value != step:
            self.slider.value = step  # calls back here once, with the same step: cheap
        t = rec[step]
        self.active = rec.active_nodes(step)
        self.title.value = (f"step <b>{step}</b>: tick <b>{t.tick}</b> of "
                            f"<b>{html.escape(t.instance)}</b> <small>(time {t.time:.6g}; "
                            f"{len(t.ops)} operator{'s' if len(t.ops) != 1 else ''} active)"
                            f"</small>")
        self.graph_view.value = self._graph_html()
        self.ops_view.value = self._ops_html(t)
        self.values_view.value = self._values_html(step)

    def _graph_html(self) -> str:
        if self._base is None:
            self.graph = None
            return "<i>no program recorded: nothing to draw</i>"
        self.graph = self._base.with_activity(self.active)
        use_svg = self.render == "svg" or (self.render == "auto" and dot_writer.dot_available())
        if use_svg:
            key = frozenset(self.active)
            svg = self._svg_cache.get(key)
            if svg is None:
                svg = self.graph.to_svg()
                svg = svg[svg.find("<svg"):]  # no XML prolog in HTML
                # shrink to the view's width when wider (dot's viewBox keeps the proportions),
                # instead of a graph cut at the right that must be scrolled (seen in JupyterLab)
                svg = self._svg_cache[key] = svg.replace(
                    "<svg", '<svg style="max-width: 100%; height: auto"', 1)
            return svg
        why = "" if self.render == "dot" else (
            "Graphviz's <code>dot</code> is not installed (apt-get install graphviz, or conda "
            "install graphviz, to draw it), so this is ")
        hint = (f"<small>{why}the graph's DOT source; active nodes have "
                "<code>class=\"... active\"</code></small>")
        return f"{hint}<pre style='font-size:0.75em'>{html.escape(self.graph.to_dot())}</pre>"

    def _ops_html(self, t) -> str:
        rec = self.recording
        labels = {}
        if rec.program is not None:
            labels = dict(rec.program.nodes)
        origins = rec.origins.get(t.location, {})
        rows = []
        for key, n in sorted(t.ops.items(), key=lambda kv: -kv[1]):
            node = origins.get(op_id_of(key))
            ir = f"%{node} {labels[node].meta.op}" if node in labels else ""
            rows.append((html.escape(key), html.escape(ir), n))
        for channel, n in sorted(t.channels.items()):
            rows.append((f"channel <b>{html.escape(channel)}</b>", "", f"{n} sent"))
        return "<b>active</b>" + table_html(["operator", "IR node", "elements"], rows)

    def _values_html(self, step: int) -> str:
        rec = self.recording
        if not rec.watches:
            return ""
        rows = []
        here = rec.values_at(step)
        for name in rec.watches:
            if name in here:
                seen = ", ".join(value_html(v) for v in here[name][-8:])
                rows.append((f"<b>{html.escape(name)}</b>", seen, "this tick"))
                continue
            before = rec.value_before(name, step)
            if before is None:
                rows.append((html.escape(name), "—", ""))
            else:
                at, value = before
                rows.append((html.escape(name), f"<span style='opacity:0.6'>"
                             f"{value_html(value)}</span>", f"step {at}"))
        return "<b>watched</b>" + table_html(["watch", "value", "seen"], rows)

    # -- display ----------------------------------------------------------------------------------

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return f"<ReplayView of {self.recording!r} at step {self.step}>"


def replay_view(recording: Recording, **options: Any) -> ReplayView:
    """The ``"replay"`` view: ``Recording.replay()`` uses it."""
    return ReplayView(recording, **options)


register_view("replay", replay_view)
