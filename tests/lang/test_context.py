"""``hydro_lab/lang/context.py``: ``BuildContext.checkpoint``/``rollback`` (with the IR builder's)
take a flow back to an earlier point exactly, whatever was built, named, completed or filled in
since; a refused operator call leaves nothing behind."""

from __future__ import annotations

import copy

import pytest

from hydro_lab import FlowBuilder, HydroTypeError


def state(flow: FlowBuilder) -> dict:
    """Every attribute of the flow's context and IR builder, copied one level deep."""
    ctx = flow._ctx
    return {(owner, k): copy.copy(v) for owner, obj in (("ctx", ctx), ("graph", ctx.graph))
            for k, v in vars(obj).items() if k != "graph"}


def test_rollback_restores_every_attribute_of_the_context_and_the_builder():
    flow = FlowBuilder()
    p, q = flow.process("p"), flow.process("q")
    clients = flow.external("clients")
    nums = p.source_iter([1, 2, 3])
    handle, loop = p.forward_ref()
    _port, messages, _events, replies = p.bidi_external(clients)
    ctx = flow._ctx
    before = state(flow)
    mark = ctx.checkpoint()
    nums.ir_node_named("numbers")                   # replaces an earlier node
    flow.process("r").source_iter([4]).send_bincode(q).for_each(print)  # a channel number
    handle.complete(loop.map(str))                  # completes an earlier cycle
    replies.complete(messages)                      # fills in an earlier port
    p.tick().forward_ref()                          # a tick handle, a new cycle
    ctx.graph.remove([nums.node_id])
    assert state(flow) != before
    ctx.rollback(mark)
    assert state(flow) == before
    assert flow.process("r").name == "r"  # the name is free again


def test_a_refused_call_leaves_the_context_and_the_builder_as_they_were():
    flow = FlowBuilder()
    spun = flow.process("p").spin().map(lambda _: 1).weaken_ordering()
    before = state(flow)
    with pytest.raises(HydroTypeError, match="NoOrder"):
        spun.reduce(lambda a, b: a + b)  # not declared commutative
    assert state(flow) == before
