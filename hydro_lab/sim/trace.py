"""What happened in one simulated execution: every tick and every decision, in order.

Each event is a small dict (kept as data for notebooks) and prints as one line, tick by tick, per
instance, pointing at the user's line of the decision's operator:

    step 3: tick 1 at p
        batch(...) at counter.py, line 41: released [('c1', None)] (1 of 2 pending)
        snapshot(...) at counter.py, line 43: saw version 1 of 2 (an older one)

Steps that repeat (an instance ticking again and again alike, or a few steps over and over) print
once, with how many times they happened; so do inputs the test sent to one port in a row, and
repeated values in a batch or an output (``[456] ×1,000``); the events keep every one. What the
execution printed (``"print"`` events) is not part of the trace's text: ``format_prints()`` shows
it apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydro_lab.observe.recording import Recording

# a pattern of up to this many steps that repeats at least _MIN_REPEATS times prints once
_MAX_PERIOD = 4
_MIN_REPEATS = 3


def where(op) -> str:
    origin = getattr(op, "origin", None)
    describe = getattr(origin, "describe", None)
    return describe() if callable(describe) else getattr(op, "label", str(op))


def short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut at ``limit`` characters; ``?`` for a value that cannot be printed
    (as Hydro's trace shows a value without ``Debug``)."""
    try:
        text = repr(value)
    except Exception:
        if isinstance(value, (list, tuple)):  # the printable elements still show
            inner = ", ".join(short(v, limit) for v in value)
            text = f"[{inner}]" if isinstance(value, list) else f"({inner})"
        else:
            text = "?"
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Trace:
    """What one simulated execution did, step by step (ticks, batches, snapshots,
    permutations, outputs, faults): ``format()`` prints it, repeated steps collapsed, as a
    failing test shows it; ``Simulator.run(record=True)`` keeps it for ``%hydro replay``."""

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
        elif kind in ("batch", "snapshot", "permute", "observe", "claim", "output"):
            for key, value in self.current.items():
                data.setdefault(key, value)
        self.events.append(data)

    def format(self, limit: int = 400) -> str:
        """The trace as text, repeated steps collapsed; at most ``limit`` lines (the last
        ones)."""
        lines = _collapse(_steps(self.events))
        if len(lines) > limit:
            cut = len(lines) - limit
            lines = [f"(... {cut} earlier lines; trace.events has every event)"] + lines[cut:]
        return "\n".join(lines)

    def prints(self) -> list[dict]:
        """What the execution printed, as ``"print"`` events (``instance`` is None for the
        test body's own prints)."""
        return [e for e in self.events if e["kind"] == "print"]

    def format_prints(self, limit: int = 200) -> str:
        """What the execution printed, one line each, marked with the step and instance that
        printed it (the flow's ``for_each(print)`` and the like) or ``[test]`` (the body)."""
        lines = []
        for e in self.prints():
            mark = "[test]" if e.get("instance") is None else \
                f"[step {e['step']}, {e['instance']} tick {e['tick']}]"
            lines += [f"{mark} {line}" for line in e["text"].splitlines()]
        if len(lines) > limit:
            cut = len(lines) - limit
            lines = [f"(... {cut} earlier lines)"] + lines[cut:]
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


@dataclass
class _Step:
    """One tick and the lines after it up to the next tick (its decisions and outputs, then
    what happened between ticks: inputs, faults, time). ``key`` is what two alike steps share."""

    tick: dict | None
    lines: list[str]
    key: tuple
    times: list[float]


