"""The exceptions hydro_lab raises.

Errors are part of the interface: each names what the user did (the operator), what failed (the
rule or guarantee), how to fix it, and where in the user's file or notebook cell it happened.
Nothing here imports the rest of hydro_lab, so every layer may raise these.
"""

from __future__ import annotations


class HydroError(Exception):
    """Base class of every error hydro_lab raises on purpose."""


class HydroTypeError(HydroError, TypeError):
    """A program broke one of Hydro's rules while it was being built.

    Raised when an operator is called (not when the flow runs): a missing ``nondet``, an
    aggregation over unordered data without ``commutative=``, operands at different locations, a
    forward reference completed twice, ...  The message names the operator, the guarantee that
    failed, the fix, and the user's file or notebook cell and line.
    """

    def __init__(self, message: str, *, op: str | None = None, where: str | None = None):
        self.op = op
        self.where = where
        self.reason = message
        text = message if where is None else f"{message}\n  at {where}"
        super().__init__(text)


class HydroRuntimeError(HydroError, RuntimeError):
    """A running flow failed; raised in the caller (driver, notebook) with the user's line.

    When a user function failed inside a tick, the message says so and these attributes hold its
    parts (None otherwise): ``operator`` (e.g. ``map(parse)``), ``where`` (the line that raised,
    inside the user's function: ``notebook cell In [4], line 3: op, key = req.split(":")``),
    ``element`` (a short repr of the element it failed on), ``instance`` and ``tick``. A failure
    that is not a user function's (a value a codec cannot carry, a bad demux key) sets
    ``instance`` and, where it is known, ``tick``.
    """

    operator: str | None = None
    where: str | None = None
    element: str | None = None
    instance: str | None = None
    tick: int | None = None


class HydroDeployError(HydroError, ValueError):
    """A deployment was asked for something it cannot do (a missing cluster size, an unknown
    backend, a port connected twice); the message says what to pass instead."""


def rule_error(
    op: str,
    problem: str,
    fix: str,
    *,
    why: str | None = None,
) -> HydroTypeError:
    """Build the standard message: ``<op>: <problem>. [<why>.] Fix: <fix>.``"""
    text = f"{op}: {problem}"
    if why:
        text += f"\n  Why: {why}"
    text += f"\n  Fix: {fix}"
    return HydroTypeError(text, op=op)


# Hydro's names that hydro_lab spells differently, and how hydro_lab spells them. A program ported
# line by line from Hydro reaches for these first; the AttributeError says what to write instead.
HYDRO_SPELLINGS: dict[str, str] = {
    "collect_vec": "collect_list()",
    "from_raw": "MemberId(cluster_name, raw_id)",
    "CLUSTER_SELF_ID": "cluster.self_id() (a Singleton while building), or hydro_lab.self_id() "
                       "inside a closure at run time",
    "weakest_ordering": "weaken_ordering()",
    "weakest_retries": "weaken_retries()",
    "tick_batch": "batch(tick, nondet(\"why\"))",
    "latest_tick": "snapshot(tick, nondet(\"why\"))",
    "batch_atomic": "batch(tick, nondet(\"why\")) with the tick given to atomic(tick)",
    "union": "chain(other) inside a tick, or interleave(other) at the top level",
    "flat_map": "flat_map_ordered(f) (or flat_map_unordered(f) for an unordered iterable)",
    "flatten": "flatten_ordered() (or flatten_unordered())",
    "cross_join": "cross_product(other)",
    "difference": "filter_not_in(other)",
    "fold_keyed": "into_keyed().fold(init, f)",
    "reduce_keyed": "into_keyed().reduce(f)",
    "or": "or_else(other) on an Optional, or_(other) on a Singleton[bool]",
    "and": "and_(other)",
    "not": "~signal (Python's unary invert on a Singleton[bool])",
    "send_bytes": "send(to, codec=...)",
    "send_bytes_external": "send_external(external, codec=...)",
    "source_external_bytes": "source_external(external, codec=...)",
    "broadcast_bincode_anonymous": "broadcast(cluster, nondet(\"why\"))",
    "bidi_external_many_bincode": "bidi_external(external)",
    "bidi_external_many_bytes": "bidi_external(external, codec=...)",
    # Hydro's older aggregation names: the algebra is a keyword reason in hydro_lab
    "fold_idempotent": "fold(init, f, idempotent=\"why\")",
    "reduce_idempotent": "reduce(f, idempotent=\"why\")",
    "fold_commutative_idempotent": "fold(init, f, commutative=\"why\", idempotent=\"why\")",
    "reduce_commutative_idempotent": "reduce(f, commutative=\"why\", idempotent=\"why\")",
    "reduce_watermark_commutative": "reduce_watermark(watermark, f, commutative=\"why\")",
    "reduce_watermark_idempotent": "reduce_watermark(watermark, f, idempotent=\"why\")",
    "reduce_watermark_commutative_idempotent": "reduce_watermark(watermark, f, "
                                               "commutative=\"why\", idempotent=\"why\")",
}

_CODEC_PARTS = ("_bincode", "_bytes")


def hydro_spelling(owner: object, name: str) -> str | None:
    """How hydro_lab spells Hydro's ``name`` on ``owner``, or None if it is not a Hydro name
    hydro_lab spells differently. Besides the table, any ``*_bincode``/``*_bytes`` variant whose
    plain name exists on ``owner`` maps to it: the codec is an argument in hydro_lab."""
    if name in HYDRO_SPELLINGS:
        return HYDRO_SPELLINGS[name]
    for part in _CODEC_PARTS:
        if part in name:
            base = name.replace(part, "")
            if base and hasattr(type(owner), base):
                return (f"{base}(...) (the codec is an argument: codec=\"pickle\" by default, "
                        "Python's counterpart of bincode)")
    return None


def no_attribute(owner: object, name: str, what: str | None = None) -> AttributeError:
    """The AttributeError for ``owner.name``, naming hydro_lab's spelling of a Hydro name:
    ``Stream has no attribute 'collect_vec': hydro_lab spells Hydro's collect_vec as
    collect_list()``."""
    what = what or type(owner).__name__
    spelling = None if name.startswith("_") else hydro_spelling(owner, name)
    if spelling is None:
        return AttributeError(f"{what} has no attribute {name!r}", name=name, obj=owner)
    return AttributeError(f"{what} has no attribute {name!r}: hydro_lab spells Hydro's {name} "
                          f"as {spelling}", name=name, obj=owner)
