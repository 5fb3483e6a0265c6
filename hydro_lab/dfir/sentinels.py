"""Marker objects that generated code compares by identity (``x is MISSING``). They pickle by
reference, as the module attribute they are: a compiled program shipped to another process (a
Ray actor) then compares against that process's own marker, not a copy of ours.
"""

from __future__ import annotations

import importlib
from typing import Any


class Sentinel:
    """A unique marker, named ``module.name`` where it is defined."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module = module
        self.name = name

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return _lookup, (self.module, self.name)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _lookup(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)
