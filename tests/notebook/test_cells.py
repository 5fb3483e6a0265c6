"""``hydro_lab/notebook/cells.py``: a ``%%hydro`` cell that fails is undone through the flow's
checkpoint, whatever it did to what earlier cells built; an edited cell replaces its nodes."""

from __future__ import annotations

from hydro_lab import FlowBuilder
from hydro_lab.ir.printer import format_program

EARLIER = ("%%hydro\np = flow.process('p')\nq = flow.process('q')\nclients = flow.external('c')\n"
           "nums = p.source_iter([1, 2, 3])\nhandle, loop = p.forward_ref()\n"
           "port, messages, events, replies = p.bidi_external(clients)\n")
# Everything a cell can do to the flow: new nodes, a location, a channel number, a name given
# to an earlier node, an earlier cycle completed, an earlier port's replies filled in.
MEDDLES = ("%%hydro\nnums.ir_node_named('numbers')\nr = flow.process('r')\n"
           "nums.send_bincode(q).for_each(print)\nhandle.complete(loop.map(str))\n"
           "replies.complete(messages)\n")
LATER = "%%hydro\nsent = nums.send_bincode(q)\nsent.for_each(print)\n"


def text(flow: FlowBuilder) -> str:
    return format_program(flow.ir(), long=True)


def test_a_failing_cell_leaves_the_flow_exactly_as_it_was(ip, run, session):
    assert run(EARLIER, "c1").ok
    before = text(session.flow)
    ran = run(MEDDLES + "raise ValueError('oops')\n", "c2")
    assert not ran.ok and "ValueError: oops" in ran.stderr
    assert text(session.flow) == before  # ids, names, the cycle and the port: all as before
    assert "r" not in ip.user_ns and list(session.cells) == ["c1"]
    # the names, ids and channel numbers it took are free again: the fixed cell builds the
    # same flow as if the failing one had never run
    assert run(MEDDLES, "c2").ok and run(LATER, "c3").ok
    fresh = FlowBuilder()
    ns = {"flow": fresh}
    for cell in (EARLIER, MEDDLES, LATER):
        exec(cell.removeprefix("%%hydro\n"), ns)
    strip = format_program(fresh.ir(), long=True, sources=False)
    assert format_program(session.flow.ir(), long=True, sources=False) == strip
    assert "p->q#2" in strip  # the later send is the second channel, as numbered afresh


def test_an_edited_cell_replaces_its_nodes(ip, run, session):
    assert run(EARLIER, "c1").ok and run(LATER, "c2").ok
    ran = run(LATER.replace("for_each(print)", "map(str).for_each(print)"), "c2")
    assert ran.ok, ran.stderr
    ops = [n.meta.op for n in session.flow.ir().nodes.values() if n.meta.source.cell_id == "c2"]
    assert ops.count("for_each") == 1 and ops.count("map") == 1
    assert [h.name for h in session.flow.locations] == ["p", "q", "c"]
