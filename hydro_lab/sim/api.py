"""``flow.sim(cluster_sizes=...)``: run a test body over every execution Hydro's rules allow.

A test body is a plain function ``def body(inst): ...``: it connects ports (``inst.connect``),
sends inputs and asserts on outputs; waiting for an output runs the simulated flow. The
simulator runs the body once per execution:

* ``exhaustive(body)`` — every distinct execution (depth first over the decisions), returns how
  many there were;
* ``fuzz(body, runs=, seed=)`` — random decisions; a failure is shrunk to a minimal schedule and
  reported with the seed and schedule that replay it;
* ``run(body, schedule=)`` — one execution, e.g. a failure's schedule.

A failure raises ``SimFailure`` (an ``AssertionError``) carrying the readable trace (``.trace``,
also as data: ``.trace.events``), the schedule (``.schedule``), what the failing execution
printed, and the line that replays it. Explored executions print nothing: what they print is
captured, and only the failing one's is shown, in its failure.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

from hydro_lab.core.routing import InstanceId
from hydro_lab.core.topology import Topology
from hydro_lab.errors import HydroDeployError, HydroTypeError
from hydro_lab.ir.kinds import Order, Retries
from hydro_lab.observe.recording import operator_origins, watch_infos
from hydro_lab.sim.choosers import RandomChooser, ReplayChooser, next_schedule
from hydro_lab.sim.faults import Faults
from hydro_lab.sim.progress import Reporter, SimProgress
from hydro_lab.sim.trace import Trace, short
from hydro_lab.sim.world import Printed, ProgramInfo, World

_DROPPED = Printed(None)  # where explored executions print


class SimFailure(AssertionError):
    """A test body failed in some execution; ``trace`` and ``schedule`` say which.

    ``sim`` is the simulator it came from and ``body`` the test function, so
    ``failure.sim.run(failure.body, schedule=failure.schedule)`` (or ``failure.replay()``) runs
    that execution again; the message prints it as ``sim.run(<test name>, schedule=[...])``.
    """

    def __init__(self, message: str, trace: Trace, schedule: list[int], seed: int | None = None,
                 execution: int | None = None, *, sim: Simulator | None = None,
                 body: Callable | None = None, notes: list[str] | None = None):
        self.trace = trace
        self.schedule = schedule
        self.seed = seed
        self.execution = execution
        self.sim = sim
        self.body = body
        head = message
        if execution is not None:
            head += f"\n  (in execution {execution}"
            head += f", fuzz seed {seed})" if seed is not None else ")"
        for note in notes or ():
            head += f"\n  {note}"
        head += f"\n  replay: sim.run({_body_name(body)}, schedule={schedule})"
        if sim is not None:
            head += "   (sim: the simulator it ran on, also failure.sim)"
        text = f"{head}\n--- trace ---\n{trace.format()}"
        printed = trace.format_prints()
        if printed:
            text += f"\n--- what this execution printed ---\n{printed}"
        super().__init__(text)

    def replay(self, *, record: bool = False) -> Trace:
        """Run the failing execution again (it raises this failure anew)."""
        if self.sim is None or self.body is None:
            raise HydroDeployError("replay(): this failure does not know its simulator and test")
        return self.sim.run(self.body, schedule=self.schedule, record=record)


def _body_name(body) -> str:
    """How the replay line names the test: its function name, when it is one."""
    name = getattr(body, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else "failure.body"


class Simulator:
    """Runs a flow's compiled programs over the executions Hydro's rules allow.

    Options (``flow.sim(cluster_sizes, **options)``): ``faults=`` (opt-in fault injection),
    ``max_steps=`` (at most this many ticks while a body waits once: a flow that never becomes
    quiet fails with a message naming what keeps it busy), ``max_time=`` (how many seconds of
    virtual time a wait for an output may let pass), ``check_claims=`` (also reorder, and for
    idempotent claims duplicate, the elements an aggregation's ``commutative=`` /
    ``idempotent=`` claim says it does not care about, so a false claim fails).
    """

    def __init__(self, built, cluster_sizes: Any = None, *, faults: Any = None,
                 max_steps: int = 20_000, max_time: float = 600.0, check_claims: bool = False):
        self.program_ir = built.program
        self.check_claims = bool(check_claims)
        compiled = built.compile(sim=True, check_claims=self.check_claims)
        self.topology = Topology.of(compiled, cluster_sizes)
        self.lowered = lowered = compiled.lowered
        self.programs = compiled.programs
        self.infos = {loc: ProgramInfo(p) for loc, p in self.programs.items()}
        self.cluster_sizes = self.topology.cluster_sizes
        self.instances: list[InstanceId] = self.topology.instances
        self.instance_infos = {inst: self.infos[inst.location] for inst in self.instances}
        self.channels = self.topology.channels
        self.members = self.topology.members
        self.ports = self.topology.ports
        self.faults = Faults.of(faults)
        self.max_steps = max_steps
        self.max_time = max_time
        self.last_trace: Trace | None = None
        # the flow's watches (``collection.watch()``): fed by the executions that keep a trace
        self.watches = dict(lowered.watches)
        self.watch_infos = dict(zip(self.watches, watch_infos(self.watches.values()),
                                    strict=True))

    # -- one execution ---------------------------------------------------------------------------

    def _execute(self, body, chooser, trace: Trace | None, record: bool = False,
                 echo: bool = False) -> BaseException | None:
        """One execution. What it prints is captured: kept in the trace (when there is one) and
        written through as well with ``echo``; exploring drops it."""
        if trace is None and not echo:  # exploring: one shared sink drops everything
            printed, out, err_out = None, _DROPPED, _DROPPED
        else:
            printed = [] if trace is not None else None
            out = Printed(printed, sys.stdout if echo else None)
            err_out = Printed(printed, sys.stderr if echo else None)
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err_out
        try:
            world = World(self, chooser, trace, record=record, printed=printed)
            inst = SimInstance(self, world)
            try:
                body(inst)
            except (HydroDeployError, HydroTypeError):
                raise  # the test misuses the simulator: not a failure of one execution
            except Exception as err:  # the body failed in this execution
                if trace is not None:
                    world.flush_prints()
                    trace.add("error", message=f"{type(err).__name__}: {err}")
                return err
            finally:
                if trace is not None:
                    world.flush_prints()
        finally:
            sys.stdout, sys.stderr = saved
        return None

    def _failure(self, err: BaseException, body, trace: Trace, schedule: list[int], *,
                 seed=None, execution=None) -> SimFailure:
        failure = SimFailure(f"{type(err).__name__}: {err}", trace, schedule, seed, execution,
                             sim=self, body=body, notes=_claim_notes(trace))
        failure.__cause__ = err
        return failure

    def _fail(self, body, schedule: list[int], err: BaseException, *, seed=None,
              execution=None) -> SimFailure:
        trace = Trace()
        replayed = self._execute(body, ReplayChooser(schedule), trace)
        self.last_trace = trace
        return self._failure(replayed or err, body, trace, schedule, seed=seed,
                             execution=execution)

    def run(self, body, schedule: list[int] | None = None, *, record: bool = False) -> Trace:
        """One execution following ``schedule`` (default: the first choice everywhere); returns
        its trace, or raises ``SimFailure``. What the execution prints is printed (and kept in
        the trace as ``"print"`` events).

        The flow's watches (``collection.watch()``) show this execution, and the trace carries
        their values (``"watch"`` events). ``record=True`` also records every tick's activity
        (``"activity"`` events: the tick's metrics rows, as a deployment records them) and what
        a replay needs to draw it (``trace.context``): ``trace.recording()`` is then a
        :class:`~hydro_lab.observe.recording.Recording` of the execution."""
        chooser = ReplayChooser(schedule)
        trace = Trace()
        if record:
            trace.context = self._replay_context()
        err = self._execute(body, chooser, trace, record=record, echo=True)
        self.last_trace = trace
        if err is not None:
            raise self._failure(err, body, trace, chooser.schedule)
        return trace

    def _replay_context(self) -> dict[str, Any]:
        """What a Recording needs besides the events: the IR program and how the simulated
        DFIR operators and channels map back to its nodes."""
        return {
            "title": f"{self.program_ir.name} (simulation)",
            "program": self.program_ir,
            "origins": operator_origins(self.programs),
            "channels": {spec.name: spec.origin.node_id for spec in self.lowered.channels},
            "programs": self.programs,  # the replay's DFIR view
            "channel_specs": list(self.lowered.channels),
            "watches": list(self.watch_infos.values()),
            "instances": [inst.name for inst in self.instances],
        }

    # -- modes ---------------------------------------------------------------------------------

    def exhaustive(self, body, *, max_executions: int = 1_000_000,
                   progress: bool | Callable[[SimProgress], None] = True,
                   progress_every: float = 2.0) -> int:
        """Run ``body`` once per distinct execution; returns the number of executions.

        A long exploration reports progress every ``progress_every`` seconds: one line on stderr
        (``progress=True``), nothing (``False``), or a call ``progress(SimProgress)``.
        """
        count = 0
        schedule: list[int] | None = []
        report = Reporter(progress, progress_every, "exhaustive")
        while schedule is not None:
            chooser = ReplayChooser(schedule)
            err = self._execute(body, chooser, None)
            count += 1
            if err is not None:
                raise self._fail(body, chooser.schedule, err, execution=count) from None
            if count >= max_executions:
                raise HydroDeployError(f"exhaustive(): more than {max_executions} executions; "
                                       "use fuzz() or raise max_executions")
            schedule = next_schedule(chooser.record)
            report(count, len(chooser.record), done=schedule is None)
        return count

    def fuzz(self, body, *, runs: int = 100, seed: int = 0, shrink: bool = True,
             progress: bool | Callable[[SimProgress], None] = True,
             progress_every: float = 2.0) -> int:
        """Run ``body`` ``runs`` times with random decisions; on a failure, shrink the schedule
        and raise ``SimFailure`` with it and the seed. Progress is reported as in ``exhaustive``."""
        report = Reporter(progress, progress_every, "fuzz")
        for run in range(runs):
            chooser = RandomChooser(random.Random(f"{seed}:{run}"))
            err = self._execute(body, chooser, None)
            if err is not None:
                schedule = chooser.schedule
                if shrink:
                    schedule = self.shrink(body, schedule)
                raise self._fail(body, schedule, err, seed=seed, execution=run + 1) from None
            report(run + 1, len(chooser.schedule), done=run + 1 == runs)
        return runs

    def shrink(self, body, schedule: list[int], budget: int = 2000) -> list[int]:
        """A shorter, smaller schedule that still fails (choices past the end count as 0)."""
        tries = 0

        def fails(candidate: list[int]) -> bool:
            nonlocal tries
            tries += 1
            return self._execute(body, ReplayChooser(candidate), None) is not None

        best = list(schedule)
        while best and best[-1] == 0:
            best.pop()
        improved = True
        while improved and tries < budget:
            improved = False
            chunk = max(1, len(best) // 2)
            while chunk >= 1 and tries < budget:  # drop chunks from the end, then anywhere
                i = len(best) - chunk
                while i >= 0 and tries < budget:
                    candidate = best[:i] + best[i + chunk:]
                    if candidate != best and fails(candidate):
                        best, improved = candidate, True
                    i -= chunk
                chunk //= 2
            for i in range(len(best)):  # smaller choices, the first option first
                if tries >= budget:
                    break
                for value in sorted({0, best[i] // 2, best[i] - 1}):
                    if 0 <= value < best[i]:
                        candidate = best[:i] + [value] + best[i + 1:]
                        if fails(candidate):
                            best, improved = candidate, True
                            break
            while best and best[-1] == 0:
                best.pop()
        return best


class SimInstance:
    """What a test body gets: ports to connect, and control over the simulated world."""

    def __init__(self, sim: Simulator, world: World):
        self._sim = sim
        self._world = world

    def connect(self, port):
        """A handle for one of the flow's ports: ``SimInput`` for an input port, ``SimOutput``
        for an output port, and for a ``bidi_external`` port a new ``SimClient`` each call (the
        port's ``events`` see it connect), as ``d.connect(port)`` is in a deployment."""
        key = getattr(port, "key", port)
        info = self._sim.ports.get(key)
        if info is None:
            raise HydroDeployError(f"connect(): {port!r} is not a port of this flow")
        if info.many_clients:
            return SimClient(self, info)
        if info.direction == "out":
            return SimOutput(self, info)
        return SimInput(self, info)

    @property
    def time(self) -> float:
        """The virtual clock, in seconds (to the nanosecond: timers that add up 0.1 s steps
        do not show float noise such as 0.30000000000000004)."""
        return round(self._world.time, 9)

    def run(self) -> None:
        """Run until nothing can happen without time passing."""
        self._settle(allow_time=False)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass, then settle. What is pending now is handled
        first, except that within the window a timer may fire before messages still in flight
        arrive (a decision: slow messages)."""
        if not seconds >= 0:
            raise HydroDeployError(f"advance(): seconds must be a number >= 0, got {seconds!r}")
        world = self._world
        end = world.time + seconds
        world.horizon = end
        try:
            self._settle(allow_time=False)
            while world.advance_time(end):
                self._settle(allow_time=False)
            world.time = end
            self._settle(allow_time=False)
        finally:
            world.horizon = world.time

    def crash(self, cluster, member: int) -> None:
        """Crash one cluster member now (fail-stop)."""
        name = getattr(cluster, "name", cluster)
        for inst in self._world.instances:
            if inst.location.name == name and inst.member == member:
                self._world.crash(inst, reason="crash (by the test)")
                return
        raise HydroDeployError(f"crash(): no member {member} of cluster {name!r}")

    def _settle(self, allow_time: bool, done=lambda: False) -> bool:
        return self._world.run_until(done, allow_time=allow_time,
                                     max_steps=self._sim.max_steps, max_time=self._sim.max_time)


class SimInput:
    """A test's handle on an input port of the simulated flow (``inst.connect(port)``): what it
    sends enters the flow in that order, or in any order the exploration chooses when the port
    was declared unordered; on an at-least-once port a message may also arrive twice."""

    def __init__(self, inst: SimInstance, info):
        self._inst = inst
        self.info = info
        self.ordered = _port_order(inst._sim, info) is Order.TOTAL_ORDER
        self.retried = _port_retries(inst._sim, info) is Retries.AT_LEAST_ONCE

    def send(self, value: Any) -> None:
        """Send one message into the flow."""
        self.send_many([value])

    def send_many(self, values) -> None:
        """Send values in this order (one message each)."""
        world = self._inst._world
        for v in values:
            copies = 2 if self.retried and world.chooser.choose(2) else 1
            for _ in range(copies):
                world.send(self.info, [v])

    def send_many_unordered(self, values) -> None:
        """Send values whose order the flow may not rely on (a NoOrder port only)."""
        if self.ordered:
            raise HydroDeployError(
                f"send_many_unordered(): {_port_name(self.info)} was declared TotalOrder, so the "
                "flow may rely on the order of what it receives; declare "
                "sim_input(order=Order.NO_ORDER) or use send_many")
        self.send_many(values)


class _Receiver:
    """Reading what the flow sent to one receiver; waiting runs the simulation."""

    _inst: SimInstance
    _read: int

    @property
    def _buffer(self) -> list:
        raise NotImplementedError

    @property
    def _name(self) -> str:
        raise NotImplementedError

    def _unread(self) -> list:
        return self._buffer[self._read:]

    def _wait_for(self, n: int, allow_time: bool = True) -> list:
        self._inst._settle(allow_time=allow_time, done=lambda: len(self._unread()) >= n)
        return self._unread()

    def _ended(self) -> str:
        """How a wait ended without what it waited for."""
        world, sim = self._inst._world, self._inst._sim
        if world.out_of_time:
            return (f"nothing more came within {sim.max_time:g} s of virtual time (a timer "
                    f"kept the flow going; flow.sim(..., max_time=) sets the limit)")
        return "the flow settled"

    def collect(self) -> list:
        """Everything not yet read, after running until nothing can happen without time."""
        self._inst._settle(allow_time=False)
        out = self._unread()
        self._read = len(self._buffer)
        return out

    def next(self) -> Any:
        """The next value, running the simulation until there is one; ``AssertionError`` if
        the flow settles (or runs out of virtual time) without yielding one."""
        got = self._wait_for(1)
        if not got:
            raise AssertionError(f"{self._name}: {self._ended()} without yielding")
        self._read += 1
        return got[0]

    def recv(self, timeout: float | None = None) -> Any:
        """The next value, as a deployment client's ``recv()``: waiting runs the simulation;
        ``timeout`` is in virtual seconds (``TimeoutError`` when nothing came by then)."""
        if timeout is None:
            return self.next()
        inst = self._inst
        inst._world.run_until(lambda: bool(self._unread()), allow_time=True,
                              max_steps=inst._sim.max_steps, max_time=timeout)
        got = self._unread()
        if not got:
            raise TimeoutError(f"{self._name}: no value within {timeout:g} s (virtual time)")
        self._read += 1
        return got[0]

    def recv_all(self) -> list:
        """Everything not yet read, once the flow is quiet (time does not pass): what a
        deployment client's ``recv_all()`` returns after the flow ran."""
        return self.collect()

    def assert_yields(self, expected) -> None:
        """The next values are exactly ``expected``, in order."""
        expected = list(expected)
        got = self._wait_for(len(expected))[: len(expected)]
        if got != expected:
            raise AssertionError(self._mismatch(expected, got))
        self._read += len(expected)

    def assert_yields_unordered(self, expected) -> None:
        """The next ``len(expected)`` values are ``expected`` in some order."""
        expected = list(expected)
        got = self._wait_for(len(expected))[: len(expected)]
        if _multiset(got) != _multiset(expected):
            raise AssertionError(self._mismatch(expected, got, unordered=True))
        self._read += len(expected)

    def assert_no_more(self) -> None:
        """Nothing else is yielded (after settling, without letting time pass)."""
        rest = self.collect()
        if rest:
            raise AssertionError(f"{self._name} yielded unexpected values {short(rest)}")

    def assert_yields_only(self, expected) -> None:
        """``assert_yields(expected)``, then ``assert_no_more()``: exactly these values, in this
        order, and nothing after them."""
        self.assert_yields(expected)
        self.assert_no_more()

    def assert_yields_only_unordered(self, expected) -> None:
        """``assert_yields_unordered(expected)``, then ``assert_no_more()``: exactly these
        values, in any order, and nothing after them."""
        self.assert_yields_unordered(expected)
        self.assert_no_more()

    def _mismatch(self, expected, got, unordered: bool = False) -> str:
        how = "in any order " if unordered else ""
        if len(got) < len(expected):
            return (f"{self._name}: expected {short(expected)} {how}but {self._ended()} after "
                    f"yielding only {short(got)}")
        return f"{self._name}: expected {short(expected)} {how}but it yielded {short(got)}"


class SimOutput(_Receiver):
    """A test's handle on an output port (``inst.connect(port)``) or a ``sim_output()`` of the
    simulated flow: read with ``next()``/``recv()``/``collect()`` or check with the
    ``assert_yields*`` methods; waiting runs the simulation."""

    def __init__(self, inst: SimInstance, info):
        self._inst = inst
        self.info = info
        self._read = 0

    @property
    def _buffer(self) -> list:
        return self._inst._world.outputs[self.info.key]

    @property
    def _name(self) -> str:
        return _port_name(self.info)


class SimClient(_Receiver):
    """One client of a ``bidi_external`` port, shaped like a deployment's client: ``send`` /
    ``send_many`` messages (they reach the flow as ``(client_id, message)``), ``recv()`` the
    next reply the flow sent to this client (waiting runs the simulation), ``recv_all()``,
    ``close()`` (the port's ``events`` see it leave). The reading and asserting methods of
    ``SimOutput`` (``next``, ``collect``, ``assert_yields``, ...) read this client's replies.

    Sending after ``close()`` raises ``HydroDeployError``, as it does deployed."""

    def __init__(self, inst: SimInstance, info):
        self._inst = inst
        self.info = info
        self.port = info.key
        self._read = 0
        self.closed = False
        self.client_id = inst._world.connect_client(info)

    @property
    def _buffer(self) -> list:
        return self._inst._world.replies.setdefault((self.info.key, self.client_id), [])

    @property
    def _name(self) -> str:
        return f"client {self.client_id} of {_port_name(self.info)}"

    def send(self, value: Any) -> None:
        """Send one message into the flow."""
        self.send_many([value])

    def send_many(self, values) -> None:
        """Send several messages, in order."""
        if self.closed:
            raise HydroDeployError(f"{self._name} is closed")
        self._inst._world.send(self.info, list(values), client=self.client_id)

    def close(self) -> None:
        """Disconnect: the port's ``events`` see this client leave; later replies are lost."""
        if not self.closed:
            self.closed = True
            self._inst._world.disconnect_client(self.info, self.client_id)


def _multiset(values) -> Counter:
    return Counter(repr(v) for v in values)


def _claim_notes(trace: Trace) -> list[str]:
    """With ``check_claims``: the claims the failing execution tested by going against them
    (an order, a duplicate), since a false claim is then the likely cause."""
    notes = {}
    for e in trace.events:
        if e["kind"] == "claim" and e.get("tested"):
            notes[e["where"]] = (f"checking claims: {e['claim']} says {e['says']}, yet this "
                                 f"execution {e['tested']}, and failed; the claim is made at "
                                 f"{e['where']}")
    return list(notes.values())


_PORT_KIND = {"in": "sim_input", "out": "sim_output", "bidi": "bidi_external"}


def _port_name(info) -> str:
    """``port 23 (sim_output at counter.py, line 41)``: the key, and where the user made it."""
    where = info.created_at.where() if info.created_at is not None else None
    kind = _PORT_KIND.get(info.direction, "port")
    return f"port {info.key} ({kind} at {where})" if where else f"port {info.key}"


def _port_order(sim: Simulator, info) -> Order:
    node = _port_node(sim, info)
    return node.meta.kind.order if node is not None else Order.TOTAL_ORDER


def _port_retries(sim: Simulator, info) -> Retries:
    node = _port_node(sim, info)
    return node.meta.kind.retries if node is not None else Retries.EXACTLY_ONCE


def _port_node(sim: Simulator, info):
    return sim.program_ir.nodes.get(info.input_node) if info.input_node is not None else None
