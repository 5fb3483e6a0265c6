"""Chapter 4's live source: a synthetic web-server log, seeded so that every run (and every
check) sees the same requests.

``web_log(requests=None, seed=0)`` yields ``(endpoint, status, latency_ms)`` tuples, endlessly
when ``requests`` is ``None``. Half the traffic goes to ``/``, a tenth to ``/login``, which fails
a quarter of the time; ``/search`` answers 404 to one request in ten (a client's mistake, not a
server error). The chapter's notebook shows the same function; ``benchmarks/p10_live_metrics.py``
pumps it as fast as a flow takes it.
"""

from __future__ import annotations

import bisect
import itertools
import random

ENDPOINTS = ("/", "/search", "/cart", "/login", "/checkout")
SHARE = (0.50, 0.25, 0.10, 0.10, 0.05)      # of the requests
FAILS = (0.02, 0.05, 0.08, 0.25, 0.12)      # status 500 or 503: the server failed
NOT_FOUND = (0.0, 0.10, 0.0, 0.0, 0.0)      # status 404: the client asked for nothing there
LATENCY_MS = (8.0, 40.0, 25.0, 60.0, 120.0)  # mean latency (exponential)


def web_log(requests=None, seed=0):
    """A synthetic web-server log: ``(endpoint, status, latency_ms)`` per request, ``requests``
    of them (endlessly when ``None``), the same ones for the same ``seed``."""
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(SHARE))
    draw, pick = rng.random, bisect.bisect
    n = 0
    while requests is None or n < requests:
        i = min(pick(cumulative, draw()), len(ENDPOINTS) - 1)
        roll = draw()
        if roll < FAILS[i]:
            status = 503 if roll < FAILS[i] / 4 else 500
        elif roll < FAILS[i] + NOT_FOUND[i]:
            status = 404
        else:
            status = 200
        yield ENDPOINTS[i], status, round(rng.expovariate(1 / LATENCY_MS[i]), 1)
        n += 1
