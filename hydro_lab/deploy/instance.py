"""One location instance running in its own process (a Ray actor hosts one): the tick engine, the
routing of what it sends, the sockets it talks on, and a tick loop of its own.

Two ways to drive it, both used by ``RayDeployment``:

* **free running** (``start``): a thread ticks whenever there is work (inputs arrived, a spin, a
  timer due), on this process's clock — what a deployed Hydro location does;
* **rounds** (``tick_once``): the driver asks for exactly one tick, passing the clock value and how
  many messages each peer has sent here so far; the tick waits until those have arrived, which
  makes a round on several processes behave exactly like a round of ``LocalDeployment``.

Live controls reach it from the driver: a tick-rate limit for the free-running loop, and faults
on the channels it sends (drops decided by its router; delayed batches held here and sent when
due: by the loop when free running, at the start of the next tick in rounds).

What a tick prints (``for_each(print)``) is caught on the ticking thread and sent to the driver
with the tick's outputs, which prints it where the deployment's output goes (in a notebook, the
cell that deployed) instead of wherever Ray's log forwarding would put it. A failed tick is sent
as a ``TickFailure`` (plain data): the driver names the notebook cells in it.
"""

from __future__ import annotations

import io
import pickle
import sys
import threading
import time
from collections import Counter, deque
from contextlib import contextmanager
from typing import Any

import cloudpickle

from hydro_lab.deploy.base import TickFailure
from hydro_lab.deploy.faults import ChannelFault, Fault, HeldDeliveries
from hydro_lab.deploy.routing import InstanceId, Router
from hydro_lab.deploy.transport import Endpoint, Sender
from hydro_lab.dfir.codegen import generate
from hydro_lab.dfir.runtime import Engine, UserCodeError
from hydro_lab.errors import HydroRuntimeError
from hydro_lab.member_id import MembershipEvent, reset_self_id, set_self_id
from hydro_lab.observe.metrics import fault_records, tick_records

DRIVER = "driver"
METRICS_FLUSH_S = 0.2
METRICS_FLUSH_ROWS = 5000
METRICS_MAX_ROWS = 100_000  # if the driver cannot keep up, the oldest unsent rows go


class TickFailed(HydroRuntimeError):
    """A tick of this instance failed (or it failed before): ``failure`` says how."""

    def __init__(self, failure: TickFailure):
        super().__init__(str(failure.to_error()))
        self.failure = failure


