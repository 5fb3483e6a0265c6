"""Location handles: Process, Cluster, External, Tick and Atomic, plus their sources.

A location's name is its tag. Processes and clusters own live collections; an External is a client
outside the flow that only talks through ports. ``loc.tick()`` makes a new, independent logical
clock at a process or cluster (ticks do not nest). Cluster sizes are chosen at deploy time.
"""

from __future__ import annotations

import reprlib
from dataclasses import replace
from typing import Any, NamedTuple

from hydro_lab.codecs import resolve_codec
from hydro_lab.errors import HydroTypeError, no_attribute, rule_error
from hydro_lab.ir import kinds as K
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Bound, Kind, Order, Retries
from hydro_lab.ir.locations import (
    AtomicId,
    ClusterId,
    ExternalId,
    LocationId,
    TickId,
)
from hydro_lab.ir.program import PortInfo
from hydro_lab.lang import cycles, quote
from hydro_lab.lang.collection import LiveCollection, wrap
from hydro_lab.lang.context import BuildContext, current_op, current_site, operator
from hydro_lab.lang.nondet import NonDet, require_nondet


class _Handle:
    """What every location handle has: the flow it belongs to and its id."""

    _id: LocationId

    def __init__(self, ctx: BuildContext, loc_id: LocationId):
        self._ctx = ctx
        self._id = loc_id
        ctx.register(loc_id, self)

    @property
    def id(self) -> LocationId:
        """The location's id in the IR (a ``LocationId``: ``ProcessId``, ``ClusterId``, ...)."""
        return self._id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Handle) and other._id == self._id

    def __hash__(self) -> int:
        return hash(self._id)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._id.describe()!r})"

    def _source(self, cls: type[N.Node], kind: K.CollectionKind, *, detail: str = "",
                location: LocationId | None = None, op: str | None = None,
                **fields: Any) -> LiveCollection:
        meta = N.Meta(location=location or self._id, kind=kind, op=op or current_op(),
                      source=current_site(), detail=detail)
        return wrap(self._ctx, self._ctx.graph.add(cls, meta, **fields))

    def __getattr__(self, name: str) -> Any:
        """Only for names that do not exist: a Hydro name hydro_lab spells differently
        (``CLUSTER_SELF_ID``, ``source_external_bincode``...) names the spelling."""
        raise no_attribute(self, name)

    def _check_nondet(self, token: Any) -> N.NonDetInfo:
        return require_nondet(token)


