"""The Hydro IR: one frozen dataclass per node, plus the roots (sinks) that keep nodes alive.

Nodes are plain data. Inputs are node ids (``int``), named by ``INPUTS``; a node's metadata holds
its location, the kind and guarantees of the collection it produces, the user operator that made
it and the user's call site. Roots produce no collection. The names follow Hydro's ``HydroNode``
and ``HydroRoot`` (``hydro_lang::compile::ir``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

from hydro_lab.ir.kinds import CollectionKind
from hydro_lab.ir.locations import ClusterId, ExternalId, LocationId
from hydro_lab.ir.source_info import SourceInfo


@dataclass(frozen=True)
class Closure:
    """A user function captured for stage 2: the callable plus its text for labels and errors.

    ``label`` is the short form (``lambda x: x * 2`` or a function name), ``text`` the full source.
    ``builtin`` closures are hydro_lab's own (``count``, ``max``, ...) and are labelled by the
    operator alone.
    """

    fn: Callable[..., Any] = field(compare=False, repr=False)
    label: str
    text: str
    source: SourceInfo | None = None
    builtin: bool = False


@dataclass(frozen=True)
class NonDetInfo:
    """The reason given with ``nondet("...")`` and where it was written."""

    reason: str
    source: SourceInfo | None = None


@dataclass(frozen=True)
class Meta:
    """Metadata every node carries. ``kind`` is None for roots (they produce nothing)."""

    location: LocationId
    kind: CollectionKind | None
    op: str
    source: SourceInfo | None = None
    name: str | None = None
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class Node:
    """Base of all IR nodes. ``INPUTS`` names the fields that hold input node ids."""

    id: int
    meta: Meta
    INPUTS: ClassVar[tuple[str, ...]] = ()
    IS_ROOT: ClassVar[bool] = False
    # The node type used to color graphs: source, transform, join, aggregation, network, sink,
    # tee or nondet (a node that consumed a nondet is drawn as nondet whatever its type).
    NODE_TYPE: ClassVar[str] = "transform"

    def inputs(self) -> tuple[int, ...]:
        return tuple(v for f in self.INPUTS if (v := getattr(self, f)) is not None)

    def replace(self, **changes) -> Node:
        return replace(self, **changes)

    def params(self) -> dict[str, Any]:
        """The node's own fields (not id, meta or inputs), for printers."""
        skip = {"id", "meta", *self.INPUTS}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}

    @property
    def nondet(self) -> NonDetInfo | None:
        return getattr(self, "nondet_info", None)


# ---------------------------------------------------------------------------------------------
# Sources


@dataclass(frozen=True, kw_only=True)
class SourceIter(Node):
    """A fixed iterable (``loc.source_iter``)."""

    iterable: Any = field(compare=False)
    NODE_TYPE: ClassVar[str] = "source"


@dataclass(frozen=True, kw_only=True)
class SourceSingleton(Node):
    """A constant value (``loc.singleton``, ``tick.singleton``, ``tick.optional_first_tick``)."""

    value: Any = field(compare=False)
    first_tick_only: bool = False
    NODE_TYPE: ClassVar[str] = "source"


@dataclass(frozen=True, kw_only=True)
class SourceNone(Node):
    """An Optional that is empty in every tick (``tick.none()``)."""

    NODE_TYPE: ClassVar[str] = "source"


@dataclass(frozen=True, kw_only=True)
class Spin(Node):
    """One ``None`` per tick, forever (``loc.spin()``)."""

    NODE_TYPE: ClassVar[str] = "source"


@dataclass(frozen=True, kw_only=True)
class SourceInterval(Node):
    """A ``None`` every ``seconds`` of the driver's clock (``loc.source_interval``)."""

    seconds: float
    nondet_info: NonDetInfo
    NODE_TYPE: ClassVar[str] = "source"


