"""Walking the IR: consumers of each node, topological order, strongly connected components."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

from hydro_lab.ir.nodes import Node
from hydro_lab.ir.program import Program


def consumers(program: Program) -> dict[int, list[int]]:
    """node id -> ids of the nodes that read it, in id order."""
    out: dict[int, list[int]] = {node_id: [] for node_id in program.nodes}
    for node in program:
        for src in node.inputs():
            out.setdefault(src, []).append(node.id)
    return out


def toposort(nodes: Mapping[int, Node]) -> list[int]:
    """Node ids with every input before its consumers (inputs are always created first, but
    passes may append nodes, so sort properly). Ties break by id for stable output."""
    indegree = {nid: 0 for nid in nodes}
    readers: dict[int, list[int]] = {nid: [] for nid in nodes}
    for node in nodes.values():
        for src in node.inputs():
            if src in nodes:
                indegree[node.id] += 1
                readers[src].append(node.id)
    ready = [nid for nid, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        nid = heapq.heappop(ready)
        order.append(nid)
        for r in readers[nid]:
            indegree[r] -= 1
            if indegree[r] == 0:
                heapq.heappush(ready, r)
    if len(order) != len(nodes):
        raise ValueError("the IR has a cycle that does not go through a CycleSource")
    return order


def strongly_connected(edges: Mapping[int, Iterable[int]]) -> list[list[int]]:
    """Tarjan's algorithm (iterative). Returns the components, each sorted, in discovery order."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    result: list[list[int]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                result.append(sorted(comp))
    return result
