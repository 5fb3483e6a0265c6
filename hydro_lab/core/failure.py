"""How a failed tick is told: ``TickFailure`` is the failure as plain data (a Ray actor sends it to
the driver, which names the notebook cells), ``to_error()`` the ``HydroRuntimeError`` the user
reads. Written once for every backend, so a failure reads the same on local, Ray and the
simulator: the operator, the line inside the user's function that raised, the element, the
instance and the tick.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from hydro_lab.core.routing import InstanceId
from hydro_lab.dfir.runtime import NO_ELEMENT, exception_text
from hydro_lab.errors import HydroRuntimeError
from hydro_lab.ir.source_info import SourceInfo, cell_label, is_internal

ELEMENT_REPR_CHARS = 80
_LIBRARY_DIRS = tuple(dict.fromkeys(os.path.abspath(p) + os.sep for p in (
    sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__))))


@dataclass(frozen=True)
class TickFailure:
    """A tick that failed, as plain data: a Ray actor sends it to the driver, which names the
    notebook cells (only the driver knows them) when it turns it into ``HydroRuntimeError``."""

    instance: str
    tick: int | None
    error: str  # "ValueError: not enough values to unpack ...", or all there is to say
    operator: str | None = None     # "map(parse)"
    built_at: str | None = None     # where the operator was built: "notebook cell In [5], ..."
    frames: tuple[tuple[str, int, str], ...] = ()  # below the generated code, outermost first
    element: str | None = None      # a short repr of the element it failed on

    @classmethod
    def of(cls, err: Exception, inst: InstanceId) -> TickFailure:
        error = exception_text(getattr(err, "error", err))
        op = getattr(err, "op", None)
        if op is None:
            return cls(inst.name, None, f"{inst.name} failed: {error}")
        origin = op.origin
        element = getattr(err, "element", NO_ELEMENT)
        return cls(inst.name, err.tick, error, getattr(origin, "label", op.label),
                   getattr(origin, "where", None), tuple(getattr(err, "frames", ())),
                   None if element is NO_ELEMENT else short_repr(element))

    @classmethod
    def of_source(cls, err: BaseException, inst: InstanceId, tick: int, origin: Any
                  ) -> TickFailure:
        """A live source (``source_stream``) raised ``err`` while its reader pulled from it: told
        as a failed user function, at the source's own line (its generator's frame)."""
        frames, tb = [], err.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            frames.append((code.co_filename, tb.tb_lineno, code.co_name))
            tb = tb.tb_next
        return cls(inst.name, tick, exception_text(err), origin.label, origin.where,
                   tuple(frames))

    def user_line(self) -> str | None:
        """The innermost line of the user's own code below the operator (its function, or a
        function of theirs it called), as ``notebook cell In [4], line 3: <code>``."""
        for filename, line, _function in reversed(self.frames):
            path = os.path.abspath(filename)
            if is_internal(filename) or path.startswith(_LIBRARY_DIRS) or \
                    filename.startswith("<frozen "):
                continue
            return SourceInfo(filename, line, cell=cell_label(filename)).where_with_code()
        return None

    def to_error(self) -> HydroRuntimeError:
        if self.operator is None:  # not a user function: ``error`` is the whole story
            err = HydroRuntimeError(self.error)
            err.instance, err.tick = self.instance, self.tick
            return err
        line = self.user_line()
        at = line or self.built_at
        text = [f"{self.operator} raised {self.error}"]
        if at:
            text.append(f"  at {at}")
        if self.element is not None:
            text.append(f"  element: {self.element}")
        if line and self.built_at and line != self.built_at:
            text.append(f"  operator built at {self.built_at}")
        text.append(f"  in {self.instance}, tick {self.tick}")
        err = HydroRuntimeError("\n".join(text))
        err.operator, err.where, err.element = self.operator, at, self.element
        err.instance, err.tick = self.instance, self.tick
        return err


def short_repr(value: Any, limit: int = ELEMENT_REPR_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters (a failure shows the element it failed on)."""
    try:
        text = repr(value)
    except Exception as err:  # noqa: BLE001  (the user's __repr__ failed too)
        text = f"<{type(value).__name__}: repr() raised {type(err).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def runtime_error(err: Exception, inst: InstanceId) -> HydroRuntimeError:
    """A failure inside a tick, as the user should see it: the operator, the line inside the
    user's function that raised, the element it failed on, the instance and the tick."""
    new = TickFailure.of(err, inst).to_error()
    new.__cause__ = getattr(err, "error", err)
    return new


