"""``nondet("reason")``: the token every non-deterministic operator takes.

Hydro makes non-determinism explicit: batching, snapshots, timers, assumed orderings and
membership-dependent sends each need a written reason. The token records the reason and where it
was written, so the simulator can point at it in traces.
"""

from __future__ import annotations

import sys
from typing import Any

from hydro_lab.errors import HydroTypeError, rule_error
from hydro_lab.ir import source_info
from hydro_lab.ir.nodes import NonDetInfo
from hydro_lab.lang.context import current_op


class NonDet:
    """A declared source of non-determinism. Create it with :func:`nondet`."""

    __slots__ = ("info",)

    def __init__(self, info: NonDetInfo):
        self.info = info

    @property
    def reason(self) -> str:
        """The reason written in ``nondet("...")``, shown in graphs and simulator traces."""
        return self.info.reason

    def __repr__(self) -> str:
        return f"nondet({self.reason!r})"


def nondet(reason: str) -> NonDet:
    """Declare why a non-deterministic operator is acceptable here.

    The reason must be a non-empty string: it is the written argument that the non-determinism
    does not matter (e.g. "only used for printing") or is part of the service's contract.

    Examples
    --------
    >>> nondet("printing only")
    nondet('printing only')
    """
    if not isinstance(reason, str) or not reason.strip():
        got = "an empty string" if isinstance(reason, str) else type(reason).__name__
        where = source_info.capture(sys._getframe(1))
        raise HydroTypeError(
            f"nondet: the reason must be a non-empty string, got {got}.\n"
            "  Why: every non-deterministic choice needs a written argument for why it is safe.\n"
            '  Fix: nondet("why the batching/timing does not change the result").',
            op="nondet",
            where=where.where_with_code() if where else None,
        ).with_traceback(None)
    return NonDet(NonDetInfo(reason=reason.strip(), source=source_info.capture(sys._getframe(1))))


# Why each non-deterministic operator needs a nondet: quoted in the error when one is missing.
_WHY = {
    "batch": "where batch boundaries fall depends on message timing",
    "snapshot": "which version of the value a tick sees depends on timing",
    "snapshot_atomic": "which version of the value a tick sees depends on timing",
    "sample_every": "which values are sampled depends on real time",
    "sample_eager": "which versions are seen depends on timing",
    "timeout": "whether the timeout fires depends on real time",
    "source_interval": "timer firings depend on real time",
    "assume_ordering": "it claims an order the type system cannot prove",
    "assume_retries": "it claims no duplicates the type system cannot prove",
    "merge_ordered": "how the two streams interleave depends on arrival order",
    "round_robin": "which member gets which element depends on the current membership",
    "broadcast": "members that join or leave during the broadcast may or may not receive it",
    "broadcast_bincode": "members that join or leave during the broadcast may or may not "
    "receive it",
}


def require_nondet(token: Any) -> NonDetInfo:
    """The ``nondet`` argument of the current operator, or the error that explains it."""
    op = current_op()
    if isinstance(token, NonDet):
        return token.info
    if token is None:
        raise rule_error(
            op, f'{op} is non-deterministic and needs a nondet("reason") argument',
            f'pass nondet("why the result is still acceptable"), e.g. '
            f'{op}(..., nondet("only used for printing"))',
            why=_WHY.get(op, "its result depends on timing, batching or arrival order"),
        )
    hint = f"nondet({token!r})" if isinstance(token, str) and token.strip() else 'nondet("why")'
    raise rule_error(
        op, f"the non-determinism argument must be a nondet(...) token, got "
        f"{type(token).__name__} {token!r:.40}", f"wrap the reason: {hint}",
    )
