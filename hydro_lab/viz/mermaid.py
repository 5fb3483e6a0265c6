"""GraphModel → Mermaid flowchart text.

User strings are written with Mermaid's numeric entity codes (``#34;`` for a quote) for every
character outside a small safe set, so no closure text can break the syntax.
"""

from __future__ import annotations

from hydro_lab.viz import style
from hydro_lab.viz.model import GraphModel

_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:=+-*/()")


def escape(text: str) -> str:
    return "".join(ch if ch in _SAFE else f"#{ord(ch)};" for ch in text)


def to_mermaid(model: GraphModel) -> str:
    lines = ["flowchart TB"]

    def add_box(box, indent: str) -> None:
        lines.append(f'{indent}subgraph {box.key}["{escape(box.label)}"]')
        for node in model.nodes_in(box.key):
            shape = ('[/"', '"/]') if node.type == "port" else ('["', '"]')
            lines.append(f"{indent}  {node.key}{shape[0]}{escape(node.label)}{shape[1]}"
                         f":::{node.type}")
        for child in model.children(box.key):
            add_box(child, indent + "  ")
        lines.append(f"{indent}end")

    for box in model.children(None):
        add_box(box, "  ")
    link_styles = []
    for i, edge in enumerate(model.edges):
        label = f"|{escape(edge.label)}|" if edge.label else ""
        if edge.delay == "tick":
            arrow = "--o"
        elif edge.delay == "stratum":
            arrow = "--x"
        elif edge.cycle or edge.delay == "reference":
            arrow = "-.->"
        elif edge.network:
            arrow = "-.->"
        elif edge.bound == "Unbounded":
            arrow = "==>"
        else:
            arrow = "-->"
        lines.append(f"  {edge.src} {arrow}{label} {edge.dst}")
        if edge.delay is not None:
            link_styles.append(f"  linkStyle {i} stroke:{style.DELAY_COLOR}")
        elif edge.cycle:
            link_styles.append(f"  linkStyle {i} stroke:{style.CYCLE_COLOR},stroke-dasharray:2")
        elif edge.order == "NoOrder":
            link_styles.append(f"  linkStyle {i} stroke:{style.NO_ORDER_COLOR}")
    lines.extend(link_styles)
    for t, fill in style.NODE_FILL.items():
        border = style.NODE_BORDER.get(t, "#999999")
        lines.append(f"  classDef {t} fill:{fill},stroke:{border}")
    return "\n".join(lines) + "\n"
