"""The kernel's end of the live graph comm (``protocol.COMM_TARGET``): live graphs publish their
``Update`` messages here and every open comm gets them.

The kernel opens a comm whenever a live graph is displayed (its messages travel on iopub, so they
reach the renderer while a cell still runs, and every page connected then); a renderer whose
page was reloaded opens one itself with a ``Hello`` and gets the latest update of each id it
names. The latest update of
every id is kept for that. Without a kernel (plain Python, a terminal IPython) nothing is sent,
and a comm the front end closed is forgotten. Nothing here prints or raises: it runs on the pump
thread, whose output would land in whichever cell ran last.

The kernel opens its comm only for a front end that draws hydro_lab graphs
(``viz.frontend.frontend_draws``: JupyterLab with the extension). Others get nothing live, and
must not: nbclient (nbconvert, papermill, CI running the notebooks) reads any comm message whose
data has a ``"state"`` key as widget state and fails the run on an ``Update``.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import comm

from hydro_lab.viz import protocol
from hydro_lab.viz.frontend import frontend_draws

KEEP_IDS = 1000  # the latest update of this many live graphs is kept for a Hello


def kernel_running() -> bool:
    """This Python runs an ipykernel (without importing ipykernel when it does not)."""
    kernelbase = sys.modules.get("ipykernel.kernelbase")
    return kernelbase is not None and kernelbase.Kernel.initialized()


class LiveChannel:
    """Sends live graph updates to the front end.

    ``create_comm`` and ``comm_manager`` default to the ``comm`` package's (what ipykernel
    installs); tests pass fakes: ``create_comm(target_name=..., data=...)`` returns an object
    with ``send(data=...)``, ``on_msg(callback)``, ``on_close(callback)``; a comm manager has
    ``register_target(name, callback)``."""

    def __init__(self, create_comm: Callable[..., Any] | None = None,
                 comm_manager: Any = None):
        self._create_comm = create_comm
        self._manager = comm_manager
        self._lock = threading.RLock()
        self.comms: list[Any] = []
        self._own: Any = None  # the comm this kernel opened
        self._registered = False
        self.latest: OrderedDict[str, protocol.Update] = OrderedDict()
        self._seq: dict[str, int] = {}
        self.errors = 0  # sends that failed (their comm was dropped)

    @property
    def available(self) -> bool:
        """Whether updates can reach a front end that draws them: injected comms, or a kernel
        serving JupyterLab with the extension (or whose renderer opened a comm here)."""
        if self._create_comm is not None:
            return True
        return kernel_running() and (frontend_draws() or bool(self.comms))

    # -- opening ----------------------------------------------------------------------------------

    def register(self) -> bool:
        """Take comms the renderer opens (``COMM_TARGET``); once, and only in a kernel."""
        with self._lock:
            if self._registered:
                return True
            manager = self._manager
            if manager is None and kernel_running():
                manager = comm.get_comm_manager()  # ipykernel's, looked up when needed
            if manager is None:
                return False
            try:
                manager.register_target(protocol.COMM_TARGET, self.comm_opened)
            except Exception:  # noqa: BLE001  (no live updates is better than a failed cell)
                return False
            self._registered = True
            return True

    def open(self) -> bool:
        """Make sure updates reach the front end showing a live graph now: register the target
        and open a new comm (closing the one opened before). False without a kernel.

        A new one each time because a comm reaches only the pages connected when it opened: a
        page reloaded since never heard of the old one, and its own Hello would wait behind
        every cell a Run All queued (shell messages are handled in order), so a graph shown
        by one of those cells would stay still until the last cell ran."""
        if not self.available:
            return False
        self.register()
        with self._lock:
            if self._create_comm is None and not frontend_draws():
                return True  # a renderer's comm is open: no need for one of ours
            create = self._create_comm or comm.create_comm
            try:
                opened = create(target_name=protocol.COMM_TARGET, data={})
            except Exception:  # noqa: BLE001
                return False
            previous, self._own = self._own, opened
            self._attach(opened)
            if previous is not None:
                self._forget(previous)
                try:
                    previous.close()
                except Exception:  # noqa: BLE001  (already closed by the front end)
                    pass
            return True

    def comm_opened(self, opened: Any, msg: dict) -> None:
        """The ``COMM_TARGET`` callback: a renderer opened a comm (its data may be a Hello)."""
        self._attach(opened)
        self._received(opened, msg)

    def _attach(self, opened: Any) -> None:
        with self._lock:
            if opened not in self.comms:
                self.comms.append(opened)
        opened.on_msg(lambda msg: self._received(opened, msg))
        opened.on_close(lambda msg=None: self._forget(opened))

    def _forget(self, closed: Any) -> None:
        with self._lock:
            if closed in self.comms:
                self.comms.remove(closed)
            if closed is self._own:
                self._own = None

    def _received(self, sender: Any, msg: dict) -> None:
        """A Hello (in the comm's open data or in a message on it): answer with the latest
        update of each id; an id this kernel does not know is no longer live (its kernel has
        restarted): say so, or the reloaded page would show it running."""
        try:
            data = msg.get("content", {}).get("data") or {}
        except AttributeError:
            return
        if not isinstance(data, dict) or data.get("type") != "hello":
            return
        ids = [i for i in data.get("ids") or [] if isinstance(i, str)]
        with self._lock:
            for live_id in ids:
                update = self.latest.get(live_id)
                if update is None:
                    update = {"type": "update", "id": live_id, "seq": 1, "state": "stopped",
                              "status": "not live: the kernel that ran it has restarted",
                              "views": {}}
                self._send(sender, update)

    # -- sending ----------------------------------------------------------------------------------

    def publish(self, body: dict) -> protocol.Update:
        """Number ``body`` (an ``Update`` without ``seq``), keep it as the latest of its id and
        send it to every open comm. Returns the update as sent."""
        live_id = body["id"]
        with self._lock:
            seq = self._seq[live_id] = self._seq.get(live_id, 0) + 1
            update: protocol.Update = {**body, "seq": seq}  # type: ignore[typeddict-item]
            self.latest[live_id] = update
            self.latest.move_to_end(live_id)
            while len(self.latest) > KEEP_IDS:
                gone, _ = self.latest.popitem(last=False)
                self._seq.pop(gone, None)
            for target in list(self.comms):
                self._send(target, update)
        return update

    def resend(self, live_id: str) -> protocol.Update | None:
        """Send the latest update of ``live_id`` again (a re-drawn output gets its overlay)."""
        with self._lock:
            update = self.latest.get(live_id)
            if update is None:
                return None
            body = {k: v for k, v in update.items() if k != "seq"}
            return self.publish(body)

    def _send(self, target: Any, update: protocol.Update) -> None:
        try:
            target.send(data=update)
        except Exception:  # noqa: BLE001  (a closed or broken comm: stop sending to it)
            self.errors += 1
            self._forget(target)


LIVE = LiveChannel()
"""The kernel's channel: every live graph and replay publishes here."""
