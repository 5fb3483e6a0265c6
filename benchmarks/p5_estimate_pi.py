"""P5: estimate pi with a leader and 2 workers on Ray, for a fixed wall time: samples per second
at the leader, hydro_lab against hand-written Ray actor programs doing the same work.

Two forms, each with its own hand-written baseline:

* **per sample** (the seed, ``hydro_lab/examples/estimate_pi.py``): each worker tick draws 1024
  points one at a time and folds them into ``(inside, total)``; the per-tick counts go to the
  leader, which sums them. ``ray_seed``: 2 worker actors loop over batches of 1024 with the same
  per-sample expressions, sending each batch's counts to a leader actor
  (``leader.add.remote(...)``, fire and forget).
* **vectorized** (numpy): a worker tick (``spin_batch(1)``) draws ``NUMPY_BATCH`` points as a numpy
  array and returns the batch's ``(inside, total)``; the rest as in the seed. ``ray_numpy``: the
  worker actors call the same draw function in a loop and report each batch the same way.

``ray_seed_coarse`` and ``ray_numpy_coarse`` (no goal, for reference) are the same programs
reporting at most every ``COARSE_REPORT_S`` seconds: how fast the hand-written programs get once
they stop paying a Ray call per batch (a ``.remote()`` from a busy actor costs about a millisecond
here, see docs/ray.md).

Samples per second are read at the leader: hydro_lab samples the running total every 0.1 s
(``sample_every``) stamped with the leader's clock, the Ray leader actor answers
``(clock, total)``; the rate is the growth of the total over the window after a warm-up.
"""

from __future__ import annotations

import random
import time
import timeit
from typing import Any

from benchmarks.ray_harness import (
    PER_SECOND,
    SECONDS,
    Measured,
    RecordValue,
    Target,
    kill_actors,
    measure_values,
    ray_session,
    report_values,
)
from hydro_lab import FlowBuilder, nondet
from hydro_lab.examples.estimate_pi import estimate_pi

NAME = "p5"
WORKERS = 2
SEED_BATCH = 1024          # points per tick / per report, as in the seed
NUMPY_BATCH = 100_000      # points per numpy draw (one tick / one report)
WINDOW_S = 2.5
QUICK_WINDOW_S = 2.0
WARMUP_S = 0.5
COARSE_REPORT_S = 0.05     # the *_coarse hand-written variants report this seldom
PROBE_EVERY_S = 0.1
GOAL_RATIO = 0.9

_rng = None


def draw_numpy(n: int) -> tuple[int, int]:
    """``n`` random points in the unit square as one numpy array: ``(inside, n)``."""
    global _rng
    import numpy as np

    if _rng is None:
        _rng = np.random.default_rng()
    xy = _rng.random((2, n))
    return int(np.count_nonzero(xy[0] * xy[0] + xy[1] * xy[1] <= 1.0)), n


def estimate_pi_numpy(leader, workers, batch: int = NUMPY_BATCH):
    """The seed with the per-sample map replaced by one numpy draw of ``batch`` points per tick."""
    samples = (workers.tick()
               .spin_batch(1)
               .map(lambda _: draw_numpy(batch))
               .fold(lambda: (0, 0), lambda acc, p: (acc[0] + p[0], acc[1] + p[1]))
               .all_ticks())
    all_samples = samples.send_bincode_interleaved(leader)
    return all_samples.reduce_commutative(lambda a, b: (a[0] + b[0], a[1] + b[1]))


class Probe:
    """A ``dest_sink`` collecting ``(leader clock, (inside, total))`` samples at the driver."""

    def __init__(self) -> None:
        self.samples: list = []

    def append(self, x: Any) -> None:
        self.samples.append(x)


def build_hydro(form: str):
    flow = FlowBuilder(f"p5_{form}")
    leader, workers = flow.process("leader"), flow.cluster("workers")
    total = estimate_pi(leader, workers) if form == "seed" else estimate_pi_numpy(leader, workers)
    probe = Probe()
    (total.sample_every(PROBE_EVERY_S, nondet("benchmark probe: read the total now and then"))
          .map(lambda t: (time.monotonic(), t))
          .dest_sink(probe))
    return flow, workers, probe


def rate_between(samples: list, t0: float, t1: float) -> float:
    """Growth per second of the total between the first and last samples taken in [t0, t1]."""
    inside = [(t, tot) for t, (_in, tot) in samples if t0 <= t <= t1]
    if len(inside) < 2:
        raise RuntimeError(f"only {len(inside)} samples of the leader's total inside the window")
    (ta, a), (tb, b) = inside[0], inside[-1]
    return (b - a) / (tb - ta)