@dataclass(frozen=True, kw_only=True)
class SourceStream(Node):
    """A live Python source (``loc.source_stream``): an iterable, an async iterable, or a
    ``Closure`` of a function returning one, read by the driver while the flow runs."""

    source: Any = field(compare=False)
    buffer: int = 10_000
    NODE_TYPE: ClassVar[str] = "source"


@dataclass(frozen=True, kw_only=True)
class ClusterMembers(Node):
    """Membership events of ``cluster``: (MemberId, MembershipEvent)."""

    cluster: ClusterId
    NODE_TYPE: ClassVar[str] = "source"


@dataclass(frozen=True, kw_only=True)
class SelfId(Node):
    """The running member's own MemberId (``cluster.self_id()``)."""

    cluster: ClusterId
    NODE_TYPE: ClassVar[str] = "source"


@dataclass(frozen=True, kw_only=True)
class ExternalInput(Node):
    """Values an external client sends into a port.

    ``mode``: ``single`` (one client, a Stream), ``many`` (many clients, keyed by client id) or
    ``events`` (connect/disconnect events of a many-client port).
    """

    port: int
    external: ExternalId
    codec: Any = field(compare=False)
    mode: str = "single"
    NODE_TYPE: ClassVar[str] = "source"


@dataclass(frozen=True, kw_only=True)
class CycleSource(Node):
    """The receiving end of a forward reference or a tick cycle, linked to a ``CycleSink``.

    ``cycle`` is ``forward`` (same time as the completion; must not be synchronous) or ``tick``
    (the value completed in the previous tick). ``initial`` seeds tick 0 of a tick cycle.
    """

    ident: str
    cycle: str
    initial: int | None = None
    INPUTS: ClassVar[tuple[str, ...]] = ("initial",)
    NODE_TYPE: ClassVar[str] = "source"


# ---------------------------------------------------------------------------------------------
# Element-wise. ``on`` says what the closure sees: the element, the value of a keyed pair
# (keys are kept), or the whole (key, value) entry (keys are kept, the result is the new value).


@dataclass(frozen=True, kw_only=True)
class ElementWise(Node):
    """Base of the one-closure, one-input transforms."""

    input: int
    f: Closure
    on: str = "element"
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


@dataclass(frozen=True, kw_only=True)
class Map(ElementWise):
    """``f(x)`` for each element."""


@dataclass(frozen=True, kw_only=True)
class FlatMap(ElementWise):
    """The items of ``f(x)``; ``ordered`` says whether their order is deterministic."""

    ordered: bool = True


@dataclass(frozen=True, kw_only=True)
class Filter(ElementWise):
    """The elements for which ``f(x)`` is true."""


@dataclass(frozen=True, kw_only=True)
class FilterMap(ElementWise):
    """``f(x)`` for each element, dropping ``None`` results."""


@dataclass(frozen=True, kw_only=True)
class Inspect(ElementWise):
    """Calls ``f(x)`` for its side effect; elements pass through."""


@dataclass(frozen=True, kw_only=True)
class Enumerate(Node):
    """Pairs each element with 0, 1, 2, ... (per key on a keyed stream)."""

    input: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


@dataclass(frozen=True, kw_only=True)
class Scan(Node):
    """Running state machine: ``f(acc, x) -> (acc, out)`` or ``None`` to stop (per key if keyed)."""

    input: int
    init: Closure
    f: Closure
    keyed: bool = False
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


@dataclass(frozen=True, kw_only=True)
class Unique(Node):
    input: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


@dataclass(frozen=True, kw_only=True)
class Sort(Node):
    input: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


@dataclass(frozen=True, kw_only=True)
class Cast(Node):
    """Changes only the static kind (``into_keyed``, ``weaken_ordering``, ``entries``, ...)."""

    input: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


@dataclass(frozen=True, kw_only=True)
class ObserveNonDet(Node):
    """Strengthens a guarantee on the user's word (``assume_ordering``, ``assume_retries``)."""

    input: int
    nondet_info: NonDetInfo
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    NODE_TYPE: ClassVar[str] = "nondet"


@dataclass(frozen=True, kw_only=True)
class Persist(Node):
    """Era-A ``persist()``: in each tick, every element of every tick so far."""

    input: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