def _steps(events: list[dict]) -> list[_Step]:
    steps: list[_Step] = []
    cur = _Step(None, [], (), [])
    sends: _Sends | None = None  # consecutive inputs to one port print as one line

    def close() -> None:
        """Write the line of the run of sends that just ended (once: a run of n sends is
        rendered in one pass, not n times)."""
        nonlocal sends
        if sends is not None:
            line = sends.line()
            sends.step.lines[sends.index] = line
            keys = list(sends.step.key)
            keys[sends.key_index] = line
            sends.step.key = tuple(keys)
            sends = None

    for e in events:
        kind = e["kind"]
        if kind == "tick":
            close()
            steps.append(cur)
            cur = _Step(e, [], (e["instance"],), [e["time"]])
            continue
        if kind == "send":
            target = (e["port"], e.get("client"), e.get("where"))
            if sends is not None and sends.target == target and sends.step is cur:
                sends.add(e["items"])
                continue
            close()
            sends = _Sends(target, cur, len(cur.lines), len(cur.key), e)
            sends.add(e["items"])
            cur.lines.append("")
            cur.key += ("",)
            continue
        line = _line(e)
        if line is None:
            continue
        close()
        cur.lines.append(line)
        if kind == "time":  # alike steps may move the clock: the key keeps only that it moved
            cur.key += (("time", bool(e.get("early"))),)
            cur.times.append(e["time"])
        else:
            cur.key += (line,)
    close()
    steps.append(cur)
    return [s for s in steps if s.tick is not None or s.lines]


@dataclass
class _Sends:
    """A run of inputs the test body sent to one port in a row: one line, repeated messages
    counted (``[456] ×1,000, [100], [23]``), so a body that sends a thousand messages does not
    print a thousand lines. Equal messages in a row are counted as they are added."""

    target: tuple
    step: _Step
    index: int       # its line in the step
    key_index: int   # its entry in the step's key
    first: dict      # the first send event (its port, client and place)
    runs: list = field(default_factory=list)   # [message, how many in a row]
    count: int = 0

    def add(self, items: list) -> None:
        self.count += 1
        if self.runs and self.runs[-1][0] == items:
            self.runs[-1][1] += 1
        else:
            self.runs.append([items, 1])

    def line(self) -> str:
        e = self.first
        if self.count == 1:
            return _line(e)
        to = f" from client {e['client']}" if e.get("client") is not None else ""
        return (f"  input {_port(e)}{to}: {self.count:,} messages: "
                f"{_show_runs(self.runs)}")


def _values(values: list) -> str:
    """A list of values as the trace shows it: as it is, or with repeats counted
    (``[456 ×1,000, 100]``) when that is shorter."""
    text = short(values)
    if len(values) > 2 and any(a == b for a, b in zip(values, values[1:], strict=False)):
        counted = f"[{_runs(values)}]"
        if len(counted) < len(text) or text.endswith("…"):
            return counted
    return text


def _runs(messages: list, limit: int = 8) -> str:
    """``[456] ×1,000, [100], [23], [99]``: consecutive equal messages counted; at most
    ``limit`` runs shown (the first ones and the last one)."""
    runs: list[list] = []
    for m in messages:
        if runs and runs[-1][0] == m:
            runs[-1][1] += 1
        else:
            runs.append([m, 1])
    return _show_runs(runs, limit)


def _show_runs(runs: list[list], limit: int = 8) -> str:
    """Runs of ``[message, count]`` as text; only the shown ones are rendered."""
    def show(m, n):
        return f"{short(m, 40)}" + (f" ×{n:,}" if n > 1 else "")

    if len(runs) > limit:
        shown = [show(*r) for r in runs[:limit - 1]]
        shown += [f"… ({len(runs) - limit:,} more)", show(*runs[-1])]
    else:
        shown = [show(*r) for r in runs]
    return ", ".join(shown)


