"""Hydro IR → one DFIR graph per root location (Hydro's "emit" step). The only package that
knows both the IR and DFIR."""

from hydro_lab.lower.context import ChannelSpec, LoweredFlow
from hydro_lab.lower.emit import lower_program

__all__ = ["ChannelSpec", "LoweredFlow", "lower_program"]
