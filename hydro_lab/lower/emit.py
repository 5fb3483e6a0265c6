"""Walk a finalized IR program once and build one DFIR graph per root location.

Each IR node is lowered by the rule registered for its type in ``lower.rules``; a rule returns a
``Ref`` to the DFIR operator that produces the node's collection (or to its input, for nodes that
are free at run time: batch, all_ticks, casts...). A network edge becomes a ``dest_port`` in the
sender's graph and a ``source_stream`` in the receiver's, both named by one ``ChannelSpec`` that
also carries the edge's codec. Cycles are linked once every node is lowered.
"""

from __future__ import annotations

from hydro_lab.dfir.graph import DfirGraph
from hydro_lab.ir.locations import ClusterId, ProcessId
from hydro_lab.ir.program import Program
from hydro_lab.ir.traverse import toposort
from hydro_lab.lower.context import LowerContext, LoweredFlow, Ref
from hydro_lab.lower.rules import LOWERINGS


def lower_program(program: Program, *, sim: bool = False,
                  check_claims: bool = False) -> LoweredFlow:
    """``sim=True`` lowers batches, snapshots and assumed orderings to operators that ask a
    simulator's chooser (``dfir.ops.nondet``) instead of taking whatever arrived in the tick.
    ``check_claims`` (with ``sim``) also puts a ``sim_claim`` before every aggregation whose
    ``commutative=``/``idempotent=`` claim its input needs: the simulator then reorders (and
    duplicates) what the claim says does not matter."""
    roots = [loc for loc in program.locations if loc.root is loc and
             isinstance(loc, (ProcessId, ClusterId))]
    ctx = LowerContext(program, {loc: DfirGraph(loc.describe()) for loc in roots}, sim=sim,
                       check_claims=sim and check_claims)
    for node_id in toposort(program.nodes):
        node = program.nodes[node_id]
        ref = LOWERINGS[type(node)](ctx, node)
        if ref is not None:
            ctx.refs[node.id] = ref
    _link_cycles(ctx)
    return LoweredFlow(ctx.graphs, ctx.channels, list(program.ports), roots, ctx.sinks,
                       ctx.watches, ctx.sources)


def _link_cycles(ctx: LowerContext) -> None:
    for cycle in ctx.program.cycles:
        if cycle.sink_node is None:
            continue
        sink = ctx.program.nodes[cycle.sink_node]
        ref = ctx.refs[sink.input]
        graph = ctx.graphs[sink.meta.location.root]
        if cycle.cycle == "forward":
            _, target = ctx.forward_targets[cycle.ident]
            graph.connect(ref.op, target, 0, "tick" if ref.delay else None)
        else:
            _, target = ctx.tick_targets[cycle.ident]
            if ref.delay:  # already one tick late: add one more tick through an identity
                mid = graph.add("identity", label="defer_tick()")
                graph.connect(ref.op, mid.id, 0, "tick")
                ref = Ref(mid.id)
            graph.connect(ref.op, target, 0, "tick")
