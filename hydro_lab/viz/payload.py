"""GraphModel → the extension's payload (``protocol.Payload``): plain JSON-able dicts.

Fields that are empty (None, False, "") are left out, so the payload of a large graph stays small
and cheap to serialize; the renderer reads a missing field as empty. Edge ids are the edges'
positions in the model (``e0``, ``e1``, ...), node and group ids the model's keys.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.viz import protocol
from hydro_lab.viz.model import GraphModel


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None and v is not False and v != ""}


def graph_view(model: GraphModel) -> protocol.GraphView:
    """One view of a flow: its groups, nodes and edges."""
    groups = [dict(_compact({"id": b.key, "label": b.label, "kind": b.kind,
                             "members": b.members, "code": b.code}), parent=b.parent)
              for b in model.boxes]
    nodes = [_compact({"id": n.key, "label": n.label, "long_label": n.long_label, "op": n.op,
                       "type": n.type, "group": n.box, "kind": n.kind, "source": n.source,
                       "code_line": n.code_line, "nondet": n.nondet, "codec": n.codec,
                       "channel": n.channel, "ir": n.ir})
             for n in model.nodes]
    edges = [_compact({"id": f"e{i}", "src": e.src, "dst": e.dst, "kind": e.kind,
                       "bound": e.bound, "order": e.order, "retries": e.retries,
                       "network": e.network, "cycle": e.cycle, "delay": e.delay,
                       "label": e.label})
             for i, e in enumerate(model.edges)]
    return {"kind": model.kind, "groups": groups, "nodes": nodes, "edges": edges}  # type: ignore


def payload(title: str, views: dict[str, GraphModel | None], *, view: str = "ir",
            notes: dict[str, str] | None = None, key: str | None = None,
            live: protocol.Live | None = None) -> protocol.Payload:
    """The payload of a graph output. ``views`` maps "ir" (required) and "dfir" to models (None:
    not available, say why in ``notes``); ``key`` keeps the renderer's zoom and folds across
    re-renders; ``live`` makes it a live graph."""
    out: dict[str, Any] = {
        "version": protocol.SCHEMA_VERSION, "title": title, "view": view,
        "views": {name: graph_view(m) if m is not None else None for name, m in views.items()},
    }
    if notes:
        out["notes"] = dict(notes)
    if key is not None:
        out["key"] = key
    if live is not None:
        out["live"] = live
    return out  # type: ignore[return-value]