class _ThreadOutput(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of an actor's process: a thread that is ticking writes into
    its own buffer (sent to the driver), every other thread where the stream went before."""

    def __init__(self, original: Any):
        self.original = original
        self._local = threading.local()

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

    @contextmanager
    def caught(self):
        """Keep what this thread writes meanwhile; yields the list it lands in."""
        self._local.buf = buf = []
        try:
            yield buf
        finally:
            self._local.buf = None


def catch_prints() -> tuple[_ThreadOutput, _ThreadOutput]:
    """Put ``_ThreadOutput`` in front of this process's stdout and stderr (once)."""
    for name in ("stdout", "stderr"):
        if not isinstance(getattr(sys, name), _ThreadOutput):
            setattr(sys, name, _ThreadOutput(getattr(sys, name)))
    return sys.stdout, sys.stderr  # type: ignore[return-value]


class InstanceRuntime:
    def __init__(self, inst: InstanceId, program_blob: bytes, name: str, channels: dict,
                 members: dict[str, list[int]], ports: dict, host: str = "127.0.0.1", *,
                 send_prints: bool = False):
        self.inst = inst
        # what ticks print goes to the driver (an actor's own output would reach the notebook
        # through Ray's log forwarding, under whichever cell ran last)
        self._outputs = catch_prints() if send_prints else None
        partitioned = cloudpickle.loads(program_blob)
        self.engine = Engine(generate(partitioned, name),
                             {"self_id": inst.member_id} if inst.member is not None else {})
        self.router = Router(channels, members, set())
        self.ports = ports
        self.sender = Sender()
        self.peers: dict[InstanceId, str] = {}
        self.driver: str | None = None
        self._incoming: deque = deque()
        self._received: Counter = Counter()
        self._expect_seq: Counter = Counter()
        self._sent_seq: Counter = Counter()
        self._cond = threading.Condition()
        self._tick_lock = threading.RLock()
        self._loop_thread: threading.Thread | None = None
        self._running = False
        self._paused = True
        self._metrics: list = []
        self._last_flush = time.monotonic()
        self.held = HeldDeliveries()
        self._min_tick_s = 0.0      # the tick-rate limit, as the least time between ticks
        self._next_tick_at = 0.0
        self.failed: TickFailure | None = None
        self.endpoint = Endpoint(self._on_message, host, inst.name)

    # -- wiring -------------------------------------------------------------------------------

    def connect(self, peers: dict[InstanceId, str], driver: str) -> None:
        """Learn where the (live) peers and the driver listen; they are the members present."""
        self.peers = dict(peers)
        self.driver = driver
        self.router.alive = set(peers)
        for op in self.engine.program.graph.operators.values():
            port = op.args.get("port") if op.op == "source_stream" else None
            if port and port[0] == "members":
                self.engine.deliver(port, [(p.member_id, MembershipEvent.JOINED) for p in peers
                                           if p.member is not None
                                           and p.location.name == port[1]])

    def set_alive(self, inst: InstanceId, alive: bool, address: str | None = None) -> None:
        """A member was killed (fail-stop: what is sent to it from now on is dropped) or
        restarted (with fresh state, at a new address)."""
        with self._tick_lock:
            if alive:
                self.router.alive.add(inst)
                if address is not None:
                    old = self.peers.get(inst)
                    if old and old != address:
                        self.sender.forget(old)
                    self.peers[inst] = address
                self._sent_seq[inst] = 0
            else:
                self.router.alive.discard(inst)
            self.held.forget(inst)
            if inst.member is not None:
                port = ("members", inst.location.name)
                if any(op.op == "source_stream" and op.args.get("port") == port
                       for op in self.engine.program.graph.operators.values()):
                    event = MembershipEvent.JOINED if alive else MembershipEvent.LEFT
                    with self._cond:
                        self._incoming.append((port, [(inst.member_id, event)], 0))
                        self._cond.notify_all()

    def set_tick_rate(self, rate: float | None) -> None:
        with self._cond:
            self._min_tick_s = 0.0 if rate is None else 1.0 / rate
            self._next_tick_at = 0.0
            self._cond.notify_all()

    def set_fault(self, channel: str, fault: Fault) -> None:
        with self._tick_lock:
            if fault:
                self.router.faults[channel] = ChannelFault(fault, channel)
            else:
                self.router.faults.pop(channel, None)
        with self._cond:
            self._cond.notify_all()

    def reset_sender(self, peer: InstanceId | str) -> None:
        """Forget the sequence numbers received from a peer that was restarted."""
        with self._cond:
            self._received[peer] = 0
            self._expect_seq[peer] = 0

    # -- receiving --------------------------------------------------------------------------------

    def _on_message(self, kind: bytes, header: Any, payload: bytes) -> None:
        if kind == b"data":
            sender, port, tag, seq = header
            items = self.router.receive(port, payload, tag)
            self._accept(sender, seq, port, items, len(payload))
        elif kind == b"ext":
            port, seq = header
            self._accept(DRIVER, seq, port, pickle.loads(payload))

    def _accept(self, sender, seq: int, port: Any, items: list, nbytes: int = 0) -> None:
        with self._cond:
            expected = self._expect_seq[sender] + 1
            if seq != expected and self.failed is None:
                self.failed = TickFailure(
                    self.inst.name, None, f"{self.inst.name}: message {seq} from {sender} "
                    f"arrived when {expected} was expected (the channel lost its FIFO order)")
            self._expect_seq[sender] = seq
            self._incoming.append((port, items, nbytes))
            self._received[sender] += 1
            self._cond.notify_all()

    # -- ticking --------------------------------------------------------------------------------

    def has_work(self, now: float) -> bool:
        return bool(self._incoming) or self.engine.has_work(now)

    def tick_once(self, now: float, expect: dict | None = None,
                  timeout: float = 60.0) -> tuple[dict, list, TickFailure | None]:
        """One tick after the expected messages arrived; returns what was sent (per receiver),
        the metrics rows of this tick and any not yet flushed, and how the tick failed (None if
        it did not)."""
        if expect:
            deadline = time.monotonic() + timeout
            with self._cond:
                while any(self._received[s] < n for s, n in expect.items()):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        missing = {str(s): n - self._received[s] for s, n in expect.items()
                                   if self._received[s] < n}
                        raise HydroRuntimeError(f"{self.inst.name}: messages {missing} did not "
                                                f"arrive within {timeout} s")
                    self._cond.wait(left)
        failure = None
        try:
            sent = self._tick(now)
        except TickFailed as err:
            sent, failure = {}, err.failure
        rows, self._metrics = self._metrics, []
        return sent, rows, failure

    def _tick(self, now: float) -> dict:
        with self._tick_lock:
            if self.failed:
                raise TickFailed(self.failed)
            released = self._release(time.monotonic()) if self.held else None
            with self._cond:
                batches, self._incoming = list(self._incoming), deque()
            arrived: dict[str, list[int]] = {}
            for port, items, nbytes in batches:
                self.engine.deliver(port, items)
                spec = self.router.channels.get(port)
                if spec is not None:
                    totals = arrived.setdefault(spec.name, [0, 0])
                    totals[0] += len(items)
                    totals[1] += nbytes
            token = set_self_id(self.inst.member_id)
            printed: list[list[str]] = []
            try:
                with self._caught(printed):
                    report = self.engine.run_tick(now)
            except UserCodeError as err:
                self.failed = TickFailure.of(err, self.inst)
                raise TickFailed(self.failed) from None
            finally:
                reset_self_id(token)
                sent_prints = self._send_prints(printed)
            sent = self._emit(report, now, arrived, released)
            if sent_prints:
                sent[DRIVER] = sent.get(DRIVER, 0) + sent_prints
            return sent

    @contextmanager
    def _caught(self, printed: list[list[str]]):
        if self._outputs is None:
            yield
            return
        out, err = self._outputs
        with out.caught() as out_text, err.caught() as err_text:
            printed += [out_text, err_text]
            yield

    def _send_prints(self, printed: list[list[str]]) -> int:
        """Send what a tick printed to the driver; returns how many messages that took."""
        n = 0
        for stream, parts in zip(("stdout", "stderr"), printed, strict=False):
            if parts and self.driver is not None:
                self._sent_seq[DRIVER] += 1
                self.sender.send(self.driver, b"print",
                                 (self.inst, ("print", stream), self._sent_seq[DRIVER]),
                                 "".join(parts).encode("utf-8", "replace"))
                n += 1
        return n

    def _emit(self, report, now: float, arrived: dict[str, list[int]],
              released: Counter | None = None) -> dict:
        sent: Counter = released if released is not None else Counter()
        faulted: dict[str, list[int]] = {}
        rows = tick_records(self.inst.location.name, self.inst.member, report,
                            self.engine.program.graph)
        loc, member = self.inst.location.name, self.inst.member
        for channel, (n, nbytes) in arrived.items():
            rows.append((loc, member, report.tick, now, "messages_in", channel, n))
            rows.append((loc, member, report.tick, now, "bytes_in", channel, nbytes))
        per_channel: dict[str, list[int]] = {}
        for port, values in report.outputs.items():
            kind = port[0]
            if kind == "net":
                for d in self.router.route(self.inst, port, values):
                    address = self.peers.get(d.dst)
                    if address is None:
                        continue
                    if d.dropped or d.delay or self.held:
                        if not self.held.admit(d, time.monotonic(), faulted):
                            continue
                    self._sent_seq[d.dst] += 1
                    self.sender.send(address, b"data",
                                     (self.inst, port, d.tag, self._sent_seq[d.dst]), d.data)
                    sent[d.dst] += 1
                    totals = per_channel.setdefault(d.channel, [0, 0])
                    totals[0] += d.count
                    totals[1] += d.nbytes
            elif kind in ("external", "sink"):
                self._to_driver(b"out" if kind == "external" else b"sink", port, values)
                sent[DRIVER] += 1
        for channel, (n, nbytes) in per_channel.items():
            rows.append((loc, member, report.tick, now, "messages_out", channel, n))
            rows.append((loc, member, report.tick, now, "bytes_out", channel, nbytes))
        if faulted:
            rows += fault_records(self.inst.location.name, self.inst.member, report.tick,
                                  now, faulted)
        self._metrics.extend(rows)
        if len(self._metrics) > METRICS_MAX_ROWS:
            del self._metrics[: len(self._metrics) - METRICS_MAX_ROWS]
        return dict(sent)

    def _release(self, now: float) -> Counter:
        """Send the held batches that are due (the caller holds the tick lock); returns how many
        messages went to each peer."""
        sent: Counter = Counter()
        for d in self.held.pop_due(now):
            address = self.peers.get(d.dst)
            if address is None or d.dst not in self.router.alive:
                continue
            self._sent_seq[d.dst] += 1
            self.sender.send(address, b"data",
                             (self.inst, d.port, d.tag, self._sent_seq[d.dst]), d.data)
            sent[d.dst] += 1
        return sent

    def _to_driver(self, kind: bytes, port: Any, values: list) -> None:
        if kind == b"out":
            info = self.ports[port[1]]
            payload = info.codec.encode(values)
        else:
            payload = cloudpickle.dumps(values)
        self._sent_seq[DRIVER] += 1
        self.sender.send(self.driver, kind, (self.inst, port, self._sent_seq[DRIVER]), payload)

    def flush_metrics(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self._metrics or self.driver is None:
            return
        if force or len(self._metrics) >= METRICS_FLUSH_ROWS or \
                now - self._last_flush >= METRICS_FLUSH_S:
            rows, self._metrics = self._metrics, []
            self._last_flush = now
            self.sender.send(self.driver, b"metrics", self.inst, pickle.dumps(rows))

    # -- free running ---------------------------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            self._paused = False
            self._running = True
            if self._loop_thread is None:
                self._loop_thread = threading.Thread(target=self._loop, daemon=True,
                                                     name=f"hydro-tick-{self.inst.name}")
                self._loop_thread.start()
            self._cond.notify_all()

    def pause(self) -> None:
        with self._cond:
            self._paused = True
        with self._tick_lock:  # returns once a tick in progress has finished
            pass

    def _loop(self) -> None:
        while True:
            with self._cond:
                if not self._running:
                    return
                if self._paused:
                    self._cond.wait(0.1)
                    continue
                now = time.monotonic()
                due = self.held.next_due() if self.held else None
                release = due is not None and due <= now
                if not release:
                    wait = self._wait(now, due)
                    if wait is not None:
                        self._cond.wait(wait)
                        continue
            started = time.monotonic()
            with self._tick_lock:
                if self._paused or not self._running:
                    continue  # pause() came in between: once it returned, nothing may run
                if release:
                    self._release(started)
                    continue
                try:
                    self._tick(started)
                except TickFailed as err:
                    self._report_error(err.failure)
                    return
                except HydroRuntimeError as err:
                    self._report_error(TickFailure(self.inst.name, None, str(err)))
                    return
            if self._min_tick_s:
                self._next_tick_at = started + self._min_tick_s
            self.flush_metrics()

    def _wait(self, now: float, due: float | None) -> float | None:
        """How long the loop sleeps before looking again (None: tick now): until the rate
        limit allows the next tick, or until there is work."""
        if now < self._next_tick_at:
            wait = self._next_tick_at - now
        elif self.has_work(now):
            return None
        else:
            deadline = self.engine.next_deadline()
            wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - now))
        return wait if due is None else max(0.0, min(wait, due - now))

    def _report_error(self, failure: TickFailure) -> None:
        with self._cond:
            self._running = False
        self.flush_metrics(force=True)
        if self.driver is not None:
            self.sender.send(self.driver, b"error", self.inst, pickle.dumps(failure))

    def stop(self) -> None:
        with self._cond:
            self._running = False
            self._cond.notify_all()
        thread = self._loop_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self.flush_metrics(force=True)
        self.endpoint.close()
        self.sender.close()

