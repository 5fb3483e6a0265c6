"""Locations as plain data: where a collection lives.

A root location is a ``Process``, a ``Cluster`` or an ``External``; each root location becomes one
program. ``Tick`` is a logical clock at a process or cluster (ticks do not nest) and ``Atomic`` is
an atomic region tied to one tick. Ids come from a counter in creation order so printouts are
stable.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocationId:
    """Base of the location ids. ``key`` is unique within a flow."""

    key: int

    @property
    def root(self) -> LocationId:
        return self

    @property
    def is_top_level(self) -> bool:
        """Not inside a tick (Hydro's ``NoTick``)."""
        return True

    @property
    def tick(self) -> TickId | None:
        """The tick this location is or belongs to (atomic regions belong to their tick)."""
        return None

    def describe(self) -> str:
        return f"location {self.key}"


@dataclass(frozen=True)
class ProcessId(LocationId):
    name: str

    def describe(self) -> str:
        return f"process {self.name}"


@dataclass(frozen=True)
class ClusterId(LocationId):
    name: str

    def describe(self) -> str:
        return f"cluster {self.name}"


@dataclass(frozen=True)
class ExternalId(LocationId):
    name: str

    def describe(self) -> str:
        return f"external {self.name}"


@dataclass(frozen=True)
class TickId(LocationId):
    outer: ProcessId | ClusterId

    @property
    def root(self) -> LocationId:
        return self.outer

    @property
    def is_top_level(self) -> bool:
        return False

    @property
    def tick(self) -> TickId:
        return self

    @property
    def name(self) -> str:
        return f"t{self.key}"

    def describe(self) -> str:
        return f"tick {self.name} of {self.outer.describe()}"


@dataclass(frozen=True)
class AtomicId(LocationId):
    """An atomic region: top-level (not in a tick) but tied to ``tick_id``."""

    tick_id: TickId

    @property
    def root(self) -> LocationId:
        return self.tick_id.outer

    @property
    def tick(self) -> TickId:
        return self.tick_id

    @property
    def name(self) -> str:
        return f"atomic({self.tick_id.name})"

    def describe(self) -> str:
        return f"atomic region of tick {self.tick_id.name} at {self.root.describe()}"
