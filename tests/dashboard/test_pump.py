"""The pump: one thread calls every live view's callback at a bounded rate."""

from __future__ import annotations

import threading
import time

from hydro_lab.dashboard.pump import Pump


def wait_for(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


def test_callbacks_run_on_one_thread_at_a_bounded_rate_and_the_thread_ends():
    pump = Pump(rate_hz=20)
    threads, calls = set(), []

    def view():
        threads.add(threading.current_thread().name)
        calls.append(time.monotonic())
        return len(calls) < 6      # unsubscribes itself after 6 calls

    sub = pump.subscribe(view, "a view")
    assert wait_for(lambda: not sub.active)
    assert threads == {"hydro_lab-pump"} and len(calls) == 6
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert min(gaps) >= 0.04       # 20 Hz at most (50 ms, some slack)
    assert wait_for(lambda: not pump.running)


def test_a_failing_view_is_unsubscribed_with_its_error_and_the_others_go_on():
    pump = Pump(rate_hz=50)
    good = []

    def bad():
        raise ValueError("broken view")

    bad_sub = pump.subscribe(bad, "bad")
    good_sub = pump.subscribe(lambda: good.append(1), "good")
    assert wait_for(lambda: len(good) >= 3)
    assert not bad_sub.active and isinstance(bad_sub.error, ValueError)
    assert good_sub.active
    pump.stop()
    assert not pump.running and not good_sub.active


def test_flush_runs_every_view_once_in_the_caller():
    pump = Pump(rate_hz=0.5)
    seen = []
    pump.subscribe(lambda: seen.append(threading.current_thread().name), "v")
    pump.flush()
    assert threading.current_thread().name in seen
    pump.stop()


def test_a_failing_view_hears_of_its_error_once():
    pump = Pump(rate_hz=50)
    heard = []

    def bad():
        raise KeyError("gone")

    sub = pump.subscribe(bad, "bad", on_error=heard.append)
    assert wait_for(lambda: not sub.active)
    time.sleep(0.1)
    assert len(heard) == 1 and heard[0] is sub.error and isinstance(heard[0], KeyError)
    assert not pump.running or wait_for(lambda: not pump.running)


def test_pandas_is_imported_before_any_pump_thread_runs():
    """bokeh's ColumnDataSource.stream imports pandas on each call: a pump thread doing that
    while the notebook imported pandas for the first time (``%hydro metrics``) saw a half-made
    module and the dashboard froze. The pump's module imports pandas itself."""
    import subprocess
    import sys

    code = ("import sys; import hydro_lab.dashboard.pump; "
            "print('pandas' in sys.modules and hasattr(sys.modules['pandas'], 'Series'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "True"
