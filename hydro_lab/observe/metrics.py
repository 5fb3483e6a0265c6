"""Per-tick metrics of every location instance, in bounded memory, as a pandas DataFrame.

A record is ``(location, member, tick, time, metric, key, value)``: the tick's duration, elements
out of (and into) each operator, handoff sizes, state sizes, messages and bytes per channel, and
events (a member killed or restarted).
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

# The metric names, defined here once: deployments and the simulator write them (through the row
# builders below), recordings, the dashboard and the notebook read them.
TICK_DURATION = "tick_duration_s"   # key "": seconds the tick took
ELEMENTS_OUT = "elements_out"       # key "<label> #<op id>": elements an operator emitted
ELEMENTS_IN = "elements_in"         # key "<label> #<op id>": elements that reached an operator
HANDOFF_ITEMS = "handoff_items"     # key "h<id>": items in a handoff between subgraphs
STATE_SIZE = "state_size"           # key "<label> #<op id>": items an operator keeps
MESSAGES_OUT = "messages_out"       # key: channel name; messages sent on it this tick
BYTES_OUT = "bytes_out"             # key: channel name; bytes sent on it this tick
MESSAGES_IN = "messages_in"         # key: channel name; messages delivered from it
BYTES_IN = "bytes_in"               # key: channel name; bytes delivered from it
DROPPED = "dropped"                 # key: channel name; messages an injected fault dropped
DELAYED = "delayed"                 # key: channel name; messages an injected fault held back
EVENT = "event"                     # key: what happened (a member killed or restarted); tick -1

METRICS: dict[str, str] = {
    TICK_DURATION: "seconds the tick took",
    ELEMENTS_OUT: "elements an operator emitted in the tick (key: operator)",
    ELEMENTS_IN: "elements that reached an operator in the tick (key: operator)",
    HANDOFF_ITEMS: "items in a handoff between subgraphs (key: handoff)",
    STATE_SIZE: "items an operator keeps across ticks (key: operator)",
    MESSAGES_OUT: "messages sent on a channel (key: channel)",
    BYTES_OUT: "bytes sent on a channel (key: channel)",
    MESSAGES_IN: "messages delivered from a channel (key: channel)",
    BYTES_IN: "bytes delivered from a channel (key: channel)",
    DROPPED: "messages an injected fault dropped (key: channel)",
    DELAYED: "messages an injected fault delayed (key: channel)",
    EVENT: "a member killed or restarted (key: what happened; tick -1, value 1)",
}


def operator_key(op: Any) -> str:
    """The key of an operator's rows: ``"<label> #<id>"``."""
    return f"{op.label} #{op.id}"


def tick_records(location: str, member: int | None, report: Any, graph: Any) -> list[Record]:
    """The rows of one tick of an instance: its duration, elements out of and into each
    operator, handoff sizes and state sizes (``report``: the engine's tick report; ``graph``:
    the DFIR graph it ran)."""
    tick, t = report.tick, report.started
    rows: list[Record] = [(location, member, tick, t, TICK_DURATION, "", report.duration)]
    ops = graph.operators
    ins: dict[int, int] = {}
    for e in graph.edges:
        n = report.op_out.get(e.src)
        if n:
            ins[e.dst] = ins.get(e.dst, 0) + n
    for op_id, n in report.op_out.items():
        if op_id in ops:
            rows.append((location, member, tick, t, ELEMENTS_OUT, operator_key(ops[op_id]), n))
    for op_id, n in ins.items():
        if op_id in ops:
            rows.append((location, member, tick, t, ELEMENTS_IN, operator_key(ops[op_id]), n))
    for h, n in report.handoffs.items():
        rows.append((location, member, tick, t, HANDOFF_ITEMS, f"h{h}", n))
    for op_id, n in report.state_sizes.items():
        rows.append((location, member, tick, t, STATE_SIZE, operator_key(ops[op_id]), n))
    return rows


def channel_records(location: str, member: int | None, tick: int, now: float,
                    counts: dict[str, list[int]], sent: bool) -> list[Record]:
    """Messages and bytes per channel (``counts``: channel -> [messages, bytes]), sent by the
    instance (``sent``) or delivered to it."""
    messages, nbytes = (MESSAGES_OUT, BYTES_OUT) if sent else (MESSAGES_IN, BYTES_IN)
    rows: list[Record] = []
    for channel, (n, size) in counts.items():
        rows.append((location, member, tick, now, messages, channel, n))
        rows.append((location, member, tick, now, nbytes, channel, size))
    return rows


def fault_records(location: str, member: int | None, tick: int, now: float,
                  faulted: dict[str, list[int]]) -> list[Record]:
    """What a tick's injected faults did (``faulted``: channel -> [dropped, delayed])."""
    rows: list[Record] = []
    for channel, (dropped, delayed) in faulted.items():
        if dropped:
            rows.append((location, member, tick, now, DROPPED, channel, dropped))
        if delayed:
            rows.append((location, member, tick, now, DELAYED, channel, delayed))
    return rows


def event_records(location: str, member: int | None, now: float, what: str) -> list[Record]:
    """The row of something that happened to an instance outside its ticks (``what``: e.g. a
    member killed or restarted); its tick is -1, so readers of ticks skip it."""
    return [(location, member, -1, now, EVENT, what, 1)]


def typed_frame(rows: Iterable[tuple], columns: list[str]):
    """A pandas DataFrame of ``rows`` with the column types of hydro_lab's long frames (a
    watch's ``to_pandas()``, a recording's): ``member`` a nullable int (``Int64``, <NA> for a
    process), ``tick`` int64, ``time`` float64; other columns as pandas infers them."""
    import pandas as pd

    df = pd.DataFrame(list(rows), columns=columns)
    types = {"member": "Int64", "tick": "int64", "time": "float64"}
    return df.astype({c: t for c, t in types.items() if c in df.columns})


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
