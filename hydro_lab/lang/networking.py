"""Sending live collections between locations, and to external clients.

What the receiver gets (DESIGN §3): process → process keeps the sender's order; from a cluster the
receiver gets a KeyedStream keyed by the sender's MemberId (FIFO per sender; ``.values()`` merges
them as NoOrder). ``broadcast`` and ``round_robin`` need ``nondet`` (membership), ``demux`` takes
input keyed by MemberIds of the target cluster. Each edge owns one codec used by both its ends.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.codecs import codec_name, resolve_codec
from hydro_lab.errors import rule_error
from hydro_lab.ir import kinds as K
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Bound, Kind
from hydro_lab.ir.locations import AtomicId, ClusterId, TickId
from hydro_lab.ir.program import PortInfo
from hydro_lab.lang.collection import LiveCollection
from hydro_lab.lang.context import current_op, current_site
from hydro_lab.lang.locations import (
    Cluster,
    External,
    ExternalPort,
    Location,
    Process,
    _sim_external,
)


def sim_external(c: LiveCollection) -> External:
    """The implicit ``sim`` client of the collection's flow."""
    return _sim_external(c.location)

_TO_CLUSTER = ("a send to a cluster must say which members get what: .broadcast(cluster, "
               "nondet(\"why\")) for all of them, .demux(cluster) on (member_id, x) pairs, or "
               ".round_robin(cluster, nondet(\"why\"))")


def _check_sender(c: LiveCollection) -> None:
    op = current_op()
    if isinstance(c._loc, TickId):
        raise rule_error(op, f"this {c.KIND.value} is inside {c._loc.describe()}; network sends "
                         "start at the top level", "leave the tick first: .all_ticks()")
    if isinstance(c._loc, AtomicId):
        raise rule_error(op, f"this {c.KIND.value} is in an atomic region",
                         "leave it first with .end_atomic()")


def _check_destination(c: LiveCollection, to: Any, allowed: tuple[type, ...]) -> None:
    op = current_op()
    if isinstance(to, External) and External not in allowed:
        raise rule_error(op, f"{to!r} is an External client", "send to it with "
                         f".send_external({to.name}) and read it with d.connect(port)")
    if not isinstance(to, allowed):
        names = " or ".join(t.__name__ for t in allowed)
        raise rule_error(op, f"the destination must be a {names}, got {type(to).__name__} "
                         f"{to!r:.40}", "pass a location made by flow.process(...) or "
                         "flow.cluster(...)")
    if to._ctx is not c._ctx:
        raise rule_error(op, "the destination belongs to a different FlowBuilder",
                         "send within one flow")


def _channel(c: LiveCollection, to: Location, name: Any) -> str:
    op = current_op()
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise rule_error(op, f"name= must be a non-empty string, got {name!r}",
                         f'{op}(..., name="requests")')
    c._ctx.channel_count += 1
    return name.strip() if name else f"{c._loc.root.name}->{to.name}#{c._ctx.channel_count}"


def _received(c: LiveCollection, to: Location, order_kind: K.CollectionKind) -> K.CollectionKind:
    """What arrives: a Stream from a process, a KeyedStream keyed by sender from a cluster."""
    if isinstance(c._loc, ClusterId):
        return K.keyed_stream(Bound.UNBOUNDED, order_kind.order, order_kind.retries,
                              key_cluster=c._loc.name)
    return K.stream(Bound.UNBOUNDED, order_kind.order, order_kind.retries,
                    elem_cluster=order_kind.elem_cluster)


def _network(c: LiveCollection, to: Location, codec: Any, name: Any, mode: str,
             nondet_info: N.NonDetInfo | None = None,
             order_kind: K.CollectionKind | None = None) -> LiveCollection:
    codec = resolve_codec(codec, op=current_op())
    channel = _channel(c, to, name)
    kind = _received(c, to, order_kind or c.kind_info)
    return c._new(N.Network, kind, location=to._id, input=c.node_id, codec=codec,
                  channel=channel, mode=mode, nondet_info=nondet_info,
                  detail=f"{channel} [{codec_name(codec)}]")


def send(c: LiveCollection, to: Any, codec: Any, name: Any) -> LiveCollection:
    _check_sender(c)
    _check_destination(c, to, (Process, Cluster))
    if isinstance(to, Cluster):
        raise rule_error(current_op(), f"{to!r} is a cluster", _TO_CLUSTER)
    return _network(c, to, codec, name, "send")


def broadcast(c: LiveCollection, cluster: Any, nondet: Any, codec: Any, name: Any
              ) -> LiveCollection:
    _check_sender(c)
    _check_destination(c, cluster, (Cluster,))
    info = c._check_nondet(nondet)
    return _network(c, cluster, codec, name, "broadcast", info)


def demux(ks: LiveCollection, cluster: Any, codec: Any, name: Any) -> LiveCollection:
    op = current_op()
    if ks.KIND is not Kind.KEYED_STREAM:
        raise rule_error(op, f"demux takes a KeyedStream keyed by MemberId, got a {ks.KIND.value}",
                         "key each element by its target member: .map(lambda x: (member_id, x))"
                         ".into_keyed()")
    _check_sender(ks)
    _check_destination(ks, cluster, (Cluster,))
    key_cluster = ks.kind_info.key_cluster
    if key_cluster is not None and key_cluster != cluster.name:
        raise rule_error(
            op, f"the keys are MemberIds of cluster {key_cluster!r}, but the target is cluster "
            f"{cluster.name!r}",
            f"demux to {key_cluster!r}, or map the keys to MemberIds of {cluster.name!r}",
            why="a member id only names a member of its own cluster (Hydro's misuse of node "
            "identifiers across clusters)",
        )
    per_member = K.stream(Bound.UNBOUNDED, ks.order, ks.retries)
    return _network(ks, cluster, codec, name, "demux", order_kind=per_member)


def round_robin(c: LiveCollection, cluster: Any, nondet: Any, codec: Any, name: Any
                ) -> LiveCollection:
    _check_sender(c)
    _check_destination(c, cluster, (Cluster,))
    c._check_total_order("element i goes to member i mod n, so the order decides who gets what")
    c._check_exactly_once("a duplicate would shift every later element to another member")
    info = c._check_nondet(nondet)
    return _network(c, cluster, codec, name, "round_robin", info)


def send_external(c: LiveCollection, external: Any, codec: Any, *,
                  cluster_ok: bool = False) -> ExternalPort:
    """An output port sending ``c`` to ``external``. Only ``sim_output`` (``cluster_ok``) opens
    one on a cluster: each member's output is kept apart, read per member in a test."""
    op = current_op()
    _check_sender(c)
    if not isinstance(external, External) or external._ctx is not c._ctx:
        raise rule_error(op, f"expects an External of this flow, got {type(external).__name__}",
                         'create one with flow.external("client")')
    if isinstance(c._loc, ClusterId) and not cluster_ok:
        raise rule_error(op, "external ports attach to a process, but this stream is on a "
                         "cluster", "send it to a process first: .send(process).values()")
    codec = resolve_codec(codec, op=op)
    key = c._ctx.graph.new_key()
    node = c._root(N.SendExternal, input=c.node_id, port=key, external=external._id,
                   codec=codec, detail=f"port {key}")
    return ExternalPort(c._ctx, PortInfo(key=key, external=external._id, location=c._loc,
                                         direction="out", codec=codec, output_node=node.id,
                                         created_at=current_site()))
