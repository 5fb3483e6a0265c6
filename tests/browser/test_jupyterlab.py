"""Chapters 2 (estimate_pi on Ray) and 6 (Paxos) of the workshop in a real JupyterLab, in
headless Chromium, the way a workshop runs them: open the notebook, Run All (JupyterLab's
command, every cell top to bottom, the Ray cells included), look at what the browser drew.
Chapter 2 then reloads the page and runs all again in the same kernel (a new page has no
BokehJS: this once broke every dashboard after a reload).

It checks what nbclient cannot: that the lab extensions render the widgets and the bokeh
figures (the dashboard's canvases drawn inside its output), that hydro_lab's extension draws the
live graph (Graphviz's ``dot`` is not on the kernel's PATH) and that its counts move while the
deployment runs, that no cell shows an error and no page error happens, and that the page asks
nothing of any host but the local server (BokehJS is inline, no CDN). Needs Debian's chromium
(``.ci/run`` installs it), playwright from PyPI (the ``test`` extra; it drives the system's
chromium, it never downloads a browser) and the built extension.

Both chapters run in one JupyterLab server, each in a kernel of its own, and both kernels join
the test run's one Ray session (``ray_session``, through ``RAY_ADDRESS``) instead of starting
Ray each: a student's kernel starting Ray itself is tested by tests/workshop and
tests/notebook.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.lab import ALL_RAN, CHROMIUM, MIME, TOKEN, Page, chromium, jupyterlab

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks" / "workshop"
CHAPTER_2 = "02_estimate_pi_on_ray.ipynb"
CHAPTER_6 = "06_paxos.ipynb"
SHOTS = os.environ.get("HYDRO_LAB_SCREENSHOTS")  # a folder: screenshots for docs/graph.md

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                       "(apt-get install chromium; .ci/run does it)"),
    pytest.mark.skipif(not (ROOT / "hydro_lab" / "labextension" / "package.json").exists(),
                       reason="the JupyterLab extension is not built (make setup builds it)"),
    pytest.mark.ray,
]

# every element below `root`, looking inside shadow roots too (bokeh draws in them)
ALL = """function all(root, sel, out) {
    root.querySelectorAll(sel).forEach(e => out.push(e));
    root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) all(e.shadowRoot, sel, out); });
    return out; }"""

# what the page shows
LOOK = """() => {
  ALL
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
    graphs: graphs.length,
    // drawn by the extension: operators, or (a big graph opens folded) its locations' summaries
    graphs_drawn: graphs.filter(o => o.dataset.drawn !== undefined &&
      o.querySelector('g.hl-node') !== null).length,
    graph_errors: graphs.map(o => o.querySelector('.hl-error')).filter(e => e)
      .map(e => e.textContent),
    dashboard_titles: outputs.map(o => o.innerText)
      .filter(t => t.includes('instances running')).length,
    text: outputs.map(o => o.innerText).join('\\n'),
  }; }""".replace("ALL", ALL).replace("MIME", MIME)

# what the outputs of one code cell (the first whose source starts with `prefix`) show: its
# widgets, the bokeh views inside them (bokeh's elements are `bk-*`: the figures' `bk-Figure`,
# their `bk-Canvas`, each a shadow root's host) and the canvases drawn (not 0 by 0)
CELL = """([prefix]) => {
  ALL
  const panel = window.jupyterapp.shell.currentWidget;
  const cell = panel.content.widgets.find(c => c.model.type === 'code' &&
    c.model.sharedModel.getSource().startsWith(prefix));
  if (!cell) return null;
  const area = cell.node.querySelector('.jp-OutputArea');
  const bk = all(area, '*', []).filter(e =>
    [...e.classList].some(c => c.startsWith('bk-')) || e.tagName.startsWith('BK-'));
  const count = cls => bk.filter(e => e.classList.contains(cls)).length;
  return {
    outputs: [...area.querySelectorAll('.jp-OutputArea-output')]
      .map(o => o.dataset.mimeType || null),
    widgets: area.querySelectorAll('.jupyter-widgets').length,
    bokeh: bk.length,
    figures: count('bk-Figure'),
    bokeh_canvases: count('bk-Canvas'),
    canvases: all(area, 'canvas', []).filter(c => c.width > 0 && c.height > 0).length,
    text: area.innerText,
  }; }""".replace("ALL", ALL)

# the live graph (the first graph output): its state and the counts drawn on its operators
# (those of `op` only, when given)
LIVE = """([op]) => {
  const o = document.querySelector('.jp-OutputArea-output[data-mime-type="MIME"]');
  if (!o) return null;
  const counts = [...o.querySelectorAll('g.hl-node')]
    .filter(n => !op || n.dataset.op === op)
    .map(n => n.querySelector('.hl-count')).filter(c => c).map(c => c.textContent);
  return {state: o.dataset.state || null, counts: counts.join(' ')}; }""".replace("MIME", MIME)

# the live graph (the first graph output): what it draws
GRAPH = """() => {
  const o = document.querySelector('.jp-OutputArea-output[data-mime-type="MIME"]');
  const nodes = [...o.querySelectorAll('g.hl-node:not(.hl-summary)')];
  const summaries = [...o.querySelectorAll('g.hl-node.hl-summary')];
  const count = n => { const c = n.querySelector('.hl-count'); return c ? c.textContent : null; };
  return {
    state: o.dataset.state || null,
    drawn: Number(o.dataset.drawn),
    ops: nodes.map(n => n.dataset.op),
    summaries: Object.fromEntries(summaries.map(n => [n.dataset.group, count(n)])),
    groups: [...o.querySelectorAll('g.hl-group')].map(g => [g.dataset.kind, g.dataset.id]),
    error: o.querySelector('.hl-error') ? o.querySelector('.hl-error').textContent : null,
  }; }""".replace("MIME", MIME)


@pytest.fixture(scope="module")
def lab(ray_session):
    """One JupyterLab server on a copy of the workshop (every kernel it starts joins the test
    run's Ray session) and one headless Chromium: ``(base_url, browser)``."""
    address = ray_session.get_runtime_context().gcs_address
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_ADDRESS", address)
        with jupyterlab(NOTEBOOKS) as (base, _work), chromium() as browser:
            yield base, browser


def shutdown_kernels(base: str) -> None:
    """Shut down every kernel of the server (a finished chapter's, so it holds nothing while
    the next one runs)."""
    with urllib.request.urlopen(f"{base}/api/kernels?token={TOKEN}", timeout=10) as r:
        kernels = json.load(r)
    for k in kernels:
        request = urllib.request.Request(f"{base}/api/kernels/{k['id']}?token={TOKEN}",
                                         method="DELETE")
        urllib.request.urlopen(request, timeout=60).close()


def shot(page: Page, name: str, index: int) -> None:
    """A screenshot of the index-th graph output (-1: the last) for docs/graph.md."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        graphs = page.page.locator(f'.jp-OutputArea-output[data-mime-type="{MIME}"]')
        target = graphs.last if index == -1 else graphs.nth(index)
        target.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def run_all_watching_the_live_graph(page: Page, op: str | None = None, timeout_s: float = 300,
                                    shots: bool = False) -> tuple[dict, list]:
    """Run All, sampling the live graph every 0.25 s until every cell ran: (what the page
    shows at the end, the counts seen on the graph's operators (``op``'s only, when given)
    while the deployment was deployed)."""
    page.wait_kernel()
    # not awaited: the command's promise ends only when the last cell has run
    page.page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    samples = []
    deadline = time.monotonic() + timeout_s
    while not page.page.evaluate(ALL_RAN):
        assert time.monotonic() < deadline, f"the notebook did not finish: {look(page)}"
        live = page.page.evaluate(LIVE, [op])
        if live and live["state"] in ("running", "paused") and live["counts"]:
            samples.append(live["counts"])
            if shots and len(samples) == 6:
                shot(page, "graph-live", 0)
        time.sleep(0.25)
    page.wait_kernel(60)
    time.sleep(2)                       # the last pump updates and bokeh's paint
    return look(page), samples


def look(page: Page) -> dict:
    return page.page.evaluate(LOOK)


def cell(page: Page, prefix: str) -> dict:
    """What the first code cell whose source starts with ``prefix`` shows."""
    seen = page.page.evaluate(CELL, [prefix])
    assert seen is not None, f"no code cell starts with {prefix!r}"
    return seen


def check_the_page(seen: dict, samples: list, page: Page) -> None:
    """Every cell ran, none shows an error, the page had no error and asked nothing of another
    host, the extension drew the live graph and its counts moved while the flow ran."""
    assert seen["prompts"] and all(p.startswith("[") and p[1:-2].isdigit()
                                   for p in seen["prompts"]), seen["prompts"]
    assert seen["errors"] == []
    assert [s for s in seen["stderr"] if "Error" in s or "Traceback" in s] == []
    assert seen["broken"] == []
    assert page.foreign == []           # nothing but the local server: no CDN
    assert page.errors == []
    assert seen["svg_outputs"] == 0     # no dot on the kernel's PATH...
    # ...the extension drew every graph (data-drawn set, operators or folded locations on it)
    assert seen["graphs"] >= 1 and seen["graphs_drawn"] == seen["graphs"], seen["graphs"]
    assert seen["graph_errors"] == []
    # the live graph's counts moved while the deployment ran (several distinct values)
    assert len(set(samples)) >= 2, samples


def check_the_dashboard(dash: dict, figures: int) -> None:
    """The dashboard's output: its widgets and its bokeh figures, every one drawn."""
    assert "instances running" in dash["text"]
    assert dash["widgets"] >= 10, dash["widgets"]       # the title, the controls, the plots
    assert dash["figures"] == figures, dash             # bokeh's views of the figures...
    assert dash["bokeh_canvases"] >= figures, dash
    assert dash["canvases"] >= figures, dash            # ...each drawn on a canvas of its own


