"""A failure's trace reads tick by tick, and steps that repeat print once with a count."""

from __future__ import annotations

import pytest

from hydro_lab import FlowBuilder, nondet
from hydro_lab.sim import SimFailure, Trace


def tick(trace: Trace, instance: str, n: int, time: float) -> None:
    trace.step += 1
    trace.add("tick", instance=instance, tick=n, time=time)


def test_alike_ticks_collapse_into_one_line_with_their_count():
    trace = Trace()
    tick(trace, "monitor", 0, 0.0)
    trace.add("output", port=7, items=["x"], where=None)
    for n in range(1, 401):
        tick(trace, "monitor", n, 1.4)
    trace.add("error", message="AssertionError: boom\nmore lines")
    assert trace.format().splitlines() == [
        "step 1: tick 0 at monitor  (virtual time 0 s)",
        "    output 7: ['x']",
        "step 2-400: tick 1-399 at monitor  (virtual time 1.4 s)  (399 times)",
        "step 401: tick 400 at monitor  (virtual time 1.4 s)",
        "  error: AssertionError: boom (...)",
    ]
    assert len(trace.events) == 403  # the data keeps every step


def test_a_repeating_pattern_of_steps_prints_once():
    trace = Trace()
    for k in range(50):
        tick(trace, "members[0]", k, k * 0.2)
        tick(trace, "monitor", k, k * 0.2)
        trace.add("time", time=(k + 1) * 0.2)
    lines = trace.format().splitlines()
    assert lines == [
        "step 1: tick 0 at members[0]  (virtual time 0 s)",
        "step 2: tick 0 at monitor  (virtual time 0 s)",
        "  time advances to 0.2 s",
        "  ... the same 2 steps 49 more times (steps 3-100, virtual time 0 s to 9.8 s, "
        "advancing between them)",
    ]


def test_ticks_that_differ_are_all_shown():
    trace = Trace()
    for n in range(5):
        tick(trace, "p", n, 0.0)
        trace.add("output", port=3, items=[n], where=None)
    assert len(trace.format().splitlines()) == 10


def test_a_long_trace_keeps_its_last_lines():
    trace = Trace()
    for n in range(30):
        tick(trace, "p", n, float(n))
        trace.add("output", port=3, items=[n], where=None)
    lines = trace.format(limit=10).splitlines()
    assert lines[0] == "(... 50 earlier lines; trace.events has every event)"
    assert lines[-1] == "    output 3: [29]" and len(lines) == 11


def test_inputs_sent_in_a_row_to_one_port_print_as_one_line_with_repeats_counted():
    trace = Trace()
    for v in [456] * 1000 + [100, 23, 99]:
        trace.add("send", port=4, items=[v], where="test.py, line 9")
    trace.add("send", port=5, items=["other port"], where=None)
    tick(trace, "p", 0, 0.0)
    trace.add("batch", where="batch() at f.py, line 3", op=1, released=[456] * 1000,
              pending=1003)
    trace.add("send", port=4, items=[1], where="test.py, line 9")
    trace.add("send", port=4, items=[2], where="test.py, line 9")
    assert trace.format().splitlines() == [
        "  input 4 (test.py, line 9): 1,003 messages: [456] ×1,000, [100], [23], [99]",
        "  input 5: ['other port']",
        "step 1: tick 0 at p  (virtual time 0 s)",
        "    batch() at f.py, line 3: released [456 ×1,000] (1000 of 1003 pending)",
        "  input 4 (test.py, line 9): 2 messages: [1], [2]",
    ]
    assert len(trace.events) == 1008  # the data keeps every message


def test_many_different_inputs_print_the_first_runs_and_the_last():
    trace = Trace()
    for v in range(20):
        trace.add("send", port=4, items=[v], where=None)
    line, = trace.format().splitlines()
    assert line == ("  input 4: 20 messages: [0], [1], [2], [3], [4], [5], [6], … (12 more), "
                    "[19]")


def test_a_long_run_of_sends_is_rendered_once(monkeypatch):
    """A body that sends thousands of messages to one port: the failure's trace renders that
    run's line once (a few values shown), not once per send: rendering it per send made a
    3,000-send failure take seconds to report (quadratic)."""
    from hydro_lab.sim import trace as trace_module

    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input()
    out = s.batch(p.tick(), nondet("x")).count().all_ticks().sim_output()

    def body(inst):
        sender = inst.connect(port)
        for k in range(3000):
            sender.send(k % 3)
        inst.connect(out).collect()
        raise AssertionError("the check failed")

    calls = []
    real_short = trace_module.short
    monkeypatch.setattr(trace_module, "short",
                        lambda *a, **k: calls.append(1) or real_short(*a, **k))
    with pytest.raises(SimFailure) as failed:
        flow.sim().run(body)
    text = str(failed.value)
    assert "3,000 messages: [0], [1], [2], [0], [1], [2], [0], … (2,992 more), [2]" in text
    assert len(calls) < 100, len(calls)
