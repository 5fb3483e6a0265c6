"""Chapter 2's exercise: each worker's rate at the leader, keyed by the worker's MemberId."""

from __future__ import annotations

from hydro_lab.workshop import check, get
from hydro_lab.workshop.chapter2 import EXERCISES


def test_chapter_2_lists_its_exercise():
    assert [ex.id for ex in EXERCISES] == ["2.1"]


def test_2_1_the_starter_fails_and_the_solution_passes():
    ex = get("2.1")
    starter = check(ex, ex.starter)
    assert not starter
    assert starter.wrong[0].startswith(
        "darts_per_worker returned a Singleton at the process leader; it should return a "
        "KeyedSingleton at the leader: one count per worker, keyed by the worker's MemberId.")
    solved = check(ex, ex.solution)
    assert solved.passed
    assert solved.right == ["the counts are keyed by each worker's MemberId, at the leader",
                            "worker 0: 8 darts, worker 1: 18 darts, in every execution (2)"]


def test_2_1_bad_inputs():
    ex = get("2.1")
    wrong_count = check(ex, ex.solution.replace("s[1]", "s[0]"))
    assert wrong_count.wrong == [
        "in this execution worker 0 reported [(3, 4), (1, 4)]; worker 1 reported [(2, 4), "
        "(7, 8), (5, 6)] (as (inside, thrown) per tick), and at the end the leader had "
        "{worker 0: 4, worker 1: 14}; expected {worker 0: 8 darts, worker 1: 18 darts}."]
    nothing = check(ex, ex.solution.replace("samples.send(leader)",
                                            "samples.filter(lambda s: False).send(leader)"))
    assert nothing.wrong[0].startswith("the flow produced no output within the simulation: ")
    syntax = check(ex, "def darts_per_worker(leader, samples)\n    return samples\n")
    assert syntax.wrong[0].startswith("line 1: Python cannot read it")
    at_workers = check(ex, "def darts_per_worker(leader, samples):\n"
                           "    return samples.map(lambda s: s[1]).fold(lambda: 0, "
                           "lambda d, n: d + n)\n")
    assert "returned a Singleton at the cluster workers" in at_workers.wrong[0]
    refused = check(ex, "def darts_per_worker(leader, samples):\n"
                        "    return samples.send(leader).values().fold(lambda: 0, "
                        "lambda d, s: d + s[1])\n")
    assert refused.wrong[0].startswith("Hydro refused the program: fold: the input is NoOrder")
