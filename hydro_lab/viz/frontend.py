"""Whether the front end this kernel serves draws hydro_lab graphs itself.

It does when the kernel was started by a Jupyter server for a notebook or console
(``JPY_SESSION_NAME`` is set: JupyterLab, Notebook 7) and the hydro_lab lab extension is installed
where that server looks for extensions. Anything else (nbconvert/nbclient, VS Code, a terminal
IPython) gets SVG in the bundle when Graphviz's ``dot`` exists: ``Graph.svg_fallback`` decides.
"""

from __future__ import annotations

import os
from functools import cache

EXTENSION_NAME = "hydro-lab"


@cache
def extension_installed() -> bool:
    """The lab extension is in one of Jupyter's ``labextensions`` folders."""
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:  # no Jupyter at all: nothing can draw it
        return False
    return any(os.path.isfile(os.path.join(d, EXTENSION_NAME, "package.json"))
               for d in jupyter_path("labextensions"))


def frontend_draws() -> bool:
    return bool(os.environ.get("JPY_SESSION_NAME")) and extension_installed()
