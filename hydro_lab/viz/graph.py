"""``Graph``: what ``flow.graph()`` returns, with every output format and a notebook rich repr.

In a notebook the graph is drawn by the JupyterLab extension from the payload under ``MIME_TYPE``
(both views of the flow, IR and DFIR, so the extension switches between them in place); the
kernel lays nothing out. The bundle keeps a text outline for every other front end, and SVG only
where a ``dot`` binary exists and the front end has no hydro_lab renderer (``svg_fallback``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hydro_lab.errors import HydroError
from hydro_lab.ir.program import Program
from hydro_lab.viz import dot, hydroscope, mermaid, payload, protocol
from hydro_lab.viz.dfir_model import from_programs
from hydro_lab.viz.frontend import frontend_draws
from hydro_lab.viz.model import GraphModel, from_program

MIME_TYPE = protocol.MIME_TYPE

ViewSource = GraphModel | Callable[[], GraphModel]


def graph_of_program(program: Program, *, long_labels: bool = False,
                     dfir: Callable[[], GraphModel] | None = None) -> Graph:
    """The IR graph of ``program``; ``dfir`` makes its DFIR view when the payload needs it (it
    may raise: the flow does not compile yet, and the payload says why)."""
    return Graph(from_program(program, long_labels=long_labels),
                 views={"dfir": dfir} if dfir is not None else None)


def graph_of_dfir(title: str, programs: dict, *, channels: list | None = None,
                  program: Program | None = None) -> Graph:
    """The partitioned DFIR programs of some locations (``{LocationId: CompiledProgram}``);
    ``channels`` (the lowered flow's) draws the network between them, ``program`` (the IR it was
    compiled from) gives operators their collection kinds and the payload its IR view."""
    model = from_programs(title, programs, channels=channels, program=program)
    views = {"ir": (lambda: from_program(program))} if program is not None else None
    return Graph(model, views=views)


class Graph:
    """A drawable graph. In a notebook it displays itself; elsewhere pick a format.

    Formats: ``to_text()`` (an outline; also its ``repr``), ``to_dot()`` (Graphviz DOT),
    ``to_mermaid()`` (a Mermaid flowchart), ``to_json()`` (what the JupyterLab extension reads),
    ``to_hydroscope()`` (Hydro's own viewer), ``to_svg()`` (needs Graphviz's ``dot``), and
    ``save(path)``, which picks one by the file's extension. In a notebook the display bundle
    holds the extension's payload (both views, IR and DFIR), the text outline and, for front
    ends without the extension, SVG.

    ``svg_fallback`` (a class attribute; set it on ``Graph`` or on one graph) decides whether the
    notebook bundle carries SVG made by Graphviz's ``dot``: ``"auto"`` only when ``dot`` is
    installed and the front end has no hydro_lab renderer (nbconvert, VS Code, a kernel outside
    JupyterLab), ``"always"`` whenever ``dot`` is installed, ``"never"``.
    """

    svg_fallback = "auto"

    def __init__(self, model: GraphModel, *, legend: bool = True,
                 activity: dot.Activity | None = None,
                 views: Mapping[str, ViewSource | None] | None = None,
                 key: str | None = None, live: protocol.Live | None = None):
        self.model = model
        self.legend = legend
        self.activity = activity
        self._views: dict[str, ViewSource | None] = dict(views or {})
        self.key = key
        self.live = live

    def _copy(self, model: GraphModel | None = None, **changes: Any) -> Graph:
        fields: dict[str, Any] = dict(legend=self.legend, activity=self.activity,
                                      views=self._views, key=self.key, live=self.live)
        fields.update(changes)
        return Graph(model if model is not None else self.model, **fields)

    def with_activity(self, active: Mapping[int | str, int] | Iterable[int | str]) -> Graph:
        """The same graph with ``active`` nodes lit (a replay's step): IR node ids (ints) or
        model keys (strings, e.g. a DFIR graph's), optionally mapped to how many elements each
        produced. Edges between two active nodes light too; everything else fades."""
        counts = dict(active) if isinstance(active, Mapping) else dict.fromkeys(active, 1)
        keys = {n.key for n in self.model.nodes}
        lit: dict[str, int] = {}
        for node, n in counts.items():
            key = f"n{node}" if isinstance(node, int) and not isinstance(node, bool) else node
            if key not in keys:
                raise HydroError(f"with_activity: {node!r} is not a node of this graph "
                                 f"(IR node ids are ints; model keys look like "
                                 f"{next(iter(keys), 'n1')!r})")
            lit[key] = int(n)
        return self._copy(activity=dot.Activity(lit))

    def with_members(self, sizes: Mapping[str, int]) -> Graph:
        """The same graph with each cluster's member count shown (``{cluster name: size}``),
        as a deployment's graph has it."""
        views = {name: (_members(v, sizes) if v is not None else None)
                 for name, v in self._views.items()}
        return self._copy(self.model.with_members(sizes), views=views)

    def live_as(self, live: protocol.Live | None, key: str | None = None) -> Graph:
        """The same graph, displayed as the live graph ``live`` (updates arrive on the comm)."""
        return self._copy(live=live, key=key if key is not None else self.key)

    @property
    def active(self) -> frozenset[str]:
        """The model keys lit by ``with_activity`` (empty without an overlay)."""
        return self.activity.nodes if self.activity is not None else frozenset()

    # -- views ----------------------------------------------------------------------------------

    def views(self) -> tuple[dict[str, GraphModel | None], dict[str, str]]:
        """Both views of the flow (this graph's and the other one, when it can be made) and,
        for a view that cannot, why."""
        out: dict[str, GraphModel | None] = {self.model.kind: self.model}
        notes: dict[str, str] = {}
        for name in ("ir", "dfir"):
            if name in out:
                continue
            source = self._views.get(name)
            if source is None:
                out[name] = None
                if name == "dfir":
                    notes[name] = "no DFIR view: this graph was made without compiling the flow"
                continue
            try:
                out[name] = source() if callable(source) else source
            except Exception as err:  # noqa: BLE001  (any reason: the other view still shows)
                out[name] = None
                first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                notes[name] = f"the flow does not compile yet: {first}"
        return out, notes

    def payload(self) -> protocol.Payload:
        """What the JupyterLab extension draws (``protocol.Payload``)."""
        views, notes = self.views()
        return payload.payload(self.model.title, views, view=self.model.kind, notes=notes,
                               key=self.key, live=self.live)

    # -- formats --------------------------------------------------------------------------------

    def to_dot(self) -> str:
        """This view in Graphviz's DOT language (``dot -Tsvg`` draws it), with a legend
        unless ``legend=False``; a replay step's active nodes lit."""
        return dot.to_dot(self.model, legend=self.legend, activity=self.activity)

    def to_mermaid(self) -> str:
        """This view as a Mermaid ``flowchart`` (GitHub and many Markdown viewers draw it)."""
        return mermaid.to_mermaid(self.model)

    def to_json(self) -> str:
        """This view as JSON: ``title``, ``kind``, ``groups``, ``nodes``, ``edges`` (the format
        the JupyterLab extension reads, ``hydro_lab.viz.protocol.GraphView``)."""
        return json.dumps({"title": self.model.title, **payload.graph_view(self.model)},
                          indent=2, ensure_ascii=False)

    def to_hydroscope(self) -> dict[str, Any]:
        """This view in the JSON format of Hydro's own graph viewer (hydroscope), as Hydro writes
        it in ``hydro_lang/src/viz/json.rs``: ``nodes``, ``edges`` with ``semanticTags``,
        ``hierarchyChoices`` and ``nodeAssignments``. ``save("x.hydroscope.json")`` writes it."""
        return hydroscope.to_hydroscope(self.model)

    def to_svg(self) -> str:
        """This view drawn as SVG by Graphviz's ``dot`` (needs the ``dot`` program; in
        JupyterLab the extension draws graphs without it)."""
        if not dot.dot_available():
            raise HydroError("graph.to_svg() needs Graphviz's `dot` program, which is not "
                             "installed. Install graphviz (apt-get install graphviz / conda "
                             "install graphviz), or save DOT/Mermaid/JSON instead; in "
                             "JupyterLab the hydro_lab extension draws graphs without it.")
        return dot.to_svg(self.to_dot())

    def to_text(self) -> str:
        """A plain-text outline: each location (and tick) with its nodes, their type, label
        and inputs (``~`` marks a network input); also the graph's ``repr``."""
        lines = [f"{self.model.kind} graph of {self.model.title}"]
        into: dict[str, list[str]] = {}
        for e in self.model.edges:
            if not e.cycle:
                into.setdefault(e.dst, []).append(("~" if e.network else "") + e.src)
        children: dict[str | None, list] = {}
        for box in self.model.boxes:
            children.setdefault(box.parent, []).append(box)
        inside: dict[str, list] = {}
        for node in self.model.nodes:
            inside.setdefault(node.box, []).append(node)

        def walk(parent: str | None, indent: str) -> None:
            for box in children.get(parent, []):
                members = f" ({box.members} members)" if box.members is not None else ""
                lines.append(f"{indent}{box.label}{members}")
                for node in inside.get(box.key, []):
                    frm = ", ".join(into.get(node.key, []))
                    mark = ""
                    if self.activity is not None and node.key in self.activity.counts:
                        mark = f"  * active ({self.activity.counts[node.key]})"
                    lines.append(f"{indent}  {node.key} [{node.type}] {node.label}"
                                 + (f"  <- {frm}" if frm else "") + mark)
                walk(box.key, indent + "  ")

        walk(None, "")
        return "\n".join(lines) + "\n"

    def save(self, path: str | os.PathLike) -> str:
        """Write the graph; the format follows the extension (.dot/.gv, .mmd, .json,
        .hydroscope.json for Hydro's viewer, .svg, .txt)."""
        path = os.fspath(path)
        if path.lower().endswith(".hydroscope.json"):
            text = json.dumps(self.to_hydroscope(), indent=2, ensure_ascii=False)
        else:
            ext = os.path.splitext(path)[1].lower()
            writers = {".dot": self.to_dot, ".gv": self.to_dot, ".mmd": self.to_mermaid,
                       ".mermaid": self.to_mermaid, ".json": self.to_json, ".svg": self.to_svg,
                       ".txt": self.to_text}
            if ext not in writers:
                raise HydroError(f"graph.save: unknown file type {ext or '(none)'!r} in "
                                 f"{path!r}. Use one of {', '.join(sorted(writers))} or "
                                 ".hydroscope.json.")
            text = writers[ext]()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {MIME_TYPE: self.payload(), "text/plain": self.to_text()}
        if self._wants_svg():
            try:
                svg = dot.to_svg(self.to_dot())
                bundle["image/svg+xml"] = svg[svg.find("<svg"):]
            except Exception as err:  # a broken dot install must not hide the graph
                bundle["text/plain"] += f"\n(SVG rendering failed: {err})\n"
        return bundle

    def _wants_svg(self) -> bool:
        mode = self.svg_fallback
        if mode not in ("auto", "always", "never"):
            raise HydroError(f"Graph.svg_fallback is {mode!r}; use 'auto', 'always' or 'never'")
        if mode == "never" or not dot.dot_available():
            return False
        return mode == "always" or not frontend_draws()

    def __repr__(self) -> str:
        return self.to_text()


def _members(view: ViewSource, sizes: Mapping[str, int]) -> Callable[[], GraphModel]:
    def make() -> GraphModel:
        return (view() if callable(view) else view).with_members(sizes)

    return make
