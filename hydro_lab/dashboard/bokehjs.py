"""How BokehJS gets into the page: inline (no CDN: a workshop room or a CI runner may be offline),
once per page, and never into the saved notebook (it is 4 MB; it made a notebook 8.4 MB).

jupyter_bokeh's widgets draw with the page's BokehJS. A page gets it in one of two ways:

- the page that runs the cell: ``show(widget, text)`` displays BokehJS as a script, which runs
  as the output arrives, and replaces that output with the live view under the same display id
  (``update_display_data``); once per front-end client session. The notebook keeps the view's
  reference and ``text`` only;
- a page that takes the kernel's widgets when it loads (a reload, a second tab): every live view
  has the kernel's one ``BokehJSWidget`` as its first child, an invisible Output widget whose
  state carries BokehJS when a page asks the kernel for its widgets, but not when it is created
  (nbclient and nbconvert save the state widgets are created with into the notebook).

The script runs the library only where the page has no BokehJS of this version, and counts
how often it did in ``window.hydro_lab_bokehjs_loads`` (the browser tests read it).
"""

from __future__ import annotations

import functools
import json
from typing import Any

import ipywidgets as widgets

JS = "application/javascript"

# front-end client sessions that were sent BokehJS (None: no kernel, e.g. a plain shell)
_sessions: set[str | None] = set()
_widget: BokehJSWidget | None = None


@functools.cache
def script() -> str:
    """BokehJS (every bokeh bundle, inline) as one script that loads it where the page has none
    of this version, and does nothing where it has."""
    from bokeh import __version__
    from bokeh.embed.bundle import bundle_for_objs_and_resources
    from bokeh.resources import INLINE

    bundle = bundle_for_objs_and_resources(None, INLINE)
    parts = [f"  inject_css({json.dumps(css)});" for css in bundle.css_raw]
    # each part runs as bokeh's own loader runs it: `this` the window, `Bokeh` an argument
    parts += [f"  (function (Bokeh) {{\n{js}\n  }}).call(root, root.Bokeh);"
              for js in bundle.js_raw]
    return "\n".join([
        "(function (root) {",
        f"  if (root.Bokeh !== undefined && root.Bokeh.version === {json.dumps(__version__)}) {{",
        "    return;",
        "  }",
        "  root.hydro_lab_bokehjs_loads = (root.hydro_lab_bokehjs_loads || 0) + 1;",
        "  function inject_css(css) {",
        "    const style = document.createElement('style');",
        "    style.appendChild(document.createTextNode(css));",
        "    document.body.appendChild(style);",
        "  }",
        *parts,
        "}(window));",
    ])


class BokehJSWidget(widgets.Output):
    """An invisible Output widget that hands BokehJS to a page taking the kernel's widgets.

    Its state is empty when it is created: that is what nbclient records as the notebook's
    widget state, and the page that ran the cell got BokehJS from ``show``. Asked for its
    whole state later (``get_state()``: a page loading the kernel's widgets, or an embedding),
    it answers with one output, the script. A view that shows it before its bokeh widgets
    runs the script before their views need ``window.Bokeh``: ipywidgets makes a box's child
    views in order."""

    def __init__(self) -> None:
        super().__init__(layout=widgets.Layout(display="none"))

    def get_state(self, key=None, drop_defaults=False) -> dict[str, Any]:
        state = super().get_state(key, drop_defaults)
        if key is None and self.comm is not None:  # not the comm_open's state
            state["outputs"] = ({"output_type": "display_data", "data": {JS: script()},
                                 "metadata": {}},)
        return state


def widget() -> BokehJSWidget:
    """The kernel's one ``BokehJSWidget`` (made again if it was closed): the first child of
    every live view that holds bokeh widgets."""
    global _widget
    if _widget is None or _widget.comm is None:
        _widget = BokehJSWidget()
    return _widget


def client_session() -> str | None:
    """The id of the front-end connection whose request the kernel is executing now, or None
    outside a kernel. JupyterLab makes a new one for every page: a reload, or the notebook
    opened in a second tab, is a browser without BokehJS even though the kernel is the same."""
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        if kernel is None:
            return None
        return kernel.get_parent("shell").get("header", {}).get("session") or None
    except Exception:  # an unusual kernel: fall back to once per kernel
        return None


def show(view: widgets.Widget, text: str) -> bool:
    """Display ``view`` (a widget holding bokeh widgets) as one output whose ``text/plain`` is
    ``text`` (what a notebook viewer without the kernel shows). The first time for this page,
    the output is BokehJS first, replaced at once by the view: the script ran as it arrived,
    and the saved notebook holds only the view. Returns whether BokehJS was sent."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display

    bundle = {**view._repr_mimebundle_(), "text/plain": text}
    session = client_session()
    if session in _sessions or not InteractiveShell.initialized():  # (no shell: it prints)
        display(bundle, raw=True)
        return False
    handle = display({JS: script()}, raw=True, display_id=True)
    handle.update(bundle, raw=True)
    _sessions.add(session)
    return True
