"""``FlowBuilder`` and the stage objects a flow passes through.

Stage 1 is ordinary Python calling the builder (``hydro_lab.lang``), which records IR. ``finalize``
(also what ``compile`` does for now) links the cycles, checks well-formedness and inserts tees,
giving a :class:`BuiltFlow` that can be printed and drawn.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.errors import rule_error
from hydro_lab.ir.check import check_program
from hydro_lab.ir.locations import ClusterId, ExternalId, ProcessId
from hydro_lab.ir.passes import insert_tees
from hydro_lab.ir.printer import format_program
from hydro_lab.ir.program import Program
from hydro_lab.lang.context import BuildContext, operator
from hydro_lab.lang.locations import Cluster, External, Process
from hydro_lab.viz import Graph, graph_of_program

_NAME_HINT = "names are identifiers such as 'leader' or 'workers'"


class FlowBuilder:
    """A distributed program under construction.

    Examples
    --------
    >>> flow = FlowBuilder()
    >>> leader = flow.process("leader")
    >>> leader.source_iter([1, 2, 3]).map(lambda x: x * 2).for_each(print)
    """

    def __init__(self, name: str = "flow"):
        self._ctx = BuildContext(name)

    @property
    def name(self) -> str:
        return self._ctx.graph.name

    def _location(self, cls: type, id_cls: type, name: Any) -> Any:
        op = {Process: "process", Cluster: "cluster", External: "external"}[cls]
        if not isinstance(name, str) or not name.isidentifier():
            raise rule_error(op, f"a location name must be an identifier string, got {name!r}",
                             _NAME_HINT)
        if name in self._ctx.names:
            existing = self._ctx.names[name]
            raise rule_error(op, f"this flow already has a location named {name!r} "
                             f"({existing!r})", "give every process, cluster and external its "
                             "own name, or reuse the handle you already have")
        loc_id = self._ctx.graph.add_location(id_cls(self._ctx.graph.new_key(), name))
        handle = cls(self._ctx, loc_id)
        self._ctx.names[name] = handle
        return handle

    @operator()
    def process(self, name: str) -> Process:
        """A process: one instance running one program."""
        return self._location(Process, ProcessId, name)

    @operator()
    def cluster(self, name: str) -> Cluster:
        """A cluster: members running the same program (their number is set at deploy time)."""
        return self._location(Cluster, ClusterId, name)

    @operator()
    def external(self, name: str) -> External:
        """A client outside the flow that talks to it through ports."""
        return self._location(External, ExternalId, name)

    @property
    def locations(self) -> list[Any]:
        """The process, cluster and external handles in creation order."""
        return list(self._ctx.names.values())

    def ir(self) -> Program:
        """The IR recorded so far, as data (before finalize: no tees, cycles may be open)."""
        return self._ctx.graph.snapshot()

    def finalize(self, *, strict: bool = True) -> BuiltFlow:
        """Link cycles, check the program and insert tees. ``strict=False`` allows open forward
        references (a flow still being written) and returns what it found in ``problems``."""
        program = self._ctx.graph.snapshot()
        problems = check_program(program, strict=strict)
        return BuiltFlow(insert_tees(program), problems)

    def compile(self) -> BuiltFlow:
        """Finalize the flow for deployment (stage 2 builds on this)."""
        return self.finalize(strict=True)

    def graph(self, kind: str = "ir", *, long_labels: bool = False) -> Graph:
        """The flow's graph: locations as boxes, ticks nested inside, network edges dashed."""
        return self.finalize(strict=False).graph(kind, long_labels=long_labels)

    def __repr__(self) -> str:
        names = ", ".join(f"{type(h).__name__.lower()} {n}" for n, h in self._ctx.names.items())
        return f"<FlowBuilder {self.name!r}: {names or 'no locations'}>"


class BuiltFlow:
    """A finalized flow: the IR program, checked, with tees inserted."""

    def __init__(self, program: Program, problems: list[str] | None = None):
        self.program = program
        self.problems = problems or []

    @property
    def locations(self) -> list[Any]:
        return self.program.root_locations

    def as_text(self, *, long: bool = False) -> str:
        return format_program(self.program, long=long)

    def graph(self, kind: str = "ir", *, long_labels: bool = False) -> Graph:
        if kind != "ir":
            raise rule_error("graph", f"unknown graph kind {kind!r}",
                             'use flow.graph("ir") for the Hydro IR graph')
        return graph_of_program(self.program, long_labels=long_labels)

    def __repr__(self) -> str:
        return self.as_text()
