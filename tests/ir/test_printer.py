"""The IR text form: stable, grouped by location, with user lines (golden for estimate_pi)."""

from __future__ import annotations

from pathlib import Path

from hydro_lab import FlowBuilder
from hydro_lab.examples.estimate_pi import estimate_pi, print_estimates
from tests.conftest import assert_snapshot

SNAP = Path(__file__).parent / "snapshots"


def build_pi():
    flow = FlowBuilder("estimate_pi")
    leader, workers = flow.process("leader"), flow.cluster("workers")
    print_estimates(estimate_pi(leader, workers))
    return flow


def test_estimate_pi_text_golden():
    assert_snapshot(build_pi().compile().as_text(), SNAP / "estimate_pi.txt")


def test_printout_is_deterministic():
    assert build_pi().compile().as_text() == build_pi().compile().as_text()


def test_long_labels_show_full_closures_and_nondet_reasons():
    text = build_pi().compile().as_text(long=True)
    assert 'nondet("printing only")' in text
    assert "lambda acc, p: (acc[0] + (p[0] * p[0] + p[1] * p[1] <= 1.0), acc[1] + 1)" in text
