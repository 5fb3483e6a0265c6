"""This process's Ray session: started (or joined) on first use with the environment its workers
need, ended with the kernel. Ray is imported here, after putting the ``shims/`` directory first on
``sys.path``: ``import ray`` imports jsonschema, whose optional ``rfc3987_syntax`` import is slow;
the shim loads it only when an IRI is validated (docs/ray.md).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

SHIMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims")
if "rfc3987_syntax" not in sys.modules and SHIMS not in sys.path:
    sys.path.insert(0, SHIMS)  # `import ray` imports jsonschema: keep its slow import lazy here too

import ray  # noqa: E402  (after the shim path: see shims/)

NAMESPACE = "hydro_lab"


def ensure_ray(address: str | None = None, **init_kwargs: Any) -> None:
    """Start Ray here (or join ``address``) unless this process is already connected.

    Ray's processes inherit this process's environment: the shims directory goes first on their
    PYTHONPATH (fast start-up next to JupyterLab, see ``shims/``), then the current directory
    and this process's ``sys.path`` (so workers can import the modules user closures refer to).
    """
    if ray.is_initialized():
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_TQDM_PATCH_PRINT", "0")  # keep the user's print() as it is
    paths = [SHIMS, os.getcwd()] + [p for p in sys.path if p and os.path.isdir(p)]
    existing = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths + [existing] if existing
                                                             else paths))
    # logging_level: Ray's own INFO lines ("Started a local Ray instance.") stay out of the
    # notebook; its warnings still show
    options = {"include_dashboard": False, "log_to_driver": True, "namespace": NAMESPACE,
               "logging_level": logging.WARNING}
    options.update(init_kwargs)
    ray.init(address=address, **options)


def shutdown_ray() -> None:
    """End this process's Ray session, if it has one, and with it Ray's processes (reaped, not
    left as zombies: a Jupyter kernel shutting down waits for its child processes to go, up to
    half a minute, and zombies never go)."""
    if ray.is_initialized():
        ray.shutdown()
