"""Mean, standard deviation and a 99% confidence interval of samples (Hydro's
``hydro_std::bench_client::rolling_average``): how the bench report summarizes throughput."""

from __future__ import annotations

import math


class RollingAverage:
    """Hydro's ``RollingAverage``: samples with their running sum and sum of squares.

    Examples
    --------
    >>> from hydro_lab.std import RollingAverage
    >>> r = RollingAverage()
    >>> for x in (10.0, 12.0, 14.0):
    ...     r.add_sample(x)
    >>> r.sample_count(), r.sample_mean(), r.sample_variance()
    (3, 12.0, 4.0)
    >>> r.confidence_interval_99() is not None
    True
    """

    __slots__ = ("samples", "sum", "sum_squares", "count")

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.sum = 0.0
        self.sum_squares = 0.0
        self.count = 0

    def add_sample(self, value: float) -> None:
        """Record one sample."""
        value = float(value)
        self.samples.append(value)
        self.sum += value
        self.sum_squares += value * value
        self.count += 1

    def sample_count(self) -> int:
        """How many samples were recorded."""
        return self.count

    def sample_mean(self) -> float:
        """Their mean (0.0 without samples)."""
        return 0.0 if self.count == 0 else self.sum / self.count

    def sample_variance(self) -> float:
        """Their sample variance (0.0 with fewer than two samples)."""
        if self.count <= 1:
            return 0.0
        mean = self.sample_mean()
        return (self.sum_squares - self.count * mean * mean) / (self.count - 1)

    def sample_std_dev(self) -> float:
        """Their sample standard deviation."""
        return math.sqrt(max(self.sample_variance(), 0.0))

    def confidence_interval_99(self) -> tuple[float, float] | None:
        """``(lower, upper)``: the mean ± 2.576 standard errors (Hydro's large-n approximation
        of a 99% interval); None with fewer than two samples."""
        if self.count < 2:
            return None
        mean = self.sample_mean()
        margin = 2.576 * self.sample_std_dev() / math.sqrt(self.count)
        return (mean - margin, mean + margin)

    def add(self, other: RollingAverage) -> None:
        """Add every sample of ``other`` to this one (Hydro's ``add``)."""
        for sample in other.samples:
            self.add_sample(sample)

    def __repr__(self) -> str:
        return f"RollingAverage(n={self.count}, mean={self.sample_mean():.4g})"
