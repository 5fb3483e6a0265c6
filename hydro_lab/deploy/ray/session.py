"""This process's Ray session: started (or joined) on first use with the environment its workers
need, or ahead of time on a background thread (:func:`start_ray_in_background`, the notebook's
warm start), ended with the kernel. One start at a time: :func:`ensure_ray` waits for a start
under way, in any thread, instead of starting another.

Ray is imported here, after putting the ``shims/`` directory first on ``sys.path``: ``import ray``
imports jsonschema, whose optional ``rfc3987_syntax`` import is slow; the shim loads it only when
an IRI is validated (docs/ray.md).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

SHIMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims")
if "rfc3987_syntax" not in sys.modules and SHIMS not in sys.path:
    sys.path.insert(0, SHIMS)  # `import ray` imports jsonschema: keep its slow import lazy here too

import ray  # noqa: E402  (after the shim path: see shims/)

NAMESPACE = "hydro_lab"
START_LOG = "hydro_lab_ray_start.log"  # in Ray's session log directory: what a start said

_lock = threading.Lock()   # guards _under_way; held only to look and to register, never to wait
_under_way: RayStart | None = None
_last: RayStart | None = None  # the latest start, under way or ended


class RayStart:
    """One start of Ray in this process (``ray.init``), in the foreground or on a background
    thread. ``wait()`` blocks until it has ended; then ``error`` is None if Ray is up.

    What Ray logs below ERROR on the starting thread while it starts (the token-authentication
    notice, "SIGTERM handler is not set" on a background thread, ...) is kept in ``messages`` and
    written to ``hydro_lab_ray_start.log`` in Ray's session log directory instead of going to
    stderr, which in a notebook is whichever cell runs at the time. Errors still go to stderr.
    """

    def __init__(self, address: str | None, init_kwargs: dict[str, Any], background: bool):
        self.address = address
        self.init_kwargs = init_kwargs
        self.background = background
        self.error: BaseException | None = None
        self.messages: list[str] = []
        self.log_path: str | None = None
        self.began = time.monotonic()       # registered (the start is under way from here)
        self.ended: float | None = None     # done (time.monotonic(), as ``began``)
        self._done = threading.Event()
        self._released = threading.Event()
        self.thread: threading.Thread | None = None  # the thread that starts Ray and stays

    @property
    def done(self) -> bool:
        """The start has ended (Ray is up, or it failed: ``error``)."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the start has ended (at most ``timeout`` seconds); True if it has."""
        return self._done.wait(timeout)

    def run(self) -> None:
        """Start Ray on this thread, then mark the start ended (``error`` if it failed)."""
        global _under_way
        try:
            with _QuietStart(self):
                _init(self.address, self.init_kwargs)
            self._write_log()
        except BaseException as err:  # noqa: BLE001  (kept for the waiters; raised by ensure_ray)
            self.error = err
        finally:
            with _lock:
                if _under_way is self:
                    _under_way = None
            self.ended = time.monotonic()
            self._done.set()

    def keep(self) -> None:
        """The body of the thread that starts Ray when the caller is not the main thread: start
        it, then stay until :func:`shutdown_ray`. Ray starts its daemons (GCS, raylet, ...) with
        ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, and Linux sends that signal when the *thread* that
        spawned them ends: were this thread to end, Ray would die under the deployment."""
        self.run()
        if self.error is None:
            self._released.wait()

    def release(self) -> None:
        """Let the thread that started Ray end (after ``ray.shutdown()``)."""
        self._released.set()

    def _begin_thread(self) -> None:
        self.thread = threading.Thread(target=self.keep, name="hydro_lab: Ray session",
                                       daemon=True)
        self.thread.start()

    def _write_log(self) -> None:
        if not self.messages:
            return
        try:
            logs = ray._private.worker._global_node.get_logs_dir_path()
            path = os.path.join(logs, START_LOG)
            with open(path, "a") as f:
                f.write("".join(line + "\n" for line in self.messages))
            self.log_path = path
        except Exception:  # noqa: BLE001  (joined a cluster, no node here: messages keep them)
            pass


