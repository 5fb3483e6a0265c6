"""``collection.watch()``: what a live collection holds, seen from the driver while the flow runs.

A watch adds a sink to the flow when it is called (a ``DestSink`` marked ``watch`` in the IR), so
it runs the same on the local and Ray deployments and in the simulator. Every element the sink
takes leaves its instance stamped with the member, the tick that produced it and the tick's time
(the clock of ``d.metrics()``); the driver keeps the last ``last`` of them in the ``Watch``
handle, a thread-safe buffer of ``(location, member, tick, value, time)`` rows, and
``watch.to_pandas()`` gives them as a DataFrame. In a notebook the handle shows itself through
the view the dashboard registers as ``"watch"``; a watched KeyedSingleton or KeyedStream draws
one live line per key, the ``keys`` keys with the largest latest values.

When a watch needs ``nondet`` (Hydro's rules, stated once here)
------------------------------------------------------------------
A watch observes the flow from outside, like a ``dest_sink``/``for_each`` that prints: it feeds
nothing back, yet what it shows can still differ between runs, and Hydro asks for a written
``nondet`` wherever what is observed depends on timing — even for printing (``compute_pi``
samples its estimate with ``sample_every(..., nondet!(/** only for printing */))``). So:

* a **top-level Singleton, Optional or KeyedSingleton that changes** (Unbounded) is shown as its
  value in every tick: that is Hydro's ``sample_eager`` ("the output stream is non-deterministic
  due to non-deterministic batching and arrival of inputs"), so it needs ``nondet``;
* a **Stream that is NoOrder or AtLeastOnce** would show its elements in a different order, or
  a duplicate or not, from run to run: the rule of ``for_each``/``dest_sink`` (TotalOrder and
  ExactlyOnce), so it needs ``nondet``; a **KeyedStream** always does (nothing orders its keys);
* a **value inside a tick** (Bounded), a **constant**, and a **TotalOrder ExactlyOnce Stream**
  are deterministic to observe (tick by tick, like ``all_ticks()``; element by element, like
  ``for_each``): no ``nondet``. Which tick an element of a top-level stream lands in is
  timing, but it is shown as where it was seen, not as part of the value.

The nondet is recorded in the IR (a ``nondet`` node before the sink, shown in graphs). It adds no
decision to the simulator: a watch only observes, so exploring which version it sees would only
multiply executions that behave alike.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, NamedTuple

from hydro_lab.errors import rule_error
from hydro_lab.ir import kinds as K
from hydro_lab.ir import nodes as N
from hydro_lab.ir.kinds import Bound, Kind, Order, Retries
from hydro_lab.lang import quote
from hydro_lab.lang.collection import LiveCollection
from hydro_lab.lang.context import operator
from hydro_lab.lang.nondet import require_nondet
from hydro_lab.views import get_view

DEFAULT_LAST = 50
DEFAULT_KEYS = 10  # lines a keyed watch draws (Category10: each its own color)
MAX_KEYS = 20      # past 20 the palette repeats and lines could no longer be told apart
_EXAMPLE_ND = 'nondet("only shown in the notebook")'


class WatchRow(NamedTuple):
    """One watched value: where it was seen (``location``, ``member``: None for a process), in
    which ``tick`` and what it was; ``time`` is the tick's time on the clock of ``d.metrics()``
    (seconds; virtual time in the simulator)."""

    location: str
    member: int | None
    tick: int
    value: Any
    time: float | None = None


class _Empty:
    """What a watched Optional holds in a tick where it is empty."""

    _instance: _Empty | None = None

    def __new__(cls) -> _Empty:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<empty>"

    def __reduce__(self):
        return (_Empty, ())


EMPTY = _Empty()


class Watch:
    """The values a watched collection produced, most recent last.

    ``shape`` says what a row's value is: ``"value"`` (a Singleton's or Optional's value in one
    tick, ``EMPTY`` for an empty Optional; a KeyedSingleton's whole map as a dict) or
    ``"stream"`` (one element of a Stream; a ``(key, value)`` pair of a KeyedStream). ``keys``
    (keyed collections only) is how many keys the live view draws a line for.
    """

    def __init__(self, name: str, location: str, collection: str, shape: str, last: int,
                 node_id: int, nondet: str | None = None, keys: int | None = None):
        self.name = name
        self.location = location
        self.collection = collection
        self.shape = shape
        self.last = last
        self.node_id = node_id
        self.nondet = nondet
        self.keys = keys if keys is not None or not self.keyed else DEFAULT_KEYS
        self._rows: deque[WatchRow] = deque(maxlen=last)
        self._lock = threading.Lock()
        self._version = 0
        self._total = 0
        self._resets = 0

    @property
    def keyed(self) -> bool:
        """Whether the watched collection is a KeyedStream or a KeyedSingleton."""
        return self.collection in (Kind.KEYED_STREAM.value, Kind.KEYED_SINGLETON.value)

    # -- the sink side (the deployment's driver, or the simulator) --------------------------------

    def append(self, stamped: tuple[Any, int, float, Any]) -> None:
        """Take one stamped element ``(member id or None, tick, the tick's time, value)``."""
        member_id, tick, time, value = stamped
        member = getattr(member_id, "raw_id", member_id)
        if self.collection == Kind.OPTIONAL.value:
            value = value[0] if value else EMPTY
        row = WatchRow(self.location, member, tick, value, time)
        with self._lock:
            self._rows.append(row)
            self._total += 1
            self._version += 1

    def reset(self) -> None:
        """Forget every row (a new simulated execution starts)."""
        with self._lock:
            self._rows.clear()
            self._total = 0
            self._resets += 1
            self._version += 1

    # -- reading ----------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Grows with every change: a view redraws when it moved."""
        return self._version

    @property
    def total(self) -> int:
        """How many rows arrived in all (the buffer keeps the last ``last``)."""
        return self._total

    @property
    def history(self) -> list[WatchRow]:
        """The kept rows, oldest first."""
        with self._lock:
            return list(self._rows)

    @property
    def values(self) -> list[Any]:
        """The kept values, oldest first (``EMPTY`` where an Optional was empty)."""
        return [r.value for r in self.history]

    @property
    def latest(self) -> Any:
        """The most recent value (``None`` before any, or when an Optional is empty)."""
        with self._lock:
            if not self._rows:
                return None
            value = self._rows[-1].value
        return None if value is EMPTY else value

    def latest_by_instance(self) -> dict[tuple[str, int | None], Any]:
        """The most recent value of each instance: ``{(location, member): value}``."""
        out: dict[tuple[str, int | None], Any] = {}
        for r in self.history:
            out[(r.location, r.member)] = r.value
        return out

    def at(self, tick: int, member: int | None = None) -> list[Any]:
        """The kept values seen in ``tick`` (of ``member``, for a cluster)."""
        return [r.value for r in self.history if r.tick == tick and
                (member is None or r.member == member)]

    def since(self, cursor: tuple[int, int] | None = None
              ) -> tuple[list[WatchRow], tuple[int, int]]:
        """The kept rows that arrived after ``cursor`` (what the last call returned; None, or a
        cursor from before a ``reset``: every kept row), and the cursor now: a live view reads
        only what is new."""
        with self._lock:
            now = (self._resets, self._total)
            if cursor is None or cursor[0] != self._resets or cursor[1] > self._total:
                new = len(self._rows)
            else:
                new = min(self._total - cursor[1], len(self._rows))
            rows = list(self._rows)[len(self._rows) - new:] if new > 0 else []
        return rows, now

    @property
    def columns(self) -> list[str]:
        """The columns of ``records()`` and ``to_pandas()``: ``location, member, tick, time``,
        ``key`` for a keyed collection, and ``value``."""
        return ["location", "member", "tick", "time", *(["key"] if self.keyed else []), "value"]

    def records(self) -> list[tuple]:
        """One tuple per observed value (``columns``), oldest first: a Stream's element, a
        Singleton's value in a tick, an Optional's (``None`` where it was empty); a
        KeyedStream's entry and each entry of a KeyedSingleton's map, as ``key`` and ``value``
        (a tick whose map is empty has no row)."""
        out: list[tuple] = []
        keyed_map = self.collection == Kind.KEYED_SINGLETON.value
        for r in self.history:
            where = (r.location, r.member, r.tick, r.time)
            if keyed_map:
                out.extend((*where, k, v) for k, v in r.value.items())
            elif self.keyed:
                out.append((*where, r.value[0], r.value[1]))
            else:
                out.append((*where, None if r.value is EMPTY else r.value))
        return out

    def to_pandas(self) -> Any:
        """The kept rows as a pandas DataFrame, one row per observed value (``records()``):
        ``location`` (str), ``member`` (Int64, <NA> for a process), ``tick`` (int64), ``time``
        (float64 seconds, the clock of ``d.metrics()``: join on location, member and tick),
        ``key`` (keyed collections) and ``value`` (as pandas infers it: numbers stay numbers,
        an empty Optional is NaN/None)."""
        return get_view("frame")(self.records(), self.columns)

    def view(self, **options: Any) -> Any:
        """The notebook view of this watch (needs ``hydro_lab.dashboard``)."""
        return get_view("watch")(self, **options)

    def _ipython_display_(self) -> None:
        self.view()._ipython_display_()

    def __len__(self) -> int:
        return len(self._rows)

    def __getstate__(self) -> dict:  # a copy of a flow, or a recording, takes the rows along
        state = dict(self.__dict__)
        with self._lock:
            state["_rows"] = deque(self._rows, maxlen=self.last)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        latest = "" if not self._rows else f", latest {self.latest!r:.40}"
        return (f"<Watch {self.name!r} ({self.collection} at {self.location}): "
                f"{len(self._rows)} of {self._total} rows{latest}>")


# -- building -------------------------------------------------------------------------------------

def _no_value() -> tuple:
    return ()


def _one_value(_: Any, x: Any) -> tuple:
    return (x,)


def _new_map() -> dict:
    return {}


def _put(acc: dict, entry: Any) -> dict:
    acc[entry[0]] = entry[1]
    return acc


def _why_nondet(c: LiveCollection) -> str | None:
    """Why watching ``c`` is non-deterministic, or None when it is not (module docstring)."""
    kind = c.KIND
    if kind in (Kind.SINGLETON, Kind.OPTIONAL, Kind.KEYED_SINGLETON):
        if c.bound is Bound.UNBOUNDED:
            return (f"this {kind.value} changes over time, and a watch shows its value in each "
                    "tick: which versions it sees depends on timing (Hydro's sample_eager)")
        return None
    if kind is Kind.KEYED_STREAM:
        return ("nothing orders the keys of a KeyedStream, so its entries would be shown in a "
                "different order from run to run")
    if c.order is Order.NO_ORDER:
        return ("this Stream is NoOrder, so its elements would be shown in a different order "
                "from run to run (the rule of for_each/dest_sink)")
    if c.retries is Retries.AT_LEAST_ONCE:
        return ("this Stream is AtLeastOnce, so a duplicate may or may not be shown (the rule of "
                "for_each/dest_sink)")
    return None


def _check_last(last: Any) -> int:
    if isinstance(last, bool) or not isinstance(last, int) or last < 1:
        raise rule_error(
            "watch", f"last= is how many recent rows the watch keeps, a positive int; got "
            f"{last!r}", f"pass a count, e.g. .watch(last={DEFAULT_LAST})",
        )
    return last


def _check_keys(c: LiveCollection, keys: Any) -> int | None:
    if keys is None:
        return None
    if c.KIND not in (Kind.KEYED_STREAM, Kind.KEYED_SINGLETON):
        raise rule_error(
            "watch", f"keys= is how many keys a keyed watch draws a line for, and this "
            f"{c._here()} has no keys", "leave keys= out here, or watch a KeyedStream or "
            "KeyedSingleton (e.g. counts = events.map(lambda e: (e.endpoint, 1)).into_keyed()"
            ".value_counts())",
        )
    if isinstance(keys, bool) or not isinstance(keys, int) or not 1 <= keys <= MAX_KEYS:
        raise rule_error(
            "watch", f"keys= is how many keys the live view draws a line for (those with the "
            f"largest latest values), an int from 1 to {MAX_KEYS}; got {keys!r}",
            f"pass a count, e.g. .watch(keys=3, ...); past {MAX_KEYS} lines share colors",
        )
    return keys


@operator("watch")
def watch(c: Any, name: str | None = None, last: int = DEFAULT_LAST, nondet: Any = None,
          keys: int | None = None) -> Watch:
    """Watch what ``c`` holds while the flow runs; see the module docstring for the rule.
    ``keys`` (KeyedStream, KeyedSingleton): how many keys the live view draws a line for, the
    ones with the largest latest values (``DEFAULT_KEYS`` when not given)."""
    if not isinstance(c, LiveCollection):
        raise rule_error(
            "watch", f"watch() takes a live collection (Stream, KeyedStream, Singleton, Optional "
            f"or KeyedSingleton), got {type(c).__name__} {c!r:.40}",
            "call .watch() on the collection an operator returned, e.g. "
            "counts = stream.count(); w = counts.watch()",
        )
    last = _check_last(last)
    keys = _check_keys(c, keys)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise rule_error("watch", f"name= must be a non-empty string, got {name!r}",
                         '.watch(name="requests per tick")')
    why = _why_nondet(c)
    info = None
    if why is not None:
        if nondet is None:
            raise rule_error(
                "watch", f"watching this {c._here()} is non-deterministic and needs a "
                "nondet(\"reason\") argument",
                f".watch(nondet={_EXAMPLE_ND})", why=why,
            )
        info = require_nondet(nondet)
    elif nondet is not None:
        info = require_nondet(nondet)
    label = name.strip() if name else _default_name(c)
    node = c
    if why is not None:
        node = node._new(N.ObserveNonDet, node.kind_info, input=node.node_id, nondet_info=info,
                         detail=label)
    bounded = node.bound
    if c.KIND is Kind.OPTIONAL:
        node = node._new(N.Fold, K.singleton(bounded), input=node.node_id,
                         init=quote.builtin(_no_value, "()"),
                         f=quote.builtin(_one_value, "(value,)"), detail=label)
    elif c.KIND is Kind.KEYED_SINGLETON:
        node = node._new(N.Fold, K.singleton(bounded), input=node.node_id,
                         init=quote.builtin(_new_map, "{}"), f=quote.builtin(_put, "as dict"),
                         commutative="each key appears once", detail=label)
    shape = "stream" if c.KIND in (Kind.STREAM, Kind.KEYED_STREAM) else "value"
    w = Watch(label, c._loc.root.name, c.KIND.value, shape, last, c.node_id,
              info.reason if info is not None else None, keys)
    node._root(N.DestSink, input=node.node_id, sink=w, watch=True, detail=label)
    return w


def _default_name(c: LiveCollection) -> str:
    node = c._ctx.graph.nodes[c.node_id]
    if node.meta.name:
        return node.meta.name
    return f"{node.meta.op} %{c.node_id}"

