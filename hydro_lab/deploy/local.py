"""``LocalDeployment``, the embedded default: every location instance in this Python process,
driven by one scheduler (a background thread after ``start()``, or the caller for ``step``/``run``).

A driver over the instance core (``core.instance``): it decides when each instance ticks and
hands each outcome's deliveries to their receivers in memory (still encoded with the channel's
codec, as on the network). A round visits instances in a fixed order (processes and cluster
members in creation order); an instance ticks when it has work (inputs, a spin, a due timer, its
first tick) or when the round is forced (``step``). Batches delayed by an injected fault are held
by their sender's core and delivered at the first round after they are due. Live sources
(``source_stream``) are read by threads of their own (``deploy.sources``); a round starts by
handing each core what its readers read. What a tick prints is caught and shown tagged with its
instance, on the thread that ticked (``deploy.output``).
"""

from __future__ import annotations

from hydro_lab.core.faults import Fault
from hydro_lab.core.instance import InstanceCore, Outcome
from hydro_lab.core.routing import Delivery, InstanceId
from hydro_lab.deploy.base import Deployment
from hydro_lab.deploy.output import caught
from hydro_lab.deploy.sources import InstanceSources, check_sources
from hydro_lab.errors import HydroRuntimeError
from hydro_lab.member_id import MembershipEvent


class LocalDeployment(Deployment):
    """A deployment in this Python process (``flow.deploy("local")``, the default): every
    process and cluster member is an instance driven by one scheduler thread, and channels are
    in memory (through each channel's codec, as on the network). The lifecycle and clients are
    those of ``Deployment``."""

    backend = "local"

    def __init__(self, compiled, cluster_sizes=None, **options):
        super().__init__(compiled, cluster_sizes, **options)
        self.alive: set[InstanceId] = set(self.instances)
        self.cores: dict[InstanceId, InstanceCore] = {
            inst: InstanceCore(inst, self.topology) for inst in self.instances}
        joined = [(i, MembershipEvent.JOINED) for i in self.instances]
        for core in self.cores.values():
            core.membership(joined)
        # live sources (source_stream): a reader thread per source and instance, fed to the
        # core at the start of each round
        check_sources(self.topology)
        self.sources: dict[InstanceId, InstanceSources] = {}
        self._killed_sources: dict[InstanceId, InstanceSources] = {}
        for inst in self.instances:
            self._open_sources(inst)

    def _open_sources(self, inst: InstanceId) -> None:
        sources = InstanceSources(self.topology, inst, self._source_ready, self._new_thread,
                                  previous=self._killed_sources.pop(inst, None))
        if sources:
            self.sources[inst] = sources

    def _source_ready(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def _alive_set(self) -> set[InstanceId]:
        return self.alive

    def _kill(self, inst: InstanceId) -> None:
        self.alive.discard(inst)
        if inst in self.sources:
            self._killed_sources[inst] = killed = self.sources.pop(inst)
            killed.stop()
        for other in self.alive:
            self.cores[other].set_alive(inst, False)

    def _restart(self, inst: InstanceId) -> None:
        core = InstanceCore(inst, self.topology, alive=self.alive | {inst})
        for channel, fault in self._faults.items():
            if self._channel_spec(channel).src == inst.location:
                core.set_fault(channel, fault)
        self.cores[inst] = core
        self.alive.add(inst)
        self._open_sources(inst)
        core.membership([(i, MembershipEvent.JOINED) for i in self.instances if i in self.alive])
        for other in self.alive - {inst}:
            self.cores[other].set_alive(inst, True)

    def _apply_fault(self, channel: str, fault: Fault) -> None:
        src = self._channel_spec(channel).src
        for inst, core in self.cores.items():
            if inst.location == src:
                core.set_fault(channel, fault)

    def _round(self, force: bool) -> bool:
        now = self.clock()
        ran = False
        try:
            for inst in self.instances:
                if inst in self.alive:
                    for d in self.cores[inst].release(now):
                        self._deliver(d)
            for inst, sources in self.sources.items():
                sources.feed(self.cores[inst])
            for inst in self.instances:
                if inst not in self.alive:
                    continue
                core = self.cores[inst]
                if not force and not core.has_work(now):
                    continue
                ran = True
                printed: tuple[list[str], list[str]] = ([], [])
                try:
                    with caught() as printed:
                        outcome = core.tick(now)
                finally:  # what it printed before it failed is shown before the failure
                    self._printed(inst, printed)
                if outcome.failure is not None:
                    self._fail(self.error_of(outcome.failure, core.failed_cause))
                    return True
                self._apply(inst, outcome)
        except HydroRuntimeError as err:  # a receiver could not decode what it was sent
            self._fail(err)
            return True
        return ran

    def _apply(self, inst: InstanceId, outcome: Outcome) -> None:
        self.recorder.extend(inst.name, outcome.rows)
        for d in outcome.deliveries:
            self._deliver(d)
        for key, data in outcome.external.items():
            self._to_clients(key, self.ports[key].codec.decode(data), through_codec=False)
        for port, values in outcome.sinks.items():
            self._to_sink(port, values)

    def _deliver(self, d: Delivery) -> None:
        if d.dst in self.alive:
            self.cores[d.dst].arrive(d.port, d.data, d.tag)

    def _deliver_external(self, info, mode: str, items: list) -> None:
        self.cores[self.topology.port_instances[info.key]].arrive_items(
            self.topology.client_ports[info.key, mode], items)

    def _shutdown(self) -> None:
        for sources in self.sources.values():
            sources.stop()

    def _failed(self) -> None:  # a failed flow reads no more from its sources
        self._shutdown()

    def _next_deadline(self) -> float | None:
        times = [t for inst, core in self.cores.items()
                 if inst in self.alive and (t := core.next_deadline()) is not None]
        return min(times) if times else None
