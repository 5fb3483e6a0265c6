"""GraphModel → the JSON of Hydro's own graph viewer (hydroscope), as Hydro writes it in
``hydro_lang/src/viz/json.rs``: ``nodes`` (``nodeType``, ``shortLabel``, ``fullLabel``, ``data``),
``edges`` with ``semanticTags``, the ``location`` hierarchy (locations with their ticks nested)
and a second one by source file, ``nodeAssignments`` for each, and the style configuration.

Hydro's node types are Source, Transform, Join, Aggregation, Network, Sink and Tee; hydro_lab's
nondet operators and ports map onto those (a nondet operator keeps its operator's role), and
Hydro's tick containers are hydro_lab's tick and atomic boxes.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.viz.model import GraphModel

NODE_TYPES = ("Aggregation", "Join", "Network", "Sink", "Source", "Tee", "Transform")
_TYPE_OF = {"source": "Source", "transform": "Transform", "join": "Join",
            "aggregation": "Aggregation", "network": "Network", "sink": "Sink", "tee": "Tee",
            "port": "Network", "pull": "Source", "push": "Transform", "handoff": "Tee"}
_NONDET_ROLE = {"batch": "Transform", "snapshot": "Transform", "sample_every": "Transform",
                "timeout": "Transform", "source_interval": "Source", "spin_batch": "Source"}
_KIND_TAGS = {"Stream": "Stream", "KeyedStream": "KeyedStream", "Singleton": "Singleton",
              "Optional": "Optional", "KeyedSingleton": "KeyedSingleton"}

EDGE_STYLE_CONFIG: dict[str, Any] = {
    "semanticPriorities": [["Unbounded", "Bounded"], ["NoOrder", "TotalOrder"],
                           ["Keyed", "NotKeyed"], ["Network", "Local"]],
    "semanticMappings": {
        "NetworkGroup": {"Local": {"line-pattern": "solid", "animation": "static"},
                         "Network": {"line-pattern": "dashed", "animation": "animated"}},
        "OrderingGroup": {"TotalOrder": {"waviness": "straight"},
                          "NoOrder": {"waviness": "wavy"}},
        "BoundednessGroup": {"Bounded": {"halo": "none"},
                             "Unbounded": {"halo": "light-blue"}},
        "KeyednessGroup": {"NotKeyed": {"line-style": "single"},
                           "Keyed": {"line-style": "hash-marks"}},
        "CollectionGroup": {
            "Stream": {"color-token": "highlight-1", "arrowhead": "triangle-filled"},
            "Singleton": {"color-token": "default", "arrowhead": "circle-filled"},
            "Optional": {"color-token": "muted", "arrowhead": "diamond-open"}},
    },
}


def _node_type(node) -> str:
    if node.type == "nondet":
        return _NONDET_ROLE.get(node.op, "Transform")
    return _TYPE_OF.get(node.type, "Transform")


def _tags(edge, locations: dict[str, str]) -> list[str]:
    tags: set[str] = set()
    if edge.kind in _KIND_TAGS:
        tags.add(_KIND_TAGS[edge.kind])
    if edge.keyed:
        tags.add("Keyed")
    for value in (edge.bound, edge.order):
        if value in ("Bounded", "Unbounded", "TotalOrder", "NoOrder"):
            tags.add(value)
    if edge.cycle:
        tags.add("Cycle")
    crosses = locations.get(edge.src) != locations.get(edge.dst)
    tags.add("Network" if edge.network or crosses else "Local")
    return sorted(tags)


def to_hydroscope(model: GraphModel) -> dict[str, Any]:
    boxes = {b.key: b for b in model.boxes}

    def root_of(key: str) -> str:
        while boxes[key].parent is not None:
            key = boxes[key].parent
        return key

    root_box = {n.key: root_of(n.box) for n in model.nodes}
    loc_ids = {key: i for i, key in enumerate(b.key for b in model.boxes if b.parent is None)}
    nodes = []
    for n in model.nodes:
        root = boxes[root_box[n.key]]
        frames = []
        if n.source:
            where, _, line = n.source.rpartition(", line ")
            file = where.removeprefix("notebook cell ")
            frames.append({"fn": n.op, "function": n.op, "file": file, "filename": file,
                           "line": int(line) if line.isdigit() else None,
                           "lineNumber": int(line) if line.isdigit() else None})
        data: dict[str, Any] = {
            "locationId": loc_ids[root.key],
            "locationType": {"process": "Process", "cluster": "Cluster"}.get(root.kind),
            "backtrace": frames,
        }
        box = boxes[n.box]
        if box.kind in ("tick", "atomic"):
            data["tickId"] = int(box.key.removeprefix("loc")) if box.key[3:].isdigit() else 0
        nodes.append({"id": n.key, "nodeType": _node_type(n), "fullLabel": n.long_label,
                      "shortLabel": n.op, "label": n.label, "data": data})
    edges = [{"id": f"e{i}", "source": e.src, "target": e.dst,
              "semanticTags": _tags(e, root_box), **({"label": e.label} if e.label else {})}
             for i, e in enumerate(model.edges)]

    children: dict[str | None, list] = {}
    for b in model.boxes:
        children.setdefault(b.parent, []).append(b)

    def tree(box) -> dict[str, Any]:
        return {"id": box.key, "name": box.label,
                "children": [tree(c) for c in children.get(box.key, [])]}

    location_tree = [tree(b) for b in children.get(None, [])]
    by_location = {n.key: n.box for n in model.nodes}
    files: dict[str, str] = {}
    by_file: dict[str, str] = {}
    for n in model.nodes:
        where = n.source.rpartition(", line ")[0] if n.source else "(no source)"
        file_id = files.setdefault(where, f"file_{len(files) + 1}")
        by_file[n.key] = file_id
    file_tree = [{"id": fid, "name": name, "children": []} for name, fid in files.items()]
    types = [{"id": t, "label": t, "colorIndex": i} for i, t in enumerate(NODE_TYPES)]
    return {
        "nodes": sorted(nodes, key=lambda n: n["id"]),
        "edges": sorted(edges, key=lambda e: (e["source"], e["target"], e["id"])),
        "hierarchyChoices": [{"id": "location", "name": "Location", "children": location_tree},
                             {"id": "file", "name": "Source file", "children": file_tree}],
        "nodeAssignments": {"location": by_location, "file": by_file},
        "selectedHierarchy": "location",
        "edgeStyleConfig": EDGE_STYLE_CONFIG,
        "nodeTypeConfig": {"types": types, "defaultType": "Transform"},
        "legend": {"title": "Node Types",
                   "items": [{"type": t["id"], "label": t["label"]} for t in types]},
    }
