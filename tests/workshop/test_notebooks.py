"""Every chapter in notebooks/workshop/ runs top to bottom in a fresh kernel, as shipped (each
check cell says "not yet") and with every exercise cell replaced by its solution from the
registry (each check cell says "passed"), with no error; and each chapter shows what it teaches.

The chapters are discovered (``NN_<slug>.ipynb``, chapter NN): a chapter added later is run
too. One that deploys on Ray is marked ``ray``. The run as shipped executes every cell twice in
a row, as a student re-runs a cell; the run with the solutions executes each cell once.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import nbformat
import pytest

from hydro_lab.viz import MIME_TYPE
from hydro_lab.workshop import exercises
from tests.workshop.kernel import (
    WIDGET,
    assert_no_errors,
    assert_saved_small,
    cell_outputs,
    execute,
    first_outputs,
    outputs,
    plain,
    text_of,
)

WORKSHOP = Path(__file__).resolve().parents[2] / "notebooks" / "workshop"
CHAPTERS = sorted(WORKSHOP.glob("[0-9][0-9]_*.ipynb"))
MARKER = re.compile(r"\A# exercise (\d+\.\d+): ")


def chapter_of(path: Path) -> int:
    return int(path.name[:2])


def uses_ray(path: Path) -> bool:
    """Whether the chapter deploys on Ray: one of its code cells says so (a chapter whose prose
    only tells how to switch to Ray runs locally)."""
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return any(sign in text for sign in ("--ray", 'deploy("ray"', "deploy('ray'",
                                         'backend = "ray"', "backend = 'ray'"))


def chapter_params():
    return [pytest.param(p, id=p.stem, marks=[pytest.mark.ray] if uses_ray(p) else [])
            for p in CHAPTERS]


def exercise_cells(nb) -> dict[str, int]:
    """Exercise id -> index of its exercise cell."""
    found = {}
    for index, cell in enumerate(nb.cells):
        m = MARKER.match(cell.source) if cell.cell_type == "code" else None
        if m:
            assert m.group(1) not in found, f"exercise {m.group(1)} has two cells"
            found[m.group(1)] = index
    return found


def check_cell(nb, exercise_id: str) -> int:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.strip() == f'check("{exercise_id}")':
            return index
    raise AssertionError(f"no check(\"{exercise_id}\") cell")


@functools.cache
def ran(name: str, solutions: bool) -> nbformat.NotebookNode:
    """The chapter run as shipped (each cell twice) or with the solutions (each cell once)."""
    nb = nbformat.read(WORKSHOP / name, as_version=4)
    if solutions:
        by_id = {ex.id: ex for ex in exercises()}
        for ex_id, index in exercise_cells(nb).items():
            ex = by_id[ex_id]
            nb.cells[index].source = f"# exercise {ex.id}: {ex.title}\n{ex.solution}"
    return execute(nb, WORKSHOP, twice=not solutions)


def test_the_chapters_are_there_and_named_by_number():
    assert [chapter_of(p) for p in CHAPTERS][:3] == [1, 2, 3]
    assert len({chapter_of(p) for p in CHAPTERS}) == len(CHAPTERS)
    assert [p.name for p in CHAPTERS][:3] == [
        "01_first_flow.ipynb", "02_estimate_pi_on_ray.ipynb", "03_echo_and_counters.ipynb"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_follows_the_conventions(path):
    """It opens with what the student will be able to do, imports the check, and has one
    exercise cell per exercise of its chapter (the marker line, then the starter verbatim),
    each followed by its check cell."""
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and "able to" in nb.cells[0].source
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("from hydro_lab.workshop import check_exercise as check" in c for c in code)
    assert any(c.startswith("%%hydro") for c in code)  # the live graph
    chapter = chapter_of(path)
    wanted = {ex.id: ex for ex in exercises(chapter)}
    assert wanted, f"hydro_lab.workshop.chapter{chapter} has no exercises"
    cells = exercise_cells(nb)
    assert set(cells) == set(wanted)
    for ex_id, index in cells.items():
        ex = wanted[ex_id]
        assert nb.cells[index].source == f"# exercise {ex.id}: {ex.title}\n{ex.starter}".rstrip()
        following = [c for c in nb.cells[index + 1:] if c.cell_type == "code"][0]
        assert following.source == f'check("{ex_id}")'


@pytest.mark.parametrize("path", chapter_params())
def test_a_chapter_runs_as_shipped_and_its_checks_say_not_yet(path):
    nb = ran(path.name, False)
    assert_no_errors(nb)
    for ex_id in exercise_cells(nb):
        shown = plain(nb.cells[check_cell(nb, ex_id)].outputs)
        assert f"exercise {ex_id}" in shown and "✗ not yet" in shown, shown
        assert "has not been run yet" not in shown and "Traceback" not in shown


@pytest.mark.parametrize("path", chapter_params())
def test_a_chapter_runs_with_the_solutions_and_its_checks_say_passed(path):
    nb = ran(path.name, True)
    assert_no_errors(nb)
    for ex_id in exercise_cells(nb):
        shown = plain(nb.cells[check_cell(nb, ex_id)].outputs)
        assert f"exercise {ex_id}" in shown and "✓ passed" in shown, shown


# -- what each chapter shows (the assertions of notebooks/00..02, folded into chapters 1..3) ---

def test_chapter_1_shows_kinds_a_refused_program_the_graph_and_the_estimate():
    nb = ran("01_first_flow.ipynb", False)
    text = text_of(nb)
    assert "Optional<Unbounded>" in text
    assert "KeyedStream KeyedStream<MemberId<c>, Unbounded, TotalOrder, ExactlyOnce>" in text
    assert "Order.NO_ORDER" in text
    assert "reduce: the input is NoOrder" in text and 'commutative="why"' in text
    assert "at notebook cell In [" in text  # errors point at the cell and line
    assert "# notebook cell In [" in text  # so does every IR node
    graphs = [o for o in outputs(nb) if "data" in o and MIME_TYPE in o["data"]]
    assert len(graphs) == 1  # the live graph, one display updated in place
    payload = graphs[0]["data"][MIME_TYPE]
    assert payload["title"] == "flow" and payload["views"]["dfir"]["nodes"]
    assert {b["label"] for b in payload["views"]["ir"]["groups"]} >= {"process leader",
                                                                      "cluster workers"}
    assert any(n["op"] == "sample_every" for n in payload["views"]["ir"]["nodes"])
    assert "flowchart TB" in text and "process leader:" in text
    estimates = [float(line.split()[3]) for line in text.splitlines()
                 if line.startswith("[leader] pi ~")]  # tagged with the instance that printed
    assert estimates and all(abs(e - 3.14159) < 0.05 for e in estimates)
    assert "def sg_1(" in text  # the generated code
    # the refused exercise is refused with Hydro's own words, at the student's line
    refused = plain(cell_outputs(nb, 'check("1.2")'))
    assert "Hydro refused the program: reduce: the input is NoOrder" in refused
    assert "at your cell, line 5" in refused
    assert any(WIDGET in o.get("data", {}) for o in cell_outputs(nb, 'show("1.1")'))


@pytest.mark.ray
def test_chapter_2_runs_on_ray_with_a_dashboard_and_each_workers_rate():
    nb = ran("02_estimate_pi_on_ray.ipynb", False)
    live = cell_outputs(nb, "%%hydro\nimport math")   # the first %%hydro cell holds the graph
    graph = [o for o in live if MIME_TYPE in o.get("data", {})]
    assert len(graph) == 1  # updated in place, one display: now the DFIR view
    payload = graph[0]["data"][MIME_TYPE]
    assert payload["view"] == "dfir"
    assert any(g["kind"] == "subgraph" for g in payload["views"]["dfir"]["groups"])
    deploy = plain(cell_outputs(nb, "%hydro deploy"))
    for stage in ("✓ starting Ray", "✓ deploying 3 actors", "✓ first tick"):
        assert stage in deploy
    assert "deployed on ray: 3 instances (leader, workers[0], workers[1])" in deploy
    dash = cell_outputs(nb, "%hydro dashboard")
    assert_saved_small(nb)
    assert any(WIDGET in o.get("data", {}) for o in dash)
    assert "3 of 3 instances running" in plain(dash)
    assert any(WIDGET in o.get("data", {}) for o in cell_outputs(nb, "pi_watch"))
    line = plain(cell_outputs(nb, "print(f\"pi ~"))
    assert abs(float(line.split()[2]) - 3.14159) < 0.05
    ticks = plain(cell_outputs(nb, "m = %hydro metrics"))
    assert "leader" in ticks and "workers" in ticks
    rates = plain(cell_outputs(nb, "ticks = m["))
    assert "ticks/s" in rates and "darts/s" in rates
    rows = [line.split() for line in rates.splitlines() if re.match(r"^[01]\.0\s", line)]
    assert len(rows) == 2  # one per worker: ticks/s, and 1024 darts per tick (both rounded)
    assert all(float(r[1]) > 0 and abs(float(r[2]) - 1024 * float(r[1])) <= 512 for r in rows)
    replay = plain(cell_outputs(nb, "%hydro replay"))
    assert "<b>replay</b> of flow (ray deployment)" in replay
    assert plain(first_outputs(nb, "%hydro stop")) == "deployment stopped\n"
    assert plain(cell_outputs(nb, "%hydro stop")) == "the deployment was already stopped\n"
    starter = plain(cell_outputs(nb, 'check("2.1")'))
    assert "darts_per_worker returned a Singleton at the process leader" in starter


def test_chapter_3_the_simulator_catches_the_read_after_write_bug_and_the_fix_passes():
    nb = ran("03_echo_and_counters.ipynb", False)
    assert "['HELLO', 'HYDRO']" in plain(cell_outputs(nb, "to_server, from_server"))
    buggy, yours = [c for c in nb.cells if c.source.startswith("%hydro sim --exhaustive")]
    failure = plain(buggy.outputs)
    assert "%hydro sim exhaustive: a failing execution" in failure
    assert "expected [('c1', 1)] but it yielded [('c1', 0)]" in failure
    assert "snapshot() at notebook cell In [" in failure and "an older one" in failure
    assert "replay: sim.run(body, schedule=" in failure
    replay = cell_outputs(nb, "%hydro replay --sim")
    assert "<b>replay</b> of flow (simulation): " in plain(replay)
    assert any(WIDGET in o.get("data", {}) for o in replay)
    # the exercise's check says on which execution, and which steps of the student's cell
    said = plain(cell_outputs(nb, 'check("3.1")'))
    assert ("in this execution client c2 read a count of 1 after its increment was "
            "acknowledged") in said
    assert "batch() at your cell, line 8: released [('c2', None)]" in said
    assert "snapshot() at your cell, line 9: saw version 1 of 2 (an older one)" in said
    # the starter, put in the flow, still fails the notebook's test
    assert "%hydro sim exhaustive: a failing execution" in plain(yours.outputs)

    fixed = ran("03_echo_and_counters.ipynb", True)
    yours = [c for c in fixed.cells if c.source.startswith("%hydro sim --exhaustive")][1]
    assert "1 execution, all passed" in plain(yours.outputs)
    status = plain(cell_outputs(fixed, "%hydro status"))
    assert "%%hydro cells, in build order (1)" in status  # the fix replaced the buggy cell
    graphs = [o for o in outputs(fixed) if MIME_TYPE in o.get("data", {})]
    # echo's graph (emptied by %hydro reset); the counter's, drawn anew after the reset; and
    # the fix's: re-running the `counter` cell shows the live graph in the cell that re-ran
    # it, under the same display id, so both drawings of the counter show the fixed flow
    assert len(graphs) == 3
    payloads = [g["data"][MIME_TYPE] for g in graphs]
    assert payloads[0]["views"]["ir"]["nodes"] == []
    assert payloads[1]["views"] == payloads[2]["views"]
    assert any(n["op"] == "snapshot_atomic" for n in payloads[2]["views"]["ir"]["nodes"])


def test_chapter_4_a_live_source_keyed_lines_a_dataframe_and_a_source_that_fails():
    nb = ran("04_live_metrics.ipynb", False)
    assert "('/cart', 503, 14.7)" in plain(cell_outputs(nb, "import bisect"))  # the seeded log
    graph = [o for o in outputs(nb) if MIME_TYPE in o.get("data", {})]
    nodes = graph[0]["data"][MIME_TYPE]["views"]["ir"]["nodes"]
    assert any(n["op"] == "source_stream" for n in nodes)
    assert "deployed on local: 3 instances (collector, servers[0], servers[1])" in plain(
        cell_outputs(nb, "%hydro deploy"))
    assert "3 of 3 instances running" in plain(cell_outputs(nb, "%hydro dashboard"))
    assert_saved_small(nb)
    # one live line per endpoint and server, the top keys on view, in a widget
    lines = cell_outputs(nb, "requests_per_tick")
    assert any(WIDGET in o.get("data", {}) for o in lines)
    shown = plain(lines)
    assert "top 10 keys by latest value" in shown and "/ @ servers[0]" in shown
    # the per-tick error rate, at most three keys on view: which depends on the tick it was
    # shown at (only the endpoints that tick saw have a rate; ties go to the key seen first)
    rates = plain(cell_outputs(nb, "error_rate_per_tick"))
    assert "top 3 keys by latest value" in rates and 1 <= rates.count(" @ servers[") <= 3
    frame = plain(cell_outputs(nb, "df = requests_per_tick.to_pandas()"))
    assert frame.split("\n")[0].split() == ["location", "member", "tick", "time", "key", "value"]
    per_second = plain(cell_outputs(nb, "span = "))
    assert per_second.split("\n")[2].split()[0] == "/"  # half the traffic: the busiest endpoint
    events = plain(cell_outputs(nb, "seen = events_watch"))
    assert re.match(r"the collector counted [\d,]+ events, [\d,]+ a second over its last", events)
    # a source that ends closes its stream; one that raises stops the deployment at its line
    assert plain(cell_outputs(nb, "from hydro_lab import FlowBuilder")) == (
        "the flow took 500 requests, then the stream closed; state: stopped\n")
    failed = plain(cell_outputs(nb, "from hydro_lab.errors import HydroRuntimeError"))
    assert failed.startswith("source_stream(flaky_log) raised ConnectionError: the log server "
                             "went away\n  at notebook cell In [")
    assert ', line 5: raise ConnectionError("the log server went away")' in failed
    assert failed.endswith("the flow took 1000 requests before the source failed; "
                           "state: failed\n")
    said = plain(cell_outputs(nb, 'check("4.1")'))
    assert "/login: your flow says 69 (a count, not a rate)" in said
    # the starter's counts, live: the top three by count, not by rate
    assert "top 3 keys by latest value" in plain(cell_outputs(nb, "top_three"))

    solved = ran("04_live_metrics.ipynb", True)
    latest = plain(cell_outputs(solved, "latest = top_three.to_pandas()"))
    assert latest.split("\n")[1].split()[0] == "/login"  # the worst endpoint, on both servers
    assert all(0 <= float(line.split()[-1]) <= 1 for line in latest.split("\n")[1:7])
