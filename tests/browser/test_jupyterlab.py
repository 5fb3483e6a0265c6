"""Chapter 2 of the workshop (estimate_pi on Ray) in a real JupyterLab, in headless Chromium, the
way a workshop runs it: open the notebook, Run All, look at what the browser drew; then reload
the page and Run All again in the same kernel (a new page has no BokehJS: this once broke every
dashboard after a reload).

It checks what nbclient cannot: that the lab extensions render the widgets and the bokeh
figures, that hydro_lab's extension draws the live graph (Graphviz's ``dot`` is not on the
kernel's PATH) and that its counts move while the deployment runs, that no output is a
JavaScript error, and that the page asks nothing of any host but the local server (BokehJS is
inline, no CDN). Needs Debian's chromium (``.ci/run`` installs it) and playwright from PyPI (the
``test`` extra); playwright drives the system's chromium, it never downloads a browser.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.browser.lab import ALL_RAN, CHROMIUM, MIME, Page, chromium, jupyterlab

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks" / "workshop"
NOTEBOOK = "02_estimate_pi_on_ray.ipynb"
SHOTS = os.environ.get("HYDRO_LAB_SCREENSHOTS")  # a folder: screenshots for docs/graph.md

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it)")

# what the page shows, looking inside shadow roots too (bokeh draws in them)
LOOK = """() => {
  function all(root, sel, out) {
    root.querySelectorAll(sel).forEach(e => out.push(e));
    root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) all(e.shadowRoot, sel, out); });
    return out; }
  const canvases = all(document, 'canvas', []).filter(c => c.width > 0 && c.height > 0);
  const outputs = [...document.querySelectorAll('.jp-OutputArea-output')];
  const graphs = outputs.filter(o => o.dataset.mimeType === 'MIME');
  return {
    prompts: [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
      .map(p => p.textContent.trim()),
    errors: [...document.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')]
      .map(e => e.innerText.slice(0, 500)),
    stderr: [...document.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .map(e => e.innerText.slice(0, 500)),
    broken: outputs.map(o => o.innerText).filter(t =>
      t.includes('javascript error') || t.includes('Error displaying widget') ||
      t.includes('Failed to create view') || t.includes('No renderer could be found'))
      .map(t => t.slice(0, 500)),
    widgets: document.querySelectorAll('.jupyter-widgets').length,
    canvases: canvases.length,
    svg_outputs: outputs.filter(o => o.dataset.mimeType === 'image/svg+xml').length,
    graphs_drawn: graphs.filter(o => Number(o.dataset.drawn) > 0).length,
    graph_errors: graphs.map(o => o.querySelector('.hl-error')).filter(e => e)
      .map(e => e.textContent),
    dashboard_titles: outputs.map(o => o.innerText)
      .filter(t => t.includes('instances running')).length,
    text: outputs.map(o => o.innerText).join('\\n'),
  }; }""".replace("MIME", MIME)

# the live graph (the first graph output): its state and the count drawn on its `reduce`
LIVE = """() => {
  const o = document.querySelector('.jp-OutputArea-output[data-mime-type="MIME"]');
  if (!o) return null;
  const n = [...o.querySelectorAll('g.hl-node')].find(n => n.dataset.op === 'reduce');
  const c = n && n.querySelector('.hl-count');
  return {state: o.dataset.state || null, count: c ? c.textContent : null}; }""".replace(
    "MIME", MIME)


def shot(page: Page, name: str, index: int) -> None:
    """A screenshot of the index-th graph output (-1: the last) for docs/graph.md."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        graphs = page.page.locator(f'.jp-OutputArea-output[data-mime-type="{MIME}"]')
        target = graphs.last if index == -1 else graphs.nth(index)
        target.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def run_all_watching_the_live_graph(page: Page, timeout_s: float = 300) -> tuple[dict, list]:
    """Run All, sampling the live graph every 0.25 s until every cell ran: (what the page
    shows at the end, the counts seen on `reduce` while the deployment was deployed)."""
    page.wait_kernel()
    # not awaited: the command's promise ends only when the last cell has run
    page.page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    samples = []
    deadline = time.monotonic() + timeout_s
    while not page.page.evaluate(ALL_RAN):
        assert time.monotonic() < deadline, "the notebook did not finish"
        live = page.page.evaluate(LIVE)
        if live and live["state"] in ("running", "paused") and live["count"]:
            samples.append(live["count"])
            if len(samples) == 6:
                shot(page, "graph-live", 0)
        time.sleep(0.25)
    page.wait_kernel(60)
    time.sleep(2)                       # the last pump updates and bokeh's paint
    return page.page.evaluate(LOOK), samples


def check(seen: dict, samples: list, page: Page) -> None:
    assert seen["prompts"] and all(p.startswith("[") and p[1:-2].isdigit()
                                   for p in seen["prompts"]), seen["prompts"]
    assert seen["errors"] == []
    assert [s for s in seen["stderr"] if "Error" in s or "Traceback" in s] == []
    assert seen["broken"] == []
    assert page.foreign == []           # nothing but the local server: no CDN
    assert page.errors == []
    assert seen["svg_outputs"] == 0     # no dot on the kernel's PATH...
    assert seen["graphs_drawn"] >= 1 and seen["graph_errors"] == []  # ...the extension drew it
    # the live graph's counts moved while the deployment ran (several distinct values)
    assert len(set(samples)) >= 2, samples
    assert seen["dashboard_titles"] == 1
    # the dashboard's 7 figures, the watch's sparkline: drawn, not just present
    assert seen["canvases"] >= 8, seen["canvases"]
    assert seen["widgets"] >= 20
    assert "pi ~ 3.1" in seen["text"]


def test_chapter_2_runs_in_jupyterlab_and_again_after_a_reload():
    with jupyterlab(NOTEBOOKS) as (base, _work), chromium() as browser:
        page = Page(browser)
        page.open(base, NOTEBOOK)
        check(*run_all_watching_the_live_graph(page), page)
        shot(page, "graph-replay", -1)  # %hydro replay: the same renderer, a tick lit

        page.page.reload()                   # a new page, the same kernel
        seen, samples = run_all_watching_the_live_graph(page)
        check(seen, samples, page)
        first = int(seen["prompts"][0].strip("[]:"))
        assert first > len(seen["prompts"])  # it really was the same kernel, run twice
