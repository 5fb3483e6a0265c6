"""Word count, map-reduce style: a leader, a cluster of mappers and a reducer process.

The leader deals its lines round-robin to the mappers; each mapper splits them into words and counts
every word within each batch; the per-batch counts go to the reducer, which adds them up per word.
Non-determinism: which mapper gets which line (``round_robin``) and where batches end (``batch``)
change only how the counting is split up, never the totals, because addition is associative and
commutative (the reducer's merge of all mappers' counts arrives NoOrder, so it is declared so).
"""

from __future__ import annotations

from hydro_lab import Cluster, KeyedSingleton, Process, Stream, nondet


def _words(line: str) -> list[str]:
    return line.split()


def _one(word: str) -> tuple[str, int]:
    return (word, 1)


def _zero() -> int:
    return 0


def _count(acc: int, _: int) -> int:
    return acc + 1


def _add(a: int, b: int) -> int:
    return a + b


def word_count(leader: Process, mappers: Cluster, reducer: Process, lines: Stream
               ) -> KeyedSingleton:
    """``lines``: a TotalOrder Stream of text lines at ``leader``. Returns the running counts at
    ``reducer``: an Unbounded KeyedSingleton ``word -> count``."""
    partitioned = lines.round_robin(mappers, nondet("which mapper counts a line does not change "
                                                    "the totals: addition commutes"))
    batch_counts = (
        partitioned.flat_map_ordered(_words)
        .map(_one)
        .into_keyed()
        .batch(mappers.tick(), nondet("addition is associative, so counting per batch and "
                                      "adding the batches gives the same totals"))
        .fold(_zero, _count)
        .entries()
        .all_ticks()
    )
    all_counts = batch_counts.send(reducer).values()
    return all_counts.into_keyed().reduce(_add, commutative="addition commutes")


def _print_count(entry: tuple[str, int]) -> None:
    word, count = entry
    print(f"{word}: {count}")


def print_counts(counts: KeyedSingleton, every: float = 1.0) -> None:
    """Print every word's count so far, once per ``every`` seconds, at the counts' location."""
    reducer = counts.location
    tick = reducer.tick()
    timer = (reducer.source_interval(every, nondet("printing only"))
                    .batch(tick, nondet("printing only"))
                    .first())
    (counts.snapshot(tick, nondet("printing only: a snapshot shows the counts so far"))
           .entries()
           .filter_if_some(timer)
           .all_ticks()
           .assume_ordering(nondet("log lines of different words may come in any order"))
           .for_each(_print_count))
