"""The ports of a location's DFIR program, typed: where it sends and receives on a network
channel (``ChannelPort``), talks to an external client (``ClientPort``), fills a driver's sink
(``SinkPort``) or hears a cluster's membership (``MembersPort``). The instance core and the
drivers dispatch on these types. Each is a tuple whose first item names its kind and whose repr
is the plain tuple's: generated code writes it as a literal, and the plain tuple it makes at run
time is equal to it and hashes the same.
"""

from __future__ import annotations

from typing import NamedTuple


class ChannelPort(NamedTuple):
    """The end of network channel ``channel`` in the sender's and the receiver's program."""

    kind: str
    channel: str

    @classmethod
    def of(cls, channel: str) -> ChannelPort:
        return cls("net", channel)

    __repr__ = tuple.__repr__


class ClientPort(NamedTuple):
    """External port ``key``: ``mode`` is ``"single"`` (one client sends), ``"many"`` (a
    bidi_external port's messages), ``"events"`` (its clients joining and leaving) or ``"out"``
    (what the flow sends to clients)."""

    kind: str
    key: int
    mode: str

    @classmethod
    def of(cls, key: int, mode: str) -> ClientPort:
        return cls("external", key, mode)

    __repr__ = tuple.__repr__


class SinkPort(NamedTuple):
    """The values of ``dest_sink`` node ``node``, for the sink object the driver holds."""

    kind: str
    node: int

    @classmethod
    def of(cls, node: int) -> SinkPort:
        return cls("sink", node)

    __repr__ = tuple.__repr__


class MembersPort(NamedTuple):
    """Membership events (``(MemberId, MembershipEvent)``) of cluster ``cluster``."""

    kind: str
    cluster: str

    @classmethod
    def of(cls, cluster: str) -> MembersPort:
        return cls("members", cluster)

    __repr__ = tuple.__repr__


class SourcePort(NamedTuple):
    """The items of ``source_stream`` node ``node``, read from its live Python source by the
    driver of each instance (``deploy.sources``)."""

    kind: str
    node: int

    @classmethod
    def of(cls, node: int) -> SourcePort:
        return cls("source", node)

    __repr__ = tuple.__repr__


Port = ChannelPort | ClientPort | SinkPort | MembersPort | SourcePort