class Location(_Handle):
    """A process or a cluster: somewhere live collections live and a program runs."""

    @property
    def name(self) -> str:
        """The name given to ``flow.process(name)`` or ``flow.cluster(name)``: the location's
        tag in graphs, metrics and ``cluster_sizes``."""
        return self._id.name

    @operator()
    def tick(self) -> Tick:
        """A new logical clock at this location; each call gives a distinct, independent tick."""
        tick_id = self._ctx.graph.add_location(TickId(self._ctx.graph.new_key(), self._id))
        return Tick(self._ctx, tick_id)

    @operator()
    def source_iter(self, iterable: Any) -> LiveCollection:
        """A fixed collection: a Bounded, TotalOrder Stream of its elements.

        ``iterable`` must be re-iterable (a list, tuple, range, ...) or a function that returns an
        iterable when the flow starts; a one-shot iterator or generator would be empty the second
        time the flow is deployed.
        """
        if callable(iterable) and not hasattr(iterable, "__iter__"):
            closure = quote.capture(iterable, op="source_iter", role="the function", arity=0,
                                    example="source_iter(lambda: range(10))")
            return self._source(N.SourceIter, K.stream(Bound.BOUNDED), iterable=closure,
                                detail=closure.label)
        try:
            iterator = iter(iterable)
        except TypeError:
            raise rule_error(
                "source_iter", f"expects an iterable, got {type(iterable).__name__} "
                f"{iterable!r:.40}", "pass a list, tuple, range or another re-iterable "
                "collection, or a function returning one",
            ) from None
        if iterator is iterable:
            raise rule_error(
                "source_iter", f"got a one-shot {type(iterable).__name__}, which would be empty "
                "the next time the flow runs", "pass list(...) of it, or a function that creates "
                "it: source_iter(lambda: my_generator())",
            )
        return self._source(N.SourceIter, K.stream(Bound.BOUNDED), iterable=iterable,
                            detail=quote.shorten(reprlib.repr(iterable), 32))

    @operator()
    def singleton(self, value: Any) -> LiveCollection:
        """A constant: a Bounded Singleton holding ``value``."""
        return self._source(N.SourceSingleton, K.singleton(Bound.BOUNDED), value=value,
                            detail=quote.shorten(reprlib.repr(value), 32))

    @operator()
    def spin(self) -> LiveCollection:
        """A self-driving loop: an Unbounded Stream with one ``None`` per tick, forever."""
        return self._source(N.Spin, K.stream(Bound.UNBOUNDED))

    @operator()
    def source_interval(self, seconds: float, nondet: NonDet | None = None) -> LiveCollection:
        """A ``None`` every ``seconds`` seconds. Needs ``nondet``: timer firings are real time."""
        seconds = _positive_seconds(seconds)
        info = self._check_nondet(nondet)
        return self._source(N.SourceInterval, K.stream(Bound.UNBOUNDED), seconds=seconds,
                            nondet_info=info, detail=f"{seconds:g}s")

    @operator()
    def source_stream(self, source: Any, *, buffer: int = 10_000) -> LiveCollection:
        """A live Python source as an Unbounded, TotalOrder Stream (Hydro's ``source_stream``):
        the items arrive in the source's order, each exactly once, as the flow runs.

        ``source`` is any iterable (a generator, a list, a file, a client library's consumer),
        an async iterable (an async generator), or a function with no arguments returning one
        (``lambda: tail("app.log")``). Each instance (each member of a cluster) reads its own:
        a function is called once per instance, a re-iterable is iterated once per instance.
        A generator or iterator object can be read by one instance only, in this process: on
        Ray, or on a cluster of several members, pass the function that makes it.

        The source is read on a thread of its own beside the instance (an async iterable runs
        on an event loop in that thread), so a slow source never holds up a tick: each tick
        takes the items that are ready, in one batch. At most ``buffer`` items (10,000 by
        default) wait for a tick; when that many wait, the reader stops pulling from the source
        until a tick takes them (backpressure). A source that ends closes its stream: no more
        items arrive, as when Hydro's ``source_iter`` is exhausted. A source that raises stops
        the deployment with a ``HydroRuntimeError`` naming the line of the source that raised.
        When the deployment stops, a reader stops at the source's next item (an async source is
        cancelled at once); a restarted member calls a source function anew. Inside the source,
        ``hydro_lab.self_id()`` is the reading member's id. The simulator does not read live
        sources (use ``sim_input`` in simulator tests).

        Examples
        --------
        >>> import itertools, random
        >>> def requests():
        ...     for i in itertools.count():
        ...         yield {"path": random.choice(["/", "/login"]), "ms": random.random() * 50}
        >>> flow = FlowBuilder()
        >>> server = flow.process("server")
        >>> per_path = (server.source_stream(requests)
        ...             .map(lambda r: (r["path"], 1)).into_keyed()
        ...             .fold(lambda: 0, lambda n, _: n + 1))
        """
        if isinstance(buffer, bool) or not isinstance(buffer, int) or buffer < 1:
            raise rule_error("source_stream", f"buffer must be a positive int, got {buffer!r}",
                             "source_stream(gen, buffer=10_000)")
        if callable(source) and not (hasattr(source, "__iter__") or hasattr(source, "__aiter__")):
            closure = quote.capture(source, op="source_stream", role="the source function",
                                    arity=0, example="source_stream(lambda: my_generator())")
            return self._source(N.SourceStream, K.stream(Bound.UNBOUNDED), source=closure,
                                buffer=buffer, detail=closure.label)
        if not (hasattr(source, "__iter__") or hasattr(source, "__aiter__")):
            raise rule_error(
                "source_stream", f"expects an iterable, an async iterable or a function "
                f"returning one, got {type(source).__name__} {source!r:.40}",
                "pass a generator (source_stream(events())), an async generator, or the "
                "function that makes one (source_stream(events))")
        if hasattr(source, "gi_frame") or hasattr(source, "ag_frame"):  # a generator object
            detail = f"{source.__name__}()"
        else:
            detail = quote.shorten(reprlib.repr(source), 32)
        return self._source(N.SourceStream, K.stream(Bound.UNBOUNDED), source=source,
                            buffer=buffer, detail=detail)

    @operator()
    def source_cluster_members(self, cluster: Cluster) -> LiveCollection:
        """Membership of ``cluster`` as a KeyedStream ``MemberId -> MembershipEvent``."""
        if not isinstance(cluster, Cluster) or cluster._ctx is not self._ctx:
            raise rule_error("source_cluster_members", f"expects a Cluster of this flow, got "
                             f"{cluster!r:.40}", "pass a cluster made by flow.cluster(name)")
        return self._source(
            N.ClusterMembers,
            K.keyed_stream(Bound.UNBOUNDED, key_cluster=cluster.name), cluster=cluster._id,
            detail=cluster.name,
        )

    @operator()
    def source_external(self, external: External, codec: Any = "pickle", *,
                        order: Order = Order.TOTAL_ORDER,
                        retries: Retries = Retries.EXACTLY_ONCE) -> tuple[ExternalPort, Any]:
        """An input port: ``(port, Stream)``. A client connects with ``d.connect(port)`` and its
        ``send(x)`` calls arrive here in order (or with the ``order``/``retries`` declared)."""
        return self._external_input(_check_external(self, external), codec, order, retries)

    def _external_input(self, ext: ExternalId, codec: Any, order: Any, retries: Any
                        ) -> tuple[ExternalPort, Any]:
        """The port and Stream of an input port from ``ext`` (``source_external`` and
        ``sim_input``: errors name the operator the user called)."""
        op = current_op()
        codec = resolve_codec(codec, op=op)
        kind = K.stream(Bound.UNBOUNDED, _enum(Order, order, "order"),
                        _enum(Retries, retries, "retries"))
        key = self._ctx.graph.new_key()
        stream = self._source(N.ExternalInput, kind, port=key, external=ext, codec=codec,
                              mode="single", detail=f"port {key}")
        port = ExternalPort(self._ctx, PortInfo(
            key=key, external=ext, location=self._id, direction="in", codec=codec,
            input_node=stream.node_id, created_at=current_site()))
        return port, stream

    @operator()
    def source_external_bincode(self, external: External, *, order: Order = Order.TOTAL_ORDER,
                                retries: Retries = Retries.EXACTLY_ONCE
                                ) -> tuple[ExternalPort, Any]:
        """Alias of ``source_external(external)`` (Hydro's older name): ``(port, Stream)``,
        read with pickle, Python's counterpart of bincode."""
        return self.source_external(external, order=order, retries=retries)

    @operator()
    def bidi_external(self, external: External, codec: Any = "pickle") -> BidiExternal:
        """A many-client port in both directions (Hydro's ``bidi_external_many``).

        Returns ``(port, messages, events, replies)``: ``messages`` is a KeyedStream
        ``client_id -> message`` (each client's messages in order), ``events`` a KeyedStream
        ``client_id -> MembershipEvent`` (connect / disconnect), and ``replies`` a handle to
        complete with a KeyedStream ``client_id -> reply``. Every ``d.connect(port)`` is a new
        client.
        """
        ext = _check_external(self, external)
        codec = resolve_codec(codec, op="bidi_external")
        key = self._ctx.graph.new_key()
        messages = self._source(
            N.ExternalInput, K.keyed_stream(Bound.UNBOUNDED), port=key, external=ext,
            codec=codec, mode="many", detail=f"port {key}",
        )
        events = self._source(
            N.ExternalInput, K.keyed_stream(Bound.UNBOUNDED), port=key, external=ext,
            codec=codec, mode="events", detail=f"port {key} events",
        )
        info = PortInfo(key=key, external=ext, location=self._id, direction="bidi",
                        codec=codec, input_node=messages.node_id, events_node=events.node_id,
                        many_clients=True, created_at=current_site())
        port = ExternalPort(self._ctx, info)
        return BidiExternal(port, messages, events, ExternalReplies(self._ctx, port))

    @operator()
    def sim_input(self, *, order: Order = Order.TOTAL_ORDER,
                  retries: Retries = Retries.EXACTLY_ONCE) -> tuple[ExternalPort, Any]:
        """An input port for simulator tests: ``(port, Stream)``; in a test body
        ``inst.connect(port)`` gives a handle with ``send``/``send_many``/
        ``send_many_unordered``. It is an external port of an implicit client named ``sim``, so
        a deployment can drive a process's port too.

        On a cluster (Hydro's ``Cluster::sim_input``) every member receives its own Stream, and
        the test says which member gets each message: ``send(member, x)``,
        ``send_many([(member, x), ...])``; only the simulator connects to a cluster's port.

        Examples
        --------
        >>> flow = FlowBuilder()
        >>> workers = flow.cluster("workers")
        >>> port, numbers = workers.sim_input()
        >>> out = numbers.map(lambda x: x * 10).sim_output()
        >>> def body(inst):
        ...     sender, received = inst.connect(port), inst.connect(out)
        ...     sender.send(1, 7)  # member 1 gets 7
        ...     assert received.next(1) == 70
        >>> flow.sim(cluster_sizes={workers: 2}).exhaustive(body)
        1
        """
        return self._external_input(_sim_external(self)._id, "pickle", order, retries)

    @operator()
    def forward_ref(self, kind: Any = "Stream", *, bound: Bound = Bound.UNBOUNDED,
                    order: Order = Order.TOTAL_ORDER,
                    retries: Retries = Retries.EXACTLY_ONCE) -> tuple[Any, LiveCollection]:
        """``(handle, collection)``: use the collection now, ``handle.complete(c)`` it later.

        The completion must not depend on the reference synchronously (in the same tick): a
        cycle needs a network hop or a tick delay. Declare the kind and guarantees the completing
        collection will have; it may be stronger, not weaker.
        """
        return cycles.forward_ref(self, kind, bound=bound, order=order, retries=retries)


