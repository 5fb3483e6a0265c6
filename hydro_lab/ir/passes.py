"""Program → Program rewrites used by ``finalize``.

``insert_tees``: a collection read by several operators gets a ``Tee`` node that fans it out, as
in Hydro's IR (the DFIR lowering needs one producer per edge). The tee keeps the node's location
and kind; new ids continue after the largest one, so existing ids do not change.
"""

from __future__ import annotations

from dataclasses import replace

from hydro_lab.ir import nodes as N
from hydro_lab.ir.program import Program
from hydro_lab.ir.traverse import consumers


def insert_tees(program: Program) -> Program:
    readers = consumers(program)
    nodes = dict(program.nodes)
    next_id = max(nodes, default=0) + 1
    redirect: dict[int, int] = {}
    for node_id, reads in sorted(readers.items()):
        if len(reads) < 2 or isinstance(nodes[node_id], N.Tee):
            continue
        src = nodes[node_id]
        tee = N.Tee(id=next_id, meta=replace(src.meta, op="tee", name=None, detail=""),
                    input=node_id)
        nodes[tee.id] = tee
        redirect[node_id] = tee.id
        next_id += 1
    if not redirect:
        return program
    for node_id, node in list(nodes.items()):
        if isinstance(node, N.Tee):
            continue
        changes = {f: redirect[getattr(node, f)] for f in node.INPUTS
                   if getattr(node, f) in redirect}
        if changes:
            nodes[node_id] = node.replace(**changes)
    return replace(program, nodes=nodes)