# ---------------------------------------------------------------------------------------------
# Binary combinators


@dataclass(frozen=True, kw_only=True)
class Chain(Node):
    """All of ``first`` then all of ``second`` (or their unordered union when NoOrder)."""

    first: int
    second: int
    INPUTS: ClassVar[tuple[str, ...]] = ("first", "second")
    NODE_TYPE: ClassVar[str] = "join"


@dataclass(frozen=True, kw_only=True)
class ChainFirst(Node):
    """The first non-empty of two optionals (``Optional.or_else``)."""

    first: int
    second: int
    INPUTS: ClassVar[tuple[str, ...]] = ("first", "second")
    NODE_TYPE: ClassVar[str] = "join"


@dataclass(frozen=True, kw_only=True)
class CrossProduct(Node):
    left: int
    right: int
    INPUTS: ClassVar[tuple[str, ...]] = ("left", "right")
    NODE_TYPE: ClassVar[str] = "join"


@dataclass(frozen=True, kw_only=True)
class CrossSingleton(Node):
    """Pairs each element with the singleton's value: ``(x, s)``."""

    input: int
    singleton: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input", "singleton")
    NODE_TYPE: ClassVar[str] = "join"


@dataclass(frozen=True, kw_only=True)
class Join(Node):
    """Equi-join of (k, v1) and (k, v2) into (k, (v1, v2))."""

    left: int
    right: int
    INPUTS: ClassVar[tuple[str, ...]] = ("left", "right")
    NODE_TYPE: ClassVar[str] = "join"


@dataclass(frozen=True, kw_only=True)
class Difference(Node):
    """Elements of ``input`` not in ``neg`` (``filter_not_in``)."""

    input: int
    neg: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input", "neg")
    NODE_TYPE: ClassVar[str] = "join"


@dataclass(frozen=True, kw_only=True)
class AntiJoin(Node):
    """Pairs (k, v) of ``input`` whose key is not in ``neg``."""

    input: int
    neg: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input", "neg")
    NODE_TYPE: ClassVar[str] = "join"


# ---------------------------------------------------------------------------------------------
# Aggregations. ``commutative`` / ``idempotent`` hold the user's stated reasons.


@dataclass(frozen=True, kw_only=True)
class Aggregation(Node):
    """Base of the aggregations: ``f`` combines, with the user's algebra reasons."""

    input: int
    f: Closure
    commutative: str | None = None
    idempotent: str | None = None
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    NODE_TYPE: ClassVar[str] = "aggregation"


@dataclass(frozen=True, kw_only=True)
class Fold(Aggregation):
    """``acc = init()``, then ``acc = f(acc, x)``: a singleton."""

    init: Closure


@dataclass(frozen=True, kw_only=True)
class Reduce(Aggregation):
    """``acc = first``, then ``acc = f(acc, x)``: an optional."""


@dataclass(frozen=True, kw_only=True)
class FoldKeyed(Aggregation):
    """A fold per key: a keyed singleton."""

    init: Closure


@dataclass(frozen=True, kw_only=True)
class ReduceKeyed(Aggregation):
    """A reduce per key: a keyed singleton."""


@dataclass(frozen=True, kw_only=True)
class ReduceKeyedWatermark(Aggregation):
    """Per-key reduce that drops keys below the watermark (garbage collection)."""

    watermark: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input", "watermark")


@dataclass(frozen=True, kw_only=True)
class FoldKeyedEarlyStop(Node):
    """Per-key fold ``f(acc, v) -> (acc, stop)`` that freezes a key once ``stop`` is true."""

    input: int
    init: Closure
    f: Closure
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    NODE_TYPE: ClassVar[str] = "aggregation"


# ---------------------------------------------------------------------------------------------
# Ticks, atomic regions and time


@dataclass(frozen=True, kw_only=True)
class Batch(Node):
    """Top level into a tick: a batch of a stream, or a snapshot of a singleton."""

    input: int
    nondet_info: NonDetInfo
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    NODE_TYPE: ClassVar[str] = "nondet"


