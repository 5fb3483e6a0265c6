"""A neutral graph model (boxes, nodes, edges) built from the IR; every writer reads only this.

Boxes are locations: processes, clusters and externals at the top, ticks and atomic regions
nested inside their process or cluster. Nodes carry a type used for coloring (source, transform,
join, aggregation, network, sink, tee, nondet, port) and what the details of an operator show
(its collection and guarantees, the user's line, its nondet reason, a channel's codec). Edges
carry what flows along them: the collection kind and its guarantees, and whether the edge crosses
the network or closes a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Kind
from hydro_lab.ir.locations import AtomicId, ClusterId, ExternalId, LocationId, ProcessId, TickId
from hydro_lab.ir.printer import node_label
from hydro_lab.ir.program import Program

NODE_TYPES = ("source", "transform", "join", "aggregation", "network", "sink", "tee", "nondet",
              "port", "pull", "push", "handoff")


@dataclass(frozen=True)
class Box:
    key: str
    label: str
    kind: str  # process | cluster | external | tick | atomic (DFIR: stratum | subgraph)
    parent: str | None = None
    members: int | None = None  # a cluster's member count, when known (a deployment's graph)
    name: str | None = None  # a location's name (processes, clusters, externals)
    code: str | None = None  # DFIR graphs, a subgraph: its generated Python


@dataclass(frozen=True)
class VizNode:
    key: str
    label: str
    long_label: str
    type: str
    box: str
    op: str
    kind: str | None = None
    source: str | None = None
    nondet: str | None = None
    code_line: str | None = None  # the text of the user's line
    codec: str | None = None  # network nodes and ports: the codec both ends use
    channel: str | None = None  # network nodes: the channel's name (what d.inject() takes)
    ir: str | None = None  # DFIR graphs: the key of the IR node the operator was lowered from


@dataclass(frozen=True)
class VizEdge:
    src: str
    dst: str
    kind: str | None = None  # Stream, KeyedStream, Singleton, Optional, KeyedSingleton
    bound: str | None = None
    order: str | None = None
    retries: str | None = None
    network: bool = False
    cycle: bool = False
    label: str = ""
    delay: str | None = None  # DFIR graphs: "tick", "stratum" (blocking) or "reference"

    @property
    def keyed(self) -> bool:
        return self.kind in (Kind.KEYED_STREAM.value, Kind.KEYED_SINGLETON.value)

    @property
    def describe(self) -> str:
        if self.kind is None:
            return self.label
        if self.kind in (Kind.SINGLETON.value, Kind.OPTIONAL.value):
            return f"{self.kind}<{self.bound}>"
        if self.kind == Kind.KEYED_SINGLETON.value:
            return f"{self.kind}<{self.bound}>"
        return f"{self.kind}<{self.bound}, {self.order}, {self.retries}>"


@dataclass
class GraphModel:
    title: str
    kind: str = "ir"
    boxes: list[Box] = field(default_factory=list)
    nodes: list[VizNode] = field(default_factory=list)
    edges: list[VizEdge] = field(default_factory=list)

    def children(self, parent: str | None) -> list[Box]:
        return [b for b in self.boxes if b.parent == parent]

    def nodes_in(self, box: str) -> list[VizNode]:
        return [n for n in self.nodes if n.box == box]

    def with_members(self, sizes: Mapping[str, int]) -> GraphModel:
        """The same model with each cluster box's member count (``{cluster name: size}``)."""
        boxes = [replace(b, members=int(sizes[b.name])) if b.kind == "cluster"
                 and b.name in sizes else b for b in self.boxes]
        return GraphModel(self.title, self.kind, boxes, list(self.nodes), list(self.edges))


def codec_name(codec) -> str:
    return getattr(codec, "name", None) or type(codec).__name__


def _box_key(loc: LocationId) -> str:
    return f"loc{loc.key}"


def _box(loc: LocationId) -> Box:
    if isinstance(loc, ProcessId):
        return Box(_box_key(loc), f"process {loc.name}", "process", name=loc.name)
    if isinstance(loc, ClusterId):
        return Box(_box_key(loc), f"cluster {loc.name}", "cluster", name=loc.name)
    if isinstance(loc, ExternalId):
        return Box(_box_key(loc), f"external {loc.name}", "external", name=loc.name)
    if isinstance(loc, TickId):
        return Box(_box_key(loc), f"tick {loc.name}", "tick", _box_key(loc.outer))
    if isinstance(loc, AtomicId):
        return Box(_box_key(loc), f"atomic (tick {loc.tick_id.name})", "atomic",
                   _box_key(loc.root))
    return Box(_box_key(loc), loc.describe(), "location")


def _node_type(node: N.Node) -> str:
    if node.nondet is not None and not isinstance(node, N.Network):
        return "nondet"
    return node.NODE_TYPE


def _edge(producer: N.Node, **kw) -> VizEdge:
    kind = producer.meta.kind
    if kind is None:
        return VizEdge(**kw)
    return VizEdge(kind=kind.kind.value, bound=kind.bound.value, order=kind.order.value,
                   retries=kind.retries.value, **kw)


def from_program(program: Program, *, long_labels: bool = False) -> GraphModel:
    """The IR graph: one node per IR node, edges along inputs, back edges for cycles."""
    model = GraphModel(title=program.name, kind="ir")
    model.boxes = [_box(loc) for loc in program.locations]
    key = {nid: f"n{nid}" for nid in program.nodes}
    for node in program:
        src = node.meta.source
        nd = node.nondet
        network = isinstance(node, N.Network)
        model.nodes.append(VizNode(
            key=key[node.id],
            label=node_label(node, long=long_labels),
            long_label=node_label(node, long=True),
            type=_node_type(node),
            box=_box_key(node.meta.location),
            op=node.meta.op,
            kind=node.meta.kind.describe() if node.meta.kind is not None else None,
            source=src.where() if src is not None else None,
            nondet=nd.reason if nd is not None else None,
            code_line=(src.code or None) if src is not None else None,
            codec=codec_name(node.codec) if network else None,
            channel=node.channel if network else None,
        ))
    for node in program:
        for src_id in node.inputs():
            src = program.nodes[src_id]
            network = isinstance(node, N.Network)
            model.edges.append(_edge(src, src=key[src_id], dst=key[node.id], network=network))
    for cycle in program.cycles:
        if cycle.sink_node is None:
            continue
        model.edges.append(VizEdge(src=key[cycle.sink_node], dst=key[cycle.source_node],
                                   cycle=True,
                                   label="next tick" if cycle.cycle == "tick" else cycle.ident))
    for port in program.ports:
        pkey = f"p{port.key}"
        model.nodes.append(VizNode(
            key=pkey, label=f"port {port.key} ({port.direction})",
            long_label=f"port {port.key} ({port.direction}, codec {codec_name(port.codec)})",
            type="port", box=_box_key(port.external), op="port",
            source=port.created_at.where() if port.created_at else None,
            code_line=(port.created_at.code or None) if port.created_at else None,
            codec=codec_name(port.codec)))
        for node_id in (port.input_node, port.events_node):
            if node_id is not None and node_id in key:
                model.edges.append(VizEdge(src=pkey, dst=key[node_id], network=True))
        if port.output_node is not None and port.output_node in key:
            model.edges.append(VizEdge(src=key[port.output_node], dst=pkey, network=True))
    return model
