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
        return f"a {type(value).__name__} at the {where}"
    return f"{type(value).__name__} {value!r:.60}"


def student_steps(failure: SimFailure, limit: int = 12,
                  intro: str = " The steps of your code in that execution:") -> str:
    """``intro`` and the lines of ``failure``'s trace that point at the student's code, each
    under the header of the step it happened in (the last ``limit`` lines; the checker's own
    lines are left out); ``""`` when no line points at the student's code."""
    lines = failure.trace.format().splitlines()
    kept: list[str] = []
    header: str | None = None
    for line in lines:
        if line.startswith("step "):
            header = line
        elif CELL in line and not line.lstrip().startswith("error:"):
            if header is not None:
                kept.append(header)
                header = None
            kept.append(line)
    if not kept:
        return ""
    if len(kept) > limit:
        kept = ["  (... earlier steps)"] + kept[-limit:]
    return intro + "\n" + "\n".join(kept).replace(f"at {CELL}, line", "at your cell, line") \
        .replace(f"({CELL}, line", "(your cell, line")