@dataclass(frozen=True, kw_only=True)
class YieldConcat(Node):
    """A tick back to the top level (``all_ticks`` concatenates, ``latest`` keeps the last)."""

    input: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


@dataclass(frozen=True, kw_only=True)
class DeferTick(Node):
    """Delivers this tick's value in the next tick."""

    input: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


@dataclass(frozen=True, kw_only=True)
class BeginAtomic(Node):
    input: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


@dataclass(frozen=True, kw_only=True)
class EndAtomic(Node):
    """Releases outputs of an atomic region once the tick that processed them has finished."""

    input: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)


@dataclass(frozen=True, kw_only=True)
class SampleEvery(Node):
    """Periodic samples of a singleton's value, or the stream elements at timer firings."""

    input: int
    seconds: float
    nondet_info: NonDetInfo
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    NODE_TYPE: ClassVar[str] = "nondet"


@dataclass(frozen=True, kw_only=True)
class Timeout(Node):
    """An Optional that is non-empty once the stream has been quiet for ``seconds``."""

    input: int
    seconds: float
    nondet_info: NonDetInfo
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    NODE_TYPE: ClassVar[str] = "nondet"


# ---------------------------------------------------------------------------------------------
# Network and sharing


@dataclass(frozen=True, kw_only=True)
class Network(Node):
    """A channel between two root locations; ``meta.location`` is the receiving side.

    ``mode`` is ``send``, ``broadcast``, ``demux`` or ``round_robin``. One codec serves both ends.
    """

    input: int
    codec: Any = field(compare=False)
    channel: str
    mode: str = "send"
    nondet_info: NonDetInfo | None = None
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    NODE_TYPE: ClassVar[str] = "network"


@dataclass(frozen=True, kw_only=True)
class Tee(Node):
    """Shares one collection between several consumers (inserted by ``finalize``)."""

    input: int
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    NODE_TYPE: ClassVar[str] = "tee"


# ---------------------------------------------------------------------------------------------
# Roots


@dataclass(frozen=True, kw_only=True)
class ForEach(Node):
    input: int
    f: Closure
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    IS_ROOT: ClassVar[bool] = True
    NODE_TYPE: ClassVar[str] = "sink"


@dataclass(frozen=True, kw_only=True)
class DestSink(Node):
    """Every element into ``sink``, an object the deployment's driver keeps (``dest_sink``).
    ``watch``: the sink is a ``collection.watch()``'s handle, so each element leaves its instance
    stamped with the member id, the tick that produced it and the tick's time."""

    input: int
    sink: Any = field(compare=False)
    watch: bool = False
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    IS_ROOT: ClassVar[bool] = True
    NODE_TYPE: ClassVar[str] = "sink"


@dataclass(frozen=True, kw_only=True)
class SendExternal(Node):
    """Values to an external client's port (``meta.location`` is the sending location)."""

    input: int
    port: int
    external: ExternalId
    codec: Any = field(compare=False)
    keyed: bool = False
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    IS_ROOT: ClassVar[bool] = True
    NODE_TYPE: ClassVar[str] = "network"


@dataclass(frozen=True, kw_only=True)
class CycleSink(Node):
    """Completes the forward reference or tick cycle named ``ident``."""

    input: int
    ident: str
    INPUTS: ClassVar[tuple[str, ...]] = ("input",)
    IS_ROOT: ClassVar[bool] = True
    NODE_TYPE: ClassVar[str] = "sink"


@dataclass(frozen=True, kw_only=True)
class FilterIf(Node):
    """Passes ``input`` only while ``signal`` (an optional) is non-empty (``when_some``) or
    empty (not ``when_some``): ``filter_if_some`` / ``filter_if_none``."""

    input: int
    signal: int
    when_some: bool = True
    INPUTS: ClassVar[tuple[str, ...]] = ("input", "signal")
    NODE_TYPE: ClassVar[str] = "join"
