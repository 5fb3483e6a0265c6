"""GraphModel → DOT, built with the ``graphviz`` package (which needs no ``dot`` binary).

Every user string (labels, tooltips, location names) goes through ``graphviz.escape`` so quotes,
backslashes and angle brackets in closures are shown literally. SVG needs a ``dot`` binary.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

from hydro_lab.viz import style
from hydro_lab.viz.model import GraphModel, VizEdge


def _graphviz():
    import graphviz

    return graphviz


def edge_attrs(edge: VizEdge) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if edge.delay is not None:
        attrs.update(color=style.DELAY_COLOR, arrowhead=style.DELAY_ARROWHEAD[edge.delay])
        if edge.delay == "reference":
            attrs["style"] = "dotted"
        return attrs
    if edge.cycle:
        attrs.update(style="dotted", color=style.CYCLE_COLOR, constraint="false",
                     arrowhead="vee")
        return attrs
    color = style.NO_ORDER_COLOR if edge.order == "NoOrder" else style.ORDERED_COLOR
    attrs["color"] = color
    if edge.bound == "Unbounded":
        attrs["penwidth"] = "2.2"
    if edge.network:
        attrs["style"] = "dashed"
    if edge.kind in style.ARROWHEAD:
        attrs["arrowhead"] = style.ARROWHEAD[edge.kind]
    return attrs


def to_dot(model: GraphModel, *, legend: bool = True, activity: Activity | None = None) -> str:
    """The DOT source. With ``activity`` (a replay's step) its nodes and the edges between them
    are lit and get the class ``active``; the others fade (class ``idle``). Only colors change,
    so the layout stays put from one step to the next."""
    gv = _graphviz()
    esc = gv.escape
    g = gv.Digraph(
        name=esc(model.title),
        graph_attr={"rankdir": "TB", "fontname": "Helvetica", "fontsize": "11",
                    "compound": "true", "newrank": "true", "label": esc(model.title),
                    "labelloc": "t"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                   "fontsize": "10"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )

    def add_box(parent, box) -> None:
        with parent.subgraph(name=f"cluster_{box.key}") as sg:
            box_style = style.BOX_STYLE.get(box.kind, {})
            sg.attr(label=esc(box.label), fontname="Helvetica", fontsize="11", **box_style)
            for node in model.nodes_in(box.key):
                attrs = {"fillcolor": style.NODE_FILL.get(node.type, "#ffffff"),
                         "tooltip": esc(_tooltip(node)), "class": node.type}
                if node.type in style.NODE_BORDER:
                    attrs["color"] = style.NODE_BORDER[node.type]
                    attrs["penwidth"] = "1.6"
                if activity is not None:
                    _overlay_node(attrs, node.key, activity)
                if node.type == "port":
                    attrs["shape"] = "cds"
                    attrs["style"] = "filled"
                elif node.type == "handoff":
                    attrs["shape"] = "parallelogram"
                    attrs["style"] = "filled"
                sg.node(node.key, esc(node.label), **attrs)
            for child in model.children(box.key):
                add_box(sg, child)

    for box in model.children(None):
        add_box(g, box)
    for edge in model.edges:
        attrs = edge_attrs(edge)
        tooltip = edge.describe
        if edge.network:
            tooltip = f"network: {tooltip}"
        if tooltip:
            attrs["tooltip"] = esc(tooltip)
        if edge.label:
            attrs["label"] = esc(edge.label)
        if activity is not None and activity.lights(edge):
            attrs.update(color=style.ACTIVE_EDGE, penwidth="3", **{"class": "active"})
        g.edge(edge.src, edge.dst, **attrs)
    if legend and model.kind == "ir":
        _add_legend(g)
    return g.source


@dataclass(frozen=True)
class Activity:
    """Which nodes (model keys) are active, with a count each (elements, messages)."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def nodes(self) -> frozenset[str]:
        return frozenset(self.counts)

    def lights(self, edge: VizEdge) -> bool:
        """An edge carried data when both its ends were active (cycle edges never light)."""
        return not edge.cycle and edge.src in self.counts and edge.dst in self.counts


def _overlay_node(attrs: dict[str, str], key: str, activity: Activity) -> None:
    if key in activity.counts:
        n = activity.counts[key]
        attrs.update(fillcolor=style.ACTIVE_FILL, color=style.ACTIVE_BORDER, penwidth="3")
        attrs["class"] += " active"
        attrs["tooltip"] += f"\nactive: {n} element{'s' if n != 1 else ''}"
    else:
        attrs.update(fontcolor=style.IDLE_FONT, color=style.IDLE_BORDER)
        attrs["class"] += " idle"


def _tooltip(node) -> str:
    parts = [node.long_label]
    if node.kind:
        parts.append(f"→ {node.kind}")
    if node.nondet:
        parts.append(f'nondet("{node.nondet}")')
    if node.source:
        parts.append(node.source)
    return "\n".join(parts)


def _add_legend(g) -> None:
    """Two small HTML tables: node colors, and what edge styles mean."""
    types = list(style.IR_LEGEND_TYPES)
    cells = "".join(f'<TD BGCOLOR="{style.NODE_FILL[t]}">{t}</TD>' for t in types)
    node_table = (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" CELLPADDING="3">'
                  f'<TR>{cells}</TR></TABLE>>')
    rows = "".join(
        f'<TR><TD ALIGN="LEFT"><FONT COLOR="{color}">{glyph}</FONT></TD>'
        f'<TD ALIGN="LEFT">{text}</TD></TR>'
        for glyph, color, text in style.LEGEND_EDGES
    )
    edge_table = f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">{rows}</TABLE>>'
    with g.subgraph(name="cluster_legend") as lg:
        lg.attr(label="legend", fontname="Helvetica", fontsize="9", style="rounded",
                color="#cccccc")
        lg.node("legend_nodes", node_table, shape="plaintext", style="", fontsize="8")
        lg.node("legend_edges", edge_table, shape="plaintext", style="", fontsize="8")
        lg.edge("legend_nodes", "legend_edges", style="invis")


def dot_available() -> bool:
    return shutil.which("dot") is not None


def to_svg(dot_source: str) -> str:
    """Render DOT to SVG with the ``dot`` binary (raises if it is missing)."""
    gv = _graphviz()
    return gv.Source(dot_source).pipe(format="svg").decode("utf-8")
