"""The staging front end: what user code calls. Builds IR; never executes anything."""

from hydro_lab.lang.collection import LiveCollection
from hydro_lab.lang.cycles import ForwardHandle
from hydro_lab.lang.keyed_singleton import KeyedSingleton
from hydro_lab.lang.keyed_stream import KeyedStream
from hydro_lab.lang.locations import (
    Atomic,
    BidiExternal,
    Cluster,
    External,
    ExternalPort,
    Location,
    Process,
    Tick,
)
from hydro_lab.lang.nondet import NonDet, nondet
from hydro_lab.lang.singleton import Optional, Singleton
from hydro_lab.lang.sliced import sliced, use
from hydro_lab.lang.stream import Stream

__all__ = [
    "Atomic", "BidiExternal", "Cluster", "External", "ExternalPort", "ForwardHandle",
    "KeyedSingleton", "KeyedStream", "LiveCollection", "Location", "NonDet", "Optional",
    "Process", "Singleton", "Stream", "Tick", "nondet", "sliced", "use",
]
