"""``flow.sim(cluster_sizes=...)``'s ``Simulator``: it runs a test body once per execution (every
distinct one with ``exhaustive``, random ones with ``fuzz``, one schedule with ``run``) and turns
a failing one into a ``SimFailure`` with its trace and replay line. Explored executions print
nothing: what they print is captured, and only the failing one's is shown, in its failure."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from typing import Any

from hydro_lab.core.routing import InstanceId
from hydro_lab.core.topology import Topology
from hydro_lab.errors import HydroDeployError, HydroTypeError
from hydro_lab.observe.recording import operator_origins, watch_infos
from hydro_lab.sim.choosers import RandomChooser, ReplayChooser, next_schedule
from hydro_lab.sim.faults import Faults
from hydro_lab.sim.handles import SimInstance
from hydro_lab.sim.progress import Reporter, SimProgress
from hydro_lab.sim.trace import Trace
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
        self._port_infos: dict[int, tuple[Any, Any]] = {}  # id(handle) -> (handle, PortInfo)
        self.faults = Faults.of(faults)
        self.max_steps = max_steps
        self.max_time = max_time
        self.last_trace: Trace | None = None
        # the flow's watches (``collection.watch()``): fed by the executions that keep a trace
        self.watches = dict(lowered.watches)
        self.watch_infos = dict(zip(self.watches, watch_infos(self.watches.values()),
                                    strict=True))

    def port_info(self, port: Any) -> Any:
        """The ``PortInfo`` of a port handle or key of this flow (``Topology.port``: a port of
        another flow, or of the flow edited since, is refused), remembered per handle: a test
        body connects the same ports in every one of thousands of executions."""
        held = self._port_infos.get(id(port))
        if held is not None and held[0] is port:
            return held[1]
        info = self.topology.port(port, runner="simulation", as_of="flow.sim() was called",
                                  redeploy_hint="call flow.sim() again")
        self._port_infos[id(port)] = (port, info)
        return info

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
