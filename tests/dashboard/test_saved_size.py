"""A notebook with a dashboard and two watches, run by nbclient (which saves the widgets' state
too, as nbconvert does) and saved: under 1 MB beyond its graphs. BokehJS (4 MB) is sent to the
page once and is in neither the outputs nor the widget state; it made such a notebook 8.4 MB."""

from __future__ import annotations

import json

import nbformat
from nbclient import NotebookClient

from hydro_lab.dashboard import bokehjs
from hydro_lab.viz import MIME_TYPE

CELLS = [
    "%load_ext hydro_lab",
    "%%hydro\nimport time\nfrom hydro_lab import nondet\n"
    "leader, workers = flow.process('leader'), flow.cluster('workers')\n"
    "samples = (workers.tick().spin_batch(64).map(lambda _: 1)\n"
    "           .fold(lambda: 0, lambda acc, x: acc + x).all_ticks())\n"
    "total = samples.send(leader).values().reduce(lambda a, b: a + b,\n"
    "                                             commutative='adding is commutative')\n"
    "total_watch = total.watch(name='total', nondet=nondet('shown'))\n"
    "ticks_watch = samples.watch(name='per worker', nondet=nondet('shown'))",
    "%hydro deploy --local --size workers=2",
    "%hydro dashboard",
    "%hydro run --seconds 2",
    "total_watch",
    "ticks_watch",
    "%hydro stop",
]
GRAPHS = (MIME_TYPE, "image/svg+xml", "text/vnd.graphviz")  # the flow's graph, in every form
WIDGET = "application/vnd.jupyter.widget-view+json"


def run(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=120, iopub_timeout=120, raise_on_iopub_timeout=True,
                   kernel_name="python3").execute()  # saves widget state
    return nb


def test_a_saved_notebook_with_a_dashboard_and_watches_is_under_a_megabyte():
    nb = run(CELLS)
    outputs = [o for cell in nb.cells for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = [o for o in outputs if WIDGET in o.get("data", {})]
    assert len(shown) == 3                            # the dashboard, the two watches
    assert "live dashboard" in shown[0].data["text/plain"]
    assert not [o for o in outputs if "application/javascript" in o.get("data", {})]
    graphs = sum(len(json.dumps(o.data[kind])) for o in outputs
                 for kind in GRAPHS if kind in o.get("data", {}))
    saved = len(nbformat.writes(nb))
    assert saved - graphs < 1_000_000, (saved, graphs)
    assert len(bokehjs.script()) > 1_000_000          # so BokehJS is not in there anywhere
    # the page got BokehJS from the widget that carries it only when a page asks for it
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    carriers = [m["state"] for m in state.values() if m["model_name"] == "OutputModel"
                and m["state"].get("_view_name") == "OutputView"]
    assert carriers and all(c["outputs"] == [] for c in carriers)
