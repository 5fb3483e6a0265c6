"""What an exercise is, and how a student's code is checked.

An ``Exercise`` holds the task, the starter code a student edits, hints revealed one by one, the
solution an instructor can reveal, and a checker. ``check(exercise, source)`` runs the code in a
fresh namespace and hands the names it defined to the checker, which answers with a ``Verdict``
in words: what is right, what is wrong and on which execution. Whatever the code does (a syntax
error, a program Hydro refuses, an exception, a flow that never produces output, a failing
simulation), the answer is a ``Verdict``, never a traceback: the student fixes the cell and
checks again.
"""

from __future__ import annotations

import html
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hydro_lab.errors import HydroError, HydroTypeError
from hydro_lab.sim import SimFailure

# the file name the student's code runs under: what a traceback shows for its lines
CELL = "<exercise>"


@dataclass
class Verdict:
    """A checker's answer: ``passed``, what is ``right`` and what is ``wrong`` (each a list of
    sentences). ``str()`` gives the text; in a notebook it shows as a short report."""

    passed: bool
    right: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @classmethod
    def fail(cls, *wrong: str, right: list[str] | None = None) -> Verdict:
        """A failing verdict saying what is wrong."""
        return cls(False, list(right or []), list(wrong))

    @classmethod
    def ok(cls, *right: str) -> Verdict:
        """A passing verdict saying what is right."""
        return cls(True, list(right), [])

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = "✓ passed" if self.passed else "✗ not yet"
        lines = [head]
        lines += [f"  ✓ {r}" for r in self.right]
        lines += [f"  ✗ {w}" for w in self.wrong]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.passed else "#b42318"
        head = "✓ passed" if self.passed else "✗ not yet"
        items = [f"<li>✓ {html.escape(r)}</li>" for r in self.right]
        items += [f"<li style='color:{color}'>✗ <pre style='display:inline;white-space:pre-wrap'>"
                  f"{html.escape(w)}</pre></li>" for w in self.wrong]
        return (f"<div><b style='color:{color}'>{head}</b><ul>{''.join(items)}</ul></div>")


Checker = Callable[[dict[str, Any]], Verdict]


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``id`` (e.g. ``"3.1"``: chapter 3, first exercise), ``title``, ``task``
    (markdown: what to do), ``starter`` and ``solution`` (Python source defining the names in
    ``defines``), ``hints`` (revealed one by one) and ``checker`` (reads the names the code
    defined, returns a ``Verdict``). The starter fails its checker and the solution passes it
    (tests/workshop checks both for every exercise)."""

    id: str
    title: str
    task: str
    starter: str
    solution: str
    hints: tuple[str, ...]
    checker: Checker
    defines: tuple[str, ...] = ()

    def check(self, source: str) -> Verdict:
        """Run ``source`` and check what it defines (see ``check``)."""
        return check(self, source)


def run_source(source: str) -> tuple[dict[str, Any] | None, Verdict | None]:
    """Execute ``source`` in a fresh namespace: ``(namespace, None)``, or ``(None, verdict)``
    saying what went wrong (a syntax error, a program Hydro refused, an exception)."""
    try:
        code = compile(source, CELL, "exec")
    except SyntaxError as err:
        where = f"line {err.lineno}" if err.lineno else "the code"
        return None, Verdict.fail(f"{where}: Python cannot read it ({err.msg}). Fix that line "
                                  "and check again.")
    namespace: dict[str, Any] = {"__name__": "__exercise__"}
    try:
        exec(code, namespace)  # noqa: S102  (the student's own code, in their own kernel)
    except HydroTypeError as err:
        return None, Verdict.fail(f"Hydro refused the program: {err}")
    except Exception as err:  # noqa: BLE001  (any failure of the student's code is an answer)
        return None, Verdict.fail(f"the code raised {type(err).__name__}{_at(err)}: {err}")
    return namespace, None


def check(exercise: Exercise, source: str) -> Verdict:
    """Run ``source`` (the student's cell) and answer whether it does what ``exercise`` asks.
    Never raises for anything the code does: every failure is a ``Verdict`` in words."""
    namespace, failed = run_source(source)
    if failed is not None:
        return failed
    assert namespace is not None
    missing = [name for name in exercise.defines if name not in namespace]
    if missing:
        names = ", ".join(f"`{n}`" for n in missing)
        return Verdict.fail(f"the code does not define {names}: keep the starter's names "
                            "(the checker calls them).")
    try:
        return exercise.checker(namespace)
    except HydroTypeError as err:
        return Verdict.fail(f"Hydro refused the program: {err}")
    except HydroError as err:
        return Verdict.fail(f"the flow failed while it ran: {err}")
    except SimFailure as err:
        return Verdict.fail(f"the flow failed while it ran, in a simulated execution: {err}")
    except Exception as err:  # noqa: BLE001
        return Verdict.fail(f"the checker could not run the code: {type(err).__name__}"
                            f"{_at(err)}: {err}")


def _at(err: BaseException) -> str:
    """`` at line N`` of the student's code where ``err`` was raised, if it was raised there."""
    lines = [f.lineno for f in traceback.extract_tb(err.__traceback__) if f.filename == CELL]
    return f" at line {lines[-1]}" if lines else ""
