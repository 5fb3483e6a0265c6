"""A deployed flow in a real kernel, from a workshop student's steps, driven as JupyterLab drives
it (execute requests with cell ids): a function that fails in the background, what the flow
prints, cells run again, stop and reset after a failure, the simulator's replay line, and a
kernel that shuts down promptly after Ray ran."""

from __future__ import annotations

import os
import re
import time

import pytest
from jupyter_client.manager import start_new_kernel

from tests.notebook.test_kernel import ROOT, TIMEOUT, Kernel

KV = """%%hydro
server, client = flow.process("server"), flow.external("client")
in_port, requests = server.source_external(client)
def parse(req):
    op, key = req.split(":")
    return op, key
out_port = requests.map(parse).send_external(client)
"""

PARSE_FAILED = (
    "HydroRuntimeError: map(parse) raised ValueError: not enough values to unpack "
    "(expected 2, got 1)\n"
    "  at notebook cell In [{n}], line 5: op, key = req.split(\":\")\n"
    "  element: 'bad'\n"
    "  operator built at notebook cell In [{n}], line 7: "
    "out_port = requests.map(parse).send_external(client)\n"
    "  in server, tick 2")

PRINTER = """%%hydro
from hydro_lab import nondet
p = flow.process("p")
p.source_interval(0.05, nondet("printing only")).for_each(lambda _: print("the flow ticked"))
"""


def start_kernel() -> tuple:
    env = {**os.environ, "JPY_SESSION_NAME": str(ROOT / "test.ipynb")}
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(ROOT), startup_timeout=TIMEOUT,
                              env=env)
    k = Kernel(kc)
    assert k.execute("%load_ext hydro_lab").reply["status"] == "ok"
    return km, kc, k


@pytest.fixture(scope="module")
def kernel():
    km, kc, k = start_kernel()
    try:
        yield k
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture
def k(kernel):
    """The module's kernel with an empty hydro session."""
    assert kernel.execute("%hydro reset", "reset-before").reply["status"] == "ok"
    kernel.elsewhere.clear()
    return kernel


def progress_id(deployed) -> str:
    (shown,) = [m for m in deployed.of_type("display_data")
                if "hydro-lab-progress" in m["content"]["data"].get("text/html", "")]
    return shown["content"]["transient"]["display_id"]


def text_of(m: dict) -> str:
    """What an iopub message shows as text (a stream's text, a display's text/plain)."""
    content = m["content"]
    return content.get("text") or content.get("data", {}).get("text/plain", "")


def failure_shown(m: dict) -> bool:
    return "element: 'bad'" in text_of(m)


def printed_by(k: Kernel, text: str) -> set[str]:
    """The requests (msg ids) under which the kernel printed ``text`` so far."""
    return {m["parent_header"].get("msg_id") for m in k.elsewhere
            if m["msg_type"] == "stream" and text in m["content"]["text"]}


def deploy_kv(k: Kernel) -> tuple:
    built = k.execute(KV, "kv")
    assert built.reply["status"] == "ok", built.stderr
    deployed = k.execute("%hydro deploy --local", "deploy")
    assert deployed.reply["status"] == "ok", deployed.stderr
    client = k.execute("c = deployment.connect(in_port)\nr = deployment.connect(out_port)\n"
                       "c.send('get:a')\nprint(r.recv(timeout=5))", "client")
    assert client.stdout == "('get', 'a')\n"
    return built.reply["execution_count"], deployed


