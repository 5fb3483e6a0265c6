"""What the chapters' checkers share: ``describe`` names what a student's function returned, and
``student_steps`` cuts the trace of a failing simulated execution down to the steps where the
student's own code (run under the file name ``<exercise>``) decided or produced something."""

from __future__ import annotations

from typing import Any

from hydro_lab import KeyedSingleton, KeyedStream, Optional, Singleton, Stream
from hydro_lab.sim import SimFailure
from hydro_lab.workshop.exercise import CELL


def describe(value: Any) -> str:
    """What a student's function returned, in a verdict's words: ``a Stream at the process
    leader``, or the Python type and value of anything else."""
    if isinstance(value, Stream | Singleton | Optional | KeyedStream | KeyedSingleton):
        loc = value.location
        where = f"{type(loc).__name__.lower()} {getattr(loc, 'name', loc)}"
        kind = type(value).__name__
        return f"{'an' if kind[0] in 'AEIOU' else 'a'} {kind} at the {where}"
    return f"{type(value).__name__} {value!r:.60}"


def student_steps(failure: SimFailure, limit: int = 12, only: str | None = None,
                  intro: str = " The steps of your code in that execution:") -> str:
    """``intro`` and the lines of ``failure``'s trace that point at the student's code, each
    under the header of the step it happened in (the last ``limit`` lines; the checker's own
    lines are left out); ``""`` when no line points at the student's code. With ``only``,
    just the steps where one of those lines contains ``only`` (all of them if none does)."""
    steps: list[tuple[str, list[str]]] = []
    for line in failure.trace.format().splitlines():
        if line.startswith("step "):
            steps.append((line, []))
        elif CELL in line and not line.lstrip().startswith("error:") and steps:
            steps[-1][1].append(line)
    steps = [(header, lines) for header, lines in steps if lines]
    if only is not None:
        steps = [s for s in steps if any(only in line for line in s[1])] or steps
    kept = [line for header, lines in steps for line in (header, *lines)]
    if not kept:
        return ""
    if len(kept) > limit:
        kept = ["  (... earlier steps)"] + kept[-limit:]
    return intro + "\n" + your_cell("\n".join(kept))


def your_cell(text: str) -> str:
    """``text`` with the student's code (run as ``<exercise>``) called "your cell"."""
    return text.replace(f"at {CELL}, line", "at your cell, line") \
        .replace(f"({CELL}, line", "(your cell, line")
