"""Chapter 4's exercise: each endpoint's error rate over the seeded web-server log; the checker
names each endpoint whose rate is wrong, with the requests and errors the log held for it, and
the top three there should be. Also the log itself, and a live source that ends or raises."""

from __future__ import annotations

import inspect
from pathlib import Path

import nbformat
import pytest

from hydro_lab import FlowBuilder, nondet, self_id
from hydro_lab.errors import HydroRuntimeError
from hydro_lab.workshop import check, get
from hydro_lab.workshop.chapter4 import EXERCISES, REQUESTS, SEED, expected_rates, top_three
from hydro_lab.workshop.weblog import ENDPOINTS, web_log

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks/workshop/04_live_metrics.ipynb"

# the checker's log: seed 4, 3,000 requests
WANT = {"/": (1505, 24), "/search": (757, 36), "/cart": (285, 27), "/login": (295, 69),
        "/checkout": (158, 16)}


def test_chapter_4_lists_its_exercise():
    assert [ex.id for ex in EXERCISES] == ["4.1"]


def test_the_log_is_seeded_and_shaped_as_the_chapter_says():
    assert list(web_log(3, seed=1)) == list(web_log(3, seed=1))
    assert list(web_log(3, seed=1)) != list(web_log(3, seed=2))
    log = list(web_log(20_000, seed=0))
    assert len(log) == 20_000 and {e for e, _s, _ms in log} == set(ENDPOINTS)
    requests, errors, rate = expected_rates(log)
    assert abs(requests["/"] / 20_000 - 0.5) < 0.02 and abs(rate["/login"] - 0.25) < 0.03
    assert {s for e, s, _ms in log if e == "/search"} == {200, 404, 500, 503}
    assert {s for e, s, _ms in log if e != "/search"} == {200, 500, 503}  # 404: /search only
    assert all(ms >= 0 for _e, _s, ms in log)
    counts, errs, _ = expected_rates(list(web_log(REQUESTS, seed=SEED)))
    assert {e: (counts[e], errs[e]) for e in ENDPOINTS} == WANT
    # endless without a count
    endless = web_log(seed=3)
    assert len([next(endless) for _ in range(50_000)]) == 50_000


def test_the_notebook_shows_the_log_the_checker_uses():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any(inspect.getsource(web_log) in c for c in cells)
    assert any('ENDPOINTS = ("/", "/search", "/cart", "/login", "/checkout")' in c for c in cells)


def test_4_1_the_starter_counts_errors_and_404s_and_each_endpoint_is_named():
    ex = get("4.1")
    starter = check(ex, ex.starter)
    assert not starter
    assert starter.right == ["the flow took the checker's log of 3,000 requests (seed 4) and "
                             "answered a KeyedSingleton keyed by endpoint"]
    assert starter.wrong[0] == ("/: your flow says 24 (a count, not a rate), but / had 1,505 "
                                "requests of which 24 failed (status 500 or more), an error "
                                "rate of 0.016.")
    # /search: 36 server errors, and 82 404s the starter counted too
    assert starter.wrong[1] == ("/search: your flow says 118 (a count, not a rate), but /search "
                                "had 757 requests of which 36 failed (status 500 or more), an "
                                "error rate of 0.048.")
    assert len(starter.wrong) == 6
    assert starter.wrong[-1] == ("so your flow's top three endpoints by error rate are /search "
                                 "118, /login 69, /cart 27; they should be /login 0.234, "
                                 "/checkout 0.101, /cart 0.095.")


def test_4_1_the_solution_passes():
    ex = get("4.1")
    solved = check(ex, ex.solution)
    assert solved.passed and solved.wrong == []
    assert solved.right == [
        "every endpoint's error rate is right on the checker's log of 3,000 requests (seed 4)",
        "the top three endpoints by error rate: /login 0.234, /checkout 0.101, /cart 0.095"]


def test_4_1_half_fixes_are_named():
    ex = get("4.1")
    with_404 = check(ex, ex.solution.replace("r[1] >= 500", "r[1] != 200"))
    assert len(with_404.wrong) == 2 and with_404.wrong[1] == (
        "so your flow's top three endpoints by error rate are /login 0.234, /search 0.156, "
        "/checkout 0.101; they should be /login 0.234, /checkout 0.101, /cart 0.095.")
    assert with_404.wrong[0] == ("/search: your flow says 0.156, but /search had 757 requests of "
                                 "which 36 failed (status 500 or more), an error rate of 0.048.")
    # the errors' share of all requests, not of the endpoint's
    only_errors = check(ex, "def error_rates(requests):\n"
                            "    return (requests.filter(lambda r: r[1] >= 500)\n"
                            "            .map(lambda r: (r[0], r[1]))\n"
                            "            .into_keyed()\n"
                            "            .fold(lambda: 0, lambda n, _: n + 1 / 3000))\n")
    assert only_errors.wrong[3].startswith("/login: your flow says 0.023, but /login had 295 "
                                           "requests of which 69 failed")
    per_tick = check(ex, "from hydro_lab import nondet\n"
                         "def error_rates(requests):\n"
                         "    tick = requests.location.tick()\n"
                         "    return (requests.batch(tick, nondet('per tick'))\n"
                         "            .map(lambda r: (r[0], r[1] >= 500)).into_keyed()\n"
                         "            .fold(lambda: (0, 0), lambda c, f: (c[0] + 1, c[1] + f))\n"
                         "            .map(lambda c: c[1] / c[0]))\n")
    assert per_tick.wrong[0].startswith("error_rates returned a KeyedSingleton inside a tick: "
                                        "the rates of each tick's batch")
    stream = check(ex, "def error_rates(requests):\n"
                       "    return requests.map(lambda r: (r[0], r[1] >= 500))\n")
    assert stream.wrong[0].startswith("error_rates returned a Stream at the process server; it "
                                      "should return a KeyedSingleton: one error rate per "
                                      "endpoint")
    by_status = check(ex, ex.solution.replace("(r[0], r[1] >= 500)", "(r[1], r[1] >= 500)"))
    assert by_status.wrong[0] == ("/ has no rate: / had 1,505 requests of which 24 failed (status "
                                  "500 or more), an error rate of 0.016.")
    assert by_status.wrong[5].startswith("keys that are not endpoints: 200, 404, 500, 503; key "
                                         "the rates by the endpoint")