def test_a_function_failing_in_the_background_shows_in_the_deploy_cell_and_the_next_cell(k):
    n, deployed = deploy_kv(k)
    display_id = progress_id(deployed)
    sent = k.execute("c.send('bad')", "bad")
    assert sent.reply["status"] == "ok"
    failure = PARSE_FAILED.format(n=n)

    # at once, in the deploy cell: its progress, updated in place
    def failed_there(m):
        return (m["msg_type"] == "update_display_data"
                and m["content"]["transient"]["display_id"] == display_id
                and "element" in m["content"]["data"]["text/plain"])

    started = time.monotonic()
    shown = k.wait_for(failed_there, timeout=2.0)
    assert shown is not None, "the deploy cell did not show the failure within 2 s"
    assert time.monotonic() - started < 2.0
    assert shown["parent_header"]["msg_id"] == deployed.msg_id
    text = shown["content"]["data"]["text/plain"]
    assert "✓ starting" in text and "✗ running: failed after" in text
    assert text.endswith("\n" + failure)
    assert "hydro-lab-error" in shown["content"]["data"]["text/html"]

    # in the next cell the student runs, once
    first = k.execute("x = 1", "next")
    assert first.reply["status"] == "ok"
    assert first.stderr == (
        f"{failure}\n(the deployment of In [{deployed.reply['execution_count']}] failed while "
        "it ran in the background: the flow no longer runs; %hydro deploy runs it anew)\n")
    assert k.execute("x = 2", "after").stderr == ""

    # %hydro status keeps the reason
    status = k.execute("%hydro status", "status").stdout
    lines = failure.splitlines()
    assert (f"deployment: local, failed; instances: server\n  failed: {lines[0]}\n"
            f"          {lines[1].strip()}\n          {lines[2].strip()}\n"
            "  ticks run: server 2\n") in status  # tick 2, which failed, did not finish


def test_stop_and_reset_after_a_failure(k):
    n, _deployed = deploy_kv(k)
    k.execute("c.send('bad')", "bad")
    assert k.wait_for(failure_shown, timeout=2.0)
    stop = k.execute("%hydro stop", "stop")
    assert stop.reply["status"] == "ok"
    summary = "\n  ".join(line.strip() for line in PARSE_FAILED.format(n=n).splitlines()[:3])
    assert stop.stdout == f"deployment stopped after a failure: {summary}\n"
    assert "element: 'bad'" in stop.stderr  # the next-cell report: the first cell after it
    status = k.execute("%hydro status", "status").stdout
    assert "deployment: local, stopped after a failure; instances: server\n  failed: " \
        "HydroRuntimeError: map(parse) raised ValueError" in status
    again = k.execute("%hydro stop", "stop")
    assert again.reply["status"] == "ok" and again.stderr == ""
    assert again.stdout.startswith("the deployment was already stopped after a failure: ")

    # reset straight after a failure (no stop): an empty session
    deploy_kv(k)
    k.elsewhere.clear()
    k.execute("c.send('bad')", "bad")
    assert k.wait_for(failure_shown, timeout=2.0)
    reset = k.execute("%hydro reset", "reset")
    assert reset.reply["status"] == "ok"
    assert reset.stdout.endswith("hydro session reset: an empty flow, no %%hydro cells, "
                                 "no deployment\n")
    assert k.execute("%hydro status", "status").stdout == (
        "flow 'flow': 0 IR nodes; locations: none\nno %%hydro cells yet\n"
        "live graph: ir view (not shown yet)\ndeployment: none (%hydro deploy)\n")


def test_what_the_flow_prints_stays_in_the_deploy_cell(k):
    assert k.execute(PRINTER, "printer").reply["status"] == "ok"
    deployed = k.execute("%hydro deploy --local", "deploy")
    later = [k.execute("%hydro status", "status"),
             k.execute("m = %hydro metrics\nprint(len(m) > 0)", "metrics"),
             k.execute("import time\ntime.sleep(0.5)", "sleep")]
    k.wait_for(lambda m: False, timeout=0.3)  # what is still on its way
    assert printed_by(k, "the flow ticked") == {deployed.msg_id}
    assert printed_by(k, "[p] the flow ticked\n") == {deployed.msg_id}  # tagged with p
    assert all("the flow ticked" not in cell.stdout for cell in later)
    assert later[1].stdout == "True\n"
    k.execute("%hydro stop", "stop")


def test_cells_run_again(k):
    deploy_kv(k)
    again = k.execute("c = deployment.connect(in_port)\nr = deployment.connect(out_port)\n"
                      "c.send('get:a')\nprint(r.recv(timeout=5))", "client")
    assert again.reply["status"] == "ok" and again.stdout == "('get', 'a')\n"
    # the %%hydro cell edited: its ports are not the deployed flow's
    edited = KV.replace('in_port, requests =',
                        'admin_port, admin = server.source_external(client)\n'
                        'in_port, requests =')
    assert k.execute(edited, "kv").reply["status"] == "ok"
    stale = k.execute("deployment.connect(in_port)", "connect")
    assert stale.reply["ename"] == "HydroDeployError"
    assert stale.reply["evalue"].endswith(
        "is not a port of the flow this deployment runs: the deployment runs the flow as it was "
        "deployed; `%hydro deploy` again to use your edits")
    assert k.execute("%hydro deploy  # the edited flow", "deploy").reply["status"] == "ok"
    assert k.execute("deployment.connect(in_port).send('put:b')\n"
                     "print(deployment.connect(out_port).recv(timeout=5))",
                     "connect").stdout == "('put', 'b')\n"
    k.execute("%hydro stop", "stop")


