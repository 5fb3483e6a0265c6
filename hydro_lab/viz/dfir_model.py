"""The DFIR view: each location's compiled program as nested boxes (location → stratum →
subgraph), operators colored pull (subgraph heads) or push (fused into the loop), handoffs
between subgraphs, channels between locations (dashed), and delayed edges in red:
``defer_tick`` (tick), blocking inputs (stratum) and reference edges from an aggregation's
accumulator to its emitting half. Each subgraph box carries its generated Python and each operator
the IR node it was lowered from, so a click can show both."""

from __future__ import annotations

import re
from typing import Any

from hydro_lab.dfir.codegen import CompiledProgram
from hydro_lab.dfir.ops import spec_of
from hydro_lab.ir.locations import ClusterId
from hydro_lab.viz.model import Box, GraphModel, VizEdge, VizNode, codec_name

_WHERE = re.compile(r"^(.*?, line \d+)(?:: (.*))?$", re.S)
_SUBGRAPH_MARK = re.compile(r"^\s*# subgraph (\d+), stratum", re.M)


def from_programs(title: str, programs: dict, *, channels: list | None = None,
                  program: Any = None) -> GraphModel:
    """``programs``: ``{LocationId: CompiledProgram}``; ``channels``: the lowered flow's
    ``ChannelSpec`` list (draws the network edges between locations); ``program``: the IR program
    (gives each operator its IR node's collection kind and nondet reason)."""
    model = GraphModel(title=title, kind="dfir")
    ends: dict[tuple[str, str], dict[str, str]] = {}  # channel port -> {"send"/"recv": key}
    for loc, compiled in programs.items():
        _add_location(model, loc, compiled, program, ends)
    for spec in channels or []:
        found = ends.get(spec.port, {})
        if "send" in found and "recv" in found:
            model.edges.append(VizEdge(src=found["send"], dst=found["recv"], network=True,
                                       label=spec.name))
    return model


def subgraph_sources(compiled: CompiledProgram) -> dict[int, str]:
    """The generated Python of each subgraph (its ``def sg_N`` with the comment above it)."""
    text = compiled.source
    marks = [(int(m.group(1)), m.start()) for m in _SUBGRAPH_MARK.finditer(text)]
    end = text.rfind("\n    return {")
    out = {}
    for i, (sg, start) in enumerate(marks):
        stop = marks[i + 1][1] if i + 1 < len(marks) else (end if end > start else len(text))
        lines = text[start:stop].rstrip().splitlines()
        indent = min((len(s) - len(s.lstrip()) for s in lines if s.strip()), default=0)
        out[sg] = "\n".join(s[indent:] for s in lines)
    return out


def _split_where(where: str | None) -> tuple[str | None, str | None]:
    if not where:
        return None, None
    m = _WHERE.match(where)
    if m is None:
        return where, None
    return m.group(1), m.group(2) or None


def _add_location(model: GraphModel, loc, compiled: CompiledProgram, program: Any,
                  ends: dict) -> None:
    part = compiled.partitioned
    graph = part.graph
    lk = f"loc{loc.key}"
    model.boxes.append(Box(lk, loc.describe(),
                           "cluster" if isinstance(loc, ClusterId) else "process", name=loc.name))
    code = subgraph_sources(compiled)
    for stratum in sorted({sg.stratum for sg in part.subgraphs.values()}):
        model.boxes.append(Box(f"{lk}_st{stratum}", f"stratum {stratum}", "stratum", lk))
    for sg in sorted(part.subgraphs.values(), key=lambda s: s.id):
        model.boxes.append(Box(f"{lk}_sg{sg.id}", f"subgraph {sg.id}", "subgraph",
                               f"{lk}_st{sg.stratum}", code=code.get(sg.id)))
    key = {op_id: f"{lk}_op{op_id}" for op_id in graph.operators}
    nodes = program.nodes if program is not None else {}
    for op in graph.operators.values():
        spec = spec_of(op)
        sg = part.subgraph_of[op.id]
        node_type = "pull" if spec.role in ("source", "head") else "push"
        origin = op.origin
        label = f"({op.id}) {op.op}" + ("::<'static>" if op.persistence == "static" else "")
        if op.label and op.label != op.op:
            label += f"\n{op.label}"
        node_id = getattr(origin, "node_id", None)
        ir_node = nodes.get(node_id)
        source, code_line = _split_where(getattr(origin, "where", None))
        port = op.args.get("port")
        channel = port[1] if isinstance(port, tuple) and port[0] == "net" else None
        codec = None
        if channel is not None:
            ends.setdefault(port, {})["send" if op.op == "dest_port" else "recv"] = key[op.id]
            codec = codec_name(ir_node.codec) if hasattr(ir_node, "codec") else None
        model.nodes.append(VizNode(
            key=key[op.id], label=label, long_label=label, type=node_type,
            box=f"{lk}_sg{sg}", op=op.op,
            kind=(ir_node.meta.kind.describe() if ir_node is not None
                  and ir_node.meta.kind is not None else None),
            source=source, code_line=code_line,
            nondet=(ir_node.nondet.reason if ir_node is not None
                    and ir_node.nondet is not None else None),
            codec=codec, channel=channel,
            ir=f"n{node_id}" if node_id is not None else None))
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
