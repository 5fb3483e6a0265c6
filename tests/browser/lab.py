"""A JupyterLab server and a headless Chromium for the browser tests and the browser benchmarks.

The server serves a copy of a folder of notebooks (nothing it saves lands in the repo), with every
cell kept in the DOM (no virtual scrolling) and no news pop-up over the outputs. ``hide_dot``
starts it with a PATH on which Graphviz's programs do not exist, so a kernel it starts cannot
draw SVG: whatever shows a graph is the extension. Chromium is Debian's, driven by playwright
(which never downloads a browser here), with the flags the machine needs headless and offline.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = shutil.which("chromium")
TOKEN = "hydro-lab-browser-test"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GRAPHVIZ = {"dot", "neato", "twopi", "circo", "fdp", "sfdp", "patchwork", "osage"}
MIME = "application/vnd.hydro-lab.graph+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def path_without_graphviz(root: Path) -> str:
    """A PATH with the same programs as ours but Graphviz's: a folder of links to them."""
    shim = root / "bin-without-dot"
    shim.mkdir(exist_ok=True)
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            target = os.path.join(folder, name)
            link = shim / name
            if name in GRAPHVIZ or link.exists() or not os.access(target, os.X_OK):
                continue
            link.symlink_to(target)
    return f"{Path(sys.executable).parent}{os.pathsep}{shim}"


@contextmanager
def jupyterlab(notebooks: Path | None = None, *, hide_dot: bool = True,
               files: dict[str, str] | None = None):
    """A JupyterLab server on a copy of ``notebooks`` (and ``files``: name -> text); yields
    ``(base_url, work_dir)``."""
    root = Path(tempfile.mkdtemp(prefix="hydro-lab-browser-"))
    work = root / "notebooks"
    if notebooks is not None:
        shutil.copytree(notebooks, work)
    else:
        work.mkdir()
    for name, text in (files or {}).items():
        (work / name).write_text(text)
    settings = root / "settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
     ).write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = free_port()
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"))
    if hide_dot:
        env["PATH"] = path_without_graphviz(root)
    log_path = root / "lab.log"
    log = open(log_path, "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={TOKEN}",
         "--LabApp.expose_app_in_browser=True", f"--notebook-dir={work}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n"
                                       + log_path.read_text()[-3000:]) from None
                time.sleep(0.5)
        yield base, work
    finally:
        os.killpg(server.pid, signal.SIGINT)   # jupyter asks to confirm on one ^C: send two
        time.sleep(0.5)
        try:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def notebook(cells: list[str]) -> str:
    """A notebook's JSON with these code cells (ids c0, c1, ...)."""
    return json.dumps({
        "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": source,
                   "outputs": [], "execution_count": None} for i, source in enumerate(cells)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5})


class Page:
    """A playwright page that remembers its page errors and every request off the machine."""

    def __init__(self, browser, *, width: int = 1400, height: int = 1200):
        self.page = browser.new_page(viewport={"width": width, "height": height},
                                     accept_downloads=True)
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", self._request)

    def _request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and \
                url.hostname not in ("127.0.0.1", "localhost"):
            self.foreign.append(request.url)

    def open(self, base: str, name: str) -> None:
        self.page.goto(f"{base}/lab/tree/{name}?token={TOKEN}&reset")
        self.wait_kernel()

    def wait_kernel(self, timeout_s: float = 120) -> None:
        self.page.wait_for_function(KERNEL_READY, timeout=timeout_s * 1000)

    def run_all(self, timeout_s: float = 300) -> None:
        self.wait_kernel()
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(ALL_RAN, timeout=timeout_s * 1000, polling=500)
        self.wait_kernel(60)


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected'; }"""

ALL_RAN = """() => {
  const ps = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
  return ps.length > 0 && ps.every(p => /\\[\\d+\\]/.test(p.textContent)); }"""
