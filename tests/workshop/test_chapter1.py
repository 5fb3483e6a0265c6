"""Chapter 1's exercises: each starter fails its checker and each solution passes, with the
words a student reads; bad inputs (a syntax error, a program Hydro refuses, a flow that produces
nothing, a wrong claim) get a verdict that says so."""

from __future__ import annotations

from hydro_lab.workshop import check, get
from hydro_lab.workshop.chapter1 import EXERCISES


def test_chapter_1_lists_its_exercises():
    assert [ex.id for ex in EXERCISES] == ["1.1", "1.2"]
    assert all(ex.hints and ex.task and ex.defines for ex in EXERCISES)


def test_1_1_the_starter_fails_and_the_solution_passes():
    ex = get("1.1")
    starter = check(ex, ex.starter)
    assert not starter
    assert starter.wrong == ["[1, 2, 3, 4, 5, 6, 7] gave [1, 4, 9, 16, 25, 36, 49], expected "
                             "[4, 16, 36] (the squares of the even numbers, in order)."]
    solved = check(ex, ex.solution)
    assert solved.passed
    assert solved.right == ["[1, 2, 3, 4, 5, 6, 7] gives [4, 16, 36]: the even numbers, "
                            "squared, in order", "in every execution (1)"]


def test_1_1_bad_inputs():
    ex = get("1.1")
    syntax = check(ex, "def even_squares(numbers):\n    return numbers.filter(lambda x: x %)\n")
    assert syntax.wrong[0].startswith("line 2: Python cannot read it")
    nothing = check(ex, "def even_squares(numbers):\n    return numbers.filter(lambda x: x > 9)\n")
    assert nothing.wrong == ["the flow produced no output within the simulation: "
                             "[1, 2, 3, 4, 5, 6, 7] gave nothing, expected [4, 16, 36]."]
    not_a_stream = check(ex, "def even_squares(numbers):\n    return [4, 16, 36]\n")
    assert not_a_stream.wrong[0].startswith("even_squares returned list [4, 16, 36]; it should "
                                            "return the Stream")
    unordered = check(ex, "def even_squares(numbers):\n"
                          "    return numbers.filter(lambda x: x % 2 == 0).map(lambda x: x * x)"
                          ".map(lambda x: 52 - x)\n")
    assert unordered.wrong == ["[1, 2, 3, 4, 5, 6, 7] gave [48, 36, 16], expected [4, 16, 36] "
                               "(the squares of the even numbers, in order)."]


def test_1_2_the_refused_starter_fails_with_hydros_words_and_the_solution_passes():
    ex = get("1.2")
    starter = check(ex, ex.starter)
    assert not starter
    assert starter.wrong[0].startswith(
        "Hydro refused the program: reduce: the input is NoOrder (Stream<Unbounded, NoOrder, "
        "ExactlyOnce> at process leader), so the combine function must be declared commutative")
    assert starter.wrong[0].endswith("at <exercise>, line 4")  # the student's line
    solved = check(ex, ex.solution)
    assert solved.passed
    assert solved.right[1] == ("the leader's total is 36 in every execution tried (60, with the "
                               "numbers arriving in different orders)")


def test_1_2_a_wrong_claim_no_output_and_the_wrong_kind_are_said():
    ex = get("1.2")
    false_claim = check(ex, ex.solution.replace("a + b", "a - b"))
    said = false_claim.wrong[0]
    assert said.startswith("in this execution worker 0 sent [1, 2, 3]; worker 1 sent [10, 20], "
                           "and the leader's total was ")
    assert "instead of 36. The steps of your code in that execution:" in said
    assert "reduce(lambda) at your cell, line 4: checking commutative=" in said
    nothing = check(ex, ex.solution.replace("numbers.send(leader)",
                                            "numbers.filter(lambda x: x > 99).send(leader)"))
    assert nothing.wrong == ["the flow produced no output within the simulation: worker 0 sent "
                             "[1, 2, 3]; worker 1 sent [10, 20], and the leader never had a "
                             "total."]
    stream = check(ex, "def total_at_leader(leader, numbers):\n"
                       "    return numbers.send(leader).values()\n")
    assert stream.wrong[0].startswith("total_at_leader returned a Stream at the process leader; "
                                      "it should return the total as one value")
    elsewhere = check(ex, "def total_at_leader(leader, numbers):\n"
                          "    return numbers.reduce(lambda a, b: a + b)\n")
    assert elsewhere.wrong[0].startswith("total_at_leader returned an Optional at the cluster "
                                         "workers; the total should be at the leader")
