"""The topology of one run of a compiled flow: its instances (each process, each member of each
cluster), channels, members and external ports, built once from the compiled flow and the cluster
sizes. Local and Ray deployments, the simulator and the notebook all read it instead of counting
for themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydro_lab.core.routing import InstanceId
from hydro_lab.errors import HydroDeployError
from hydro_lab.ir.locations import ClusterId
from hydro_lab.lower.ports import ChannelPort, ClientPort, MembersPort, Port


def normalize_sizes(clusters: list[ClusterId], cluster_sizes: Any) -> dict[str, int]:
    """``{cluster_handle_or_name: n}`` → ``{name: n}``, checking every cluster has a size."""
    given: dict[str, int] = {}
    for key, n in dict(cluster_sizes or {}).items():
        name = getattr(key, "name", key)
        if not isinstance(name, str):
            raise HydroDeployError(f"cluster_sizes keys must be clusters or their names, got "
                                   f"{key!r}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise HydroDeployError(f"cluster_sizes[{name!r}] must be a positive int, got {n!r}")
        given[name] = n
    names = [c.name for c in clusters]
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise HydroDeployError(f"cluster_sizes names {unknown}, which this flow does not have "
                               f"(its clusters: {names or 'none'})")
    missing = [n for n in names if n not in given]
    if missing:
        example = ", ".join(f"{n}: 2" for n in missing)
        raise HydroDeployError(f"cluster {missing[0]!r} has no size: say how many members it "
                               f"runs, e.g. cluster_sizes={{{example}}}")
    return given


@dataclass
class Topology:
    """Who runs and how they are wired: ``instances`` in creation order (a process, then each
    member of a cluster), ``cluster_sizes`` by name, ``channels`` by their DFIR port, ``members``
    (cluster name -> member indices), external ``ports`` by key, ``programs``, the compiled
    DFIR program of each location, and the live ``sources`` its instances read."""

    locations: list[Any]
    cluster_sizes: dict[str, int]
    instances: list[InstanceId]
    channels: dict[Any, Any]
    members: dict[str, list[int]]
    ports: dict[int, Any]
    programs: dict[Any, Any] = field(default_factory=dict)
    sinks: dict[Any, Any] = field(default_factory=dict)
    flow_name: str = "flow"
    flow_id: int = 0  # the FlowBuilder's: tells this flow's port handles from another flow's
    # derived once from the fields above (Topology.of): what drivers look up on every send
    port_instances: dict[int, InstanceId] = field(default_factory=dict)  # the port's instance
    client_ports: dict[tuple[int, str], ClientPort] = field(default_factory=dict)
    channel_ports: dict[str, ChannelPort] = field(default_factory=dict)  # by channel name
    sources: dict[Any, Any] = field(default_factory=dict)  # SourcePort -> StreamSource
    _wiring: dict[int, tuple] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, compiled: Any, cluster_sizes: Any = None) -> Topology:
        """The topology of ``compiled`` (a ``CompiledFlow``) with these cluster sizes
        (``{cluster or name: n}``; every cluster needs one)."""
        lowered = compiled.lowered
        clusters = [loc for loc in lowered.locations if isinstance(loc, ClusterId)]
        sizes = normalize_sizes(clusters, cluster_sizes)
        ports = {p.key: p for p in lowered.ports}
        return cls(list(lowered.locations), sizes, instances_of(lowered.locations, sizes),
                   {spec.port: spec for spec in lowered.channels},
                   {name: list(range(n)) for name, n in sizes.items()},
                   ports, dict(compiled.programs), dict(lowered.sinks), compiled.program.name,
                   compiled.program.flow_id,
                   {key: InstanceId(info.location) for key, info in ports.items()},
                   {(key, mode): ClientPort.of(key, mode) for key in ports
                    for mode in ("single", "many", "events")},
                   {spec.name: spec.port for spec in lowered.channels},
                   sources=dict(lowered.sources))

    def wiring(self, location: Any) -> tuple[dict[str, MembersPort], dict[Any, Port]]:
        """What an instance of ``location`` needs from its program, computed once per location
        (the simulator makes instances by the ten thousand): the clusters whose membership it
        reads (cluster name -> ``MembersPort``) and the typed port of each of its outputs, by
        the key its generated code uses (a plain tuple, equal to the typed port)."""
        wired = self._wiring.get(location.key)  # by the location's number: a cheap hash
        if wired is None:
            graph = self.programs[location].graph
            members = {op.args["port"].cluster: op.args["port"]
                       for op in graph.operators.values()
                       if op.op == "source_stream" and isinstance(op.args["port"], MembersPort)}
            outputs = {op.args["port"]: op.args["port"] for op in graph.operators.values()
                       if op.op == "dest_port"}
            wired = self._wiring[location.key] = (members, outputs)
        return wired

    def sources_of(self, location: Any) -> dict[Any, Any]:
        """The live sources (``source_stream``) an instance of ``location`` reads: its
        ``SourcePort`` -> ``StreamSource`` (the driver runs a reader per instance for each)."""
        return {port: src for port, src in self.sources.items() if src.location == location}

    def port(self, port: Any, *, redeploy_hint: str = "deploy the flow again",
             runner: str = "deployment", as_of: str = "it was deployed") -> Any:
        """The ``PortInfo`` of ``port`` (a port handle, or its key), refusing a port of another
        flow, or of this flow as it was edited after it was compiled (``runner`` and ``as_of``
        word the message: ``"simulation"``, ``"flow.sim() was called"``)."""
        try:
            key, graph = port.key, port._ctx.graph
        except AttributeError:  # a port's number (or something else: refused below)
            key, graph = port, None
        info = self.ports.get(key) if isinstance(key, int) else None
        if graph is not None:
            if graph.flow_id != self.flow_id:
                raise HydroDeployError(
                    f"connect(): {port!r} is a port of another flow ({graph.name!r}, built by "
                    f"another FlowBuilder) than the one this {runner} runs "
                    f"({self.flow_name!r}): connect the ports returned while building the flow "
                    f"this {runner} runs")
            theirs = graph.ports.get(key)
            if info is not None and theirs is not info and \
                    (theirs is None or not _same_port(theirs, info)):
                info = None
        if info is None:
            raise HydroDeployError(
                f"connect(): {port!r} is not a port of the flow this {runner} runs: the "
                f"{runner} runs the flow as {as_of}; {redeploy_hint} to use your edits")
        return info

    def find(self, name: str) -> InstanceId:
        """The instance called ``name`` (``"leader"``, ``"workers[1]"``)."""
        for inst in self.instances:
            if inst.name == name:
                return inst
        raise HydroDeployError(f"no instance {name!r}; this flow runs "
                               f"{[i.name for i in self.instances]}")


def _same_port(a: Any, b: Any) -> bool:
    """The same port of the same flow (a rebuilt flow's port may reuse another's number)."""
    return (a.key, a.direction, a.external, a.location, a.many_clients) == \
        (b.key, b.direction, b.external, b.location, b.many_clients)


def instances_of(locations: list[Any], sizes: dict[str, int]) -> list[InstanceId]:
    """Every instance of these locations: a process is one, a cluster ``sizes[name]``
    (``sizes.get(name, 1)`` where a size is missing, for counting before sizes are checked)."""
    out: list[InstanceId] = []
    for loc in locations:
        if isinstance(loc, ClusterId):
            out += [InstanceId(loc, m) for m in range(sizes.get(loc.name, 1))]
        else:
            out.append(InstanceId(loc))
    return out
