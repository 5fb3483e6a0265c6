"""Capturing user closures: the callable itself plus its source text (Hydro's ``q!``).

Closures passed to operators are captured, not run. Their text becomes the node's label in graphs
and error messages: for a lambda the lambda expression itself (found by tokenizing the line it is
on and matching the code object's position), for a ``def`` its name (short) and source (long).
IPython registers each cell's source in ``linecache``, so this works for notebook lambdas too.
"""

from __future__ import annotations

import ast
import functools
import inspect
import io
import linecache
import textwrap
import tokenize
from collections.abc import Callable
from typing import Any

from hydro_lab.errors import HydroTypeError
from hydro_lab.ir import source_info
from hydro_lab.ir.nodes import Closure

SHORT_LABEL = 48


def shorten(text: str, limit: int = SHORT_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lambda_text(fn: Callable[..., Any]) -> str | None:
    """The source of a lambda expression, or None when it cannot be found reliably."""
    code = fn.__code__
    lines = linecache.getlines(code.co_filename)
    if not lines:
        return None
    try:
        body_pos = next(
            (ln, col) for ln, _, col, _ in code.co_positions() if ln is not None and col is not None
            and ln >= code.co_firstlineno and (ln, col) != (code.co_firstlineno, 0)
        )
    except (StopIteration, AttributeError):
        body_pos = None
    first = code.co_firstlineno
    text = "".join(lines[first - 1 :])
    tokens = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            tokens.append(tok)
            if len(tokens) > 4000:
                break
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    starts = [
        i for i, t in enumerate(tokens)
        if t.type == tokenize.NAME and t.string == "lambda"
        and (body_pos is None or (t.start[0] + first - 1, t.start[1]) < body_pos)
    ]
    if not starts:
        return None
    candidates = starts[-1:] if body_pos is not None else starts
    for start in candidates:
        depth = 0
        end = None
        params = 1  # lambdas whose parameter list (up to its ':') is still open
        for j in range(start + 1, len(tokens)):
            t = tokens[j]
            if t.type == tokenize.OP and t.string in "([{":
                depth += 1
            elif t.type == tokenize.OP and t.string in ")]}":
                if depth == 0:
                    end = j
                    break
                depth -= 1
            elif depth == 0 and t.type == tokenize.NAME and t.string == "lambda":
                params += 1
            elif depth == 0 and params and t.type == tokenize.OP and t.string == ":":
                params -= 1
            elif depth == 0 and not params and (
                (t.type == tokenize.OP and t.string in (",", ";"))
                or t.type in (tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.COMMENT)
            ):
                end = j
                break
        if end is None:
            continue
        (sl, sc), (el, ec) = tokens[start].start, tokens[end].start
        src_lines = text.splitlines(keepends=True)
        if sl == el:
            snippet = src_lines[sl - 1][sc:ec]
        else:
            snippet = src_lines[sl - 1][sc:] + "".join(src_lines[sl : el - 1])
            snippet += src_lines[el - 1][:ec]
        snippet = snippet.strip()
        if "\n" in snippet:
            snippet = " ".join(snippet.split())
        try:
            tree = ast.parse(snippet, mode="eval")
        except SyntaxError:
            continue
        if isinstance(tree.body, ast.Lambda):
            return snippet
    return None


def describe_callable(fn: Callable[..., Any]) -> tuple[str, str]:
    """(short label, long text) for any callable."""
    if isinstance(fn, functools.partial):
        inner, _ = describe_callable(fn.func)
        return shorten(f"partial({inner}, …)"), f"functools.partial({inner!s}, {fn.args!r})"
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if name and "<locals>" in name:
        name = getattr(fn, "__name__", name)
    if code is not None and getattr(fn, "__name__", "") == "<lambda>":
        text = _lambda_text(fn)
        if text:
            return shorten(text), text
        return "lambda", "lambda (source not available)"
    if code is not None:
        try:
            text = textwrap.dedent(inspect.getsource(fn)).rstrip()
        except (OSError, TypeError):
            text = f"def {name}(...)"
        return shorten(name or "function"), text
    if name:
        module = getattr(fn, "__module__", None)
        full = f"{module}.{name}" if module and module != "builtins" else name
        return shorten(full), full
    return shorten(repr(fn)), repr(fn)


def _positional_arity(fn: Callable[..., Any]) -> tuple[int, int | None] | None:
    """(minimum, maximum or None for *args) positional arguments, None when unknown."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    lo, hi = 0, 0
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            hi += 1
            if p.default is p.empty:
                lo += 1
        elif p.kind is p.VAR_POSITIONAL:
            return lo, None
        elif p.kind is p.KEYWORD_ONLY and p.default is p.empty:
            return None
    return lo, hi


def capture(fn: Any, *, op: str, role: str, arity: int, example: str) -> Closure:
    """Check that ``fn`` is a callable taking ``arity`` positional arguments and capture it.

    ``role`` names the argument in messages ("the function", "init", "combine"), ``example`` shows
    a correct call.
    """
    if not callable(fn):
        raise HydroTypeError(
            f"{op}: {role} must be a function, got {type(fn).__name__} {shorten(repr(fn), 40)}.\n"
            f"  Fix: pass a function or lambda, e.g. {example}.",
            op=op,
        )
    bounds = _positional_arity(fn)
    if bounds is not None:
        lo, hi = bounds
        if lo > arity or (hi is not None and hi < arity):
            label, _ = describe_callable(fn)
            wanted = "no arguments" if arity == 0 else (
                "1 argument" if arity == 1 else f"{arity} arguments"
            )
            takes = str(lo) if hi == lo else f"{lo} to {hi if hi is not None else 'any'}"
            raise HydroTypeError(
                f"{op}: {role} must take {wanted}, but `{label}` takes {takes}.\n"
                f"  Fix: e.g. {example}.",
                op=op,
            )
    label, text = describe_callable(fn)
    return Closure(fn=fn, label=label, text=text, source=_source_of(fn))


def builtin(fn: Callable[..., Any], label: str) -> Closure:
    """A closure hydro_lab supplies itself (count, max, first, ...)."""
    return Closure(fn=fn, label=label, text=label, builtin=True)


def _source_of(fn: Any) -> source_info.SourceInfo | None:
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    filename = code.co_filename
    return source_info.SourceInfo(
        filename=filename,
        line=code.co_firstlineno,
        function=code.co_name,
        cell=source_info.cell_label(filename),
    )
