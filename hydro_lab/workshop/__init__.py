"""Checked exercises for the workshop in ``notebooks/workshop/``.

``Exercise``, ``Verdict`` and ``check`` (``exercise.py``) say what an exercise is and how a
student's code is checked; ``exercises()`` and ``get(id)`` (``registry.py``) collect the
exercises of every ``chapterN`` module; ``show``, ``check_exercise``, ``solution`` and
``instructor`` (``notebook.py``) are what a notebook calls: the task with hints revealed one by
one, the check of the student's latest run of an exercise cell, and the solution, shown in
instructor mode only (``HYDRO_LAB_INSTRUCTOR=1`` in the environment, or ``instructor(True)``).
"""

from hydro_lab.workshop.exercise import Exercise, Verdict, check, run_source
from hydro_lab.workshop.notebook import (
    INSTRUCTOR_ENV,
    check_exercise,
    exercise_source,
    instructor,
    is_instructor,
    show,
    solution,
    verdict_for,
)
from hydro_lab.workshop.registry import chapters, exercises, get

__all__ = [
    "INSTRUCTOR_ENV", "Exercise", "Verdict", "chapters", "check", "check_exercise",
    "exercise_source", "exercises", "get", "instructor", "is_instructor", "run_source", "show",
    "solution", "verdict_for",
]
