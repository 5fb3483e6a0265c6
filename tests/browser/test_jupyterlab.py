"""Notebook 01 in a real JupyterLab, in headless Chromium, the way a workshop runs it: open the
notebook, Run All, look at what the browser drew; then reload the page and Run All again in the
same kernel (a new page has no BokehJS: this once broke every dashboard after a reload).

It checks what nbclient cannot: that the lab extensions render the widgets and the bokeh
figures, that no output is a JavaScript error, and that the page asks nothing of any host but
the local server (BokehJS is inline, no CDN). Needs Debian's chromium (``.ci/run`` installs it)
and playwright from PyPI (the ``test`` extra); playwright drives the system's chromium, it never
downloads a browser.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK = "01_estimate_pi.ipynb"
CHROMIUM = shutil.which("chromium")
TOKEN = "hydro-lab-browser-test"
# what the machine notes say a headless chromium needs here (no network, no sandbox as root)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of notebooks/ (so nothing it saves lands in the repo)."""
    root = tmp_path_factory.mktemp("lab")
    work = root / "notebooks"
    shutil.copytree(NOTEBOOKS, work)
    settings = root / "settings"
    # every cell stays in the DOM (no virtual scrolling), and no news pop-up over the outputs
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
     ).write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = free_port()
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"))
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={TOKEN}",
         "--LabApp.expose_app_in_browser=True", f"--notebook-dir={work}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield base
    os.killpg(server.pid, signal.SIGINT)   # jupyter asks to confirm on one ^C: send two
    time.sleep(0.5)
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
    log.close()


KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected'; }"""

ALL_RAN = """() => {
  const ps = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
  return ps.length > 0 && ps.every(p => /\\[\\d+\\]/.test(p.textContent)); }"""

# what the page shows, looking inside shadow roots too (bokeh draws in them)
LOOK = """() => {
  function all(root, sel, out) {
    root.querySelectorAll(sel).forEach(e => out.push(e));
    root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) all(e.shadowRoot, sel, out); });
    return out; }
  const canvases = all(document, 'canvas', []).filter(c => c.width > 0 && c.height > 0);
  const outputs = [...document.querySelectorAll('.jp-OutputArea-output')];
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
    graph_svgs: [...document.querySelectorAll('.jp-OutputArea-output svg')]
      .filter(s => s.textContent.includes('cluster workers')).length,
    dashboard_titles: outputs.map(o => o.innerText)
      .filter(t => t.includes('instances running')).length,
    text: outputs.map(o => o.innerText).join('\\n'),
  }; }"""


def run_all(page, timeout_s: float = 300) -> dict:
    page.wait_for_function(KERNEL_READY, timeout=120_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(ALL_RAN, timeout=timeout_s * 1000, polling=500)
    page.wait_for_function(KERNEL_READY, timeout=60_000)
    time.sleep(2)                       # the last pump updates and bokeh's paint
    return page.evaluate(LOOK)


def check(seen: dict, foreign: list[str], page_errors: list[str]) -> None:
    assert seen["prompts"] and all(p.startswith("[") and p[1:-2].isdigit()
                                   for p in seen["prompts"]), seen["prompts"]
    assert seen["errors"] == []
    assert [s for s in seen["stderr"] if "Error" in s or "Traceback" in s] == []
    assert seen["broken"] == []
    assert foreign == []                # nothing but the local server: no CDN
    assert page_errors == []
    assert seen["graph_svgs"] >= 1      # the live graph, drawn by dot
    assert seen["dashboard_titles"] == 1
    # the dashboard's 7 figures, the watch's sparkline: drawn, not just present
    assert seen["canvases"] >= 8, seen["canvases"]
    assert seen["widgets"] >= 20
    assert "pi ~ 3.1" in seen["text"]


def test_notebook_01_runs_in_jupyterlab_and_again_after_a_reload(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            foreign: list[str] = []
            page_errors: list[str] = []
            page.on("request", lambda r: foreign.append(r.url)
                    if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
                    and urlparse(r.url).hostname not in ("127.0.0.1", "localhost") else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(f"{lab}/lab/tree/{NOTEBOOK}?token={TOKEN}&reset")
            check(run_all(page), foreign, page_errors)

            page.reload()                   # a new page, the same kernel
            seen = run_all(page)
            check(seen, foreign, page_errors)
            first = int(seen["prompts"][0].strip("[]:"))
            assert first > len(seen["prompts"])  # it really was the same kernel, run twice
        finally:
            browser.close()
