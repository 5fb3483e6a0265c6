"""What happens to a tick's outputs: network batches are routed, encoded with their channel's codec
and decoded at the receiver (so whatever cannot cross a network fails here too), external outputs go
to connected clients. Shared by every backend; transports only move the bytes it produces.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hydro_lab.codecs import codec_name
from hydro_lab.core.faults import ChannelFault
from hydro_lab.errors import HydroRuntimeError
from hydro_lab.ir.locations import ClusterId, LocationId
from hydro_lab.lower.context import ChannelSpec
from hydro_lab.member_id import MemberId


@dataclass(frozen=True)
class InstanceId:
    """A process, or one member of a cluster."""

    location: LocationId
    member: int | None = None

    def __post_init__(self) -> None:  # a dict key on every tick and message: hash once
        object.__setattr__(self, "_hash", hash((self.location, self.member)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):  # the cached hash is per process (string hashing is salted)
        return (InstanceId, (self.location, self.member))

    @property
    def name(self) -> str:
        base = self.location.name
        return base if self.member is None else f"{base}[{self.member}]"

    @property
    def member_id(self) -> MemberId | None:
        if self.member is None:
            return None
        return MemberId(self.location.name, self.member)


@dataclass
class Delivery:
    """One encoded batch for one destination; ``tag`` is the sender's MemberId when the
    receiver sees messages keyed by sender. With a fault injected on the channel, ``dropped``
    messages were left out of it (``count`` may be 0: nothing to send) and it is to be held
    ``delay`` seconds before it goes."""

    dst: InstanceId
    port: Any
    data: bytes
    count: int
    channel: str
    tag: MemberId | None = None
    dropped: int = 0
    delay: float = 0.0

    @property
    def nbytes(self) -> int:
        return len(self.data)


@dataclass
class ChannelCounters:
    messages: int = 0
    bytes: int = 0


def encode_batch(spec: ChannelSpec, batch: list) -> bytes:
    try:
        return spec.codec.encode(batch)
    except Exception as err:
        raise HydroRuntimeError(
            f"channel {spec.name!r} (codec {codec_name(spec.codec)}) could not encode what "
            f"{spec.origin.describe()} sent: {type(err).__name__}: {err}.\n"
            f"  Values sent over the network must be serializable by the channel's codec; "
            f"convert them first (e.g. .map(...) to plain data) or choose another codec with "
            f"codec=...") from err


def decode_batch(spec: ChannelSpec, data: bytes) -> list:
    try:
        return spec.codec.decode(data)
    except Exception as err:
        raise HydroRuntimeError(
            f"channel {spec.name!r} (codec {codec_name(spec.codec)}) could not decode a batch "
            f"sent by {spec.origin.describe()}: {type(err).__name__}: {err}") from err


@dataclass
class Router:
    """Routing state: which members are alive, round-robin counters, injected faults."""

    channels: dict[Any, ChannelSpec]
    members: dict[str, list[int]]  # cluster name -> member indices
    alive: set[InstanceId] = field(default_factory=set)
    rr: dict[tuple[InstanceId, str], int] = field(default_factory=lambda: defaultdict(int))
    faults: dict[str, ChannelFault] = field(default_factory=dict)  # channel name -> fault
    # every instance of each destination, made once (InstanceIds are dict keys on every send)
    _everyone: dict[int, list[InstanceId]] = field(default_factory=dict, repr=False)

    def targets(self, dst: LocationId) -> list[InstanceId]:
        everyone = self._everyone.get(dst.key)
        if everyone is None:
            everyone = self._everyone[dst.key] = (
                [InstanceId(dst, m) for m in self.members[dst.name]]
                if isinstance(dst, ClusterId) else [InstanceId(dst)])
        alive = self.alive
        return [i for i in everyone if i in alive]

    def route(self, src: InstanceId, port: Any, values: list) -> list[Delivery]:
        """Split one output port's batch into per-destination deliveries (encoded/decoded)."""
        spec = self.channels[port]
        per_dst: dict[InstanceId, list] = defaultdict(list)
        if spec.mode in ("send", "broadcast"):
            for dst in self.targets(spec.dst):
                per_dst[dst] = values
        elif spec.mode == "demux":
            for pair in values:
                dst = self._member(spec, pair)
                if dst is not None and dst in self.alive:
                    per_dst[dst].append(pair[1])
        elif spec.mode == "round_robin":
            live = self.targets(spec.dst)
            if live:
                key = (src, spec.name)
                start = self.rr[key]
                for i, v in enumerate(values):
                    per_dst[live[(start + i) % len(live)]].append(v)
                self.rr[key] = start + len(values)
        else:
            raise HydroRuntimeError(f"channel {spec.name!r} has an unknown mode {spec.mode!r}")
        tag = src.member_id if spec.tagged else None
        if self.faults and spec.name in self.faults:
            return self._faulty(self.faults[spec.name], src, port, spec, per_dst, tag)
        return [Delivery(dst, port, encode_batch(spec, list(batch)), len(batch), spec.name, tag)
                for dst, batch in per_dst.items()]

    def _faulty(self, fault: ChannelFault, src: InstanceId, port: Any, spec: ChannelSpec,
                per_dst: dict, tag: MemberId | None) -> list[Delivery]:
        out = []
        for dst, batch in per_dst.items():
            kept = fault.keep(src.name, list(batch))
            out.append(Delivery(dst, port, encode_batch(spec, kept) if kept else b"", len(kept),
                                spec.name, tag, len(batch) - len(kept), fault.delay))
        return out

    def receive(self, port: Any, data: bytes, tag: MemberId | None) -> list:
        """Decode a delivered batch (and key it by sender when the channel says so)."""
        items = decode_batch(self.channels[port], data)
        return items if tag is None else [(tag, v) for v in items]

    def _member(self, spec: ChannelSpec, pair: Any) -> InstanceId | None:
        cluster = spec.dst.name
        try:
            target, _value = pair
        except (TypeError, ValueError):
            raise HydroRuntimeError(
                f"demux on channel {spec.name!r} ({spec.origin.describe()}) needs (MemberId, "
                f"value) pairs, got {pair!r:.60}") from None
        if not isinstance(target, MemberId):
            raise HydroRuntimeError(
                f"demux on channel {spec.name!r} ({spec.origin.describe()}) got key "
                f"{target!r:.40}, not a MemberId; key each element with "
                f'MemberId("{cluster}", i)')
        if target.cluster != cluster:
            raise HydroRuntimeError(
                f"demux on channel {spec.name!r} ({spec.origin.describe()}) sent to {target!r}, "
                f"a member of cluster {target.cluster!r}, but the channel goes to cluster "
                f"{cluster!r}: a member id only names a member of its own cluster")
        if target.raw_id not in self.members[cluster]:
            raise HydroRuntimeError(
                f"demux on channel {spec.name!r} ({spec.origin.describe()}) sent to {target!r}, "
                f"but cluster {cluster!r} has members 0..{len(self.members[cluster]) - 1}")
        return InstanceId(spec.dst, target.raw_id)
