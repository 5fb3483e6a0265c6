"""``dash.controls``: a mapping from name to widget, in the order they are laid out (what the
controls do is tested through the dashboard, tests/dashboard/test_dashboard.py)."""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import pytest

from hydro_lab.dashboard.controls import DeploymentControls
from tests.flows import pi_deployment

NAMES = ["pause", "resume", "step", "step_ticks", "state", "limit", "rate", "member", "kill",
         "restart", "channel", "drop", "delay", "clear", "status"]


def laid_out(widget: widgets.Widget) -> list[widgets.Widget]:
    """Every widget in a box tree, depth first."""
    children = getattr(widget, "children", ())
    return [widget] + [w for child in children for w in laid_out(child)]


def test_the_controls_are_a_mapping_from_name_to_widget_in_layout_order():
    d = pi_deployment()
    c = d.dashboard(pump=None).controls
    assert isinstance(c, Mapping) and isinstance(c, DeploymentControls)
    assert list(c) == NAMES and len(c) == len(NAMES)
    assert c["kill"] is c.kill and c.get("rate") is c.rate and dict(c)["drop"] is c.drop
    assert "pause" in c and "widget" not in c and "deployment" not in c
    with pytest.raises(KeyError):
        c["widget"]                                   # the layout, an attribute only
    assert all(isinstance(w, widgets.Widget) for w in c.values())
    shown = [id(w) for w in laid_out(c.widget)]
    assert sorted(shown.index(id(w)) for w in c.values()) == \
        [shown.index(id(w)) for w in c.values()]
    c["resume"].click()                               # acting through the mapping
    assert d.state == "running"
    assert "kill" in repr(c) and "DeploymentControls" in repr(c)
    d.stop()