def check_chapter_2(seen: dict, samples: list, page: Page) -> None:
    check_the_page(seen, samples, page)
    # the live graph: one display, in the first %%hydro cell (which keeps it: a run in the same
    # kernel draws it there again, as the chapter says) and shown again by `%hydro graph --dfir`
    assert cell(page, "%%hydro\nimport math")["outputs"].count(MIME) == 1
    assert cell(page, "%hydro graph --dfir")["outputs"].count(MIME) == 1
    assert seen["graphs"] == 1 + 1 + 1  # and the replay's graph
    assert seen["dashboard_titles"] == 1
    # the dashboard's 7 figures (3 instances, 1 channel): drawn, not just present
    check_the_dashboard(cell(page, "%hydro dashboard"), 7)
    watch = cell(page, "pi_watch")      # the watch's sparkline
    assert watch["figures"] >= 1 and watch["canvases"] >= 1, watch
    assert seen["canvases"] >= 8, seen["canvases"]
    assert seen["widgets"] >= 20
    assert "pi ~ 3.1" in seen["text"]
    assert "✗ not yet" in cell(page, 'check("2.1")')["text"]


def test_chapter_2_runs_in_jupyterlab_and_again_after_a_reload(lab):
    base, browser = lab
    page = Page(browser)
    try:
        page.open(base, CHAPTER_2)
        check_chapter_2(*run_all_watching_the_live_graph(page, "reduce", shots=True), page)
        shot(page, "graph-replay", -1)  # %hydro replay: the same renderer, a tick lit

        page.page.reload()                   # a new page, the same kernel
        seen, samples = run_all_watching_the_live_graph(page, "reduce")
        check_chapter_2(seen, samples, page)
        first = int(seen["prompts"][0].strip("[]:"))
        assert first > len(seen["prompts"])  # it really was the same kernel, run twice
    finally:
        page.page.close()
        shutdown_kernels(base)