class Process(Location):
    """One instance running one program."""


class Cluster(Location):
    """N members running the same program; N is chosen at deploy or simulation time."""

    @operator()
    def self_id(self) -> LiveCollection:
        """The running member's own MemberId, as a Bounded Singleton (Hydro's CLUSTER_SELF_ID).

        Combine it with ``cross_singleton``; inside a closure running on the cluster,
        ``hydro_lab.self_id()`` gives the same id.

        Examples
        --------
        >>> flow = FlowBuilder()
        >>> workers = flow.cluster("workers")
        >>> tagged = workers.source_iter(["ready"]).cross_singleton(workers.self_id())
        """
        return self._source(N.SelfId, K.singleton(Bound.BOUNDED, elem_cluster=self.name),
                            cluster=self._id)

    @operator()
    def members(self) -> LiveCollection:
        """Membership of this cluster, seen from its own members: a KeyedStream
        ``MemberId -> MembershipEvent``, ``JOINED`` for every member when the flow starts (and
        on a restart), ``LEFT`` when one is killed or crashes. ``source_cluster_members`` gives
        the same at another location. The cluster's size is the number of members whose last
        event is ``JOINED``: ``members().reduce(lambda old, new: new)``, snapshot in a tick,
        ``filter(lambda e: e == MembershipEvent.JOINED).key_count()``."""
        return self.source_cluster_members(self)


