"""P9: the graph in a notebook.

* ``paxos_display`` (the kernel's cost): ``display(flow.graph())`` of the Paxos example
  (hydro_lab.examples.paxos, f=1: 256 IR operators, 3 locations), as a kernel does it: build the
  graph, format it (``_repr_mimebundle_``: both views, IR and DFIR, which compiles the flow) and
  serialize the message with jupyter_client's packer. A run times ``DISPLAYS`` displays and keeps
  their median. **Goal: <= 50 ms.** ``dot_svg`` is what the kernel did before the extension (DOT
  text and an SVG from Graphviz's ``dot`` for every display; skipped without ``dot``);
  ``big_display`` the same display for a 2,040-operator flow, for scale.
* The browser figures (``--only p9`` with Debian's chromium installed, in JupyterLab in headless
  Chromium, no ``dot`` on the kernel's PATH): the Paxos graph from output arrival to drawn
  (**goal <= 1 s**), unfolding everything (**goal <= 1.5 s**) and the longest main-thread task
  meanwhile (**goal <= 200 ms**); and what a live graph refreshing at >= 2 Hz costs a running
  estimate_pi deployment (samples/s with the graph open vs closed, **goal: <= 5 % less**).
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from benchmarks.ray_harness import (
    LATENCY,
    PER_SECOND,
    SECONDS,
    Measured,
    RecordValue,
    Target,
    Unit,
    measure_values,
    report_values,
)

NAME = "p9"
DISPLAYS = 10
QUICK_DISPLAYS = 3
GOAL_DISPLAY_S = 0.050


def paxos_flow():
    from hydro_lab.examples.paxos import agreement_check

    return agreement_check("paxos")[0]


def big_flow(processes: int = 20, chain: int = 100):
    from hydro_lab import FlowBuilder

    flow = FlowBuilder("big")
    locs = [flow.process(f"p{i}") for i in range(processes)]
    stream = locs[0].source_iter(range(3))
    for i in range(processes):
        for j in range(chain):
            stream = stream.map(lambda x, j=j: x + j)
        if i + 1 < processes:
            stream = stream.send(locs[i + 1])
    stream.for_each(print)
    return flow


def _formatter():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryAccessor.enabled = False
    return InteractiveShell.instance(config=config).display_formatter


def _display(flow, formatter) -> tuple[float, int]:
    """One display as a kernel makes it: (seconds, bytes sent)."""
    from jupyter_client.session import json_packer

    t0 = time.perf_counter()
    data, metadata = formatter.format(flow.graph())
    packed = json_packer({"data": data, "metadata": metadata, "transient": {}})
    return time.perf_counter() - t0, len(packed)


def _dot_svg(flow) -> tuple[float, int]:
    """What the kernel did for a display before the extension: DOT and an SVG from ``dot``."""
    from jupyter_client.session import json_packer

    from hydro_lab.viz import dot as dot_writer

    t0 = time.perf_counter()
    graph = flow.graph()
    source = graph.to_dot()
    bundle = {"text/vnd.graphviz": source, "image/svg+xml": dot_writer.to_svg(source),
              "text/plain": graph.to_text()}
    packed = json_packer({"data": bundle, "metadata": {}, "transient": {}})
    return time.perf_counter() - t0, len(packed)


def _displays(name: str, build, times: int, how, note: str, skip: str | None = None):
    flow = build() if skip is None else None

    def run(record: RecordValue) -> float:
        samples = [how(flow) for _ in range(times)]
        record("bytes", statistics.median(b for _, b in samples))
        return statistics.median(t for t, _ in samples)

    return Measured(name, run if skip is None else None, note, skip=skip)


# -- in the browser -------------------------------------------------------------------------------

PAXOS_CELLS = [
    "from hydro_lab.examples.paxos import agreement_check\n"
    "flow = agreement_check('paxos')[0]",
    "flow.graph()",
]

# page-side probes: when the graph output appeared and each drawing finished, and long tasks
WATCH = """() => {
  window.__p9 = {arrived: null, drawn: [], long: []};
  new PerformanceObserver(list => list.getEntries().forEach(e =>
    window.__p9.long.push([e.startTime, e.duration]))).observe({entryTypes: ['longtask']});
  new PerformanceObserver(list => list.getEntries().forEach(e => {
    if (e.name === 'hydro-lab:drawn') window.__p9.drawn.push(e.startTime); }))
    .observe({entryTypes: ['mark']});
  new MutationObserver(() => {
    if (window.__p9.arrived === null && document.querySelector(
        '[data-mime-type="application/vnd.hydro-lab.graph+json"]'))
      window.__p9.arrived = performance.now(); })
    .observe(document.body, {childList: true, subtree: true}); }"""

RUN_CELL = """async ([index]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = index;
  await window.jupyterapp.commands.execute('notebook:run-cell'); }"""

GRAPH = '.jp-OutputArea-output[data-mime-type="application/vnd.hydro-lab.graph+json"]'


def _paxos_in_browser(browser, base: str, operators: int, record: RecordValue) -> float:
    """One fresh page: output arrival → drawn (folded: 256 >= 150 operators); then unfold
    everything and record how long that took and the longest main-thread task meanwhile."""
    from tests.browser.lab import Page

    page = Page(browser)
    try:
        page.open(base, "paxos.ipynb")
        page.page.evaluate(WATCH)
        page.page.evaluate(RUN_CELL, [0])
        page.page.evaluate(RUN_CELL, [1])
        page.page.wait_for_function(f"() => document.querySelector('{GRAPH}') && "
                                    f"document.querySelector('{GRAPH}').dataset.drawn !== "
                                    "undefined", timeout=60_000)
        probe = page.page.evaluate("() => window.__p9")
        opened = (probe["drawn"][0] - probe["arrived"]) / 1000
        t0 = page.page.evaluate(f"""() => {{ const t = performance.now();
          document.querySelector('{GRAPH} [data-action="unfold-all"]').click(); return t; }}""")
        page.page.wait_for_function(f"() => Number(document.querySelector('{GRAPH}')"
                                    f".dataset.drawn) === {operators}", timeout=60_000)
        probe = page.page.evaluate("() => window.__p9")
        unfolded = (max(probe["drawn"]) - t0) / 1000
        longest = max([d for start, d in probe["long"] if start >= t0 - 1] or [0.0]) / 1000
        record("unfold_all", unfolded)
        record("longest_task_unfolding", longest)
        assert page.errors == [], page.errors
        return opened
    finally:
        page.page.close()


LIVE_CELLS = [
    # 0: a fresh local estimate_pi deployment, the running total sampled cheaply
    "import json, time\n"
    "from hydro_lab import FlowBuilder, nondet\n"
    "from hydro_lab.examples.estimate_pi import estimate_pi\n"
    "def deploy():\n"
    "    flow = FlowBuilder('pi')\n"
    "    leader, workers = flow.process('leader'), flow.cluster('workers')\n"
    "    seen = []\n"
    "    (estimate_pi(leader, workers).sample_every(0.1, nondet('measuring'))\n"
    "        .for_each(lambda t: seen.append((time.monotonic(), t[1]))))\n"
    "    d = flow.deploy('local', cluster_sizes={workers: 2})\n"
    "    return d, seen\n"
    "def measure(d, seen, warm=1.0, window=WINDOW):\n"
    "    d.start(); time.sleep(warm); seen.clear(); time.sleep(window); d.stop()\n"
    "    (t0, n0), (t1, n1) = seen[0], seen[-1]\n"
    "    print('RATE', (n1 - n0) / (t1 - t0))\n",
    # 1: graph closed
    "d, seen = deploy()\nmeasure(d, seen)",
    # 2: graph open (displayed, refreshed by the pump while it runs)
    "d, seen = deploy()\ng = d.graph()\ndisplay(g)\nsent = g.sent\nmeasure(d, seen)\n"
    "print('UPDATES', g.sent - sent)",
]


def _live_rate(browser_page, cell: int, record: RecordValue, window: float) -> float:
    page = browser_page
    page.page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-"
                       "outputs')")
    page.page.evaluate(RUN_CELL, [cell])
    text = page.page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output')]"
                              ".map(o => o.innerText).join('\\n')")
    rates = [float(line.split()[1]) for line in text.splitlines() if line.startswith("RATE ")]
    assert rates, text[-2000:]
    updates = [int(line.split()[1]) for line in text.splitlines() if line.startswith("UPDATES ")]
    if updates:  # the live graph's refresh rate while it was measured (warm-up included)
        record("updates_per_s", updates[-1] / (window + 1.0))
    return rates[-1]


def run_browser(quick: bool, runs: int) -> dict[str, Any]:
    from tests.browser.lab import CHROMIUM, Page, chromium, jupyterlab, notebook

    if CHROMIUM is None:
        print("\nP9 (browser): skipped, Debian's chromium is not installed")
        return {"skipped": "chromium is not installed"}
    window = 2.0 if quick else 5.0
    operators = len(paxos_flow().graph().model.nodes)
    files = {"paxos.ipynb": notebook(PAXOS_CELLS),
             "live.ipynb": notebook([LIVE_CELLS[0].replace("WINDOW", str(window)),
                                     *LIVE_CELLS[1:]])}
    out: dict[str, Any] = {}
    with jupyterlab(files=files) as (base, _work), chromium() as browser:
        contenders = [Measured("paxos_open", lambda record: _paxos_in_browser(
            browser, base, operators, record),
            f"{operators} operators, opens folded to its locations: arrival -> drawn")]
        series = measure_values(contenders, runs)
        out["paxos"] = report_values(
            NAME, "the Paxos graph in JupyterLab (headless Chromium, no dot)", series,
            "paxos_open", SECONDS, runs,
            [Target("paxos_open", "<=", 1.0, label="output arrival -> drawn")],
            ["unfold_all: click 'Unfold all' -> every operator drawn; "
             "longest_task_unfolding: the longest main-thread task meanwhile"],
            extra_units={"unfold_all": SECONDS, "longest_task_unfolding": LATENCY})
        unfold = series[0].extras.get("unfold_all", [])
        longest = series[0].extras.get("longest_task_unfolding", [])
        if unfold:
            med, worst = statistics.median(unfold), max(longest or [0.0])
            print(f"  GOAL P9 [unfold everything]: median {med:.2f} s (goal <= 1.50 s): "
                  f"{'goal met' if med <= 1.5 else 'goal missed'}")
            print(f"  GOAL P9 [no main-thread task over 200 ms while unfolding]: longest "
                  f"{worst * 1000:.0f} ms over {len(longest)} runs: "
                  f"{'goal met' if worst <= 0.2 else 'goal missed'}")
            out["paxos"]["goals"] += [
                {"label": "unfold everything", "value": med, "limit": 1.5, "met": med <= 1.5},
                {"label": "longest main-thread task", "value": worst, "limit": 0.2,
                 "met": worst <= 0.2}]

        page = Page(browser)
        page.open(base, "live.ipynb")
        page.page.evaluate(RUN_CELL, [0])
        contenders = [Measured("graph_closed", lambda record: _live_rate(page, 1, record, window),
                               f"local estimate_pi, 2 workers, {window:g} s windows"),
                      Measured("graph_open", lambda record: _live_rate(page, 2, record, window),
                               "the same with d.graph() displayed and live")]
        series = measure_values(contenders, runs)
        out["live"] = report_values(
            NAME, "what a live graph costs a running deployment: samples/s", series,
            "graph_closed", PER_SECOND, runs,
            [Target("graph_open", ">=", 0.95, against="graph_closed",
                    label="live refresh costs <= 5 % of samples/s")], [],
            extra_units={"updates_per_s": Unit("updates/s", lambda v: f"{v:.1f}/s", True)})
        assert page.errors == [], page.errors
    return out


def run(quick: bool, runs: int, show_source: bool = False) -> dict[str, Any]:
    import os

    from hydro_lab.viz import dot as dot_writer
    from hydro_lab.viz.frontend import frontend_draws

    # a kernel that JupyterLab started (the extension installed): no SVG is made for a display
    os.environ.setdefault("JPY_SESSION_NAME", "p9.ipynb")
    if not frontend_draws():
        print("  (the hydro_lab lab extension is not installed: displays include dot's SVG)")
    times = QUICK_DISPLAYS if quick else DISPLAYS
    formatter = _formatter()
    shown = (lambda flow: _display(flow, formatter))
    paxos = paxos_flow()
    nodes = len(paxos.graph().model.nodes)
    contenders = [
        _displays("paxos_display", paxos_flow, times, shown,
                  f"{nodes} operators: graph + format (IR and DFIR views) + serialize"),
        _displays("dot_svg", paxos_flow, times, _dot_svg,
                  "before the extension: DOT + dot's SVG per display",
                  skip=None if dot_writer.dot_available() else "Graphviz's dot is not installed"),
        _displays("big_display", big_flow, max(1, times // 3), shown,
                  "2,040 operators, same path as paxos_display"),
    ]
    series = measure_values(contenders, runs)
    sizes = {s.name: statistics.median(s.extras["bytes"]) for s in series if s.extras.get("bytes")}
    lines = [f"{name}: {size / 1024:,.0f} KiB per display message" for name, size in sizes.items()]
    record = report_values(
        NAME, "the graph's cost in the kernel: one display of the Paxos graph", series,
        "paxos_display", LATENCY, runs,
        [Target("paxos_display", "<=", GOAL_DISPLAY_S, label="kernel cost of a Paxos display")],
        lines)
    record["displays_per_run"] = times
    record["message_bytes"] = sizes
    record["browser"] = run_browser(quick, runs)
    if show_source:
        print(json.dumps(paxos.graph().payload()["views"]["ir"]["groups"], indent=1))
    return record


if __name__ == "__main__":
    import sys

    from benchmarks.__main__ import main

    sys.exit(main(["--only", NAME, *sys.argv[1:]]))
