"""finalize/compile: cycle linking and the well-formedness checks, and tee insertion."""

from __future__ import annotations

import pytest

from hydro_lab import FlowBuilder, HydroTypeError, nondet
from hydro_lab.ir import nodes as N
from hydro_lab.ir.check import check_program
from hydro_lab.ir.kinds import stream
from hydro_lab.ir.locations import ProcessId
from hydro_lab.ir.passes import insert_tees
from hydro_lab.ir.program import Program

ND = nondet("test")


def test_forward_ref_through_a_network_hop_compiles():
    flow = FlowBuilder()
    a, b = flow.process("a"), flow.process("b")
    handle, pings = a.forward_ref()
    pongs = pings.send(b).map(lambda x: x + 1).send(a)
    handle.complete(a.source_iter([0]).chain(pongs))
    built = flow.compile()
    cycle = built.program.cycles[0]
    assert cycle.sink_node is not None and cycle.cycle == "forward"


def test_tick_cycle_through_defer_is_fine():
    flow = FlowBuilder()
    p = flow.process("p")
    t = p.tick()
    handle, prev = t.cycle_with_initial(t.singleton(0))
    handle.complete_next_tick(prev.map(lambda x: x + 1))
    prev.all_ticks().for_each(print)
    assert flow.compile().problems == []


def test_same_tick_forward_ref_needs_defer_tick():
    flow = FlowBuilder()
    t = flow.process("p").tick()
    handle, s = t.forward_ref()
    with pytest.raises(HydroTypeError, match="within the same tick"):  # refused at complete()
        handle.complete(s.map(lambda x: x))


def test_same_tick_forward_ref_with_defer_tick_compiles():
    flow = FlowBuilder()
    t = flow.process("p").tick()
    handle, s = t.forward_ref()
    handle.complete(s.map(lambda x: x).defer_tick())
    flow.compile()


def test_a_top_level_cycle_through_batch_and_all_ticks_compiles():
    """Top-level streams are asynchronous: Hydro accepts this cycle (stream/mod.rs,
    sim_top_level_assume_ordering_cycle_back_tick)."""
    flow = FlowBuilder()
    p = flow.process("p")
    t = p.tick()
    handle, s = p.forward_ref()
    handle.complete(s.batch(t, ND).map(lambda x: x).all_ticks())
    assert flow.compile().problems == []


def test_lenient_finalize_reports_open_forward_refs_as_fine():
    flow = FlowBuilder()
    _h, s = flow.process("p").forward_ref()
    s.for_each(print)
    built = flow.finalize(strict=False)
    assert built.problems == []  # open references are allowed while a flow is being written
    with pytest.raises(HydroTypeError, match="never completed"):
        flow.compile()


def test_check_catches_an_edge_between_locations():
    p, q = ProcessId(1, "p"), ProcessId(2, "q")
    src = N.SourceIter(id=3, meta=N.Meta(p, stream(), "source_iter"), iterable=[1])
    bad = N.Map(id=4, meta=N.Meta(q, stream(), "map"), input=3,
                f=N.Closure(fn=str, label="str", text="str"))
    program = Program(nodes={3: src, 4: bad}, locations=(p, q))
    with pytest.raises(HydroTypeError, match="reads %3"):
        check_program(program)
    assert len(check_program(program, strict=False)) == 1


def test_check_catches_a_root_with_a_kind():
    p = ProcessId(1, "p")
    src = N.SourceIter(id=2, meta=N.Meta(p, stream(), "source_iter"), iterable=[1])
    root = N.ForEach(id=3, meta=N.Meta(p, stream(), "for_each"), input=2,
                     f=N.Closure(fn=print, label="print", text="print"))
    with pytest.raises(HydroTypeError, match="carries a kind"):
        check_program(Program(nodes={2: src, 3: root}, locations=(p,)))


def test_tees_are_inserted_for_shared_collections():
    flow = FlowBuilder()
    p = flow.process("p")
    s = p.source_iter([1, 2])
    s.map(str).for_each(print)
    s.filter(bool).for_each(print)
    program = flow.compile().program
    tees = [n for n in program if isinstance(n, N.Tee)]
    assert len(tees) == 1
    tee = tees[0]
    assert tee.input == s.node_id and tee.meta.kind == s.kind_info
    readers = [n for n in program if tee.id in n.inputs()]
    assert sorted(type(n).__name__ for n in readers) == ["Filter", "Map"]
    # the pass is idempotent
    assert insert_tees(program) is program


def test_unconsumed_collections_stay_in_the_program():
    flow = FlowBuilder()
    p = flow.process("p")
    s = p.source_iter([1]).inspect(print)
    assert s.node_id in flow.compile().program.nodes
