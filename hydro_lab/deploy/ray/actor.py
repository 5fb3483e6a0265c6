"""One location instance in its own process, hosted by a Ray actor: the sockets it talks on and a
tick loop of its own around the instance core (``core.instance``), which does the ticking, the
routing, the faults and the rows; this module only moves its outcomes over the network.

Two ways to drive it, both used by ``RayDeployment``:

* **free running** (``start``): a thread ticks whenever there is work (inputs arrived, a spin, a
  timer due), on this process's clock — what a deployed Hydro location does;
* **rounds** (``tick_once``): the driver asks for exactly one tick, passing the clock value and how
  many messages each peer has sent here so far; the tick waits until those have arrived, which
  makes a round on several processes behave exactly like a round of ``LocalDeployment``.

Live controls reach it from the driver: a tick-rate limit for the free-running loop, and faults
on the channels it sends (drops decided by the core's router; delayed batches held by the core
and sent when due: by the loop when free running, at the start of the next tick in rounds).

What a tick prints (``for_each(print)``) is caught on the ticking thread and sent to the driver
with the tick's outputs (``deploy.output``); the driver shows it tagged with this instance where
the deployment's output goes (in a notebook, the cell that deployed) instead of wherever Ray's
log forwarding would put it. A failed tick is sent
as a ``TickFailure`` (plain data): the driver names the notebook cells in it. The exception that
caused it goes along, pickled where it can be (``dump_cause``), to be the error's ``__cause__``
there as it is on a local deployment.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import Counter, deque
from contextlib import contextmanager
from typing import Any

import cloudpickle
import ray

from hydro_lab.core.failure import TickFailure
from hydro_lab.core.faults import Fault
from hydro_lab.core.instance import InstanceCore, Outcome
from hydro_lab.core.routing import Delivery, InstanceId
from hydro_lab.core.topology import Topology
from hydro_lab.deploy.output import caught
from hydro_lab.deploy.ray.session import data_plane_host
from hydro_lab.deploy.ray.transport import Endpoint, Sender
from hydro_lab.deploy.sources import InstanceSources
from hydro_lab.errors import HydroRuntimeError
from hydro_lab.member_id import MembershipEvent

DRIVER = "driver"
METRICS_FLUSH_S = 0.2
METRICS_FLUSH_ROWS = 5000
METRICS_MAX_ROWS = 100_000  # if the driver cannot keep up, the oldest unsent rows go


class TickFailed(HydroRuntimeError):
    """A tick of this instance failed (or it failed before): ``failure`` says how, ``cause`` is
    the exception that caused it (None if there is none), ``sent`` what the tick sent before it
    failed, per receiver (what it printed, for the driver)."""

    def __init__(self, failure: TickFailure, cause: BaseException | None = None,
                 sent: dict | None = None):
        super().__init__(str(failure.to_error()))
        self.failure = failure
        self.cause = cause
        self.sent = sent or {}


def dump_cause(cause: BaseException | None) -> bytes | None:
    """The exception that failed a tick, pickled for the driver as its type, ``args`` and
    attributes (without the attributes, or the ``args``, when pickle cannot carry them; None when
    it cannot carry the type either: the failure's text says it all anyway). Not its traceback."""
    if cause is None:
        return None
    kind, args, state = type(cause), cause.args, dict(getattr(cause, "__dict__", {}))
    for parts in ((kind, args, state), (kind, args, {}), (kind, (), {})):
        try:
            return cloudpickle.dumps(parts)
        except Exception:  # noqa: BLE001  (try with less)
            continue
    return None


def load_cause(blob: bytes | None) -> BaseException | None:
    """What ``dump_cause`` made, rebuilt in the driver without calling the class's
    ``__init__`` (a user's exception may want other arguments than its ``args``)."""
    if blob is None:
        return None
    try:
        kind, args, state = pickle.loads(blob)
        cause = kind.__new__(kind, *args)
        cause.args = args
        cause.__dict__.update(state)
    except Exception:  # noqa: BLE001  (e.g. a class that cannot be imported here)
        return None
    return cause if isinstance(cause, BaseException) else None


class InstanceRuntime:
    """The driver of one instance in an actor's process: sockets in and out around an
    ``InstanceCore``, a tick loop of its own, and the rounds the deployment's driver asks for."""

    def __init__(self, inst: InstanceId, topology: Topology, host: str = "127.0.0.1", *,
                 send_prints: bool = False):
        self.inst = inst
        # what ticks print goes to the driver (an actor's own output would reach the notebook
        # through Ray's log forwarding, under whichever cell ran last), which tags it
        self._catch_prints = send_prints
        self.core = InstanceCore(inst, topology, alive=set())
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
        self._min_tick_s = 0.0      # the tick-rate limit, as the least time between ticks
        self._next_tick_at = 0.0
        self.failed: TickFailure | None = None
        self.failed_cause: BaseException | None = None  # the exception behind ``failed``
        self.endpoint = Endpoint(self._on_message, host, inst.name)
        # live sources (source_stream): read by threads of their own, fed at each tick
        self.sources = InstanceSources(topology, inst, self._source_ready)

    def _source_ready(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # -- wiring -------------------------------------------------------------------------------

    def connect(self, peers: dict[InstanceId, str], driver: str) -> None:
        """Learn where the (live) peers and the driver listen; they are the members present."""
        with self._tick_lock:
            self.peers = dict(peers)
            self.driver = driver
            self.core.router.alive = set(peers)
            self.core.membership([(p, MembershipEvent.JOINED) for p in peers])

    def set_alive(self, inst: InstanceId, alive: bool, address: str | None = None) -> None:
        """A member was killed (fail-stop: what is sent to it from now on is dropped) or
        restarted (with fresh state, at a new address)."""
        with self._tick_lock:
            if alive:
                if address is not None:
                    old = self.peers.get(inst)
                    if old and old != address:
                        self.sender.forget(old)
                    self.peers[inst] = address
                self._sent_seq[inst] = 0
            self.core.set_alive(inst, alive)
        with self._cond:
            self._cond.notify_all()

    def set_tick_rate(self, rate: float | None) -> None:
        with self._cond:
            self._min_tick_s = 0.0 if rate is None else 1.0 / rate
            self._next_tick_at = 0.0
            self._cond.notify_all()

    def set_fault(self, channel: str, fault: Fault) -> None:
        with self._tick_lock:
            self.core.set_fault(channel, fault)
        with self._cond:
            self._cond.notify_all()

    def reset_sender(self, peer: InstanceId | str) -> None:
        """Forget the sequence numbers received from a peer that was restarted."""
        with self._cond:
            self._received[peer] = 0
            self._expect_seq[peer] = 0

    # -- receiving --------------------------------------------------------------------------------

    def _on_message(self, kind: bytes, header: Any, payload: bytes) -> None:
        # headers carry plain values (a channel's name, a port's key and mode): a typed port
        # would pickle through copyreg on every message
        topology = self.core.topology
        if kind == b"data":
            sender, channel, tag, seq = header
            self._accept(sender, seq, (topology.channel_ports[channel], payload, tag, True))
        elif kind == b"ext":
            key, mode, seq = header
            items = pickle.loads(payload)
            self._accept(DRIVER, seq, (topology.client_ports[key, mode], items, None, False))

    def _accept(self, sender, seq: int, arrival: tuple) -> None:
        with self._cond:
            expected = self._expect_seq[sender] + 1
            if seq != expected and self.failed is None:
                self.failed = TickFailure(
                    self.inst.name, None, f"{self.inst.name}: message {seq} from {sender} "
                    f"arrived when {expected} was expected (the channel lost its FIFO order)")
            self._expect_seq[sender] = seq
            self._incoming.append(arrival)
            self._received[sender] += 1
            self._cond.notify_all()

    # -- ticking --------------------------------------------------------------------------------

    def has_work(self, now: float) -> bool:
        return bool(self._incoming) or self.sources.ready() or self.core.has_work(now)

    def tick_once(self, now: float, expect: dict | None = None, timeout: float = 60.0
                  ) -> tuple[dict, list, TickFailure | None, bytes | None]:
        """One tick after the expected messages arrived; returns what was sent (per receiver),
        the metrics rows of this tick and any not yet flushed, how the tick failed (None if it
        did not) and the exception that failed it (``dump_cause``)."""
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
        failure, cause = None, None
        try:
            sent = self._tick(now)
        except TickFailed as err:
            sent, failure, cause = err.sent, err.failure, dump_cause(err.cause)
        rows, self._metrics = self._metrics, []
        return sent, rows, failure, cause

    def _tick(self, now: float) -> dict:
        with self._tick_lock:
            if self.failed:
                raise TickFailed(self.failed, self.failed_cause)
            sent: Counter = Counter()
            self._send(self.core.release(time.monotonic()), sent)
            with self._cond:
                batches, self._incoming = list(self._incoming), deque()
            printed: list[list[str]] = []
            if self.sources:
                self.sources.feed(self.core)
            try:
                for port, data, tag, encoded in batches:
                    if encoded:
                        self.core.arrive(port, data, tag)
                    else:
                        self.core.arrive_items(port, data)
                with self._caught(printed):
                    outcome = self.core.tick(now)
            except HydroRuntimeError as err:  # a batch its codec could not decode
                outcome = Outcome(self.core.tick_number,
                                  failure=TickFailure(self.inst.name, None, str(err)))
                self.failed_cause = err.__cause__ or err
            finally:
                sent_prints = self._send_prints(printed)
            if sent_prints:
                sent[DRIVER] += sent_prints
            if outcome.failure is not None:  # what it printed before it failed still counts
                self.failed = outcome.failure
                if self.failed_cause is None:
                    self.failed_cause = self.core.failed_cause
                raise TickFailed(self.failed, self.failed_cause, dict(sent))
            self._send(outcome.deliveries, sent)
            for key, data in outcome.external.items():
                self._to_driver(b"out", key, data)
                sent[DRIVER] += 1
            for port, values in outcome.sinks.items():
                try:
                    payload = self._sink_payload(port, values)
                except TickFailed as err:
                    err.sent = dict(sent)
                    raise
                self._to_driver(b"sink", port.node, payload)
                sent[DRIVER] += 1
            self._metrics.extend(outcome.rows)
            if len(self._metrics) > METRICS_MAX_ROWS:
                del self._metrics[: len(self._metrics) - METRICS_MAX_ROWS]
            return dict(sent)

    def _sink_payload(self, port: Any, values: list) -> bytes:
        try:
            return cloudpickle.dumps(values)
        except Exception as err:
            self.failed_cause = err
            self.failed = TickFailure(
                self.inst.name, self.core.tick_number - 1,
                f"a dest_sink in {self.inst.name} got {values!r:.80}, which cannot travel to the "
                f"driver that holds the sink: {type(err).__name__}: {err}.\n  On Ray a sink's "
                f"values are pickled; convert them first (e.g. .map(...) to plain data)")
            raise TickFailed(self.failed, err) from err

    @contextmanager
    def _caught(self, printed: list[list[str]]):
        if not self._catch_prints:
            yield
            return
        with caught() as texts:
            printed += texts
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

    def _send(self, deliveries: list[Delivery], sent: Counter) -> None:
        """Send deliveries to their peers (the core routes to live ones only), counting them
        per receiver."""
        for d in deliveries:
            address = self.peers.get(d.dst)
            if address is None:
                continue
            self._sent_seq[d.dst] += 1
            self.sender.send(address, b"data",
                             (self.inst, d.port[1], d.tag, self._sent_seq[d.dst]), d.data)
            sent[d.dst] += 1

    def _to_driver(self, kind: bytes, port: Any, payload: bytes) -> None:
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
                due = self.core.held.next_due() if self.core.held else None
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
                    released: Counter = Counter()
                    self._send(self.core.release(started), released)
                    continue
                try:
                    self._tick(started)
                except TickFailed as err:
                    self._report_error(err.failure, err.cause)
                    return
                except HydroRuntimeError as err:
                    self._report_error(TickFailure(self.inst.name, None, str(err)),
                                       err.__cause__ or err)
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
            deadline = self.core.engine.next_deadline()
            wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - now))
        return wait if due is None else max(0.0, min(wait, due - now))

    def _report_error(self, failure: TickFailure, cause: BaseException | None) -> None:
        self.sources.stop()
        with self._cond:
            self._running = False
        self.flush_metrics(force=True)
        if self.driver is not None:
            self.sender.send(self.driver, b"error", self.inst,
                             pickle.dumps((failure, dump_cause(cause))))

    def stop(self) -> None:
        self.sources.stop()
        with self._cond:
            self._running = False
            self._cond.notify_all()
        thread = self._loop_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self.flush_metrics(force=True)
        self.endpoint.close()
        self.sender.close()


