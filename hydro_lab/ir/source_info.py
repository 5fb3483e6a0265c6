"""Where in the user's code something was built: file or notebook cell, and line.

Every IR node records the user call site that created it, so graphs link back to source and error
messages point at the user's line rather than at hydro_lab's internals. Frames inside the
``hydro_lab`` package are skipped, except ``hydro_lab/examples`` (which is user-style code).

Notebook cells: IPython compiles each cell under a synthetic file name. ``<ipython-input-N-…>``
is understood here; other front ends (ipykernel's temporary files) register a resolver with
:func:`register_cell_resolver` that maps a file name to a cell label.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_EXAMPLES_DIR = os.path.join(_PACKAGE_DIR, "examples")
_IPYTHON_INPUT = re.compile(r"<ipython-input-(\d+)-[0-9a-f]+>")

# file name -> cell label such as "In [3]" (or None when the resolver does not know the file)
_cell_resolvers: list[Callable[[str], str | None]] = []


def register_cell_resolver(resolver: Callable[[str], str | None]) -> None:
    """Let a notebook front end name the cell a synthetic file name belongs to."""
    if resolver not in _cell_resolvers:
        _cell_resolvers.append(resolver)


def unregister_cell_resolver(resolver: Callable[[str], str | None]) -> None:
    if resolver in _cell_resolvers:
        _cell_resolvers.remove(resolver)


def cell_label(filename: str) -> str | None:
    """The notebook cell a file name stands for, or None for ordinary files."""
    for resolver in reversed(_cell_resolvers):
        label = resolver(filename)
        if label:
            return label
    m = _IPYTHON_INPUT.fullmatch(filename)
    if m:
        return f"In [{m.group(1)}]"
    return None


@dataclass(frozen=True)
class SourceInfo:
    """A user call site. ``cell`` is set for notebook cells (e.g. ``In [3]``)."""

    filename: str
    line: int
    function: str = ""
    cell: str | None = None
    cell_id: str | None = None

    @property
    def code(self) -> str:
        """The text of the line, stripped ('' when the source is not available)."""
        return linecache.getline(self.filename, self.line).strip()

    def where(self) -> str:
        """``notebook cell In [3], line 2`` or ``pipeline.py, line 14``."""
        if self.cell:
            return f"notebook cell {self.cell}, line {self.line}"
        return f"{os.path.basename(self.filename)}, line {self.line}"

    def where_with_code(self) -> str:
        code = self.code
        return f"{self.where()}: {code}" if code else self.where()


def is_internal(filename: str) -> bool:
    """True for frames inside hydro_lab's own code (not its examples)."""
    path = os.path.abspath(filename)
    return path.startswith(_PACKAGE_DIR + os.sep) and not path.startswith(_EXAMPLES_DIR + os.sep)


def from_frame(frame: FrameType, cell_id: str | None = None) -> SourceInfo:
    filename = frame.f_code.co_filename
    return SourceInfo(
        filename=filename,
        line=frame.f_lineno,
        function=frame.f_code.co_name,
        cell=cell_label(filename),
        cell_id=cell_id,
    )


def user_frame(start: FrameType | None = None) -> FrameType | None:
    """The innermost frame that is not hydro_lab's own code."""
    frame = start if start is not None else sys._getframe(1)
    while frame is not None and is_internal(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def capture(start: FrameType | None = None) -> SourceInfo | None:
    """The user call site of the current hydro_lab call (None if there is no user frame)."""
    frame = user_frame(start if start is not None else sys._getframe(1))
    return None if frame is None else from_frame(frame, current_cell_id())


# The notebook layer sets this while a cell runs so that nodes record the cell they came from.
_cell_id_provider: Callable[[], str | None] | None = None


def set_cell_id_provider(provider: Callable[[], str | None] | None) -> None:
    global _cell_id_provider
    _cell_id_provider = provider


def current_cell_id() -> str | None:
    return _cell_id_provider() if _cell_id_provider is not None else None