class External(_Handle):
    """A client outside the flow (the notebook, a test, a script); it talks through ports."""

    @property
    def name(self) -> str:
        """The name given to ``flow.external(name)``."""
        return self._id.name

    def __getattr__(self, attr: str) -> Any:
        if attr in _LOCATION_METHODS:
            if attr == "sim_input":
                fix = ("open simulator ports on a process or cluster: loc.sim_input() for input, "
                       "stream.sim_output() for output.")
            else:
                fix = (f"create ports on a process: loc.source_external({self._id.name}) for "
                       f"input, stream.send_external({self._id.name}) for output.")
            raise HydroTypeError(
                f"{attr}: External {self._id.name!r} has no live collections of its own; it is a "
                f"client outside the flow.\n  Fix: {fix}",
                op=attr,
            )
        raise no_attribute(self, attr)


_LOCATION_METHODS = {
    "tick", "source_iter", "source_stream", "singleton", "spin", "source_interval",
    "forward_ref", "source_external", "bidi_external", "sim_input", "self_id", "members",
    "source_cluster_members",
}


class Tick(_Handle):
    """A logical clock at a process or cluster. Collections inside it are Bounded per tick."""

    _id: TickId

    @property
    def outer(self) -> Location:
        """The process or cluster this tick runs at."""
        return self._ctx.handle(self._id.outer)

    @property
    def name(self) -> str:
        """The tick's name in graphs and traces (made up from its id)."""
        return self._id.name

    @operator()
    def tick(self) -> Tick:
        """Ticks do not nest: create ticks on ``tick.outer``."""
        raise rule_error("tick", f"ticks do not nest ({self._id.describe()})",
                         "create ticks on the process or cluster: tick.outer.tick()")

    @operator()
    def spin_batch(self, n: int) -> LiveCollection:
        """``n`` unit elements (``None``) every tick: a self-driving batch loop."""
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise rule_error("spin_batch", f"n must be a positive int, got {n!r}",
                             "spin_batch(1024)")
        spin = self._source(N.Spin, K.stream(Bound.UNBOUNDED), location=self._id.outer,
                            op="spin")
        units = spin._new(N.FlatMap, K.stream(Bound.UNBOUNDED), detail=f"{n} units",
                          input=spin.node_id, f=quote.builtin(_Repeat(n), f"{n} units"),
                          op="flat_map")
        info = N.NonDetInfo("spin produces one value per tick, so every batch holds exactly "
                            f"{n} units", current_site())
        return units._new(N.Batch, K.stream(Bound.BOUNDED), location=self._id,
                          input=units.node_id, nondet_info=info, detail=f"{n} per tick")

    @operator()
    def singleton(self, value: Any) -> LiveCollection:
        """The constant ``value`` in every tick."""
        return self._source(N.SourceSingleton, K.singleton(Bound.BOUNDED), value=value,
                            detail=quote.shorten(reprlib.repr(value), 32))

    @operator()
    def none(self) -> LiveCollection:
        """An Optional that is empty in every tick."""
        return self._source(N.SourceNone, K.optional(Bound.BOUNDED))

    @operator()
    def optional_first_tick(self, value: Any) -> LiveCollection:
        """An Optional holding ``value`` in the first tick only."""
        return self._source(N.SourceSingleton, K.optional(Bound.BOUNDED), value=value,
                            first_tick_only=True, detail=quote.shorten(reprlib.repr(value), 32))

    @operator()
    def cycle(self, kind: Any = "Stream", *, order: Order = Order.TOTAL_ORDER,
              retries: Retries = Retries.EXACTLY_ONCE) -> tuple[Any, LiveCollection]:
        """``(handle, prev)``: ``prev`` in tick t is what ``handle.complete_next_tick(c)`` got in
        tick t-1 (empty in tick 0)."""
        return cycles.tick_cycle(self, kind, order=order, retries=retries, initial=None)

    @operator()
    def cycle_with_initial(self, initial: Any) -> tuple[Any, LiveCollection]:
        """Like :meth:`cycle`, but tick 0 sees ``initial`` (a collection in this tick, or a plain
        value, which becomes ``tick.singleton(value)``)."""
        if not isinstance(initial, LiveCollection):
            initial = self.singleton(initial)
        return cycles.tick_cycle(self, initial.KIND, order=initial.order,
                                 retries=initial.retries, initial=initial)

    @operator()
    def forward_ref(self, kind: Any = "Stream", *, order: Order = Order.TOTAL_ORDER,
                    retries: Retries = Retries.EXACTLY_ONCE) -> tuple[Any, LiveCollection]:
        """A same-tick forward reference; a cycle through it needs a ``defer_tick()``."""
        return cycles.forward_ref(self, kind, bound=Bound.BOUNDED, order=order, retries=retries)


