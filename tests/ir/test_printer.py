"""The IR text form: stable, grouped by location, with user lines (golden for estimate_pi)."""

from __future__ import annotations

from pathlib import Path

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
