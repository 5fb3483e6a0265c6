"""The data plane between instances that live in different processes: ZeroMQ PUSH/PULL over TCP.

Ray places and supervises the actors; batches go peer to peer on these sockets instead of through
Ray calls (a Ray actor call costs about a millisecond here, a ZeroMQ hop tens of microseconds; see
docs/ray.md). Every endpoint binds one PULL socket, and a thread hands each incoming message to a
callback. A PUSH connection per peer keeps each sender's messages in order (FIFO per sender), and
every data message also carries a per-(sender, receiver) sequence number, checked on arrival.

A message is three frames: a kind (``b"data"``, ``b"out"``, ...), a pickled header and a payload.
"""

from __future__ import annotations

import contextvars
import pickle
import threading
from collections.abc import Callable
from typing import Any

import zmq


class Endpoint:
    """A PULL socket bound on ``host`` only (the loopback in a local session: see
    ``session.data_plane_host``) and the thread that reads it. The thread runs in a copy of
    its creator's context: what the callback prints goes where the creator's prints go."""

    def __init__(self, on_message: Callable[[bytes, Any, bytes], None], host: str = "127.0.0.1",
                 name: str = "endpoint"):
        self._ctx = zmq.Context()
        self._sock = self._ctx.socket(zmq.PULL)
        self._sock.setsockopt(zmq.LINGER, 0)
        port = self._sock.bind_to_random_port(f"tcp://{host}")
        self.address = f"tcp://{host}:{port}"
        self._on_message = on_message
        self._running = True
        self._thread = threading.Thread(target=contextvars.copy_context().run,
                                        args=(self._loop,), name=f"hydro-recv-{name}",
                                        daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        poller = zmq.Poller()
        poller.register(self._sock, zmq.POLLIN)
        while self._running:
            if poller.poll(50):
                self._drain()
        if poller.poll(50):  # what arrived just before close() still counts
            self._drain()

    def _drain(self) -> None:
        while True:
            try:
                kind, header, payload = self._sock.recv_multipart(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return
            self._on_message(kind, pickle.loads(header), payload)

    def close(self) -> None:
        self._running = False
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._sock.close(0)
        self._ctx.term()


class Sender:
    """PUSH connections to peers by address; thread-safe (one lock)."""

    def __init__(self) -> None:
        self._ctx = zmq.Context()
        self._socks: dict[str, zmq.Socket] = {}
        self._lock = threading.Lock()

    def send(self, address: str, kind: bytes, header: Any, payload: bytes = b"") -> None:
        frames = [kind, pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL), payload]
        with self._lock:
            sock = self._socks.get(address)
            if sock is None:
                sock = self._ctx.socket(zmq.PUSH)
                sock.setsockopt(zmq.LINGER, 1000)
                sock.setsockopt(zmq.SNDHWM, 0)
                sock.connect(address)
                self._socks[address] = sock
            sock.send_multipart(frames, copy=False)

    def forget(self, address: str) -> None:
        with self._lock:
            sock = self._socks.pop(address, None)
            if sock is not None:
                sock.close(0)

    def close(self) -> None:
        with self._lock:
            for sock in self._socks.values():
                sock.close()
            self._socks.clear()
        self._ctx.term()
