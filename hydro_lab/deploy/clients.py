"""A deployment's external clients: the handles ``d.connect(port)`` returns, who is connected to
which port, and what is kept for a client that connects late (nothing the flow sends to a port is
lost silently: up to ``keep_unclaimed`` values wait for its first client, the rest are counted).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from hydro_lab.core.instance import port_codec_message
from hydro_lab.errors import HydroDeployError, HydroRuntimeError

if TYPE_CHECKING:
    from hydro_lab.deploy.base import Deployment


def through_codec(info: Any, values: list) -> list:
    """``values`` as the other end of port ``info`` gets them (encoded and decoded with its
    codec), or a ``HydroRuntimeError`` saying what it could not carry."""
    try:
        return info.codec.decode(info.codec.encode(values))
    except Exception as err:
        raise HydroRuntimeError(port_codec_message(info, values, err)) from err


class Client:
    """Base of the handles ``d.connect(port)`` returns.

    ``dropped``: how many outputs of this port were lost before this client connected. They are
    kept for a late client up to the deployment's ``keep_unclaimed`` (10,000 per port by
    default); beyond that the later ones are dropped, counted here, and ``connect`` warns.
    """

    def __init__(self, deployment: Deployment, port_key: int, client_id: int | None = None):
        self._d = deployment
        self.port = port_key
        self.client_id = client_id
        self._queue: queue.Queue = queue.Queue()
        self.closed = False
        self.dropped = 0

    def _push(self, items: list) -> None:
        for x in items:
            self._queue.put(x)

    def send(self, value: Any) -> None:
        """Send one value into the flow."""
        self.send_many([value])

    def send_many(self, values) -> None:
        """Send several values, in order."""
        self._d._client_send(self, list(values))

    def recv(self, timeout: float | None = None) -> Any:
        """The next value the flow sent to this client; drives the flow while it waits when the
        deployment is not running in the background. Raises ``TimeoutError``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return self._queue.get_nowait()
            except queue.Empty:
                pass
            self._d._raise_error()
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError(f"no value from port {self.port} within {timeout} s")
            if not self._d._drive_for(self, remaining):
                try:
                    return self._queue.get(timeout=0.05 if remaining is None
                                           else min(0.05, max(remaining, 0.0)))
                except queue.Empty:
                    continue

    def recv_all(self) -> list:
        """Everything received so far, without waiting."""
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    def __iter__(self) -> Iterator[Any]:
        while not self.closed:
            yield self.recv()

    def close(self) -> None:
        """Disconnect: on a ``bidi_external`` port the flow sees this client's
        ``MembershipEvent.LEFT``; a closed client sends nothing more. Closing twice does
        nothing."""
        if not self.closed:
            self.closed = True
            self._d._client_close(self)


class ClientPorts:
    """Who is connected to each external port, and what waits for a port's first client.

    A single-client port has one client at a time (connecting again returns it); a
    ``bidi_external`` port gets a new client, with its own id, at every connect. Only ``_lock``
    (its own) guards this, never held while waiting: Ray delivers outputs on its receiving
    thread while a round holds the deployment's lock.
    """

    def __init__(self, ports: dict[int, Any], keep_unclaimed: int = 10_000):
        if isinstance(keep_unclaimed, bool) or not isinstance(keep_unclaimed, int) \
                or keep_unclaimed < 0:
            raise HydroDeployError(f"keep_unclaimed= takes how many outputs to keep per port for "
                                   f"a client that connects late (an int >= 0), got "
                                   f"{keep_unclaimed!r}")
        self.ports = ports
        self.keep_unclaimed = keep_unclaimed
        self._clients: dict[int, list[Client]] = {}
        self._unclaimed: dict[int, list] = {}
        self._dropped: dict[int, int] = {}
        self._next_client = 1
        self._lock = threading.Lock()

    def attach(self, deployment: Deployment, info: Any) -> tuple[Client, bool]:
        """The client for port ``info`` and whether it is new; a new client of a single-client
        port gets what was kept for it."""
        key = info.key
        with self._lock:
            existing = self._clients.setdefault(key, [])
            if not info.many_clients:
                for client in existing:
                    if not client.closed:
                        return client, False
            client_id = None
            if info.many_clients:
                client_id = self._next_client
                self._next_client += 1
            client = Client(deployment, key, client_id)
            existing.append(client)
            if not info.many_clients:
                client._push(self._unclaimed.pop(key, []))
                client.dropped = self._dropped.pop(key, 0)
            return client, True

    def deliver(self, key: int, values: list, check_codec: bool = True) -> None:
        """What the flow sent to port ``key`` (``check_codec``: pass it through the codec):
        replies of a bidi port to their clients, the rest to the connected client or kept."""
        info = self.ports[key]
        if check_codec:
            values = through_codec(info, values)
        with self._lock:
            clients = [c for c in self._clients.get(key, []) if not c.closed]
            if info.many_clients:
                by_id = {c.client_id: c for c in clients}
                for client_id, value in values:
                    if client_id in by_id:
                        by_id[client_id]._push([value])
                return
            if clients:
                for c in clients:
                    c._push(values)
                return
            kept = self._unclaimed.setdefault(key, [])
            room = max(self.keep_unclaimed - len(kept), 0)
            kept.extend(values[:room])
            if len(values) > room:
                self._dropped[key] = self._dropped.get(key, 0) + len(values) - room
