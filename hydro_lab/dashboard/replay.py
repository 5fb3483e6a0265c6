"""The replay of a recorded run (registered as the ``"replay"`` view): ``recording.replay()``.

A slider scrubs the recording's steps (one tick of one instance each), with a Play widget linked
to it in the browser (``jslink``) to animate; every step lights that tick's active operators and
channels on the flow's graph, lists them with their counts, and shows what each watch saw.

The graph is the JupyterLab extension's: the graph bundle (both views, ``live`` in state
``"replay"``) is shown once, in an ipywidgets Output, and each step sends one small ``Update``
on the live channel whose overlays light the step's nodes (``lit``) with their counts: the IR
view's from ``Recording.active_nodes``, the DFIR view's from the operators that ran. No ``dot``
is needed. For front ends without the extension, ``render="svg"`` (needs Graphviz's ``dot``)
or ``render="dot"`` (the DOT text) draw each step's lit graph in the kernel instead.
Updates follow the slider (a widget event in the kernel), not the pump.
"""

from __future__ import annotations

import html
import uuid

import ipywidgets as widgets

from hydro_lab.dashboard.live_channel import LIVE, LiveChannel
from hydro_lab.dashboard.overlay import Overlays
from hydro_lab.dashboard.watch import table_html, value_html
from hydro_lab.observe.recording import Recording, op_id_of
from hydro_lab.viz import dot as dot_writer
from hydro_lab.viz import graph_of_program, protocol
from hydro_lab.viz.graph import Graph, graph_of_dfir

RENDERS = ("graph", "svg", "dot")


