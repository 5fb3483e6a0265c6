"""The shared measuring loop: contenders run interleaved (A, B, C, A, B, C, ...), every result is
checked against the baseline's, and the medians come out as a printed table and a JSON record.

A contender's ``prepare(record)`` does the untimed work (a fresh deployment, a fresh dataflow) and
returns the callable that is timed; ``record(metric, seconds)`` keeps side numbers such as deploy
time. Mismatching results raise ``AssertionError``: a benchmark that computes something else
must not report a time.
"""

from __future__ import annotations

import gc
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Record = Callable[[str, float], None]


def _same(x: Any) -> Any:
    return x


@dataclass
class Contender:
    """One implementation of a benchmark's computation."""

    name: str
    prepare: Callable[[Record], Callable[[], Any]] | None  # None when skipped
    normalize: Callable[[Any], Any] = _same  # maps the raw result to the comparable answer
    note: str = ""
    optional: bool = False                   # a third-party engine: its crash is reported
    skip: str | None = None                  # why it cannot run here (e.g. not installed)


@dataclass
class Outcome:
    """One contender's samples (seconds here; any unit in ray_harness) and how it ended."""

    name: str
    note: str
    status: str = "ok"                       # ok | skipped | error
    values: list[float] = field(default_factory=list)
    extras: dict[str, list[float]] = field(default_factory=dict)
    reason: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None


@dataclass
class Goal:
    """``baseline_median / contender_median >= minimum`` (``stretch`` is the hoped-for value)."""

    contender: str
    minimum: float
    stretch: float | None = None


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    # as timeit does: collect first, then keep the collector out of the measured region
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
    finally:
        if was_enabled:
            gc.enable()
    return elapsed, result


def _short(answer: Any, limit: int = 60) -> str:
    text = repr(answer)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def measure(contenders: list[Contender], baseline: str, runs: int,
            warmup: int = 1) -> tuple[list[Outcome], Any]:
    """Run every available contender ``warmup`` untimed rounds then ``runs`` timed ones,
    interleaved, checking every answer against the baseline's; returns the outcomes and the
    (common) answer."""
    outcomes = {c.name: Outcome(c.name, c.note) for c in contenders}
    for c in contenders:
        if c.skip is not None:
            outcomes[c.name].status, outcomes[c.name].reason = "skipped", c.skip
    expected: Any = None
    have_expected = False
    for round_no in range(warmup + runs):
        for c in contenders:
            out = outcomes[c.name]
            if out.status != "ok":
                continue

            def record(metric: str, seconds: float, out: Outcome = out) -> None:
                out.extras.setdefault(metric, []).append(seconds)

            try:
                fn = c.prepare(record)
                elapsed, raw = _timed(fn)
                answer = c.normalize(raw)
            except Exception as err:
                if not c.optional:
                    raise
                out.status = "error"
                out.reason = f"{type(err).__name__}: {err}"
                out.values.clear()
                print(f"  [{c.name}] failed, reported as an error:\n"
                      + "".join(traceback.format_exception_only(err)).rstrip())
                continue
            if c.name == baseline and not have_expected:
                expected, have_expected = answer, True
            assert have_expected, f"the baseline {baseline!r} must run first"
            assert answer == expected, (
                f"{c.name} computed {_short(answer)}, but {baseline} computed "
                f"{_short(expected)}: the contenders do not compute the same thing")
            if round_no >= warmup:
                out.values.append(elapsed)
    return [outcomes[c.name] for c in contenders], expected


