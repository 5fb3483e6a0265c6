"""The one thread that applies live updates to widgets, at a bounded rate.

Bokeh documents have no lock outside a bokeh server, and output written from a background thread
lands in whichever cell ran last (ipykernel >= 7.1), so every live view subscribes a callback
here and the pump calls them in turn, ``rate_hz`` times a second at most. A callback updates
widgets or display handles only; it returns ``False`` to unsubscribe itself. A callback that
raises is unsubscribed and its error kept on its subscription; its ``on_error`` (if given) is
called with the error so the view can say it stopped updating (nothing is printed from the
thread). The thread starts with the first subscription and ends when none is left.

Modules a callback may import lazily are imported here first: bokeh's ``ColumnDataSource.stream``
imports pandas on every call, and a pump thread doing that while the notebook's thread imports
pandas for the first time (``%hydro metrics``) saw a half-initialized module ("partially
initialized module 'pandas' has no attribute 'Series'") and the dashboard froze.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas  # noqa: F401  (see above: imported before any pump thread exists)


@dataclass(eq=False)
class Subscription:
    name: str
    callback: Callable[[], bool | None]
    error: BaseException | None = None
    calls: int = 0
    active: bool = field(default=True)
    on_error: Callable[[BaseException], None] | None = None


class PumpedView:
    """What every live view fed by a deployment's recorder and by the pump shares: closing it
    ends both subscriptions, once. A view sets ``deployment``, ``closed``, ``subscription``,
    ``_pump``, ``_lock`` and ``_rows``, the callback it gave the recorder."""

    deployment: Any
    closed: bool
    subscription: Subscription | None
    _pump: Pump | None
    _lock: Any
    _rows: Callable[..., Any]

    def close(self) -> None:
        """Stop updating (the deployment keeps running)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.deployment.recorder.unsubscribe(self._rows)
        if self.subscription is not None and self._pump is not None:
            self._pump.unsubscribe(self.subscription)


class Pump:
    def __init__(self, rate_hz: float = 5.0):
        self.rate_hz = rate_hz
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, callback: Callable[[], bool | None], name: str = "view",
                  on_error: Callable[[BaseException], None] | None = None) -> Subscription:
        sub = Subscription(name, callback, on_error=on_error)
        with self._lock:
            self._subs.append(sub)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="hydro_lab-pump",
                                                daemon=True)
                self._thread.start()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            sub.active = False
            if sub in self._subs:
                self._subs.remove(sub)

    def flush(self) -> None:
        """Run every callback once now, in the caller's thread (tests, a final update)."""
        for sub in self.subscriptions():
            self._call(sub)

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return list(self._subs)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 2.0) -> None:
        """Unsubscribe everything and wait for the thread to end."""
        with self._lock:
            for sub in self._subs:
                sub.active = False
            self._subs.clear()
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _call(self, sub: Subscription) -> None:
        if not sub.active:
            return
        try:
            sub.calls += 1
            if sub.callback() is False:
                self.unsubscribe(sub)
        except Exception as err:  # a broken view must not stop the others
            sub.error = err
            self.unsubscribe(sub)
            if sub.on_error is not None:
                try:
                    sub.on_error(err)
                except Exception:  # the view cannot even show it: the error stays on sub
                    pass

    def _loop(self) -> None:
        while True:
            started = time.monotonic()
            subs = self.subscriptions()
            if not subs:
                with self._lock:
                    if not self._subs:
                        self._thread = None
                        self._wake.clear()
                        return
                continue
            for sub in subs:
                self._call(sub)
            pause = 1.0 / self.rate_hz - (time.monotonic() - started)
            if pause > 0:
                self._wake.wait(pause)
                self._wake.clear()


PUMP = Pump()
