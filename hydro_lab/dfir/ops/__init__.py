"""The DFIR operator set: importing this package registers every operator in ``OPS``."""

from hydro_lab.dfir.ops import elementwise, folds, joins, sinks, sources, time  # noqa: F401
from hydro_lab.dfir.ops.base import OPS, OpSpec, State, spec_of

__all__ = ["OPS", "OpSpec", "State", "spec_of"]
