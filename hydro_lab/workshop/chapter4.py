"""Chapter 4 of the workshop (``notebooks/workshop/04_live_metrics.ipynb``): live metrics from a
Python source, per key and per tick on a cluster, watched live.

4.1 asks for each endpoint's error rate, over every request so far, as a KeyedSingleton
``endpoint -> rate`` (``errors / requests``, an error being a status of 500 or more): watched
with ``keys=3`` it is the top three endpoints by error rate, live. The checker runs the
student's flow in a local deployment on the chapter's seeded web-server log (``weblog.web_log``,
3,000 requests) through ``source_stream``, as the notebook does, watches the rates with
``keys=3``, reads the ones it ends with once the whole log is in, and names each endpoint
whose rate is wrong with the requests and errors the log held for it, and the top three it
should have been.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from hydro_lab import FlowBuilder, KeyedSingleton, nondet
from hydro_lab.errors import HydroRuntimeError
from hydro_lab.lang.locations import Tick
from hydro_lab.workshop.checking import describe, your_cell
from hydro_lab.workshop.exercise import Exercise, Verdict
from hydro_lab.workshop.weblog import ENDPOINTS, web_log

# what the checker feeds the student's flow: the chapter's log, seeded
REQUESTS, SEED = 3000, 4
WAIT_S = 10.0  # for the log to be taken in
TOLERANCE = 1e-9


def expected_rates(log: list[tuple[str, int, float]]) -> tuple[Counter, Counter, dict[str, float]]:
    """``(requests, errors, rate)`` per endpoint of ``log``: an error is a status >= 500."""
    requests: Counter = Counter(endpoint for endpoint, _status, _ms in log)
    errors: Counter = Counter(endpoint for endpoint, status, _ms in log if status >= 500)
    return requests, errors, {e: errors[e] / requests[e] for e in requests}


def top_three(rates: dict[Any, Any]) -> list[tuple[Any, Any]]:
    """The three largest numeric rates, largest first (ties: the endpoint named first)."""
    numeric = [(k, v) for k, v in rates.items()
               if isinstance(v, int | float) and not isinstance(v, bool)]
    return sorted(numeric, key=lambda kv: -kv[1])[:3]


def _rate(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else repr(value)


def _check_rates(ns: dict[str, Any]) -> Verdict:
    flow = FlowBuilder("exercise 4.1")
    server = flow.process("server")
    log = list(web_log(REQUESTS, seed=SEED))
    requests = server.source_stream(log)
    rates = ns["error_rates"](requests)
    if isinstance(rates, KeyedSingleton) and isinstance(rates.location, Tick):
        return Verdict.fail(
            "error_rates returned a KeyedSingleton inside a tick: the rates of each tick's "
            "batch, which change with how the requests were batched. The exercise asks for each "
            "endpoint's rate over all its requests so far: fold the stream at the top level "
            "(no `batch`).")
    if not isinstance(rates, KeyedSingleton):
        return Verdict.fail(
            f"error_rates returned {describe(rates)}; it should return a KeyedSingleton: one "
            "error rate per endpoint (`endpoint -> errors / requests`), as a keyed `fold` of the "
            "requests followed by a `map` gives.")
    if rates.location is not server:
        return Verdict.fail(f"error_rates returned {describe(rates)}; the rates should be where "
                            "the requests are (the process server): no `send` is needed.")
    why = nondet("the checker reads the rates once the whole log is in")
    taken = requests.count().watch(name="requests taken", nondet=why)
    shown = rates.watch(name="error rate", keys=3, nondet=why)
    deployment = flow.deploy("local")
    failed: HydroRuntimeError | None = None
    try:
        deadline = time.monotonic() + WAIT_S
        while taken.latest != REQUESTS and time.monotonic() < deadline:
            deployment.run(seconds=0.02)
        deployment.run(ticks=1)  # the rates of the tick that took the last request are in
    except HydroRuntimeError as err:
        failed = err
    try:
        deployment.stop()
    except HydroRuntimeError:  # stopping a failed deployment says its error again
        pass
    if failed is not None:
        return Verdict.fail(f"the flow failed on the checker's log of {REQUESTS:,} requests: "
                            f"{your_cell(str(failed))}")
    got = shown.latest if isinstance(shown.latest, dict) else {}
    if taken.latest != REQUESTS:
        return Verdict.fail(f"the flow produced no output within {WAIT_S:g} s: it took "
                            f"{taken.latest or 0:,} of the checker's {REQUESTS:,} requests.")
    if not got:
        return Verdict.fail(f"the flow produced no output within its run on the checker's log: "
                            f"it took all {REQUESTS:,} requests and no endpoint had a rate.")
    counts, errors, want = expected_rates(log)
    wrong = []
    for endpoint in ENDPOINTS:
        why = (f"{endpoint} had {counts[endpoint]:,} requests of which {errors[endpoint]:,} "
               f"failed (status 500 or more), an error rate of {want[endpoint]:.3f}")
        if endpoint not in got:
            wrong.append(f"{endpoint} has no rate: {why}.")
            continue
        value = got[endpoint]
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                abs(value - want[endpoint]) > TOLERANCE:
            count = isinstance(value, int) and not isinstance(value, bool)
            wrong.append(f"{endpoint}: your flow says {_rate(value)}"
                         f"{' (a count, not a rate)' if count else ''}, but {why}.")
    extra = sorted(set(got) - set(ENDPOINTS), key=repr)
    if extra:
        wrong.append(f"keys that are not endpoints: {', '.join(map(repr, extra))}; key the "
                     "rates by the endpoint (the first field of a request).")
    shown_top = ", ".join(f"{e} {_rate(v)}" for e, v in top_three(got)) or "none"
    want_top = ", ".join(f"{e} {v:.3f}" for e, v in top_three(want))
    if wrong:
        return Verdict.fail(
            *wrong,
            f"so your flow's top three endpoints by error rate are {shown_top}; they should be "
            f"{want_top}.",
            right=[f"the flow took the checker's log of {REQUESTS:,} requests (seed {SEED}) and "
                   "answered a KeyedSingleton keyed by endpoint"])
    return Verdict.ok(f"every endpoint's error rate is right on the checker's log of "
                      f"{REQUESTS:,} requests (seed {SEED})",
                      f"the top three endpoints by error rate: {want_top}")


RATES_EXERCISE = Exercise(
    id="4.1",
    title="the top three endpoints by error rate, live",
    task=("Write `error_rates(requests)`: `requests` is the log's `Stream` of `(endpoint, "
          "status, latency_ms)`. Return a `KeyedSingleton` from each endpoint to its **error "
          "rate** over all its requests so far: the share of its requests whose status is 500 "
          "or more (a 404 is the client's mistake, not an error of the server). Watched with "
          "`.watch(keys=3, ...)` it shows the top three endpoints by error rate, live. The "
          "checker runs your flow on a seeded log of "
          f"{REQUESTS:,} requests in a local deployment and compares every endpoint's rate."),
    starter=("def error_rates(requests):\n"
             "    # requests: a Stream of (endpoint, status, latency_ms)\n"
             "    failed = requests.filter(lambda r: r[1] != 200)\n"
             "    return (failed.map(lambda r: (r[0], 1))\n"
             "                  .into_keyed()\n"
             "                  .fold(lambda: 0, lambda n, _: n + 1))\n"),
    solution=("def error_rates(requests):\n"
              "    # requests: a Stream of (endpoint, status, latency_ms)\n"
              "    counts = (requests.map(lambda r: (r[0], r[1] >= 500))\n"
              "                      .into_keyed()\n"
              "                      .fold(lambda: (0, 0),\n"
              "                            lambda c, failed: (c[0] + 1, c[1] + failed)))\n"
              "    return counts.map(lambda c: c[1] / c[0])\n"),
    hints=("Read the verdict: is each number a rate (between 0 and 1) or a count? And which "
           "statuses does the starter call a failure?",
           "A rate needs two counts per endpoint: its requests and its errors. Fold both at "
           "once, into a pair `(requests, errors)`, keyed by endpoint: `.map(lambda r: (r[0], "
           "r[1] >= 500)).into_keyed().fold(lambda: (0, 0), ...)`. Do not filter first: the "
           "requests that succeeded count too.",
           "Then `.map(lambda c: c[1] / c[0])` on the KeyedSingleton turns each endpoint's "
           "`(requests, errors)` into its rate. An error is `status >= 500`: a 404 is not."),
    checker=_check_rates,
    defines=("error_rates",),
)

EXERCISES: tuple[Exercise, ...] = (RATES_EXERCISE,)
