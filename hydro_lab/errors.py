"""The exceptions hydro_lab raises.

Errors are part of the interface: each names what the user did (the operator), what failed (the
rule or guarantee), how to fix it, and where in the user's file or notebook cell it happened.
Nothing here imports the rest of hydro_lab, so every layer may raise these.
"""

from __future__ import annotations


class HydroError(Exception):
    """Base class of every error hydro_lab raises on purpose."""


class HydroTypeError(HydroError, TypeError):
    """A program broke one of Hydro's rules while it was being built.

    Raised when an operator is called (not when the flow runs): a missing ``nondet``, an
    aggregation over unordered data without ``commutative=``, operands at different locations, a
    forward reference completed twice, ...  The message names the operator, the guarantee that
    failed, the fix, and the user's file or notebook cell and line.
    """

    def __init__(self, message: str, *, op: str | None = None, where: str | None = None):
        self.op = op
        self.where = where
        self.reason = message
        text = message if where is None else f"{message}\n  at {where}"
        super().__init__(text)


class HydroRuntimeError(HydroError, RuntimeError):
    """A running flow failed; raised in the caller (driver, notebook) with the user's line.

    When a user function failed inside a tick, the message says so and these attributes hold its
    parts (None otherwise): ``operator`` (e.g. ``map(parse)``), ``where`` (the line that raised,
    inside the user's function: ``notebook cell In [4], line 3: op, key = req.split(":")``),
    ``element`` (a short repr of the element it failed on), ``instance`` and ``tick``. A failure
    that is not a user function's (a value a codec cannot carry, a bad demux key) sets
    ``instance`` and, where it is known, ``tick``.
    """

    operator: str | None = None
    where: str | None = None
    element: str | None = None
    instance: str | None = None
    tick: int | None = None


class HydroDeployError(HydroError, ValueError):
    """A deployment was asked for something it cannot do (a missing cluster size, an unknown
    backend, a port connected twice); the message says what to pass instead."""


def rule_error(
    op: str,
    problem: str,
    fix: str,
    *,
    why: str | None = None,
) -> HydroTypeError:
    """Build the standard message: ``<op>: <problem>. [<why>.] Fix: <fix>.``"""
    text = f"{op}: {problem}"
    if why:
        text += f"\n  Why: {why}"
    text += f"\n  Fix: {fix}"
    return HydroTypeError(text, op=op)
