"""The IR text form: stable, grouped by location, with user lines (golden for estimate_pi)."""

from __future__ import annotations

from pathlib import Path

from hydro_lab import FlowBuilder, nondet
from hydro_lab.ir import nodes as N
from hydro_lab.ir.printer import format_program
from tests.conftest import assert_snapshot
from tests.flows import pi_flow as build_pi

SNAP = Path(__file__).parent / "snapshots"


def test_estimate_pi_text_golden():
    assert_snapshot(build_pi().compile().as_text(), SNAP / "estimate_pi.txt")


def test_printout_is_deterministic():
    assert build_pi().compile().as_text() == build_pi().compile().as_text()


def test_long_labels_show_full_closures_and_nondet_reasons():
    text = build_pi().compile().as_text(long=True)
    assert 'nondet("printing only")' in text
    assert "lambda acc, p: (acc[0] + (p[0] * p[0] + p[1] * p[1] <= 1.0), acc[1] + 1)" in text


def watch_flow():
    """A stream watched as it is, a count watched with its nondet (it changes over time), and a
    plain dest_sink."""
    flow = FlowBuilder("watched")
    p = flow.process("p")
    _port, s = p.source_external(flow.external("client"))
    s.watch(name="seen")
    s.count().watch(name="count", nondet=nondet("dashboard only"))
    s.dest_sink([])
    return flow


def test_watches_text_golden():
    """A watch is a root of its own: its sink node is marked ``watch`` and prints as one."""
    program = watch_flow().finalize().program
    assert_snapshot(format_program(program, long=True, sources=False),
                    SNAP / "watched.txt")
    sinks = [(n.meta.op, n.watch) for n in program.nodes.values() if isinstance(n, N.DestSink)]
    assert sinks == [("watch", True), ("watch", True), ("dest_sink", False)]
