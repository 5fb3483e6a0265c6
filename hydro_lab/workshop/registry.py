"""Every exercise of the workshop, by id: each ``hydro_lab.workshop.chapterN`` module (N = 1, 2,
...) lists its own in ``EXERCISES`` with ids ``"N.1"``, ``"N.2"``, ...; the registry finds the
chapter modules that exist and collects them, so a new chapter needs no registration."""

from __future__ import annotations

import importlib
import pkgutil
import re

from hydro_lab.workshop.exercise import Exercise

_CHAPTER = re.compile(r"chapter(\d+)")


def chapters() -> list[int]:
    """The chapter numbers that have a ``hydro_lab.workshop.chapterN`` module, in order."""
    import hydro_lab.workshop as package

    found = [_CHAPTER.fullmatch(m.name) for m in pkgutil.iter_modules(package.__path__)]
    return sorted(int(m.group(1)) for m in found if m)


def exercises(chapter: int | None = None) -> tuple[Exercise, ...]:
    """Every exercise of every chapter (or of ``chapter`` alone), in chapter and id order.

    A chapter module whose ``EXERCISES`` is missing, or holds an id that is not ``"N.M"`` for
    its chapter N, or an id twice, is an error of the workshop itself (``ValueError``)."""
    found: list[Exercise] = []
    for number in chapters():
        if chapter is not None and number != chapter:
            continue
        module = importlib.import_module(f"hydro_lab.workshop.chapter{number}")
        listed = getattr(module, "EXERCISES", None)
        if listed is None:
            raise ValueError(f"hydro_lab.workshop.chapter{number} defines no EXERCISES")
        for ex in listed:
            if not re.fullmatch(rf"{number}\.\d+", ex.id):
                raise ValueError(f"hydro_lab.workshop.chapter{number}: exercise id {ex.id!r} is "
                                 f"not '{number}.M'")
        found += sorted(listed, key=lambda ex: int(ex.id.split(".")[1]))
    ids = [ex.id for ex in found]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"exercise ids listed twice: {', '.join(twice)}")
    return tuple(found)


def get(id: str) -> Exercise:  # noqa: A002  (the exercise's id, as the notebooks call it)
    """The exercise with this id (``"3.1"``); ``KeyError`` naming the ids there are."""
    wanted = str(id).strip()
    for ex in exercises():
        if ex.id == wanted:
            return ex
    known = ", ".join(ex.id for ex in exercises()) or "none"
    raise KeyError(f"there is no exercise {wanted!r}; the exercises are {known}")
