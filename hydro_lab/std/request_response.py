"""Joining responses with what was known when the request was made (Hydro's
``hydro_std::request_response``)."""

from __future__ import annotations

from typing import Any

from hydro_lab.errors import rule_error
from hydro_lab.ir.kinds import Bound, Kind, Order
from hydro_lab.lang import Stream, Tick, nondet
from hydro_lab.lang.context import current_op, operator
from hydro_lab.std import checks


def _key(pair: Any) -> Any:
    return pair[0]


@operator()
def join_responses(tick: Tick, responses: Stream, metadata: Stream) -> Stream:
    """Hydro's ``join_responses(&tick, responses, metadata)``.

    ``responses`` is a top-level Stream of ``(key, response)`` at ``tick``'s location;
    ``metadata`` a Stream of ``(key, meta)`` in ``tick``, made in the same or an earlier tick
    than the response (typically when the request was sent). Metadata waits in a tick cycle
    until its response arrives. One response and one metadata per key. Returns
    ``(key, (meta, response))`` as a top-level Unbounded NoOrder Stream.
    """
    checks.tick_of(tick)
    checks.collection(responses, Kind.STREAM, "the responses")
    checks.collection(metadata, Kind.STREAM, "the metadata")
    checks.at(responses, tick.outer, "the responses",
              f"send the responses to {tick.outer.id.describe()} first")
    if metadata.location.id != tick.id or metadata.bound is not Bound.BOUNDED:
        raise rule_error(current_op(), f"the metadata lives at {metadata.location.id.describe()}"
                         f", but join_responses takes it inside {tick.id.describe()}",
                         "batch it into the tick: metadata.batch(tick, nondet(\"why\"))")
    remaining_handle, remaining = tick.cycle("Stream", order=Order.NO_ORDER)
    remaining_and_new = remaining.chain(metadata)
    batch = responses.batch(tick, nondet("because we persist the metadata, delays resulting "
                                         "from batching boundaries do not affect the output "
                                         "contents"))
    joined = remaining_and_new.join(batch)
    remaining_handle.complete_next_tick(remaining_and_new.anti_join(batch.map(_key)))
    return joined.all_ticks()
