"""The flat DFIR graph of one location: operators and the edges between them, as plain data.

An edge goes from an operator's output to an input port of another operator. ``delay="tick"``
marks a ``defer_tick`` edge (the data is seen in the next tick); ``delay="async"`` too, and its
data makes the next tick run (a top-level cycle fed back across ticks). ``refs`` are reference
edges: an operator that reads another's state (a fold's output reads its accumulator), which
orders them like a blocking edge. ``surface_syntax`` prints the graph in DFIR's ``a -> b`` style.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UserFn:
    """A user function for an operator: the callable, plus its source text when known (used to
    inline single-expression lambdas into generated loops) and a short label."""

    fn: Callable[..., Any] = field(compare=False, repr=False)
    text: str = ""
    label: str = ""
    builtin: bool = False


@dataclass
class Operator:
    """One operator instance. ``persistence`` is ``'tick'`` (state reset every tick) or
    ``'static'`` (state kept forever). ``origin`` is opaque data from whoever built the graph
    (for Hydro: the IR node's metadata), used in error messages and graphs."""

    id: int
    op: str
    args: dict[str, Any] = field(default_factory=dict)
    persistence: str = "tick"
    label: str = ""
    origin: Any = None


@dataclass(frozen=True)
class Edge:
    src: int
    dst: int
    port: int = 0
    delay: str | None = None


@dataclass
class DfirGraph:
    """A location's operators and edges. Operator ids are unique within the graph."""

    name: str = "dfir"
    operators: dict[int, Operator] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    refs: list[tuple[int, int]] = field(default_factory=list)
    _next: int = 1

    def add(self, op: str, *, persistence: str = "tick", label: str = "", origin: Any = None,
            **args: Any) -> Operator:
        operator = Operator(self._next, op, args, persistence, label or op, origin)
        self.operators[operator.id] = operator
        self._next += 1
        return operator

    def connect(self, src: int, dst: int, port: int = 0, delay: str | None = None) -> None:
        self.edges.append(Edge(src, dst, port, delay))

    def reference(self, owner: int, reader: int) -> None:
        self.refs.append((owner, reader))

    def inputs(self, op_id: int) -> list[Edge]:
        return sorted((e for e in self.edges if e.dst == op_id), key=lambda e: e.port)

    def outputs(self, op_id: int) -> list[Edge]:
        return [e for e in self.edges if e.src == op_id]


def surface_syntax(graph: DfirGraph) -> str:
    """DFIR-style text: one line per edge, ``a -> [port]b``; ``defer_tick`` edges are marked."""

    def name(op: Operator) -> str:
        life = "::<'static>" if op.persistence == "static" else ""
        return f"{op.id}v1: {op.op}{life}({op.label if op.label != op.op else ''})"

    lines = [f"// {graph.name}"]
    for op in graph.operators.values():
        lines.append(name(op) + ";")
    for e in graph.edges:
        delay = {"tick": " -> defer_tick()", "async": " -> next_tick()"}.get(e.delay, "")
        port = f"[{e.port}]" if len(graph.inputs(e.dst)) > 1 else ""
        lines.append(f"{e.src}v1{delay} -> {port}{e.dst}v1;")
    for owner, reader in graph.refs:
        lines.append(f"{reader}v1 reads #{owner}v1;")
    return "\n".join(lines) + "\n"
