"""A front end's end of the live comm, for tests without a kernel."""

from __future__ import annotations

import json

from hydro_lab.dashboard.live_channel import LiveChannel


class FakeComm:
    """Keeps what it was sent, as JSON carries it; ``close()`` is the front end closing it."""

    def __init__(self, target_name: str = "", data: dict | None = None):
        self.target_name, self.data, self.sent = target_name, data, []
        self.on_msg_callback = self.on_close_callback = None
        self.broken = self.closed = False

    def send(self, data):
        if self.broken:
            raise RuntimeError("the socket is gone")
        self.sent.append(json.loads(json.dumps(data, allow_nan=False)))

    def on_msg(self, callback):
        self.on_msg_callback = callback

    def on_close(self, callback):
        self.on_close_callback = callback

    def close(self):
        """Closed by either end (the kernel's close calls no callback; calling it is harmless)."""
        self.closed = True
        self.on_close_callback({"content": {}})

    def says(self, data: dict):
        """A message from the front end on this comm."""
        self.on_msg_callback({"content": {"comm_id": "x", "data": data}})


class FakeManager:
    def __init__(self):
        self.targets = {}

    def register_target(self, name, callback):
        self.targets[name] = callback


def fake_channel() -> tuple[LiveChannel, list[FakeComm]]:
    """A channel whose comms are fakes; the list gets every comm the kernel side opens."""
    comms: list[FakeComm] = []

    def create(**kw):
        comms.append(FakeComm(**kw))
        return comms[-1]

    return LiveChannel(create_comm=create, comm_manager=FakeManager()), comms
