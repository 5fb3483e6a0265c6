"""Chapter 5, two-phase commit under faults: exercise 5.1's starter fails its checker and its
solution passes; bad inputs get an answer in words; the notebook runs top to bottom (what
notebooks/03_two_phase_commit.ipynb showed, folded into it, shows the same)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from hydro_lab.workshop import check
from hydro_lab.workshop.chapter5 import EXERCISES, SAFE_AGAINST_DUPLICATES, STARTER, check_decisions
from tests.workshop.kernel import (
    WIDGET,
    assert_no_errors,
    assert_saved_small,
    cell_outputs,
    execute,
    first_outputs,
    plain,
)
from tests.workshop.test_notebooks import ran

EX = SAFE_AGAINST_DUPLICATES
WORKSHOP = Path(__file__).resolve().parents[2] / "notebooks" / "workshop"


def test_the_chapter_lists_its_exercise():
    assert [e.id for e in EXERCISES] == ["5.1"]
    assert EX.defines == ("two_phase_commit",) and len(EX.hints) == 3


def test_the_starter_fails_with_the_execution_that_broke_safety():
    verdict = check(EX, EX.starter)
    assert not verdict
    assert verdict.right == ["without faults it commits t1 and t3 and aborts t2 (participant 1 "
                             "voted no)"]
    [wrong] = verdict.wrong
    # which execution, what went wrong, what the faults did, and the decisive trace steps
    assert wrong.startswith("with duplicated messages it is not safe: in execution 8 of the "
                            "fuzzed executions with duplicates (fuzz seed 1) the coordinator "
                            "decided t2 twice ('abort', 'abort'); every decision it made: "
                            "[('t1', 'commit'), ('t2', 'abort'), ('t3', 'commit'), "
                            "('t2', 'abort')].")
    assert ("What the faults did: before step 5 the message 't1' from coordinator to "
            "participants[1] was delivered twice (channel coordinator->participants#1); before "
            "step 5 the message 't2' from coordinator to participants[1] was delivered twice "
            "(channel coordinator->participants#1).") in wrong
    assert "The decisive steps:\nstep 4: tick 0 at participants[2]" in wrong
    assert "fault: duplicate 't2' on coordinator->participants#1" in wrong
    assert "batch() at <exercise>, line 17: released [('t1', True) ×2" in wrong
    assert "error: AssertionError: the coordinator decided t2 twice" in wrong
    assert "Traceback" not in str(verdict)


def test_the_solution_passes():
    verdict = check(EX, EX.solution)
    assert verdict.passed
    assert verdict.right == [
        "without faults it commits t1 and t3 and aborts t2 (participant 1 voted no)",
        "in 300 fuzzed executions where any prepare or vote may arrive twice, no transaction "
        "was decided twice, t2 never committed and t1, t3 never aborted"]


def test_half_a_fix_is_caught_either_way():
    # sets of voters, but a late copy of a vote still starts a new tally: decided twice
    sets_only = EX.solution.replace(".filter_key_not_in(prev_done))", ")")
    verdict = check(EX, sets_only)
    assert not verdict and "the coordinator decided t2 twice" in verdict.wrong[0]
    # decided transactions remembered, but a voter heard twice counts twice: t2 commits
    remembered = STARTER.replace(
        "    all_votes = prev_votes.chain(batch)\n",
        "    done, prev_done = tick.cycle(\"Stream\", order=Order.NO_ORDER)\n"
        "    all_votes = prev_votes.chain(batch.filter_key_not_in(prev_done))\n").replace(
        "    pending.complete_next_tick(all_votes.filter_key_not_in(decided.keys()))\n",
        "    pending.complete_next_tick(all_votes.filter_key_not_in(decided.keys()))\n"
        "    done.complete_next_tick(prev_done.chain(decided.keys()))\n")
    verdict = check(EX, remembered)
    assert not verdict
    assert "t2 committed although participant 1 voted no" in verdict.wrong[0]
    assert "was delivered twice" in verdict.wrong[0]


def test_check_decisions_says_which_rule_broke():
    check_decisions([("t1", "commit"), ("t2", "abort"), ("t3", "commit")])
    with pytest.raises(AssertionError, match=r"^t1 aborted although every participant voted "
                                             r"yes; every decision the coordinator made: "):
        check_decisions([("t1", "abort")])
    with pytest.raises(AssertionError, match=r"^the coordinator decided t3 3 times "):
        check_decisions([("t3", "commit")] * 3)


# -- bad inputs -----------------------------------------------------------------------------

def test_a_syntax_error_names_its_line():
    verdict = check(EX, EX.starter.replace("def tally(acc, ok):", "def tally(acc, ok)"))
    assert not verdict
    assert verdict.wrong[0].startswith("line 3: Python cannot read it")


def test_a_refused_program_says_why():
    # the tally over the votes' NoOrder merge without its commutative= claim
    refused = EX.starter.replace(', commutative="counting votes commutes"', "")
    verdict = check(EX, refused)
    assert not verdict
    assert verdict.wrong[0].startswith("Hydro refused the program: fold")
    assert 'commutative="why"' in verdict.wrong[0]


def test_a_flow_without_output_is_said():
    silent = ("def two_phase_commit(coordinator, participants, transactions, n, vote):\n"
              "    return transactions.filter(lambda tx: False)\n")
    verdict = check(EX, silent)
    assert verdict.wrong == [
        "the flow produced no output within the ordinary execution (no faults): the "
        "coordinator decided nothing for t1, t2, t3. Keep returning the decisions (tx, "
        "'commit' | 'abort') as the starter does."]


def test_wrong_decisions_and_wrong_returns_are_said():
    everything_commits = ("def two_phase_commit(coordinator, participants, transactions, n, "
                          "vote):\n    return transactions.map(lambda tx: (tx, 'commit'))\n")
    verdict = check(EX, everything_commits)
    assert verdict.wrong[0].startswith("even without faults the protocol is unsafe: in the "
                                       "ordinary execution t2 committed although participant 1 "
                                       "voted no")
    returns_none = "def two_phase_commit(coordinator, participants, transactions, n, vote):\n" \
                   "    pass\n"
    assert check(EX, returns_none).wrong == [
        "two_phase_commit must return the decisions, a Stream of (tx, 'commit' | 'abort') at "
        "the coordinator; it returned NoneType"]
    missing = check(EX, "def two_pc(*args):\n    pass\n")
    assert missing.wrong == ["the code does not define `two_phase_commit`: keep the starter's "
                             "names (the checker calls them)."]


# -- the notebook ---------------------------------------------------------------------------

def exercise_cells(nb) -> dict[str, nbformat.NotebookNode]:
    """The exercise cells of a chapter, by exercise id (``# exercise N.M: ...`` first line)."""
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("# exercise "):
            found[cell.source.split()[2].rstrip(":")] = cell
    return found


def run_without(name: str, tags: tuple[str, ...]):
    """Run a chapter notebook as shipped, as JupyterLab does (every cell twice, as a student
    re-runs a cell: tests/workshop/kernel.py), in a fresh kernel, without the cells tagged with
    one of ``tags`` (``"ray"``)."""
    nb = nbformat.read(WORKSHOP / name, as_version=4)
    nb.cells = [c for c in nb.cells if not set(c.metadata.get("tags", ())) & set(tags)]
    return execute(nb, WORKSHOP, twice=True)


def shown(outs: list[dict]) -> str:
    """Everything a cell showed: streams, text/plain and text/html."""
    parts = []
    for o in outs:
        parts.append(o.get("text", ""))
        data = o.get("data", {})
        parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


def test_the_exercise_cell_holds_the_starter():
    nb = nbformat.read(WORKSHOP / "05_two_phase_commit.ipynb", as_version=4)
    cells = exercise_cells(nb)
    assert cells["5.1"].source == f"# exercise 5.1: {EX.title}\n{EX.starter}".rstrip()
    after = nb.cells[nb.cells.index(cells["5.1"]) + 1]
    assert after.source == 'check("5.1")'
    assert nb.cells[nb.cells.index(cells["5.1"]) - 1].source == 'show("5.1")'
    assert any("from hydro_lab.workshop import check_exercise as check" in c.source
               for c in nb.cells if c.cell_type == "code")


def test_the_notebook_blocks_on_a_dead_participant_and_a_lossy_channel_and_stays_safe():
    nb = ran("05_two_phase_commit.ipynb", False)  # as shipped, shared with test_notebooks
    assert_no_errors(nb)
    assert "[('t1', 'commit'), ('t2', 'abort')]" in plain(cell_outputs(nb, "to_coordinator"))
    blocked = plain(cell_outputs(nb, "late = "))
    assert "decided while participant 2 was dead: []" in blocked
    assert "alive: ['coordinator', 'participants[0]', 'participants[1]']" in blocked
    assert "('t4', 'commit')" in plain(cell_outputs(nb, "deployment.restart"))
    assert "'coordinator->participants#1', 'participants->coordinator#2'" in plain(
        cell_outputs(nb, "print(deployment.channels())"))
    lost = plain(cell_outputs(nb, "lost = "))
    assert "decided while the prepares were lost: []" in lost
    assert plain(cell_outputs(nb, "deployment.inject(prepares, drop=1.0)")) == (
        "faults set: {'coordinator->participants#1': Fault(drop=1.0, delay=0.0, seed=0)}\n")
    delayed = plain(cell_outputs(nb, "import time"))
    assert delayed.startswith("('t6', 'commit') after 1.")
    dash = cell_outputs(nb, "%hydro dashboard")
    assert_saved_small(nb)
    assert "4 of 4 instances running" in plain(dash)
    assert any(WIDGET in o.get("data", {}) for o in cell_outputs(nb, "decided"))
    assert "300 executions, all safe" in plain(cell_outputs(nb, "def body"))
    duplicated = plain(cell_outputs(nb, "from hydro_lab.sim import SimFailure"))
    assert "of the fuzzed executions with duplicates (fuzz seed 1)" in duplicated
    assert "was delivered twice" in duplicated and "The decisive steps:" in duplicated
    assert "not yet" in shown(cell_outputs(nb, 'check("5.1")'))
    assert plain(first_outputs(nb, "%hydro stop")) == "deployment stopped\n"
