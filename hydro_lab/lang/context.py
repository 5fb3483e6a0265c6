"""The build context shared by every handle of one flow, and the operator call wrapper.

``BuildContext`` holds the IR builder and maps location ids back to the user's location handles;
its ``checkpoint``/``rollback`` take all of it back to an earlier point (a refused call, a notebook
cell that fails).
``operator`` wraps every public builder call: it records the user's call site once (the outermost
hydro_lab call), names the operator that creates each node, and re-raises rule violations from the
user's frame with the user's file/cell and line in the message.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from hydro_lab.errors import HydroTypeError
from hydro_lab.ir import source_info
from hydro_lab.ir.builder import Checkpoint, GraphBuilder
from hydro_lab.ir.locations import LocationId
from hydro_lab.ir.source_info import SourceInfo

F = TypeVar("F", bound=Callable[..., Any])

_SITE: contextvars.ContextVar[SourceInfo | None] = contextvars.ContextVar(
    "hydro_site", default=None
)
_OP: contextvars.ContextVar[str] = contextvars.ContextVar("hydro_op", default="?")
_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("hydro_active", default=False)


@dataclass(frozen=True)
class BuildCheckpoint:
    """A point :meth:`BuildContext.rollback` returns to: the IR builder's and the context's."""

    graph: Checkpoint
    handles: dict[LocationId, Any]
    names: dict[str, Any]
    cycle_handles: dict[str, Any]
    channel_count: int


class BuildContext:
    """Everything the handles of one flow share."""

    def __init__(self, name: str = "flow"):
        self.graph = GraphBuilder(name)
        self.handles: dict[LocationId, Any] = {}
        self.names: dict[str, Any] = {}
        self.channel_count = 0
        self.cycle_handles: dict[str, Any] = {}

    def register(self, loc_id: LocationId, handle: Any) -> None:
        self.handles[loc_id] = handle

    def handle(self, loc_id: LocationId) -> Any:
        return self.handles[loc_id]

    def checkpoint(self) -> BuildCheckpoint:
        """A point to :meth:`rollback` to."""
        return BuildCheckpoint(self.graph.checkpoint(), dict(self.handles), dict(self.names),
                               dict(self.cycle_handles), self.channel_count)

    def rollback(self, mark: BuildCheckpoint) -> None:
        """Return to ``mark``: the IR as it was, and the names, handles and channel numbers
        taken since are free again."""
        self.graph.rollback(mark.graph)
        for table, saved in ((self.handles, mark.handles), (self.names, mark.names),
                             (self.cycle_handles, mark.cycle_handles)):
            table.clear()
            table.update(saved)
        self.channel_count = mark.channel_count


def current_site() -> SourceInfo | None:
    return _SITE.get()


@contextlib.contextmanager
def built_at(site: SourceInfo | None):
    """Operators called inside record ``site`` as their user's line (``sliced`` records each
    use at the line it was written on); a refused call raises without a line of its own."""
    tokens = (_ACTIVE.set(True), _SITE.set(site))
    try:
        yield
    finally:
        _SITE.reset(tokens[1])
        _ACTIVE.reset(tokens[0])


def current_op() -> str:
    return _OP.get()


def _context_of(args: tuple) -> BuildContext | None:
    """The build context of the handle a method was called on (its ``self``)."""
    if not args:
        return None
    ctx = getattr(args[0], "_ctx", None)
    return ctx if isinstance(ctx, BuildContext) else None


def operator(name: str | None = None) -> Callable[[F], F]:
    """Decorate a public builder method; ``name`` defaults to the method's name."""

    def decorate(method: F) -> F:
        op = name or method.__name__

        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            op_token = _OP.set(op)
            if _ACTIVE.get():
                try:
                    return method(*args, **kwargs)
                finally:
                    _OP.reset(op_token)
            site = source_info.capture(sys._getframe(1))
            ctx = _context_of(args)
            mark = ctx.checkpoint() if ctx is not None else None
            tokens = (_ACTIVE.set(True), _SITE.set(site))
            try:
                return method(*args, **kwargs)
            except HydroTypeError as err:
                if ctx is not None:
                    ctx.rollback(mark)  # a refused call leaves nothing behind
                if err.where is None and site is not None:
                    err = HydroTypeError(err.reason, op=err.op, where=site.where_with_code())
                raise err.with_traceback(None) from None
            finally:
                _SITE.reset(tokens[1])
                _ACTIVE.reset(tokens[0])
                _OP.reset(op_token)

        return wrapper  # type: ignore[return-value]

    return decorate
