"""A whole flow as data: the nodes (roots included), the locations, cycles and external ports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hydro_lab.ir.locations import ExternalId, LocationId
from hydro_lab.ir.nodes import Node
from hydro_lab.ir.source_info import SourceInfo


@dataclass(frozen=True)
class CycleInfo:
    """A forward reference (``cycle='forward'``) or tick cycle (``'tick'``) and its two ends."""

    ident: str
    cycle: str
    location: LocationId
    source_node: int
    sink_node: int | None
    created_at: SourceInfo | None


@dataclass(frozen=True)
class PortInfo:
    """An external port. ``direction``: ``in`` (client → flow), ``out`` or ``bidi``."""

    key: int
    external: ExternalId
    location: LocationId
    direction: str
    codec: Any = field(compare=False)
    input_node: int | None = None
    events_node: int | None = None
    output_node: int | None = None
    many_clients: bool = False
    created_at: SourceInfo | None = None


@dataclass(frozen=True)
class Program:
    """Nodes in id order (creation order), plus what deployment needs to wire them up."""

    nodes: Mapping[int, Node]
    locations: tuple[LocationId, ...]
    cycles: tuple[CycleInfo, ...] = ()
    ports: tuple[PortInfo, ...] = ()
    name: str = "flow"
    flow_id: int = field(default=0, compare=False)  # which FlowBuilder made it (one per flow)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __getitem__(self, node_id: int) -> Node:
        return self.nodes[node_id]

    @property
    def roots(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.IS_ROOT]

    @property
    def root_locations(self) -> list[LocationId]:
        return [loc for loc in self.locations if loc.root is loc]
