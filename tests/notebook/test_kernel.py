"""``%%hydro`` in a real kernel, driven the way JupyterLab drives it: execute_request messages
whose metadata carries the cell id (``{"cellId": ...}``, which ipykernel hands to IPython)."""

from __future__ import annotations

import os
import queue
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from hydro_lab.viz import MIME_TYPE
from hydro_lab.viz.protocol import COMM_TARGET

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


@dataclass
class Executed:
    reply: dict
    messages: list[dict]  # iopub messages of this request (not status / execute_input)
    msg_id: str = ""      # the request's, which its outputs name as their parent

    @property
    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream")
                       if m["content"]["name"] == "stdout")

    def of_type(self, *types: str) -> list[dict]:
        return [m for m in self.messages if m["msg_type"] in types]

    @property
    def stderr(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream")
                       if m["content"]["name"] == "stderr")

    def graphs(self) -> list[dict]:
        return [m for m in self.of_type("display_data", "update_display_data")
                if MIME_TYPE in m["content"]["data"]]

    def value(self) -> str:
        (result,) = self.of_type("execute_result")
        return result["content"]["data"]["text/plain"]


class Kernel:
    def __init__(self, client):
        self.client = client
        self.elsewhere: list[dict] = []  # iopub messages of other requests, seen meanwhile

    def execute(self, code: str, cell_id: str | None = None) -> Executed:
        kc = self.client
        msg = kc.session.msg("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        if cell_id is not None:
            msg["metadata"]["cellId"] = cell_id  # what JupyterLab sends with every execution
        kc.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        messages = []
        while True:
            m = kc.get_iopub_msg(timeout=TIMEOUT)
            if m["parent_header"].get("msg_id") != msg_id:
                self.elsewhere.append(m)
                continue
            if m["msg_type"] == "status":
                if m["content"]["execution_state"] == "idle":
                    break
                continue
            if m["msg_type"] != "execute_input":
                messages.append(m)
        while True:
            reply = kc.get_shell_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                return Executed(reply["content"], messages, msg_id)

    def wait_for(self, test, timeout: float) -> dict | None:
        """The first iopub message (of any request, already seen or arriving within
        ``timeout`` seconds) that passes ``test``; None if none does."""
        for m in self.elsewhere:
            if test(m):
                return m
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                m = self.client.get_iopub_msg(timeout=left)
            except queue.Empty:
                return None
            self.elsewhere.append(m)
            if test(m):
                return m
        return None


@pytest.fixture(scope="module")
def kernel():
    # as JupyterLab starts a notebook's kernel (live graphs open their comm only then)
    env = {**os.environ, "JPY_SESSION_NAME": str(ROOT / "test.ipynb")}
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(ROOT), startup_timeout=TIMEOUT,
                              env=env)
    try:
        k = Kernel(kc)
        assert k.execute("%load_ext hydro_lab").reply["status"] == "ok"
        yield k
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


CELL_A = "%%hydro\np = flow.process('p')\nnums = p.source_iter([1, 2, 3]).map(lambda x: x + 1)\n"


def test_rerunning_a_cell_with_the_same_cell_id_does_not_duplicate_nodes(kernel):
    first = kernel.execute(CELL_A, "cell-a")
    second = kernel.execute(CELL_A, "cell-a")
    assert first.reply["status"] == second.reply["status"] == "ok", second.stderr
    (shown,) = first.graphs()
    (again,) = second.graphs()
    display_id = shown["content"]["transient"]["display_id"]
    # the holder cell was re-run (JupyterLab cleared its output): displayed there anew
    assert shown["msg_type"] == again["msg_type"] == "display_data"
    assert again["content"]["transient"]["display_id"] == display_id
    for executed in (first, second):
        graph = executed.graphs()[0]["content"]["data"][MIME_TYPE]["views"]["ir"]
        assert [n["label"] for n in graph["nodes"]] == ["source_iter([1, 2, 3])",
                                                        "map(lambda x: x + 1)"]
    assert kernel.execute("len(flow.ir().nodes)").value() == "2"
    assert kernel.execute("sorted({n.meta.source.cell_id for n in flow.ir().nodes.values()})"
                          ).value() == "['cell-a']"

    # another cell updates the same display in place; editing it replaces its nodes
    b1 = kernel.execute("%%hydro\nnums.for_each(print)\n", "cell-b")
    b2 = kernel.execute("%%hydro\nnums.filter(lambda x: x > 2).for_each(print)\n", "cell-b")
    for executed, expected in ((b1, 3), (b2, 4)):
        (updated,) = executed.graphs()
        assert updated["msg_type"] == "update_display_data"
        assert updated["content"]["transient"]["display_id"] == display_id
        assert len(updated["content"]["data"][MIME_TYPE]["views"]["ir"]["nodes"]) == expected
    assert kernel.execute("[n.meta.op for n in flow.ir().nodes.values()]").value() == \
        "['source_iter', 'map', 'filter', 'for_each']"


