"""One lowering rule per IR node type: ``LOWERINGS[ir.Fold] = _lower_fold`` and so on.

Persistence follows Hydro's lowering: a stateful operator at the top level (not in a tick) keeps
its state forever (``'static``) when it reads a stream; inside a tick, or when it reads a value
that is re-emitted every tick (a singleton or keyed singleton), its state lasts one tick.
``test_lower`` checks that every IR node type has a rule.
"""

from __future__ import annotations

from collections.abc import Callable

from hydro_lab.errors import HydroTypeError
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Kind, Order, Retries
from hydro_lab.ir.locations import AtomicId, ClusterId, ProcessId
from hydro_lab.lower.context import (
    ChannelSpec,
    LowerContext,
    Ref,
    StreamSource,
    replayed,
    top_level,
    user_fn,
)
from hydro_lab.lower.ports import ClientPort, MembersPort, SinkPort, SourcePort

Rule = Callable[[LowerContext, N.Node], "Ref | None"]
LOWERINGS: dict[type[N.Node], Rule] = {}


def lowering(*types: type[N.Node]) -> Callable[[Rule], Rule]:
    def register(rule: Rule) -> Rule:
        for t in types:
            LOWERINGS[t] = rule
        return rule

    return register


def _life(ctx: LowerContext, node: N.Node, input_id: int) -> str:
    """'static for a top-level operator reading a stream, else 'tick."""
    return "static" if top_level(node) and not replayed(ctx.kind_of(input_id)) else "tick"


# -- sources ---------------------------------------------------------------------------------------

@lowering(N.SourceIter)
def _lower_source_iter(ctx, node):
    it = node.iterable
    return Ref(ctx.add(node, "source_iter",
                       iterable=user_fn(it) if isinstance(it, N.Closure) else it).id)


@lowering(N.SourceSingleton)
def _lower_singleton(ctx, node):
    return Ref(ctx.add(node, "singleton", value=node.value,
                       first_tick_only=node.first_tick_only).id)


@lowering(N.SourceNone)
def _lower_none(ctx, node):
    return Ref(ctx.add(node, "null").id)


@lowering(N.Spin)
def _lower_spin(ctx, node):
    return Ref(ctx.add(node, "spin").id)


@lowering(N.SourceInterval)
def _lower_interval(ctx, node):
    return Ref(ctx.add(node, "source_interval", seconds=node.seconds).id)


@lowering(N.SourceStream)
def _lower_source_stream(ctx, node):
    """The items reach the program on a ``SourcePort`` the driver of each instance fills from
    its reader of the source (``deploy.sources``). The simulator has no real time to read a
    live source in, so a simulated flow refuses it."""
    if ctx.sim:
        where = node.meta.source.where_with_code() if node.meta.source else None
        raise HydroTypeError(
            f"source_stream: the simulator cannot read a live Python source ({node.meta.detail}):"
            " its items arrive in real time, which a simulated execution does not have.\n"
            "  Fix: in simulator tests feed the same items through an input port: "
            "port, events = loc.sim_input(), then inst.connect(port).send_many(items) in the "
            "test body (build the flow with a parameter that picks source_stream when deployed "
            "and sim_input when simulated)", op="source_stream", where=where)
    port = SourcePort.of(node.id)
    src = node.source
    call = isinstance(src, N.Closure)
    ctx.sources[port] = StreamSource(src.fn if call else src, call, node.meta.location,
                                     node.buffer, ctx.origin(node))
    return Ref(ctx.add(node, "source_stream", port=port).id)


@lowering(N.ClusterMembers)
def _lower_members(ctx, node):
    return Ref(ctx.add(node, "source_stream", port=MembersPort.of(node.cluster.name)).id)


@lowering(N.SelfId)
def _lower_self_id(ctx, node):
    return Ref(ctx.add(node, "param", name="self_id").id)


@lowering(N.ExternalInput)
def _lower_external_input(ctx, node):
    return Ref(ctx.add(node, "source_stream", port=ClientPort.of(node.port, node.mode)).id)


@lowering(N.CycleSource)
def _lower_cycle_source(ctx, node):
    if node.cycle == "forward":
        op = ctx.add(node, "identity")
        ctx.forward_targets[node.ident] = (node.meta.location.root, op.id)
        return Ref(op.id)
    kind = node.meta.kind.kind
    mode = "plain"
    if node.initial is not None:
        mode = "stream" if kind is Kind.STREAM else "singleton"
    op = ctx.add(node, "cycle_source", mode=mode)
    ctx.tick_targets[node.ident] = (node.meta.location.root, op.id)
    if node.initial is not None:
        ctx.connect(node, ctx.refs[node.initial], op, 1)
    return Ref(op.id)


