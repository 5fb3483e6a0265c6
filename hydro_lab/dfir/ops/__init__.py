"""The DFIR operator set: importing this package registers every operator in ``OPS``."""

from hydro_lab.dfir.ops import (  # noqa: F401
    elementwise,
    folds,
    joins,
    nondet,
    sinks,
    sources,
    time,
)
from hydro_lab.dfir.ops.base import OPS, OpSpec, State, spec_of

__all__ = ["OPS", "OpSpec", "State", "spec_of"]