def test_a_rule_violation_fails_the_cell_with_a_short_error(kernel):
    before = kernel.execute("len(flow.ir().nodes)").value()
    bad = kernel.execute("%%hydro\ntotal = nums.weaken_ordering().reduce(lambda a, b: a + b)\n",
                         "cell-c")
    count = bad.reply["execution_count"]
    assert bad.reply["status"] == "error" and bad.reply["ename"] == "UsageError"
    assert bad.reply["evalue"] == f"%%hydro cell In [{count}] was not added: the flow is unchanged"
    assert bad.stderr.startswith("HydroTypeError: reduce: the input is NoOrder")
    assert f"at notebook cell In [{count}], line 2: total = nums.weaken_ordering()" in bad.stderr
    assert not bad.of_type("error") and "Traceback" not in bad.stderr
    assert kernel.execute("len(flow.ir().nodes)").value() == before
    fixed = kernel.execute("%%hydro\ntotal = nums.weaken_ordering()"
                           ".reduce(lambda a, b: a + b, commutative='addition')\n", "cell-c")
    assert fixed.reply["status"] == "ok"
    assert kernel.execute("len(flow.ir().nodes)").value() == str(int(before) + 2)


LIVE_CELL = """
from IPython.display import display
from hydro_lab import FlowBuilder
from hydro_lab.examples.estimate_pi import estimate_pi
pi = FlowBuilder("pi")
leader, workers = pi.process("leader"), pi.cluster("workers")
estimate_pi(leader, workers, batch_size=64)
d = pi.deploy("local", cluster_sizes={workers: 2})
display(d.graph())
d.run(seconds=2.5)
"""


def test_a_live_graph_sends_updates_on_its_comm_while_the_cell_runs(kernel):
    kc = kernel.client
    msg = kc.session.msg("execute_request", {
        "code": LIVE_CELL, "silent": False, "store_history": True, "user_expressions": {},
        "allow_stdin": False, "stop_on_error": True})
    kc.shell_channel.send(msg)
    seen: list[tuple[float, dict]] = []  # every iopub message until the cell is idle
    while True:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        seen.append((time.monotonic(), m))
        if m["msg_type"] == "status" and m["parent_header"].get("msg_id") == \
                msg["header"]["msg_id"] and m["content"]["execution_state"] == "idle":
            break
    idle_at = seen[-1][0]
    messages = [m for _, m in seen]
    (shown,) = [m for m in messages if m["msg_type"] == "display_data"]
    live_id = shown["content"]["data"][MIME_TYPE]["live"]["id"]
    (opened,) = [m for m in messages if m["msg_type"] == "comm_open"]
    assert opened["content"]["target_name"] == COMM_TARGET
    assert messages.index(opened) < messages.index(shown)  # open before the graph needs it
    updates = [(t, m["content"]["data"]) for t, m in seen if m["msg_type"] == "comm_msg"
               and m["content"]["comm_id"] == opened["content"]["comm_id"]]
    assert all(u["type"] == "update" and u["id"] == live_id for _, u in updates)
    first = next(m for m in messages if m["msg_type"] == "comm_msg")
    assert messages.index(first) < messages.index(shown)  # the graph is drawn with values
    # while the cell ran (2.5 s): at least 2 updates a second, counts growing
    during = [(t, u) for t, u in updates if t < idle_at]
    assert len(during) >= 5, [u["seq"] for _, u in updates]
    assert during[-1][0] - during[0][0] >= 1.5  # they arrived as the cell ran, not at its end
    counts = [u["views"]["ir"]["counts"].get("n5", 0) for _, u in during]
    assert counts == sorted(counts) and len(set(counts)) >= 4  # growing all along
    seqs = [u["seq"] for _, u in updates]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert not [m for m in messages if m["msg_type"] in ("stream", "error")]  # nothing printed

    # the deployment stops; a reloaded page opens a comm with a Hello and gets the last update
    assert kernel.execute("d.stop()").reply["status"] == "ok"
    time.sleep(0.3)
    comm_id = uuid.uuid4().hex
    hello = kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": COMM_TARGET,
                                         "data": {"type": "hello", "ids": [live_id]}})
    kc.shell_channel.send(hello)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id:
            answer = m["content"]["data"]
            break
    assert answer["id"] == live_id and answer["state"] == "stopped"
    assert answer["views"]["ir"]["counts"]["n5"] >= counts[-1]
