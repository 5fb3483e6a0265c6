"""hydro_lab: Hydro's distributed dataflow programming model in Python and JupyterLab.

Build a flow with :class:`FlowBuilder`: locations (processes, clusters, externals), live
collections on them (Stream, KeyedStream, Singleton, Optional, KeyedSingleton) transformed by
operators that check Hydro's rules as they are called, and explicit network sends.
"""

from hydro_lab import dashboard as _dashboard  # noqa: F401  (registers the live views)
from hydro_lab import std  # noqa: F401  (Hydro's hydro_std: hydro_lab.std)
from hydro_lab.errors import HydroError, HydroRuntimeError, HydroTypeError, hydro_spelling
from hydro_lab.flow import BuiltFlow, FlowBuilder
from hydro_lab.ir.kinds import Bound, Order, Retries
from hydro_lab.ir.source_info import register_cell_resolver
from hydro_lab.lang import (
    Atomic,
    Cluster,
    External,
    ExternalPort,
    KeyedSingleton,
    KeyedStream,
    Optional,
    Process,
    Singleton,
    Stream,
    Tick,
    nondet,
    sliced,
    use,
)
from hydro_lab.member_id import MemberId, MembershipEvent, self_id
from hydro_lab.notebook import load_ipython_extension, unload_ipython_extension
from hydro_lab.notebook.cells import ipython_cell_label

register_cell_resolver(ipython_cell_label)

__version__ = "0.1.0"


def __getattr__(name: str):
    """``from hydro_lab import CLUSTER_SELF_ID`` (a Hydro name) says how hydro_lab spells it."""
    spelling = None if name.startswith("_") else hydro_spelling(None, name)
    if spelling is None:
        raise AttributeError(f"module 'hydro_lab' has no attribute {name!r}")
    # ImportError, so that the from-import shows this message instead of its own
    raise ImportError(f"hydro_lab has no {name!r}: hydro_lab spells Hydro's {name} as "
                      f"{spelling}", name="hydro_lab")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt JupyterLab extension (the graph renderer) lies in this package: Jupyter
    reads it for ``jupyter labextension develop`` and the wheel ships it in share/jupyter."""
    return [{"src": "labextension", "dest": "hydro-lab"}]


__all__ = [
    "Atomic", "Bound", "BuiltFlow", "Cluster", "External", "ExternalPort", "FlowBuilder",
    "HydroError", "HydroRuntimeError", "HydroTypeError", "KeyedSingleton", "KeyedStream",
    "MemberId", "MembershipEvent", "Optional", "Order", "Process", "Retries", "Singleton",
    "Stream", "Tick", "load_ipython_extension", "nondet", "self_id", "sliced",
    "unload_ipython_extension", "use",
]