def test_chapter_6_runs_in_jupyterlab_the_leader_is_killed_and_another_takes_over(lab):
    base, browser = lab
    page = Page(browser)
    try:
        page.open(base, CHAPTER_6)
        seen, samples = run_all_watching_the_live_graph(page)
        check_the_page(seen, samples, page)
        live = cell(page, "%%hydro\nimport inspect")  # the live graph, one display
        assert live["outputs"].count(MIME) == 1, live["outputs"]
        # Paxos has over 150 operators: its live graph opens folded to its locations (the
        # client, you, the proposers, the acceptors), their counts drawn on them...
        folded = page.page.evaluate(GRAPH)
        assert folded["error"] is None and folded["state"] == "stopped", folded
        assert folded["drawn"] == 0 and len(folded["summaries"]) == 4, folded
        assert sum(count is not None for count in folded["summaries"].values()) == 3, folded
        # ...and unfolds to every operator, the leader election's among them
        page.page.locator(f'.jp-OutputArea-output[data-mime-type="{MIME}"]').first \
            .locator('[data-action="unfold-all"]').click()
        page.page.wait_for_function(f"""() => Number(document.querySelector(
          '.jp-OutputArea-output[data-mime-type="{MIME}"]').dataset.drawn) > 0""")
        graph = page.page.evaluate(GRAPH)
        assert graph["drawn"] == len(graph["ops"]) > 150 and graph["summaries"] == {}, graph
        assert {"sample_every", "broadcast", "timeout", "source_external",
                "send_external", "watch"} <= set(graph["ops"])
        kinds = [kind for kind, _id in graph["groups"]]
        assert (kinds.count("process"), kinds.count("external"), kinds.count("cluster")) == \
            (1, 1, 2), kinds
        # the dashboard of the 6 instances: 7 figures drawn, the kill the notebook clicked
        dash = cell(page, "dash = deployment.dashboard()")
        check_the_dashboard(dash, 7)
        assert "of 6 instances running" in dash["text"] and "killed" in dash["text"]
        assert seen["dashboard_titles"] == 1
        # the leaders, live: the first one's ballot, and the one that took over
        leaders = cell(page, "leader_watch")["text"]
        assert "elements seen" in leaders and leaders.count("Ballot(num=") >= 2, leaders
        old = cell(page, "leader = max(leader_watch.values)")["text"]
        new = cell(page, "deadline = time.monotonic() + 20\nwhile time.monotonic()")["text"]
        assert "killing it" in old and "new leader: proposers[" in new
        assert old.split("proposers[")[1][0] != new.split("proposers[")[1][0], (old, new)
        log = cell(page, 'to_paxos.send_many(["d", "e"])')["text"]
        assert "'a'" in log and "'e'" in log and "alive: ['client'" in log, log
        assert "agreement held in all" in cell(page, "def agreement_body")["text"]
        assert "✗ not yet" in cell(page, 'check("6.1")')["text"]
        assert page.errors == []
    finally:
        page.page.close()
        shutdown_kernels(base)
