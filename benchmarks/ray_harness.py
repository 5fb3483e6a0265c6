"""What the Ray benchmarks (P3..P6) share: one Ray session for the whole run, and a measuring loop
for benchmarks whose result is a measured value (messages per second, a latency, a start-up time)
rather than the duration of one call.

A ``Measured`` contender's ``run(record)`` does one whole run (it deploys, runs, tears down) and
returns the value; ``record(name, value)`` keeps side values (a p99, a deploy time). Contenders
run interleaved (A, B, C, A, B, C, ...) as in ``harness.measure``. The table shows median, min and
max per contender and ``ratio = contender median / baseline median`` with the unit saying whether
higher or lower is better; goals are either absolute (``hydro_lab >= 2M msgs/s``) or a ratio of two
contenders (``hydro_lab / ray_hand >= 0.9``).
"""

from __future__ import annotations

import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.harness import Outcome

RecordValue = Callable[[str, float], None]

_session: dict[str, Any] = {}


def ray_session() -> tuple[Any, str | None]:
    """``(ray, None)`` with Ray started once for the whole benchmark run (the project's
    ``ensure_ray``: its settings and start-up shim), or ``(None, why)`` when Ray is unusable."""
    try:
        import ray

        from hydro_lab.deploy.ray import ensure_ray
    except Exception as err:  # not installed, or broken here
        return None, f"ray not importable ({type(err).__name__}: {err})"
    if not ray.is_initialized():
        t0 = time.perf_counter()
        ensure_ray()
        _session["init_s"] = time.perf_counter() - t0
        print(f"  (Ray started for the Ray benchmarks in {_session['init_s']:.1f} s; "
              "the session is shared by P3..P5 and P10)")
    return ray, None


def stop_ray_session() -> None:
    """Shut this process's Ray session down (P6 measures start-up with no Ray running)."""
    try:
        import ray
    except Exception:
        return
    if ray.is_initialized():
        ray.shutdown()


def kill_actors(ray: Any, actors: list) -> None:
    for a in actors:
        try:
            ray.kill(a, no_restart=True)
        except Exception:
            pass


@dataclass(frozen=True)
class Unit:
    """How values print; ``higher_is_better`` says which way the ratios read."""

    name: str
    fmt: Callable[[float], str]
    higher_is_better: bool


def _rate(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.2f} M/s"
    if v >= 1e3:
        return f"{v / 1e3:.1f} k/s"
    return f"{v:.0f} /s"


def _ms(v: float) -> str:
    return f"{v * 1e3:.3f} ms"


def _s(v: float) -> str:
    return f"{v:.2f} s"


PER_SECOND = Unit("per second", _rate, True)
LATENCY = Unit("seconds (shown in ms)", _ms, False)
SECONDS = Unit("seconds", _s, False)


@dataclass
class Measured:
    name: str
    run: Callable[[RecordValue], float] | None  # None when skipped
    note: str = ""
    skip: str | None = None
    optional: bool = False


@dataclass
class Target:
    """``contender``'s median (or its ratio to ``against``'s median) ``op`` ``limit``."""

    contender: str
    op: str  # ">=" or "<="
    limit: float
    against: str | None = None
    label: str = ""


def measure_values(contenders: list[Measured], runs: int, warmup: int = 1) -> list[Outcome]:
    series = {c.name: Outcome(c.name, c.note) for c in contenders}
    for c in contenders:
        if c.skip is not None:
            series[c.name].status, series[c.name].reason = "skipped", c.skip
    for round_no in range(warmup + runs):
        for c in contenders:
            s = series[c.name]
            if s.status != "ok":
                continue
            keep = round_no >= warmup
            pending: dict[str, float] = {}

            def record(name: str, value: float, pending: dict = pending) -> None:
                pending[name] = value

            try:
                value = c.run(record)
            except Exception as err:
                if not c.optional:
                    raise
                s.status, s.reason = "error", f"{type(err).__name__}: {err}"
                s.values.clear()
                print(f"  [{c.name}] failed, reported as an error:\n"
                      + "".join(traceback.format_exception_only(err)).rstrip())
                continue
            if keep:
                s.values.append(value)
                for k, v in pending.items():
                    s.extras.setdefault(k, []).append(v)
    return [series[c.name] for c in contenders]


