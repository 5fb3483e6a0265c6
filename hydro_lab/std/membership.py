"""Who is in a cluster now (Hydro's ``hydro_std::membership``)."""

from __future__ import annotations

from typing import Any

from hydro_lab.ir.kinds import Kind
from hydro_lab.lang import KeyedSingleton, KeyedStream
from hydro_lab.lang.context import operator
from hydro_lab.member_id import MembershipEvent
from hydro_lab.std import checks


def _absent() -> bool:
    return False


def _apply(present: bool, event: Any) -> bool:
    if event == MembershipEvent.JOINED:
        return True
    if event == MembershipEvent.LEFT:
        return False
    raise TypeError(f"track_membership: expected a MembershipEvent, got {event!r:.60}")


@operator()
def track_membership(membership: KeyedStream) -> KeyedSingleton:
    """Hydro's ``track_membership(membership)``: from a KeyedStream ``member -> MembershipEvent``
    (``cluster.members()``, ``loc.source_cluster_members(cluster)``), a KeyedSingleton
    ``member -> bool``: True while the member's last event is ``JOINED``. Read it in a tick:
    ``.snapshot(tick, nondet(...)).filter(lambda b: b).key_count()`` is the cluster's size.

    (Hydro's newest version drops absent members with ``filter_map``, which hydro_lab's
    KeyedSingleton does not have at the top level; the ``bool`` form is Hydro's earlier one, the
    one its ``aggregate_bench_results`` reads.)
    """
    checks.collection(membership, Kind.KEYED_STREAM, "the membership")
    checks.top_level(membership, "the membership", "membership grows as members join and leave")
    return membership.fold(_absent, _apply)
