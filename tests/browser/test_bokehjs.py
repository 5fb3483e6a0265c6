"""BokehJS in a real JupyterLab (headless Chromium): a notebook with a dashboard and two watches
loads it once per page, saves without it, draws again after a reload in the same kernel without
running anything (the page gets BokehJS with the kernel's widgets), and reopened from disk with
a new kernel shows ipywidgets' note, no JavaScript error. ``hydro_lab/dashboard/bokehjs.py``
says how."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from tests.browser.lab import CHROMIUM, Page, chromium, jupyterlab, notebook

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it)")

CELLS = [
    "import time\n"
    "import hydro_lab.dashboard\n"
    "from hydro_lab import FlowBuilder, nondet\n"
    "from hydro_lab.examples.estimate_pi import estimate_pi\n"
    "flow = FlowBuilder('pi')\n"
    "leader, workers = flow.process('leader'), flow.cluster('workers')\n"
    "total = estimate_pi(leader, workers, batch_size=64)\n"
    "pi_watch = total.map(lambda t: 4 * t[0] / t[1]).watch(name='pi', nondet=nondet('shown'))\n"
    "samples = total.map(lambda t: t[1]).watch(name='samples', nondet=nondet('shown'))\n"
    "d = flow.deploy('local', cluster_sizes={workers: 2})",
    "d.dashboard()",
    "d.start(); time.sleep(1.5); d.pause(); time.sleep(0.5)",
    "pi_watch",
    "samples",
]
FIGURES = 7 + 2  # the dashboard's panels, one sparkline per watch (bokeh draws several canvases)

LOOK = """() => {
  function all(root, sel, out) {
    root.querySelectorAll(sel).forEach(e => out.push(e));
    root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) all(e.shadowRoot, sel, out); });
    return out; }
  const outputs = [...document.querySelectorAll('.jp-OutputArea-output')];
  return {
    loads: window.hydro_lab_bokehjs_loads || 0,
    canvases: all(document, 'canvas', []).filter(c => c.width > 0 && c.height > 0).length,
    titles: outputs.filter(o => o.innerText.includes('instances running')).length,
    notes: outputs.map(o => o.innerText.trim())
      .filter(t => t.startsWith('Error displaying widget')),
    broken: outputs.map(o => o.innerText).filter(t =>
      /javascript error|Failed to create view|No renderer could be found|reading 'require'/i
        .test(t)),
    errors: [...document.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')]
      .map(e => e.innerText.slice(0, 500)),
  }; }"""


def look_until(page: Page, ready, what: str, timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        seen = page.page.evaluate(LOOK)
        if ready(seen):
            return seen
        assert time.monotonic() < deadline, f"{what}: {seen}"
        time.sleep(0.25)


def drawn(seen: dict) -> bool:
    return seen["canvases"] >= FIGURES and seen["titles"] == 1


def test_bokehjs_loads_once_per_page_and_stays_out_of_the_saved_notebook():
    files = {"live.ipynb": notebook(CELLS)}
    with jupyterlab(files=files) as (base, work), chromium() as browser:
        page = Page(browser)
        page.open(base, "live.ipynb")
        page.run_all()
        seen = look_until(page, drawn, "the dashboard and the watches draw")
        canvases = seen["canvases"]
        assert seen["loads"] == 1 and seen["broken"] == [] and seen["errors"] == []

        page.page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
        saved = work / "live.ipynb"
        deadline = time.monotonic() + 20
        while not json.loads(saved.read_text())["cells"][1]["outputs"]:
            assert time.monotonic() < deadline, "JupyterLab did not save the notebook"
            time.sleep(0.25)
        nb = json.loads(saved.read_text())
        kinds = {kind for cell in nb["cells"] for o in cell["outputs"]
                 for kind in o.get("data", {})}
        assert "application/javascript" not in kinds
        assert "application/vnd.jupyter.widget-view+json" in kinds
        assert saved.stat().st_size < 100_000, saved.stat().st_size  # it was 8 MB
        shutil.copy(saved, work / "reopened.ipynb")

        # a new page, the same kernel, nothing run: the saved outputs draw with the kernel's
        # widgets, BokehJS among them
        page.page.reload()
        page.wait_kernel()
        seen = look_until(page, lambda s: drawn(s) and s["canvases"] == canvases,
                          "drawn again after a reload, without running")
        assert seen["loads"] == 1 and seen["broken"] == [] and seen["notes"] == []
        # running it all again in that page: new views, BokehJS is not run again
        page.run_all()
        seen = look_until(page, lambda s: drawn(s) and s["canvases"] == canvases,
                          "drawn after running again")
        assert seen["loads"] == 1 and seen["broken"] == [] and seen["errors"] == []
        assert page.errors == [] and page.foreign == []

        # the saved notebook opened with a new kernel, not run: ipywidgets says the widgets
        # are gone (they lived in the old kernel); nothing fails
        fresh = Page(browser)
        fresh.open(base, "reopened.ipynb")
        seen = look_until(fresh, lambda s: len(s["notes"]) == 3, "ipywidgets' notes")
        assert seen["loads"] == 0 and seen["canvases"] == 0
        assert seen["broken"] == [] and seen["errors"] == []
        assert fresh.errors == [] and fresh.foreign == []
