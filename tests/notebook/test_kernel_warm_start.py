"""The warm start in real kernels, driven as JupyterLab drives them (execute requests with cell
ids): with the Ray backend, ``%load_ext hydro_lab`` starts Ray in the background and the first
``%hydro deploy --ray`` joins that start (one Ray session, not two); ``%hydro reset`` and ``stop``
during it behave as ever; with the local backend or ``warm_start`` off nothing starts; and no
cell, warm or cold, shows Ray's start-up notices (they are in the start's log)."""

from __future__ import annotations

import os
import time

import pytest
from jupyter_client.manager import start_new_kernel

from tests.notebook.test_kernel import ROOT, TIMEOUT, Kernel

pytestmark = pytest.mark.ray

FLOW = """%%hydro
p = flow.process("p")
p.source_iter([1, 2, 3]).map(lambda x: x * 10).for_each(print)
"""

# what Ray says while it starts, none of which may reach a cell
CHATTER = ("Token authentication", "authentication_token_setup", "SIGTERM handler",
           "WARNING", "Started a local Ray instance")

STATE = """import sys
session = sys.modules.get("hydro_lab.deploy.ray.session")
under_way = getattr(session, "ray_start_under_way", None)
print("importing" if under_way is None else
      "under way" if under_way() is not None else "up" if session.ray.is_initialized() else "none")
"""

RAY_PROCESSES = """import psutil
print(sorted(p.name() for p in psutil.Process().children(recursive=True)
             if p.name() in ("gcs_server", "raylet")))
"""


# what ray.init() sets in the environment of this test process (the shared Ray session of other
# tests): a kernel JupyterLab starts has none of it (with RAY_AUTH_MODE=token already set, Ray
# says nothing of the token it would otherwise announce)
RAYS_OWN = ("RAY_AUTH_MODE", "RAY_CLIENT_MODE", "PYTHONBREAKPOINT")


def start_kernel(*arguments: str) -> tuple:
    env = {k: v for k, v in os.environ.items() if k not in RAYS_OWN}
    env["JPY_SESSION_NAME"] = str(ROOT / "test.ipynb")
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(ROOT), startup_timeout=TIMEOUT,
                              env=env, extra_arguments=list(arguments))
    return km, kc, Kernel(kc)


def shown_text(k: Kernel, *executed) -> str:
    """Everything the cells showed, and whatever the kernel sent meanwhile: streams, displays
    and their updates, errors."""
    texts = []
    for m in [m for e in executed for m in e.messages] + k.elsewhere:
        c = m["content"]
        texts.append(c.get("text") or c.get("data", {}).get("text/plain", "")
                     or "\n".join(c.get("traceback", [])))
    return "\n".join(texts)


def shut_down_promptly(km, kc) -> None:
    asked = time.monotonic()
    kc.control_channel.send(kc.session.msg("shutdown_request", {"restart": False}))
    assert kc.get_control_msg(timeout=10)["msg_type"] == "shutdown_reply"
    while km.is_alive() and time.monotonic() - asked < 10:
        time.sleep(0.1)
    assert not km.is_alive()


def test_load_ext_starts_ray_in_the_background_and_deploy_joins_that_start():
    km, kc, k = start_kernel("--HydroMagics.backend=ray")  # as a config file would say it
    try:
        loaded = k.execute("%load_ext hydro_lab", "load")
        assert loaded.reply["status"] == "ok" and loaded.messages == []

        # reset and stop while Ray starts: they do what they always do, at once
        reset = k.execute("%hydro reset\n" + STATE, "reset")
        assert reset.reply["status"] == "ok", reset.reply
        said, state = reset.stdout.rsplit("\n", 2)[:2]
        assert said.endswith("hydro session reset: an empty flow, no %%hydro cells, "
                             "no deployment") and state in ("importing", "under way")
        stop = k.execute("%hydro stop", "stop")
        assert stop.reply["evalue"] == "%hydro stop: nothing is deployed yet; run %hydro " \
            "deploy first"
        assert k.execute(STATE, "state").stdout in ("importing\n", "under way\n")

        # the first deploy waits for that start: one Ray session, started in the background
        assert k.execute(FLOW, "flow").reply["status"] == "ok"
        deployed = k.execute("%hydro deploy --ray", "deploy")
        assert deployed.reply["status"] == "ok", deployed.stderr
        assert "deployed on ray: 1 instance (p); running\n" in deployed.stdout
        assert k.execute(RAY_PROCESSES, "processes").stdout == "['gcs_server', 'raylet']\n"
        start = k.execute("from hydro_lab.deploy.ray import last_ray_start\n"
                          "s = last_ray_start()\n"
                          "print(s.background, s.error, s.thread.is_alive())\n"
                          "print(any('Token authentication is enabled' in m "
                          "for m in s.messages))\n"
                          "print(open(s.log_path).read() == ''.join(m + '\\n' "
                          "for m in s.messages))", "start")
        assert start.stdout == "True None True\nTrue\nTrue\n", start.stderr

        again = k.execute("%hydro deploy --ray  # Ray up: a second deployment", "again")
        assert again.reply["status"] == "ok"
        assert k.execute(RAY_PROCESSES, "processes").stdout == "['gcs_server', 'raylet']\n"
        k.wait_for(lambda m: False, timeout=0.5)  # what is still on its way
        shown = shown_text(k, loaded, reset, stop, deployed, start, again)
        assert "[p] 10" in shown  # (the flow's prints do show)
        for chatter in CHATTER:
            assert chatter not in shown
        assert k.execute("%hydro stop", "stop").stdout == "deployment stopped\n"
        shut_down_promptly(km, kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_no_background_start_with_the_local_backend_or_warm_start_off_and_a_cold_deploy_is_quiet():
    km, kc, k = start_kernel()
    try:
        loaded = k.execute("%load_ext hydro_lab", "load")
        assert loaded.reply["status"] == "ok" and loaded.messages == []
        off = k.execute("%config HydroMagics.warm_start = False\n"
                        "%config HydroMagics.backend = 'ray'", "off")
        assert off.reply["status"] == "ok"
        time.sleep(0.5)
        assert k.execute("import sys; print('ray' in sys.modules)", "ray?").stdout == "False\n"

        # the cold start: in the deploy cell, with nothing of Ray's chatter in it
        assert k.execute(FLOW, "flow").reply["status"] == "ok"
        deployed = k.execute("%hydro deploy  # on Ray, HydroMagics.backend", "deploy")
        assert deployed.reply["status"] == "ok", deployed.stderr
        assert "deployed on ray: 1 instance (p); running\n" in deployed.stdout
        start = k.execute("from hydro_lab.deploy.ray import last_ray_start\n"
                          "s = last_ray_start()\nprint(s.background, s.error)\n"
                          "print(any('Token authentication is enabled' in m "
                          "for m in s.messages))", "start")
        assert start.stdout == "False None\nTrue\n"
        k.wait_for(lambda m: False, timeout=0.5)
        shown = shown_text(k, loaded, off, deployed, start)
        for chatter in CHATTER:
            assert chatter not in shown
        assert k.execute("%hydro stop", "stop").stdout == "deployment stopped\n"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
