"""Where the showing layers plug views into objects of the layers below them.

``d.dashboard()`` (deploy), ``collection.watch()`` (lang) and a recorded run's replay need widgets
that live in ``hydro_lab.dashboard``, which imports those layers; so the dashboard registers its
view factories here when it is imported, and the lower layers look them up by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hydro_lab.errors import HydroError

_VIEWS: dict[str, Callable[..., Any]] = {}


def register_view(name: str, factory: Callable[..., Any]) -> None:
    _VIEWS[name] = factory


def get_view(name: str) -> Callable[..., Any]:
    try:
        return _VIEWS[name]
    except KeyError:
        raise HydroError(
            f"the {name!r} view is not registered: import hydro_lab.dashboard first (it needs "
            "bokeh, jupyter_bokeh and ipywidgets, which pip install hydro-lab brings)") from None
