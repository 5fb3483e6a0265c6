"""How the graph looks: one table shared by the DOT and Mermaid writers (and their legends)."""

from __future__ import annotations

NODE_FILL = {
    "source": "#d4edda",
    "transform": "#dbe9f6",
    "join": "#e6dcf5",
    "aggregation": "#fde2c8",
    "network": "#e2e3e5",
    "sink": "#f8d7da",
    "tee": "#fff3cd",
    "nondet": "#f9d0ec",
    "port": "#ffffff",
    # DFIR graphs
    "pull": "#88aaff",
    "push": "#ffff88",
    "handoff": "#ddddff",
}
IR_LEGEND_TYPES = ("source", "transform", "join", "aggregation", "network", "sink", "tee",
                   "nondet")
NODE_BORDER = {"nondet": "#c2185b", "network": "#555555"}

BOX_STYLE = {
    "process": {"color": "#2b6cb0", "style": "rounded", "bgcolor": "#f7fbff"},
    "cluster": {"color": "#2f855a", "style": "rounded", "bgcolor": "#f5fbf7"},
    "external": {"color": "#718096", "style": "rounded,dashed", "bgcolor": "#fafafa"},
    "tick": {"color": "#b7791f", "style": "rounded", "bgcolor": "#fffdf5"},
    "atomic": {"color": "#9b2c2c", "style": "rounded,dashed", "bgcolor": "#fff8f8"},
    "stratum": {"color": "#aaaaaa", "style": "rounded,dashed"},
    "subgraph": {"color": "#888888", "style": "rounded,filled", "fillcolor": "#eeeeee"},
}
DELAY_COLOR = "#cc0000"
DELAY_ARROWHEAD = {"tick": "odot", "stratum": "tee", "reference": "vee"}

ORDERED_COLOR = "#333333"
NO_ORDER_COLOR = "#d95f02"
CYCLE_COLOR = "#888888"

# Arrowheads say which kind of collection flows along the edge.
ARROWHEAD = {
    "Stream": "normal",
    "KeyedStream": "normalnormal",
    "Singleton": "dot",
    "Optional": "odot",
    "KeyedSingleton": "dotdot",
}

# (glyph, color, meaning) rows of the DOT legend; the glyphs mimic the edge styles.
LEGEND_EDGES = [
    ("&#8212;&#8212;&#9654;", ORDERED_COLOR, "Stream, TotalOrder, Bounded (thin)"),
    ("&#9473;&#9473;&#9654;", ORDERED_COLOR, "Unbounded (thick)"),
    ("&#8212;&#8212;&#9654;", NO_ORDER_COLOR, "NoOrder (orange)"),
    ("- - &#9654;", ORDERED_COLOR, "crosses the network (dashed)"),
    ("&#8212;&#9654;&#9654;", ORDERED_COLOR, "keyed stream (double head)"),
    ("&#8212;&#8212;&#9679; / &#9675;", ORDERED_COLOR, "Singleton / Optional"),
    ("&#183; &#183; &#8250;", CYCLE_COLOR, "cycle back edge (dotted)"),
]

# Activity overlay (a replay's step): what ran is lit, the rest fades.
ACTIVE_FILL = "#ffd54f"
ACTIVE_BORDER = "#e65100"
ACTIVE_EDGE = "#e65100"
IDLE_FONT = "#9e9e9e"
IDLE_BORDER = "#cfcfcf"
