"""Every notebook in notebooks/ outside the workshop's chapters runs top to bottom in a real
kernel, and has a test here. There are none now: the chapters in notebooks/workshop/ are run by
tests/workshop/test_notebooks.py, and what notebooks 00-03 showed is folded into chapters 1-3
and 5 (tests/workshop/test_chapter5.py holds notebook 03's assertions). A notebook added here
needs a test of its own (tests/workshop/kernel.py runs one as JupyterLab does).
"""

from __future__ import annotations

from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_every_notebook_is_tested():
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == set()
