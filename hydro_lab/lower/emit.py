"""Walk a finalized IR program once and build one DFIR graph per root location.

Each IR node is lowered by the rule registered for its type in ``lower.rules``; a rule returns a
``Ref`` to the DFIR operator that produces the node's collection (or to its input, for nodes that
are free at run time: batch, all_ticks, casts...). A network edge becomes a ``dest_port`` in the
sender's graph and a ``source_stream`` in the receiver's, both named by one ``ChannelSpec`` that
also carries the edge's codec. Cycles are linked once every node is lowered.
"""

from __future__ import annotations

from hydro_lab.dfir.graph import DfirGraph
from hydro_lab.ir import nodes as N
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
            delay = "tick" if ref.delay else None
            if delay is None and _waits_in_cycle(ctx.program, cycle.source_node, sink.input):
                delay = "async"  # fed back in the next tick, which it makes run
            if delay is None and _closed_loop(ctx.program, cycle.source_node, sink.input):
                # nothing enters the cycle: its element-wise operators need a head to start at
                graph.operators[target].op = "handoff"
            graph.connect(ref.op, target, 0, delay)
        else:
            _, target = ctx.tick_targets[cycle.ident]
            if ref.delay:  # already one tick late: add one more tick through an identity
                mid = graph.add("identity", label="defer_tick()")
                graph.connect(ref.op, mid.id, 0, "tick")
                ref = Ref(mid.id)
            graph.connect(ref.op, target, 0, "tick")


# the inputs an operator reads in full before it emits (a DFIR stratum boundary)
_WAITING_INPUTS = {N.Fold: ("input",), N.Reduce: ("input",), N.FoldKeyed: ("input",),
                   N.ReduceKeyed: ("input",), N.ReduceKeyedWatermark: ("input", "watermark"),
                   N.FoldKeyedEarlyStop: ("input",), N.Sort: ("input",),
                   N.Difference: ("neg",), N.AntiJoin: ("neg",),
                   N.CrossSingleton: ("singleton",), N.FilterIf: ("signal",)}


def _closed_loop(program: Program, source: int, start: int) -> bool:
    """Whether the cycle from ``source`` back to ``start`` is a chain of one-input nodes: no
    other collection enters it."""
    node_id = start
    while node_id != source:
        inputs = program.nodes[node_id].inputs()
        if len(inputs) != 1:
            return False
        node_id = inputs[0]
    return True


def _waits_in_cycle(program: Program, source: int, start: int) -> bool:
    """Whether the top-level cycle from ``source`` back to ``start`` passes an input that an
    operator reads in full before it emits (a fold, the negative side of a difference, a
    singleton...). Such a cycle cannot settle within one tick; since top-level streams are
    asynchronous (as in Hydro), its feedback is delivered in the next tick instead."""
    seen: set[int] = set()
    stack = [(start, False)]
    while stack:
        node_id, waited = stack.pop()
        if node_id == source:
            if waited:
                return True
            continue
        if (node_id, waited) in seen:
            continue
        seen.add((node_id, waited))
        node = program.nodes[node_id]
        if isinstance(node, (N.DeferTick, N.Network)):
            continue  # already delayed: not a same-tick path
        waiting = _WAITING_INPUTS.get(type(node), ())
        for name in node.INPUTS:
            src = getattr(node, name)
            if src is not None:
                stack.append((src, waited or name in waiting))
    return False
