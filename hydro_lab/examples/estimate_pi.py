"""The seed example: estimate pi with a cluster of workers and a leader.

Each worker runs a self-driving tick loop that throws ``batch_size`` random darts per tick and
folds them into (inside, total). Those per-tick counts are sent to the leader, where they arrive
as a NoOrder merge of all workers, so the leader's reduce must be declared commutative.
"""

from __future__ import annotations

import random

from hydro_lab import Cluster, Process, nondet


def estimate_pi(leader: Process, workers: Cluster, batch_size: int = 1024):
    """The running (inside, total) counts at the leader: an Unbounded Optional."""
    samples = (
        workers.tick()
        .spin_batch(batch_size)
        .map(lambda _: (random.random(), random.random()))
        .fold(lambda: (0, 0),
              lambda acc, p: (acc[0] + (p[0] * p[0] + p[1] * p[1] <= 1.0), acc[1] + 1))
        .all_ticks()
    )
    all_samples = samples.send_bincode_interleaved(leader)  # == samples.send(leader).values()
    return all_samples.reduce_commutative(lambda a, b: (a[0] + b[0], a[1] + b[1]))


def print_estimates(total, every: float = 1.0) -> None:
    """Print the estimate once per ``every`` seconds."""
    (total.sample_every(every, nondet("printing only"))
          .for_each(lambda t: print(f"pi ~ {4 * t[0] / t[1]:.5f} ({t[1]} samples)")))