@ray.remote
class InstanceActor:
    """Hosts one location instance (see ``InstanceRuntime``)."""

    def __init__(self, inst, blob: bytes):
        # the topology with this location's compiled program (its source is compiled here)
        topology = cloudpickle.loads(blob)
        self.rt = InstanceRuntime(inst, topology, data_plane_host(), send_prints=True)

    def address(self) -> str:
        return self.rt.endpoint.address

    def node_id(self) -> str:
        return ray.get_runtime_context().get_node_id()

    def connect(self, peers, driver) -> None:
        self.rt.connect(peers, driver)

    def tick_once(self, now, expect):
        return self.rt.tick_once(now, expect)  # (sent per receiver, rows, failure, cause)

    def start(self) -> None:
        self.rt.start()

    def pause(self) -> dict:
        self.rt.pause()
        self.rt.flush_metrics(force=True)
        return dict(self.rt._sent_seq)

    def set_alive(self, inst, alive, address=None) -> None:
        self.rt.set_alive(inst, alive, address)

    def reset_sender(self, peer) -> None:
        self.rt.reset_sender(peer)

    def set_tick_rate(self, rate) -> None:
        self.rt.set_tick_rate(rate)

    def set_fault(self, channel, fault) -> None:
        self.rt.set_fault(channel, fault)

    def stop(self) -> None:
        self.rt.stop()