class Atomic(_Handle):
    """An atomic region tied to a tick: outputs leave it only after their tick finished."""

    _id: AtomicId

    @property
    def tick(self) -> Tick:
        """The tick this atomic region is tied to."""
        return self._ctx.handle(self._id.tick_id)

    @property
    def outer(self) -> Location:
        """The process or cluster the region is at."""
        return self._ctx.handle(self._id.root)

    @property
    def name(self) -> str:
        """The region's name in graphs and traces."""
        return self._id.name


class ExternalPort:
    """A port an external client connects to with ``d.connect(port)`` (in the simulator:
    ``inst.connect(port)``). ``key`` is its number, unique in the flow."""

    def __init__(self, ctx: BuildContext, info: PortInfo):
        self._ctx = ctx
        self.key = info.key
        ctx.graph.ports[info.key] = info

    @property
    def info(self) -> PortInfo:
        """Everything the IR records about the port (a ``PortInfo``)."""
        return self._ctx.graph.ports[self.key]

    @property
    def direction(self) -> str:
        """``"in"`` (``source_external``), ``"out"`` (``send_external``) or ``"bidi"``
        (``bidi_external``)."""
        return self.info.direction

    @property
    def codec(self) -> Any:
        """The codec both ends of the port use (``codec=``; pickle by default)."""
        return self.info.codec

    def __repr__(self) -> str:
        i = self.info
        return (f"<ExternalPort {i.key} ({i.direction}) {i.external.name} <-> "
                f"{i.location.describe()}>")


