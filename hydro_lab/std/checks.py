"""The checks every ``hydro_lab.std`` helper makes of its arguments, stated once.

Hydro's helpers are generic Rust functions: their parameter types refuse a collection of the
wrong kind, at a tick instead of the top level, or with weaker guarantees than the type names.
These functions make the same refusals with a ``HydroTypeError`` naming the helper and the fix.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.errors import rule_error
from hydro_lab.ir.kinds import Kind, Retries
from hydro_lab.ir.locations import AtomicId, ClusterId, ProcessId, TickId
from hydro_lab.lang import LiveCollection, Tick
from hydro_lab.lang.context import current_op


def collection(value: Any, kind: Kind, role: str) -> None:
    """``value`` is a live collection of kind ``kind``."""
    op = current_op()
    if not isinstance(value, LiveCollection):
        raise rule_error(op, f"{role} must be a {kind.value}, got {type(value).__name__} "
                         f"{value!r:.40}", f"pass a {kind.value} built in this flow")
    if value.KIND is not kind:
        hint = {
            (Kind.KEYED_STREAM, Kind.STREAM): "turn it into a Stream of (key, value) pairs "
                                              "with .entries()",
            (Kind.STREAM, Kind.KEYED_STREAM): "key it first: .map(lambda x: (key, x))"
                                              ".into_keyed()",
        }.get((value.KIND, kind), f"convert it to a {kind.value}")
        raise rule_error(op, f"{role} must be a {kind.value}, got a {value.KIND.value}", hint)


def top_level(value: LiveCollection, role: str, why: str) -> None:
    """Hydro's ``L: NoTick``: a process, a cluster or an atomic region, not a tick."""
    if isinstance(value.location.id, TickId):
        raise rule_error(
            current_op(), f"{role} is inside {value.location.id.describe()}, but "
            f"{current_op()} takes a top-level collection", "leave the tick first with "
            ".all_ticks()", why=why)


def exactly_once(value: LiveCollection, role: str, why: str) -> None:
    """Hydro's default ``Retries = ExactlyOnce`` of a ``Stream<..>`` parameter."""
    if value.retries is not Retries.EXACTLY_ONCE:
        raise rule_error(
            current_op(), f"{role} is AtLeastOnce ({value.kind_info.describe()}), but "
            f"{current_op()} needs ExactlyOnce", "deduplicate it first, or declare "
            ".assume_retries(nondet(\"why no element is delivered twice\"))", why=why)


def location(value: Any, cls: type, role: str, fix: str) -> None:
    """``value`` is a location handle of type ``cls`` (Process or Cluster)."""
    if not isinstance(value, cls):
        raise rule_error(current_op(), f"{role} must be a {cls.__name__}, got "
                         f"{type(value).__name__} {value!r:.40}", fix)


def at(value: LiveCollection, loc: Any, role: str, fix: str) -> None:
    """``value`` lives at the top level of ``loc`` (not in a tick of it)."""
    if value.location.id != loc.id:
        raise rule_error(current_op(), f"{role} lives at {value.location.id.describe()}, not at "
                         f"{loc.id.describe()}", fix)


def tick_of(tick: Any, role: str = "the tick") -> None:
    """``tick`` is a Tick handle."""
    if not isinstance(tick, Tick):
        raise rule_error(current_op(), f"{role} must be a Tick, got {type(tick).__name__} "
                         f"{tick!r:.40}", "make one with loc.tick()")


def positive_int(value: Any, role: str, example: str) -> int:
    """A positive ``int`` (Rust's ``usize``), not a bool."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise rule_error(current_op(), f"{role} must be a positive int, got {value!r}", example)
    return value


def positive_number(value: Any, role: str, example: str) -> float:
    """A positive number of milliseconds (Rust's ``u64`` millis; a float is accepted)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise rule_error(current_op(), f"{role} must be a positive number, got {value!r}",
                         example)
    return float(value)


def function(value: Any, role: str, example: str) -> None:
    """A callable (Rust's ``impl FnOnce``)."""
    if not callable(value):
        raise rule_error(current_op(), f"{role} must be a function, got "
                         f"{type(value).__name__} {value!r:.40}", example)


def is_process(value: LiveCollection) -> bool:
    """The collection lives at the top level of a process."""
    return isinstance(value.location.id, ProcessId)


def is_cluster(value: LiveCollection) -> bool:
    """The collection lives at the top level of a cluster."""
    return isinstance(value.location.id, ClusterId)


def is_atomic(value: LiveCollection) -> bool:
    """The collection lives in an atomic region."""
    return isinstance(value.location.id, AtomicId)