def test_4_1_bad_inputs():
    ex = get("4.1")
    syntax = check(ex, ex.solution.replace("def error_rates(", "def error_rates(("))
    assert syntax.wrong[0].startswith("line 1: Python cannot read it")
    refused = check(ex, "def error_rates(requests):\n"
                        "    tick = requests.location.tick()\n"
                        "    return requests.batch(tick).map(lambda r: (r[0], 1.0)).into_keyed()"
                        ".fold(lambda: 0, lambda n, x: x)\n")
    assert refused.wrong[0].startswith("Hydro refused the program: batch")
    silent = check(ex, ex.solution.replace("requests.map(", "requests.filter(lambda r: False)"
                                                            ".map("))
    assert silent.wrong == ["the flow produced no output within its run on the checker's log: "
                            "it took all 3,000 requests and no endpoint had a rate."]
    raises = check(ex, ex.solution.replace("c[1] / c[0]", "c[1] / (c[0] - c[0])"))
    assert raises.wrong[0].splitlines()[:2] == [
        "the flow failed on the checker's log of 3,000 requests: map(lambda) raised "
        "ZeroDivisionError: division by zero", "  at your cell, line 7"]
    assert "Traceback" not in str(raises)
    missing = check(ex, "def rates(requests):\n    return None\n")
    assert missing.wrong == ["the code does not define `error_rates`: keep the starter's names "
                             "(the checker calls them)."]


def test_top_three_ranks_numbers_largest_first():
    assert top_three({"a": 0.1, "b": 0.5, "c": "x", "d": 0.3, "e": 0.2}) == [
        ("b", 0.5), ("d", 0.3), ("e", 0.2)]


# -- the live source on a cluster, as the chapter runs it ----------------------------------------

def test_the_chapters_flow_counts_every_request_its_servers_read():
    """Two servers read 5,000 requests each from their own seeded log; the collector's totals
    per endpoint are the logs' own counts (the source ended: its stream closed)."""
    flow = FlowBuilder("chapter 4")
    collector, servers = flow.process("collector"), flow.cluster("servers")
    log = servers.source_stream(lambda: web_log(5000, seed=self_id().get_raw_id()))
    per_tick = (log.batch(servers.tick(), nondet("per tick"))
                .map(lambda r: (r[0], (1, int(r[1] >= 500)))).into_keyed()
                .reduce(lambda a, b: (a[0] + b[0], a[1] + b[1])))
    totals = (per_tick.entries().all_ticks().send(collector).values().into_keyed()
              .reduce(lambda a, b: (a[0] + b[0], a[1] + b[1]), commutative="sums"))
    w = totals.watch(name="totals", nondet=nondet("read at the end"))
    with flow.deploy("local", cluster_sizes={servers: 2}) as d:
        d.run(seconds=1.5)
    counts0, errors0, _ = expected_rates(list(web_log(5000, seed=0)))
    counts1, errors1, _ = expected_rates(list(web_log(5000, seed=1)))
    assert w.latest == {e: (counts0[e] + counts1[e], errors0[e] + errors1[e])
                        for e in ENDPOINTS}


def test_a_source_that_raises_stops_the_deployment_at_its_line():
    def flaky_log():
        yield from web_log(1000, seed=7)
        raise ConnectionError("the log server went away")

    flow = FlowBuilder("flaky")
    server = flow.process("server")
    taken = server.source_stream(flaky_log).count().watch(name="n", nondet=nondet("shown"))
    d = flow.deploy("local")
    with pytest.raises(HydroRuntimeError) as caught:
        d.run(seconds=2)
    said = str(caught.value).splitlines()
    assert said[0] == "source_stream(flaky_log) raised ConnectionError: the log server went away"
    assert said[1].endswith('test_chapter4.py, line '
                            f'{flaky_log.__code__.co_firstlineno + 2}: raise ConnectionError('
                            '"the log server went away")')
    assert d.state == "failed" and taken.latest == 1000
