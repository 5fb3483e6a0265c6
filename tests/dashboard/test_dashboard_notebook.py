"""The dashboard in a real kernel (nbclient): BokehJS arrives inline and is replaced by the widget
(the notebook keeps the widget), the pump thread's updates reach the front end through widgets
only, and end when the deployment stops."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

CELLS = [
    """\
import time
from hydro_lab import FlowBuilder
from hydro_lab.examples.estimate_pi import estimate_pi
flow = FlowBuilder("pi")
leader, workers = flow.process("leader"), flow.cluster("workers")
estimate_pi(leader, workers, batch_size=64)
d = flow.deploy("local", cluster_sizes={workers: 2})
dash = d.dashboard()
dash""",
    """\
d.start(); time.sleep(1.0); d.pause(); time.sleep(0.4)
print(len(dash.sources["ticks_per_s"].data["x"]) >= 3, dash.subscription.calls >= 3)""",
    """\
d.stop(); time.sleep(0.5)
print(dash.closed, dash.subscription.active)""",
]


def test_the_dashboard_updates_from_the_pump_thread_in_a_kernel():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=120, iopub_timeout=120, raise_on_iopub_timeout=True,
                   kernel_name="python3", store_widget_state=True).execute()
    first, running, stopped = (cell.outputs for cell in nb.cells)
    kinds = [sorted(o.get("data", {})) for o in first]
    assert kinds == [["application/vnd.jupyter.widget-view+json", "text/plain"]]
    # the pump thread printed nothing into later cells: only the cells' own prints are there
    assert [o.get("text") for o in running] == ["True True\n"]
    assert [o.get("text") for o in stopped] == ["True False\n"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = {m["model_name"] for m in state.values()}
    assert {"BokehModel", "ButtonModel", "FloatLogSliderModel", "DropdownModel"} <= models
    htmls = [m["state"].get("value", "") for m in state.values()
             if m["model_name"] == "HTMLModel"]
    assert any("<b>pi</b> on <b>local</b>" in v and "state <b>stopped</b>" in v for v in htmls)
