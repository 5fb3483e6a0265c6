"""Smoke test of the benchmark runner: ``python -m benchmarks --quick --only p1`` runs, prints the
P1 table, and hydro_lab computes what the hand loop computes (the harness asserts it); one Ray
benchmark (P4, echo round trips, one run) runs end to end when Ray is importable; P10's local
measurement runs in process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run_quick_p1(tmp_path: Path, env: dict[str, str] | None = None) -> tuple[str, dict]:
    out_json = tmp_path / "quick.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "p1", "--json", str(out_json)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout, json.loads(out_json.read_text())


def test_quick_p1_prints_the_table_and_hydro_lab_agrees_with_the_hand_loop(tmp_path):
    stdout, doc = _run_quick_p1(tmp_path)
    assert "P1  map(x*2) -> filter(x%3==0) -> fold(sum)" in stdout
    assert "results equal across all contenders that ran" in stdout
    assert "GOAL P1: hand_loop / hydro_lab" in stdout
    p1 = doc["benchmarks"]["p1"]
    assert list(doc["benchmarks"]) == ["p1"]
    contenders = p1["contenders"]
    assert contenders["hand_loop"]["status"] == "ok"
    assert contenders["hydro_lab"]["status"] == "ok"
    assert len(contenders["hydro_lab"]["times_s"]) == 3
    n = p1["n"]
    assert p1["answer"] == sum(2 * x for x in range(n) if (2 * x) % 3 == 0)
    for name in ("streamz", "bytewax"):  # third-party engines may be missing or fail here
        assert contenders[name]["status"] in ("ok", "skipped", "error")


def test_quick_p1_reports_missing_engines_as_skipped(tmp_path):
    # packages named streamz and bytewax that fail to import shadow any installed ones
    fakes = tmp_path / "fakes"
    for name in ("streamz", "bytewax"):
        (fakes / name).mkdir(parents=True)
        (fakes / name / "__init__.py").write_text(f"raise ImportError('{name} hidden by test')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(fakes), env.get("PYTHONPATH")]))
    stdout, doc = _run_quick_p1(tmp_path, env)
    contenders = doc["benchmarks"]["p1"]["contenders"]
    assert contenders["streamz"]["status"] == "skipped"
    assert contenders["bytewax"]["status"] == "skipped"
    assert contenders["hydro_lab"]["status"] == "ok"
    assert "SKIPPED" in stdout



def test_quick_p8_explores_every_execution_and_fuzzes_paxos(tmp_path):
    out_json = tmp_path / "p8.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "p8", "--runs", "1",
         "--json", str(out_json)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "GOAL P8 [4 unordered messages, exhaustive]: exhaustive_4 median" in proc.stdout
    p8 = json.loads(out_json.read_text())["benchmarks"]["p8"]
    contenders = p8["contenders"]
    assert {c["status"] for c in contenders.values()} == {"ok"}
    assert contenders["exhaustive_4"]["extras_median"]["explorations"] >= 1
    assert contenders["exhaustive_6"]["extras_median"]["progress_reports"] >= 1
    assert p8["paxos_executions"] == 40 and sum(p8["paxos_committed_slots"].values()) == 40


@pytest.mark.ray
def test_quick_p4_echo_on_ray_runs_and_reports_latencies(tmp_path):
    # one Ray benchmark end to end (its own Ray session, in the child): about 15 s
    pytest.importorskip("ray")
    out_json = tmp_path / "quick.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "p4", "--runs", "1",
         "--json", str(out_json)],
        cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "P4  echo round trip" in proc.stdout
    assert "GOAL P4: hydro_lab median" in proc.stdout
    p4 = json.loads(out_json.read_text())["benchmarks"]["p4"]
    for name in ("hydro_lab", "ray_call"):
        entry = p4["contenders"][name]
        assert entry["status"] == "ok"
        assert len(entry["values"]) == 1
        assert 0 < entry["median"] < 1.0  # seconds per round trip
        assert entry["extras_median"]["p99"] >= entry["median"]
    assert p4["goals"][0]["contender"] == "hydro_lab"


def test_p10_measures_chapter_4s_flow_locally_with_its_live_plot_updating():
    """P10's local_live contender, one short run in this process: the collector's total grows
    (events taken from both servers' logs), and the live plot's updates are counted."""
    from benchmarks.p10_live_metrics import _flow_run

    extras: dict[str, float] = {}
    measured = _flow_run("local_live", "local", True, 1.0, "")
    rate = measured.run(lambda name, value: extras.__setitem__(name, value))
    assert rate > 10_000  # events/s; the benchmark's goal is 50,000 (and it takes ~700,000)
    assert set(extras) == {"plot_updates_hz", "pump_refreshes_hz"}
    assert extras["plot_updates_hz"] > 0 and extras["pump_refreshes_hz"] > 0
