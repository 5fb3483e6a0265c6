"""``deployment.graph()``: the graph of a running deployment, alive.

It displays as the flow's graph bundle (both views, cluster sizes, ``live`` set) and then only
sends small ``Update`` messages on the live channel: elements so far per operator (IR view: per
IR node, summed over instances, the busiest of the operators it was lowered to; DFIR view: per
operator, summed over the location's instances), messages/s per channel, which cluster members
are killed, the deployment's state. Metrics reach it as the dashboard's do: a recorder
subscriber only queues each chunk of rows (on the tick path), and the pump thread folds them
into running totals a few times a second. The last update after ``stop()`` keeps the last
values; a failed deployment's carries its error, and then the graph stops updating.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from typing import Any

from hydro_lab.dashboard.live_channel import LIVE, LiveChannel
from hydro_lab.dashboard.overlay import Overlays
from hydro_lab.dashboard.pump import PUMP, Pump, PumpedView
from hydro_lab.ir.locations import ClusterId
from hydro_lab.observe.metrics import (
    ELEMENTS_IN,
    ELEMENTS_OUT,
    MESSAGES_OUT,
    TICK_DURATION,
    Record,
)
from hydro_lab.viz import protocol
from hydro_lab.viz.graph import Graph, graph_of_dfir, graph_of_program

OVER = ("stopped", "failed")
RATE_WINDOW_S = 1.0  # a channel's messages/s is its growth over about this long


class Totals:
    """Running sums of a deployment's metrics rows: elements out of and into each operator by
    location, messages sent on each channel, ticks run by each instance. ``add`` (a recorder
    subscriber) only queues the rows; ``fold`` (on the pump thread) adds them up, touching only
    what the graph shows.

    The queue holds the rows themselves, not the chunks they came in: a chunk (a list) kept
    alive until the next fold lives through a few garbage collections, and with thousands a
    second the young ones add up to full collections of the whole heap that cost the
    deployment more than the folding (measured: two 100 ms collections in 3 s). The rows are
    kept by the recorder anyway."""

    def __init__(self) -> None:
        self._pending: deque[Record] = deque()
        self.outs: dict[str, dict[str, float]] = {}  # location -> operator key -> elements
        self.ins: dict[str, dict[str, float]] = {}
        self.messages: dict[str, float] = {}  # channel -> messages sent
        self.ticks: dict[tuple[str, int | None], int] = {}  # (location, member) -> ticks run

    def add(self, instance: str, rows: list[Record]) -> None:
        self._pending.extend(rows)

    def fold(self) -> bool:
        """Fold what was queued; True if there was anything. (This loop is what a live graph
        costs a deployment: about 0.1 us a row; keep it to one comparison chain per row.)"""
        pending, messages, ticks = self._pending, self.messages, self.ticks
        popleft = pending.popleft
        # the metric names as locals: a global lookup per comparison costs ~7 % of this loop
        elements_out, elements_in = ELEMENTS_OUT, ELEMENTS_IN
        tick_duration, messages_out = TICK_DURATION, MESSAGES_OUT
        n = len(pending)  # add() may append meanwhile: those wait for the next fold
        last = outs = ins = None
        for _ in range(n):
            loc, member, tick, _t, metric, key, value = popleft()
            if loc is not last:
                last, outs, ins = loc, self.outs.get(loc), self.ins.get(loc)
                if outs is None:
                    outs, ins = self.outs[loc], self.ins[loc] = {}, {}
            if metric == elements_out:
                outs[key] = outs.get(key, 0) + value
            elif metric == elements_in:
                ins[key] = ins.get(key, 0) + value
            elif metric == tick_duration:
                ticks[(loc, member)] = tick + 1
            elif metric == messages_out:
                messages[key] = messages.get(key, 0) + value
        return n > 0


class LiveGraph(PumpedView):
    """What ``deployment.graph()`` returns.

    ``view``: the view the graph opens with (``"ir"`` or ``"dfir"``; both are in the payload);
    ``interval``: least seconds between two updates (the pump calls 5 times a second);
    ``key``: the payload's key (the renderer keeps zoom and folds per key); ``pump``: the pump
    that drives it (``None``: only ``refresh()`` by hand); ``channel``: where updates go (the
    kernel's ``LIVE``).

    It updates only where a front end can see it: in a kernel it starts at once; elsewhere
    (plain Python) ``start()`` starts it, and ``update()`` still tells the values now.
    Introspection: ``id``, ``graph`` (the ``Graph`` it displays), ``last`` (the last update
    sent), ``sent`` (how many), ``closed``.
    """

    def __init__(self, deployment: Any, *, view: str = "ir", interval: float = 0.2,
                 key: str | None = None, pump: Pump | None = PUMP,
                 channel: LiveChannel | None = None):
        if view not in ("ir", "dfir"):
            raise ValueError(f"graph(view=...) takes 'ir' or 'dfir', got {view!r}")
        self.deployment = d = deployment
        self.interval = interval
        self.key = key
        self.id = f"hydro-live-{uuid.uuid4().hex[:16]}"
        self.channel = channel if channel is not None else LIVE
        compiled = d.compiled
        self.overlays = Overlays(compiled.program, compiled.programs, compiled.lowered.channels)
        self.view = view
        self._models = _deployed_models(compiled, d.cluster_sizes)
        self._graphs: dict[str, Graph] = {}
        self.graph = self.graph_for(view)
        self._clusters = {f"loc{loc.key}": [i.name for i in d.instances if i.location == loc]
                          for loc in compiled.lowered.locations if isinstance(loc, ClusterId)}
        self.totals = Totals()
        self._rows = self.totals.add  # what the recorder feeds (PumpedView unsubscribes it)
        self._lock = threading.RLock()
        self._pump = pump
        self.subscription = None
        self.started = False
        self.closed = False
        self.last: protocol.Update | None = None
        self.sent = 0
        self._history: deque[tuple[float, dict[str, float]]] = deque()
        self._rates: dict[str, float] = {}
        self._alive: list[str] | None = None
        self._last_refresh = 0.0
        if self.channel.available:
            self.start()

    # -- running -------------------------------------------------------------------------------

    def start(self) -> LiveGraph:
        """Follow the deployment: fold its metrics (those recorded so far, then every new
        chunk) and send an update every ``interval`` seconds from the pump thread."""
        with self._lock:
            if self.started or self.closed:
                return self
            self.started = True
            for instance, rows in self.deployment.recorder.subscribe(self._rows, past=True):
                self.totals.add(instance, rows)
            self.totals.fold()
            self._history.append((time.monotonic(), dict(self.totals.messages)))
            self.refresh()  # the first update now: a renderer drawing the graph gets values
            if self._pump is not None and not self.closed:
                self.subscription = self._pump.subscribe(
                    self._pumped, f"live graph of {self.deployment!r:.60}",
                    on_error=self._on_pump_error)
        return self

    def _pumped(self) -> bool:
        if time.monotonic() - self._last_refresh < self.interval * 0.95:
            return not self.closed
        return self.refresh()

    def refresh(self) -> bool:
        """Send an update now (when anything changed), in the caller's thread. Returns False
        once the deployment is over: that last update is sent and the graph stops following."""
        with self._lock:
            if self.closed:
                return False
            self._last_refresh = time.monotonic()
            if not self.started:
                self.start()
            body = self.update()
            over = body["state"] in OVER
            if over or self.last is None or _changed(self.last, body):
                self.last = self.channel.publish(body)
                self.sent += 1
            if over:
                self._close()
                return False
            return True

    def update(self) -> dict:
        """The update the live graph would send now (without its ``seq``)."""
        with self._lock:
            d = self.deployment
            state = d.state
            if self.started:
                self.totals.fold()
                totals = self.totals
            else:  # not following: the values from what the recorder kept
                totals = Totals()
                totals.add("", d.recorder.rows())
                totals.fold()
            op = self.overlays.op
            counts: dict[tuple[str, str], float] = {}
            for loc, outs in totals.outs.items():
                for key, value in outs.items():
                    if not op(loc, key).takes:
                        counts[(loc, key)] = value
            for loc, ins in totals.ins.items():
                for key, value in ins.items():
                    if op(loc, key).takes:
                        counts[(loc, key)] = value
            channels = dict(totals.messages)
            if state not in OVER and self.started:
                self._rates = self._rates_now(channels)
            views = self.overlays.overlays(counts, channels, self._rates)
            # once over, who ran at the end (a stopped Ray deployment has no actors left, and
            # none of them was killed; never seen running: membership unknown)
            if state not in OVER:
                self._alive = _live_instances(d)
            alive = self._alive
            body: dict[str, Any] = {
                "type": "update", "id": self.id, "state": state,
                "status": self._status(state, alive, totals), "views": views}
            groups = {}
            for group, members in self._clusters.items():
                killed = [m for m in members if m not in alive] if alive is not None else []
                groups[group] = {"members": len(members), "alive": len(members) - len(killed),
                                 "killed": killed}
            if groups:
                body["groups"] = groups
            if state == "failed":
                err = d.error
                body["error"] = f"{type(err).__name__}: {err}" if err is not None else \
                    "the deployment failed"
            return body

    def _rates_now(self, channels: dict[str, float]) -> dict[str, float]:
        """Messages per second of each channel over the last ``RATE_WINDOW_S`` or so."""
        now = time.monotonic()
        history = self._history
        history.append((now, channels))
        while len(history) > 2 and now - history[1][0] >= RATE_WINDOW_S:
            history.popleft()
        then, before = history[0]
        span = now - then
        if span <= 0:
            return dict(self._rates)
        return {name: max(total - before.get(name, 0), 0) / span
                for name, total in channels.items()}

    def _status(self, state: str, alive: list[str] | None, totals: Totals) -> str:
        n = len(self.deployment.instances)
        running = f"{len(alive)} of {n}" if alive is not None and len(alive) != n else f"{n}"
        ticks = sum(totals.ticks.values())
        return (f"{state} · {running} instance{'s' * (n != 1)} · {ticks:,} "
                f"tick{'s' * (ticks != 1)}")

    def _on_pump_error(self, err: BaseException) -> None:
        """An update failed (the pump has unsubscribed us): say so on the graph, not in a cell."""
        with self._lock:
            body = dict(self.last or {"type": "update", "id": self.id, "views": {}})
            body.pop("seq", None)
            body["state"] = self.deployment.state
            body["status"] = (f"the live graph stopped updating: {type(err).__name__}: "
                              f"{err}")[:300]
            try:
                self.last = self.channel.publish(body)
            except Exception:  # noqa: BLE001  (nowhere left to say it; it stays on the pump)
                pass
            self._close()

    # -- lifetime ------------------------------------------------------------------------------

    # -- display -------------------------------------------------------------------------------

    def live(self) -> protocol.Live:
        """The payload's ``live``: this graph's id, and its state now."""
        state = self.last["state"] if self.closed and self.last else self.deployment.state
        live: protocol.Live = {"id": self.id, "state": state}
        if self.last is not None and "status" in self.last:
            live["status"] = self.last["status"]
        return live

    def graph_for(self, view: str) -> Graph:
        """The deployed flow's ``Graph`` opening with ``view`` (the other view in it too)."""
        graph = self._graphs.get(view)
        if graph is None:
            other = "dfir" if view == "ir" else "ir"
            graph = self._graphs[view] = Graph(self._models[view],
                                               views={other: self._models[other]})
        return graph

    def payload(self, view: str | None = None) -> protocol.Payload:
        """The graph payload (``application/vnd.hydro-lab.graph+json``) in ``view`` (``"ir"``
        or ``"dfir"``; default the current one) with the deployment's latest live values."""
        return self.graph_for(view or self.view).live_as(self.live(), key=self.key).payload()

    def bundle(self, view: str | None = None) -> dict[str, Any]:
        """The graph bundle, opening with ``view``. Shown in a kernel, it opens a comm to the
        front end (see ``LiveChannel.open``), starts following, and its latest update goes out
        just before the graph, so the new output is drawn with the values."""
        if self.channel.open():
            with self._lock:
                if not self.started:
                    self.start()
                elif self.last is not None:
                    self.channel.resend(self.id)
        graph = self.graph_for(view or self.view)
        return graph.live_as(self.live(), key=self.key)._repr_mimebundle_()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.bundle()

    def __repr__(self) -> str:
        d = self.deployment
        return (f"<live graph {self.id} of a {d.backend} deployment of "
                f"{d.compiled.program.name!r}: {d.state}"
                f"{', updating' if self.started and not self.closed else ''}>")


def _deployed_models(compiled: Any, sizes: dict[str, int]) -> dict[str, Any]:
    """The deployed flow's two views, made once and from the programs that run (the DFIR
    view's operator ids are the metrics'), with the clusters' sizes."""
    ir = graph_of_program(compiled.program).model
    dfir = graph_of_dfir(compiled.program.name, compiled.programs,
                         channels=compiled.lowered.channels, program=compiled.program).model
    return {"ir": ir.with_members(sizes), "dfir": dfir.with_members(sizes)}


def _changed(last: dict, body: dict) -> bool:
    return any(last.get(k) != v for k, v in body.items()) or \
        any(k not in body for k in last if k != "seq")


def _live_instances(d: Any) -> list[str] | None:
    try:
        return d.live_instances()
    except Exception:  # noqa: BLE001  (a failed backend may not answer: no membership then)
        return None