# -- element-wise ----------------------------------------------------------------------------------

@lowering(N.Map, N.Filter, N.FilterMap, N.FlatMap, N.Inspect)
def _lower_elementwise(ctx, node):
    op = {N.Map: "map", N.Filter: "filter", N.FilterMap: "filter_map", N.FlatMap: "flat_map",
          N.Inspect: "inspect"}[type(node)]
    return ctx.feed(node, op, f=user_fn(node.f), on=node.on)


@lowering(N.Enumerate)
def _lower_enumerate(ctx, node):
    return ctx.feed(node, "enumerate", persistence=_life(ctx, node, node.input))


@lowering(N.Scan)
def _lower_scan(ctx, node):
    return ctx.feed(node, "scan", persistence=_life(ctx, node, node.input),
                    init=user_fn(node.init), f=user_fn(node.f), keyed=node.keyed)


@lowering(N.Unique)
def _lower_unique(ctx, node):
    return ctx.feed(node, "unique", persistence=_life(ctx, node, node.input))


@lowering(N.Sort)
def _lower_sort(ctx, node):
    return ctx.feed(node, "sort")


@lowering(N.Persist)
def _lower_persist(ctx, node):
    return ctx.feed(node, "persist", persistence="static")


@lowering(N.Cast)
def _lower_cast(ctx, node):
    """Free, except where a value re-emitted every tick becomes a stream at the top level: a
    keyed singleton's entries are passed once each (``unique``), a constant once (``once``)."""
    src_kind = ctx.kind_of(node.input).kind
    dst_kind = node.meta.kind.kind
    if top_level(node) and replayed(ctx.kind_of(node.input)) and dst_kind.is_stream:
        if src_kind is Kind.KEYED_SINGLETON:
            return ctx.feed(node, "unique", persistence="static")
        return ctx.feed(node, "once", persistence="static")
    return ctx.input(node)


@lowering(N.YieldConcat, N.BeginAtomic, N.EndAtomic)
def _lower_free(ctx, node):
    """No run-time work: a DFIR tick is the tick of every Hydro tick at a location, and an
    atomic region's outputs leave when its tick does. In a simulation, a stream entering an
    atomic region enters its tick: which elements a tick processes is a decision, as a batch's
    is (Hydro's simulator runs an atomic region in its tick's program, fed from the top level;
    its count for sim_atomic_assume_ordering_cycle_back, 22, is reached this way)."""
    if ctx.sim and isinstance(node, N.BeginAtomic):
        kind = ctx.kind_of(node.input)
        if kind.kind.is_stream:
            return ctx.feed(node, "sim_batch", mode=_batch_mode(kind))
    return ctx.input(node)


def _batch_mode(kind) -> str:
    """How a simulated batch releases: any subset (NoOrder), or a prefix (per key for a keyed
    stream)."""
    if kind.order.value == "NoOrder":
        return "subset"
    return "keyed_prefix" if kind.kind is Kind.KEYED_STREAM else "prefix"


@lowering(N.Batch)
def _lower_batch(ctx, node):
    """Free in a deployment (a tick's batch is what arrived in it). In a simulation a decision
    point: which elements enter this tick (``sim_batch``), or which version of a value a snapshot
    sees (``sim_snapshot``). Deterministic entries stay free: a snapshot of an atomic region (it
    sees every update whose output left), ``spin_batch``'s one spin per tick, ``clone_into_tick``
    of a Bounded value (one version) and ``across_ticks``' return from the tick's own atomic
    region (exactly what this tick produced)."""
    src = ctx.program.nodes[node.input]
    if ctx.sim and node.meta.op == "clone_into_tick":
        # its one version enters the tick in tick 0: work of that tick, so tick 0 may release
        # nothing from its batches (Hydro's sim_top_level_singleton_join_count counts that)
        entering = ctx.graph(node).operators.get(ctx.input(node).op)
        if entering is not None:
            entering.args["enters_tick_0"] = True
    if not ctx.sim or node.meta.op in ("spin_batch", "across_ticks", "clone_into_tick") or (
            isinstance(src.meta.location, AtomicId) and replayed(src.meta.kind)):
        return ctx.input(node)
    kind = src.meta.kind
    if kind.kind is Kind.KEYED_SINGLETON and node.meta.op == "batch":
        new_entries = ctx.feed(node, "unique", persistence="static")
        op = ctx.add(node, "sim_batch", mode="subset")
        ctx.connect(node, new_entries, op)
        return Ref(op.id)
    if replayed(kind):
        acc = _aggregation_of(ctx, node)
        if acc is None:
            return ctx.feed(node, "sim_snapshot")
        acc.args["versions"] = True  # its snapshot may see every value it takes
        return ctx.feed(node, "sim_snapshot", acc=acc.id)
    return ctx.feed(node, "sim_batch", mode=_batch_mode(kind))


