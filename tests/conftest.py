"""Shared fixtures: a small 'world' of locations and collections, and golden-file snapshots."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import settings

from hydro_lab import FlowBuilder, nondet

# Deterministic property tests: the same examples on every run and machine.
settings.register_profile("hydro_lab", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("hydro_lab")

UPDATE = os.environ.get("HYDRO_UPDATE_SNAPSHOTS") == "1"


def assert_snapshot(text: str, path: Path) -> None:
    """Compare ``text`` with the golden file; HYDRO_UPDATE_SNAPSHOTS=1 rewrites it."""
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"golden file {path} is missing; run with HYDRO_UPDATE_SNAPSHOTS=1 to "
                        "create it, then review it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    expected = path.read_text()
    if text != expected:
        import difflib

        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            "golden", "actual"))
        pytest.fail(f"{path.name} differs from the golden file (HYDRO_UPDATE_SNAPSHOTS=1 to "
                    f"accept):\n{diff[:6000]}")


@pytest.fixture
def world():
    """Locations and a collection of every kind and guarantee, all in one flow."""
    flow = FlowBuilder("world")
    p, q = flow.process("p"), flow.process("q")
    c, d = flow.cluster("c"), flow.cluster("d")
    ext = flow.external("client")
    tp, tc = p.tick(), c.tick()
    nd = nondet("test")
    w = SimpleNamespace(flow=flow, p=p, q=q, c=c, d=d, ext=ext, tp=tp, tc=tc, nd=nd)
    w.s_b = p.source_iter([1, 2, 3])                 # Stream Bounded TotalOrder ExactlyOnce
    w.s_u = p.spin().map(lambda _: 1)                # Stream Unbounded TotalOrder ExactlyOnce
    w.s_no = w.s_u.weaken_ordering()                 # NoOrder
    w.s_alo = w.s_u.weaken_retries()                 # AtLeastOnce
    w.pairs_b = p.source_iter([("a", 1), ("b", 2)])  # Stream of pairs, Bounded
    w.pairs_u = w.s_u.map(lambda x: ("k", x))        # Stream of pairs, Unbounded
    w.t_s = w.s_u.batch(tp, nd)                      # Stream in tick tp
    w.t_pairs = w.pairs_u.batch(tp, nd)
    w.ks_u = w.pairs_u.into_keyed()                  # KeyedStream Unbounded
    w.ks_t = w.t_pairs.into_keyed()                  # KeyedStream in tick
    w.sing_b = p.singleton(5)                        # Singleton Bounded top level
    w.sing_u = w.s_u.fold(lambda: 0, lambda a, x: a + x)   # Singleton Unbounded
    w.t_sing = tp.singleton(7)                       # Singleton in tick
    w.t_opt = w.t_s.max()                            # Optional in tick
    w.opt_u = w.s_u.max()                            # Optional Unbounded
    w.ksing_u = w.ks_u.fold(lambda: 0, lambda a, v: a + v)  # KeyedSingleton Unbounded
    w.ksing_t = w.ks_t.fold(lambda: 0, lambda a, v: a + v)  # KeyedSingleton in tick
    w.c_s = c.spin().map(lambda _: 1)                # Stream at the cluster
    return w


@pytest.fixture(scope="session")
def ray_session():
    """One Ray session for every test that needs Ray (2 CPUs, no dashboard)."""
    ray = pytest.importorskip("ray")
    from hydro_lab.deploy.ray import ensure_ray

    # address="local": a session of its own even when another Ray cluster runs on the machine
    # (ray.init() would join that one, and refuse num_cpus=)
    ensure_ray(address="local", num_cpus=2)
    yield ray
    ray.shutdown()


@pytest.fixture(params=["local", pytest.param("ray", marks=pytest.mark.ray)])
def backend(request):
    """Run a test once per backend: the same programs must behave the same on each."""
    if request.param == "ray":
        request.getfixturevalue("ray_session")
    return request.param


@pytest.fixture
def ipython_shell():
    """An IPython shell to display into, without a history database, gone afterwards: a shell
    left behind (with its history database) would be the one later tests'
    ``InteractiveShell.instance()`` returns."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    existed = InteractiveShell.initialized()
    config = Config()
    config.HistoryAccessor.enabled = False
    yield InteractiveShell.instance(config=config)
    if not existed:
        InteractiveShell.clear_instance()
