"""The mutable side of the IR: appends nodes while a flow is being built.

Ids come from one counter in creation order, so printouts and graphs are stable from run to run.
``snapshot()`` freezes the current state into a :class:`Program`; the builder keeps going, which is
what a notebook needs (cells keep adding to one flow). ``checkpoint()``/``rollback()`` take it back
to an earlier point exactly, whatever happened since: additions, renamed nodes, completed cycles
and ports (a refused operator call, a notebook cell that fails).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

from hydro_lab.ir.locations import LocationId
from hydro_lab.ir.nodes import Meta, Node
from hydro_lab.ir.program import CycleInfo, PortInfo, Program

_flow_ids = itertools.count(1)


@dataclass(frozen=True)
class Checkpoint:
    """A point :meth:`GraphBuilder.rollback` returns to. Nodes, cycles and ports are immutable
    values, so remembering which ones there were is remembering what they were."""

    next_key: int
    n_locations: int
    n_replaced: int                # the length of the builder's journal of replaced nodes
    cycles: dict[str, CycleInfo]   # a copy: a later call may complete a cycle
    ports: dict[int, PortInfo]     # a copy: a later call may fill in a port's output


class GraphBuilder:
    def __init__(self, name: str = "flow"):
        self.name = name
        self.flow_id = next(_flow_ids)  # tells this flow's ports from another flow's
        self._next_key = 1
        self.nodes: dict[int, Node] = {}
        self.locations: list[LocationId] = []
        self.cycles: dict[str, CycleInfo] = {}
        self.ports: dict[int, PortInfo] = {}
        self._replaced: list[tuple[int, Node]] = []  # (id, node before) for rollback

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
        before = self.nodes[node_id]
        node = before.replace(meta=replace(before.meta, **changes))
        self._replaced.append((node_id, before))
        self.nodes[node_id] = node
        return node

    def remove(self, node_ids) -> None:
        for node_id in node_ids:
            before = self.nodes.pop(node_id, None)
            if before is not None:
                self._replaced.append((node_id, before))

    def checkpoint(self) -> Checkpoint:
        """A point to :meth:`rollback` to."""
        return Checkpoint(self._next_key, len(self.locations), len(self._replaced),
                          dict(self.cycles), dict(self.ports))

    def rollback(self, mark: Checkpoint) -> None:
        """Return to ``mark`` exactly: what was added since is gone (its ids are free again),
        what was renamed, removed, completed or filled in since is as it was."""
        for node_id, before in reversed(self._replaced[mark.n_replaced:]):
            self.nodes[node_id] = before
        del self._replaced[mark.n_replaced:]
        for node_id in [n for n in self.nodes if n >= mark.next_key]:
            del self.nodes[node_id]
        self._next_key = mark.next_key
        del self.locations[mark.n_locations:]
        for table, saved in ((self.cycles, mark.cycles), (self.ports, mark.ports)):
            table.clear()
            table.update(saved)

    def snapshot(self) -> Program:
        return Program(
            nodes=dict(sorted(self.nodes.items())),
            locations=tuple(self.locations),
            cycles=tuple(self.cycles.values()),
            ports=tuple(self.ports.values()),
            name=self.name,
            flow_id=self.flow_id,
        )
