"""Every notebook in notebooks/ outside the workshop's chapters runs top to bottom in a real
kernel, and shows what it should; every cell runs twice in a row, as a student re-runs a cell,
and runs again without error. (The chapters in notebooks/workshop/ are run by
tests/workshop/test_notebooks.py, which also holds what notebooks 00-02 showed, folded into
chapters 1-3.)
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from tests.workshop.kernel import (
    WIDGET,
    assert_no_errors,
    assert_saved_small,
    cell_outputs,
    execute,
    plain,
)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run(name: str) -> nbformat.NotebookNode:
    return execute(nbformat.read(NOTEBOOKS / name, as_version=4), NOTEBOOKS)


def test_every_notebook_is_tested():
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == {"03_two_phase_commit.ipynb"}


def test_03_two_phase_commit_blocks_on_a_dead_participant_and_stays_safe():
    nb = run("03_two_phase_commit.ipynb")
    assert_no_errors(nb)
    assert "[('t1', 'commit'), ('t2', 'abort')]" in plain(cell_outputs(nb, "to_coordinator"))
    blocked = plain(cell_outputs(nb, "late = "))
    assert "decided while participant 2 was dead: []" in blocked
    assert "alive: ['coordinator', 'participants[0]', 'participants[1]']" in blocked
    assert "('t4', 'commit')" in plain(cell_outputs(nb, "deployment.restart"))
    dash = cell_outputs(nb, "%hydro dashboard")
    assert_saved_small(nb)
    assert "4 of 4 instances running" in plain(dash)
    assert any(WIDGET in o.get("data", {}) for o in cell_outputs(nb, "decided"))
    assert "300 executions, all safe" in plain(cell_outputs(nb, "def body"))
