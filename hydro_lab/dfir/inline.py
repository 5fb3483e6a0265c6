"""Inlining single-expression lambdas into generated loops.

A lambda is inlined when its source text is known, it takes exactly the positional parameters the
operator passes, its body is one expression without nested scopes that could capture or shadow
names, and every free name is *stable*: a builtin, a module, a function or class, or an immutable
constant. Those values are bound into the generated function once (the same freezing cloudpickle
applies when a closure is shipped to a worker). Anything else is called as a function.
"""

from __future__ import annotations

import ast
import builtins
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), frozenset, range)
_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
           ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)


@dataclass(frozen=True)
class Inlinable:
    """A lambda ready to splice: ``params`` are renamed by the caller via :func:`render`."""

    params: tuple[str, ...]
    body: ast.expr
    free: dict[str, Any]


def _stable(value: Any) -> bool:
    if isinstance(value, _IMMUTABLE):
        return True
    if isinstance(value, tuple):
        return all(_stable(v) for v in value)
    return isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                              type, types.BuiltinMethodType))


def analyze(fn: Callable[..., Any], text: str, arity: int) -> Inlinable | None:
    """An :class:`Inlinable` for ``fn`` (a lambda with source ``text``), or None."""
    if getattr(fn, "__name__", "") != "<lambda>" or not text:
        return None
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    lam = tree.body
    if not isinstance(lam, ast.Lambda):
        return None
    a = lam.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.kw_defaults or a.posonlyargs:
        return None
    params = tuple(p.arg for p in a.args)
    if len(params) != arity or len(set(params)) != len(params):
        return None
    if any(isinstance(node, _SCOPES) for node in ast.walk(lam.body)):
        return None
    code = fn.__code__
    cells = {}
    if code.co_freevars and fn.__closure__:
        for name, cell in zip(code.co_freevars, fn.__closure__, strict=True):
            try:
                cells[name] = cell.cell_contents
            except ValueError:
                return None
    free: dict[str, Any] = {}
    for node in ast.walk(lam.body):
        if isinstance(node, ast.Name) and node.id not in params:
            if not isinstance(node.ctx, ast.Load):
                return None
            name = node.id
            if name in cells:
                value = cells[name]
            elif name in fn.__globals__:
                value = fn.__globals__[name]
            elif hasattr(builtins, name):
                continue
            else:
                return None
            if not _stable(value):
                return None
            free[name] = value
    return Inlinable(params, lam.body, free)


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]):
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.mapping:
            return ast.copy_location(ast.Name(id=self.mapping[node.id], ctx=node.ctx), node)
        return node


def render(inl: Inlinable, args: list[str], free_names: dict[str, str]) -> str:
    """The body as source, parameters replaced by ``args`` and free names by their bound names.
    The result is parenthesized so it can stand anywhere an expression can."""
    mapping = dict(zip(inl.params, args, strict=True))
    mapping.update(free_names)
    body = _Rename(mapping).visit(ast.parse(ast.unparse(inl.body), mode="eval").body)
    return f"({ast.unparse(body)})"
