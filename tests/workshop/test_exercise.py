"""The exercise core: every way a student's code can fail is a Verdict in words."""

from __future__ import annotations

from hydro_lab import FlowBuilder
from hydro_lab.workshop import Exercise, Verdict, check


def _doubles(ns) -> Verdict:
    flow = FlowBuilder()
    port = ns["double"](flow.process("p").source_iter([1, 2, 3])).sim_output()
    got = []
    flow.sim().exhaustive(lambda inst: got.append(inst.connect(port).collect()))
    if got == [[2, 4, 6]]:
        return Verdict.ok("every element is doubled, in order")
    return Verdict.fail(f"[1, 2, 3] gave {got[0]}, expected [2, 4, 6]")


EX = Exercise(
    id="0.1", title="double", task="Double each element.",
    starter="def double(s):\n    return s\n",
    solution="def double(s):\n    return s.map(lambda x: 2 * x)\n",
    hints=("`map` applies a function to each element.",), checker=_doubles, defines=("double",))


def test_the_starter_fails_and_the_solution_passes():
    assert not check(EX, EX.starter)
    assert "[1, 2, 3] gave [1, 2, 3], expected [2, 4, 6]" in str(check(EX, EX.starter))
    assert check(EX, EX.solution).passed
    assert str(check(EX, EX.solution)) == "✓ passed\n  ✓ every element is doubled, in order"


def test_a_syntax_error_names_its_line():
    verdict = check(EX, "def double(s):\n    return s.map(lambda x: 2 *)\n")
    assert not verdict and verdict.wrong[0].startswith("line 2: Python cannot read it")


def test_a_refused_program_says_why():
    refused = check(EX, "from hydro_lab import FlowBuilder\nf = FlowBuilder()\n"
                        "f.process('p').source_iter([1]).weaken_ordering().reduce(max)\n"
                        "def double(s):\n    return s\n")
    assert refused.wrong[0].startswith("Hydro refused the program: reduce")


def test_an_exception_names_the_line_and_a_missing_name_is_said():
    raised = check(EX, "x = 1\ny = x / 0\n")
    assert raised.wrong == ["the code raised ZeroDivisionError at line 2: division by zero"]
    missing = check(EX, "def triple(s):\n    return s\n")
    assert missing.wrong == ["the code does not define `double`: keep the starter's names "
                             "(the checker calls them)."]


def test_a_failing_flow_is_an_answer():
    verdict = check(EX, "def double(s):\n    return s.map(lambda x: x / 0)\n")
    assert not verdict and verdict.wrong[0].startswith(
        "the flow failed while it ran, in a simulated execution: HydroRuntimeError: map(lambda) "
        "raised ZeroDivisionError: division by zero")
