"""Chapter 3's exercise: fix the quickstart counter so that every execution passes; the checker
says which client read which count, and which steps of the student's code did it."""

from __future__ import annotations

from hydro_lab.workshop import check, get
from hydro_lab.workshop.chapter3 import EXERCISES


def test_chapter_3_lists_its_exercise():
    assert [ex.id for ex in EXERCISES] == ["3.1"]


def test_3_1_the_buggy_starter_fails_on_a_named_execution():
    ex = get("3.1")
    starter = check(ex, ex.starter)
    assert not starter
    said = starter.wrong[0]
    assert said.startswith(
        "in this execution client c2 read a count of 1 after its increment was acknowledged "
        "(clients c1 and c2 had each had one increment acknowledged: the count was 2). The "
        "steps of your code in that execution:\nstep 5: tick 4 at server")
    assert "batch() at your cell, line 7: released [('c2', None)] (1 of 1 pending)" in said
    assert "snapshot() at your cell, line 8: saw version 1 of 2 (an older one)" in said
    assert "(the latest)" not in said  # only the decisive step
    assert said.endswith("the ack left before the count included it.")


def test_3_1_the_atomic_solution_passes_in_every_execution():
    ex = get("3.1")
    solved = check(ex, ex.solution)
    assert solved.passed
    assert solved.right == ["every get after an acknowledged increment reads a count that "
                            "includes it", "in every execution the simulator explored (1)"]


def test_3_1_bad_inputs():
    ex = get("3.1")
    silent = check(ex, ex.solution.replace("return acks, counts",
                                           "return acks, counts.filter(lambda kv: False)"))
    assert silent.wrong == ["the flow produced no output within the simulation: client c2's "
                            "get was never answered (2 increments had been acknowledged)."]
    no_acks = check(ex, ex.solution.replace("return acks, counts",
                                            "return acks.filter(lambda kv: False), counts"))
    assert no_acks.wrong == ["the flow produced no output within the simulation: client c1's "
                             "increment was never acknowledged."]
    one = check(ex, "def counter(server, increments, gets):\n    return increments\n")
    assert one.wrong[0].startswith("counter returned a KeyedStream at the process server; it "
                                   "should return the pair (acks, counts)")
    refused = check(ex, ex.starter.replace(', nondet("each get is answered on its own")', ""))
    assert refused.wrong[0].startswith("Hydro refused the program: batch")
    syntax = check(ex, ex.solution.replace("def counter(", "def counter(("))
    assert syntax.wrong[0].startswith("line 3: Python cannot read it")
    off_by_one = check(ex, ex.solution.replace(".count()", ".count().map(lambda n: n + 1)"))
    assert off_by_one.wrong[0].startswith("in this execution client c2 read a count of 3 after "
                                          "its increment was acknowledged")