def _hydro(name: str, form: str, window: float, note: str) -> Measured:
    def run(record: RecordValue) -> float:
        flow, workers, probe = build_hydro(form)
        t0 = time.perf_counter()
        d = flow.deploy("ray", cluster_sizes={workers: WORKERS})
        record("deploy_s", time.perf_counter() - t0)
        try:
            start = time.monotonic()
            d.run(seconds=WARMUP_S + window)
            time.sleep(2 * PROBE_EVERY_S)  # the last samples reach the driver
        finally:
            d.stop()
        rate = rate_between(probe.samples, start + WARMUP_S, start + WARMUP_S + window)
        inside, total = probe.samples[-1][1]
        record("pi_error", abs(4 * inside / total - 3.14159265358979))
        return rate

    return Measured(name, run, note)


# -- the hand-written Ray programs ------------------------------------------------------------


class Leader:
    def __init__(self) -> None:
        self.inside = 0
        self.total = 0

    def add(self, inside: int, total: int) -> None:
        self.inside += inside
        self.total += total

    def snapshot(self) -> tuple[float, int, int]:
        return time.monotonic(), self.inside, self.total


class Worker:
    """A hand-written worker: loops for ``seconds``; sends its counts to the leader after every
    batch (``report_every_s=0``: one message per batch, as hydro_lab sends one per tick) or at
    most every ``report_every_s`` seconds."""

    def __init__(self, leader: Any) -> None:
        self.leader = leader

    def per_sample(self, seconds: float, batch: int, report_every_s: float = 0.0) -> int:
        """The seed's per-sample expressions in a loop of ``batch`` points at a time."""
        add = self.leader.add.remote
        now = time.monotonic
        end = now() + seconds
        next_report = 0.0
        inside = total = 0
        while now() < end:
            acc = (0, 0)
            for _ in range(batch):
                p = (random.random(), random.random())
                acc = (acc[0] + (p[0] * p[0] + p[1] * p[1] <= 1.0), acc[1] + 1)
            inside, total = inside + acc[0], total + acc[1]
            if now() >= next_report:
                add(inside, total)
                inside = total = 0
                next_report = now() + report_every_s
        add(inside, total)
        return 0

    def vectorized(self, seconds: float, batch: int, report_every_s: float = 0.0) -> int:
        add = self.leader.add.remote
        now = time.monotonic
        end = now() + seconds
        next_report = 0.0
        inside = total = 0
        while now() < end:
            i, t = draw_numpy(batch)
            inside, total = inside + i, total + t
            if now() >= next_report:
                add(inside, total)
                inside = total = 0
                next_report = now() + report_every_s
        add(inside, total)
        return 0


def _ray_hand(name: str, form: str, window: float, ray: Any, note: str,
              report_every_s: float = 0.0) -> Measured:
    leader_cls = ray.remote(num_cpus=0)(Leader)
    worker_cls = ray.remote(num_cpus=0)(Worker)

    def run(record: RecordValue) -> float:
        leader = leader_cls.remote()
        workers = [worker_cls.remote(leader) for _ in range(WORKERS)]
        try:
            ray.get(leader.snapshot.remote())
            duration = WARMUP_S + window + 0.5
            if form == "seed":
                loops = [w.per_sample.remote(duration, SEED_BATCH, report_every_s)
                         for w in workers]
            else:
                loops = [w.vectorized.remote(duration, NUMPY_BATCH, report_every_s)
                         for w in workers]
            time.sleep(WARMUP_S)
            ta, _ia, a = ray.get(leader.snapshot.remote())
            time.sleep(window)
            tb, inside, b = ray.get(leader.snapshot.remote())
            ray.get(loops)
        finally:
            kill_actors(ray, [leader, *workers])
        record("pi_error", abs(4 * inside / b - 3.14159265358979))
        return (b - a) / (tb - ta)

    return Measured(name, run, note)


def in_process_costs() -> tuple[float, float]:
    """ns per sample, in this process, of the seed's per-sample expressions (a tuple per point)
    and of the plain loop one would write by hand (locals, ``if ...: inside += 1``)."""
    def seed_form(n: int) -> tuple[int, int]:
        acc = (0, 0)
        for _ in range(n):
            p = (random.random(), random.random())
            acc = (acc[0] + (p[0] * p[0] + p[1] * p[1] <= 1.0), acc[1] + 1)
        return acc

    def plain(n: int) -> tuple[int, int]:
        rnd, inside = random.random, 0
        for _ in range(n):
            x, y = rnd(), rnd()
            if x * x + y * y <= 1.0:
                inside += 1
        return inside, n

    out = []
    for fn in (seed_form, plain):
        best = min(timeit.repeat(lambda fn=fn: fn(SEED_BATCH), number=50, repeat=3))
        out.append(best / 50 / SEED_BATCH * 1e9)
    return out[0], out[1]


