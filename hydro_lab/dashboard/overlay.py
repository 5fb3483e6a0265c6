"""Where metrics land on a graph payload: the overlays (``protocol.Overlay``) of both views.

Metrics name a DFIR operator by its location and key (``"label #id"``) and a channel by its name;
the payload names nodes ``n{ir node}`` (IR view) and ``loc{location key}_op{op id}`` (DFIR view).
An IR node lowered to several operators counts what the busiest of them counted; a channel's
network node counts its messages (or what its send and receive halves counted, if more); IR
nodes that lower to no operator (casts, ``all_ticks``) count what passed through them. A live
graph and a replay build their overlays here, from running totals or from one step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from hydro_lab.observe.recording import (
    free_nodes,
    op_id_of,
    operator_origins,
    through_free_nodes,
)
from hydro_lab.viz import protocol


@dataclass(frozen=True)
class Op:
    """One DFIR operator as the payload knows it: its DFIR node id, the IR node it was lowered
    from (None: none) and whether it counts what it takes (an operator that emits nothing: a
    sink, a channel's send half, a fold's accumulating half) rather than what it emits."""

    dfir: str | None
    ir: int | None
    takes: bool


_UNKNOWN = Op(None, None, False)


class Overlays:
    """The payload ids of one compiled flow's operators and channels.

    ``program``: the IR program; ``programs``: ``{LocationId: CompiledProgram}`` (the DFIR the
    metrics come from); ``channel_specs``: the lowered flow's channels."""

    def __init__(self, program, programs: Mapping, channel_specs: list):
        self.origins = operator_origins(programs)
        self.loc_keys = {loc.name: loc.key for loc in programs}
        self.channel_nodes = {spec.name: spec.origin.node_id for spec in channel_specs}
        self._emits = {loc.name: {e.src for e in p.graph.edges} for loc, p in programs.items()}
        self.channel_ends: dict[str, list[str]] = {}  # channel -> its send and recv DFIR nodes
        by_port = {spec.port: spec.name for spec in channel_specs}
        for loc, p in programs.items():
            for op in p.graph.operators.values():
                port = op.args.get("port")
                if isinstance(port, tuple) and port in by_port:
                    self.channel_ends.setdefault(by_port[port], []).append(
                        f"loc{loc.key}_op{op.id}")
        self._free = free_nodes(program, self.origins, self.channel_nodes) \
            if program is not None else {}
        self._ops: dict[tuple[str, str], Op] = {}

    def op(self, location: str, key: str) -> Op:
        """The operator a metrics key of ``location`` names."""
        found = self._ops.get((location, key))
        if found is None:
            op_id = op_id_of(key)
            loc_key = self.loc_keys.get(location)
            if op_id is None or loc_key is None:
                found = _UNKNOWN
            else:
                found = Op(f"loc{loc_key}_op{op_id}", self.origins.get(location, {}).get(op_id),
                           op_id not in self._emits.get(location, ()))
            self._ops[(location, key)] = found
        return found

    def overlays(self, counts: Mapping[tuple[str, str], int],
                 channels: Mapping[str, int] | None = None,
                 rates: Mapping[str, float] | None = None,
                 lit: bool = False) -> dict[str, protocol.Overlay]:
        """Both views' overlays. ``counts``: elements by ``(location, operator key)`` (already
        what each operator should show: taken or emitted); ``channels``: messages by channel;
        ``rates``: messages per second by channel (drawn on the channel's network node and its
        send and receive halves); ``lit``: a replay's step (only the counted nodes light)."""
        ir: dict[int, int] = {}
        dfir: dict[str, int] = {}
        for (location, key), n in counts.items():
            op = self.op(location, key)
            if op.dfir is None or not n:
                continue
            n = int(n)
            dfir[op.dfir] = dfir.get(op.dfir, 0) + n
            if op.ir is not None and n > ir.get(op.ir, 0):
                ir[op.ir] = n
        for channel, n in (channels or {}).items():
            node = self.channel_nodes.get(channel)
            if node is not None and n and n > ir.get(node, 0):
                ir[node] = int(n)
        if self._free:
            through_free_nodes(ir, self._free)
        out: dict[str, protocol.Overlay] = {
            "ir": {"counts": {f"n{node}": n for node, n in ir.items()}},
            "dfir": {"counts": dfir}}
        if rates:
            ir_rates: dict[str, float] = {}
            dfir_rates: dict[str, float] = {}
            for channel, rate in rates.items():
                rate = round(rate, 1) if math.isfinite(rate) else 0.0
                node = self.channel_nodes.get(channel)
                if node is not None:
                    ir_rates[f"n{node}"] = rate
                for end in self.channel_ends.get(channel, ()):
                    dfir_rates[end] = rate
            out["ir"]["rates"] = ir_rates
            out["dfir"]["rates"] = dfir_rates
        if lit:
            out["ir"]["lit"] = out["dfir"]["lit"] = True
        return out
