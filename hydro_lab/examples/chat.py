"""Chat: many external clients connect to one server; every message is delivered to every client.

The server keeps the current membership from the port's connect/disconnect events. In each tick it
pairs the batch of messages with a snapshot of the members connected then (a cross product) and
sends each member every message as ``(sender_id, message)``.
Non-determinism: a client that connects or leaves while a message is in flight may or may not get
it, depending on which tick the message and the membership change land in; that is the chat's
contract. Messages delivered in one tick reach a client in no fixed order.
"""

from __future__ import annotations

from typing import Any

from hydro_lab import External, MembershipEvent, Process, nondet


def _newer(_old: MembershipEvent, new: MembershipEvent) -> MembershipEvent:
    return new


def _is_connected(event: MembershipEvent) -> bool:
    return event == MembershipEvent.JOINED


def _to_member(pair: tuple[tuple[Any, Any], Any]) -> tuple[Any, tuple[Any, Any]]:
    (sender, message), member = pair
    return (member, (sender, message))


def chat_server(server: Process, clients: External):
    """Returns ``(port, deliveries)``: the port every client connects to (``d.connect(port)``),
    and the deliveries, a NoOrder KeyedStream ``client_id -> (sender_id, message)``, which are
    also the port's replies."""
    port, messages, events, replies = server.bidi_external(clients)
    last_event = events.reduce(_newer)

    tick = server.tick()
    timing = nondet("a client that connects or leaves around the time a message is sent may or "
                    "may not receive it")
    members = last_event.snapshot(tick, timing).filter(_is_connected).keys()
    deliveries = (messages.batch(tick, timing)
                          .entries()
                          .cross_product(members)
                          .map(_to_member)
                          .into_keyed()
                          .all_ticks())
    replies.complete(deliveries)
    return port, deliveries
