"""Map the synthetic file names IPython gives notebook cells to labels such as ``In [3]``.

ipykernel compiles each cell into a temporary file name (``/tmp/ipykernel_…/3613790314.py``);
IPython's compiler remembers which execution count each name belongs to. IPython is only looked
up when it is already loaded, so plain scripts pay nothing.
"""

from __future__ import annotations

import sys


def ipython_cell_label(filename: str) -> str | None:
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:
        return None
    shell = ipython_module.get_ipython()
    compiler = getattr(shell, "compile", None)
    formatter = getattr(compiler, "format_code_name", None)
    if formatter is None:
        return None
    named = formatter(filename)
    if not named:
        return None
    _kind, label = named  # ("Cell", "In[3]")
    return label.replace("In[", "In [")
