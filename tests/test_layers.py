"""The package layers import downwards only (import-linter contract in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


CONTRACTS = [  # STYLE.md rule 1, as pyproject.toml's [tool.importlinter] says it
    "layers import downwards only (STYLE.md rule 1)",
    "std is written in the public language: it imports lang, ir, member ids and errors only",
    "deploy and sim are sibling drivers over the instance core: neither imports the other",
    "the instance core knows no driver, view or notebook",
    "the instance core does no I/O: it imports no transport, notebook or plotting library",
    "dfir stands alone: it does not know Hydro's IR (as dfir_rs does not know hydro_lang)",
    "building, the IR, lowering and DFIR import no heavy library (ray, bokeh, IPython, ...)",
    "only the Ray backend imports Ray",
]


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("import-linter is not installed: `pip install -e .[test]` (or `make setup`) "
                    "installs it; the layers are part of the design and are checked here")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())  # lint-imports wraps long contract names
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in out
    for name in CONTRACTS:
        assert f"{name} KEPT" in out, name


def test_heavy_dependencies_are_not_imported_by_the_builder():
    code = ("import sys, hydro_lab\n"
            "f = hydro_lab.FlowBuilder(); f.process('p').source_iter([1]).for_each(print)\n"
            "heavy = [m for m in ('ray', 'bokeh', 'pandas', 'ipywidgets', 'IPython', 'graphviz')"
            " if m in sys.modules]\nprint(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