def test_kill_says_a_process_cannot_be_killed(k):
    deploy_kv(k)
    killed = k.execute("deployment.kill(server, 0)", "kill")
    assert killed.reply["ename"] == "HydroDeployError"
    assert killed.reply["evalue"] == (
        "kill(): 'server' is a process: only members of a cluster can be killed and restarted, "
        "as kill(cluster, member) (this flow has no clusters)")
    k.execute("%hydro stop", "stop")


SIM_FLOW = """%%hydro
from hydro_lab import Order, nondet
p = flow.process('p')
port, s = p.sim_input(order=Order.NO_ORDER)
out = s.batch(p.tick(), nondet('test')).all_ticks().sim_output()
"""
BODY = """def body(inst):
    i, o = inst.connect(port), inst.connect(out)
    i.send_many_unordered([1, 2, 3])
    assert o.collect() == [1, 2, 3]
"""


def test_the_sims_replay_line_runs_as_printed_and_comments_are_comments(k):
    assert k.execute(SIM_FLOW + "# a comment line\n", "flow").reply["status"] == "ok"
    assert k.execute(BODY, "body").reply["status"] == "ok"
    ran = k.execute("%hydro sim body  # every execution", "sim")
    assert ran.reply["status"] == "ok", ran.reply
    assert ran.stdout.startswith("%hydro sim exhaustive: a failing execution\n")
    line = re.search(r"replay: (sim\.run\(body, schedule=\[[\d, ]*\]\))", ran.stdout)[1]
    replayed = k.execute(line, "replay")
    assert replayed.reply["ename"] == "SimFailure"  # the same failure, not a NameError
    for verb in ("status", "graph --dfir", "sim --fuzz 2 body", "reset"):
        said = k.execute(f"%hydro {verb}  # {verb}?", f"comment-{verb}")
        assert said.reply["status"] == "ok", (verb, said.reply)
    cell = k.execute("%%hydro --cell named  # a comment\nq = flow.process('q')\n", "named")
    assert cell.reply["status"] == "ok"


RAY_PRINTER = """%%hydro
from hydro_lab import nondet
leader, workers = flow.process("leader"), flow.cluster("workers")
(workers.source_interval(0.1, nondet("printing only"))
        .for_each(lambda _: print("a worker ticked")))
"""


@pytest.mark.ray
def test_on_ray_the_actors_prints_stay_in_the_deploy_cell_and_the_kernel_shuts_down_promptly():
    km, kc, k = start_kernel()
    try:
        assert k.execute(RAY_PRINTER, "printer").reply["status"] == "ok"
        deployed = k.execute("%hydro deploy --ray --size workers=2", "deploy")
        assert deployed.reply["status"] == "ok", deployed.stderr
        k.wait_for(lambda m: "a worker ticked" in text_of(m), timeout=10)
        later = [k.execute("%hydro status", "status"),
                 k.execute("m = %hydro metrics\nprint(len(m) > 0)", "metrics"),
                 k.execute("import time\ntime.sleep(0.5)", "sleep")]
        k.wait_for(lambda m: False, timeout=0.3)
        assert printed_by(k, "a worker ticked") == {deployed.msg_id}
        assert all("a worker ticked" not in cell.stdout for cell in later)
        assert k.execute("%hydro stop", "stop").stdout == "deployment stopped\n"

        # a shutdown request is answered and the kernel is gone within a few seconds
        asked = time.monotonic()
        request = kc.session.msg("shutdown_request", {"restart": False})
        kc.control_channel.send(request)
        reply = kc.get_control_msg(timeout=10)
        assert reply["msg_type"] == "shutdown_reply"
        while km.is_alive() and time.monotonic() - asked < 10:
            time.sleep(0.1)
        assert not km.is_alive()
        assert time.monotonic() - asked < 6
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)  # gone already, or still there: its resources too
