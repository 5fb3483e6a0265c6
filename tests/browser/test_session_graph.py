"""The ``%%hydro`` live graph through a notebook's life, in JupyterLab in headless Chromium (no
``dot``): cells re-run and edited keep the user's zoom and folds (for the boxes that still
exist), ``%hydro deploy`` brings it alive, ``%hydro stop`` keeps the last values, a deployment
that fails says so on the graph and stops updating, ``%hydro reset`` empties it.

Cells are run one at a time, by index, the way a student clicks through them.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser.lab import CHROMIUM, MIME, Page, chromium, jupyterlab, notebook

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                       "(apt-get install chromium; .ci/run does it)"),
    pytest.mark.skipif(not (ROOT / "hydro_lab" / "labextension" / "package.json").exists(),
                       reason="the JupyterLab extension is not built (make setup builds it)"),
]

CELLS = [
    "%load_ext hydro_lab",
    # 1: the locations and a pipeline (holds the live graph's display)
    "%%hydro\nfrom hydro_lab import nondet\n"
    "leader, workers = flow.process('leader'), flow.cluster('workers')\n"
    "nums = workers.tick().spin_batch(16).map(lambda x: 1).all_ticks()\n"
    "total = nums.send(leader).values().reduce(lambda a, b: a + b, "
    "commutative='adding is commutative')\n",
    # 2: a sink: two more operators at the leader
    "%%hydro\ntotal.sample_every(0.5, nondet('printing')).for_each(lambda t: None)\n",
    "%hydro deploy --local --size workers=2",
    "%hydro run --seconds 1.5",
    "%hydro stop",
    # 6: a flow whose leader fails on its third batch
    "%hydro reset",
    "%%hydro\nfrom hydro_lab import nondet\np = flow.process('p')\n"
    "def check(x):\n    if x >= 3:\n        raise ValueError(f'bad input {x}')\n    return x\n"
    "p.spin().enumerate().map(lambda ix: ix[0]).map(check).for_each(lambda x: None)\n",
    "%hydro deploy --local",
    "import time\ntime.sleep(1.0)\nprint(deployment.state)",
    "%hydro reset",
]

RUN = """async ([index]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = index;
  await window.jupyterapp.commands.execute('notebook:run-cell'); }"""

# the last graph output (after %hydro reset the next flow is drawn anew, in its own cell)
STATE = """() => {
  const all = document.querySelectorAll('.jp-OutputArea-output[data-mime-type="MIME"]');
  const o = all[all.length - 1];
  if (!o) return null;
  const counts = {};
  o.querySelectorAll('g.hl-node').forEach(n => {
    const c = n.querySelector('.hl-count');
    if (c) counts[n.dataset.id || n.dataset.group] = c.textContent; });
  return {
    drawn: o.dataset.drawn === undefined ? null : Number(o.dataset.drawn),
    state: o.dataset.state || null,
    summaries: [...o.querySelectorAll('g.hl-node.hl-summary')].map(n => n.dataset.group),
    transform: (o.querySelector('g.hl-stage') || {getAttribute: () => null})
      .getAttribute('transform'),
    counts, status: (o.querySelector('.hl-status') || {}).textContent || null,
    error: (o.querySelector('.hl-error') || {}).textContent || null,
    note: o.innerText.includes('deployment runs the flow as it was deployed'),
    outputs: document.querySelectorAll('.jp-OutputArea-output[data-mime-type="MIME"]').length,
  }; }""".replace("MIME", MIME)


def run(page: Page, index: int) -> None:
    page.page.evaluate(RUN, [index])


def state(page: Page) -> dict:
    return page.page.evaluate(STATE)


def until(page: Page, test, what: str, timeout_s: float = 20) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        seen = state(page)
        if seen is not None and test(seen):
            return seen
        assert time.monotonic() < deadline, f"{what}: {seen}"
        time.sleep(0.2)


def test_the_session_graph_keeps_folds_and_zoom_comes_alive_and_says_when_it_fails():
    files = {"session.ipynb": notebook(CELLS)}
    with jupyterlab(files=files) as (base, _work), chromium() as browser:
        page = Page(browser)
        page.open(base, "session.ipynb")
        run(page, 0)
        run(page, 1)
        first = until(page, lambda s: s["drawn"], "the graph is drawn")
        graph = page.page.locator(f'.jp-OutputArea-output[data-mime-type="{MIME}"]').last
        # the student folds the cluster and zooms in twice
        cluster = graph.locator('g.hl-group[data-kind="cluster"]').first
        cluster_id = cluster.get_attribute("data-id")
        cluster.locator(".hl-fold-toggle").first.click()
        folded = until(page, lambda s: cluster_id in s["summaries"], "the cluster folds")
        graph.locator('[data-action="zoom-in"]').click()
        graph.locator('[data-action="zoom-in"]').click()
        zoomed = state(page)["transform"]
        assert zoomed != first["transform"]

        # another cell adds a sink: the graph is redrawn in place, folds and zoom kept
        run(page, 2)
        redrawn = until(page, lambda s: s["drawn"] == folded["drawn"] + 2, "the sink is drawn")
        assert cluster_id in redrawn["summaries"] and redrawn["transform"] == zoomed
        # re-running the holder cell draws the graph in its output anew: a new renderer,
        # the same key, so the same folds and zoom
        run(page, 1)
        again = until(page, lambda s: s["drawn"] is not None, "drawn again")
        assert again["outputs"] == 1
        assert cluster_id in again["summaries"] and again["transform"] == zoomed

        # deployed: the same display comes alive; counts move while it runs
        run(page, 3)
        live = until(page, lambda s: s["state"] == "running", "the graph comes alive")
        run(page, 4)
        later = until(page, lambda s: s["counts"] != live["counts"] and s["counts"],
                      "the counts move")
        assert later["state"] in ("running", "paused")
        # stopped: the last values stay
        run(page, 5)
        stopped = until(page, lambda s: s["state"] == "stopped", "stopped")
        assert stopped["counts"], stopped
        time.sleep(1)
        assert state(page)["counts"] == stopped["counts"]

        # reset: an empty flow, drawn as such
        run(page, 6)
        until(page, lambda s: s["drawn"] == 0 and s["state"] is None, "reset empties it")

        # a deployment that fails: the graph says so (with the user's error) and stays still
        run(page, 7)
        run(page, 8)
        run(page, 9)
        failed = until(page, lambda s: s["state"] == "failed", "the failure shows")
        assert "bad input 3" in (failed["error"] or "") + (failed["status"] or "")
        time.sleep(1)
        assert state(page)["counts"] == failed["counts"]
        run(page, 10)  # reset after a failure works
        until(page, lambda s: s["drawn"] == 0 and s["state"] is None, "reset after failure")
        assert page.errors == []
        assert page.foreign == []
