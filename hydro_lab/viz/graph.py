"""``Graph``: what ``flow.graph()`` returns, with every output format and a notebook rich repr."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from hydro_lab.errors import HydroError
from hydro_lab.ir.program import Program
from hydro_lab.viz import dot, json_graph, mermaid
from hydro_lab.viz.dfir_model import from_programs
from hydro_lab.viz.model import GraphModel, from_program

MIME_TYPE = "application/vnd.hydro-lab.graph+json"


def graph_of_program(program: Program, *, long_labels: bool = False) -> Graph:
    return Graph(from_program(program, long_labels=long_labels))


def graph_of_dfir(title: str, programs: dict) -> Graph:
    """The partitioned DFIR programs of some locations (``{LocationId: CompiledProgram}``)."""
    return Graph(from_programs(title, programs))


class Graph:
    """A drawable graph. In a notebook it displays itself; elsewhere pick a format.

    ``_repr_mimebundle_`` carries the DOT (and the JSON model) under ``MIME_TYPE`` for the
    JupyterLab extension, SVG when a ``dot`` binary is installed, and a text outline.
    """

    def __init__(self, model: GraphModel, *, legend: bool = True,
                 activity: dot.Activity | None = None):
        self.model = model
        self.legend = legend
        self.activity = activity

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
        return Graph(self.model, legend=self.legend, activity=dot.Activity(lit))

    @property
    def active(self) -> frozenset[str]:
        """The model keys lit by ``with_activity`` (empty without an overlay)."""
        return self.activity.nodes if self.activity is not None else frozenset()

    def to_dot(self) -> str:
        return dot.to_dot(self.model, legend=self.legend, activity=self.activity)

    def to_mermaid(self) -> str:
        return mermaid.to_mermaid(self.model)

    def to_json(self) -> str:
        return json_graph.to_json(self.model)

    def to_svg(self) -> str:
        if not dot.dot_available():
            raise HydroError("graph.to_svg() needs Graphviz's `dot` program, which is not "
                             "installed. Install graphviz (apt-get install graphviz / conda "
                             "install graphviz), or save DOT/Mermaid/JSON instead.")
        return dot.to_svg(self.to_dot())

    def to_text(self) -> str:
        lines = [f"{self.model.kind} graph of {self.model.title}"]

        def walk(parent: str | None, indent: str) -> None:
            for box in self.model.children(parent):
                lines.append(f"{indent}{box.label}")
                for node in self.model.nodes_in(box.key):
                    ins = [e for e in self.model.edges if e.dst == node.key and not e.cycle]
                    frm = ", ".join(("~" if e.network else "") + e.src for e in ins)
                    mark = ""
                    if self.activity is not None and node.key in self.activity.counts:
                        mark = f"  * active ({self.activity.counts[node.key]})"
                    lines.append(f"{indent}  {node.key} [{node.type}] {node.label}"
                                 + (f"  <- {frm}" if frm else "") + mark)
                walk(box.key, indent + "  ")

        walk(None, "")
        return "\n".join(lines) + "\n"

    def save(self, path: str | os.PathLike) -> str:
        """Write the graph; the format follows the extension (.dot/.gv, .mmd, .json, .svg)."""
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        writers = {".dot": self.to_dot, ".gv": self.to_dot, ".mmd": self.to_mermaid,
                   ".mermaid": self.to_mermaid, ".json": self.to_json, ".svg": self.to_svg,
                   ".txt": self.to_text}
        if ext not in writers:
            raise HydroError(f"graph.save: unknown file type {ext or '(none)'!r} in {path!r}. "
                             f"Use one of {', '.join(sorted(writers))}.")
        text = writers[ext]()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        dot_source = self.to_dot()
        bundle: dict[str, Any] = {
            MIME_TYPE: {"version": json_graph.SCHEMA_VERSION, "kind": self.model.kind,
                        "dot": dot_source, "graph": json_graph.to_dict(self.model)},
            "text/vnd.graphviz": dot_source,
            "text/plain": self.to_text(),
        }
        if dot.dot_available():
            try:
                bundle["image/svg+xml"] = dot.to_svg(dot_source)
            except Exception as err:  # a broken dot install must not hide the graph
                bundle["text/plain"] += f"\n(SVG rendering failed: {err})\n"
        return bundle

    def __repr__(self) -> str:
        return self.to_text()
