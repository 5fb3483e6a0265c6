"""GraphModel → JSON (the payload the JupyterLab extension reads; schema version 1)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from hydro_lab.viz.model import GraphModel

SCHEMA_VERSION = 1


def to_dict(model: GraphModel) -> dict[str, Any]:
    return {
        "version": SCHEMA_VERSION,
        "kind": model.kind,
        "title": model.title,
        "locations": [asdict(b) for b in model.boxes],
        "nodes": [asdict(n) for n in model.nodes],
        "edges": [dict(asdict(e), keyed=e.keyed) for e in model.edges],
    }


def to_json(model: GraphModel, *, indent: int | None = 2) -> str:
    return json.dumps(to_dict(model), indent=indent, ensure_ascii=False)
