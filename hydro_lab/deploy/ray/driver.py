"""``RayDeployment``: one Ray actor per process and per cluster member.

Ray is in charge of placement and lifecycle (``address=`` joins an existing cluster,
``resources=`` and ``placement=`` shape where actors go); batches travel peer to peer on ZeroMQ
sockets (``deploy.ray.transport``: one message per destination per tick, FIFO per sender, checked by
sequence numbers). After ``start()`` every actor ticks on its own clock; ``step``/``run(ticks=)``
drive exact rounds from the driver instead, with the same results as ``LocalDeployment``. The
driver holds external ports, sinks, metrics and control; actors are owned by the driver, so none
outlives ``stop()``, a failure, or the driver's exit.

What the actors print reaches the driver with their outputs and is printed there, each line
tagged with its instance (``[workers / 0] ...``, as on a local deployment): where the
deployment's output goes (the cell that deployed), or, while ``step``/``run(ticks=)`` drives a
round, where its caller prints.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import io
import itertools
import marshal
import os
import pickle
import threading
import time
import types
from collections import Counter, defaultdict
from typing import Any

import cloudpickle
import ray

from hydro_lab.core.failure import TickFailure
from hydro_lab.core.routing import InstanceId
from hydro_lab.core.topology import Topology
from hydro_lab.deploy.base import Deployment
from hydro_lab.deploy.ray.actor import DRIVER, InstanceActor, load_cause
from hydro_lab.deploy.ray.session import NAMESPACE, data_plane_host, ensure_ray
from hydro_lab.deploy.ray.transport import Endpoint, Sender
from hydro_lab.deploy.sources import check_sources
from hydro_lab.errors import HydroDeployError, HydroRuntimeError
from hydro_lab.lower.ports import SinkPort

_deploy_ids = itertools.count(1)


class RayDeployment(Deployment):
    """A deployment on Ray (``flow.deploy("ray", ...)``): one actor per process and per
    cluster member, messages over TCP between them, outputs, prints and metrics sent back to
    this driver. Options: ``address`` (a Ray cluster to join, e.g. ``"auto"``; default: the
    running session, or a local one started for you), ``resources`` (Ray actor options per
    location, e.g. ``{workers: {"num_cpus": 1}}``; a name that is not a process or cluster of
    the flow is refused) and ``placement`` (``"spread"``: members on different nodes where Ray
    can, ``"pack"`` or ``None``: wherever Ray puts them). See docs/ray.md."""

    backend = "ray"

    def __init__(self, compiled, cluster_sizes=None, *, address: str | None = None,
                 resources: dict | None = None, placement: str | None = None, **options):
        super().__init__(compiled, cluster_sizes, **options)
        if placement not in (None, "spread", "pack"):
            raise HydroDeployError(f"placement must be None, 'spread' or 'pack', got "
                                   f"{placement!r}")
        self.placement = placement
        self.resources = self._check_resources(resources or {})
        check_sources(self.topology)  # before Ray starts: a source it cannot carry fails fast
        _check_sources_pickle(self.topology)
        ensure_ray(address)
        self.deploy_id = next(_deploy_ids)
        self._msg_lock = threading.Condition()
        self._received: Counter = Counter()
        self._sent_to: dict[Any, Counter] = defaultdict(Counter)  # receiver -> sender -> count
        self._driver_seq: Counter = Counter()
        self._free_running = False
        self._round_context: contextvars.Context | None = None  # where a round's prints go
        self._sender = Sender()
        self._endpoint = Endpoint(self._on_message, data_plane_host(), "driver")
        # each actor gets the topology with its own location's compiled program (source and
        # bindings: it compiles the source, it does not generate it again) and no driver sinks
        # and the live sources its instances read (each actor runs its own readers)
        self._blobs = {loc: ray.put(_dumps(dataclasses.replace(
            self.topology, programs={loc: program}, sinks={},
            sources=self.topology.sources_of(loc))))
            for loc, program in compiled.programs.items()}
        self.alive: set[InstanceId] = set(self.instances)
        self.actors: dict[InstanceId, Any] = {inst: self._spawn(inst) for inst in self.instances}
        self.addresses = dict(zip(self.instances, ray.get(
            [self.actors[i].address.remote() for i in self.instances]), strict=True))
        ray.get([a.connect.remote(self.addresses, self._endpoint.address)
                 for a in self.actors.values()])

    # -- placement ------------------------------------------------------------------------------

    def _check_resources(self, resources: dict) -> dict[str, dict]:
        names = {loc.name for loc in self.compiled.lowered.locations}
        out = {}
        for key, opts in resources.items():
            name = getattr(key, "name", key)
            if name not in names:
                raise HydroDeployError(f"resources names {name!r}, which is not a process or "
                                       f"cluster of this flow ({sorted(names)})")
            if not isinstance(opts, dict):
                raise HydroDeployError(f"resources[{name!r}] must be a dict of Ray actor options"
                                       f" such as {{'num_cpus': 1}}, got {opts!r}")
            out[name] = dict(opts)
        return out

    def _spawn(self, inst: InstanceId):
        opts = {"num_cpus": 0, "name": f"hydro-{os.getpid()}-{self.deploy_id}-{inst.name}",
                "namespace": NAMESPACE, "max_restarts": 0}
        if self.placement == "spread":
            opts["scheduling_strategy"] = "SPREAD"
        opts.update(self.resources.get(inst.location.name, {}))
        return InstanceActor.options(**opts).remote(inst, self._blobs[inst.location])

    def node_of(self, inst_or_name) -> str:
        """The Ray node id an instance runs on (``"workers[1]"`` or an InstanceId)."""
        inst = self._find(inst_or_name)
        return ray.get(self.actors[inst].node_id.remote())

    def _find(self, inst_or_name) -> InstanceId:
        if isinstance(inst_or_name, InstanceId):
            return inst_or_name
        for inst in self.instances:
            if inst.name == inst_or_name:
                return inst
        raise HydroDeployError(f"no instance {inst_or_name!r}; this deployment has "
                               f"{[i.name for i in self.instances]}")

    # -- messages to the driver -------------------------------------------------------------------

    def _on_message(self, kind: bytes, header: Any, payload: bytes) -> None:
        if kind == b"metrics":
            self.recorder.extend(header.name, pickle.loads(payload))
            return
        if kind == b"error":
            failure: TickFailure
            failure, cause = pickle.loads(payload)
            self._fail(self.error_of(failure, load_cause(cause)))
            return
        inst, port, _seq = header  # port: an external port's key, a sink's node, ("print", stream)
        if kind == b"out":
            info = self.ports[port]
            self._to_clients(port, info.codec.decode(payload), through_codec=False)
        elif kind == b"sink":
            self._to_sink(SinkPort.of(port), cloudpickle.loads(payload))
        elif kind == b"print":
            self._print(inst, port[1], payload.decode("utf-8", "replace"))
        with self._msg_lock:
            self._received[inst] += 1
            self._msg_lock.notify_all()

    def _print(self, inst: InstanceId, stream: str, text: str) -> None:
        """Print what an actor printed, tagged with it: in the caller of the round being driven,
        if any, else here (the receiving thread runs in the deployment's context: the cell that
        deployed)."""
        def write() -> None:
            self.printed.add(inst, stream, text)

        ctx = self._round_context
        try:
            ctx.run(write) if ctx is not None else write()
        except RuntimeError:  # that context is busy elsewhere: here is the next best place
            write()

    def _failed(self) -> None:
        self._new_thread(self._pause_all, "hydro-ray-pause")

    # -- rounds (step, run(ticks=), clients waiting without start()) ---------------------------

    def _round(self, force: bool) -> bool:
        if self._free_running:
            return False
        now = self.clock()
        self._round_context = contextvars.copy_context()  # the caller's: its prints go there
        try:
            for inst in self.instances:
                if inst not in self.alive:
                    continue
                expect = dict(self._sent_to[inst])
                try:
                    sent, rows, failure, cause = ray.get(
                        self.actors[inst].tick_once.remote(now, expect))
                except ray.exceptions.RayTaskError as err:
                    self._fail(HydroRuntimeError(_task_message(err)))
                    return True
                self.recorder.extend(inst.name, rows)
                for dst, n in sent.items():
                    self._sent_to[dst][inst] += n
                if failure is not None:
                    # what it printed before it failed is printed before the failure is raised,
                    # as on a local deployment
                    with contextlib.suppress(HydroRuntimeError):
                        self._await_driver_messages(timeout=5.0)
                    self._fail(self.error_of(failure, load_cause(cause)))
                    return True
            self._await_driver_messages()
        finally:
            self._round_context = None
        return True

    def _await_driver_messages(self, timeout: float = 60.0) -> None:
        """Wait until every output the live instances have sent to the driver (external ports,
        sinks) has arrived: the counts come from the actors (a round, or a pause)."""
        deadline = time.monotonic() + timeout
        with self._msg_lock:
            while any(self._received[s] < n for s, n in self._sent_to[DRIVER].items()
                      if s in self.alive):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise HydroRuntimeError("outputs of the last round did not reach the driver "
                                            f"within {timeout} s")
                self._msg_lock.wait(left)

    # -- free running ---------------------------------------------------------------------------

    def start(self) -> RayDeployment:
        self._raise_error()
        self._check_not_stopped("start")
        ray.get([self.actors[i].start.remote() for i in self.instances if i in self.alive])
        self._free_running = True
        self._paused = False
        return self

    def pause(self) -> None:
        """Stop the actors' tick loops; on return, every output of the ticks they ran has
        reached the driver (a sink or client read after ``pause()``/``run(seconds=)`` sees all
        of it, and nothing more arrives while paused)."""
        if self._free_running:
            self._pause_all()
            if self._error is None:
                self._await_driver_messages()
        self._paused = True

    def _pause_all(self) -> None:
        live = [i for i in self.instances if i in self.alive]
        try:
            totals = ray.get([self.actors[i].pause.remote() for i in live])
        except ray.exceptions.RayError:
            totals = []
        for src, sent in zip(live, totals, strict=False):
            for dst, n in sent.items():
                self._sent_to[dst][src] = n
        self._free_running = False

    def resume(self) -> None:
        self._paused = False
        if not self._stopped and self._error is None and not self._free_running:
            self.start()

    @property
    def state(self) -> str:
        if self._stopped:
            return "stopped"
        if self._error is not None:
            return "failed"
        return "running" if self._free_running else ("paused" if self._paused else "created")

    @contextlib.contextmanager
    def _held(self):
        was_running = self._free_running
        if was_running:
            self._pause_all()
        try:
            yield
        finally:
            if was_running and self._error is None and not self._stopped:
                self.start()

    def run(self, ticks: int | None = None, seconds: float | None = None) -> None:
        if seconds is None or ticks is not None:
            return super().run(ticks=ticks, seconds=seconds)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise HydroDeployError(f"run(seconds=...) takes a non-negative number, got "
                                   f"{seconds!r}")
        self._raise_error()
        was_running = self._free_running
        if not was_running:
            self.start()
        end = time.monotonic() + seconds
        while time.monotonic() < end and self._error is None:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))
        if not was_running and self._error is None:
            self.pause()
        self._raise_error()

    def _drive_for(self, client, remaining) -> bool:
        if self._free_running or self._stopped:
            return False
        return super()._drive_for(client, remaining)

    # -- live controls --------------------------------------------------------------------------

    def _apply_tick_rate(self, rate: float | None) -> None:
        ray.get([self.actors[i].set_tick_rate.remote(rate) for i in self.instances
                 if i in self.alive])

    def _apply_fault(self, channel: str, fault) -> None:
        src = self._channel_spec(channel).src
        ray.get([self.actors[i].set_fault.remote(channel, fault) for i in self.instances
                 if i in self.alive and i.location == src])

    def _configure(self, inst: InstanceId) -> None:
        """Give a new actor the controls set so far (rate limit, faults on what it sends)."""
        actor = self.actors[inst]
        calls = []
        if self._tick_rate is not None:
            calls.append(actor.set_tick_rate.remote(self._tick_rate))
        for channel, fault in self._faults.items():
            if self._channel_spec(channel).src == inst.location:
                calls.append(actor.set_fault.remote(channel, fault))
        ray.get(calls)

    # -- faults ---------------------------------------------------------------------------------

    def _alive_set(self):
        return self.alive

    def _kill(self, inst: InstanceId) -> None:
        ray.kill(self.actors[inst], no_restart=True)
        self.alive.discard(inst)
        ray.get([self.actors[i].set_alive.remote(inst, False) for i in self.instances
                 if i in self.alive])

    def _restart(self, inst: InstanceId) -> None:
        actor = self._spawn(inst)
        self.actors[inst] = actor
        self.addresses[inst] = ray.get(actor.address.remote())
        self.alive.add(inst)
        live = [i for i in self.instances if i in self.alive]
        others = [i for i in live if i != inst]
        ray.get([self.actors[i].reset_sender.remote(inst) for i in others])
        ray.get([self.actors[i].set_alive.remote(inst, True, self.addresses[inst])
                 for i in others])
        ray.get(actor.connect.remote({i: self.addresses[i] for i in live},
                                     self._endpoint.address))
        self._configure(inst)
        self._sent_to[inst] = Counter()
        for dst in self._sent_to:
            self._sent_to[dst].pop(inst, None)
        with self._msg_lock:
            self._received.pop(inst, None)
        self._driver_seq[inst] = 0
        if self._free_running:
            ray.get(actor.start.remote())

    # -- clients --------------------------------------------------------------------------------

    def _deliver_external(self, info, mode: str, items: list) -> None:
        inst = self.topology.port_instances[info.key]
        self._driver_seq[inst] += 1
        self._sender.send(self.addresses[inst], b"ext",
                          (info.key, mode, self._driver_seq[inst]), pickle.dumps(items))
        self._sent_to[inst][DRIVER] += 1

    # -- shutdown -------------------------------------------------------------------------------

    def _shutdown(self) -> None:
        actors = list(self.actors.values())
        live = [self.actors[i] for i in self.instances if i in self.alive]
        try:
            ray.get([a.stop.remote() for a in live], timeout=30)
        except (ray.exceptions.RayError, Exception):
            pass
        for a in actors:
            try:
                ray.kill(a, no_restart=True)
            except Exception:
                pass
        self.alive.clear()
        self._free_running = False
        self._endpoint.close()
        self._sender.close()


class _ProgramPickler(cloudpickle.Pickler):
    """cloudpickle, keeping the file names of code objects (cloudpickle replaces them with
    ``<dynamic-code>``): a failure in an actor then points at the user's file or cell."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.CodeType):
            return marshal.loads, (marshal.dumps(obj),)
        return super().reducer_override(obj)


