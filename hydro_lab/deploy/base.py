"""What every deployment shares: the lifecycle, failures, live controls, kill/restart and
metrics, over the topology (``core.topology``) and the clients (``deploy.clients``); a backend
(``local``, ``ray``) says when instances tick and how outcomes travel.

Lifecycle (docs/api.md): ``start()`` runs the flow in the background until ``stop()``;
``pause()`` and ``resume()`` hold and release it; ``step(ticks)`` runs that many rounds (every
instance ticks once per round) in the caller; ``run(ticks=..)`` runs rounds, ``run(seconds=..)``
runs in real time.
Used as a context manager a deployment starts on enter and stops on exit. A failure in user code
stops the deployment and is raised in the caller as ``HydroRuntimeError``; ``on_failure`` hears
of it at once, also when it happens in the background.

Output: the threads of a deployment run in a copy of the context it was created in, so what the
flow prints in the background goes where the creator's prints go (in a notebook: the cell that
deployed, as ipykernel keeps the cell an output belongs to in a context variable). Each line an
instance prints is tagged with it, as hydro_deploy shows each process's output (``[leader] ...``,
``[workers / 0] ...``), and ``stdout(location, member)``/``stderr`` give an instance's lines
(``deploy.output``).

Live controls, on every backend and while the flow runs: ``set_tick_rate(n)`` caps how many ticks
a second each free-running instance makes, ``inject(channel, drop=, delay=)`` drops or delays the
messages of one channel (``channels()`` names them), ``kill``/``restart`` stop and start cluster
members; ``dashboard()`` shows it all live in a notebook, ``graph()`` draws the flow with its
counts and rates live.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from hydro_lab.core.failure import TickFailure
from hydro_lab.core.faults import Fault
from hydro_lab.core.routing import InstanceId
from hydro_lab.core.topology import Topology
from hydro_lab.deploy.clients import Client, ClientPorts, through_codec
from hydro_lab.deploy.output import PrintedLines
from hydro_lab.deploy.output import restore as restore_streams
from hydro_lab.errors import HydroDeployError, HydroRuntimeError
from hydro_lab.ir.locations import ClusterId
from hydro_lab.member_id import MembershipEvent
from hydro_lab.observe.metrics import MetricsRecorder, event_records
from hydro_lab.views import get_view


def _call_listener(callback: Callable[[HydroRuntimeError], Any],
                   err: HydroRuntimeError) -> None:
    try:
        callback(err)
    except Exception:  # noqa: BLE001  (a listener must never take the deployment down)
        pass


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


class Deployment:
    """The shared lifecycle; backends implement ``_round``, ``_deliver`` and the thread."""

    backend = "base"

    def __init__(self, compiled, cluster_sizes: Any = None, *, clock=time.monotonic,
                 max_records: int = 200_000, keep_unclaimed: int = 10_000,
                 keep_lines: int = 10_000):
        self.compiled = compiled
        self.clock = clock
        self.topology = Topology.of(compiled, cluster_sizes)
        self.cluster_sizes = self.topology.cluster_sizes
        self.instances: list[InstanceId] = self.topology.instances
        self.recorder = MetricsRecorder(max_records)
        self.ports = self.topology.ports
        self.clients = ClientPorts(self.ports, keep_unclaimed)
        if isinstance(keep_lines, bool) or not isinstance(keep_lines, int) or keep_lines < 0:
            raise HydroDeployError(f"keep_lines is how many printed lines to keep per instance "
                                   f"(d.stdout(...) reads them), an int >= 0; got "
                                   f"{keep_lines!r}")
        self.printed = PrintedLines(keep_lines)  # what each instance printed, line by line
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._error: HydroRuntimeError | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self._paused = False
        self._stopped = False
        self._tick_rate: float | None = None
        self._next_round_at = 0.0  # when the rate limit allows the next free-running round
        self._faults: dict[str, Fault] = {}
        self._failure_listeners: list[Callable[[HydroRuntimeError], Any]] = []
        # the creator's context: background threads print where the creator prints
        self._context = contextvars.copy_context()
        # how to run an edited flow, said when a port of another flow is connected
        self.redeploy_hint = "deploy the flow again"

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``created``, ``running``, ``paused``, ``failed`` (a user function raised: ``error``
        says how) or ``stopped`` (by ``stop()``, also after a failure: ``error`` stays)."""
        if self._stopped:
            return "stopped"
        if self._error is not None:
            return "failed"
        if self._thread is not None:
            return "paused" if self._paused else "running"
        return "created"

    def start(self) -> Deployment:
        """Run the flow in the background until ``stop()``."""
        self._raise_error()
        self._check_not_stopped("start")
        with self._lock:
            if self._thread is not None:
                return self
            self._running = True
            self._paused = False
            self._thread = self._new_thread(self._background, f"hydro-{self.backend}")
        return self

    def pause(self) -> None:
        """Stop ticking (inputs keep queueing) until ``resume()``."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        """Let a paused deployment run again (the opposite of ``pause()``); the dashboard's
        pause button calls both."""
        with self._wake:
            self._paused = False
            self._wake.notify_all()

    def step(self, ticks: int = 1) -> None:
        """Run ``ticks`` rounds now, in the caller: every instance ticks once per round."""
        self._raise_error()
        self._check_not_stopped("step")
        if isinstance(ticks, bool) or not isinstance(ticks, int) or ticks < 0:
            raise HydroDeployError(f"step(ticks=...) takes a non-negative int, got {ticks!r}")
        with self._held():
            with self._lock:
                for _ in range(ticks):
                    self._round(force=True)
                    if self._error is not None:
                        break
        self._raise_error()

    def run(self, ticks: int | None = None, seconds: float | None = None) -> None:
        """``run(ticks=N)``: N rounds now. ``run(seconds=S)``: S seconds of real time (ticking
        whenever there is work: inputs, timers, spins), in the background if started."""
        if (ticks is None) == (seconds is None):
            raise HydroDeployError("run() takes exactly one of ticks=N or seconds=S")
        if ticks is not None:
            self.step(ticks)
            return
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise HydroDeployError(f"run(seconds=...) takes a non-negative number, got "
                                   f"{seconds!r}")
        self._raise_error()
        self._check_not_stopped("run")
        end = time.monotonic() + seconds
        if self._thread is not None:
            while time.monotonic() < end and self._error is None:
                time.sleep(min(0.05, max(0.0, end - time.monotonic())))
        else:
            self._drive_until(end)
        self._raise_error()

    def stop(self) -> None:
        """Stop for good: the background thread ends, nothing is left running."""
        with self._wake:
            self._running = False
            self._stopped = True
            self._wake.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        self._thread = None
        self._shutdown()
        self.printed.flush()
        restore_streams()  # the tick's stream wrappers (deploy.output), on the stopping thread
        self._raise_error()

    def __enter__(self) -> Deployment:
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.stop()
        except HydroRuntimeError:
            if exc_type is None:
                raise

    def __del__(self) -> None:
        try:
            if self._thread is not None and not self._stopped:
                with self._wake:
                    self._running = False
                    self._stopped = True
                    self._wake.notify_all()
        except Exception:  # interpreter shutdown: nothing left to clean
            pass

    @property
    def error(self) -> HydroRuntimeError | None:
        """Why the flow failed (None while it has not): the operator, the line inside the user's
        function that raised, the element, the instance and the tick."""
        return self._error

    def on_failure(self, callback: Callable[[HydroRuntimeError], Any]) -> None:
        """Call ``callback(error)`` once when the flow fails, at once, on the thread that saw it
        fail (in the background too); at once if it has failed already."""
        with self._lock:
            failed = self._error
            if failed is None:
                self._failure_listeners.append(callback)
        if failed is not None:
            _call_listener(callback, failed)

    def _fail(self, err: HydroRuntimeError) -> None:
        """The flow failed: keep the first error, let the backend react, tell the listeners."""
        with self._lock:
            if self._error is not None:
                return
            self._error = err
            listeners, self._failure_listeners = self._failure_listeners, []
        self._failed()
        for callback in listeners:
            _call_listener(callback, err)

    @staticmethod
    def error_of(failure: TickFailure, cause: BaseException | None = None) -> HydroRuntimeError:
        """The error the user reads for a failed tick (with the exception itself as its cause
        where this process has it)."""
        err = failure.to_error()
        if cause is not None:
            err.__cause__ = cause
        return err

    def _failed(self) -> None:
        """Backends that must do something when the flow fails (Ray pauses its actors)."""

    def _new_thread(self, target: Callable[[], Any], name: str) -> threading.Thread:
        """A daemon thread running ``target`` in a copy of the creator's context (so it prints
        where the creator prints), started."""
        thread = threading.Thread(target=self._context.copy().run, args=(target,), name=name,
                                  daemon=True)
        thread.start()
        return thread

    # -- what the instances print ----------------------------------------------------------------

    def stdout(self, location, member: int | None = None) -> list[str]:
        """The lines a process, or member ``member`` of a cluster, printed so far (the last
        ``keep_lines``, 10 000 unless ``flow.deploy(..., keep_lines=N)`` says otherwise), without
        the tag they are shown with: Hydro's ``get_process(&p).stdout()`` and
        ``get_cluster(&c).members()[i].stdout()``. ``d.stdout(leader)``, ``d.stdout(workers, 0)``.

        While the flow runs, each line an instance prints shows where the deployment prints (the
        cell that deployed, or the caller of ``step``), tagged as hydro_deploy tags it:
        ``[leader] line``, ``[workers / 0] line``. A line is complete at its newline (the rest
        of one waits for it, or for ``stop()``)."""
        return self.printed.lines(self._instance(location, member, "stdout"), "stdout")

    def stderr(self, location, member: int | None = None) -> list[str]:
        """The lines a process, or member ``member`` of a cluster, printed to stderr so far,
        shown as ``[leader stderr] line`` / ``[workers / 0 stderr] line`` (see ``stdout``)."""
        return self.printed.lines(self._instance(location, member, "stderr"), "stderr")

    def _printed(self, inst: InstanceId, texts: tuple[list[str], list[str]]) -> None:
        """What a tick of ``inst`` printed (its stdout and stderr parts): tagged and shown."""
        out, err = texts
        if out:
            self.printed.add(inst, "stdout", "".join(out))
        if err:
            self.printed.add(inst, "stderr", "".join(err))

    def _instance(self, location, member: int | None, verb: str) -> InstanceId:
        """The instance a user names by its location (and member index, for a cluster)."""
        name = getattr(location, "name", location)
        kinds = {inst.location.name: inst.member is not None for inst in self.instances}
        if name not in kinds:
            raise HydroDeployError(f"{verb}(): this deployment has no process or cluster "
                                   f"{name!r}; it has {sorted(kinds)}")
        if not kinds[name]:
            if member is not None:
                raise HydroDeployError(f"{verb}(): {name!r} is a process, it has no members: "
                                       f"{verb}({name}) without a member index")
            return next(i for i in self.instances if i.location.name == name)
        size = self.cluster_sizes[name]
        if member is None:
            raise HydroDeployError(f"{verb}(): {name!r} is a cluster of {size} member"
                                   f"{'s' * (size != 1)}: say which, as {verb}({name}, 0)")
        return self._member(location, member, verb)

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _check_not_stopped(self, what: str) -> None:
        if self._stopped:
            raise HydroDeployError(f"{what}(): this deployment was stopped; deploy the flow "
                                   "again to run it anew")

    @contextlib.contextmanager
    def _held(self):
        """Hold background running (if any) while the caller drives rounds itself."""
        was_paused = self._paused
        self.pause()
        try:
            yield
        finally:
            if not was_paused:
                self.resume()

    # -- rounds: the scheduler over the backend's ``_round`` (the local backend's thread; a
    # waiting client of any backend that is not running in the background) ---------------------

    def _background(self) -> None:
        """The thread ``start()`` runs: a round whenever an instance has work, under the rate
        limit; idle until the next timer or input otherwise (Ray's actors run on their own)."""
        while True:
            with self._wake:
                if not self._running or self._error is not None:
                    return
                if self._paused:
                    self._wake.wait(0.1)
                    continue
                hold = self._rate_wait()
                if hold > 0:
                    self._wake.wait(hold)
                    continue
                ran = self._free_round()
                if self._error is not None:
                    return
                if not ran:
                    self._wake.wait(self._idle_wait())

    def _drive_until(self, end: float) -> None:
        """``run(seconds=...)`` without ``start()``: rounds in the caller until ``end``."""
        while time.monotonic() < end and self._error is None:
            with self._wake:
                hold = self._rate_wait()
                ran = hold <= 0 and self._free_round()
                if not ran and self._error is None:
                    wait = hold if hold > 0 else self._idle_wait()
                    self._wake.wait(min(wait, max(0.0, end - time.monotonic())))


    def _drive_for(self, client: Client, remaining: float | None) -> bool:
        """Let a waiting client drive the flow when nothing runs in the background."""
        if self._thread is not None or self._stopped:
            return False
        with self._wake:
            hold = self._rate_wait()
            ran = hold <= 0 and self._free_round()
            if not ran:
                wait = hold if hold > 0 else self._idle_wait()
                self._wake.wait(min(wait, 0.05 if remaining is None else
                                    max(0.0, min(remaining, 0.05))))
        return True

    def _free_round(self) -> bool:
        """One round of free running (instances tick when they have work), under the rate
        limit: every instance ticks at most once a round, so rounds are what the limit spaces."""
        started = time.monotonic()
        ran = self._round(force=False)
        if ran and self._tick_rate is not None:
            self._next_round_at = started + 1.0 / self._tick_rate
        return ran

    def _rate_wait(self) -> float:
        if self._tick_rate is None:
            return 0.0
        return self._next_round_at - time.monotonic()

    def _idle_wait(self) -> float:
        deadline = self._next_deadline()
        if deadline is None:
            return 0.25
        return max(0.0, min(0.25, deadline - self.clock()))

    # -- clients ---------------------------------------------------------------------------------

    def connect(self, port) -> Client:
        """A client for an external port: ``send``/``send_many`` into an input port, ``recv``
        from an output port. Connecting a port that already has a client returns that client
        (so a notebook cell that connects can run again); on a ``bidi_external`` port every
        connect is a new client, with its own id.

        What the flow sent to an output port before a client connected is kept for it (up to
        ``keep_unclaimed`` values: see ``Client.dropped``) and delivered on connect. A port of
        another flow, or of this flow as edited since it was deployed, is refused."""
        info = self.topology.port(port, redeploy_hint=self.redeploy_hint)
        if isinstance(info.location, ClusterId):  # only a cluster's sim_input / sim_output
            kind = "sim_input" if info.direction == "in" else "sim_output"
            raise HydroDeployError(
                f"connect(): port {info.key} is a {kind} of cluster {info.location.name!r}, "
                "whose members each have their own; only the simulator connects to it "
                "(inst.connect(port) in a flow.sim(...) test). In a deployment, open the port "
                "on a process and forward to the cluster (.demux, .broadcast) or from it "
                "(.send(process))")
        with self._lock:
            client, new = self.clients.attach(self, info)
            if client.dropped and new:
                warnings.warn(
                    f"port {info.key}: {client.dropped} outputs sent before this client "
                    f"connected were dropped (the first {self.clients.keep_unclaimed} were kept "
                    f"for it). Connect right after deploying, before the flow runs, or keep more "
                    f"with flow.deploy(..., keep_unclaimed=N)", RuntimeWarning, stacklevel=2)
            if new and info.many_clients:
                self._deliver_external(info, "events",
                                       [(client.client_id, MembershipEvent.JOINED)])
            self._wake.notify_all()
        return client

    def _client_send(self, client: Client, values: list) -> None:
        info = self.ports[client.port]
        if info.direction == "out":
            raise HydroDeployError(f"port {client.port} is an output port: recv() from it")
        if client.closed:
            raise HydroDeployError(f"client {client.client_id} of port {client.port} is closed")
        items = through_codec(info, values)
        if info.many_clients:
            items = [(client.client_id, v) for v in items]
        with self._wake:
            self._deliver_external(info, "many" if info.many_clients else "single", items)
            self._wake.notify_all()

    def _client_close(self, client: Client) -> None:
        info = self.ports[client.port]
        with self._wake:
            if info.many_clients:
                self._deliver_external(info, "events", [(client.client_id, MembershipEvent.LEFT)])
            self._wake.notify_all()

    def _to_clients(self, port_key: int, values: list, through_codec: bool = True) -> None:
        """What the flow sent to external port ``port_key``: to its clients, or kept for one."""
        self.clients.deliver(port_key, values, through_codec)

    def _to_sink(self, port: Any, values: list) -> None:
        sink = self.compiled.lowered.sinks[port]
        push = next(getattr(sink, m) for m in ("append", "put", "send")
                    if callable(getattr(sink, m, None)))
        for v in values:
            push(v)

    # -- live controls --------------------------------------------------------------------------

    @property
    def tick_rate(self) -> float | None:
        """The tick-rate limit set by ``set_tick_rate`` (None: no limit)."""
        return self._tick_rate

    def set_tick_rate(self, ticks_per_second: float | None) -> None:
        """Cap how many ticks a second each instance makes while the flow runs freely (after
        ``start()``, or during ``run(seconds=...)``); ``None`` lifts the cap. ``step(n)`` still
        runs its n rounds at once. Takes effect while running."""
        if ticks_per_second is not None and (not _is_number(ticks_per_second)
                                             or ticks_per_second <= 0):
            raise HydroDeployError(
                f"set_tick_rate() takes a number of ticks per second > 0 (e.g. 10), or None for "
                f"no limit; got {ticks_per_second!r}")
        rate = None if ticks_per_second is None else float(ticks_per_second)
        with self._wake:
            self._tick_rate = rate
            self._next_round_at = 0.0
            self._apply_tick_rate(rate)
            self._wake.notify_all()

    def live_instances(self) -> list[str]:
        """The names of the instances running now, e.g. ``["leader", "workers[0]"]`` (a killed
        member is missing until it is restarted)."""
        alive = self._alive_set()
        return [inst.name for inst in self.instances if inst in alive]

    def channels(self) -> list[str]:
        """The names of this flow's network channels, which ``inject`` takes: the ``name=``
        given to ``send``/``broadcast``/..., or the automatic ``"sender->receiver#n"``."""
        return [spec.name for spec in self.compiled.lowered.channels]

    def inject(self, channel: str, drop: float = 0.0, delay: float = 0.0, *,
               seed: int = 0) -> None:
        """Inject a fault on a channel while the flow runs: ``drop`` is the fraction of its
        messages lost (0.5: about half, decided per message by a generator seeded with ``seed``,
        the channel and the sender, so runs repeat), ``delay`` holds each batch that many seconds
        before it goes (a channel's order is kept). ``inject(channel)`` clears the fault.
        Metrics count ``dropped`` and ``delayed`` messages per channel at the sender;
        ``messages_out`` counts what went onto the network."""
        self._check_not_stopped("inject")
        names = self.channels()
        if not isinstance(channel, str) or channel not in names:
            hint = (f"its channels are {names} (d.channels() lists them; name a channel with "
                    f"send(..., name='...'))") if names else "this flow has no channels"
            raise HydroDeployError(f"inject(): no channel {channel!r} in this flow; {hint}")
        if not _is_number(drop) or not 0.0 <= drop <= 1.0:
            raise HydroDeployError(
                f"inject(): drop is the fraction of messages to lose, between 0 and 1 (0.5 drops "
                f"about half, 1 drops all, 0 none); got {drop!r}")
        if not _is_number(delay) or delay < 0:
            raise HydroDeployError(f"inject(): delay is a number of seconds >= 0 (e.g. "
                                   f"delay=0.5), got {delay!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise HydroDeployError(f"inject(): seed must be an int, got {seed!r}")
        fault = Fault(float(drop), float(delay), seed)
        with self._wake:
            if fault:
                self._faults[channel] = fault
            else:
                self._faults.pop(channel, None)
            self._apply_fault(channel, fault)
            self._wake.notify_all()

    def faults(self) -> dict[str, Fault]:
        """The faults injected now, by channel name (a ``Fault`` has ``drop``, ``delay``,
        ``seed``)."""
        return dict(self._faults)

    def dashboard(self, **options: Any) -> Any:
        """The live dashboard of this deployment in a notebook: per-tick series per instance
        and channel, with pause/resume/step, tick-rate, kill/restart and fault controls (see
        ``hydro_lab.dashboard.deployment_view.DeploymentDashboard`` for the options)."""
        return get_view("dashboard")(self, **options)

    def graph(self, **options: Any) -> Any:
        """The flow's graph, alive: in a notebook it draws as ``flow.graph()`` does (both
        views, cluster sizes) and then shows per-operator element counts, messages/s per
        channel, killed members and the deployment's state as they change, a few times a
        second (see ``hydro_lab.dashboard.live_graph.LiveGraph`` for the options)."""
        return get_view("graph")(self, **options)

    def _apply_tick_rate(self, rate: float | None) -> None:
        """Backends that tick elsewhere than in ``_background`` pass the limit on."""

    def _apply_fault(self, channel: str, fault: Fault) -> None:
        raise HydroDeployError(f"the {self.backend} backend cannot inject faults")

    def _channel_spec(self, channel: str):
        return next(s for s in self.compiled.lowered.channels if s.name == channel)

    # -- faults ---------------------------------------------------------------------------------

    def kill(self, cluster, member: int) -> None:
        """Kill one cluster member (fail-stop): the others keep ticking, messages sent to it are
        dropped, membership streams of its cluster see it leave, metrics record the event.
        Killing a member that is not running does nothing (so a notebook cell that kills one
        can run again)."""
        self._check_not_stopped("kill")
        inst = self._member(cluster, member, "kill")
        with self._lock:
            if inst not in self._alive_set():
                return
            self._kill(inst)
        self._record_event(inst, "killed")

    def restart(self, cluster, member: int) -> None:
        """Start a killed member again, with fresh state; its cluster sees it join. A member
        that is running is killed first, then started afresh (so a notebook cell that restarts
        one can run again)."""
        self._check_not_stopped("restart")
        inst = self._member(cluster, member, "restart")
        if inst in self._alive_set():
            self.kill(cluster, member)
        with self._lock:
            self._restart(inst)
        self._record_event(inst, "restarted")

    def _member(self, cluster, member: int, verb: str = "kill") -> InstanceId:
        name = getattr(cluster, "name", cluster)
        for inst in self.instances:
            if isinstance(inst.location, ClusterId) and inst.location.name == name \
                    and inst.member == member:
                return inst
        clusters = ", ".join(f"{n} ({k} member{'s' * (k != 1)})"
                             for n, k in self.cluster_sizes.items())
        what = f"its clusters: {clusters}" if clusters else "this flow has no clusters"
        if any(inst.location.name == name and inst.member is None for inst in self.instances):
            raise HydroDeployError(
                f"{verb}(): {name!r} is a process: only members of a cluster can be killed and "
                f"restarted, as {verb}(cluster, member) ({what})")
        if name not in self.cluster_sizes:
            raise HydroDeployError(f"{verb}(): this deployment has no cluster {name!r} ({what})")
        raise HydroDeployError(f"{verb}(): cluster {name!r} has no member {member!r}: its "
                               f"members are 0..{self.cluster_sizes[name] - 1}")

    def _record_event(self, inst: InstanceId, what: str) -> None:
        self.recorder.extend(inst.name, event_records(inst.location.name, inst.member,
                                                      self.clock(), what))

    def _alive_set(self) -> set[InstanceId]:
        return set(self.instances)

    def _kill(self, inst: InstanceId) -> None:
        raise HydroDeployError(f"the {self.backend} backend cannot kill members")

    def _restart(self, inst: InstanceId) -> None:
        raise HydroDeployError(f"the {self.backend} backend cannot restart members")

    # -- metrics -----------------------------------------------------------------------------------

    def metrics(self, wide: bool = False):
        """A pandas DataFrame: one row per (location, member, tick, metric, key), or one row per
        instance and tick with ``wide=True``."""
        return self.recorder.frame(wide=wide)

    # -- backend hooks --------------------------------------------------------------------------

    def _round(self, force: bool) -> bool:
        raise HydroDeployError(f"the {self.backend} backend cannot run rounds")

    def _deliver_external(self, info, mode: str, items: list) -> None:
        raise HydroDeployError(f"the {self.backend} backend has no external ports")

    def _next_deadline(self) -> float | None:
        return None

    def _shutdown(self) -> None:
        """Release backend resources after stop."""
