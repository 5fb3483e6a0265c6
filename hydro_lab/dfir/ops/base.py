"""What every DFIR operator declares: its role in a subgraph, its input ports (and which block),
its runtime state and how it is generated.

Roles:
* ``source`` — no inputs; produces an iterable each tick (starts a subgraph);
* ``head``   — reads whole input handoffs and produces an iterable (multi-input or blocking
  operators always start their subgraph);
* ``push``   — one input, element at a time; fused into its producer's loop;
* ``sink``   — like push, with no output.

``head(gen, op, inputs)`` returns a Python expression for the iterable, given the names of the
locals holding the input batches. ``push(gen, op, v)`` writes statements for one element ``v`` and
returns ``(out_var, opened_blocks)``: the variable children read, and how many indented blocks it
opened that enclose them. State classes are built once per instance with ``(op, params)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hydro_lab.dfir.codeblock import CodeBlock
from hydro_lab.dfir.graph import Operator, UserFn


class Gen(Protocol):
    """The code generator as seen by operator templates (implemented in ``dfir.codegen``)."""

    code: CodeBlock

    def bind(self, hint: str, value: Any) -> str: ...

    def state(self, op: Operator) -> str: ...

    def rt(self, name: str) -> str: ...

    def op(self, op_id: int) -> Operator: ...

    def fresh(self, hint: str) -> str: ...

    def call(self, op: Operator, fn: UserFn, args: list[str]) -> str: ...

    def pre(self, text: str) -> None: ...

    def post(self, text: str) -> None: ...

    def counted(self, op: Operator) -> None: ...

    def line(self, text: str, op: Operator) -> None: ...


@dataclass(frozen=True)
class OpSpec:
    name: str
    role: str
    ports: int = 0
    blocking: frozenset[int] = frozenset()
    always: bool = False
    state: type | None = None
    head: Callable[..., str] | None = None
    push: Callable[..., tuple[str | None, int]] | None = None
    one_to_one: bool = False
    external_input: bool = False
    doc: str = ""


OPS: dict[str, OpSpec] = {}


def register(spec: OpSpec) -> OpSpec:
    if spec.name in OPS:
        raise ValueError(f"DFIR operator {spec.name!r} registered twice")
    OPS[spec.name] = spec
    return spec


def spec_of(op: Operator) -> OpSpec:
    try:
        return OPS[op.op]
    except KeyError:
        raise ValueError(f"unknown DFIR operator {op.op!r} (known: {', '.join(sorted(OPS))})") \
            from None


class State:
    """Base of operator state. ``end_tick`` runs after every tick; ``size`` feeds metrics."""

    def __init__(self, op: Operator, params: dict[str, Any]):
        self.op = op
        self.persistent = op.persistence == "static"

    def end_tick(self) -> None:
        """Reset per-tick state (operators with ``'tick`` persistence override this)."""

    def size(self) -> int:
        return 0

    def snapshot(self) -> Any:
        """A copy of the state, for the simulator's state hashing and replay checks."""
        return None
