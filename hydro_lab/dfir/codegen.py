"""Code generation: every subgraph becomes one Python function with one loop over its head's
output, its push operators fused into that loop and single-expression lambdas inlined.

The module for a location defines ``make(H, D, S, I, O, P, M)``, which binds one instance's
handoffs (``H``), next-tick buffers (``D``), operator states (``S``), inbox (``I``), outbox (``O``),
parameters (``P``) and counters (``M``) as default arguments of the subgraph functions and returns
them. User closures and helpers are module globals bound the same way, so every name a loop
touches is a local. The source is kept (``CompiledProgram.source``) and registered with
``linecache`` so tracebacks and debuggers show it; ``owners`` maps its lines to operators and
``element_vars`` names the local holding each fused operator's input element, which is how a
failure shows the element it failed on without the loop doing anything more per element.

A compiled program pickles as its source and bindings (not as the graph to generate again): a
Ray actor receives it and only compiles the source.
"""

from __future__ import annotations

import itertools
import linecache
from dataclasses import dataclass, field
from typing import Any

from hydro_lab.dfir import inline
from hydro_lab.dfir.codeblock import CodeBlock
from hydro_lab.dfir.graph import Operator, UserFn
from hydro_lab.dfir.ops import spec_of
from hydro_lab.dfir.scheduling import Handoff, Partitioned, Subgraph

_RUNTIME = ("H", "D", "S", "I", "O", "P", "M")
_module_ids = itertools.count(1)


@dataclass
class CompiledProgram:
    """A location's program, compiled once and instantiated per instance (cluster member)."""

    name: str
    partitioned: Partitioned
    source: str
    filename: str
    make: Any
    owners: dict[int, int]
    inlined: dict[int, bool] = field(default_factory=dict)
    counter_parent: dict[int, int] = field(default_factory=dict)
    element_vars: dict[int, str] = field(default_factory=dict)  # op id -> local name
    bindings: dict[str, Any] = field(default_factory=dict)  # the module globals the source uses

    @property
    def graph(self):
        return self.partitioned.graph

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["make"]  # a function of the exec'd source: made again from it on load
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.make = _load(self.source, self.filename, self.bindings)


