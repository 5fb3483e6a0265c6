"""What a workshop notebook calls: ``show(id)`` (the task, and hints revealed one by one),
``check_exercise(id)`` (the check of the student's latest run of the exercise cell) and
``solution(id)`` (the solution, in instructor mode only).

The convention the chapters follow: an exercise cell starts with the line
``# exercise N.M: <title>`` followed by the starter code, which the student edits and runs; the
next cell calls ``check("N.M")`` (``from hydro_lab.workshop import check_exercise as check``).
The check reads the most recent run of a cell starting with ``# exercise N.M`` from the kernel's
history (IPython's ``In``), runs it in a fresh namespace and shows the ``Verdict``: edit the
cell, run it, check again. A check never raises: an exercise not run yet, an unknown id or a
checker that breaks is a verdict in words too.

Instructor mode shows solutions: set ``HYDRO_LAB_INSTRUCTOR=1`` in the environment Jupyter
starts from, or call ``hydro_lab.workshop.instructor(True)`` in the notebook (``False`` hides
them again). It keeps a solution out of sight, it does not lock it away.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from typing import Any

from hydro_lab.workshop.checking import your_cell
from hydro_lab.workshop.exercise import Exercise, Verdict, check
from hydro_lab.workshop.registry import get

INSTRUCTOR_ENV = "HYDRO_LAB_INSTRUCTOR"

_mode: dict[str, bool | None] = {"instructor": None}  # None: the environment decides


def instructor(on: bool = True) -> None:
    """Turn instructor mode on (``solution(id)`` and ``show(id)`` reveal solutions) or off;
    this overrides ``HYDRO_LAB_INSTRUCTOR`` for the rest of the session."""
    _mode["instructor"] = bool(on)


def is_instructor() -> bool:
    """Whether solutions are shown: ``instructor(...)`` if it was called, else whether the
    environment sets ``HYDRO_LAB_INSTRUCTOR`` to something other than ``""``, ``0``, ``false``
    or ``no``."""
    if _mode["instructor"] is not None:
        return bool(_mode["instructor"])
    return os.environ.get(INSTRUCTOR_ENV, "").strip().lower() not in ("", "0", "false", "no")


# -- reading the student's cell ----------------------------------------------------------------

def _marker(exercise_id: str) -> re.Pattern[str]:
    """``# exercise N.M`` at the top of a cell (``N.M`` whole: ``1.1`` is not ``1.10``)."""
    return re.compile(rf"\A\s*#\s*exercise\s+{re.escape(exercise_id)}(?![\w.])")


