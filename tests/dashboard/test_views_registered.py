"""`import hydro_lab` alone registers every live view, once each (checked in a fresh interpreter);
a name registered twice is refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hydro_lab import views
from hydro_lab.errors import HydroError

VIEWS = ["dashboard", "frame", "graph", "replay", "watch"]


def test_import_hydro_lab_registers_every_view_lazily():
    code = (
        "import sys, hydro_lab\n"
        "from hydro_lab.views import get_view, registered_views\n"
        "print(registered_views(), all(callable(get_view(n)) for n in registered_views()))\n"
        "print('bokeh' in sys.modules, 'ipywidgets' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == f"{VIEWS} True"
    assert out[1] == "False False"  # the widget libraries load on first use only


def test_loading_the_views_modules_registers_nothing_more():
    """A view module that registered itself too (as ``dashboard/watch.py`` once did) would be
    refused on import: every view keeps its one registration."""
    code = (
        "import importlib, pkgutil, hydro_lab.dashboard as dash\n"
        "from hydro_lab.views import get_view, registered_views\n"
        "for m in pkgutil.iter_modules(dash.__path__):\n"
        "    importlib.import_module(f'hydro_lab.dashboard.{m.name}')\n"
        "print(registered_views())\n"
        "print(sorted({get_view(n).__module__ for n in registered_views()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == str(VIEWS)
    assert out[1] == "['hydro_lab.dashboard']"


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(views, "_VIEWS", dict(views._VIEWS))
    return views


def test_a_second_registration_of_a_name_is_refused_and_names_the_first(registry):
    def other(x):
        return x

    with pytest.raises(HydroError) as info:
        registry.register_view("watch", other)
    assert str(info.value) == (
        "the 'watch' view is registered already (by hydro_lab.dashboard.watch_view); a view is "
        "registered once, in hydro_lab/dashboard/__init__.py: "
        f"{__name__}.test_a_second_registration_of_a_name_is_refused_and_names_the_first."
        "<locals>.other is a second registration")
    assert registry.get_view("watch").__qualname__ == "watch_view"  # the first one stays


def test_registering_the_same_factory_again_is_refused_too(registry):
    registry.register_view("probe", print)
    with pytest.raises(HydroError, match="'probe' view is registered already"):
        registry.register_view("probe", print)
    assert registry.registered_views() == sorted([*VIEWS, "probe"])


def test_an_unknown_view_names_the_registered_ones():
    with pytest.raises(HydroError) as info:
        views.get_view("dashbaord")
    assert str(info.value).startswith(
        "the 'dashbaord' view is not registered (registered: 'dashboard', 'frame', 'graph', "
        "'replay', 'watch')")
