"""The IR as text: one line per node, grouped by location (a stable printout for golden tests).

    process leader:
      %9 = network send(workers->leader#1 [pickle]) <- %8  :: KeyedStream<MemberId<workers>, ...>

``node_label`` gives the short and long label of a node; graph writers use it too.
"""

from __future__ import annotations

from hydro_lab.ir import nodes as N
from hydro_lab.ir.locations import AtomicId, LocationId, TickId
from hydro_lab.ir.program import Program


def _closure_args(node: N.Node, long: bool) -> list[str]:
    parts = []
    for name in ("init", "f"):
        c = getattr(node, name, None)
        if isinstance(c, N.Closure):
            if c.builtin:
                continue
            parts.append(c.text if long else c.label)
    return parts


def node_label(node: N.Node, long: bool = False) -> str:
    """``fold(lambda: 0, lambda acc, x: acc + x)``, ``count()``, ``send(a->b#1 [pickle])``."""
    meta = node.meta
    args = _closure_args(node, long)
    if not args and meta.detail:
        args = [meta.detail]
    if isinstance(node, N.Tee):
        args = []
    nd = node.nondet
    if nd is not None and long:
        args.append(f'nondet("{nd.reason}")')
    text = f"{meta.op}({', '.join(args)})"
    if meta.name:
        text = f"{meta.name}: {text}"
    return text


def _location_header(loc: LocationId) -> str:
    return loc.describe()


def format_program(program: Program, *, long: bool = False, sources: bool = True) -> str:
    """Every node, grouped by root location and then by tick/atomic region, in id order."""
    lines = [f"flow {program.name}"]
    by_loc: dict[LocationId, list[N.Node]] = {}
    for node in program:
        by_loc.setdefault(node.meta.location, []).append(node)
    for root in program.root_locations:
        nested = [loc for loc in program.locations if loc.root == root and loc != root]
        if root not in by_loc and not any(loc in by_loc for loc in nested):
            lines.append(f"{_location_header(root)}: (empty)")
            continue
        lines.append(f"{_location_header(root)}:")
        for node in by_loc.get(root, []):
            lines.append("  " + _node_line(program, node, long, sources))
        for loc in nested:
            if loc not in by_loc:
                continue
            title = f"tick {loc.name}" if isinstance(loc, TickId) else (
                f"atomic region of tick {loc.tick_id.name}" if isinstance(loc, AtomicId)
                else loc.describe())
            lines.append(f"  {title}:")
            for node in by_loc[loc]:
                lines.append("    " + _node_line(program, node, long, sources))
    return "\n".join(lines) + "\n"


def _node_line(program: Program, node: N.Node, long: bool, sources: bool) -> str:
    inputs = ", ".join(f"%{i}" for i in node.inputs())
    head = f"%{node.id} = {node_label(node, long)}"
    if inputs:
        head += f" <- {inputs}"
    kind = node.meta.kind.describe() if node.meta.kind is not None else "root"
    line = f"{head}  :: {kind}"
    if sources and node.meta.source is not None:
        line += f"  # {node.meta.source.where()}"
    return line