def _ratio(r: float | None) -> str:
    if r is None:
        return "n/a"
    return f"{r:.2f}" if r < 100 else f"{r:,.0f}"


def _goal_value(by_name: dict[str, Outcome], t: Target) -> float | None:
    s = by_name[t.contender]
    if s.status != "ok" or s.median is None:
        return None
    if t.against is None:
        return s.median
    a = by_name[t.against]
    if a.status != "ok" or not a.median:
        return None
    return s.median / a.median


def report_values(bench_id: str, title: str, series: list[Outcome], baseline: str, unit: Unit,
                  runs: int, targets: list[Target], extra_lines: list[str],
                  extra_units: dict[str, Unit] | None = None,
                  warmup: int = 1) -> dict[str, Any]:
    """Print the table, the side values and the goal lines; return the JSON-ready record."""
    extra_units = extra_units or {}
    by_name = {s.name: s for s in series}
    base = by_name[baseline]
    better = "higher" if unit.higher_is_better else "lower"
    print()
    print(f"{bench_id.upper()}  {title}")
    warm = "after an untimed warm-up round" if warmup else "(no separate warm-up round)"
    print(f"    median of {runs} interleaved runs {warm}; values in {unit.name}, {better} is "
          "better")
    print(f"    ratio = contender median / {baseline} median; paired = median of the per-round "
          "ratios")
    header = (f"  {'contender':<16} {'median':>11} {'min':>11} {'max':>11} {'ratio':>8} "
              f"{'paired':>8}  notes")
    print(header)
    print("  " + "-" * (len(header) - 2))
    record: dict[str, Any] = {"title": title, "runs": runs, "baseline": baseline,
                              "unit": unit.name, "higher_is_better": unit.higher_is_better,
                              "contenders": {}, "goals": []}
    for s in series:
        entry: dict[str, Any] = {"status": s.status, "note": s.note}
        if s.status == "ok" and s.values:
            ratio = s.median / base.median if base.status == "ok" and base.median else None
            paired = (statistics.median(v / b for v, b in zip(s.values, base.values, strict=True))
                      if base.status == "ok" and len(base.values) == len(s.values) and
                      all(base.values) else None)
            entry.update(values=s.values, median=s.median, min=min(s.values), max=max(s.values),
                         ratio=ratio, paired_ratio=paired,
                         extras={k: v for k, v in s.extras.items()},
                         extras_median={k: statistics.median(v) for k, v in s.extras.items()})
            r, p = _ratio(ratio), _ratio(paired)
            print(f"  {s.name:<16} {unit.fmt(s.median):>11} {unit.fmt(min(s.values)):>11} "
                  f"{unit.fmt(max(s.values)):>11} {r:>8} {p:>8}  {s.note}")
        else:
            entry["reason"] = s.reason
            print(f"  {s.name:<16} {s.status.upper():>11} {'':>11} {'':>11} {'':>8} {'':>8}  "
                  f"{s.reason}")
        record["contenders"][s.name] = entry
    for s in series:
        for k, v in s.extras.items():
            u = extra_units.get(k)
            if u is not None and v:
                print(f"  {s.name} {k}: median {u.fmt(statistics.median(v))} "
                      f"(min {u.fmt(min(v))}, max {u.fmt(max(v))})")
    for line in extra_lines:
        print(f"  {line}")
    for t in targets:
        value = _goal_value(by_name, t)
        met = value is not None and (value >= t.limit if t.op == ">=" else value <= t.limit)
        if t.against is None:
            shown = unit.fmt(value) if value is not None else "n/a"
            what = f"{t.contender} median = {shown} (goal {t.op} {unit.fmt(t.limit)})"
        else:
            shown = f"{value:.2f}" if value is not None else "n/a"
            what = f"{t.contender} / {t.against} = {shown} (goal {t.op} {t.limit:.2f})"
        label = f" [{t.label}]" if t.label else ""
        print(f"  GOAL {bench_id.upper()}{label}: {what}: {'goal met' if met else 'goal missed'}")
        record["goals"].append({"contender": t.contender, "against": t.against, "op": t.op,
                                "limit": t.limit, "value": value, "met": met, "label": t.label})
    return record
