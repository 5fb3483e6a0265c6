"""The lowering context: where DFIR operators go, what each IR node lowered to, and the data
the deployment needs about channels (``ChannelSpec``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydro_lab.dfir.graph import DfirGraph, Operator, UserFn
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Kind
from hydro_lab.ir.locations import AtomicId, ClusterId, LocationId, ProcessId
from hydro_lab.ir.printer import node_label
from hydro_lab.ir.program import PortInfo, Program
from hydro_lab.lower.ports import ChannelPort


@dataclass(frozen=True)
class Origin:
    """What a DFIR operator came from: the IR node's operator and the user's line."""

    node_id: int
    op: str
    label: str
    where: str | None

    def describe(self) -> str:
        return f"{self.label} at {self.where}" if self.where else self.label


@dataclass(frozen=True)
class StreamSource:
    """One ``source_stream``: what each instance of ``location`` reads (``source``; with
    ``call``, a function each instance calls to get its own), how many items its reader may
    hold before it stops pulling (``buffer``), and where the user wrote it (``origin``)."""

    source: Any = field(compare=False)
    call: bool
    location: LocationId
    buffer: int
    origin: Origin

    @property
    def one_shot(self) -> bool:
        """An iterator or async iterator read once: every reader of it shares its items."""
        src = self.source
        if self.call:
            return False
        if hasattr(src, "__anext__"):
            return True
        return hasattr(src, "__next__") and iter(src) is src


@dataclass(frozen=True)
class ChannelSpec:
    """One network edge: who sends, who receives, how (mode) and in which format (codec)."""

    name: str
    src: LocationId
    dst: LocationId
    mode: str
    codec: Any
    origin: Origin
    tagged: bool  # the receiver sees (sender MemberId, value) pairs

    @property
    def port(self) -> ChannelPort:
        return ChannelPort.of(self.name)


@dataclass(frozen=True)
class Ref:
    """The operator producing a collection, and whether consumers see it one tick later."""

    op: int
    delay: bool = False


@dataclass
class LoweredFlow:
    graphs: dict[LocationId, DfirGraph]
    channels: list[ChannelSpec]
    ports: list[PortInfo]
    locations: list[LocationId]
    sinks: dict[Any, Any] = field(default_factory=dict)  # SinkPort -> sink object
    watches: dict[Any, Any] = field(default_factory=dict)  # the sinks that are watches
    sources: dict[Any, Any] = field(default_factory=dict)  # SourcePort -> StreamSource


@dataclass
class LowerContext:
    program: Program
    graphs: dict[LocationId, DfirGraph]
    refs: dict[int, Ref] = field(default_factory=dict)
    channels: list[ChannelSpec] = field(default_factory=list)
    forward_targets: dict[str, tuple[LocationId, int]] = field(default_factory=dict)
    sinks: dict[Any, Any] = field(default_factory=dict)
    watches: dict[Any, Any] = field(default_factory=dict)
    sources: dict[Any, Any] = field(default_factory=dict)
    tick_targets: dict[str, tuple[LocationId, int]] = field(default_factory=dict)
    sim: bool = False  # lower non-deterministic points to simulator decision operators
    check_claims: bool = False  # and test aggregations' commutative/idempotent claims

    def graph(self, node: N.Node) -> DfirGraph:
        return self.graphs[node.meta.location.root]

    def origin(self, node: N.Node) -> Origin:
        src = node.meta.source
        return Origin(node.id, node.meta.op, node_label(node),
                      src.where_with_code() if src is not None else None)

    def add(self, node: N.Node, op: str, *, persistence: str = "tick", label: str | None = None,
            **args: Any) -> Operator:
        return self.graph(node).add(op, persistence=persistence,
                                    label=label or node_label(node), origin=self.origin(node),
                                    **args)

    def input(self, node: N.Node, name: str = "input") -> Ref:
        return self.refs[getattr(node, name)]

    def connect(self, node: N.Node, ref: Ref, dst: Operator, port: int = 0) -> None:
        self.graph(node).connect(ref.op, dst.id, port, "tick" if ref.delay else None)

    def feed(self, node: N.Node, op: str, *, inputs: tuple[str, ...] = ("input",),
             persistence: str = "tick", **args: Any) -> Ref:
        """Add ``op`` fed by the node's named inputs (in port order); return a Ref to it."""
        dst = self.add(node, op, persistence=persistence, **args)
        for port, name in enumerate(inputs):
            self.connect(node, self.input(node, name), dst, port)
        return Ref(dst.id)

    def kind_of(self, node_id: int):
        return self.program.nodes[node_id].meta.kind


def top_level(node: N.Node) -> bool:
    return isinstance(node.meta.location, (ProcessId, ClusterId, AtomicId))


def replayed(kind) -> bool:
    """Collections a DFIR tick re-emits in full every tick (singletons and keyed singletons);
    streams carry only what is new."""
    return kind is not None and kind.kind in (Kind.SINGLETON, Kind.OPTIONAL,
                                              Kind.KEYED_SINGLETON)


def user_fn(closure: N.Closure) -> UserFn:
    return UserFn(closure.fn, "" if closure.builtin else closure.text, closure.label,
                  closure.builtin)