def _aggregation_of(ctx, node):
    """The accumulator of the top-level fold/reduce a snapshot reads directly, if it does."""
    ref = ctx.input(node)
    graph = ctx.graph(node)
    emit = graph.operators.get(ref.op)
    if ref.delay or emit is None or emit.op != "emit":
        return None
    acc = graph.operators[emit.args["acc"]]
    return acc if acc.op in ("fold", "reduce", "fold_keyed", "reduce_keyed") and \
        acc.persistence == "static" else None


@lowering(N.ObserveNonDet)
def _lower_observe(ctx, node):
    """Free in a deployment; in a simulation an assumed order is a decision (``sim_permute``).
    Inside a tick (or an atomic region) the tick's elements are ordered at once, a keyed
    stream's within each key's group only (its order across keys is not promised, so
    orderings that differ only across keys are one execution); at the top level the elements
    are observed one at a time (``one_at_a_time``), so an element fed back through a cycle can
    come before ones still waiting, as in Hydro's simulator."""
    src_kind = ctx.kind_of(node.input)
    if ctx.sim and src_kind.order.value == "NoOrder" and \
            node.meta.kind.order.value == "TotalOrder":
        outside = isinstance(node.meta.location, (ProcessId, ClusterId))
        keyed = src_kind.kind is Kind.KEYED_STREAM and not outside
        return ctx.feed(node, "sim_permute", keyed=keyed, one_at_a_time=outside)
    return ctx.input(node)


@lowering(N.DeferTick)
def _lower_defer_tick(ctx, node):
    ref = ctx.input(node)
    if ref.delay:  # deferring twice: the first deferral needs an operator of its own
        mid = ctx.add(node, "identity", label="defer_tick()")
        ctx.connect(node, ref, mid)
        ref = Ref(mid.id)
    return Ref(ref.op, delay=True)


@lowering(N.Tee)
def _lower_tee(ctx, node):
    return ctx.feed(node, "tee", label="tee()")


# -- combining -------------------------------------------------------------------------------------

@lowering(N.Chain)
def _lower_chain(ctx, node):
    op = "union" if node.meta.kind.order.value == "NoOrder" else "chain"
    return ctx.feed(node, op, inputs=("first", "second"))


@lowering(N.ChainFirst)
def _lower_chain_first(ctx, node):
    return ctx.feed(node, "chain_first", inputs=("first", "second"))


def _sides(ctx, node, left: int, right: int) -> tuple[str, str]:
    return _life(ctx, node, left), _life(ctx, node, right)


@lowering(N.CrossProduct)
def _lower_cross_product(ctx, node):
    return ctx.feed(node, "cross_join", inputs=("left", "right"),
                    lifetimes=_sides(ctx, node, node.left, node.right))


@lowering(N.Join)
def _lower_join(ctx, node):
    return ctx.feed(node, "join", inputs=("left", "right"),
                    lifetimes=_sides(ctx, node, node.left, node.right))


@lowering(N.CrossSingleton)
def _lower_cross_singleton(ctx, node):
    keyed = ctx.kind_of(node.input).kind is Kind.KEYED_STREAM
    return ctx.feed(node, "cross_singleton", inputs=("input", "singleton"), keyed=keyed)


@lowering(N.Difference, N.AntiJoin)
def _lower_difference(ctx, node):
    op = "difference" if isinstance(node, N.Difference) else "anti_join"
    return ctx.feed(node, op, inputs=("input", "neg"),
                    lifetimes=_sides(ctx, node, node.input, node.neg))


@lowering(N.FilterIf)
def _lower_filter_if(ctx, node):
    return ctx.feed(node, "filter_if", inputs=("input", "signal"), when_some=node.when_some)


# -- aggregations ----------------------------------------------------------------------------------

