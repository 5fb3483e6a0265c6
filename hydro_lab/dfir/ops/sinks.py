"""Sinks: side effects and output ports (network and external sends go through ``dest_port``,
whose batches the driver takes after each tick)."""

from __future__ import annotations

from hydro_lab.dfir.ops.base import OpSpec, register


def _for_each(gen, op, v):
    gen.line(gen.call(op, op.args["f"], [v]), op)
    return None, 0


def _dest_sink(gen, op, v):
    sink = op.args["sink"]
    method = next(m for m in ("append", "put", "send") if callable(getattr(sink, m, None)))
    push = gen.bind("sink", getattr(sink, method))
    gen.line(f"{push}({v})", op)
    return None, 0


def _dest_port(gen, op, v):
    out = gen.fresh("out")
    gen.pre(f"{out} = {gen.rt('O')}.port({op.args['port']!r}).append")
    if op.args.get("stamp"):
        # who and when, for a driver that must tell instances and ticks apart (watched values):
        # the tick's time is the engine's clock, the one its metric rows carry
        me = gen.fresh("me")
        gen.pre(f"{me} = {gen.rt('P')}.get('self_id')")
        gen.line(f"{out}(({me}, tick, now, {v}))", op)
    else:
        gen.line(f"{out}({v})", op)
    return None, 0


register(OpSpec("for_each", "sink", ports=1, push=_for_each, doc="Calls f(x) for every element."))
register(OpSpec("dest_sink", "sink", ports=1, push=_dest_sink,
                doc="Pushes every element into a sink (append / put / send)."))
register(OpSpec("dest_port", "sink", ports=1, push=_dest_port,
                doc="Collects elements for an output port (network or external); with "
                    "stamp=True each leaves as (self_id parameter or None, tick, the tick's "
                    "time, element)."))