class ExternalReplies:
    """Completes the output side of a :meth:`Location.bidi_external` port."""

    def __init__(self, ctx: BuildContext, port: ExternalPort):
        self._ctx = ctx
        self._port = port

    @operator()
    def complete(self, replies: LiveCollection) -> None:
        """Send ``replies`` (a KeyedStream ``client_id -> reply``) to each client."""
        info = self._port.info
        if info.output_node is not None:
            raise rule_error("complete", "the replies of this port were already completed",
                             "complete each bidi_external port's replies exactly once")
        if not isinstance(replies, LiveCollection) or replies.KIND is not Kind.KEYED_STREAM:
            raise rule_error("complete", f"replies must be a KeyedStream client_id -> reply, got "
                             f"{type(replies).__name__}",
                             "key each reply by the client id it answers, then .into_keyed()")
        if replies._loc != info.location:
            raise rule_error("complete", f"replies live at {replies._loc.describe()}, but the "
                             f"port is at {info.location.describe()}",
                             "send the replies to the port's location first")
        node = replies._root(N.SendExternal, input=replies.node_id, port=info.key,
                             external=info.external, codec=info.codec, keyed=True)
        self._ctx.graph.ports[info.key] = replace(info, output_node=node.id)


class BidiExternal(NamedTuple):
    """What :meth:`Location.bidi_external` returns; unpack it as
    ``port, messages, events, replies = server.bidi_external(clients)``.

    ``port`` is what clients connect to (each ``d.connect(port)`` is a new client with its own
    id); ``messages`` a KeyedStream ``client_id -> message``; ``events`` a KeyedStream
    ``client_id -> MembershipEvent`` (``JOINED`` on connect, ``LEFT`` on ``close()``);
    ``replies`` the :class:`ExternalReplies` to ``complete`` with a KeyedStream
    ``client_id -> reply``.
    """

    port: ExternalPort
    messages: Any
    events: Any
    replies: ExternalReplies


class _Repeat:
    """``n`` unit values (the flat_map behind ``spin_batch``); a class so it pickles by value."""

    def __init__(self, n: int):
        self.n = n

    def __call__(self, _: Any) -> list[None]:
        return [None] * self.n

    def __repr__(self) -> str:
        return f"repeat({self.n})"


def _positive_seconds(seconds: Any) -> float:
    op = current_op()
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise rule_error(op, f"the interval must be a positive number of seconds, got "
                         f"{seconds!r}", f"{op}(1.0, ...) for one second")
    return float(seconds)


def _enum(enum_cls: type, value: Any, name: str) -> Any:
    if isinstance(value, enum_cls):
        return value
    article = "an" if enum_cls.__name__[0] in "AEIOU" else "a"
    raise rule_error(current_op(), f"{name}= must be {article} {enum_cls.__name__}, got {value!r}",
                     f"use one of {', '.join(f'{enum_cls.__name__}.{m.name}' for m in enum_cls)}")


def _sim_external(loc: Any) -> External:
    """The implicit external client of ``sim_input``/``sim_output`` ports (one per flow)."""
    ctx = loc._ctx
    handle = ctx.names.get("sim")
    if isinstance(handle, External):
        return handle
    if handle is not None:
        raise rule_error(current_op(), "sim_input/sim_output use an external client named "
                         "'sim', but this flow has a location of that name",
                         "rename that location")
    ext_id = ctx.graph.add_location(ExternalId(ctx.graph.new_key(), "sim"))
    handle = External(ctx, ext_id)
    ctx.names["sim"] = handle
    return handle


def _check_external(loc: Location, external: Any) -> ExternalId:
    op = current_op()
    if isinstance(loc._id, ClusterId):
        raise rule_error(op, f"external ports attach to a process, but {loc._id.describe()} is a "
                         "cluster", "open the port on a process and forward to the cluster "
                         "with .broadcast(...), .demux(...) or .round_robin(...)")
    if not isinstance(external, External):
        raise rule_error(op, f"expects an External, got {type(external).__name__} "
                         f"{external!r:.40}", 'create one with flow.external("client")')
    if external._ctx is not loc._ctx:
        raise rule_error(op, "the External belongs to a different FlowBuilder",
                         "create it from the same flow")
    return external._id


__all__ = [
    "Atomic", "BidiExternal", "Cluster", "External", "ExternalPort", "ExternalReplies",
    "Location", "Process", "Tick",
]
