"""How a long exploration reports where it is: ``SimProgress`` values, fed to the sink given as
``progress=`` (a line on stderr, nothing, or a function) by a ``Reporter`` that calls the sink at
most every ``progress_every`` seconds, so reporting never costs the exploration per execution."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from hydro_lab.errors import HydroTypeError


@dataclass(frozen=True)
class SimProgress:
    """Where a long exploration is: executions so far, their rate, the last one's depth."""

    mode: str
    executions: int
    elapsed: float
    depth: int
    done: bool

    @property
    def rate(self) -> float:
        """Executions a second so far."""
        return self.executions / self.elapsed if self.elapsed > 0 else 0.0

    def __str__(self) -> str:
        state = "done" if self.done else "running"
        return (f"[hydro_lab sim] {self.mode}: {self.executions:,} "
                f"execution{'' if self.executions == 1 else 's'} in "
                f"{self.elapsed:.1f} s ({self.rate:,.0f}/s), last depth {self.depth} decisions"
                f" ({state})")


class Reporter:
    """Calls the progress sink at most every ``every`` seconds, and once at the end of a run
    that reported at least once."""

    def __init__(self, progress, every: float, mode: str):
        if progress is True:
            self.sink = lambda p: print(p, file=sys.stderr, flush=True)
        elif progress is False or progress is None:
            self.sink = None
        elif callable(progress):
            self.sink = progress
        else:
            raise HydroTypeError(f"progress= takes True, False or a function of SimProgress; "
                                 f"got {type(progress).__name__}")
        self.every = every
        self.mode = mode
        self.started = self.last = time.monotonic()
        self.reported = False

    def __call__(self, executions: int, depth: int, done: bool) -> None:
        if self.sink is None:
            return
        now = time.monotonic()
        if now - self.last >= self.every or (done and self.reported):
            self.last = now
            self.reported = True
            self.sink(SimProgress(self.mode, executions, now - self.started, depth, done))
