"""What the instances of a deployment print, per instance: caught on the thread that ticks while
it ticks, then shown line by line tagged with the instance, as hydro_deploy shows each process's
output (``[leader] line``, ``[workers / 0] line``, ``[workers / 0 stderr] line``), and kept for
``Deployment.stdout(location, member)`` / ``stderr``, which give the lines without the tag (as
hydro_deploy's ``stdout()`` does).

The one rule: only the ticking thread is caught. ``sys.stdout``/``sys.stderr`` are replaced for
the length of a tick by a stream that keeps what that thread writes and passes every other
thread's writes through, and put back after it, so a notebook, pytest's capture or a user's
redirect sees its own stream between ticks. Each replacement wraps the stream it replaced and
never changes what it wraps: a capture that started during a tick (IPython's
``capture_output``, saving the wrapper) and ends after it puts back a wrapper that still leads
to the stream that was there before, never to a capture that has ended.
"""

from __future__ import annotations

import io
import sys
import threading
from collections import deque
from typing import Any

from hydro_lab.core.routing import InstanceId

STREAMS = ("stdout", "stderr")


class _ThreadOutput(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` while instances tick: what a ticking thread writes lands
    in that thread's buffer, every other thread's writes go where the stream went before."""

    def __init__(self, name: str, original: Any):
        self.name = name
        self.original = original  # the stream it replaced; never changed
        self._local = _LOCALS[name]

    def write(self, text: str) -> int:
        buf = getattr(self._local, "buf", None)
        if buf is None:
            return self.original.write(text)
        buf.append(text)
        return len(text)

    def flush(self) -> None:
        if getattr(self._local, "buf", None) is None:
            self.original.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.original.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:  # what else the stream below offers (ipykernel's)
        return getattr(self.original, name)


# what each ticking thread writes, per stream (shared by every wrapper of that stream)
_LOCALS = {name: threading.local() for name in STREAMS}
_OUT_LOCAL, _ERR_LOCAL = _LOCALS["stdout"], _LOCALS["stderr"]
_lock = threading.Lock()


class caught:  # noqa: N801  (used as a function: ``with caught() as (out, err)``)
    """Catch what this thread prints meanwhile: ``with caught() as (out, err)`` gives the lists
    its stdout and stderr text land in. Other threads print as before. (A class, not a
    generator: it runs around every tick of a local deployment.)

    The wrappers stay installed between ticks (``restore()`` takes them out, at a deployment's
    stop): a tick writes ``sys.stdout`` only when it is not a wrapper of ours, never at every
    tick boundary, where it raced with the notebook's own captures (a capture starting while a
    tick put its stream back was overwritten, and the cell's prints went astray)."""

    __slots__ = ("out", "err")

    def __enter__(self) -> tuple[list[str], list[str]]:
        with _lock:
            for name in STREAMS:
                current = getattr(sys, name)
                if not isinstance(current, _ThreadOutput):
                    setattr(sys, name, _ThreadOutput(name, current))
        self.out, self.err = _OUT_LOCAL.buf, _ERR_LOCAL.buf = [], []
        return self.out, self.err

    def __exit__(self, *exc: object) -> None:
        _OUT_LOCAL.buf = _ERR_LOCAL.buf = None


def restore() -> None:
    """Put back the streams the wrappers replaced (a deployment's ``stop()`` calls it, on the
    thread that stops it)."""
    with _lock:
        for name in STREAMS:
            current = getattr(sys, name)
            while isinstance(current, _ThreadOutput):
                current = current.original
            setattr(sys, name, current)


def tag(inst: InstanceId, stream: str = "stdout") -> str:
    """The tag an instance's lines are shown with: ``[leader]``, ``[workers / 0]``, and
    ``[workers / 0 stderr]`` for what went to stderr (hydro_deploy's ``[<name>]`` and
    ``[<name> stderr]``, its cluster members named ``<cluster> / <index>``)."""
    name = inst.location.name if inst.member is None else f"{inst.location.name} / {inst.member}"
    return f"[{name} stderr]" if stream == "stderr" else f"[{name}]"


class PrintedLines:
    """The lines each instance printed, per stream: shown tagged where the deployment prints,
    and the last ``keep`` of each kept. A line is complete at its newline; what a tick printed
    after its last newline waits for the rest of its line (``flush`` ends it, at stop)."""

    def __init__(self, keep: int = 10_000):
        self.keep = keep
        self._lines: dict[tuple[InstanceId, str], deque[str]] = {}
        self._partial: dict[tuple[InstanceId, str], str] = {}
        self._lock = threading.Lock()

    def add(self, inst: InstanceId, stream: str, text: str) -> None:
        """``inst`` printed ``text`` on ``stream``: keep its complete lines and show them."""
        if not text:
            return
        key = (inst, stream)
        with self._lock:
            text = self._partial.pop(key, "") + text
            *lines, rest = text.split("\n")
            if rest:
                self._partial[key] = rest
            self._keep(key, lines)
        self._show(inst, stream, lines)

    def flush(self) -> None:
        """End every line still waiting for its newline (the deployment stopped)."""
        with self._lock:
            pending, self._partial = self._partial, {}
            for key, rest in pending.items():
                self._keep(key, [rest])
        for (inst, stream), rest in pending.items():
            self._show(inst, stream, [rest])

    def lines(self, inst: InstanceId, stream: str) -> list[str]:
        """The lines ``inst`` printed on ``stream`` so far (the last ``keep``), without tags."""
        with self._lock:
            return list(self._lines.get((inst, stream), ()))

    def _keep(self, key: tuple[InstanceId, str], lines: list[str]) -> None:
        if lines:
            kept = self._lines.get(key)
            if kept is None:
                kept = self._lines[key] = deque(maxlen=self.keep)
            kept.extend(lines)

    @staticmethod
    def _show(inst: InstanceId, stream: str, lines: list[str]) -> None:
        if not lines:
            return
        prefix = tag(inst, stream)
        out = sys.stderr if stream == "stderr" else sys.stdout
        out.write("".join(f"{prefix} {line}\n" for line in lines))
        out.flush()
