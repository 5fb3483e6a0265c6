"""Quorums over responses (Hydro's ``hydro_std::quorum``): a key is done once ``min`` of its
responses succeeded, out of at most ``max``.

Rust's ``Result<V, E>`` is spelled with the two small classes :class:`Ok` and :class:`Err`. Both
helpers keep the responses of a key that has not reached its quorum in a tick cycle, so however
the responses are batched the same keys reach it: the batching ``nondet`` is internal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hydro_lab.errors import rule_error
from hydro_lab.ir.kinds import Kind, Order
from hydro_lab.lang import Stream, nondet
from hydro_lab.lang.context import current_op, operator
from hydro_lab.std import checks

_BATCH = nondet("we always persist values that have not reached quorum, so even with arbitrary "
                "batching we always produce deterministic quorum results")


@dataclass(frozen=True)
class Ok:
    """A successful response (Rust's ``Ok(value)``); ``Ok()`` is Rust's ``Ok(())``.

    Examples
    --------
    >>> from hydro_lab.std import Ok
    >>> Ok(3).is_ok(), Ok().value
    (True, None)
    """

    value: Any = None

    def is_ok(self) -> bool:
        """True: this is a success."""
        return True


@dataclass(frozen=True)
class Err:
    """A failed response (Rust's ``Err(error)``); ``Err()`` is Rust's ``Err(())``.

    Examples
    --------
    >>> from hydro_lab.std import Err
    >>> Err("timeout").is_ok()
    False
    """

    error: Any = None

    def is_ok(self) -> bool:
        """False: this is a failure."""
        return False


def _result(pair: Any) -> Ok | Err:
    result = pair[1]
    if not isinstance(result, (Ok, Err)):
        raise TypeError(f"a quorum response must be (key, Ok(value)) or (key, Err(error)), got "
                        f"{pair!r:.80}; wrap it: (key, Ok(v)) / (key, Err(e)) from "
                        "hydro_lab.std")
    return result


def _zero_counts() -> tuple[int, int]:
    return (0, 0)


def _count(acc: tuple[int, int], result: Any) -> tuple[int, int]:
    """(successes, errors) of one key."""
    if isinstance(result, Ok):
        return (acc[0] + 1, acc[1])
    if isinstance(result, Err):
        return (acc[0], acc[1] + 1)
    raise TypeError(f"a quorum response must be Ok(value) or Err(error), got {result!r:.80}")


class _AtLeast:
    """``successes >= min`` (or ``< min`` when ``below``); a class so it pickles by value."""

    def __init__(self, min_count: int, below: bool = False):
        self.min_count, self.below = min_count, below

    def __call__(self, counts: tuple[int, int]) -> bool:
        return (counts[0] < self.min_count) if self.below else (counts[0] >= self.min_count)

    def __repr__(self) -> str:
        return f"successes {'<' if self.below else '>='} {self.min_count}"


class _HeardFromAll:
    """``successes + errors >= max``."""

    def __init__(self, max_count: int):
        self.max_count = max_count

    def __call__(self, counts: tuple[int, int]) -> bool:
        return counts[0] + counts[1] >= self.max_count

    def __repr__(self) -> str:
        return f"responses >= {self.max_count}"


class _ReachedKey:
    """``key`` when its successes reached ``min``, else None (``filter_map`` over entries)."""

    def __init__(self, min_count: int):
        self.min_count = min_count

    def __call__(self, entry: tuple[Any, tuple[int, int]]) -> Any:
        key, (success, _error) = entry
        return key if success >= self.min_count else None

    def __repr__(self) -> str:
        return f"key if successes >= {self.min_count}"


def _ok_value(pair: Any) -> Any:
    key, result = pair[0], _result(pair)
    return (key, result.value) if isinstance(result, Ok) else None


def _err_value(pair: Any) -> Any:
    key, result = pair[0], _result(pair)
    return (key, result.error) if isinstance(result, Err) else None


def _check(responses: Any, min_count: Any, max_count: Any) -> None:
    checks.collection(responses, Kind.STREAM, "the responses")
    checks.top_level(responses, "the responses", "the helper keeps the responses of a key "
                     "across ticks until it reaches its quorum")
    checks.exactly_once(responses, "the responses", "every response is counted, so a "
                        "duplicate would count twice toward the quorum")
    checks.positive_int(min_count, "min", "collect_quorum(responses, 2, 3): 2 of at most 3")
    checks.positive_int(max_count, "max", "collect_quorum(responses, 2, 3): 2 of at most 3")
    if max_count < min_count:
        raise rule_error(current_op(), f"max ({max_count}) is smaller than min "
                         f"({min_count}): the quorum could never be reached",
                         "pass max >= min: the number of responders")


def _tick_of(responses: Stream) -> Any:
    """The tick to count in: the atomic region's own tick, else a new one (Hydro's
    ``responses.location().tick()``)."""
    loc = responses.location
    return loc.tick if checks.is_atomic(responses) else loc.tick()


def _leave(stream: Stream, responses: Stream, tick: Any) -> Stream:
    """Back to the responses' location: ``all_ticks``, re-entering an atomic region."""
    out = stream.all_ticks()
    return out.atomic(tick) if checks.is_atomic(responses) else out


@operator()
def collect_quorum_with_response(responses: Stream, min: int, max: int  # noqa: A002
                                 ) -> tuple[Stream, Stream]:
    """Hydro's ``collect_quorum_with_response(responses, min, max)``.

    ``responses`` is a top-level Stream of ``(key, Ok(value))`` / ``(key, Err(error))`` (any
    order, ExactlyOnce). Returns ``(successes, errors)``: ``successes`` gives ``(key, value)`` for
    every successful response of a key in the tick it reaches ``min`` successes (and for no
    later response until it is heard from ``max`` responders, when it starts over), in the
    responses' order; ``errors`` gives every ``(key, error)`` at once, in the responses' order.
    Both are Unbounded at the responses' location.
    """
    _check(responses, min, max)
    tick = _tick_of(responses)
    pending_handle, pending = tick.cycle("Stream", order=responses.order)
    current = pending.chain(responses.batch(tick, _BATCH))
    counts = current.into_keyed().fold(_zero_counts, _count, commutative="counting successes "
                                       "and errors commutes")
    not_reached = counts.filter(_AtLeast(min, below=True)).keys()
    reached = counts.filter(_AtLeast(min)).keys()
    if min == max:
        pending_handle.complete_next_tick(current.anti_join(reached))
        just_reached = current.anti_join(not_reached)
    else:
        reported_handle, reported = tick.cycle("Stream", order=Order.NO_ORDER)
        heard_from_all = counts.filter(_HeardFromAll(max)).keys()
        reported_handle.complete_next_tick(reached.filter_not_in(heard_from_all))
        pending_handle.complete_next_tick(current.anti_join(heard_from_all))
        just_reached = current.anti_join(not_reached).anti_join(reported)
    successes = _leave(just_reached.filter_map(_ok_value), responses, tick)
    return successes, responses.filter_map(_err_value)


@operator()
def collect_quorum(responses: Stream, min: int, max: int  # noqa: A002
                   ) -> tuple[Stream, Stream]:
    """Hydro's ``collect_quorum(responses, min, max)``.

    ``responses`` is a top-level Stream of ``(key, Ok())`` / ``(key, Err(error))`` (any order,
    ExactlyOnce). Returns ``(keys, errors)``: each key once when ``min`` of its responses
    succeeded (NoOrder; a key heard from ``max`` responders starts over), and every
    ``(key, error)`` at once, in the responses' order. Both are Unbounded at the responses'
    location.

    Examples
    --------
    >>> from hydro_lab import FlowBuilder
    >>> from hydro_lab.std import collect_quorum, Ok
    >>> flow = FlowBuilder()
    >>> p = flow.process("p")
    >>> keys, errors = collect_quorum(p.source_iter([(1, Ok()), (1, Ok())]), 2, 3)
    >>> keys.order, errors.order
    (Order.NO_ORDER, Order.TOTAL_ORDER)
    """
    _check(responses, min, max)
    tick = _tick_of(responses)
    pending_handle, pending = tick.cycle("Stream", order=responses.order)
    current = pending.chain(responses.batch(tick, _BATCH))
    counts = current.into_keyed().fold(_zero_counts, _count, commutative="counting successes "
                                       "and errors commutes")
    reached = counts.entries().filter_map(_ReachedKey(min))
    if min == max:
        pending_handle.complete_next_tick(current.anti_join(reached))
        just_reached = reached
    else:
        reported_handle, reported = tick.cycle("Stream", order=Order.NO_ORDER)
        heard_from_all = counts.filter(_HeardFromAll(max)).keys()
        reported_handle.complete_next_tick(reached.filter_not_in(heard_from_all))
        pending_handle.complete_next_tick(current.anti_join(heard_from_all))
        just_reached = reached.filter_not_in(reported)
    return _leave(just_reached, responses, tick), responses.filter_map(_err_value)