def numpy_draw_cost() -> float:
    """Seconds per ``draw_numpy(NUMPY_BATCH)`` in this process (the compute in one numpy tick)."""
    draw_numpy(10)
    return min(timeit.repeat(lambda: draw_numpy(NUMPY_BATCH), number=20, repeat=3)) / 20


def run(quick: bool, runs: int, show_source: bool = False) -> dict[str, Any]:
    window = QUICK_WINDOW_S if quick else WINDOW_S
    ray, skip = ray_session()
    try:
        import numpy  # noqa: F401  (only the vectorized form needs it)
        no_numpy = None
    except Exception as err:
        no_numpy = f"numpy not importable ({type(err).__name__}: {err})"
    if show_source:
        for form in ("seed", "numpy"):
            print(build_hydro(form)[0].compile().source("workers"))
    seed_note = f"the seed example, spin_batch({SEED_BATCH}) per tick"
    numpy_note = f"spin_batch(1) -> map(numpy draw of {NUMPY_BATCH:,} points) per tick"
    if ray is None:
        contenders = [Measured(n, None, skip=skip) for n in
                      ("ray_seed", "hydro_lab_seed", "ray_seed_coarse", "ray_numpy",
                       "hydro_lab_numpy", "ray_numpy_coarse")]
    else:
        contenders = [
            _ray_hand("ray_seed", "seed", window, ray,
                      f"2 Ray worker actors, the seed's expressions, a leader.add.remote() per "
                      f"{SEED_BATCH} points"),
            _hydro("hydro_lab_seed", "seed", window, seed_note),
            _ray_hand("ray_seed_coarse", "seed", window, ray,
                      f"as ray_seed, but one report per {COARSE_REPORT_S:g} s",
                      COARSE_REPORT_S),
        ]
        if no_numpy is None:
            contenders += [
                _ray_hand("ray_numpy", "numpy", window, ray,
                          f"2 Ray worker actors, the same numpy draw, a leader.add.remote() per "
                          f"{NUMPY_BATCH:,} points"),
                _hydro("hydro_lab_numpy", "numpy", window, numpy_note),
                _ray_hand("ray_numpy_coarse", "numpy", window, ray,
                          f"as ray_numpy, but one report per {COARSE_REPORT_S:g} s",
                          COARSE_REPORT_S),
            ]
        else:
            contenders += [Measured(n, None, skip=no_numpy)
                           for n in ("ray_numpy", "hydro_lab_numpy", "ray_numpy_coarse")]
    series = measure_values(contenders, runs, warmup=0)
    seed_ns, plain_ns = in_process_costs()
    lines = [f"each run: {WARMUP_S:g} s warm-up, then the {window:g} s window; a fresh deployment "
             "or fresh actors per run",
             f"in this process, per sample: the seed's expressions {seed_ns:.0f} ns, a plain "
             f"hand loop {plain_ns:.0f} ns (how much the seed's tuple-per-point form itself "
             "costs, whoever runs it)"]
    if no_numpy is None:
        draw_s = numpy_draw_cost()
        lines.append(f"in this process, one numpy draw of {NUMPY_BATCH:,} points takes "
                     f"{draw_s * 1e3:.2f} ms ({NUMPY_BATCH / draw_s / 1e6:.0f} M samples/s on "
                     "one core, no messages)")
    by_name = {s.name: s for s in series}
    for a, b in (("hydro_lab_seed", "ray_seed_coarse"), ("hydro_lab_numpy", "ray_numpy_coarse"),
                 ("hydro_lab_numpy", "hydro_lab_seed"), ("ray_numpy", "ray_seed")):
        if by_name[a].median and by_name[b].median:
            lines.append(f"{a} / {b} = {by_name[a].median / by_name[b].median:.1f}")
    title = (f"estimate pi, a leader and {WORKERS} workers on Ray: samples per second at the "
             "leader")
    record = report_values(
        NAME, title, series, "ray_seed", PER_SECOND, runs,
        [Target("hydro_lab_seed", ">=", GOAL_RATIO, against="ray_seed", label="per sample"),
         Target("hydro_lab_numpy", ">=", GOAL_RATIO, against="ray_numpy", label="numpy")],
        lines, extra_units={"deploy_s": SECONDS}, warmup=0)
    record.update(window_s=window, warmup_s=WARMUP_S, workers=WORKERS, seed_batch=SEED_BATCH,
                  numpy_batch=NUMPY_BATCH, seed_ns_per_sample=seed_ns,
                  plain_ns_per_sample=plain_ns)
    return record
