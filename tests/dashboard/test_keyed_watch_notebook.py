"""A keyed watch in a real kernel (nbclient): a KeyedSingleton of 20 endpoints' request counts fed
by a live source, one line per key drawn and updated in place from the pump thread, and the comm
messages it costs a second (measured in the kernel, printed for the record)."""

from __future__ import annotations

import json

import nbformat
from nbclient import NotebookClient

CELLS = [
    """\
import itertools, json, random, time
from hydro_lab import FlowBuilder, nondet

def requests():
    rng = random.Random(7)
    for i in itertools.count():
        yield f"/e{rng.randrange(20)}"
        if i % 500 == 0:
            time.sleep(0.001)  # a live source: some thousands of requests a second

flow = FlowBuilder("endpoints")
p = flow.process("p")
hits = p.source_stream(requests).map(lambda e: (e, 1)).into_keyed().value_counts()
w = hits.watch(name="hits per endpoint", keys=20, nondet=nondet("only shown in the notebook"))
d = flow.deploy()
view = w.view()
view""",
    """\
sent = []
Comm = type(view.header.comm)
publish = Comm.publish_msg

def counting(self, msg_type, *args, **kwargs):
    sent.append((time.monotonic(), msg_type, self.comm_id))
    return publish(self, msg_type, *args, **kwargs)

d.start()
time.sleep(1.5)               # the chart appears and fills in
Comm.publish_msg = counting
start, calls = time.monotonic(), view.subscription.calls
time.sleep(4.0)
seconds, calls = time.monotonic() - start, view.subscription.calls - calls
Comm.publish_msg = publish
chart = view.chart.comm.comm_id
msgs = [m for m in sent if m[1] == "comm_msg"]
print(json.dumps({
    "seconds": round(seconds, 2),
    "comm_msgs_per_s": round(len(msgs) / seconds, 1),
    "chart_msgs_per_s": round(sum(m[2] == chart for m in msgs) / seconds, 1),
    "refreshes_per_s": round(calls / seconds, 1),
    "ticks": int(w.history[-1].tick),
    "lines": sorted(i.label.value for i in view.lines.legend.items if i.visible),
    "points": len(view.source.data["x"]),
}))""",
    """\
d.stop(); view.close(); time.sleep(0.3)
print(view.closed, view.subscription.active, int(w.to_pandas().key.nunique()))""",
]


def test_a_keyed_watch_draws_a_line_per_key_in_a_kernel_at_a_few_messages_a_second():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=120, iopub_timeout=120, raise_on_iopub_timeout=True,
                   kernel_name="python3", store_widget_state=True).execute()
    first, running, stopped = (cell.outputs for cell in nb.cells)
    assert [sorted(o.get("data", {})) for o in first] == [
        ["application/vnd.jupyter.widget-view+json", "text/plain"]]
    # the pump thread printed nothing into later cells: only the cells' own prints are there
    assert len(running) == 1 and running[0].get("name") == "stdout"
    measured = json.loads(running[0]["text"])
    print("keyed watch of 20 keys in a kernel:", measured)
    assert measured["lines"] == sorted(f"/e{i}" for i in range(20))  # one line per key
    assert measured["ticks"] > 20 and measured["points"] >= 10
    # each refresh (5 a second) sends one stream of the chart's ColumnDataSource (a PATCH-DOC:
    # header, metadata, content) and the header's new text: about 20 messages a second, however
    # fast the flow ticks
    assert 0 < measured["chart_msgs_per_s"] <= 20
    assert measured["comm_msgs_per_s"] <= 30
    assert [o.get("text") for o in stopped] == ["True False 20\n"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = {m["model_name"] for m in state.values()}
    assert {"BokehModel", "HTMLModel", "VBoxModel"} <= models
    bundles = [json.dumps(m["state"].get("render_bundle", "")) for m in state.values()
               if m["model_name"] == "BokehModel"]
    assert any("LegendItem" in b for b in bundles)
    assert all("cdn.bokeh.org" not in b for b in bundles)
