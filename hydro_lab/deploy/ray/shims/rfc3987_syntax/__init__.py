"""A lazy stand-in for ``rfc3987_syntax`` in Ray's processes (put first on their PYTHONPATH).

Every Ray process imports ``jsonschema`` (for runtime-env schemas), whose format checkers import
``rfc3987_syntax`` when JupyterLab's dependencies are installed; that package compiles about 35
Lark grammars at import, over a second per process, which made ``ray.init`` take 10-15 s and each
new actor about half a second more on this machine (docs/ray.md). This stand-in loads the real
package the first time an IRI is actually validated, so nothing is lost and start-up is fast.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_real = None


def _load_real():
    global _real
    if _real is None:
        path = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
        spec = importlib.machinery.PathFinder.find_spec(__name__, path)
        if spec is None or spec.loader is None:
            raise ImportError("rfc3987_syntax is not installed")
        module = importlib.util.module_from_spec(spec)
        shim = sys.modules.get(__name__)
        sys.modules[__name__] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules[__name__] = shim
            raise
        _real = module
    return _real


def is_valid_syntax(*args, **kwargs):
    return _load_real().is_valid_syntax(*args, **kwargs)


def __getattr__(name):
    return getattr(_load_real(), name)
