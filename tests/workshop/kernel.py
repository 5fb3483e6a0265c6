"""Running a notebook in a real kernel as JupyterLab does, and reading what it showed (shared by
tests/workshop and tests/notebooks).

Cells are executed as JupyterLab executes them: each execute_request carries the cell's id
(``%%hydro`` cells recognize a re-run by it; nbclient sends none). ``twice=True`` runs every
code cell twice in a row, as a student re-runs a cell.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbclient import NotebookClient

WIDGET = "application/vnd.jupyter.widget-view+json"


class LabClient(NotebookClient):
    """Sends the cell's id with each execution; with ``twice``, runs every code cell twice in a
    row: the notebook keeps the outputs of the second run (later cells update its displays),
    ``firsts`` those of the first."""

    def __init__(self, *args, twice: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.twice = twice
        self.firsts: dict[int, list] = {}
        self._cell_id: str | None = None

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()

        def execute(code, store_history=True, stop_on_error=True, **_options):
            msg = kc.session.msg("execute_request", {
                "code": code, "silent": False, "store_history": store_history,
                "user_expressions": {}, "allow_stdin": False, "stop_on_error": stop_on_error})
            msg["metadata"]["cellId"] = self._cell_id  # what JupyterLab sends
            kc.shell_channel.send(msg)
            return msg["header"]["msg_id"]

        kc.execute = execute
        return kc

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        self._cell_id = cell.get("id")
        await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell.cell_type == "code":
            self.firsts[cell_index] = copy.deepcopy(cell.outputs)
            if self.twice:
                for shown in self._display_id_map.values():  # a re-run clears its outputs
                    shown.pop(cell_index, None)
                await super().async_execute_cell(cell, cell_index, None, store_history)
        return cell


def execute(nb: nbformat.NotebookNode, cwd: Path, *, twice: bool = True) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in a fresh kernel started in ``cwd``; fails on an error output
    of any first run (the second's: ``assert_no_errors``). ``nb.metadata["firsts"]`` keeps the
    first run's outputs of each code cell."""
    # JupyterLab has no deadline for a cell's outputs; nbclient stops reading them 4 s after the
    # reply by default (a loaded machine lags that much behind the dashboard's updates) and drops
    # the rest silently: wait as long as a cell may run, and fail loudly if even that passes.
    client = LabClient(nb, twice=twice, timeout=120, iopub_timeout=120,
                       raise_on_iopub_timeout=True, kernel_name="python3",
                       resources={"metadata": {"path": str(cwd)}})
    client.execute()
    errors = [f"cell {i}: {o['ename']}: {o['evalue']}" for i, outs in client.firsts.items()
              for o in outs if o.get("output_type") == "error"]
    assert not errors, errors
    nb.metadata["firsts"] = client.firsts
    return nb


def first_outputs(nb, starts: str) -> list[dict]:
    """The outputs of the first run of the (first) code cell whose source starts so."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.startswith(starts):
            return nb.metadata["firsts"][index]
    raise AssertionError(f"no cell starts with {starts!r}")


def outputs(nb) -> list[dict]:
    """Every output of every code cell."""
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def text_of(nb) -> str:
    """The plain text of every stream and of every output with a text/plain form."""
    parts = []
    for o in outputs(nb):
        if o.get("output_type") == "stream":
            parts.append(o["text"])
        elif "data" in o and "text/plain" in o["data"]:
            parts.append(o["data"]["text/plain"])
    return "\n".join(parts)


def cell_outputs(nb, starts: str) -> list[dict]:
    """The outputs of the (first) code cell whose source starts with ``starts``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(starts):
            return cell.get("outputs", [])
    raise AssertionError(f"no cell starts with {starts!r}")


def plain(outs: list[dict]) -> str:
    """The plain text of these outputs."""
    return "\n".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in outs)


def assert_no_errors(nb) -> None:
    """No cell shows an error."""
    errors = [o for o in outputs(nb) if o.get("output_type") == "error"]
    assert not errors, [f"{e['ename']}: {e['evalue']}" for e in errors]


def assert_saved_small(nb) -> None:
    """BokehJS went to the page and not into the notebook (it made a notebook 8.4 MB saved)."""
    assert not [o for o in outputs(nb) if "application/javascript" in o.get("data", {})]
    assert len(nbformat.writes(nb)) < 1_000_000
