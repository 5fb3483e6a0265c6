"""The mutable side of the IR: appends nodes while a flow is being built.

Ids come from one counter in creation order, so printouts and graphs are stable from run to run.
``snapshot()`` freezes the current state into a :class:`Program`; the builder keeps going, which is
what a notebook needs (cells keep adding to one flow).
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from hydro_lab.ir.locations import LocationId
from hydro_lab.ir.nodes import Meta, Node
from hydro_lab.ir.program import CycleInfo, PortInfo, Program

_flow_ids = itertools.count(1)


class GraphBuilder:
    def __init__(self, name: str = "flow"):
        self.name = name
        self.flow_id = next(_flow_ids)  # tells this flow's ports from another flow's
        self._next_key = 1
        self.nodes: dict[int, Node] = {}
        self.locations: list[LocationId] = []
        self.cycles: dict[str, CycleInfo] = {}
        self.ports: dict[int, PortInfo] = {}

    def new_key(self) -> int:
        key = self._next_key
        self._next_key += 1
        return key

    def add_location(self, loc: LocationId) -> LocationId:
        self.locations.append(loc)
        return loc

    def add(self, cls: type[Node], meta: Meta, **fields: Any) -> Node:
        node = cls(id=self.new_key(), meta=meta, **fields)
        self.nodes[node.id] = node
        return node

    def update_meta(self, node_id: int, **changes: Any) -> Node:
        node = self.nodes[node_id]
        node = node.replace(meta=replace(node.meta, **changes))
        self.nodes[node_id] = node
        return node

    def remove(self, node_ids) -> None:
        for node_id in node_ids:
            self.nodes.pop(node_id, None)

    def checkpoint(self) -> tuple[int, int, frozenset[str], frozenset[int]]:
        """A marker to :meth:`rollback` to, so a refused operator call leaves nothing behind."""
        return (self._next_key, len(self.locations), frozenset(self.cycles),
                frozenset(self.ports))

    def rollback(self, mark: tuple[int, int, frozenset[str], frozenset[int]]) -> None:
        next_key, n_locations, cycles, ports = mark
        for node_id in [n for n in self.nodes if n >= next_key]:
            del self.nodes[node_id]
        del self.locations[n_locations:]
        for ident in [c for c in self.cycles if c not in cycles]:
            del self.cycles[ident]
        for key in [k for k in self.ports if k not in ports]:
            del self.ports[key]

    def snapshot(self) -> Program:
        return Program(
            nodes=dict(sorted(self.nodes.items())),
            locations=tuple(self.locations),
            cycles=tuple(self.cycles.values()),
            ports=tuple(self.ports.values()),
            name=self.name,
            flow_id=self.flow_id,
        )