def report(bench_id: str, title: str, outcomes: list[Outcome], baseline: str, runs: int,
           goals: list[Goal], answer_text: str, extra_lines: list[str]) -> dict[str, Any]:
    """Print the table and the goal lines; return the JSON-ready record."""
    base_outcome = next(o for o in outcomes if o.name == baseline)
    base = base_outcome.median
    print()
    print(f"{bench_id.upper()}  {title}")
    print(f"    median of {runs} interleaved runs after an untimed warm-up round")
    print(f"    ratio = {baseline} median / contender median (1.00 = as fast as {baseline}, "
          "higher is faster); paired = median of the per-round ratios")
    header = (f"  {'contender':<12} {'median':>10} {'min':>10} {'max':>10} {'ratio':>7} "
              f"{'paired':>7}  notes")
    print(header)
    print("  " + "-" * (len(header) - 2))
    record: dict[str, Any] = {"title": title, "runs": runs, "baseline": baseline,
                              "contenders": {}, "goals": []}
    for o in outcomes:
        entry: dict[str, Any] = {"status": o.status, "note": o.note}
        if o.status == "ok":
            ratio = base / o.median if base and o.median else None
            paired = statistics.median(b / t for b, t in zip(base_outcome.values, o.values,
                                                             strict=True))
            entry.update(times_s=o.values, median_s=o.median, min_s=min(o.values),
                         max_s=max(o.values), ratio=ratio, paired_ratio=paired)
            entry["extras_median_s"] = {k: statistics.median(v) for k, v in o.extras.items()}
            print(f"  {o.name:<12} {fmt_seconds(o.median):>10} {fmt_seconds(min(o.values)):>10} "
                  f"{fmt_seconds(max(o.values)):>10} {ratio:>7.2f} {paired:>7.2f}  {o.note}")
        else:
            entry["reason"] = o.reason
            print(f"  {o.name:<12} {o.status.upper():>10} {'':>10} {'':>10} {'':>7} {'':>7}  "
                  f"{o.reason}")
        record["contenders"][o.name] = entry
    print(f"  results equal across all contenders that ran: {answer_text}")
    for line in extra_lines:
        print(f"  {line}")
    for g in goals:
        o = next(o for o in outcomes if o.name == g.contender)
        ratio = base / o.median if o.status == "ok" and base and o.median else None
        met = ratio is not None and ratio >= g.minimum
        stretch = f", stretch {g.stretch:.2f}" if g.stretch is not None else ""
        shown = f"{ratio:.2f}" if ratio is not None else "n/a"
        print(f"  GOAL {bench_id.upper()}: {baseline} / {g.contender} = {shown} "
              f"(goal >= {g.minimum:.2f}{stretch}): {'goal met' if met else 'goal missed'}")
        record["goals"].append({"contender": g.contender, "ratio": ratio, "minimum": g.minimum,
                                "stretch": g.stretch, "met": met,
                                "stretch_met": (ratio is not None and g.stretch is not None
                                                and ratio >= g.stretch)})
    return record


def fmt_seconds(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.3f} s"
    return f"{seconds * 1000:.1f} ms"


@dataclass
class HydroSetup:
    """A hydro_lab flow built and compiled ``runs`` times outside the timed region (the times
    are reported beside the table), and the last compiled flow, which every run deploys anew."""

    compiled: Any
    build_s: list[float]
    compile_s: list[float]

    def summary(self, outcome: Outcome) -> str:
        deploy = outcome.extras.get("deploy", [])
        return (f"hydro_lab, outside the timed tick: build (FlowBuilder calls) median "
                f"{fmt_seconds(statistics.median(self.build_s))}, compile() median "
                f"{fmt_seconds(statistics.median(self.compile_s))}, deploy median "
                + (fmt_seconds(statistics.median(deploy)) if deploy else "n/a"))

    def as_json(self) -> dict[str, Any]:
        return {"build_s": self.build_s, "compile_s": self.compile_s,
                "build_median_s": statistics.median(self.build_s),
                "compile_median_s": statistics.median(self.compile_s)}


def hydro_contender(build: Callable[[list], Any], runs: int, normalize: Callable[[Any], Any],
                    note: str) -> tuple[Contender, HydroSetup]:
    """``build(out)`` returns a FlowBuilder whose flow ends in ``dest_sink(out)``. Each timed run
    is ``d.step(1)`` on a fresh local deployment: one tick runs the whole bounded input."""
    out: list = []
    build_s, compile_s = [], []
    compiled = None
    for _ in range(runs):
        t0 = time.perf_counter()
        flow = build(out)
        t1 = time.perf_counter()
        compiled = flow.compile()
        t2 = time.perf_counter()
        build_s.append(t1 - t0)
        compile_s.append(t2 - t1)

    def prepare(record: Record) -> Callable[[], Any]:
        t0 = time.perf_counter()
        d = compiled.deploy("local")
        record("deploy", time.perf_counter() - t0)
        out.clear()

        def tick() -> list:
            d.step(1)
            return out

        return tick

    setup = HydroSetup(compiled, build_s, compile_s)
    return Contender("hydro_lab", prepare, normalize, note), setup
