"""One instance of a location's program, driven one tick at a time. Sans-IO: inputs are handed in
(``deliver``), the clock is a number passed to ``run_tick``, outputs come back in the report.

A tick: run the subgraphs stratum by stratum in topological order (a subgraph runs when one of its
input handoffs holds data, or always for sources and emitting heads; a strongly connected group
repeats until its handoffs are empty), then end the tick: ``'tick`` state resets, next-tick
buffers become the handoffs their consumers read next tick, counters become metrics.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hydro_lab.dfir.codegen import CompiledProgram
from hydro_lab.dfir.ops import State, spec_of
from hydro_lab.dfir.sentinels import Sentinel


class Inbox:
    """Items delivered to input ports (network receives, external clients) for the next tick."""

    def __init__(self) -> None:
        self.pending: dict[Any, list] = defaultdict(list)

    def put(self, port: Any, items) -> None:
        self.pending[port].extend(items)

    def take(self, port: Any) -> list:
        items = self.pending.pop(port, None)
        return items if items is not None else []

    def __bool__(self) -> bool:
        return any(self.pending.values())


class Outbox:
    """What output ports collected during a tick."""

    def __init__(self) -> None:
        self.ports: dict[Any, list] = {}

    def port(self, port: Any) -> list:
        out = self.ports.get(port)
        if out is None:
            out = self.ports[port] = []
        return out

    def drain(self) -> dict[Any, list]:
        out = {k: v for k, v in self.ports.items() if v}
        self.ports = {}
        return out


# a failure outside any element (a head, a state's end of tick)
NO_ELEMENT: Any = Sentinel(__name__, "NO_ELEMENT")


class UserCodeError(Exception):
    """An exception raised by user code (or an operator) inside a tick; names the operator.

    ``element`` is the input element the operator was handling (``NO_ELEMENT`` when the
    operator does not work element by element) and ``frames`` are the ``(filename, line,
    function)`` frames below the generated code, outermost first: the user's function and
    whatever it called, so a driver can point at the line inside the function that raised.
    """

    def __init__(self, op, error: BaseException, tick: int, element: Any = NO_ELEMENT,
                 frames: tuple[tuple[str, int, str], ...] = ()):
        self.op = op
        self.error = error
        self.tick = tick
        self.element = element
        self.frames = frames
        origin = getattr(op.origin, "describe", None)
        where = origin() if callable(origin) else op.label
        super().__init__(f"{where} raised {exception_text(error)}")


def exception_text(err: BaseException) -> str:
    """``"ValueError: bad input"``, or the type alone when the message is empty; also when the
    exception's own ``__str__`` raises (said as Python's traceback says it)."""
    try:
        text = str(err)
    except Exception:  # noqa: BLE001  (the user's __str__ failed)
        text = "<exception str() failed>"
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


@dataclass
class TickReport:
    tick: int
    started: float
    duration: float
    outputs: dict[Any, list]
    op_out: dict[int, int] = field(default_factory=dict)
    handoffs: dict[int, int] = field(default_factory=dict)
    state_sizes: dict[int, int] = field(default_factory=dict)


@dataclass
class _Layout:
    """What every engine of one compiled program shares: computed once per program."""

    states: list            # (operator, state factory)
    n_counters: int
    units: list             # ([(subgraph id, input handoff ids, always)], cyclic)
    defer: list[int]
    spins: bool
    eager: list[int]  # delayed handoffs whose data makes the next tick run (``async``)


def _layout(program: CompiledProgram) -> _Layout:
    cached = program.__dict__.get("_engine_layout")
    if cached is not None:
        return cached
    part = program.partitioned
    graph = part.graph
    states = []
    for op in graph.operators.values():
        spec = spec_of(op)
        if spec.state is not None:
            states.append((op, spec.state))
    units = []
    for unit in part.order:
        members = []
        for sg_id in unit:
            sg = part.subgraphs[sg_id]
            members.append((sg_id, [h.id for h in sg.inputs], sg.always))
        self_loop = len(unit) == 1 and any(
            part.subgraph_of[h.src] == unit[0] for h in part.subgraphs[unit[0]].inputs
            if not h.delay)
        units.append((members, len(unit) > 1 or self_loop))
    layout = _Layout(states, max(graph.operators, default=0) + 1, units,
                     [h.id for h in part.handoffs if h.delay],
                     any(op.op == "spin" for op in graph.operators.values()),
                     [h.id for h in part.handoffs if h.delay == "async"])
    program.__dict__["_engine_layout"] = layout
    return layout


class Engine:
    def __init__(self, program: CompiledProgram, params: dict[str, Any] | None = None, *,
                 metrics: bool = True):
        self.program = program
        self.metrics = metrics  # False: TickReport carries outputs only (the simulator)
        part = program.partitioned
        graph = part.graph
        layout = _layout(program)
        self.params = dict(params or {})
        n_h = len(part.handoffs) + 1
        self.H: list[list] = [[] for _ in range(n_h)]
        self.D: list[list] = [[] for _ in range(n_h)]
        self.failed: UserCodeError | None = None
        self.S: dict[int, Any] = {op.id: self._make_state(op, make) for op, make in layout.states}
        self.I = Inbox()
        self.O = Outbox()
        self.M = [0] * layout.n_counters
        functions = program.make(self.H, self.D, self.S, self.I, self.O, self.params, self.M)
        self._units = [([(functions[sg_id], inputs, always) for sg_id, inputs, always in members],
                        cyclic) for members, cyclic in layout.units]
        self._defer = layout.defer
        self._states_end = [s for s in self.S.values() if type(s).end_tick is not State.end_tick]
        self._timers = [s for s in self.S.values() if hasattr(s, "deadline")]
        self.spins = layout.spins
        self.eager = layout.eager
        self._ops = graph.operators
        self.tick = 0

    def _make_state(self, op: Any, make: Any) -> State:
        """An operator's state; a user function that raises making it (a fold's ``init``) fails
        the engine: its first tick raises that ``UserCodeError``, as a failure inside a tick
        would, instead of the engine's constructor raising the user's exception."""
        try:
            return make(op, self.params)
        except (Exception, SystemExit) as err:  # user code: told at the first tick
            if self.failed is None:
                frames, tb = [], err.__traceback__
                while tb is not None:
                    frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno,
                                   tb.tb_frame.f_code.co_name))
                    tb = tb.tb_next
                self.failed = UserCodeError(op, err, 0, frames=tuple(frames))
                self.failed.__cause__ = err
            return State(op, self.params)

    # -- driving --------------------------------------------------------------------------------

    def deliver(self, port: Any, items) -> None:
        self.I.put(port, items)

    def has_work(self, now: float | None = None) -> bool:
        """True when a tick would do something: inputs waiting, a spin, a timer due, tick 0,
        or elements a top-level cycle fed back for the next tick (an ``async`` delay)."""
        if self.tick == 0 or self.spins or self.I:
            return True
        if self.eager and self.fed_back():
            return True
        if now is not None:
            deadline = self.next_deadline()
            return deadline is not None and deadline <= now
        return False

    def fed_back(self) -> bool:
        """Whether a top-level cycle fed elements back for the next tick."""
        H = self.H
        return any(H[h] for h in self.eager)

    def next_deadline(self) -> float | None:
        times = [d for s in self._timers if (d := s.deadline()) is not None]
        return min(times) if times else None

    def run_tick(self, now: float | None = None) -> TickReport:
        if self.failed is not None:
            raise self.failed
        now = time.monotonic() if now is None else now
        started = time.perf_counter()
        H, tick = self.H, self.tick
        handoff_sizes: dict[int, int] = {}
        metrics = self.metrics
        try:
            for members, cyclic in self._units:
                if not cyclic:
                    fn, inputs, always = members[0]
                    if always or any(H[h] for h in inputs):
                        if metrics:
                            for h in inputs:
                                if H[h]:
                                    handoff_sizes[h] = handoff_sizes.get(h, 0) + len(H[h])
                        fn(now, tick)
                    continue
                busy = True
                first = True
                while busy:
                    busy = False
                    for fn, inputs, always in members:
                        if (always and first) or any(H[h] for h in inputs):
                            fn(now, tick)
                            busy = True
                    first = False
        # user code (or an operator) failed: name the operator; sys.exit() in a user function
        # fails the flow too (on Ray it would end the actor's process; in a thread, the thread)
        except (Exception, SystemExit) as err:
            self.failed = self._failure(err, tick)
            raise self.failed from err
        for state in self._states_end:
            state.end_tick()
        for h in self._defer:
            if self.D[h]:
                if H[h]:
                    H[h].extend(self.D[h])
                    self.D[h] = []
                else:
                    H[h], self.D[h] = self.D[h], []
        if metrics:
            report = TickReport(
                tick=tick, started=now, duration=time.perf_counter() - started,
                outputs=self.O.drain(), op_out=self._drain_counts(), handoffs=handoff_sizes,
                state_sizes={op_id: s.size() for op_id, s in self.S.items() if s.size()},
            )
        else:
            report = TickReport(tick=tick, started=now, duration=0.0, outputs=self.O.drain())
        self.tick += 1
        return report

    # -- helpers --------------------------------------------------------------------------------

    def _drain_counts(self) -> dict[int, int]:
        counts = {}
        M = self.M
        for op_id in self._ops:
            if M[op_id]:
                counts[op_id] = M[op_id]
                M[op_id] = 0
        for child, parent in self.program.counter_parent.items():
            if parent in counts:
                counts[child] = counts[parent]
        return counts

    def _failure(self, err: BaseException, tick: int) -> UserCodeError:
        """What ``err`` says about the failing operator, found only now that it failed (the loops
        pay nothing for it): the operator whose generated line was running, the element that
        line was handling (the loop's local, read from the traceback's frame) and the frames
        below it (the user's function)."""
        program = self.program
        owners, filename = program.owners, program.filename
        culprit, frame, below = None, None, []
        tb = err.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if code.co_filename == filename and tb.tb_lineno in owners:
                culprit, frame, below = owners[tb.tb_lineno], tb.tb_frame, []
            elif frame is not None:
                below.append((code.co_filename, tb.tb_lineno, code.co_name))
            tb = tb.tb_next
        element = NO_ELEMENT
        if culprit is None:
            culprit = next(iter(self._ops))
        elif culprit in program.element_vars:
            element = frame.f_locals.get(program.element_vars[culprit], NO_ELEMENT)
        return UserCodeError(self._ops[culprit], err, tick, element, tuple(below))

    def state_snapshot(self) -> tuple:
        """Hashable-ish view of all operator state and buffers (for the simulator)."""
        return (self.tick, tuple((k, s.snapshot()) for k, s in sorted(self.S.items())),
                tuple(tuple(h) for h in self.H), tuple(tuple(d) for d in self.D))

