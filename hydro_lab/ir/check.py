"""Well-formedness of a finished program (what ``finalize`` checks before compiling).

* every forward reference and tick cycle was completed (exactly once: a second completion is
  refused when it is attempted);
* no cycle inside a tick without a tick delay: it must pass a ``defer_tick``, a tick cycle or a
  network hop (a top-level ``forward_ref`` cycle is asynchronous, as in Hydro, and runs);
* every edge stays at one root location, except network edges, and moves between the top level,
  ticks and atomic regions only through the operators made for it;
* every node that produces a collection has a kind, and roots have none.
"""

from __future__ import annotations

from hydro_lab.errors import HydroTypeError
from hydro_lab.ir import nodes as N
from hydro_lab.ir.locations import AtomicId, ClusterId, LocationId, ProcessId, TickId
from hydro_lab.ir.program import Program
from hydro_lab.ir.traverse import strongly_connected


def _where(node: N.Node) -> str:
    src = node.meta.source
    return f" (at {src.where_with_code()})" if src else ""


def check_program(program: Program, *, strict: bool = True) -> list[str]:
    """Raise HydroTypeError on the first problem; with ``strict=False`` return the problems
    (open cycles are then allowed: a notebook draws a flow that is still being written)."""
    problems: list[str] = []

    def fail(message: str) -> None:
        if strict:
            raise HydroTypeError(message, op="compile")
        problems.append(message)

    for cycle in program.cycles:
        if cycle.sink_node is None and strict:
            made = f" (created at {cycle.created_at.where_with_code()})" if cycle.created_at else ""
            verb = "complete_next_tick" if cycle.cycle == "tick" else "complete"
            fail(f"compile: {'tick cycle' if cycle.cycle == 'tick' else 'forward reference'} "
                 f"{cycle.ident}{made} was never completed.\n"
                 f"  Fix: call handle.{verb}(collection) with the collection it stands for.")

    for node in program:
        _check_kind(node, fail)
        _check_edges(program, node, fail)

    _check_synchronous_cycles(program, fail)
    return problems


def _check_kind(node: N.Node, fail) -> None:
    if node.IS_ROOT and node.meta.kind is not None:
        fail(f"internal IR error: root %{node.id} ({type(node).__name__}) carries a kind")
    if not node.IS_ROOT and node.meta.kind is None:
        fail(f"internal IR error: node %{node.id} ({type(node).__name__}) has no kind")


def _check_edges(program: Program, node: N.Node, fail) -> None:
    here = node.meta.location
    for src_id in node.inputs():
        src = program.nodes.get(src_id)
        if src is None:
            fail(f"internal IR error: %{node.id} reads missing node %{src_id}")
            continue
        there = src.meta.location
        if isinstance(node, N.Network):
            if not isinstance(here, (ProcessId, ClusterId)):
                fail(f"internal IR error: network %{node.id} ends at {here.describe()}")
            continue
        if not _edge_allowed(node, here, there):
            fail(f"compile: %{node.id} {node.meta.op} at {here.describe()} reads %{src_id} "
                 f"{src.meta.op} at {there.describe()}{_where(node)}.\n"
                 "  Fix: operators combine collections at one location; use send/batch/"
                 "snapshot/all_ticks to move between them.")


def _edge_allowed(node: N.Node, here: LocationId, there: LocationId) -> bool:
    if isinstance(node, N.Batch):
        return isinstance(here, TickId) and (
            there == here.outer or (isinstance(there, AtomicId) and there.tick_id == here))
    if isinstance(node, N.YieldConcat):  # all_ticks/latest, or all_ticks_atomic
        return isinstance(there, TickId) and (
            here == there.outer or (isinstance(here, AtomicId) and here.tick_id == there))
    if isinstance(node, N.BeginAtomic):
        return isinstance(here, AtomicId) and there == here.root
    if isinstance(node, N.EndAtomic):
        return isinstance(there, AtomicId) and here == there.root
    if isinstance(node, N.ReduceKeyedWatermark):
        return here.root == there.root
    return here == there


def _check_synchronous_cycles(program: Program, fail) -> None:
    """A cycle whose every edge is synchronous would have to reach a fixpoint inside one tick."""
    edges: dict[int, set[int]] = {nid: set() for nid in program.nodes}
    for node in program:
        if isinstance(node, (N.DeferTick, N.Network)):
            continue  # delayed: the value is seen in a later tick
        for src in node.inputs():
            edges.setdefault(src, set()).add(node.id)
    for cycle in program.cycles:
        # a top-level forward reference is asynchronous (as in Hydro): its cycle runs to a
        # fixpoint within a tick, or across ticks where it passes an operator that waits for
        # its whole input (``lower.emit``); only a forward reference inside a tick must settle
        # within that tick
        if cycle.cycle == "forward" and cycle.sink_node is not None and \
                isinstance(cycle.location, TickId):
            edges.setdefault(cycle.sink_node, set()).add(cycle.source_node)
    for comp in strongly_connected(edges):
        if len(comp) == 1 and comp[0] not in edges.get(comp[0], ()):
            continue
        members = set(comp)
        refs = [c for c in program.cycles if c.source_node in members]
        named = refs[0] if refs else None
        made = ""
        if named is not None and named.created_at is not None:
            made = f" created at {named.created_at.where_with_code()}"
        fail(f"compile: the cycle through {named.ident if named else 'nodes ' + str(comp)}{made} "
             "has no tick delay, so it would have to settle within a single tick.\n"
             "  Fix: delay the feedback by a tick with .defer_tick() (inside a tick) or use "
             "tick.cycle()/complete_next_tick, or route it through a network send.")
