"""The ``%%hydro`` cells of a notebook session and the flow they build: running a cell against
the flow, re-running an edited one, undoing one that fails; and the ``In [3]`` labels of cells.

Cells are kept in first-execution order, keyed by the notebook's cell id. A new cell runs on the
current flow; if it fails, the flow goes back to the builder's checkpoint taken before it ran
(``BuildContext.checkpoint``) and the names it bound are unbound. Re-running a known cell
rebuilds the flow from scratch by replaying every recorded cell in order, the re-run one with
its new source, so what a cell defined before is replaced rather than duplicated.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

from hydro_lab.errors import HydroError
from hydro_lab.flow import FlowBuilder
from hydro_lab.ir.source_info import SourceInfo, cell_label, is_internal

MISSING: Any = object()  # "this name was not bound"

_LIBRARY_PREFIXES = tuple(dict.fromkeys((sys.prefix, sys.base_prefix, sys.exec_prefix)))


def ipython_cell_label(filename: str) -> str | None:
    """Map the synthetic file name IPython gives a notebook cell to a label such as ``In [3]``.

    ipykernel compiles each cell into a temporary file name (``/tmp/ipykernel_…/3613790314.py``);
    IPython's compiler remembers which execution count each name belongs to. IPython is only
    looked up when it is already loaded, so plain scripts pay nothing.
    """
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:
        return None
    shell = ipython_module.get_ipython()
    compiler = getattr(shell, "compile", None)
    formatter = getattr(compiler, "format_code_name", None)
    if formatter is None:
        return None
    named = formatter(filename)
    if not named:
        return None
    _kind, label = named  # ("Cell", "In[3]")
    return label.replace("In[", "In [")


def describe_error(err: BaseException) -> str:
    """An error from a cell, short: the message and the user's lines (never ours)."""
    if isinstance(err, HydroError):
        return f"{type(err).__name__}: {err}"  # its message already names the cell and line
    if isinstance(err, SyntaxError) and err.filename:
        site = SourceInfo(err.filename, err.lineno or 0, cell=cell_label(err.filename))
        return f"SyntaxError: {err.msg}\n  at {site.where_with_code()}"
    text = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    for frame in traceback.extract_tb(err.__traceback__):
        filename = frame.filename
        if is_internal(filename) or filename.startswith(_LIBRARY_PREFIXES):
            continue
        site = SourceInfo(filename, frame.lineno or 0, cell=cell_label(filename))
        text += f"\n  at {site.where_with_code()}"
    return text


@dataclass
class Cell:
    """A ``%%hydro`` cell as the session last built it."""

    key: str          # the notebook's cell id, a --cell NAME, or one per execution
    body: str         # the cell without its %%hydro line
    label: str        # "In [3]": the execution that gave this version of the cell
    filename: str     # the name its code is compiled and cached under
    code: Any         # the compiled body
    names: dict[str, Any] = field(default_factory=dict)  # what it bound, to which values
    error: str | None = None  # why it no longer builds (set by a replay), None if it builds


@dataclass
class CellReport:
    """What running a ``%%hydro`` cell did."""

    ok: bool
    label: str
    rebuilt: bool = False          # True when the flow was rebuilt by replaying every cell
    error: str = ""                # the failure, as the user should read it
    summary: str = ""              # one line: what happened to the flow
    broken: list[Cell] = field(default_factory=list)    # other cells that no longer build
    restored: list[Cell] = field(default_factory=list)  # broken cells that build again
    dropped_nodes: int = 0         # nodes built outside %%hydro cells, lost by the rebuild


