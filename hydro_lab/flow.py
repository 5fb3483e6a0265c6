"""``FlowBuilder`` and the stage objects a flow passes through.

Stage 1 is ordinary Python calling the builder (``hydro_lab.lang``), which records IR.
``finalize`` links the cycles, checks well-formedness and inserts tees: a :class:`BuiltFlow`.
``compile`` lowers it to one DFIR graph per location, partitions each into subgraphs and strata
and generates their code: a :class:`CompiledFlow`, which ``deploy`` runs.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.deploy.local import LocalDeployment
from hydro_lab.dfir.codegen import CompiledProgram, generate
from hydro_lab.dfir.graph import surface_syntax
from hydro_lab.dfir.scheduling import partition
from hydro_lab.errors import HydroDeployError, rule_error
from hydro_lab.ir.check import check_program
from hydro_lab.ir.locations import ClusterId, ExternalId, LocationId, ProcessId
from hydro_lab.ir.passes import insert_tees
from hydro_lab.ir.printer import format_program
from hydro_lab.ir.program import Program
from hydro_lab.lang.context import BuildContext, operator
from hydro_lab.lang.locations import Cluster, External, Process
from hydro_lab.lower import LoweredFlow, lower_program
from hydro_lab.sim import Simulator
from hydro_lab.viz import Graph, graph_of_dfir, graph_of_program

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
        """The flow's name (``FlowBuilder("counter")``; ``"flow"`` by default), the title of
        its graphs."""
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
        return _finalize(self._ctx.graph.snapshot(), strict)

    def compile(self) -> CompiledFlow:
        """Stage 2: per-location DFIR programs, partitioned and compiled to Python."""
        return self.finalize(strict=True).compile()

    def deploy(self, backend: str = "local", cluster_sizes: Any = None, **options: Any):
        """Compile and deploy: ``"local"`` (every instance in this process) or ``"ray"``.

        ``cluster_sizes`` maps each cluster (or its name) to its number of members.
        """
        return self.compile().deploy(backend, cluster_sizes, **options)

    def sim(self, cluster_sizes: Any = None, **options: Any) -> Simulator:
        """A deterministic simulator of this flow (``exhaustive``, ``fuzz``, ``run``)."""
        return Simulator(self.finalize(strict=True), cluster_sizes, **options)

    def graph(self, kind: str = "ir", *, long_labels: bool = False,
              location: Any = None) -> Graph:
        """The flow's graph. ``"ir"``: locations as boxes, ticks nested inside, network edges
        dashed. ``"dfir"``: each location's compiled program, subgraphs boxed with their stratum
        (``location=`` picks one)."""
        if kind == "dfir":
            return self.compile().graph("dfir", location=location)
        snapshot = self._ctx.graph.snapshot()
        built = _finalize(snapshot, strict=False)
        if kind != "ir":
            return built.graph(kind)  # its error names the kinds
        # the DFIR view is made (when the payload asks for it) from this same snapshot
        return graph_of_program(built.program, long_labels=long_labels,
                                dfir=lambda: _finalize(snapshot, True).compile().graph().model)

    def __repr__(self) -> str:
        names = ", ".join(f"{type(h).__name__.lower()} {n}" for n, h in self._ctx.names.items())
        return f"<FlowBuilder {self.name!r}: {names or 'no locations'}>"


def _finalize(program: Program, strict: bool) -> BuiltFlow:
    problems = check_program(program, strict=strict)
    return BuiltFlow(insert_tees(program), problems)


class BuiltFlow:
    """A finalized flow: the IR program, checked, with tees inserted.

    ``program`` is the IR (:class:`~hydro_lab.ir.program.Program`); ``problems`` lists what a
    non-strict ``finalize(strict=False)`` found (open forward references), else ``[]``.
    """

    def __init__(self, program: Program, problems: list[str] | None = None):
        self.program = program
        self.problems = problems or []

    @property
    def locations(self) -> list[Any]:
        """The ids of the flow's processes and clusters (``LocationId``), in creation order."""
        return self.program.root_locations

    def as_text(self, *, long: bool = False) -> str:
        """The IR as text, one node per line (``long=True``: with each node's kind and
        guarantees); also what ``repr`` shows."""
        return format_program(self.program, long=long)

    def compile(self, *, sim: bool = False, check_claims: bool = False) -> CompiledFlow:
        """Stage 2: lower each location to DFIR, partition it and generate its code. The one
        compile path of deployments and the simulator: ``sim=True`` lowers the non-deterministic
        points to the simulator's decision operators (and ``check_claims`` tests aggregations'
        claims), see ``lower_program``."""
        lowered = lower_program(self.program, sim=sim, check_claims=check_claims)
        suffix = " (sim)" if sim else ""
        programs = {loc: generate(partition(graph), loc.describe() + suffix)
                    for loc, graph in lowered.graphs.items()}
        return CompiledFlow(self, lowered, programs)

    def graph(self, kind: str = "ir", *, long_labels: bool = False) -> Graph:
        """The flow's graph: ``"ir"`` or ``"dfir"``, as :meth:`FlowBuilder.graph`."""
        if kind == "dfir":
            return self.compile().graph("dfir")
        if kind != "ir":
            raise rule_error("graph", f"unknown graph kind {kind!r}",
                             'use flow.graph("ir") or flow.graph("dfir")')
        return graph_of_program(self.program, long_labels=long_labels,
                                dfir=lambda: self.compile().graph("dfir").model)

    def __repr__(self) -> str:
        return self.as_text()


