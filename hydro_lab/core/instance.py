"""One instance of a location, sans-IO: arrivals in, ``tick(now)`` → an ``Outcome`` out.

The instance owns its DFIR engine, the routing of what it sends (with the faults injected on its
channels, and the batches they delay), its view of which members are alive, and the metric rows
of its ticks. It does no I/O and keeps no clock: the driver passes ``now`` and moves the outcome
(deliveries to peers, encoded outputs for external ports, values for sinks, rows, a failure). So
membership events, fault application, codec errors and user-function errors are written here
once, and every backend (the local scheduler, a Ray actor, the simulator's world) gives the same
messages and the same counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from hydro_lab.codecs import codec_name
from hydro_lab.core.failure import TickFailure, short_repr
from hydro_lab.core.faults import ChannelFault, Fault, HeldDeliveries
from hydro_lab.core.routing import Delivery, InstanceId, Router
from hydro_lab.core.topology import Topology
from hydro_lab.dfir.runtime import Engine, UserCodeError
from hydro_lab.errors import HydroRuntimeError
from hydro_lab.lower.ports import ChannelPort, ClientPort, MembersPort, SinkPort, SourcePort
from hydro_lab.member_id import MembershipEvent, reset_self_id, set_self_id
from hydro_lab.observe.metrics import Record, channel_records, fault_records, tick_records

_NONE: Mapping[Any, Any] = MappingProxyType({})  # an outcome's empty mapping (shared, read-only)


class Outcome(NamedTuple):
    """What one tick produced. ``deliveries`` go to other instances now (encoded; those a fault
    delays are held by the instance and come out of ``release``), ``external`` holds each
    external port's values encoded with the port's codec (by port key), ``sinks`` the values
    for each ``dest_sink``, ``rows`` the tick's metric rows. With ``failure`` set the tick
    failed and nothing else counts. (A tuple, made by ``_outcome`` without a Python call: the
    simulator makes one per tick by the hundred thousand.)"""

    tick: int
    deliveries: Sequence[Delivery] = ()
    external: Mapping[int, bytes] = _NONE
    sinks: Mapping[SinkPort, list] = _NONE
    rows: Sequence[Record] = ()
    failure: TickFailure | None = None


_new_tuple = tuple.__new__


class InstanceCore:
    """One process, or one member of a cluster, of a compiled flow (see the module docstring).

    ``params`` go to the engine (the simulator passes its chooser); ``metrics=False`` builds no
    rows (the simulator's exploration, where ticks must be cheap).
    """

    __slots__ = ("inst", "member_id", "topology", "ports", "metrics", "engine", "router", "held",
                 "member_ports", "output_ports", "failed", "failed_cause", "_arrived",
                 "closed_sources", "_source_failure")

    def __init__(self, inst: InstanceId, topology: Topology, *, params: dict | None = None,
                 metrics: bool = True, alive: set[InstanceId] | None = None,
                 router: Router | None = None):
        self.inst = inst
        self.member_id = inst.member_id  # what self_id() answers while it ticks
        self.topology = topology
        self.ports = topology.ports
        self.metrics = metrics
        engine_params = params  # the engine keeps its own copy
        if inst.member is not None:
            engine_params = {**(params or {}), "self_id": self.member_id}
        self.engine = Engine(topology.programs[inst.location], engine_params, metrics=metrics)
        # the simulator's instances share one router (one view of who is alive)
        self.router = router if router is not None else Router(
            topology.channels, topology.members,
            set(topology.instances) if alive is None else set(alive))
        self.held: HeldDeliveries | None = None  # made by the first injected fault
        self.member_ports, self.output_ports = topology.wiring(inst.location)
        self.failed: TickFailure | None = None
        self.failed_cause: BaseException | None = None  # the exception itself (not sent over Ray)
        self._arrived: dict[str, list[int]] = {}  # channel -> [messages, bytes] since last tick
        self.closed_sources: set[SourcePort] = set()  # live sources that ended
        self._source_failure: tuple[SourcePort, BaseException, int] | None = None

    # -- what arrives ---------------------------------------------------------------------------

    def arrive(self, port: ChannelPort, data: bytes, tag: Any = None) -> list:
        """A batch from a peer on channel ``port``, as its sender encoded it: decoded (keyed by
        sender where the channel says so), counted and given to the engine. Returns the items.
        A batch its codec cannot decode raises ``HydroRuntimeError`` naming this instance (its
        ``instance``), as a failed tick would."""
        try:
            items = self.router.receive(port, data, tag)
        except HydroRuntimeError as err:
            err.instance = self.inst.name
            raise
        self.engine.deliver(port, items)
        if self.metrics:
            spec = self.topology.channels[port]
            totals = self._arrived.setdefault(spec.name, [0, 0])
            totals[0] += len(items)
            totals[1] += len(data)
        return items

    def arrive_items(self, port: ClientPort | MembersPort | SourcePort, items: list) -> None:
        """Items already decoded (from an external client, membership events, or what a
        driver's reader took from a live source)."""
        self.engine.deliver(port, items)

    def source_ended(self, port: SourcePort, error: BaseException | None = None) -> None:
        """The live source of ``port`` ended: its stream is closed (nothing more arrives on
        it). With ``error`` it raised: the items it gave before are handled in the next tick,
        and the tick after fails with that error at the source's line, as a failed user
        function does."""
        self.closed_sources.add(port)
        if error is not None and self._source_failure is None:
            self._source_failure = (port, error, self.engine.tick)

    def membership_items(self, events: list[tuple[InstanceId, MembershipEvent]]
                         ) -> list[tuple[MembersPort, list]]:
        """``[(port, items)]``: the events of members of the clusters this program watches, as
        its ``members`` inputs take them (the simulator puts them in flight)."""
        out = []
        for cluster, port in self.member_ports.items():
            items = [(i.member_id, event) for i, event in events
                     if i.member is not None and i.location.name == cluster]
            if items:
                out.append((port, items))
        return out

    def membership(self, events: list[tuple[InstanceId, MembershipEvent]]) -> None:
        """Members joined or left: the program's ``members`` inputs get the events now."""
        for port, items in self.membership_items(events):
            self.engine.deliver(port, items)

    def set_alive(self, inst: InstanceId, alive: bool, *, announce: bool = True) -> None:
        """A peer was killed (fail-stop: nothing more is sent to it, what was held for it is
        dropped) or restarted; with ``announce`` the program sees it leave or join now (the
        simulator puts the event in flight instead: ``membership_items``)."""
        if alive:
            self.router.alive.add(inst)
        else:
            self.router.alive.discard(inst)
        if self.held is not None:
            self.held.forget(inst)
        if announce:
            self.membership([(inst, MembershipEvent.JOINED if alive else MembershipEvent.LEFT)])

    def set_fault(self, channel: str, fault: Fault) -> None:
        """Inject ``fault`` on a channel this instance sends (a falsy fault clears it)."""
        if fault:
            self.router.faults[channel] = ChannelFault(fault, channel)
            if self.held is None:
                self.held = HeldDeliveries()
        else:
            self.router.faults.pop(channel, None)

    # -- ticking --------------------------------------------------------------------------------

    def has_work(self, now: float) -> bool:
        return self.engine.has_work(now) or self._source_failure is not None

    def next_deadline(self) -> float | None:
        """When a timer of the program, or a held delivery, is due (None: nothing waits)."""
        times = [t for t in (self.engine.next_deadline(),
                             self.held.next_due() if self.held else None) if t is not None]
        return min(times) if times else None

    def release(self, now: float) -> list[Delivery]:
        """The held (delayed) deliveries due by ``now``, to peers still alive."""
        if not self.held:
            return []
        return [d for d in self.held.pop_due(now) if d.dst in self.router.alive]

    @property
    def tick_number(self) -> int:
        """The number of the next tick."""
        return self.engine.tick

    def tick(self, now: float) -> Outcome:
        """Run one tick at time ``now`` and say what it produced. A failure (a user function
        raised, a value its channel's codec cannot carry, a bad demux key) is in
        ``outcome.failure``, and every later tick fails the same way."""
        engine = self.engine
        if self.failed is not None:
            return Outcome(engine.tick, failure=self.failed)
        if self._source_failure is not None and engine.tick > self._source_failure[2]:
            port, error, _ = self._source_failure
            origin = next(op.origin for op in engine.program.graph.operators.values()
                          if op.op == "source_stream" and op.args["port"] == port)
            return self._fail(TickFailure.of_source(error, self.inst, engine.tick, origin), error)
        tick = engine.tick
        token = set_self_id(self.member_id)
        try:
            report = engine.run_tick(now)
        except UserCodeError as err:
            return self._fail(TickFailure.of(err, self.inst), err.error)
        finally:
            reset_self_id(token)
        deliveries: list[Delivery] | tuple = ()
        external: Mapping[int, bytes] = _NONE
        sinks: Mapping[SinkPort, list] = _NONE
        held, typed = self.held, self.output_ports
        sent: dict[str, list[int]] | None = {} if self.metrics else None
        faulted: dict[str, list[int]] = {} if held is not None else _NONE  # type: ignore
        try:
            for key, values in report.outputs.items():
                port = typed[key]
                if isinstance(port, ChannelPort):
                    for d in self.router.route(self.inst, port, values):
                        if held is not None and (d.dropped or d.delay or held):
                            if not held.admit(d, now, faulted):
                                continue
                        if not deliveries:
                            deliveries = []
                        deliveries.append(d)
                        if sent is not None:
                            totals = sent.setdefault(d.channel, [0, 0])
                            totals[0] += d.count
                            totals[1] += d.nbytes
                elif isinstance(port, ClientPort):
                    if external is _NONE:
                        external = {}
                    info = self.ports[port.key]
                    try:
                        external[port.key] = info.codec.encode(values)
                    except Exception as err:
                        raise HydroRuntimeError(port_codec_message(info, values, err)) from err
                elif isinstance(port, SinkPort):
                    if sinks is _NONE:
                        sinks = {}
                    sinks[port] = values
        except HydroRuntimeError as err:  # a value its channel or port cannot carry, a bad key
            return self._fail(TickFailure(self.inst.name, tick, str(err)), err.__cause__ or err)
        rows = self._rows(report, now, sent, faulted) if sent is not None else ()
        return _new_tuple(Outcome, (report.tick, deliveries, external, sinks, rows, None))

    def _rows(self, report: Any, now: float, sent: dict[str, list[int]],
              faulted: dict[str, list[int]]) -> list[Record]:
        """The tick's metric rows: the engine's, then messages and bytes in and out, faults."""
        loc, member = self.inst.location.name, self.inst.member
        rows = tick_records(loc, member, report, self.engine.program.graph)
        if self._arrived:
            rows += channel_records(loc, member, report.tick, now, self._arrived, sent=False)
            self._arrived = {}
        if sent:
            rows += channel_records(loc, member, report.tick, now, sent, sent=True)
        if faulted:
            rows += fault_records(loc, member, report.tick, now, faulted)
        return rows

    def _fail(self, failure: TickFailure, cause: BaseException) -> Outcome:
        self.failed, self.failed_cause = failure, cause
        return Outcome(failure.tick if failure.tick is not None else self.engine.tick,
                       failure=failure)


def port_codec_message(info: Any, values: list, err: Exception) -> str:
    """Why an external port could not carry ``values``, and what to do."""
    return (f"port {info.key} (codec {codec_name(info.codec)}) could not carry "
            f"{short_repr(values)}: {type(err).__name__}: {err}.\n  Values sent to or from an "
            f"external client must be serializable by the port's codec; convert them first "
            f"(e.g. .map(...) to plain data) or choose another codec with codec=...")
