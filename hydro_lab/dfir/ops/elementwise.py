"""Element-wise operators, fused into their producer's loop.

``on`` says what the user function sees: the element, the value of a ``(key, value)`` pair
(``value``: the key is kept), or the whole pair (``entry``: the key is kept, the result is the new
value). Counting for metrics happens only where the output count can differ from the input's.
"""

from __future__ import annotations

from typing import Any

from hydro_lab.dfir.graph import Operator
from hydro_lab.dfir.ops.base import OpSpec, State, register
from hydro_lab.dfir.sentinels import Sentinel


def _apply(gen, op: Operator, v: str) -> tuple[str, str | None]:
    """(expression for f's result, key variable or None) for the operator's ``on`` mode."""
    on = op.args.get("on", "element")
    f = op.args["f"]
    if on == "element":
        return gen.call(op, f, [v]), None
    k, x = gen.fresh("k"), gen.fresh("x")
    gen.line(f"{k}, {x} = {v}", op)
    if on == "value":
        return gen.call(op, f, [x]), k
    return gen.call(op, f, [v]), k  # on == "entry"


def _map(gen, op, v):
    out = gen.fresh("v")
    expr, key = _apply(gen, op, v)
    gen.line(f"{out} = {expr}" if key is None else f"{out} = ({key}, {expr})", op)
    return out, 0


def _filter(gen, op, v):
    on = op.args.get("on", "element")
    if on == "value":
        x = gen.fresh("x")
        gen.line(f"{x} = {v}[1]", op)
        cond = gen.call(op, op.args["f"], [x])
    else:
        cond = gen.call(op, op.args["f"], [v])
    gen.line(f"if {cond}:", op)
    gen.code.indent()
    gen.counted(op)
    return v, 1


def _filter_map(gen, op, v):
    out = gen.fresh("v")
    expr, key = _apply(gen, op, v)
    if key is None:
        gen.line(f"{out} = {expr}", op)
        gen.line(f"if {out} is not None:", op)
    else:
        r = gen.fresh("r")
        gen.line(f"{r} = {expr}", op)
        gen.line(f"if {r} is not None:", op)
        gen.code.indent()
        gen.line(f"{out} = ({key}, {r})", op)
        gen.code.dedent()
    gen.code.indent()
    gen.counted(op)
    return out, 1


def _flat_map(gen, op, v):
    out = gen.fresh("v")
    expr, key = _apply(gen, op, v)
    if key is None:
        gen.line(f"for {out} in {expr}:", op)
        gen.code.indent()
    else:
        item = gen.fresh("i")
        gen.line(f"for {item} in {expr}:", op)
        gen.code.indent()
        gen.line(f"{out} = ({key}, {item})", op)
    gen.counted(op)
    return out, 1


def _inspect(gen, op, v):
    expr, _key = _apply(gen, op, v)
    gen.line(expr, op)
    return v, 0


def _identity(gen, op, v):
    return v, 0


for name, fn, one in (("map", _map, True), ("filter", _filter, False),
                      ("filter_map", _filter_map, False), ("flat_map", _flat_map, False),
                      ("inspect", _inspect, True)):
    register(OpSpec(name, "push", ports=1, push=fn, one_to_one=one))

register(OpSpec("identity", "push", ports=1, push=_identity, one_to_one=True,
                doc="Passes elements through (tee, casts and other zero-cost changes)."))
register(OpSpec("tee", "push", ports=1, push=_identity, one_to_one=True,
                doc="Fans every element out to each consumer."))


class CounterState(State):
    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.next = 0

    def end_tick(self) -> None:
        if not self.persistent:
            self.next = 0

    def snapshot(self):
        return self.next


def _enumerate(gen, op, v):
    st = gen.state(op)
    i = gen.fresh("n")
    gen.pre(f"{i} = {st}.next")
    gen.post(f"{st}.next = {i}")
    out = gen.fresh("v")
    gen.line(f"{out} = ({i}, {v})", op)
    gen.line(f"{i} += 1", op)
    return out, 0


register(OpSpec("enumerate", "push", ports=1, push=_enumerate, state=CounterState,
                one_to_one=True, doc="Pairs elements with 0, 1, 2, ... ('static keeps counting)."))