class _Abandon(Exception):
    """The re-run cell failed during a rebuild: the rebuild is abandoned."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


class HydroCells:
    """The ``%%hydro`` cells of one shell, in first-execution order, and the flow they build
    in the shell's namespace (bound there as ``flow``)."""

    def __init__(self, shell: Any, flow_name: str = "flow"):
        self.shell = shell
        self.flow_name = flow_name
        self.flow = FlowBuilder(flow_name)
        self.cells: dict[str, Cell] = {}
        self.building: str | None = None    # the key of the cell being built (tags its nodes)
        self._originals: dict[str, Any] = {}  # name -> its value before a %%hydro cell bound it

    def run(self, key: str, body: str, header: str, number: int | None) -> CellReport:
        """Build a ``%%hydro`` cell (``body``, below its ``%%hydro header`` line, executed as
        ``In [number]``): add it if ``key`` is new, else rebuild the flow with its new source."""
        label = f"In [{number}]"
        text = f"# %%hydro {header}".rstrip() + "\n" + body  # lines numbered as in the cell
        # The key makes the cached name unique even when two cells hold the same text.
        filename = self.shell.compile.cache(text, number, raw_code=f"{text}\n# {key}")
        try:
            code = compile(text, filename, "exec", dont_inherit=True)
        except SyntaxError as err:
            return _refused(label, describe_error(err), rerun=key in self.cells)
        cell = Cell(key, body, label, filename, code)
        if key in self.cells:
            return self._rebuild(cell)
        return self._add(cell)

    def reset(self) -> None:
        """No cells and an empty flow; the names the cells bound get their old values back."""
        self._unbind()
        self.cells = {}
        self._originals = {}
        self.flow = FlowBuilder(self.flow_name)
        self.shell.user_ns["flow"] = self.flow

    @property
    def broken(self) -> list[Cell]:
        """The cells that no longer build (a cell they use was edited)."""
        return [c for c in self.cells.values() if c.error is not None]

    def _add(self, cell: Cell) -> CellReport:
        err, names = self._build(cell)
        if err is not None:
            return _refused(cell.label, describe_error(err), rerun=False)
        cell.names = names
        self.cells[cell.key] = cell
        return CellReport(True, cell.label)

    def _rebuild(self, changed: Cell) -> CellReport:
        ns = self.shell.user_ns
        saved_ns, saved_flow = dict(ns), self.flow
        old_program = self.flow.ir()
        self._unbind()
        self.flow = FlowBuilder(self.flow_name)
        # the same flow, edited: its ports are told from another flow's by this id, so a port
        # of the version deployed reads as a port of an edited flow (see Topology.port)
        self.flow._ctx.graph.flow_id = saved_flow._ctx.graph.flow_id
        rebuilt: list[Cell] = []
        broken: list[Cell] = []
        restored: list[Cell] = []
        try:
            for old in self.cells.values():
                cell = changed if old.key == changed.key else replace(old, names={}, error=None)
                err, names = self._build(cell, quiet=cell is not changed)
                if err is not None and cell is changed:
                    raise _Abandon(err)
                if err is not None:
                    cell.error = describe_error(err)
                    broken.append(cell)
                else:
                    cell.names = names
                    if old.error is not None and cell is not changed:
                        restored.append(cell)
                rebuilt.append(cell)
        except BaseException as err:  # the cell failed, or an interrupt: put everything back
            _restore_namespace(ns, saved_ns)
            self.flow = saved_flow
            if isinstance(err, _Abandon):
                return _refused(changed.label, describe_error(err.error), rerun=True)
            raise
        self.cells = {c.key: c for c in rebuilt}
        dropped = sum(1 for n in old_program.nodes.values()
                      if n.meta.source is not None and n.meta.source.cell_id is None)
        return CellReport(True, changed.label, rebuilt=True, broken=broken, restored=restored,
                          dropped_nodes=dropped)

    def _build(self, cell: Cell, quiet: bool = False) -> tuple[BaseException | None,
                                                                dict[str, Any]]:
        """Run one cell on the flow; if it raises, the flow goes back to its checkpoint and the
        namespace to what it was."""
        ns = self.shell.user_ns
        before = dict(ns)
        ctx = self.flow._ctx
        mark = ctx.checkpoint()
        ns["flow"] = self.flow
        self.building = cell.key
        try:
            with _captured() if quiet else nullcontext():
                exec(cell.code, ns)
        except BaseException as err:
            ctx.rollback(mark)
            _restore_namespace(ns, before)
            if not isinstance(err, Exception):
                raise  # KeyboardInterrupt: undone, and still an interrupt
            return err, {}
        finally:
            self.building = None
        if isinstance(ns.get("flow"), FlowBuilder) and ns["flow"] is not self.flow:
            self.flow = ns["flow"]  # the cell made its own FlowBuilder: it is the session's now
        ns["flow"] = self.flow
        names = {k: v for k, v in ns.items()
                 if k != "flow" and before.get(k, MISSING) is not v}
        for k in names:
            self._originals.setdefault(k, before.get(k, MISSING))
        return None, names

    def _unbind(self) -> None:
        """Give back the names the cells bound their value from before (the user may have
        rebound one since: that one is left alone)."""
        ns = self.shell.user_ns
        bound: dict[str, Any] = {}
        for cell in self.cells.values():
            bound.update(cell.names)
        for name, value in bound.items():
            if ns.get(name, MISSING) is value:
                original = self._originals.get(name, MISSING)
                if original is MISSING:
                    ns.pop(name, None)
                else:
                    ns[name] = original


def _refused(label: str, error: str, *, rerun: bool) -> CellReport:
    if rerun:
        summary = (f"%%hydro cell {label} was not rebuilt: the flow keeps the cell's "
                   "previous version")
    else:
        summary = f"%%hydro cell {label} was not added: the flow is unchanged"
    return CellReport(False, label, error=error, summary=summary)


def _restore_namespace(ns: dict[str, Any], saved: dict[str, Any]) -> None:
    for k in [k for k in ns if k not in saved]:
        del ns[k]
    for k, v in saved.items():
        if ns.get(k, MISSING) is not v:
            ns[k] = v


@contextmanager
def _captured() -> Iterator[None]:
    """Swallow what a replayed cell prints or displays: it showed that when it first ran."""
    from IPython.utils.capture import capture_output

    with capture_output():
        yield