def _dumps(obj: Any) -> bytes:
    buf = io.BytesIO()
    _ProgramPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def _check_sources_pickle(topology: Topology) -> None:
    """Each source (``source_stream``) travels to its actors by cloudpickle: a generator object
    cannot, and is refused here with the fix (pass the function that makes it)."""
    for spec in topology.sources.values():
        try:
            _dumps(spec.source)
        except Exception as err:  # noqa: BLE001  (whatever pickling raised, say it)
            where = f" at {spec.origin.where}" if spec.origin.where else ""
            what = ("a generator object" if hasattr(spec.source, "gi_frame")
                    else "an async generator object" if hasattr(spec.source, "ag_frame")
                    else f"a {type(spec.source).__name__}")
            raise HydroDeployError(
                f"{spec.origin.label}{where}: {what}, which cannot be sent "
                f"to a Ray actor ({type(err).__name__}: {err}).\n  Fix: pass the function "
                f"that makes it, e.g. source_stream(lambda: my_generator()) instead of "
                f"source_stream(my_generator()); each actor calls it to make its own") from None


def _task_message(err: Exception) -> str:
    cause = getattr(err, "cause", None)
    if isinstance(cause, HydroRuntimeError):
        return str(cause)
    text = str(err)
    marker = "HydroRuntimeError: "
    return text.split(marker, 1)[1].strip() if marker in text else text
