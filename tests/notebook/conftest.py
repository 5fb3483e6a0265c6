"""An IPython shell with ``%load_ext hydro_lab``, fresh for every test, and a way to run cells
in it the way a front end does (with a cell id) while capturing what they show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from hydro_lab.viz import MIME_TYPE


@dataclass
class Ran:
    """One executed cell: its result and everything it printed and displayed."""

    result: Any
    stdout: str
    stderr: str
    outputs: list  # IPython RichOutput: .data, .update, .transient

    @property
    def ok(self) -> bool:
        return self.result.success

    @property
    def error(self) -> BaseException | None:
        return self.result.error_in_exec or self.result.error_before_exec

    def graphs(self) -> list:
        return [o for o in self.outputs if MIME_TYPE in o.data]

    def graph(self) -> dict:
        """The graph payload of the last graph output."""
        return self.graphs()[-1].data[MIME_TYPE]


@pytest.fixture(scope="module")
def shell():
    InteractiveShell.clear_instance()  # not a shell another module left, with its history
    config = Config()
    config.HistoryAccessor.enabled = False  # no history database (too many open files)
    yield InteractiveShell.instance(config=config)
    InteractiveShell.clear_instance()


@pytest.fixture
def ip(shell):
    shell.reset(new_session=False)
    shell.execution_count = 1  # cells are In [1], In [2], ... in every test
    shell.config.pop("HydroMagics", None)  # %config keeps options in the shell's config
    shell.run_line_magic("load_ext", "hydro_lab")
    yield shell
    shell.run_line_magic("unload_ext", "hydro_lab")


@pytest.fixture
def session(ip):
    from hydro_lab.notebook.magics import _loaded

    return _loaded[id(ip)].session


@pytest.fixture
def run(ip):
    def run(source: str, cell_id: str | None = None) -> Ran:
        with capture_output() as cap:
            result = ip.run_cell(source, store_history=True, cell_id=cell_id)
        return Ran(result, cap.stdout, cap.stderr, list(cap.outputs))

    return run
