"""Closure capture: labels come from the user's source text, not from repr()."""

from __future__ import annotations

import functools

from hydro_lab.lang.quote import describe_callable


def named_step(acc, x):
    return acc + x


def labels(*fns):
    return [describe_callable(f)[0] for f in fns]


def test_lambda_on_its_own():
    assert labels(lambda x: x * 2) == ["lambda x: x * 2"]


def test_two_lambdas_on_one_line_are_told_apart():
    assert labels(lambda: (0, 0), lambda acc, p: (acc[0] + p, acc[1])) == [
        "lambda: (0, 0)", "lambda acc, p: (acc[0] + p, acc[1])"]


def test_lambda_spanning_lines_is_joined():
    f = (lambda y:
         y + 1)
    assert labels(f) == ["lambda y: y + 1"]


def test_nested_lambda_and_default_with_colon():
    f = lambda x, d={"a": 1}: lambda y: x + y + d["a"]  # noqa: E731
    assert labels(f) == ['lambda x, d={"a": 1}: lambda y: x + y + d["a"]']


def test_long_lambda_is_shortened_but_text_is_complete():
    f = lambda x: x + 1111111111 + 2222222222 + 3333333333 + 4444444444 + 5555555555  # noqa
    short, text = describe_callable(f)
    assert short.endswith("…") and len(short) <= 48
    assert text.endswith("5555555555")


def test_def_function_uses_its_name_and_source():
    short, text = describe_callable(named_step)
    assert short == "named_step"
    assert text.startswith("def named_step(acc, x):") and "return acc + x" in text


def test_builtins_and_partials():
    assert labels(print, len) == ["print", "len"]
    short, _ = describe_callable(functools.partial(named_step, 1))
    assert short.startswith("partial(named_step")
    assert describe_callable(str.upper)[0] == "str.upper"


def test_lambda_without_source_falls_back():
    f = eval("lambda q: q")  # noqa: S307 - no source file to read
    assert describe_callable(f)[0] == "lambda"