BACKENDS = ("local", "ray")


class CompiledFlow:
    """Stage 2: one compiled DFIR program per process and cluster (a cluster's program is shared
    by its members, parameterized by member id)."""

    def __init__(self, built: BuiltFlow, lowered: LoweredFlow,
                 programs: dict[LocationId, CompiledProgram]):
        self.built = built
        self.lowered = lowered
        self.programs = programs

    @property
    def program(self) -> Program:
        """The IR program this was compiled from."""
        return self.built.program

    @property
    def problems(self) -> list[str]:
        """What finalizing found (always ``[]``: a flow only compiles when it is complete)."""
        return self.built.problems

    @property
    def locations(self) -> list[str]:
        """The names of the compiled locations (processes and clusters)."""
        return [loc.name for loc in self.programs]

    def _location(self, location: Any) -> LocationId:
        name = getattr(location, "name", location)
        for loc in self.programs:
            if loc.name == name or loc == location:
                return loc
        raise HydroDeployError(f"no compiled location {location!r}; this flow has "
                               f"{self.locations}")

    def program_of(self, location: Any) -> CompiledProgram:
        """One location's compiled DFIR program (its ``graph``, ``partitioned`` subgraphs and
        strata, and generated ``source``)."""
        return self.programs[self._location(location)]

    def source(self, location: Any) -> str:
        """The generated Python for one location (a process or cluster, or its name)."""
        return self.program_of(location).source

    def surface_syntax(self, location: Any) -> str:
        """The location's DFIR graph in DFIR's ``a -> b`` surface syntax."""
        return surface_syntax(self.program_of(location).graph)

    def as_text(self, *, long: bool = False) -> str:
        """The IR text (what was compiled)."""
        return self.built.as_text(long=long)

    def graph(self, kind: str = "dfir", *, location: Any = None,
              long_labels: bool = False) -> Graph:
        """The compiled flow's graph: ``"dfir"`` (each location's program, or only
        ``location``'s) or ``"ir"``."""
        if kind == "ir":
            return self.built.graph("ir", long_labels=long_labels)
        if kind != "dfir":
            raise rule_error("graph", f"unknown graph kind {kind!r}",
                             'use "ir" or "dfir"')
        chosen = self.programs if location is None else {
            (loc := self._location(location)): self.programs[loc]}
        return graph_of_dfir(self.program.name, chosen, channels=self.lowered.channels,
                             program=self.program)

    def deploy(self, backend: str = "local", cluster_sizes: Any = None, **options: Any):
        """Run the compiled flow: a ``LocalDeployment`` or a ``RayDeployment`` (``options``
        go to it), as :meth:`FlowBuilder.deploy`."""
        if backend == "local":
            return LocalDeployment(self, cluster_sizes, **options)
        if backend == "ray":
            from hydro_lab.deploy.ray import RayDeployment  # Ray is imported only when used

            return RayDeployment(self, cluster_sizes, **options)
        raise HydroDeployError(f"unknown backend {backend!r}; use one of {list(BACKENDS)}")

    def __repr__(self) -> str:
        parts = [f"{loc.describe()}: {len(p.partitioned.subgraphs)} subgraphs, "
                 f"{p.partitioned.strata} strata" for loc, p in self.programs.items()]
        return "<CompiledFlow " + "; ".join(parts) + ">"
