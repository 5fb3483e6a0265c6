"""Fault injection for simulations, opt-in per channel or location.

``Faults(drop=["votes"], delay=[workers], duplicate=[...], reorder=[...], partition=[...],
crash=[participants], max_faults=2)``: each list names channels (by ``send(..., name=)`` or their
automatic name such as ``"a->b#1"``) or locations (a handle or a name: every channel into it, and
for ``crash``/``partition`` the location itself). ``max_faults`` bounds how many faults one
execution may contain, which keeps exhaustive exploration finite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydro_lab.errors import HydroDeployError

_KINDS = ("drop", "delay", "duplicate", "reorder", "partition", "crash")


def _names(items: Any) -> frozenset[str]:
    if items is None:
        return frozenset()
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        items = [items]
    return frozenset(getattr(i, "name", i) for i in items)


@dataclass(frozen=True)
class Faults:
    """The faults a simulation may inject (``flow.sim(faults=Faults(...))`` or the same as a
    dict): each kind lists channels (by name) or locations (every channel into them; for
    ``crash`` and ``partition`` the location itself). ``max_faults`` bounds the faults of one
    execution, which keeps exhaustive exploration finite."""

    drop: frozenset[str] = field(default_factory=frozenset)
    delay: frozenset[str] = field(default_factory=frozenset)
    duplicate: frozenset[str] = field(default_factory=frozenset)
    reorder: frozenset[str] = field(default_factory=frozenset)
    partition: frozenset[str] = field(default_factory=frozenset)
    crash: frozenset[str] = field(default_factory=frozenset)
    max_faults: int = 2

    @classmethod
    def of(cls, faults: Any) -> Faults:
        """``faults`` as a ``Faults``: None (no faults), a ``Faults``, or a dict of the same
        fields; an unknown kind is refused, naming the kinds there are."""
        if faults is None:
            return cls()
        if isinstance(faults, Faults):
            return faults
        if isinstance(faults, dict):
            unknown = set(faults) - set(_KINDS) - {"max_faults"}
            if unknown:
                raise HydroDeployError(f"unknown fault kinds {sorted(unknown)}; use "
                                       f"{', '.join(_KINDS)} and max_faults")
            kwargs = {k: _names(v) for k, v in faults.items() if k != "max_faults"}
            if "max_faults" in faults:
                kwargs["max_faults"] = int(faults["max_faults"])
            return cls(**kwargs)
        raise HydroDeployError(f"faults must be a Faults(...) or a dict, got {faults!r}")

    def __post_init__(self) -> None:
        for kind in _KINDS:
            object.__setattr__(self, kind, _names(getattr(self, kind)))
        object.__setattr__(self, "_any", any(getattr(self, k) for k in _KINDS))

    def for_channel(self, spec) -> list[str]:
        """The message faults enabled on a channel (named, or by its source/target)."""
        names = {spec.name, spec.src.name, spec.dst.name}
        return [k for k in ("drop", "delay", "duplicate") if names & getattr(self, k)]

    def reorders(self, spec) -> bool:
        return bool({spec.name, spec.dst.name} & self.reorder)

    @property
    def any(self) -> bool:
        return self._any