class _QuietStart(logging.Filter):
    """While Ray starts: the records below ERROR that Ray's loggers emit on the starting thread
    go to the start's ``messages`` instead of Ray's stderr handler."""

    def __init__(self, start: RayStart):
        super().__init__()
        self.start = start
        self.thread = threading.get_ident()
        self.format = logging.Formatter("%(asctime)s %(levelname)s %(filename)s:%(lineno)d -- "
                                        "%(message)s").format
        self.handlers: list[logging.Handler] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.levelno >= logging.ERROR or record.thread != self.thread
                or not record.name.startswith("ray")):
            return True
        if not getattr(record, "hydro_lab_kept", False):  # once, whichever handler asks first
            record.hydro_lab_kept = True
            self.start.messages.append(self.format(record))
        return False

    def __enter__(self) -> _QuietStart:
        self.handlers = list(logging.getLogger("ray").handlers)  # Ray's stderr handler
        for h in self.handlers:
            h.addFilter(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        for h in self.handlers:
            h.removeFilter(self)


def _init(address: str | None, init_kwargs: dict[str, Any]) -> None:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_TQDM_PATCH_PRINT", "0")  # keep the user's print() as it is
    # RAY_AUTH_MODE is left to Ray: unset, a new local session requires its token
    # (~/.ray/auth_token, made if missing) of every caller of its ports (docs/ray.md); the
    # notice Ray logs saying so goes to the start's log (RayStart)
    paths = [SHIMS, os.getcwd()] + [p for p in sys.path if p and os.path.isdir(p)]
    existing = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths + [existing] if existing
                                                             else paths))
    # logging_level: Ray's own INFO lines ("Started a local Ray instance.") stay out of the
    # notebook; its warnings while it starts go to the start's log (RayStart), later ones show
    options = {"include_dashboard": False, "log_to_driver": True, "namespace": NAMESPACE,
               "logging_level": logging.WARNING}
    options.update(init_kwargs)
    ray.init(address=address, **options)
    if os.environ.get("RAY_AUTH_MODE") == "token":
        _keep_token_private()


def _keep_token_private() -> None:
    """Ray writes the session's token file (``~/.ray/auth_token``) with the process's umask,
    usually readable by every user of the machine: make it the owner's only (docs/ray.md)."""
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or os.path.join(os.path.expanduser("~"),
                                                                 ".ray", "auth_token")
    try:
        mode = os.stat(path).st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
    except OSError:  # no file (a token in RAY_AUTH_TOKEN) or not ours: nothing to tighten
        pass


def _claim(address: str | None, init_kwargs: dict[str, Any],
           background: bool) -> tuple[RayStart | None, bool]:
    """Under the lock: None if Ray is up; else the start under way (``False``: someone else's)
    or a new one registered for the caller to run (``True``)."""
    global _under_way, _last
    with _lock:
        if ray.is_initialized():
            return None, False
        if _under_way is not None:
            return _under_way, False
        _under_way = _last = RayStart(address, dict(init_kwargs), background)
        return _under_way, True


def ensure_ray(address: str | None = None, **init_kwargs: Any) -> None:
    """Start Ray here (or join ``address``) unless this process is already connected; if a start
    is already under way (another thread's, or :func:`start_ray_in_background`'s), wait for it
    instead of starting another. When the start waited for failed, start anew here: its error,
    if it fails again, is this call's. Called on the main thread it runs ``ray.init`` there;
    on another thread, on a thread that stays as long as the session (:meth:`RayStart.keep`).

    Ray's processes inherit this process's environment: the shims directory goes first on their
    PYTHONPATH (fast start-up next to JupyterLab, see ``shims/``), then the current directory
    and this process's ``sys.path`` (so workers can import the modules user closures refer to).
    """
    while True:
        start, mine = _claim(address, init_kwargs, background=False)
        if start is None:
            return
        if mine and threading.current_thread() is threading.main_thread():
            start.run()  # here, as Ray expects (it sets its SIGTERM handler)
        elif mine:
            start._begin_thread()  # a thread that lives as long as the session (keep())
        start.wait()
        if start.error is None:
            return
        if mine:
            raise start.error
        # someone else's start failed: start anew, here


def start_ray_in_background(address: str | None = None, **init_kwargs: Any) -> RayStart | None:
    """Begin starting Ray (as :func:`ensure_ray` would) on a daemon thread and return at once
    with the start (``wait()``, ``done``, ``error``); the start already under way if there is
    one; None if Ray is up. A later :func:`ensure_ray` (``%hydro deploy --ray``) waits for it."""
    start, mine = _claim(address, init_kwargs, background=True)
    if mine:
        start._begin_thread()
    return start


def ray_start_under_way() -> RayStart | None:
    """The start of Ray under way in this process, if any."""
    with _lock:
        return _under_way


def last_ray_start() -> RayStart | None:
    """The latest start of Ray in this process (under way or ended), if any: its ``messages``
    are what Ray said while starting (kept out of the notebook), ``log_path`` where they were
    written."""
    with _lock:
        return _last


def shutdown_ray(wait: float = 30.0) -> None:
    """End this process's Ray session, if it has one, and with it Ray's processes (reaped, not
    left as zombies: a Jupyter kernel shutting down waits for its child processes to go, up to
    half a minute, and zombies never go). A start under way is waited for first (at most
    ``wait`` seconds), so that no Ray process it starts outlives this call."""
    start = ray_start_under_way()
    if start is not None:
        start.wait(wait)
    if ray.is_initialized():
        ray.shutdown()
    last = last_ray_start()
    if last is not None and last.done:
        last.release()  # its thread (if it kept one) ends: Ray's processes are gone


def data_plane_host() -> str:
    """The address this process's data-plane socket binds and is reached at: the loopback when
    every node of the Ray cluster is this machine (a local session: nothing off the machine can
    reach the sockets, which unpickle what they receive), else this node's IP address."""
    here = ray.util.get_node_ip_address()
    alive = {node["NodeManagerAddress"] for node in ray.nodes() if node.get("Alive")}
    return "127.0.0.1" if alive <= {here} else here
