"""``LocalDeployment``, the embedded default: every location instance in this Python process,
driven by one scheduler (a background thread after ``start()``, or the caller for ``step``/``run``).

Channels are in memory but really encode and decode with their codec. A round visits instances in
a fixed order (processes and cluster members in creation order); an instance ticks when it has
work (inputs, a spin, a due timer, its first tick) or when the round is forced (``step``).
Batches delayed by an injected fault wait in ``held`` and are delivered at the first round after
they are due.
"""

from __future__ import annotations

from collections import defaultdict

from hydro_lab.deploy.base import Deployment, runtime_error
from hydro_lab.deploy.faults import ChannelFault, Fault, HeldDeliveries
from hydro_lab.deploy.routing import Delivery, InstanceId, Router
from hydro_lab.dfir.runtime import Engine, UserCodeError
from hydro_lab.errors import HydroRuntimeError
from hydro_lab.member_id import MemberId, MembershipEvent, reset_self_id, set_self_id
from hydro_lab.observe.metrics import fault_records, tick_records


class LocalDeployment(Deployment):
    """A deployment in this Python process (``flow.deploy("local")``, the default): every
    process and cluster member is an instance driven by one scheduler thread, and channels are
    in memory (through each channel's codec, as on the network). The lifecycle and clients are
    those of ``Deployment``."""

    backend = "local"

    def __init__(self, compiled, cluster_sizes=None, **options):
        super().__init__(compiled, cluster_sizes, **options)
        self.engines: dict[InstanceId, Engine] = {}
        for inst in self.instances:
            params = {"self_id": inst.member_id} if inst.member is not None else {}
            self.engines[inst] = Engine(compiled.programs[inst.location], params)
        self.router = Router(
            channels={spec.port: spec for spec in compiled.lowered.channels},
            members={name: list(range(n)) for name, n in self.cluster_sizes.items()},
            alive=set(self.instances),
        )
        self.held = HeldDeliveries()
        for engine in self.engines.values():
            self._membership(engine, [(i, MembershipEvent.JOINED) for i in self.instances])

    def _membership(self, engine: Engine, events) -> None:
        """Deliver cluster membership events to the engine's ``members`` inputs."""
        for op in engine.program.graph.operators.values():
            port = op.args.get("port") if op.op == "source_stream" else None
            if port and port[0] == "members":
                engine.deliver(port, [(MemberId(port[1], i.member), event) for i, event in events
                                      if i.member is not None and i.location.name == port[1]])

    def _alive_set(self):
        return self.router.alive

    def _kill(self, inst: InstanceId) -> None:
        self.router.alive.discard(inst)
        self.held.forget(inst)
        for other in self.router.alive:
            self._membership(self.engines[other], [(inst, MembershipEvent.LEFT)])

    def _restart(self, inst: InstanceId) -> None:
        self.engines[inst] = Engine(self.compiled.programs[inst.location],
                                    {"self_id": inst.member_id})
        self.router.alive.add(inst)
        self._membership(self.engines[inst], [(i, MembershipEvent.JOINED)
                                              for i in self.instances if i in self.router.alive])
        for other in self.router.alive - {inst}:
            self._membership(self.engines[other], [(inst, MembershipEvent.JOINED)])

    def _apply_fault(self, channel: str, fault: Fault) -> None:
        if fault:
            self.router.faults[channel] = ChannelFault(fault, channel)
        else:
            self.router.faults.pop(channel, None)

    def _round(self, force: bool) -> bool:
        now = self.clock()
        ran = False
        if self.held:
            for d in self.held.pop_due(now):
                if d.dst in self.router.alive:
                    self._deliver(d, now)
        for inst in self.instances:
            if inst not in self.router.alive:
                continue
            engine = self.engines[inst]
            if not force and not engine.has_work(now):
                continue
            ran = True
            try:
                self._tick(inst, engine, now)
            except UserCodeError as err:
                self._fail(runtime_error(err, inst))
                return True
            except HydroRuntimeError as err:
                self._fail(err)
                return True
        return ran

    def _tick(self, inst: InstanceId, engine: Engine, now: float) -> None:
        token = set_self_id(inst.member_id)
        try:
            report = engine.run_tick(now)
        finally:
            reset_self_id(token)
        rows = tick_records(inst.location.name, inst.member, report, engine.program.graph)
        sent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        faulted: dict[str, list[int]] = {}
        for port, values in report.outputs.items():
            if port[0] == "net":
                for d in self.router.route(inst, port, values):
                    if d.dropped or d.delay or self.held:
                        if not self.held.admit(d, now, faulted):
                            continue
                    self._deliver(d, now)
                    sent[d.channel][0] += d.count
                    sent[d.channel][1] += d.nbytes
            elif port[0] == "external":
                self._to_clients(port[1], values)
            elif port[0] == "sink":
                self._to_sink(port, values)
        loc, member = inst.location.name, inst.member
        for channel, (n, nbytes) in sent.items():
            rows.append((loc, member, report.tick, now, "messages_out", channel, n))
            rows.append((loc, member, report.tick, now, "bytes_out", channel, nbytes))
        if faulted:
            rows += fault_records(inst.location.name, inst.member, report.tick, now, faulted)
        self.recorder.extend(inst.name, rows)

    def _deliver(self, d: Delivery, now: float) -> None:
        target = self.engines[d.dst]
        target.deliver(d.port, self.router.receive(d.port, d.data, d.tag))
        self.recorder.extend(d.dst.name, [
            (d.dst.location.name, d.dst.member, target.tick, now, "messages_in", d.channel,
             d.count),
            (d.dst.location.name, d.dst.member, target.tick, now, "bytes_in", d.channel,
             d.nbytes)])

    def _deliver_external(self, info, mode: str, items: list) -> None:
        self.engines[InstanceId(info.location)].deliver(("external", info.key, mode), items)

    def _next_deadline(self) -> float | None:
        times = [d for inst, e in self.engines.items()
                 if inst in self.router.alive and (d := e.next_deadline()) is not None]
        if self.held:
            times.append(self.held.next_due())
        return min(times) if times else None
