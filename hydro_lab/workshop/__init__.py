"""Checked exercises for the workshop in ``notebooks/workshop/``: ``Exercise``, ``Verdict`` and
``check`` (see ``hydro_lab.workshop.exercise``)."""

from hydro_lab.workshop.exercise import Exercise, Verdict, check, run_source

__all__ = ["Exercise", "Verdict", "check", "run_source"]
