"""A latency histogram with three significant digits (what Hydro's bench client keeps in an
``hdrhistogram::Histogram<u64>`` of nanoseconds): small, mergeable and picklable, so members can
send theirs to an aggregator."""

from __future__ import annotations

import math
from collections.abc import Iterator

_SUB_BUCKET_BITS = 11  # 2048 sub-buckets: three significant decimal digits, as Histogram::new(3)


def _lowest_equivalent(value: int) -> int:
    shift = max(value.bit_length() - _SUB_BUCKET_BITS, 0)
    return (value >> shift) << shift


def _highest_equivalent(lowest: int) -> int:
    shift = max(lowest.bit_length() - _SUB_BUCKET_BITS, 0)
    return lowest + (1 << shift) - 1


class Histogram:
    """Counts of non-negative integer values (nanoseconds, in the bench client), each kept to
    three significant digits. Hydro's ``Histogram<u64>``: ``record``, ``add``,
    ``value_at_quantile``, ``len``; plus ``min``, ``max`` and ``mean``.

    Examples
    --------
    >>> from hydro_lab.std import Histogram
    >>> h = Histogram()
    >>> for ns in (1_000, 2_000, 3_000, 1_000_000):
    ...     h.record(ns)
    >>> len(h), h.value_at_quantile(0.5), h.max() >= 1_000_000
    (4, 2000, True)
    """

    __slots__ = ("counts", "total", "value_sum")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0
        self.value_sum = 0

    def record(self, value: int, count: int = 1) -> None:
        """Count ``value`` (an int ≥ 0; a float is truncated) ``count`` times."""
        value = int(value)
        if value < 0:
            raise ValueError(f"Histogram.record: values are non-negative, got {value}")
        key = _lowest_equivalent(value)
        self.counts[key] = self.counts.get(key, 0) + count
        self.total += count
        self.value_sum += value * count

    def add(self, other: Histogram) -> None:
        """Merge ``other``'s counts into this histogram (Hydro's ``add``)."""
        for key, count in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + count
        self.total += other.total
        self.value_sum += other.value_sum

    def copy(self) -> Histogram:
        """An independent copy."""
        new = Histogram()
        new.counts = dict(self.counts)
        new.total, new.value_sum = self.total, self.value_sum
        return new

    def len(self) -> int:
        """How many values were recorded (Hydro's ``len()``; ``len(h)`` too)."""
        return self.total

    def __len__(self) -> int:
        return self.total

    def _buckets(self) -> Iterator[tuple[int, int]]:
        return iter(sorted(self.counts.items()))

    def value_at_quantile(self, quantile: float) -> int:
        """The value at ``quantile`` (0..1): the highest value equivalent to the recorded value
        that ``quantile`` of all values are at or below, as HdrHistogram answers; 0 when empty."""
        if self.total == 0:
            return 0
        q = min(max(float(quantile), 0.0), 1.0)
        wanted = max(1, math.ceil(q * self.total))
        seen = 0
        for key, count in self._buckets():
            seen += count
            if seen >= wanted:
                return _highest_equivalent(key)
        return _highest_equivalent(max(self.counts))

    def min(self) -> int:
        """The smallest recorded value (to three significant digits); 0 when empty."""
        return min(self.counts) if self.counts else 0

    def max(self) -> int:
        """The largest recorded value (to three significant digits); 0 when empty."""
        return _highest_equivalent(max(self.counts)) if self.counts else 0

    def mean(self) -> float:
        """The exact mean of the recorded values; 0.0 when empty."""
        return self.value_sum / self.total if self.total else 0.0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Histogram) and other.counts == self.counts

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if not self.total:
            return "Histogram(empty)"
        return (f"Histogram(n={self.total}, p50={self.value_at_quantile(0.5)}, "
                f"p99={self.value_at_quantile(0.99)}, max={self.max()})"
                )
