"""`import hydro_lab` alone registers every live view (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys


def test_import_hydro_lab_registers_dashboard_watch_and_replay_lazily():
    code = (
        "import sys, hydro_lab\n"
        "from hydro_lab.views import get_view\n"
        "print(sorted(n for n in ('dashboard', 'watch', 'replay') if get_view(n)))\n"
        "print('bokeh' in sys.modules, 'ipywidgets' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "['dashboard', 'replay', 'watch']"
    assert out[1] == "False False"  # the widget libraries load on first use only
