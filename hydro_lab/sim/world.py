"""One simulated execution: every instance of the flow in this thread, on a virtual clock.

Every instance first runs its tick 0 when the test body first waits (with what the body sent
before it; a snapshot may see any version of a value since the start); a tick 0 that makes batch
decisions waits among the candidates instead, as Hydro schedules every tick whose hooks can
decide. Then each step, one instance that has work ticks; which one is a decision when several
could. Inside a tick the
non-deterministic operators ask the chooser (``dfir.ops.nondet``). Messages sent in a
tick are in flight until the receiver's next tick, when they are delivered (or, where faults are
enabled, dropped, held back, duplicated or reordered: decisions too). Time advances only when
nothing else can happen, to the next timer of any instance.

A tick whose only reason to run is elements waiting in batch buffers must release at least one
of them (otherwise it would change nothing): the last batch operator that will hold elements is
"forced", which keeps, e.g., 4 unordered inputs batched into one process at 75 executions.

What the execution prints goes to ``Printed`` (it stands in for ``sys.stdout`` and
``sys.stderr``), and with a trace each tick's prints become a ``"print"`` event of that tick.
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from hydro_lab.core.instance import InstanceCore, port_codec_message
from hydro_lab.core.routing import InstanceId, Router
from hydro_lab.dfir.runtime import Engine
from hydro_lab.errors import HydroRuntimeError
from hydro_lab.member_id import MembershipEvent
from hydro_lab.sim.faults import Faults
from hydro_lab.sim.trace import short, where

_PASS_THROUGH = {"map", "filter", "filter_map", "flat_map", "identity", "tee", "inspect", "union",
                 "handoff"}


class Printed(io.TextIOBase):
    """Stands in for ``sys.stdout``/``sys.stderr`` while one execution runs: keeps what it
    prints in ``parts`` (None: drops it, as exploring does) and also writes it to ``echo``."""

    def __init__(self, parts: list[str] | None, echo=None):
        super().__init__()
        self.parts = parts
        self.echo = echo

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.parts is not None:
            self.parts.append(text)
        if self.echo is not None:
            self.echo.write(text)
        return len(text)

    def flush(self) -> None:
        if self.echo is not None:
            self.echo.flush()


class ProgramInfo:
    """What the world needs to know about one compiled location program, computed once."""

    def __init__(self, program):
        graph = program.graph
        part = program.partitioned
        self.program = program
        order = {}
        for i, unit in enumerate(part.order):
            for sg_id in unit:
                order[part.subgraphs[sg_id].head] = i
        # the decisions that hold work between ticks: batch buffers, and snapshots with a
        # newer version than they released (both ``pending``); in tick order
        self.batch_ops = sorted((op.id for op in graph.operators.values()
                                 if op.op in ("sim_batch", "sim_snapshot")),
                                key=lambda o: order.get(o, 0))
        # sources that still have something to do at the start (a tick must run for them)
        self.starters = [op.id for op in graph.operators.values()
                         if op.op in ("source_iter", "source_interval", "sample_every")
                         or (op.op == "singleton" and op.args.get("first_tick_only"))]
        self.batch_order = {op: i for i, op in enumerate(self.batch_ops)}
        # top-level assumed orders: an observation step releases one element of each (or none)
        self.observe_ops = [op.id for op in graph.operators.values()
                            if op.op == "sim_permute" and op.args.get("one_at_a_time")]
        self.port_batches: dict[Any, tuple[bool, set[int]]] = {}
        succ = defaultdict(list)
        for e in graph.edges:
            succ[e.src].append(e.dst)
        for op in graph.operators.values():
            if op.op == "source_stream":
                self.port_batches[op.args["port"]] = self._reach(graph, succ, op.id)
        # batches that a source fills in tick 0 (the top level runs before a tick decides)
        self.initial_batches: set[int] = set()
        for op_id in self.starters:
            self.initial_batches |= self._reach(graph, succ, op_id)[1]
        # whether tick 0 makes batch decisions on what the sources fill (then it is a decision
        # step, scheduled among the others, as Hydro schedules a tick whose hooks can decide)
        self.decides_at_start = bool(self.initial_batches)
        # a top-level value cloned into the tick enters it in tick 0: that tick has work of its
        # own, so its batches need not release anything
        if any(op.args.get("enters_tick_0") for op in graph.operators.values()):
            self.initial_batches = set()

    @staticmethod
    def _reach(graph, succ, start: int) -> tuple[bool, set[int]]:
        """(only batch buffers are reached, the batch operators reached)."""
        batches, only, stack, seen = set(), True, [start], set()
        while stack:
            op_id = stack.pop()
            for nxt in succ[op_id]:
                if nxt in seen:
                    continue
                seen.add(nxt)
                kind = graph.operators[nxt].op
                if kind == "sim_batch":
                    batches.add(nxt)
                elif kind in _PASS_THROUGH:
                    stack.append(nxt)
                else:
                    only = False
        return only, batches


class World:
    def __init__(self, sim, chooser, trace=None, record: bool = False,
                 printed: list[str] | None = None):
        self.sim = sim
        self.printed = printed  # what the execution prints (kept with a trace)
        self.chooser = chooser
        self.trace = trace
        # with a trace, watches show this execution; ``record`` adds each tick's activity to it
        self.watching = trace is not None and bool(sim.watches)
        self.record = record and trace is not None
        if self.watching:
            for w in sim.watches.values():
                w.reset()
        chooser.trace = trace
        self.faults: Faults = sim.faults
        self.faulty = self.faults.any  # read once: asked at every step
        self.faults_used = 0
        self.time = 0.0
        self.horizon = 0.0  # timers may fire early up to here (inside inst.advance)
        self.instances: list[InstanceId] = list(sim.instances)
        # one router for the world: one view of who is alive, shared by the instance cores
        self.router = Router(sim.channels, sim.members, set(self.instances))
        self.client_ports = sim.topology.client_ports
        self.port_instances = sim.topology.port_instances
        params = {"chooser": chooser}
        self.cores: dict[InstanceId, InstanceCore] = {}
        self.engines: dict[InstanceId, Engine] = {}
        for inst in self.instances:
            core = self.cores[inst] = InstanceCore(inst, sim.topology, params=params,
                                                   metrics=self.record, router=self.router)
            self.engines[inst] = core.engine
        # the instances with top-level assumed orders (each is a unit of scheduling)
        self.observing = {inst: sim.instance_infos[inst].observe_ops for inst in self.instances
                          if sim.instance_infos[inst].observe_ops}
        self.isolated: set[InstanceId] = set()
        self.in_flight: dict[InstanceId, list] = defaultdict(list)
        self.outbox = self.in_flight  # where a tick's messages go
        # output ports' values by key; a cluster's also by (key, member)
        self.outputs: dict[Any, list] = defaultdict(list)
        self.sinks: dict[Any, list] = defaultdict(list)
        # bidi_external ports: the clients connected now, and each client's replies (plain
        # dicts: a World is made per execution, and exploring makes tens of thousands)
        self.clients: dict[int, set[int]] = {}
        self.replies: dict[tuple[int, int], list] = {}
        self.next_client = 1
        self.out_of_time = False  # the last wait stopped at max_time, not at quiescence
        for inst in self.instances:
            self._membership(inst, [(i, MembershipEvent.JOINED) for i in self.instances])
        self.started = False
        # instances whose tick 0 is a decision step, not yet run (see ``start``)
        self.unstarted: set[InstanceId] = set()

    def start(self) -> None:
        """Every instance runs its tick 0, when the test body first lets the flow run (as
        Hydro's simulator launches when the body first awaits): what the body sent before is
        there already, and a snapshot may see any version since the start.

        A tick 0 that makes batch decisions (its batches hold what its sources filled or what
        the body sent) is a decision step like any later tick: it waits among the candidates,
        so which instance decides first is explored, and it may come after another instance's
        later ticks. Hydro's scheduler runs the top level first and then picks any tick whose
        hooks can decide (``LaunchedSim::scheduler``): sim_cluster_unordered_input counts the
        interleavings of its two members' ticks (8). The other tick 0s run here, in instance
        order (what they send arrives after all of them: their order decides nothing)."""
        self.started = True
        self.outbox = defaultdict(list)  # what tick 0s send arrives after every tick 0
        for inst in self.instances:
            if inst not in self.router.alive:
                continue
            if self._decides_at_start(inst):
                self.unstarted.add(inst)
                continue
            if self.trace is not None:
                self.trace.step += 1
            self._tick(inst, observable=True, initial=True)
        for dst, messages in self.outbox.items():
            self.in_flight[dst].extend(messages)
        self.outbox = self.in_flight

    def _decides_at_start(self, inst: InstanceId) -> bool:
        """Whether ``inst``'s tick 0 makes batch decisions: its sources fill a batch, or what
        the body sent reaches one."""
        info = self.sim.instance_infos[inst]
        if info.decides_at_start:
            return True
        return any(info.port_batches.get(port, (False, ()))[1]
                   for port, _, _ in self.in_flight.get(inst, ()))

    # -- membership and faults ------------------------------------------------------------------

    def _membership(self, inst: InstanceId, events) -> None:
        """Membership events are in flight like messages: when they arrive is a decision."""
        core = self.cores[inst]
        if not core.member_ports:
            return
        for port, items in core.membership_items(events):
            self.in_flight[inst].append((port, items, None))

    def crash(self, inst: InstanceId, reason: str = "crash") -> None:
        self.cores[inst].set_alive(inst, False, announce=False)  # the shared router
        self.in_flight.pop(inst, None)
        if self.trace is not None:
            self.trace.add("fault", what=f"{reason}: {inst.name} stops (fail-stop)")
        for other in self.router.alive:
            self._membership(other, [(inst, MembershipEvent.LEFT)])

    def _step_faults(self) -> None:
        f = self.faults
        if self.faults_used >= f.max_faults:
            return
        if f.crash:
            eligible = [i for i in self.instances if i in self.router.alive and i.member is not None
                        and i.location.name in f.crash]
            c = self.chooser.choose(len(eligible) + 1) if eligible else 0
            if c:
                self.faults_used += 1
                self.crash(eligible[c - 1])
        if f.partition and self.faults_used < f.max_faults:
            options = [i for i in self.instances if i.location.name in f.partition]
            c = self.chooser.choose(len(options) + 1) if options else 0
            if c:
                self.faults_used += 1
                inst = options[c - 1]
                if inst in self.isolated:
                    self.isolated.discard(inst)
                    what = "heals"
                else:
                    self.isolated.add(inst)
                    what = "is partitioned from the rest (its messages are lost)"
                if self.trace is not None:
                    self.trace.add("fault", what=f"{inst.name} {what}")

    # -- scheduling -----------------------------------------------------------------------------

    def _work(self, inst: InstanceId) -> tuple[bool, bool]:
        """(has work, the work is observable: more than elements waiting in batch buffers)."""
        engine = self.engines[inst]
        info = self.sim.instance_infos[inst]
        if engine.spins or engine.I or (engine.eager and engine.fed_back()):
            return True, True
        for op_id in info.starters:
            state = engine.S[op_id]
            if not getattr(state, "done", True) or getattr(state, "next_fire", 0) is None:
                return True, True
        deadline = engine.next_deadline()
        if deadline is not None and deadline <= self.time:
            return True, True
        arrivals = self.in_flight.get(inst)
        if arrivals:
            if any(not info.port_batches.get(port, (False, ()))[0] for port, _, _ in arrivals):
                return True, True
            return True, False
        for op_id in info.batch_ops:
            if engine.S[op_id].pending:
                return True, False
        return False, False

    def candidates(self) -> list[tuple[InstanceId, bool, bool]]:
        """What may run next: ``(instance, observable, False)`` for an instance's tick, and
        ``(instance, True, True)`` for an observation step of an instance whose top-level
        assumed orders hold elements (each may release one of them, and the tick makes no batch
        decision), as Hydro's simulator schedules ticks and observations as units of their
        own."""
        out = []
        alive = self.router.alive
        for inst in self.instances:
            if inst in alive:
                if self.unstarted and inst in self.unstarted:
                    out.append((inst, True, False))  # its tick 0 (``start``)
                    continue
                work, observable = self._work(inst)
                if work:
                    out.append((inst, observable, False))
                if inst in self.observing:
                    S = self.engines[inst].S
                    if any(S[op].pending for op in self.observing[inst]):
                        out.append((inst, True, True))
        return out

    def step(self) -> InstanceId | bool:
        """Tick one instance that has work and return it (True when a timer fired early
        instead); False when none has work (quiescent).

        Inside a window the test lets time pass in (``horizon``), the next timer may also fire
        first, while instances still have work: messages in flight are slow. That is one more
        option after the instances, so the deployment's behavior (work first) stays option 0.
        """
        if self.faulty:
            self._step_faults()
        cands = self.candidates()
        if not cands:
            return False
        n = len(cands)
        early = None
        if self.horizon > self.time:
            early = self._next_deadline()
            if early is not None and early <= self.horizon:
                n += 1
            else:
                early = None
        choice = self.chooser.choose(n) if n > 1 else 0
        if choice == len(cands):  # the timer fires before the pending work
            self._set_time(early, early=True)
            return True
        inst, observable, observing = cands[choice]
        if self.trace is not None:
            self.trace.step += 1
        initial = bool(self.unstarted) and inst in self.unstarted
        if initial:
            self.unstarted.discard(inst)
        self._tick(inst, observable, observing=observing, initial=initial)
        return inst

    def _next_deadline(self) -> float | None:
        deadlines = [d for i, e in self.engines.items() if i in self.router.alive
                     and (d := e.next_deadline()) is not None and d > self.time]
        return min(deadlines) if deadlines else None

    def _set_time(self, when: float, early: bool = False) -> None:
        self.time = when
        if self.trace is not None:
            self.trace.add("time", time=when, early=early)

    def advance_time(self, limit: float) -> bool:
        """Move the clock to the next timer if it is due by ``limit``."""
        deadline = self._next_deadline()
        if deadline is None or deadline > limit:
            return False
        self._set_time(deadline)
        return True

    # -- one tick ----------------------------------------------------------------------------------

    def _tick(self, inst: InstanceId, observable: bool, initial: bool = False,
              observing: bool = False) -> None:
        """Run one tick of ``inst``. A tick that runs only for elements waiting in batch
        buffers (not ``observable``) must release one of them; so must tick 0 (``initial``)
        from the batches its sources fill: as in Hydro's simulator, the top level runs first
        and a tick runs only to release something, so "tick 0 released nothing, tick 1 released
        it" would count one execution twice."""
        core = self.cores[inst]
        engine = core.engine
        info = self.sim.instance_infos[inst]
        arrived_ports = self._deliver(inst, engine)
        forced = None
        if not observing and (not observable or initial):
            holding = {op for op in info.batch_ops if engine.S[op].pending}
            for port in arrived_ports:
                holding |= info.port_batches.get(port, (False, set()))[1]
            if initial:
                holding |= info.initial_batches
            if holding:
                forced = max(holding, key=info.batch_order.__getitem__)
        tick = engine.tick
        if self.trace is not None:
            self.flush_prints()  # the body's, before this tick
            self.trace.add("tick", instance=inst.name, tick=tick, time=self.time)
        self.chooser.begin_tick(forced, self._observe(inst, engine) if observing else None)
        try:
            tick_no, deliveries, external, sinks, rows, failure = core.tick(self.time)
        finally:
            if self.trace is not None:
                self.flush_prints(inst, tick)
        if failure is not None:
            raise failure.to_error() from core.failed_cause
        if deliveries:
            isolated = self.isolated
            if not (isolated and inst in isolated):  # a partitioned instance's sends are lost
                for d in deliveries:
                    if isolated and d.dst in isolated:
                        continue
                    items = self.router.receive(d.port, d.data, d.tag)
                    self.outbox[d.dst].append((d.port, items, inst))
        if external:
            for key, data in external.items():
                info_port = self.sim.ports[key]
                values = info_port.codec.decode(data)
                if info_port.many_clients:
                    self._to_clients(info_port, values)
                    continue
                if inst.member is None:
                    self.outputs[key].extend(values)
                else:  # a cluster's sim_output: each member's apart, and all as (member, value)
                    self.outputs[key, inst.member].extend(values)
                    self.outputs[key].extend((inst.member, v) for v in values)
                if self.trace is not None:
                    self.trace.add("output", port=key, items=values, where=_made_at(info_port))
        if sinks:
            self._sinks(inst, tick_no, sinks)
        if self.record:
            self.trace.add("activity", instance=inst.name, tick=tick_no, time=self.time,
                           rows=rows)

    def _observe(self, inst: InstanceId, engine: Engine) -> dict[int, int]:
        """An observation step's decisions, made before it runs (on what waited before it, as
        Hydro decides every hook of a step first): each top-level assumed order with elements
        waiting releases one of them or none, and the last must if none did."""
        S = engine.S
        waiting = [op for op in self.observing[inst] if S[op].pending]
        chosen: dict[int, int] = {}
        for k, op in enumerate(waiting):
            forced = k == len(waiting) - 1 and not chosen
            i = self.chooser.next_of(S[op].op, S[op].pending, forced)
            if i is not None:
                chosen[op] = i
        return chosen

    def _sinks(self, inst: InstanceId, tick: int, sinks) -> None:
        for port, values in sinks.items():
            self.sinks[port].extend(values)
            if self.watching and port in self.sim.watches:
                self._watched(inst, tick, port, values)

    def _to_clients(self, info, pairs: list) -> None:
        """A bidi_external port's replies, ``(client id, reply)``: each to its client (a reply
        to a client that is not connected is lost, as in a deployment)."""
        by_client: dict[int, list] = {}
        for client, reply in pairs:
            by_client.setdefault(client, []).append(reply)
        connected = self.clients.get(info.key, ())
        for client, replies in by_client.items():
            if client in connected:
                self.replies.setdefault((info.key, client), []).extend(replies)
            if self.trace is not None:
                lost = [] if client in connected else ["(not connected: lost)"]
                self.trace.add("output", port=info.key, client=client, items=replies,
                               where=_made_at(info), lost=bool(lost))

    def flush_prints(self, inst: InstanceId | None = None, tick: int | None = None) -> None:
        """What was printed since the last flush becomes one ``"print"`` event: of ``inst``'s
        tick, or of the test body (``inst`` None)."""
        if not self.printed:
            return
        text = "".join(self.printed)
        self.printed.clear()
        if text:
            self.trace.add("print", instance=None if inst is None else inst.name, tick=tick,
                           text=text)

    def _watched(self, inst: InstanceId, tick: int, port, values: list) -> None:
        watch = self.sim.watches[port]
        for v in values:
            watch.append(v)
        rows = watch.history[-len(values):]
        self.trace.add("watch", instance=inst.name, tick=tick,
                       watch=self.sim.watch_infos[port].name, values=[r.value for r in rows])

    def _deliver(self, inst: InstanceId, engine: Engine) -> set:
        arrivals = self.in_flight.pop(inst, [])
        if not arrivals:
            return set()
        if len(arrivals) > 1 and self.faults.reorder and self.faults_used < self.faults.max_faults:
            reorderable = any(self.faults.reorders(self.sim.channels[p]) for p, _, _ in arrivals
                              if p in self.sim.channels)
            if reorderable and self.chooser.choose(2):
                self.faults_used += 1
                arrivals = arrivals[1:] + arrivals[:1]
                if self.trace is not None:
                    self.trace.add("fault", what=f"messages to {inst.name} arrive reordered")
        ports = set()
        held = []
        for port, items, sender in arrivals:
            spec = self.sim.channels.get(port)
            kinds = self.faults.for_channel(spec) if spec is not None else []
            if kinds:
                items = self._message_faults(spec, kinds, items, sender, inst, port, held)
            if items:
                engine.deliver(port, items)
                ports.add(port)
        if held:
            self.in_flight[inst].extend(held)
        return ports

    def _message_faults(self, spec, kinds, items, sender, inst, port, held) -> list:
        """Per message: deliver, or (within the fault budget) drop it, deliver it twice, or hold
        it back with everything after it (a delay keeps the sender's order)."""
        out = []
        for i, item in enumerate(items):
            if self.faults_used >= self.faults.max_faults:
                out.extend(items[i:])
                break
            c = self.chooser.choose(len(kinds) + 1)
            if not c:
                out.append(item)
                continue
            self.faults_used += 1
            kind = kinds[c - 1]
            if self.trace is not None:
                self.trace.add("fault", what=f"{kind} {short(item)} on {spec.name} from "
                               f"{getattr(sender, 'name', sender)} to {inst.name}")
            if kind == "duplicate":
                out += [item, item]
            elif kind == "delay":
                held.append((port, items[i:], sender))
                break
        return out

    # -- the body's side -------------------------------------------------------------------------

    def send(self, port_info, items: list, client: int | None = None,
             member: int | None = None) -> None:
        """Queue ``items`` from the test into an input port (of one ``member`` when the port
        is a cluster's ``sim_input``)."""
        if member is None:
            inst = self.port_instances[port_info.key]
        else:
            inst = InstanceId(port_info.location, member)
        try:  # what the flow receives went through the port's codec, as in a deployment
            items = port_info.codec.decode(port_info.codec.encode(items))
        except Exception as err:
            raise HydroRuntimeError(port_codec_message(port_info, items, err)) from err
        if self.trace is not None:
            self.trace.add("send", port=port_info.key, items=items, client=client,
                           member=None if member is None else inst.name,
                           where=_made_at(port_info))
        if port_info.many_clients:
            items = [(client, v) for v in items]
        mode = "many" if port_info.many_clients else "single"
        self.in_flight[inst].append((self.client_ports[port_info.key, mode], items, None))

    def connect_client(self, port_info) -> int:
        """A new client of a bidi_external port: its id, and the port's ``events`` see it
        join (ids count from 1 across the flow's ports, as a deployment's do)."""
        client = self.next_client
        self.next_client += 1
        self.clients.setdefault(port_info.key, set()).add(client)
        self._client_event(port_info, client, MembershipEvent.JOINED, "connects")
        return client

    def disconnect_client(self, port_info, client: int) -> None:
        self.clients.get(port_info.key, set()).discard(client)
        self._client_event(port_info, client, MembershipEvent.LEFT, "disconnects")

    def _client_event(self, port_info, client: int, event: MembershipEvent, what: str) -> None:
        inst = self.port_instances[port_info.key]
        self.in_flight[inst].append((self.client_ports[port_info.key, "events"], [(client, event)],
                                     None))
        if self.trace is not None:
            self.trace.add("client", port=port_info.key, client=client, what=what,
                           where=_made_at(port_info))

    def run_until(self, done, *, allow_time: bool, max_steps: int, max_time: float) -> bool:
        """Step until ``done()`` or nothing can happen; with ``allow_time``, time may then move
        to the next timer, up to ``max_time`` seconds from now. At most ``max_steps`` ticks."""
        if not self.started:
            self.start()
        steps = 0
        started = self.time
        limit = self.time + max_time
        self.out_of_time = False
        while not done():
            if steps >= max_steps:
                raise HydroRuntimeError(self._unsettled(max_steps, started, allow_time, limit,
                                                        max_time))
            if self.step():
                steps += 1
                continue
            if not allow_time:
                return done()
            if not self.advance_time(limit):
                self.out_of_time = self._next_deadline() is not None
                return done()
        return True

    def _unsettled(self, max_steps: int, started: float, allow_time: bool, limit: float,
                   max_time: float, sample: int = 200) -> str:
        """Why a wait did not end: who keeps ticking (seen over ``sample`` more steps, so that
        the steps of a wait that ends cost no bookkeeping), the clock, the timers or spins that
        keep them busy; and the options that change it."""
        ticks: dict[InstanceId, int] = {}
        seen = 0
        for _ in range(4 * sample):
            if seen >= sample:
                break
            ticked = self.step()
            if not ticked:
                if allow_time and self.advance_time(limit):
                    continue
                break
            if ticked is not True:
                ticks[ticked] = ticks.get(ticked, 0) + 1
                seen += 1
        busiest = sorted(ticks.items(), key=lambda kv: -kv[1])[:3]
        who = ", ".join(f"{inst.name} ticked {n:,} times" for inst, n in busiest)
        moved = self.time != started
        clock = (f"virtual time went from {started:g} s to {self.time:g} s" if moved
                 else f"virtual time stayed at {self.time:g} s")
        lines = [f"the simulation did not settle within {max_steps:,} steps (in {seen} more, "
                 f"{who or 'no instance ticked'}), and {clock}"]
        causes = [f"{c} (at {inst.name})" for inst, _ in busiest
                  for c in self._busy_causes(inst, moved)]
        if causes:
            lines.append("  What keeps it busy:")
            lines += [f"    {c}" for c in dict.fromkeys(causes)]
        more = f"flow.sim(..., max_steps={max_steps * 5})"
        if allow_time:
            lines.append(
                "  Fix: the test waits for an output (next(), assert_yields..., recv()) that "
                f"has not come, and virtual time runs on meanwhile (up to max_time={max_time:g}"
                " s): let a bounded time pass instead (inst.advance(seconds), then collect(), "
                f"which does not let time pass), or set flow.sim(..., max_time=...); if the "
                f"flow needs more steps, raise the limit: {more}")
        else:
            lines.append(f"  Fix: if the flow needs more steps, raise the limit: {more}; a flow "
                         "that never becomes quiet (a spin(), a timer that is always due) "
                         "cannot be waited for")
        return "\n".join(lines)

    def _busy_causes(self, inst: InstanceId, moved: bool) -> list[str]:
        engine = self.engines[inst]
        causes = []
        if engine.spins:
            causes += [f"{where(op)} runs every tick"
                       for op in engine.program.graph.operators.values() if op.op == "spin"]
        for state in engine.S.values():
            deadline = state.deadline() if hasattr(state, "deadline") else None
            if deadline is None:
                continue
            if deadline <= self.time:
                causes.append(f"{where(state.op)} is due (at {deadline:g} s)")
            elif moved:
                every = getattr(state, "seconds", None)
                if every and state.op.op != "timeout":
                    causes.append(f"{where(state.op)} fires every {every:g} s")
                else:
                    causes.append(f"{where(state.op)} is due at {deadline:g} s")
        return causes


def _made_at(port_info) -> str | None:
    """Where the user made a port (``notebook cell In [7], line 4``), for the trace."""
    created = port_info.created_at
    return created.where() if created is not None else None
