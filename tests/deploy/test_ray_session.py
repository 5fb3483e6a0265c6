"""This process's Ray session (``hydro_lab/deploy/ray/session.py``): one start at a time, whoever
asks and on whichever thread; a start in the background that ``ensure_ray`` waits for; Ray's
start-up notices kept off stderr, its errors not. ``ray.init`` is replaced by a stand-in here (the
real start is tested in tests/notebook/test_kernel_warm_start.py, in kernels of their own), so
these tests run without starting Ray and leave the shared Ray session of tests/conftest.py alone.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from types import SimpleNamespace

import pytest

pytest.importorskip("ray")

from hydro_lab import nondet  # noqa: E402
from hydro_lab.deploy.ray import session  # noqa: E402  (after the importorskip)


@pytest.fixture
def fake_ray(monkeypatch):
    """``ray`` as the session module sees it, with ``ray.init`` (``session._init``) replaced:
    each start takes ``state.seconds``, fails with ``state.fail`` (then cleared) and logs what
    ``state.log`` says on the starting thread."""
    state = SimpleNamespace(up=False, inits=[], shutdowns=0, seconds=0.3, fail=None, log=None)

    def init(address, init_kwargs):
        state.inits.append((threading.current_thread().name, address, dict(init_kwargs)))
        if state.log:
            state.log()
        time.sleep(state.seconds)
        if state.fail is not None:
            err, state.fail = state.fail, None
            raise err
        state.up = True

    def shutdown():
        state.shutdowns += 1
        state.up = False

    monkeypatch.setattr(session, "ray", SimpleNamespace(is_initialized=lambda: state.up,
                                                        shutdown=shutdown))
    monkeypatch.setattr(session, "_init", init)
    monkeypatch.setattr(session, "_under_way", None)
    monkeypatch.setattr(session, "_last", None)
    yield state
    last = session._last
    if last is not None:
        last.release()


def test_ensure_ray_waits_for_the_background_start_instead_of_starting_another(fake_ray):
    start = session.start_ray_in_background(num_cpus=2)
    assert start is not None and not start.done and start.background
    assert session.ray_start_under_way() is start
    assert session.start_ray_in_background() is start  # asked again: the same start

    returned = []

    def deploy():
        session.ensure_ray()
        returned.append((time.monotonic(), fake_ray.up))

    threads = [threading.Thread(target=deploy) for _ in range(4)]
    for t in threads:
        t.start()
    session.ensure_ray()  # and the main thread
    for t in threads:
        t.join(5)
    assert len(fake_ray.inits) == 1  # one ray.init for six askers
    assert fake_ray.inits[0] == ("hydro_lab: Ray session", None, {"num_cpus": 2})
    assert start.done and start.error is None
    assert all(up and at >= start.ended for at, up in returned) and len(returned) == 4
    assert session.ray_start_under_way() is None and session.last_ray_start() is start
    assert session.start_ray_in_background() is None  # up: nothing to start

    # the thread that started Ray stays while the session lasts (Ray's daemons die with it)
    assert start.thread.is_alive()
    session.shutdown_ray()
    assert fake_ray.shutdowns == 1
    start.thread.join(5)
    assert not start.thread.is_alive()


def test_shutdown_during_a_start_waits_for_it_then_ends_the_session(fake_ray):
    fake_ray.seconds = 0.5
    start = session.start_ray_in_background()
    session.shutdown_ray()
    assert start.done and fake_ray.shutdowns == 1 and not fake_ray.up
    start.thread.join(5)
    assert not start.thread.is_alive()


def test_a_failed_background_start_is_retried_by_the_deploy_that_waited(fake_ray):
    fake_ray.fail = RuntimeError("Failed to start GCS")
    start = session.start_ray_in_background()
    session.ensure_ray()  # waits, sees it fail, starts anew here (main thread: in this thread)
    assert isinstance(start.error, RuntimeError) and fake_ray.up
    assert [name for name, _a, _k in fake_ray.inits] == ["hydro_lab: Ray session", "MainThread"]
    assert not start.thread.is_alive() or start.thread.join(5) is None


def test_the_deploys_own_failure_is_raised(fake_ray):
    fake_ray.fail = RuntimeError("Failed to start GCS")
    with pytest.raises(RuntimeError, match="^Failed to start GCS$"):
        session.ensure_ray()
    assert session.ray_start_under_way() is None  # the next ask starts anew
    session.ensure_ray()
    assert fake_ray.up and len(fake_ray.inits) == 2


def test_ensure_ray_off_the_main_thread_starts_ray_on_a_thread_that_stays(fake_ray):
    done = threading.Event()
    threading.Thread(target=lambda: (session.ensure_ray(), done.set())).start()
    assert done.wait(5)
    start = session.last_ray_start()
    assert fake_ray.inits[0][0] == "hydro_lab: Ray session" and not start.background
    assert start.thread.is_alive()


def test_rays_start_up_notices_stay_off_stderr_and_its_errors_do_not(fake_ray):
    ray_logger = logging.getLogger("ray")
    (handler,) = [h for h in ray_logger.handlers if type(h).__name__ == "PlainRayHandler"]
    shown = io.StringIO()
    stderr = handler.setStream(shown)  # what it would write to stderr

    def log():
        auth = logging.getLogger("ray._private.authentication.authentication_token_setup")
        auth.warning("Token authentication is enabled for this Ray cluster.")
        logging.getLogger("ray._private.worker").error("the raylet died")
        seen = threading.Thread(target=logging.getLogger("ray.other").warning,
                                args=("said on another thread",))
        seen.start()
        seen.join()

    fake_ray.log = log
    start = session.start_ray_in_background()
    try:
        start.wait(5)
    finally:
        handler.setStream(stderr)
    err = shown.getvalue()
    assert "Token authentication" not in err
    assert "the raylet died" in err and "said on another thread" in err
    (kept,) = start.messages
    assert " WARNING test_ray_session.py:" in kept  # where it was logged, as Ray shows it
    assert kept.endswith(" -- Token authentication is enabled for this Ray cluster.")
    assert all(session._QuietStart not in map(type, h.filters) for h in ray_logger.handlers)


def test_the_session_token_is_made_the_owners_only(tmp_path, monkeypatch):
    token = tmp_path / "auth_token"
    token.write_text("secret")
    token.chmod(0o644)  # as Ray writes it, with the usual umask
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(token))
    session._keep_token_private()
    assert token.stat().st_mode & 0o777 == 0o600
    token.unlink()
    session._keep_token_private()  # no file (a token in RAY_AUTH_TOKEN): nothing to do


@pytest.mark.ray
def test_a_local_session_keeps_the_data_plane_on_the_loopback(ray_session):
    """The data-plane sockets unpickle what they receive: in a one-machine Ray session they are
    bound to 127.0.0.1 only, so nothing off the machine can reach them."""
    from hydro_lab import FlowBuilder
    from hydro_lab.deploy.ray.session import data_plane_host

    assert data_plane_host() == "127.0.0.1"
    flow = FlowBuilder()
    p, c = flow.process("p"), flow.cluster("c")
    port = p.source_iter([1, 2]).broadcast(c, nondet("all")).send(p).values().send_external(
        flow.external("x"))
    with flow.deploy("ray", cluster_sizes={c: 2}) as d:
        client = d.connect(port)
        assert sorted(client.recv(timeout=30) for _ in range(4)) == [1, 1, 2, 2]
        addresses = [d._endpoint.address, *d.addresses.values()]
    assert addresses and all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses
