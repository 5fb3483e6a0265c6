"""Moving a stream to another location without changing it (Hydro's
``hydro_std::compartmentalize``): the building blocks of decoupling and partitioning a
program across more machines.

Hydro adds these as methods through traits (``stream.decouple_cluster(&other)``); here they are
functions taking the stream first: ``decouple_cluster(stream, other)``.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.errors import rule_error
from hydro_lab.ir.kinds import Kind, Order
from hydro_lab.lang import Cluster, Process, Stream, nondet
from hydro_lab.lang.context import current_op, operator
from hydro_lab.member_id import MemberId, self_id
from hydro_lab.std import checks


class _ToSameMember:
    """``x -> (MemberId(<other cluster>, <my index>), x)``; a class so it pickles by value."""

    def __init__(self, cluster: str):
        self.cluster = cluster

    def __call__(self, x: Any) -> tuple[MemberId, Any]:
        return (MemberId(self.cluster, self_id().get_raw_id()), x)

    def __repr__(self) -> str:
        return f"(member of {self.cluster} with my index, x)"


def _sender(stream: Any, role: str = "the stream") -> None:
    checks.collection(stream, Kind.STREAM, role)
    if not stream.location.id.is_top_level or checks.is_atomic(stream):
        raise rule_error(current_op(), f"{role} is inside {stream.location.id.describe()}; "
                         "network sends start at the top level",
                         "leave the tick with .all_ticks() (an atomic region with "
                         ".end_atomic()) first")


@operator()
def decouple_process(stream: Stream, other: Process) -> Stream:
    """Hydro's ``stream.decouple_process(&other)``: the stream of a process, sent to process
    ``other`` (``send``). Unbounded at ``other``, same order and retries."""
    _sender(stream)
    if not checks.is_process(stream):
        raise rule_error(current_op(), f"the stream lives at {stream.location.id.describe()}, "
                         "but decouple_process moves a process's stream",
                         "use decouple_cluster(stream, other_cluster) for a cluster's stream")
    checks.location(other, Process, "the destination",
                    "pass a process made by flow.process(name)")
    return stream.send(other)


@operator()
def decouple_cluster(stream: Stream, other: Cluster) -> Stream:
    """Hydro's ``stream.decouple_cluster(&other)``: member ``i`` of the stream's cluster sends
    its elements to member ``i`` of ``other`` (the two clusters must have the same size; a
    member without a peer stops the deployment with a ``HydroRuntimeError``). Each member of
    ``other`` receives from one sender, so the result keeps the stream's order and retries
    (Unbounded)."""
    _sender(stream)
    if not checks.is_cluster(stream):
        raise rule_error(current_op(), f"the stream lives at {stream.location.id.describe()}, "
                         "but decouple_cluster moves a cluster's stream",
                         "use decouple_process(stream, other_process) for a process's stream")
    checks.location(other, Cluster, "the destination",
                    "pass a cluster made by flow.cluster(name)")
    sent = stream.map(_ToSameMember(other.name)).demux(other).values()
    if stream.order is Order.TOTAL_ORDER:
        return sent.assume_ordering(nondet("this is safe because we are only receiving from one "
                                           "sender"))
    return sent


@operator()
def send_partitioned(stream: Stream, other: Cluster, dist_policy: Any) -> Stream:
    """Hydro's ``stream.send_partitioned(&other, dist_policy)``: ``stream`` holds
    ``(member_id, x)`` pairs at a cluster; ``dist_policy((member_id, x))`` returns the
    ``(member_id, x)`` to send (a MemberId of ``other``), and ``x`` goes to that member
    (``demux``). Unbounded, NoOrder at ``other`` (several senders)."""
    _sender(stream)
    if not checks.is_cluster(stream):
        raise rule_error(current_op(), f"the stream lives at {stream.location.id.describe()}, "
                         "but send_partitioned partitions a cluster's stream",
                         "send it from a cluster, or use .demux(other) from a process")
    checks.location(other, Cluster, "the destination",
                    "pass a cluster made by flow.cluster(name)")
    checks.function(dist_policy, "dist_policy", "send_partitioned(s, other, lambda p: p)")
    return stream.map(dist_policy).demux(other).values()