class SeenState(State):
    """What ``unique`` has passed. Elements that cannot be hashed (a list, a dict: Rust's
    ``Vec``/``HashMap`` values) are remembered in a list and compared with ``==``, so any value
    works; hashable ones take the set."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.seen: set = set()
        self.unhashable: list = []

    def first_unhashable(self, v: Any) -> bool:
        """True (and remembered) the first time an unhashable ``v`` is seen."""
        if v in self.unhashable:
            return False
        self.unhashable.append(v)
        return True

    def end_tick(self) -> None:
        if not self.persistent:
            self.seen.clear()
            self.unhashable.clear()

    def size(self) -> int:
        return len(self.seen) + len(self.unhashable)

    def snapshot(self):
        return (frozenset(self.seen), tuple(map(repr, self.unhashable)))


def _unique(gen, op, v):
    st, seen, new = gen.fresh("st"), gen.fresh("seen"), gen.fresh("new")
    gen.pre(f"{st} = {gen.state(op)}")
    gen.pre(f"{seen} = {st}.seen")
    gen.line("try:", op)
    gen.code.indent()
    gen.line(f"{new} = {v} not in {seen}", op)
    gen.line(f"if {new}:", op)
    gen.code.indent()
    gen.line(f"{seen}.add({v})", op)
    gen.code.dedent()
    gen.code.dedent()
    gen.line("except TypeError:  # unhashable: compared by ==", op)
    gen.code.indent()
    gen.line(f"{new} = {st}.first_unhashable({v})", op)
    gen.code.dedent()
    gen.line(f"if {new}:", op)
    gen.code.indent()
    gen.counted(op)
    return v, 1


register(OpSpec("unique", "push", ports=1, push=_unique, state=SeenState,
                doc="Drops elements seen before (this tick, or ever with 'static)."))


class OnceState(State):
    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.done = False

    def snapshot(self):
        return self.done


def _once(gen, op, v):
    st = gen.state(op)
    gen.line(f"if not {st}.done:", op)
    gen.code.indent()
    gen.line(f"{st}.done = True", op)
    gen.counted(op)
    return v, 1


register(OpSpec("once", "push", ports=1, push=_once, state=OnceState,
                doc="Passes only the first element ever (a constant singleton seen as a stream)."))


_STOP = Sentinel(__name__, "_STOP")


class ScanState(State):
    """``f(acc, x) -> (acc, out)`` or None to stop; per key when ``keyed``."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        super().__init__(op, params)
        self.init = op.args["init"].fn
        self.f = op.args["f"].fn
        self.keyed = op.args.get("keyed", False)
        self.reset()

    def reset(self) -> None:
        self.acc: Any = _STOP
        self.done = False
        self.accs: dict = {}
        self.stopped: set = set()

    def end_tick(self) -> None:
        if not self.persistent:
            self.reset()

    def step(self, x):
        if self.done:
            return _STOP
        acc = self.init() if self.acc is _STOP else self.acc
        r = self.f(acc, x)
        if r is None:
            self.done = True
            return _STOP
        self.acc, out = r
        return out

    def step_keyed(self, kv):
        k, x = kv
        if k in self.stopped:
            return _STOP
        acc = self.accs[k] if k in self.accs else self.init()
        r = self.f(acc, x)
        if r is None:
            self.stopped.add(k)
            self.accs.pop(k, None)
            return _STOP
        self.accs[k], out = r
        return (k, out)

    def size(self) -> int:
        return len(self.accs) + (0 if self.acc is _STOP else 1)


def _scan(gen, op, v):
    st = gen.state(op)
    stop = gen.bind("STOP", _STOP)
    out = gen.fresh("v")
    method = "step_keyed" if op.args.get("keyed") else "step"
    gen.line(f"{out} = {st}.{method}({v})", op)
    gen.line(f"if {out} is not {stop}:", op)
    gen.code.indent()
    gen.counted(op)
    return out, 1


register(OpSpec("scan", "push", ports=1, push=_scan, state=ScanState,
                doc="A running state machine; per key with keyed=True."))
