"""A recorded run as plain data, for replaying it tick by tick.

One ``TickActivity`` per tick of each location instance: when it ran, which DFIR operators
produced elements and how many, which channels carried messages, and the watched values seen in
it. A ``Recording`` is built from a deployment (its per-tick metrics and its watches) or from a
simulated execution (``sim.run(body, record=True)``), and knows how its operators and channels
map back to the IR nodes they were lowered from, so a replay can light them up on the flow's
graph: ``recording.replay()`` (the dashboard's ``"replay"`` view).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from hydro_lab.errors import HydroError
from hydro_lab.lang.watch import EMPTY
from hydro_lab.observe.metrics import (
    ELEMENTS_IN,
    ELEMENTS_OUT,
    MESSAGES_OUT,
    TICK_DURATION,
    typed_frame,
)
from hydro_lab.views import get_view

WATCHED = "watched"  # a recording's frame: a value a watch saw (key: the watch's name)


@dataclass(frozen=True)
class TickActivity:
    """What one instance did in one tick.

    ``ops`` maps a DFIR operator key (``"label #id"``, as in ``d.metrics()``) to how many
    elements it produced (for a sink, took in: its key is in ``sinks``); only operators that saw
    elements appear. ``channels`` maps a channel name to the messages sent on it; ``values``
    maps a watch name to the values it saw in this tick.
    """

    step: int
    instance: str
    location: str
    member: int | None
    tick: int
    time: float
    ops: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)
    values: dict[str, list] = field(default_factory=dict)
    sinks: frozenset[str] = frozenset()

    def describe(self) -> str:
        """One line: ``step 3: tick 1 at workers[0] (time 0.25)``."""
        return f"step {self.step}: tick {self.tick} at {self.instance} (time {self.time:g})"


@dataclass(frozen=True)
class WatchInfo:
    """A watch of the recorded flow: the IR node it watches and what its rows hold."""

    name: str
    node_id: int
    collection: str
    shape: str  # "value" or "stream" (see hydro_lab.lang.watch.Watch)


@dataclass
class Recording:
    """A run, tick by tick. ``ticks[i]`` is step ``i`` of the replay.

    ``origins[location][op_id]`` is the IR node a DFIR operator was lowered from,
    ``channel_nodes[name]`` the IR network node of a channel; ``program`` is the IR program
    (what the replay draws), ``programs`` the compiled DFIR programs the ticks ran
    (``{LocationId: CompiledProgram}``) and ``channel_specs`` the lowered flow's channels, when
    known (the replay's DFIR view).
    """

    title: str
    ticks: list[TickActivity]
    origins: dict[str, dict[int, int]] = field(default_factory=dict)
    channel_nodes: dict[str, int] = field(default_factory=dict)
    watches: dict[str, WatchInfo] = field(default_factory=dict)
    program: Any = None
    source: str = ""
    programs: dict | None = None
    channel_specs: list = field(default_factory=list)
    _free: dict | None = field(default=None, init=False, repr=False, compare=False)

    # -- building ---------------------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows, *, title: str = "run", instances: list[str] | None = None,
                  watched: dict[tuple[str, int | None, int], dict[str, list]] | None = None,
                  **context: Any) -> Recording:
        """From metrics rows ``(location, member, tick, time, metric, key, value)`` (one
        deployment's ``recorder.rows()``), in time order and, within a round, instance order.
        ``watched[(location, member, tick)]`` gives the watched values of a tick."""
        order = {name: i for i, name in enumerate(instances or [])}
        per_tick: dict[tuple[str, int | None, int], dict] = {}
        for loc, member, tick, t, metric, key, value in rows:
            if tick is None or tick < 0:  # events (a member killed or restarted), not ticks
                continue
            entry = per_tick.get((loc, member, tick))
            if entry is None:
                entry = per_tick[(loc, member, tick)] = {
                    "time": t, "out": {}, "in": {}, "channels": {}}
            if metric == TICK_DURATION:
                entry["time"] = t
            elif metric == ELEMENTS_OUT and value:
                entry["out"][key] = entry["out"].get(key, 0) + int(value)
            elif metric == ELEMENTS_IN and value:
                entry["in"][key] = entry["in"].get(key, 0) + int(value)
            elif metric == MESSAGES_OUT and value:
                entry["channels"][key] = entry["channels"].get(key, 0) + int(value)

        def name_of(loc: str, member: int | None) -> str:
            return loc if member is None else f"{loc}[{member}]"

        keys = sorted(per_tick, key=lambda k: (per_tick[k]["time"],
                                               order.get(name_of(k[0], k[1]), len(order)),
                                               k[2]))
        ticks = []
        for step, (loc, member, tick) in enumerate(keys):
            entry = per_tick[(loc, member, tick)]
            ops = dict(entry["out"])
            for key, n in entry["in"].items():  # sinks produce nothing: count what they took
                ops.setdefault(key, n)
            sinks = frozenset(key for key in entry["in"] if key not in entry["out"])
            ticks.append(TickActivity(
                step, name_of(loc, member), loc, member, tick, entry["time"], ops,
                entry["channels"], dict((watched or {}).get((loc, member, tick), {})), sinks))
        return cls(title, ticks, **context)

    @classmethod
    def from_deployment(cls, d) -> Recording:
        """The ticks a deployment recorded so far (its metrics keep the last ``max_records``
        rows per instance; on Ray they reach the driver a moment after the tick) and what its
        watches saw (each keeps its last ``last`` rows)."""
        compiled = d.compiled
        watches = list(compiled.lowered.watches.values())
        infos = watch_infos(watches)
        watched: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for w, info in zip(watches, infos, strict=True):
            for r in w.history:
                watched[(r.location, r.member, r.tick)][info.name].append(r.value)
        return cls.from_rows(
            d.recorder.rows(), title=f"{compiled.program.name} ({d.backend} deployment)",
            instances=[inst.name for inst in d.instances],
            watched={k: dict(v) for k, v in watched.items()},
            origins=operator_origins(compiled.programs),
            channel_nodes={spec.name: spec.origin.node_id for spec in compiled.lowered.channels},
            watches={i.name: i for i in infos}, program=compiled.program,
            source=f"{d.backend} deployment", programs=compiled.programs,
            channel_specs=list(compiled.lowered.channels))

    @classmethod
    def from_trace(cls, trace) -> Recording:
        """A simulated execution, from the trace of ``sim.run(body, record=True)``."""
        context = getattr(trace, "context", None) or {}
        if "origins" not in context:
            raise HydroError(
                "Recording.from_trace: this trace has no recorded activity. Run the execution "
                "with sim.run(body, record=True) (a SimFailure's trace does not record it: "
                "replay its schedule with sim.run(body, schedule=failure.schedule, "
                "record=True)).")
        ticks: list[TickActivity] = []
        index: dict[tuple[str, int], int] = {}
        pending_values: dict[tuple[str, int], dict[str, list]] = defaultdict(dict)
        for e in trace.events:
            if e["kind"] == "watch":
                values = pending_values[(e["instance"], e["tick"])]
                values.setdefault(e["watch"], []).extend(e["values"])
            elif e["kind"] == "activity":
                one = Recording.from_rows(e["rows"])
                for t in one.ticks:
                    index[(e["instance"], t.tick)] = len(ticks)
                    ticks.append(replace(
                        t, step=len(ticks), instance=e["instance"], time=e["time"],
                        values=pending_values.pop((e["instance"], t.tick), {})))
        for key, values in pending_values.items():  # activity events come after the watches
            if key in index:
                i = index[key]
                ticks[i] = replace(ticks[i], values={**ticks[i].values, **values})
        return cls(context.get("title", "simulation"), ticks, context["origins"],
                   context["channels"], {w.name: w for w in context["watches"]},
                   context.get("program"), "simulation", context.get("programs"),
                   list(context.get("channel_specs", [])))

    # -- reading ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ticks)

    def __getitem__(self, step: int) -> TickActivity:
        return self.ticks[step]

    def active_nodes(self, step: int) -> dict[int, int]:
        """The IR nodes active at ``step``: ``{node id: elements}`` (the most any of its DFIR
        operators produced), channels' network nodes included."""
        t = self.ticks[step]
        origins = self.origins.get(t.location, {})
        out: dict[int, int] = {}
        for key, n in t.ops.items():
            node = origins.get(op_id_of(key))
            if node is not None:
                out[node] = max(out.get(node, 0), n)
        for channel, n in t.channels.items():
            node = self.channel_nodes.get(channel)
            if node is not None:
                out[node] = max(out.get(node, 0), n)
        self._through_free_nodes(out)
        return out

    def _through_free_nodes(self, active: dict[int, int]) -> None:
        if self.program is None:
            return
        if self._free is None:
            self._free = free_nodes(self.program, self.origins, self.channel_nodes)
        through_free_nodes(active, self._free)

    def values_at(self, step: int) -> dict[str, list]:
        """What each watch saw at ``step`` (only the watches that saw something)."""
        return self.ticks[step].values

    def value_before(self, name: str, step: int) -> tuple[int, Any] | None:
        """The last value watch ``name`` saw at or before ``step``: ``(step, value)``."""
        for i in range(min(step, len(self.ticks) - 1), -1, -1):
            values = self.ticks[i].values.get(name)
            if values:
                return i, values[-1]
        return None

    def steps(self, instance: str | None = None, tick: int | None = None) -> list[int]:
        """The steps of one instance (and tick)."""
        return [t.step for t in self.ticks
                if (instance is None or t.instance == instance)
                and (tick is None or t.tick == tick)]

    def frame(self):
        """One row per step: ``step, instance, location, member, tick, time, ops, channels,
        values`` (``ops``/``channels``/``values`` as dicts), a ``pandas.DataFrame``."""
        import pandas as pd

        return pd.DataFrame([{"step": t.step, "instance": t.instance, "location": t.location,
                              "member": t.member, "tick": t.tick, "time": t.time, "ops": t.ops,
                              "channels": t.channels, "values": t.values} for t in self.ticks])

    def to_pandas(self):
        """The recording in long form, as ``d.metrics()``: a pandas DataFrame with one row per
        step and count, ``step, instance, location, member, tick, time, metric, key, value``.
        An operator's elements are ``elements_out`` (a sink's, ``elements_in``) keyed by
        ``"label #id"``, a channel's messages ``messages_out`` keyed by its name: for a
        deployment the same rows ``d.metrics()`` holds for those counts (its zeros left out).
        Each value a watch saw is a row of metric ``watched`` (``WATCHED``) keyed by the
        watch's name, its value as the watch saw it (None for an empty Optional, a
        KeyedSingleton's dict: ``value`` is then an object column). ``member`` is Int64 (<NA>
        for a process), ``time`` float64."""
        rows = []
        for t in self.ticks:
            where = (t.step, t.instance, t.location, t.member, t.tick, t.time)
            for key, n in t.ops.items():
                rows.append((*where, ELEMENTS_IN if key in t.sinks else ELEMENTS_OUT, key, n))
            for channel, n in t.channels.items():
                rows.append((*where, MESSAGES_OUT, channel, n))
            for name, values in t.values.items():
                rows.extend((*where, WATCHED, name, None if v is EMPTY else v)
                            for v in values)
        return typed_frame(rows, ["step", "instance", "location", "member", "tick", "time",
                                  "metric", "key", "value"])

    def replay(self, **options: Any) -> Any:
        """A slider over the steps showing the graph with each step's active operators and
        channels lit, and the watched values (needs ``hydro_lab.dashboard``)."""
        return get_view("replay")(self, **options)

    def _ipython_display_(self) -> None:
        self.replay()._ipython_display_()

    def __repr__(self) -> str:
        instances = sorted({t.instance for t in self.ticks})
        return (f"<Recording {self.title!r}: {len(self.ticks)} ticks of {len(instances)} "
                f"instance{'s' if len(instances) != 1 else ''}, {len(self.watches)} "
                f"watch{'es' if len(self.watches) != 1 else ''}>")


def op_id_of(key: str) -> int | None:
    """The DFIR operator id in a metrics key ``"label #id"``."""
    _, _, tail = key.rpartition("#")
    return int(tail) if tail.isdigit() else None


def operator_origins(programs: dict) -> dict[str, dict[int, int]]:
    """``{location name: {DFIR op id: IR node id}}`` of compiled programs
    (``{LocationId: CompiledProgram}``), from each operator's lowering origin."""
    out: dict[str, dict[int, int]] = {}
    for loc, program in programs.items():
        ops = out.setdefault(loc.name, {})
        for op in program.graph.operators.values():
            node = getattr(op.origin, "node_id", None)
            if node is not None:
                ops[op.id] = node
    return out


def watch_infos(watches) -> list[WatchInfo]:
    """One ``WatchInfo`` per watch, names made unique (``"name (2)"`` for a repeated one)."""
    seen: dict[str, int] = {}
    out = []
    for w in watches:
        n = seen[w.name] = seen.get(w.name, 0) + 1
        name = w.name if n == 1 else f"{w.name} ({n})"
        out.append(WatchInfo(name, w.node_id, w.collection, w.shape))
    return out


def free_nodes(program, origins: dict[str, dict[int, int]],
               channel_nodes: dict[str, int]) -> dict[int, tuple[list[int], list[int]]]:
    """The IR nodes of ``program`` that lower to no operator of their own (casts, all_ticks, a
    deployment's batch, a nondet assumption): ``{node id: (its inputs, its readers)}``."""
    lowered = {n for ops in origins.values() for n in ops.values()}
    lowered |= set(channel_nodes.values())
    readers: dict[int, list[int]] = defaultdict(list)
    for node in program.nodes.values():
        for src in node.inputs():
            readers[src].append(node.id)
    return {nid: (list(node.inputs()), readers[nid])
            for nid, node in program.nodes.items() if nid not in lowered}


def through_free_nodes(active: dict[int, int], free: dict[int, tuple[list[int], list[int]]]
                       ) -> None:
    """Count the free nodes (``free_nodes``) in ``active`` (``{IR node: elements}``): one
    carried data when what feeds it and what reads it both did, as many as its inputs gave."""
    changed = True
    while changed:
        changed = False
        for nid, (inputs, readers_of) in free.items():
            if nid in active:
                continue
            fed = [active[i] for i in inputs if i in active]
            if fed and any(r in active for r in readers_of):
                active[nid] = max(fed)
                changed = True
