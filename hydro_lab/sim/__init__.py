"""The deterministic simulator: every execution Hydro's rules allow, single threaded, on a virtual
clock, over the same compiled per-location programs the deployments run."""

from hydro_lab.sim.api import SimFailure, Simulator
from hydro_lab.sim.faults import Faults
from hydro_lab.sim.handles import SimClient, SimInput, SimInstance, SimOutput
from hydro_lab.sim.progress import SimProgress
from hydro_lab.sim.trace import Trace

__all__ = ["Faults", "SimClient", "SimFailure", "SimInput", "SimInstance", "SimOutput",
           "SimProgress", "Simulator", "Trace"]
