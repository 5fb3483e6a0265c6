"""P9: the graph in a notebook.

* ``paxos_display`` (the kernel's cost): ``display(flow.graph())`` of the Paxos example
  (hydro_lab.examples.paxos, f=1: 248 IR operators, 3 locations), as a kernel does it: build the
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

from benchmarks.ray_harness import LATENCY, Measured, RecordValue, Target, measure_values, \
    report_values

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
    if show_source:
        print(json.dumps(paxos.graph().payload()["views"]["ir"]["groups"], indent=1))
    return record


if __name__ == "__main__":
    import sys

    from benchmarks.__main__ import main

    sys.exit(main(["--only", NAME, *sys.argv[1:]]))