class ReplayView:
    """What ``recording.replay()`` displays: ``widget`` (an ipywidgets VBox) holding ``play``
    and ``slider`` (jslinked), ``title`` (the step), ``graph_view`` (the graph: an Output
    holding the graph bundle, or with ``render="svg"``/``"dot"`` an HTML widget with the lit
    SVG or DOT text), ``ops_view`` (the active operators and channels) and ``values_view`` (the
    watched values). ``step`` is the step shown, ``active`` its lit IR nodes, ``update`` the
    step's ``Update`` (sent on ``channel`` under the payload's ``live`` id ``id``), ``graph``
    the ``Graph`` drawn.

    ``render``: ``"graph"`` (the JupyterLab extension draws it; the default), ``"svg"`` or
    ``"dot"``; ``interval_ms``: the Play widget's pace; ``channel``: where step updates go
    (the kernel's ``LIVE``)."""

    def __init__(self, recording: Recording, *, render: str = "graph", interval_ms: int = 600,
                 width: str = "640px", channel: LiveChannel | None = None):
        if render not in RENDERS:
            raise ValueError(f"replay(render=...) takes one of {RENDERS}, got {render!r}")
        self.recording = recording
        self.render = render
        self.channel = channel if channel is not None else LIVE
        self.id = f"hydro-replay-{uuid.uuid4().hex[:16]}"
        last = max(len(recording) - 1, 0)
        self.play = widgets.Play(value=0, min=0, max=last, step=1, interval=interval_ms,
                                 description="play", disabled=not len(recording))
        self.slider = widgets.IntSlider(value=0, min=0, max=last, step=1, description="step",
                                        continuous_update=True, disabled=not len(recording),
                                        layout=widgets.Layout(width="420px"))
        self.link = widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.title = widgets.HTML()
        layout = widgets.Layout(width=width, overflow="auto")
        self.graph_view = widgets.Output(layout=layout) if render == "graph" else \
            widgets.HTML(layout=layout)
        self.ops_view = widgets.HTML()
        self.values_view = widgets.HTML()
        side = widgets.VBox([self.values_view, self.ops_view],
                            layout=widgets.Layout(min_width="260px"))
        self.widget = widgets.VBox([
            widgets.HTML(f"<b>replay</b> of {html.escape(recording.title)}: "
                         f"{len(recording)} steps"),
            widgets.HBox([self.play, self.slider]), self.title,
            widgets.HBox([self.graph_view, side])])
        self._base = _replay_graph(recording)
        self._overlays = Overlays(recording.program, recording.programs,
                                  recording.channel_specs) \
            if recording.programs is not None else None
        self._svg_cache: dict[frozenset, str] = {}
        self.step = -1
        self.active: dict[int, int] = {}
        self.graph: Graph | None = None
        self.update: protocol.Update | None = None
        if render == "graph":
            self._show_bundle()
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
            self.ops_view.value = self.values_view.value = ""
            if self.render != "graph":
                self.graph_view.value = ""
            return
        step = max(0, min(int(step), len(rec) - 1))
        if self.slider.value != step:
            self.slider.value = step  # calls back here with the same step: shown below
            return
        self.step = step
        t = rec[step]
        self.active = rec.active_nodes(step)
        self.title.value = (f"step <b>{step}</b>: tick <b>{t.tick}</b> of "
                            f"<b>{html.escape(t.instance)}</b> <small>(time {t.time:.6g}; "
                            f"{len(t.ops)} operator{'s' * (len(t.ops) != 1)} active)"
                            f"</small>")
        if self.render == "graph":
            self.update = self.channel.publish(self._step_update(step))
        else:
            self.graph_view.value = self._graph_html()
        self.ops_view.value = self._ops_html(t)
        self.values_view.value = self._values_html(step)

    def _step_update(self, step: int) -> dict:
        """The step's ``Update`` (without ``seq``): its nodes lit, with their counts."""
        t = self.recording[step]
        views: dict[str, protocol.Overlay] = {
            "ir": {"counts": {f"n{node}": n for node, n in self.active.items()}, "lit": True}}
        if self._overlays is not None:
            views["dfir"] = self._overlays.overlays(
                {(t.location, key): n for key, n in t.ops.items()}, lit=True)["dfir"]
        ops = len(t.ops)
        return {"type": "update", "id": self.id, "state": "replay",
                "status": (f"step {step} of {len(self.recording)}: tick {t.tick} of "
                           f"{t.instance} ({ops} operator{'s' * (ops != 1)} active)"),
                "views": views}

    def _show_bundle(self) -> None:
        """The graph bundle, once, in the Output (each step only sends an update)."""
        if self._base is None:
            self.graph_view.outputs = ({"output_type": "display_data", "metadata": {},
                                        "data": {"text/plain": "no program recorded: nothing "
                                                               "to draw"}},)
            return
        live: protocol.Live = {"id": self.id, "state": "replay",
                               "status": f"replay: {len(self.recording)} steps"}
        self.graph = self._base.live_as(live)
        bundle = self.graph._repr_mimebundle_()
        self.graph_view.outputs = ({"output_type": "display_data", "metadata": {},
                                    "data": bundle},)

    def _graph_html(self) -> str:
        """``render="svg"``/``"dot"``: the step's lit graph drawn in the kernel."""
        if self._base is None:
            self.graph = None
            return "<i>no program recorded: nothing to draw</i>"
        self.graph = self._base.with_activity(self.active)
        if self.render == "svg" and dot_writer.dot_available():
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

        opened = self.render == "graph" and self.channel.open()
        display(self.widget)
        if opened and self.update is not None:
            self.channel.resend(self.id)  # the drawn graph gets the step shown

    def __repr__(self) -> str:
        return f"<ReplayView of {self.recording!r} at step {self.step}>"


def _replay_graph(recording: Recording) -> Graph | None:
    """The recorded flow's graph: its IR, and its DFIR view when the programs are known."""
    program = recording.program
    if program is None:
        return None
    programs = recording.programs
    if programs is None:
        return graph_of_program(program)
    dfir = graph_of_dfir(program.name, programs, channels=recording.channel_specs,
                         program=program).model
    return graph_of_program(program, dfir=lambda: dfir)