def _collapse(steps: list[_Step]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(steps):
        period, repeats = _repetition(steps, i)
        if repeats >= _MIN_REPEATS:
            run = steps[i:i + period * repeats]
            out += _repeated(run, period, repeats)
            i += period * repeats
        else:
            out += _plain(steps[i])
            i += 1
    return out


def _repetition(steps: list[_Step], i: int) -> tuple[int, int]:
    """The pattern of 1.._MAX_PERIOD ticks starting at ``i`` that repeats the most steps."""
    if steps[i].tick is None:
        return 1, 1
    best = (1, 1)
    for period in range(1, _MAX_PERIOD + 1):
        pattern = [s.key for s in steps[i:i + period]]
        if len(pattern) < period or any(s.tick is None for s in steps[i:i + period]):
            break
        repeats = 1
        while [s.key for s in steps[i + repeats * period:i + (repeats + 1) * period]] == pattern:
            repeats += 1
        if repeats >= _MIN_REPEATS and period * repeats > best[0] * best[1]:
            best = (period, repeats)
    return best


def _header(t: dict) -> str:
    return f"step {t['step']}: tick {t['tick']} at {t['instance']}  (virtual time {t['time']:g} s)"


def _plain(step: _Step) -> list[str]:
    return ([_header(step.tick)] if step.tick is not None else []) + step.lines


def _repeated(run: list[_Step], period: int, repeats: int) -> list[str]:
    first, last = run[0].tick, run[-1].tick
    times = [s.tick["time"] for s in run]
    span = f"{min(times):g} s" if min(times) == max(times) else \
        f"{min(times):g} s to {max(times):g} s"
    if any(len(s.times) > 1 for s in run):
        span += ", advancing between them"
    if period == 1:
        head = (f"step {first['step']}-{last['step']}: tick {first['tick']}-{last['tick']} at "
                f"{first['instance']}  (virtual time {span})  ({repeats:,} times)")
        lines = [head]
        for line in run[-1].lines:  # the last one: its time line says where the clock got to
            lines.append(line)
        return lines
    lines = []
    for step in run[:period]:
        lines += _plain(step)
    rest = run[period:]
    lines.append(f"  ... the same {period} steps {repeats - 1:,} more times (steps "
                 f"{rest[0].tick['step']}-{rest[-1].tick['step']}, virtual time {span})")
    return lines


def _line(e: dict) -> str | None:
    kind = e["kind"]
    if kind == "batch":
        return (f"    {e['where']}: released {_values(e['released'])} "
                f"({len(e['released'])} of {e['pending']} pending)")
    if kind == "snapshot":
        age = "the latest" if e["chosen"] == e["versions"] - 1 else "an older one"
        return f"    {e['where']}: saw version {e['chosen'] + 1} of {e['versions']} ({age})"
    if kind == "permute":
        return f"    {e['where']}: ordered as {short(e['order'])}"
    if kind == "observe":
        if e.get("held"):
            return f"    {e['where']}: observed nothing this step ({e['waiting']} waiting)"
        return (f"    {e['where']}: observed {short(e['item'])} next (of {e['waiting']} "
                "waiting)")
    if kind == "claim":
        return f"    {e['where']}: {e['what']}"
    if kind == "send":
        to = f" from client {e['client']}" if e.get("client") is not None else ""
        to += f" to {e['member']}" if e.get("member") is not None else ""
        return f"  input {_port(e)}{to}: {short(e['items'])}"
    if kind == "client":
        return f"  client {e['client']} of port {_port(e)} {e['what']}"
    if kind == "output":
        to = f" to client {e['client']}" if e.get("client") is not None else ""
        return f"    output {_port(e)}{to}: {_values(e['items'])}"
    if kind == "fault":
        return f"  fault: {e['what']}"
    if kind == "time":
        early = " (a timer fires before pending work: slow messages)" if e.get("early") else ""
        return f"  time advances to {e['time']:g} s{early}"
    if kind == "error":  # its first line: the failure's message has all of it
        first = e["message"].splitlines()[0] if e["message"] else ""
        more = " (...)" if "\n" in e["message"] else ""
        return f"  error: {first}{more}"
    return None  # watch, activity, print: data, not lines of the trace


def _port(event: dict) -> str:
    where = event.get("where")
    return f"{event['port']} ({where})" if where else str(event["port"])
