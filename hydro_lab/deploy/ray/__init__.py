"""The Ray backend: ``session`` (this process's Ray session), ``driver`` (``RayDeployment``, in
the notebook's process), ``actor`` (one instance per Ray actor, around the instance core) and
``transport`` (the sockets between them). Importing it imports Ray, after ``session`` put the
start-up shims on ``sys.path`` (every module here is imported after this file, so that comes
first).
"""
# ruff: noqa: I001

from hydro_lab.deploy.ray.session import (  # first: shims
    NAMESPACE,
    SHIMS,
    RayStart,
    ensure_ray,
    last_ray_start,
    ray_start_under_way,
    shutdown_ray,
    start_ray_in_background,
)
from hydro_lab.deploy.ray.driver import RayDeployment

__all__ = ["NAMESPACE", "SHIMS", "RayDeployment", "RayStart", "ensure_ray", "last_ray_start",
           "ray_start_under_way", "shutdown_ray", "start_ray_in_background"]
