"""Partitioning a DFIR graph into subgraphs, handoffs and strata.

* A **subgraph** starts at a source or a head (multi-input or blocking operators) and takes in
  every push operator downstream of it that has a single, undelayed, non-blocking input: one loop,
  fused. A push operator that cannot fuse gets a ``handoff`` head of its own.
* Every edge between subgraphs is a **handoff** (a list); a ``defer_tick`` edge is a handoff read in
  the next tick.
* **Strata**: a blocking input (and a reference from an aggregation's emitting half to its
  accumulator) puts the consumer in a later stratum than the producer; ``defer_tick`` edges are
  ignored. Strongly connected subgraphs run to a fixpoint within one stratum, so a blocking edge
  inside such a cycle is an error: it needs a ``defer_tick()``.

The result orders subgraphs by stratum, then topologically, which is the order a tick runs them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from hydro_lab.dfir.graph import DfirGraph, Edge, Operator
from hydro_lab.dfir.ops import spec_of
from hydro_lab.errors import HydroTypeError


@dataclass
class Handoff:
    id: int
    src: int  # producing operator
    dst: int  # consuming (head) operator
    port: int
    delay: str | None = None


@dataclass
class Subgraph:
    id: int
    head: int
    ops: list[int]
    inputs: list[Handoff] = field(default_factory=list)  # read by the head, in port order
    stratum: int = 0
    always: bool = False


@dataclass
class Partitioned:
    graph: DfirGraph
    subgraphs: dict[int, Subgraph]
    handoffs: list[Handoff]
    order: list[list[int]]  # units: one subgraph id, or a strongly connected group
    subgraph_of: dict[int, int]

    @property
    def strata(self) -> int:
        return 1 + max((sg.stratum for sg in self.subgraphs.values()), default=0)


def _describe(op: Operator) -> str:
    origin = op.origin
    text = getattr(origin, "describe", None)
    return text() if callable(text) else op.label


def _insert_handoff_heads(graph: DfirGraph) -> DfirGraph:
    """Give every push operator that cannot fuse into its producer a ``handoff`` head."""
    g = copy.copy(graph)
    g.operators = dict(graph.operators)
    g.edges = list(graph.edges)
    for op in list(graph.operators.values()):
        spec = spec_of(op)
        if spec.role not in ("push", "sink"):
            continue
        ins = g.inputs(op.id)
        if len(ins) > 1:
            raise ValueError(f"push operator {op.label} has {len(ins)} inputs; use union")
        if not ins:
            continue
        e = ins[0]
        producer = spec_of(g.operators[e.src])
        if e.delay is None and e.port not in spec.blocking and producer.role != "sink":
            continue
        head = g.add("handoff", label="handoff", origin=op.origin)
        g.edges.remove(e)
        g.edges.append(Edge(e.src, head.id, 0, e.delay))
        g.edges.append(Edge(head.id, op.id, 0, None))
    return g


def partition(graph: DfirGraph) -> Partitioned:
    g = _insert_handoff_heads(graph)
    inputs = {op_id: g.inputs(op_id) for op_id in g.operators}
    outputs: dict[int, list[Edge]] = {op_id: [] for op_id in g.operators}
    for e in g.edges:
        outputs[e.src].append(e)

    # 1. membership: heads and sources start subgraphs, push operators follow their producer
    subgraph_of: dict[int, int] = {}
    subgraphs: dict[int, Subgraph] = {}
    for op in g.operators.values():
        spec = spec_of(op)
        if spec.role in ("source", "head"):
            sg = Subgraph(id=len(subgraphs) + 1, head=op.id, ops=[op.id], always=spec.always)
            subgraphs[sg.id] = sg
            subgraph_of[op.id] = sg.id

    def owner(op_id: int) -> int:
        if op_id in subgraph_of:
            return subgraph_of[op_id]
        e = inputs[op_id][0]
        sg_id = owner(e.src)
        subgraph_of[op_id] = sg_id
        return sg_id

    for op_id in sorted(g.operators):
        if inputs[op_id] or op_id in subgraph_of:
            owner(op_id)
    # push operators with no input at all: they can never run
    for op_id in g.operators:
        if op_id not in subgraph_of:
            raise ValueError(f"operator {g.operators[op_id].label} has no input")
    for sg in subgraphs.values():
        members = [op_id for op_id in g.operators if subgraph_of[op_id] == sg.id]
        sg.ops = _topo_within(sg.head, members, outputs)

    # 2. handoffs: edges into heads
    handoffs: list[Handoff] = []
    for e in g.edges:
        dst_spec = spec_of(g.operators[e.dst])
        if dst_spec.role in ("source", "head"):
            h = Handoff(len(handoffs) + 1, e.src, e.dst, e.port, e.delay)
            handoffs.append(h)
            subgraphs[subgraph_of[e.dst]].inputs.append(h)
    for sg in subgraphs.values():
        sg.inputs.sort(key=lambda h: h.port)

    # 3. strata over the subgraph graph (tick edges ignored)
    succ: dict[int, set[int]] = {sg_id: set() for sg_id in subgraphs}
    barrier: set[tuple[int, int]] = set()
    for h in handoffs:
        if h.delay:
            continue
        a, b = subgraph_of[h.src], subgraph_of[h.dst]
        succ[a].add(b)
        if h.port in spec_of(g.operators[h.dst]).blocking:
            barrier.add((a, b))
    for owner_op, reader in g.refs:
        a, b = subgraph_of[owner_op], subgraph_of[reader]
        succ[a].add(b)
        barrier.add((a, b))
    comps = _scc(succ)
    comp_of = {sg_id: i for i, comp in enumerate(comps) for sg_id in comp}
    for a, b in barrier:
        if comp_of[a] == comp_of[b]:
            blocked = next((h for h in handoffs if subgraph_of[h.src] == a
                            and subgraph_of[h.dst] == b), None)
            op = g.operators[blocked.dst] if blocked else g.operators[subgraphs[b].head]
            raise HydroTypeError(
                f"compile: {_describe(op)} blocks on an input that depends on its own output "
                "within the same tick, so the tick could never finish.\n"
                "  Fix: delay the feedback by one tick with .defer_tick() (or a tick cycle's "
                "complete_next_tick).", op="compile")
    comp_succ: dict[int, set[int]] = {i: set() for i in range(len(comps))}
    for a, bs in succ.items():
        for b in bs:
            if comp_of[a] != comp_of[b]:
                comp_succ[comp_of[a]].add(comp_of[b])
    order = _toposort_components(comp_succ)
    stratum_of_comp: dict[int, int] = {}
    preds: dict[int, list[int]] = {i: [] for i in comp_succ}
    for a, bs in comp_succ.items():
        for b in bs:
            preds[b].append(a)
    for c in order:
        s = 0
        for p in preds[c]:
            bump = any((x, y) in barrier for x in comps[p] for y in comps[c])
            s = max(s, stratum_of_comp[p] + (1 if bump else 0))
        stratum_of_comp[c] = s
        for sg_id in comps[c]:
            subgraphs[sg_id].stratum = s
    units = sorted(order, key=lambda c: (stratum_of_comp[c], order.index(c)))
    return Partitioned(g, subgraphs, handoffs, [sorted(comps[c]) for c in units], subgraph_of)


def _topo_within(head: int, members: list[int], outputs: dict[int, list[Edge]]) -> list[int]:
    member_set = set(members)
    ordered, stack, seen = [], [head], set()
    while stack:
        op_id = stack.pop()
        if op_id in seen:
            continue
        seen.add(op_id)
        ordered.append(op_id)
        children = [e.dst for e in outputs[op_id] if e.dst in member_set and e.dst != head]
        stack.extend(sorted(children, reverse=True))
    return ordered


def _scc(succ: dict[int, set[int]]) -> list[list[int]]:
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on: set[int] = set()
    out: list[list[int]] = []
    counter = [0]

    def visit(v: int) -> None:  # graphs here are small (one location's subgraphs)
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(succ[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return out


def _toposort_components(succ: dict[int, set[int]]) -> list[int]:
    indeg = {c: 0 for c in succ}
    for bs in succ.values():
        for b in bs:
            indeg[b] += 1
    ready = sorted(c for c, d in indeg.items() if d == 0)
    order = []
    while ready:
        c = ready.pop(0)
        order.append(c)
        for b in sorted(succ[c]):
            indeg[b] -= 1
            if indeg[b] == 0:
                ready.append(b)
        ready.sort()
    return order