def _history() -> Sequence[str]:
    """The cells the kernel ran, oldest first (IPython's ``In``); empty outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover  (IPython comes with Jupyter)
        return []
    shell = get_ipython()
    if shell is None:
        return []
    cells = shell.user_ns.get("In")
    if not isinstance(cells, list):
        cells = shell.history_manager.input_hist_parsed
    return cells


def exercise_source(exercise_id: str, history: Sequence[str] | None = None) -> str | None:
    """The source of the most recent cell in ``history`` (default: the kernel's ``In``) that
    starts with ``# exercise <exercise_id>``, or ``None`` if no such cell has run."""
    marker = _marker(str(exercise_id).strip())
    cells = _history() if history is None else history
    for cell in reversed(cells):
        if isinstance(cell, str) and marker.match(cell):
            return cell
    return None


_CHECK_CALL = re.compile(r"^\s*(?:check|check_exercise)\(.*\)\s*$")


def _without_checks(source: str) -> str:
    """``source`` with a line calling ``check(...)`` blanked (a student who put the check in
    the exercise cell: the check is not part of the answer); the line numbers stay."""
    return "\n".join("" if _CHECK_CALL.match(line) else line for line in source.split("\n"))


def verdict_for(exercise_id: str, source: str | None = None,
                history: Sequence[str] | None = None) -> Verdict:
    """The verdict on ``source`` (default: the latest run of the exercise cell, see
    ``exercise_source``) for exercise ``exercise_id``. Never raises for what the student did."""
    wanted = str(exercise_id).strip()
    try:
        exercise = get(wanted)
    except KeyError as err:
        return Verdict.fail(f"{err.args[0]}: check the id in check(\"...\").")
    except Exception as err:  # noqa: BLE001  (a broken chapter module: say so, do not raise)
        return Verdict.fail(f"the workshop's exercises could not be loaded: "
                            f"{type(err).__name__}: {err}")
    if source is None:
        source = exercise_source(wanted, history)
    if source is None:
        return Verdict.fail(
            f"exercise {wanted} has not been run yet: run its cell (the one that starts with "
            f"`# exercise {wanted}`), then check again.")
    source = _without_checks(source)
    try:
        verdict = check(exercise, source)
    except Exception as err:  # noqa: BLE001  (check() answers everything; this is a last guard)
        return Verdict.fail(f"the check itself failed ({type(err).__name__}: {err}); run the "
                            "exercise cell again, and tell the instructor if this stays.")
    return Verdict(verdict.passed, [your_cell(r) for r in verdict.right],
                   [your_cell(w) for w in verdict.wrong])


# -- showing ------------------------------------------------------------------------------------

def _display(text: str, markdown: str | None = None, html_text: str | None = None) -> None:
    """Show a bundle (plain text, and markdown or HTML for a notebook); print outside IPython."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover
        print(text)
        return
    if get_ipython() is None:
        print(text)
        return
    bundle = {"text/plain": text}
    if markdown is not None:
        bundle["text/markdown"] = markdown
    if html_text is not None:
        bundle["text/html"] = html_text
    display(bundle, raw=True)


def check_exercise(exercise_id: str, source: str | None = None) -> None:
    """Check the student's latest run of exercise ``exercise_id``'s cell (or ``source``) and
    show the verdict: what is right, what is wrong and on which execution. Never raises."""
    verdict = verdict_for(exercise_id, source)
    wanted = str(exercise_id).strip()
    try:
        title = get(wanted).title
    except Exception:  # noqa: BLE001  (the verdict already says what is wrong with the id)
        title = ""
    head = f"exercise {wanted}" + (f" · {title}" if title else "")
    _display(f"{head}\n{verdict}",
             html_text=f"<div><i>{html.escape(head)}</i>{verdict._repr_html_()}</div>")


def _solution_markdown(exercise: Exercise) -> str:
    return f"**Solution of exercise {exercise.id}**\n\n```python\n{exercise.solution}```\n"


_LOCKED = (f"The solution is shown in instructor mode only: the instructor sets "
           f"`{INSTRUCTOR_ENV}=1` before starting Jupyter, or runs "
           "`hydro_lab.workshop.instructor(True)`. Try the hints first.")


def solution(exercise_id: str) -> None:
    """Show the solution of exercise ``exercise_id``: in instructor mode only (otherwise say
    how an instructor turns it on)."""
    try:
        exercise = get(exercise_id)
    except KeyError as err:
        _display(err.args[0])
        return
    if not is_instructor():
        _display(_LOCKED, markdown=_LOCKED)
        return
    _display(f"solution of exercise {exercise.id}\n{exercise.solution}",
             markdown=_solution_markdown(exercise))


def _append(output: Any, bundle: dict[str, str]) -> None:
    """Add a display bundle to an ``ipywidgets.Output`` (its outputs are plain data: the front
    end draws them, and they need no running shell)."""
    output.outputs += ({"output_type": "display_data", "data": bundle, "metadata": {}},)


class Panel:
    """The widgets ``show(id)`` displays under the task: a button revealing the next hint (its
    label says how many are left), the hints revealed so far, and in instructor mode a button
    revealing the solution. ``reveal_hint()`` and ``reveal_solution()`` are what the buttons
    call."""

    def __init__(self, exercise: Exercise, with_solution: bool):
        import ipywidgets as w

        self.exercise = exercise
        self.revealed = 0
        self.hint_button = w.Button(description=self._hint_label(), icon="lightbulb-o")
        self.hint_button.disabled = not exercise.hints
        self.hint_button.on_click(lambda _button: self.reveal_hint())
        self.hints = w.Output()
        buttons: list[Any] = [self.hint_button]
        self.solution_button = None
        if with_solution:
            self.solution_button = w.Button(description="Reveal the solution", icon="key",
                                            button_style="warning")
            self.solution_button.on_click(lambda _button: self.reveal_solution())
            buttons.append(self.solution_button)
        self.solution = w.Output()
        self.widget = w.VBox([w.HBox(buttons), self.hints, self.solution])

    def _hint_label(self) -> str:
        total = len(self.exercise.hints)
        if total == 0:
            return "no hints"
        if self.revealed >= total:
            return "no more hints"
        return f"Hint {self.revealed + 1} of {total}"

    def reveal_hint(self) -> None:
        """Show the next hint, if there is one."""
        hints = self.exercise.hints
        if self.revealed >= len(hints):
            return
        text = f"**Hint {self.revealed + 1}.** {hints[self.revealed]}"
        _append(self.hints, {"text/plain": text, "text/markdown": text})
        self.revealed += 1
        self.hint_button.description = self._hint_label()
        self.hint_button.disabled = self.revealed >= len(hints)

    def reveal_solution(self) -> None:
        """Show the solution (the button exists in instructor mode only)."""
        if self.solution.outputs:
            return
        md = _solution_markdown(self.exercise)
        _append(self.solution, {"text/plain": self.exercise.solution, "text/markdown": md})


def show(exercise_id: str) -> None:
    """Show exercise ``exercise_id``: its title and task, a button revealing the hints one by
    one and, in instructor mode, one revealing the solution (a ``Panel``)."""
    try:
        exercise = get(exercise_id)
    except KeyError as err:
        _display(err.args[0])
        return
    head = f"Exercise {exercise.id}: {exercise.title}"
    _display(f"{head}\n\n{exercise.task}", markdown=f"### {head}\n\n{exercise.task}")
    panel = Panel(exercise, with_solution=is_instructor())
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover
        return
    if get_ipython() is not None:
        display(panel.widget)
