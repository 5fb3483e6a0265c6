"""Member ids of clusters, and the running member's own id.

A ``MemberId`` is a value that flows through programs (keys of what a cluster sends, targets of
``demux``), so it lives below every layer: the builder, the runtime and the simulator all use it.
Each id carries the name of its cluster, which is how sending with an id of cluster A to cluster B
is caught (Hydro's "misusing node identifiers across clusters").
"""

from __future__ import annotations

import contextvars
import enum
from dataclasses import dataclass

from hydro_lab.errors import HydroRuntimeError, no_attribute


class _MemberIdType(type):
    """``MemberId.from_raw`` (Hydro's constructor) names hydro_lab's: ``MemberId(cluster, i)``."""

    def __getattr__(cls, name: str):
        raise no_attribute(cls, name, what="MemberId")


@dataclass(frozen=True, order=True)
class MemberId(metaclass=_MemberIdType):
    """The id of one member of a cluster, bound to that cluster's name.

    What a cluster sends arrives keyed by the sender's id, and ``demux`` sends to the member an
    id names. Members are numbered ``0 .. size-1``, the size chosen at deploy or simulation
    time; ``get_raw_id()`` is that number. Ids are ordered, hashable and picklable.

    Examples
    --------
    >>> MemberId("workers", 3)
    MemberId<workers>(3)
    >>> MemberId("workers", 3).get_raw_id()
    3
    """

    cluster: str
    raw_id: int

    def __repr__(self) -> str:
        return f"MemberId<{self.cluster}>({self.raw_id})"

    def get_raw_id(self) -> int:
        """The member's index in its cluster (Hydro's ``get_raw_id``)."""
        return self.raw_id

    def __getattr__(self, name: str):
        raise no_attribute(self, name)


class MembershipEvent(enum.Enum):
    """What ``cluster.members()`` reports for each member."""

    JOINED = "joined"
    LEFT = "left"


_SELF_ID: contextvars.ContextVar[MemberId | None] = contextvars.ContextVar(
    "hydro_lab_self_id", default=None
)


def self_id() -> MemberId:
    """The running cluster member's own id, for use inside closures at run time.

    Hydro's ``CLUSTER_SELF_ID``. Only meaningful while a cluster member's program runs; the runtime
    sets it for each member before calling user code.
    """
    current = _SELF_ID.get()
    if current is None:
        raise HydroRuntimeError(
            "hydro_lab.self_id() was called outside a running cluster member. It is only defined "
            "inside closures that run on a Cluster; at build time use cluster.self_id(), which "
            "gives a Singleton of the member's id."
        )
    return current


def set_self_id(member: MemberId | None) -> contextvars.Token:
    """Set the running member's id (used by runtimes before they call user code)."""
    return _SELF_ID.set(member)


def reset_self_id(token: contextvars.Token) -> None:
    """Undo :func:`set_self_id`."""
    _SELF_ID.reset(token)
