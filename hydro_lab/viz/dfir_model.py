"""The DFIR view: each location's compiled program as boxes of subgraphs (labelled with their
stratum), operators colored pull (subgraph heads) or push (fused into the loop), handoffs between
subgraphs, and delayed edges in red: ``defer_tick`` (tick), blocking inputs (stratum) and
reference edges from an aggregation's accumulator to its emitting half."""

from __future__ import annotations

from hydro_lab.dfir.codegen import CompiledProgram
from hydro_lab.dfir.ops import spec_of
from hydro_lab.viz.model import Box, GraphModel, VizEdge, VizNode


def from_programs(title: str, programs: dict) -> GraphModel:
    model = GraphModel(title=title, kind="dfir")
    for loc, program in programs.items():
        _add_location(model, loc, program)
    return model


def _add_location(model: GraphModel, loc, program: CompiledProgram) -> None:
    part = program.partitioned
    graph = part.graph
    lk = f"loc{loc.key}"
    model.boxes.append(Box(lk, loc.describe(), "cluster" if loc.__class__.__name__ ==
                           "ClusterId" else "process"))
    for sg in part.subgraphs.values():
        model.boxes.append(Box(f"{lk}_sg{sg.id}", f"sg_{sg.id} · stratum {sg.stratum}",
                               "subgraph", lk))
    key = {op_id: f"{lk}_op{op_id}" for op_id in graph.operators}
    for op in graph.operators.values():
        spec = spec_of(op)
        sg = part.subgraph_of[op.id]
        node_type = "pull" if spec.role in ("source", "head") else "push"
        origin = op.origin
        label = f"({op.id}) {op.op}" + ("::<'static>" if op.persistence == "static" else "")
        if op.label and op.label != op.op:
            label += f"\n{op.label}"
        model.nodes.append(VizNode(
            key=key[op.id], label=label, long_label=label, type=node_type,
            box=f"{lk}_sg{sg}", op=op.op,
            source=getattr(origin, "where", None)))
    fused = {(e.src, e.dst, e.port) for e in graph.edges} - {(h.src, h.dst, h.port)
                                                              for h in part.handoffs}
    for src, dst, _port in sorted(fused):
        model.edges.append(VizEdge(src=key[src], dst=key[dst]))
    for h in part.handoffs:
        hk = f"{lk}_h{h.id}"
        model.nodes.append(VizNode(key=hk, label="handoff", long_label=f"handoff {h.id}",
                                   type="handoff", box=lk, op="handoff"))
        model.edges.append(VizEdge(src=key[h.src], dst=hk))
        blocking = h.port in spec_of(graph.operators[h.dst]).blocking
        delay = "tick" if h.delay else ("stratum" if blocking else None)
        label = f"[{h.port}]" if len(graph.inputs(h.dst)) > 1 else ""
        model.edges.append(VizEdge(src=hk, dst=key[h.dst], delay=delay, label=label))
    for owner, reader in graph.refs:
        model.edges.append(VizEdge(src=key[owner], dst=key[reader], delay="reference",
                                   label=f"#{owner}"))
