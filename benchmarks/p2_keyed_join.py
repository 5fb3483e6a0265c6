"""P2: a keyed fold then a join, per-key sums of N ``(key, value)`` pairs over K keys joined with
a K-entry dimension stream ``(key, name)``: hydro_lab's tick against a hand-written dict loop.
"""

from __future__ import annotations

import random
from typing import Any

from benchmarks.harness import Contender, Goal, hydro_contender, measure, report
from hydro_lab import FlowBuilder, nondet

NAME = "p2"
FULL_N = 1_000_000
QUICK_N = 100_000
KEYS = 1000
SEED = 42


def make_inputs(n: int) -> tuple[list[tuple[int, int]], list[tuple[int, str]]]:
    rng = random.Random(SEED)
    pairs = [(rng.randrange(KEYS), rng.randrange(1000)) for _ in range(n)]
    dims = [(k, f"name-{k}") for k in range(KEYS)]
    return pairs, dims


def dict_loop(pairs: list, dims: list) -> list:
    """By hand: per-key sums in a dict, then a dict lookup join with the dimension table."""
    sums: dict = {}
    for k, v in pairs:
        sums[k] = sums.get(k, 0) + v
    names = dict(dims)
    return [(k, (s, names[k])) for k, s in sums.items() if k in names]


def build_hydro(pairs: list, dims: list, out: list) -> FlowBuilder:
    flow = FlowBuilder("p2_keyed_join")
    p = flow.process("p")
    sums = p.source_iter(pairs).into_keyed().fold(lambda: 0, lambda a, v: a + v)
    joined = sums.entries().join(p.source_iter(dims))
    # the join's output is NoOrder; the benchmark compares it as a multiset (sorted)
    joined.assume_ordering(nondet("compared as a multiset")).dest_sink(out)
    return flow


def run(quick: bool, runs: int, show_source: bool = False) -> dict[str, Any]:
    n = QUICK_N if quick else FULL_N
    pairs, dims = make_inputs(n)  # built once, outside every timed region
    hydro, setup = hydro_contender(
        lambda out: build_hydro(pairs, dims, out), runs, sorted,
        "into_keyed().fold() -> entries().join(dims) -> dest_sink; timed: d.step(1)")
    if show_source:
        print(setup.compiled.source("p"))
    contenders = [
        Contender("dict_loop", lambda record: lambda: dict_loop(pairs, dims), sorted,
                  "dict.get sums, then dict(dims) lookup join, in a function"),
        hydro,
    ]
    outcomes, answer = measure(contenders, "dict_loop", runs)
    hydro_outcome = next(o for o in outcomes if o.name == "hydro_lab")
    title = (f"keyed fold (sum) over {n:,} (key, value) pairs, {KEYS} keys, "
             f"joined with {KEYS} (key, name)")
    answer_text = f"{len(answer)} joined rows, first {answer[0]!r}" if answer else repr(answer)
    record = report(NAME, title, outcomes, "dict_loop", runs, [Goal("hydro_lab", 0.50)],
                    answer_text, [setup.summary(hydro_outcome)])
    record.update(n=n, keys=KEYS, rows=len(answer), hydro_lab_setup=setup.as_json())
    return record
