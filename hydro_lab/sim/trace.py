"""What happened in one simulated execution: every tick and every decision, in order.

Each event is a small dict (kept as data for notebooks) and prints as one line, tick by tick, per
instance, pointing at the user's line of the decision's operator:

    step 3: tick 1 at p
        batch(...) at counter.py, line 41: released [('c1', None)] (1 of 2 pending)
        snapshot(...) at counter.py, line 43: saw version 1 of 2 (an older one)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydro_lab.observe.recording import Recording


def where(op) -> str:
    origin = getattr(op, "origin", None)
    describe = getattr(origin, "describe", None)
    return describe() if callable(describe) else getattr(op, "label", str(op))


def short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Trace:
    events: list[dict] = field(default_factory=list)
    step: int = 0

    current: dict = field(default_factory=dict)  # the tick being run: instance, tick
    # set by ``Simulator.run(record=True)``: the program and operator origins a replay draws
    context: dict = field(default_factory=dict)

    def add(self, kind: str, **data: Any) -> None:
        data["kind"] = kind
        data["step"] = self.step
        if kind == "tick":
            self.current = {"instance": data["instance"], "tick": data["tick"]}
        elif kind in ("batch", "snapshot", "permute", "output"):
            for key, value in self.current.items():
                data.setdefault(key, value)
        self.events.append(data)

    def format(self, limit: int = 400) -> str:
        lines = []
        events = self.events[-limit:]
        if len(self.events) > limit:
            lines.append(f"(... {len(self.events) - limit} earlier events)")
        for e in events:
            kind = e["kind"]
            if kind == "tick":
                lines.append(f"step {e['step']}: tick {e['tick']} at {e['instance']}"
                             f"  (virtual time {e['time']:g} s)")
            elif kind == "batch":
                lines.append(f"    {e['where']}: released {short(e['released'])} "
                             f"({len(e['released'])} of {e['pending']} pending)")
            elif kind == "snapshot":
                age = "the latest" if e["chosen"] == e["versions"] - 1 else "an older one"
                lines.append(f"    {e['where']}: saw version {e['chosen'] + 1} of "
                             f"{e['versions']} ({age})")
            elif kind == "permute":
                lines.append(f"    {e['where']}: ordered as {short(e['order'])}")
            elif kind == "send":
                lines.append(f"  input {_port(e)}: {short(e['items'])}")
            elif kind == "output":
                lines.append(f"    output {_port(e)}: {short(e['items'])}")
            elif kind == "fault":
                lines.append(f"  fault: {e['what']}")
            elif kind == "time":
                early = " (a timer fires before pending work: slow messages)" \
                    if e.get("early") else ""
                lines.append(f"  time advances to {e['time']:g} s{early}")
            elif kind == "error":
                lines.append(f"  error: {e['message']}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()

    def recording(self):
        """This execution as a :class:`~hydro_lab.observe.recording.Recording` (for
        ``.replay()``); the trace must come from ``sim.run(body, record=True)``."""
        return Recording.from_trace(self)

    def __len__(self) -> int:
        return len(self.events)

    def frame(self):
        """The events as a ``pandas.DataFrame``: one row per event, columns ``step``, ``kind``,
        ``instance``, ``tick``, ``where`` and the event's own fields (missing ones are NA)."""
        import pandas as pd

        first = ["step", "kind", "instance", "tick", "where"]
        df = pd.DataFrame.from_records(self.events)
        for col in first:
            if col not in df.columns:
                df[col] = pd.NA
        return df[first + [c for c in df.columns if c not in first]]


def _port(event: dict) -> str:
    where = event.get("where")
    return f"{event['port']} ({where})" if where else str(event["port"])