def _load(source: str, filename: str, bindings: dict[str, Any]) -> Any:
    """Compile a generated module (registered with linecache for tracebacks); its ``make``."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(bindings)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace["make"]


class _Module:
    """Names shared by all subgraphs of one module: bound helpers and closures."""

    def __init__(self) -> None:
        self.globals: dict[str, Any] = {}
        self._ids: dict[int, str] = {}
        self._counter = itertools.count(1)

    def bind(self, hint: str, value: Any) -> str:
        key = id(value)
        if key in self._ids and self.globals[self._ids[key]] is value:
            return self._ids[key]
        name = f"{_safe(hint)}_{next(self._counter)}"
        self.globals[name] = value
        self._ids[key] = name
        return name


def _safe(hint: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in hint)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"n_{cleaned}"


class _SubgraphGen:
    """Implements the ``Gen`` protocol of ``dfir.ops.base`` for one subgraph."""

    def __init__(self, module: _Module, part: Partitioned, sg: Subgraph,
                 inlined: dict[int, bool], counter_parent: dict[int, int],
                 element_vars: dict[int, str]):
        self.module = module
        self.part = part
        self.sg = sg
        self.code = CodeBlock()
        self.pre_lines: list[str] = []
        self.post_lines: list[str] = []
        self.defaults: dict[str, str] = {}
        self._fresh = itertools.count(1)
        self.inlined = inlined
        self.counter_parent = counter_parent
        self.element_vars = element_vars
        self.counters: list[int] = []

    # -- Gen protocol ------------------------------------------------------------------------
    def bind(self, hint: str, value: Any) -> str:
        name = self.module.bind(hint, value)
        self.defaults[name] = name
        return name

    def state(self, op: Operator) -> str:
        name = f"s_{op.id}"
        self.defaults[name] = f"S[{op.id}]"
        return name

    def rt(self, name: str) -> str:
        self.defaults[name] = name
        return name

    def op(self, op_id: int) -> Operator:
        return self.part.graph.operators[op_id]

    def fresh(self, hint: str) -> str:
        return f"{hint}{next(self._fresh)}"

    def call(self, op: Operator, fn: UserFn, args: list[str]) -> str:
        inl = None if fn.builtin else inline.analyze(fn.fn, fn.text, len(args))
        if inl is not None:
            free = {name: self.bind(name, value) for name, value in inl.free.items()}
            self.inlined[op.id] = True
            return inline.render(inl, args, free)
        self.inlined.setdefault(op.id, False)
        return f"{self.bind('f' + str(op.id), fn.fn)}({', '.join(args)})"

    def pre(self, text: str) -> None:
        self.pre_lines.append(text)

    def post(self, text: str) -> None:
        self.post_lines.append(text)

    def counted(self, op: Operator) -> None:
        name = f"c_{op.id}"
        if op.id not in self.counters:
            self.counters.append(op.id)
            self.pre(f"{name} = 0")
            self.post(f"M[{op.id}] += {name}")
            self.rt("M")
        self.code.line(f"{name} += 1", op.id)

    def line(self, text: str, op: Operator) -> None:
        self.code.line(text, op.id)

    # -- generation --------------------------------------------------------------------------
    def generate(self) -> CodeBlock:
        sg = self.sg
        head = self.op(sg.head)
        spec = spec_of(head)
        inputs = []
        for h in sg.inputs:
            name = f"h{h.id}"
            self.rt("H")
            self.pre(f"{name} = H[{h.id}]")
            self.pre(f"H[{h.id}] = []")
            inputs.append(name)
        expr = spec.head(self, head, inputs)
        self.code.line(f"_in = {expr}", head.id)
        self.rt("M")
        self.code.line(f"M[{head.id}] += len(_in)", head.id)
        children = self._children(head.id)
        if children:
            v = self.fresh("v")
            self.code.line(f"for {v} in _in:", head.id)
            self.code.indent()
            mark = len(self.code.lines)
            self._emit_children(head.id, v)
            if len(self.code.lines) == mark:
                self.code.line("pass", head.id)
            self.code.dedent()
        return self.code

    def _children(self, op_id: int) -> list:
        return [e for e in self.part.graph.edges if e.src == op_id]

    def _handoff(self, src: int, dst: int, port: int) -> Handoff:
        return next(h for h in self.part.handoffs
                    if h.src == src and h.dst == dst and h.port == port)

    def _emit_children(self, op_id: int, var: str) -> None:
        for e in self._children(op_id):
            dst = self.op(e.dst)
            if self.part.subgraph_of[e.dst] == self.sg.id and e.dst != self.sg.head \
                    and spec_of(dst).role in ("push", "sink"):
                self._emit_push(dst, var, parent=op_id)
            else:
                h = self._handoff(e.src, e.dst, e.port)
                buf = "D" if h.delay else "H"
                name = f"{'d' if h.delay else 'o'}{h.id}"
                self.rt(buf)
                line = f"{name} = {buf}[{h.id}].append"
                if line not in self.pre_lines:
                    self.pre(line)
                self.code.line(f"{name}({var})", op_id)

    def _emit_push(self, op: Operator, var: str, parent: int) -> None:
        spec = spec_of(op)
        if spec.one_to_one:
            self.counter_parent[op.id] = parent
        self.element_vars[op.id] = var
        out, opened = spec.push(self, op, var)
        if out is not None:
            self._emit_children(op.id, out)
        self.code.dedent(opened)


def generate(part: Partitioned, name: str = "dfir") -> CompiledProgram:
    """Generate, compile and return the program for one partitioned location graph."""
    module = _Module()
    inlined: dict[int, bool] = {}
    counter_parent: dict[int, int] = {}
    element_vars: dict[int, str] = {}
    functions = []
    for unit in part.order:
        for sg_id in unit:
            sg = part.subgraphs[sg_id]
            gen = _SubgraphGen(module, part, sg, inlined, counter_parent, element_vars)
            body = gen.generate()
            functions.append((sg, gen, body))
    head = CodeBlock()
    head.line(f"# generated by hydro_lab for {name}")
    head.line(f"def make({', '.join(_RUNTIME)}):")
    head.indent()
    subs = []
    for sg, gen, body in functions:
        op = part.graph.operators[sg.head]
        head.line(f"# subgraph {sg.id}, stratum {sg.stratum}: starts at {op.label}")
        params = ["now", "tick"] + [f"{k}={v}" for k, v in sorted(gen.defaults.items())]
        head.line(f"def sg_{sg.id}({', '.join(params)}):")
        head.indent()
        for text in gen.pre_lines:
            head.line(text, sg.head)
        for level, text, owner in body.lines:
            head.lines.append((head.level + level, text, owner))
        for text in gen.post_lines:
            head.line(text, sg.head)
        head.dedent()
        subs.append(f"{sg.id}: sg_{sg.id}")
    head.line(f"return {{{', '.join(subs)}}}")
    source, owners = head.render()
    filename = f"<hydro_lab dfir {name} #{next(_module_ids)}>"
    make = _load(source, filename, module.globals)
    return CompiledProgram(name, part, source, filename, make, owners, inlined,
                           counter_parent, element_vars, dict(module.globals))
