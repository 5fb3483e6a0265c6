"""Readers of live Python sources (``loc.source_stream``), for the drivers of a deployment.

Each instance reads each of its sources on a thread of its own: the thread pulls items into a
bounded buffer (an async iterable runs on an event loop in that thread), and the driver, before
the instance ticks, hands the core whatever is ready in one batch (``InstanceSources.feed``). A
tick never waits for a source, and no lock is taken per item: the buffer is a deque the reader
appends to and the driver drains. When ``buffer`` items wait, the reader stops pulling until a
tick takes them. The core (sans-IO) only sees arrivals, the end of a source and its error.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from hydro_lab.errors import HydroDeployError
from hydro_lab.ir.locations import ClusterId
from hydro_lab.member_id import set_self_id

Spawn = Callable[[Callable[[], Any], str], threading.Thread]


def _spawn_daemon(target: Callable[[], Any], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


class SourceReader:
    """One instance's reader of one live source: a thread filling a bounded deque.

    ``ended`` turns true once the source is exhausted or raised (``error``); every item it gave
    before is in the deque by then. ``notify`` is called when the deque goes from empty to
    non-empty and when the source ends, so an idle driver wakes up."""

    def __init__(self, spec: Any, notify: Callable[[], None], name: str,
                 member_id: Any = None):
        self.spec = spec
        self.member_id = member_id  # what self_id() answers inside the source
        self.limit = spec.buffer
        self.name = name
        self.items: deque = deque()
        self.ended = False
        self.error: BaseException | None = None
        self.told = False  # the end was handed to the core
        self._notify = notify
        self._space = threading.Event()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread: threading.Thread | None = None
        self._after: threading.Thread | None = None

    def start(self, spawn: Spawn = _spawn_daemon, after: SourceReader | None = None) -> None:
        """Start reading; ``after``: a stopped reader of the same one-shot source (a member's
        previous life) that must leave the source before this one reads it."""
        if self._thread is None:
            self._after = after._thread if after is not None else None
            self._thread = spawn(self._run, f"hydro-source-{self.name}")

    def drain(self) -> list:
        """Everything read so far, in the source's order (the reader may go on meanwhile)."""
        items = self.items
        n = len(items)
        if not n:
            return []
        pop = items.popleft
        out = [pop() for _ in range(n)]
        self._space.set()
        return out

    def stop(self) -> None:
        """Stop pulling (at the source's next item; an async source is cancelled at once)."""
        self._stopping = True
        self._space.set()
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop has closed: the source ended already
                pass

    # -- the reader thread ---------------------------------------------------------------------

    def _run(self) -> None:
        if self._after is not None:  # a generator may not be resumed by two threads at once
            self._after.join()
            self._after = None
        if self.member_id is not None:  # the source runs on the member: self_id() works in it
            set_self_id(self.member_id)
        try:
            src = self.spec.source
            if self.spec.call:
                src = src()
            if hasattr(src, "__aiter__"):
                asyncio.run(self._pump_async(src))
            elif hasattr(src, "__iter__"):
                self._pump(iter(src))
            else:
                raise TypeError(
                    f"the source function returned "
                    f"{type(src).__name__} {src!r:.40}, which is neither an iterable nor an "
                    f"async iterable; return a generator, a list or an async generator")
        except BaseException as err:  # noqa: BLE001  (the user's source raised: tell the flow)
            if not self._stopping:
                self.error = err
        finally:
            self.ended = True
            self._notify()

    def _pump(self, it: Any) -> None:
        items, limit, notify = self.items, self.limit, self._notify
        append = items.append
        for item in it:
            append(item)
            n = len(items)
            if n == 1:
                notify()
            elif n >= limit:
                self._wait_for_space()
            if self._stopping:
                return

    def _wait_for_space(self) -> None:
        """Sleep until a drain (or ``stop``) makes room: no polling while the flow is paused."""
        while len(self.items) >= self.limit and not self._stopping:
            self._space.clear()
            if len(self.items) < self.limit:
                return
            self._space.wait()

    async def _pump_async(self, ait: Any) -> None:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        if self._stopping:
            return
        items, limit, notify = self.items, self.limit, self._notify
        append = items.append
        async for item in ait:
            append(item)
            n = len(items)
            if n == 1:
                notify()
            elif n >= limit:
                pause = 0.001
                while len(items) >= limit and not self._stopping:
                    await asyncio.sleep(pause)  # the loop is this reader's: sleep, backing off
                    pause = min(pause * 2, 0.05)
            if self._stopping:
                return


class InstanceSources:
    """The readers of one instance's live sources (none for most instances). The driver calls
    ``feed(core)`` before the instance ticks: the readers start the first time, and the core
    gets each source's new items as one arrival, then its end (and error) once."""

    def __init__(self, topology: Any, inst: Any, notify: Callable[[], None],
                 spawn: Spawn = _spawn_daemon, previous: InstanceSources | None = None):
        self.readers = {port: SourceReader(spec, notify, f"{inst.name}:{port.node}",
                                           inst.member_id)
                        for port, spec in topology.sources_of(inst.location).items()}
        self._spawn = spawn
        self._started = False
        # a restarted member: a one-shot source goes on where its previous life stopped (a
        # function is called anew), once the previous reader has let go of it
        self._previous = {port: r for port, r in previous.readers.items()
                          if r.spec.one_shot} if previous is not None else {}

    def __bool__(self) -> bool:
        return bool(self.readers)

    def feed(self, core: Any) -> None:
        if not self._started:
            self._started = True
            for port, reader in self.readers.items():
                reader.start(self._spawn, self._previous.get(port))
            self._previous = {}
        for port, reader in self.readers.items():
            if reader.told:
                continue
            ended = reader.ended  # read before draining: all its items are in the deque
            items = reader.drain()
            if items:
                core.arrive_items(port, items)
            if ended:
                reader.told = True
                core.source_ended(port, reader.error)

    def ready(self) -> bool:
        """Something waits to be fed: items, or an end not yet told."""
        return any(r.items or (r.ended and not r.told) for r in self.readers.values())

    def stop(self) -> None:
        for reader in self.readers.values():
            reader.stop()


def check_sources(topology: Any) -> None:
    """Refuse a generator or iterator object read by several members of a cluster: members
    would split its items between them. Each member must read a source of its own."""
    for spec in topology.sources.values():
        n = topology.cluster_sizes[spec.location.name] \
            if isinstance(spec.location, ClusterId) else 1
        if n > 1 and spec.one_shot:
            where = f" at {spec.origin.where}" if spec.origin.where else ""
            raise HydroDeployError(
                f"{spec.origin.label}{where}: one generator (or iterator) object, but cluster "
                f"{spec.location.name!r} runs {n} members, and each member reads its own "
                f"source.\n  Fix: pass the function that makes it, e.g. "
                f"source_stream(lambda: my_generator()); every member calls it")
