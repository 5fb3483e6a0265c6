"""The registry and what a notebook calls: ``show`` (hints one by one), ``check_exercise`` (the
latest run of the exercise cell, from the kernel's history) and ``solution`` (instructor mode
only); in a real kernel too, where a student edits the exercise cell, runs it and checks again.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import hydro_lab.workshop.notebook as ui
from hydro_lab.workshop import (
    INSTRUCTOR_ENV,
    Exercise,
    chapters,
    check_exercise,
    exercise_source,
    exercises,
    get,
    instructor,
    is_instructor,
    registry,
    solution,
    verdict_for,
)
from tests.workshop.kernel import plain

EX = get("1.1")
STARTER_CELL = f"# exercise 1.1: {EX.title}\n{EX.starter}"
SOLUTION_CELL = f"# exercise 1.1: {EX.title}\n{EX.solution}"


@pytest.fixture(autouse=True)
def _no_instructor(monkeypatch):
    monkeypatch.delenv(INSTRUCTOR_ENV, raising=False)
    monkeypatch.setitem(ui._mode, "instructor", None)


# -- the registry ---------------------------------------------------------------------------------

def test_the_registry_collects_every_chapter_module_in_order():
    assert {1, 2, 3} <= set(chapters())
    ids = [ex.id for ex in exercises()]
    assert ids[:4] == ["1.1", "1.2", "2.1", "3.1"]
    assert [ex.id for ex in exercises(3)] == ["3.1"]
    assert get(" 2.1 ").title == "each worker's rate"
    with pytest.raises(KeyError, match=r"there is no exercise '9.9'; the exercises are 1.1, 1.2"):
        get("9.9")


def _chapter(monkeypatch, number: int, *ids: str) -> None:
    module = types.ModuleType(f"hydro_lab.workshop.chapter{number}")
    module.EXERCISES = tuple(Exercise(i, "t", "task", "", "", ("h",), lambda ns: None)
                             for i in ids)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(registry, "chapters", lambda: [1, number])


def test_a_chapter_with_a_wrong_or_repeated_id_is_an_error_of_the_workshop(monkeypatch):
    _chapter(monkeypatch, 97, "97.2", "97.1")
    assert [ex.id for ex in exercises(97)] == ["97.1", "97.2"]  # in id order
    _chapter(monkeypatch, 98, "1.1")
    with pytest.raises(ValueError, match=r"chapter98: exercise id '1.1' is not '98.M'"):
        exercises()
    _chapter(monkeypatch, 99, "99.1", "99.1")
    with pytest.raises(ValueError, match=r"exercise ids listed twice: 99.1"):
        exercises()


# -- reading the student's cell -------------------------------------------------------------------

def test_the_latest_run_of_the_exercise_cell_is_checked():
    history = ["", "import x", STARTER_CELL, 'check("1.1")', "# exercise 1.10: other\nx = 1",
               "\n" + SOLUTION_CELL, 'check("1.1")']
    assert exercise_source("1.1", history) == "\n" + SOLUTION_CELL
    assert exercise_source("1.1", history[:4]) == STARTER_CELL
    assert exercise_source("1.10", history) == "# exercise 1.10: other\nx = 1"
    assert exercise_source("1.2", history) is None
    assert verdict_for("1.1", history=history).passed
    assert not verdict_for("1.1", history=history[:4])


def test_a_check_inside_the_exercise_cell_is_not_part_of_the_answer():
    merged = SOLUTION_CELL + 'check("1.1")\n'
    assert verdict_for("1.1", history=[merged]).passed
    broken = "# exercise 1.1\ncheck('1.1')\nx = 1 / 0\n"
    assert verdict_for("1.1", history=[broken]).wrong == [
        "the code raised ZeroDivisionError at line 3: division by zero"]


def test_a_check_before_the_cell_ran_or_of_an_unknown_id_says_so_and_never_raises():
    assert verdict_for("1.1", history=[]).wrong == [
        "exercise 1.1 has not been run yet: run its cell (the one that starts with "
        "`# exercise 1.1`), then check again."]
    assert verdict_for("7.7", history=[]).wrong == [
        "there is no exercise '7.7'; the exercises are "
        f"{', '.join(ex.id for ex in exercises())}: check the id in check(\"...\")."]


def test_a_refusal_points_at_the_students_cell():
    refused = verdict_for("1.2", source="# exercise 1.2: x\n" + get("1.2").starter)
    assert refused.wrong[0].startswith("Hydro refused the program: reduce")
    assert refused.wrong[0].endswith("at your cell, line 5")


def test_check_exercise_outside_a_notebook_prints_the_verdict(capsys):
    assert check_exercise("1.1", source=SOLUTION_CELL) is None
    out = capsys.readouterr().out
    assert out.startswith("exercise 1.1 · squares of the even numbers\n✓ passed\n")
    check_exercise("1.1")  # no kernel, no history: not run yet
    assert "exercise 1.1 has not been run yet" in capsys.readouterr().out


# -- instructor mode and hints ---------------------------------------------------------------------

def test_solutions_are_shown_in_instructor_mode_only(monkeypatch, capsys):
    assert not is_instructor()
    solution("1.1")
    locked = capsys.readouterr().out
    assert "shown in instructor mode only" in locked and "HYDRO_LAB_INSTRUCTOR=1" in locked
    assert EX.solution not in locked
    monkeypatch.setenv(INSTRUCTOR_ENV, "1")
    assert is_instructor()
    solution("1.1")
    assert EX.solution in capsys.readouterr().out
    instructor(False)  # overrides the environment
    assert not is_instructor()
    monkeypatch.setenv(INSTRUCTOR_ENV, "0")
    instructor(True)
    assert is_instructor()
    solution("9.9")
    assert "there is no exercise '9.9'" in capsys.readouterr().out


def test_the_hint_button_reveals_the_hints_one_by_one():
    panel = ui.Panel(EX, with_solution=False)
    assert panel.hint_button.description == "Hint 1 of 3" and not panel.hint_button.disabled
    assert panel.solution_button is None and panel.hints.outputs == ()
    panel.hint_button.click()
    assert panel.revealed == 1 and panel.hint_button.description == "Hint 2 of 3"
    assert panel.hints.outputs[0]["data"]["text/markdown"] == f"**Hint 1.** {EX.hints[0]}"
    panel.hint_button.click()
    panel.hint_button.click()
    assert panel.hint_button.description == "no more hints" and panel.hint_button.disabled
    panel.reveal_hint()  # nothing more to reveal
    assert [o["data"]["text/plain"] for o in panel.hints.outputs] == [
        f"**Hint {i + 1}.** {h}" for i, h in enumerate(EX.hints)]


def test_in_instructor_mode_the_panel_reveals_the_solution():
    panel = ui.Panel(EX, with_solution=True)
    assert panel.solution_button is not None and panel.solution.outputs == ()
    panel.solution_button.click()
    panel.solution_button.click()  # once
    assert len(panel.solution.outputs) == 1
    assert EX.solution in panel.solution.outputs[0]["data"]["text/markdown"]


# -- in a real kernel ------------------------------------------------------------------------------

def test_in_a_kernel_a_student_edits_runs_and_checks_again(tmp_path: Path):
    """Check before running, the starter, a syntax error (the notebook stays usable), the
    solution; show's widgets; the solution locked, then shown in instructor mode."""
    cells = [
        "from hydro_lab.workshop import check_exercise as check, show, solution, instructor",
        'check("1.1")',
        STARTER_CELL,
        'check("1.1")',
        "# exercise 1.1: broken\ndef even_squares(numbers)\n    return numbers\n",
        'check("1.1")',
        SOLUTION_CELL,
        'check("1.1")',
        'show("1.1")',
        'solution("1.1")',
        'instructor(True)\nsolution("1.1")',
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.cells[4].metadata["tags"] = ["raises-exception"]  # the student's SyntaxError, shown
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = [plain(c.outputs) for c in nb.cells]
    assert "exercise 1.1 has not been run yet" in shown[1]
    assert "✗ not yet" in shown[3] and "gave [1, 4, 9, 16, 25, 36, 49]" in shown[3]
    assert nb.cells[4].outputs[0]["ename"] == "SyntaxError"
    assert "✗ not yet" in shown[5] and "line 2: Python cannot read it" in shown[5]
    assert shown[7].startswith("exercise 1.1 · squares of the even numbers\n✓ passed")
    assert [o["data"].get("text/html", "") for o in nb.cells[7].outputs][0].count("✓") == 3
    show = nb.cells[8].outputs
    assert show[0]["data"]["text/markdown"].startswith("### Exercise 1.1: squares of the even")
    assert "application/vnd.jupyter.widget-view+json" in show[1]["data"]
    assert "instructor mode only" in shown[9] and EX.solution not in shown[9]
    assert EX.solution.strip() in nb.cells[10].outputs[0]["data"]["text/markdown"]
