"""Where the showing layers plug views into objects of the layers below them.

``d.dashboard()`` and ``d.graph()`` (deploy), ``collection.watch()`` (lang) and a recorded run's
replay need widgets that live in ``hydro_lab.dashboard``, which imports those layers; so the
dashboard registers its view factories here when it is imported, and the lower layers look them
up by name. One registry, one registration per name: registering a name twice is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hydro_lab.errors import HydroError

_VIEWS: dict[str, Callable[..., Any]] = {}


def _where(factory: Callable[..., Any]) -> str:
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', factory)}"


def register_view(name: str, factory: Callable[..., Any]) -> None:
    """Make ``factory`` the view called ``name``; a name is registered once (a second
    registration, even of the same factory, raises ``HydroError``)."""
    if name in _VIEWS:
        raise HydroError(
            f"the {name!r} view is registered already (by {_where(_VIEWS[name])}); a view is "
            f"registered once, in hydro_lab/dashboard/__init__.py: {_where(factory)} is a "
            "second registration")
    _VIEWS[name] = factory


def get_view(name: str) -> Callable[..., Any]:
    """The factory registered as the view ``name``."""
    try:
        return _VIEWS[name]
    except KeyError:
        known = ", ".join(repr(n) for n in sorted(_VIEWS)) or "none yet"
        raise HydroError(
            f"the {name!r} view is not registered (registered: {known}); hydro_lab.dashboard "
            "registers the views when hydro_lab is imported (it needs bokeh, jupyter_bokeh and "
            "ipywidgets, which pip install hydro-lab brings)") from None


def registered_views() -> list[str]:
    """The names of the registered views, sorted."""
    return sorted(_VIEWS)