_ACC = {N.Fold: "fold", N.Reduce: "reduce", N.FoldKeyed: "fold_keyed",
        N.ReduceKeyed: "reduce_keyed", N.ReduceKeyedWatermark: "reduce_keyed",
        N.FoldKeyedEarlyStop: "fold_keyed_early_stop"}


@lowering(*_ACC)
def _lower_aggregation(ctx, node):
    """An accumulating sink fused into the producer, and an emitting source reading it."""
    life = _life(ctx, node, node.input)
    args = {"f": user_fn(node.f)}
    if hasattr(node, "init"):
        args["init"] = user_fn(node.init)
    acc = ctx.add(node, _ACC[type(node)], persistence=life, **args)
    ctx.connect(node, _claim_point(ctx, node, ctx.input(node)), acc)
    graph = ctx.graph(node)
    if isinstance(node, N.ReduceKeyedWatermark):
        emit = ctx.add(node, "emit_watermark", acc=acc.id)
        ctx.connect(node, ctx.input(node, "watermark"), emit)
    else:
        emit = ctx.add(node, "emit", acc=acc.id)
    graph.reference(acc.id, emit.id)
    return Ref(emit.id)


def _claim_point(ctx, node, ref: Ref) -> Ref:
    """In a simulation that checks claims: the aggregation's input goes through a
    ``sim_claim`` that reorders it (a ``commutative=`` claim on NoOrder input) and duplicates
    elements (an ``idempotent=`` claim on AtLeastOnce input), as the claim says is harmless. Only
    the user's claims, and only where the input needs them; hydro_lab's own (count, max, ...)
    hold by construction."""
    if not ctx.check_claims or node.f.builtin:
        return ref
    kind = ctx.kind_of(node.input)
    commutative = getattr(node, "commutative", None) if kind.order is Order.NO_ORDER else None
    idempotent = getattr(node, "idempotent", None) \
        if kind.retries is Retries.AT_LEAST_ONCE else None
    if commutative is None and idempotent is None:
        return ref
    claim = ctx.add(node, "sim_claim", commutative=commutative, idempotent=idempotent,
                    keyed=kind.kind is Kind.KEYED_STREAM)
    ctx.connect(node, ref, claim)
    return Ref(claim.id)


# -- time ------------------------------------------------------------------------------------------

@lowering(N.SampleEvery)
def _lower_sample_every(ctx, node):
    return ctx.feed(node, "sample_every", seconds=node.seconds)


@lowering(N.Timeout)
def _lower_timeout(ctx, node):
    return ctx.feed(node, "timeout", seconds=node.seconds)


# -- network and sinks -----------------------------------------------------------------------------

@lowering(N.Network)
def _lower_network(ctx, node):
    src = ctx.program.nodes[node.input]
    src_root, dst_root = src.meta.location.root, node.meta.location.root
    spec = ChannelSpec(node.channel, src_root, dst_root, node.mode, node.codec,
                       ctx.origin(node), tagged=isinstance(src_root, ClusterId))
    ctx.channels.append(spec)
    send = ctx.graphs[src_root].add("dest_port", port=spec.port,
                                    label=f"send {node.channel}", origin=ctx.origin(node))
    ref = ctx.refs[node.input]
    ctx.graphs[src_root].connect(ref.op, send.id, 0, "tick" if ref.delay else None)
    recv = ctx.add(node, "source_stream", port=spec.port, label=f"recv {node.channel}")
    return Ref(recv.id)


@lowering(N.ForEach)
def _lower_for_each(ctx, node):
    ctx.feed(node, "for_each", f=user_fn(node.f))


@lowering(N.DestSink)
def _lower_dest_sink(ctx, node):
    """The sink object stays with the deployment's driver (a list in a notebook keeps filling
    when instances run elsewhere): the program sends to a port the driver empties into it. A
    watch's port sends ``(member id, tick, time, value)`` per element."""
    port = SinkPort.of(node.id)
    ctx.sinks[port] = node.sink
    if node.watch:
        ctx.watches[port] = node.sink
        ctx.feed(node, "dest_port", port=port, stamp=True)
    else:
        ctx.feed(node, "dest_port", port=port)


@lowering(N.SendExternal)
def _lower_send_external(ctx, node):
    ctx.feed(node, "dest_port", port=ClientPort.of(node.port, "out"))


@lowering(N.CycleSink)
def _lower_cycle_sink(ctx, node):
    """Linked to its CycleSource once every node is lowered (``emit._link_cycles``)."""
    return None
