"""Per-tick metrics of every location instance, in bounded memory, as a pandas DataFrame.

A record is ``(location, member, tick, time, metric, key, value)``: the tick's duration, elements
out of (and into) each operator, handoff sizes, state sizes, and messages and bytes per channel.
Recording appends tuples to a ring buffer per instance; pandas is imported only to build a frame.
Subscribers get every chunk of rows as it is recorded (on the recording thread: they must be cheap).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

COLUMNS = ["location", "member", "tick", "time", "metric", "key", "value"]

Record = tuple[str, Any, int, float, str, str, float]


class MetricsRecorder:
    """Keeps the last ``max_records`` records of each instance."""

    def __init__(self, max_records: int = 200_000):
        self.max_records = max_records
        self._rows: dict[str, deque[Record]] = {}
        self._lock = threading.Lock()
        self.subscribers: list = []

    def extend(self, instance: str, rows: Iterable[Record]) -> None:
        rows = list(rows)
        with self._lock:
            buf = self._rows.get(instance)
            if buf is None:
                buf = self._rows[instance] = deque(maxlen=self.max_records)
            buf.extend(rows)
            subscribers = list(self.subscribers)  # the rows are either kept or passed on
        for callback in subscribers:
            callback(instance, rows)

    def subscribe(self, callback, *, past: bool = False) -> list[tuple[str, list[Record]]]:
        """Call ``callback(instance, rows)`` with every chunk recorded from now on. With
        ``past=True`` also return the rows kept so far, ``[(instance, rows)]``, taken at the same
        moment: no row is both returned and passed to the callback, none is missed."""
        with self._lock:
            self.subscribers.append(callback)
            return [(name, list(buf)) for name, buf in self._rows.items()] if past else []

    def unsubscribe(self, callback) -> None:
        with self._lock:
            if callback in self.subscribers:
                self.subscribers.remove(callback)

    def rows(self) -> list[Record]:
        with self._lock:
            return [r for buf in self._rows.values() for r in buf]

    def frame(self, wide: bool = False):
        import pandas as pd

        df = pd.DataFrame(self.rows(), columns=COLUMNS)
        if not wide or df.empty:
            return df
        df["column"] = df["metric"] + df["key"].map(lambda k: f"[{k}]" if k else "")
        index = ["location", "member", "tick"]
        wide_df = (df.groupby(index + ["column"], dropna=False)["value"].sum()
                     .unstack("column"))
        wide_df.insert(0, "time", df.groupby(index, dropna=False)["time"].min())
        wide_df = wide_df.reset_index()
        wide_df.columns.name = None
        return wide_df
