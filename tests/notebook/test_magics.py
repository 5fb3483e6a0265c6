"""``%%hydro`` cells and ``%hydro`` verbs in an IPython shell, the way a notebook uses them."""

from __future__ import annotations

import re
import time

import pytest
from IPython.core.error import UsageError

from hydro_lab import FlowBuilder, Stream
from hydro_lab.errors import HydroError
from hydro_lab.notebook.magics import HydroMagics, _loaded
from hydro_lab.notebook.verbs import VERBS
from hydro_lab.viz import MIME_TYPE

SOURCE = "%%hydro\np = flow.process('p')\nnums = p.source_iter([1, 2, 3])\n"
DOUBLED = "%%hydro\ndoubled = nums.map(lambda x: x * 2)\ndoubled.for_each(print)\n"
NOT_COMMUTATIVE = ("%%hydro\nq = flow.process('q')\n"
                   "total = q.spin().map(lambda _: 1).weaken_ordering()"
                   ".reduce(lambda a, b: a + b)\n")


def ops(ip) -> list[str]:
    return [n.meta.op for n in ip.user_ns["flow"].ir().nodes.values()]


def usage_error(ran) -> str:
    assert not ran.ok
    assert isinstance(ran.error, UsageError), ran.error
    return str(ran.error)


# -- %%hydro cells ---------------------------------------------------------------------------------

def test_a_cell_runs_in_the_user_namespace_with_the_session_flow(ip, run, session):
    ran = run(SOURCE, "c1")
    assert ran.ok and ran.stderr == ""
    assert ip.user_ns["flow"] is session.flow and isinstance(session.flow, FlowBuilder)
    assert isinstance(ip.user_ns["nums"], Stream)
    assert [h.name for h in session.flow.locations] == ["p"]
    assert ops(ip) == ["source_iter"]
    # the nodes are tagged with the cell they came from, and point at its line
    (node,) = session.flow.ir().nodes.values()
    assert node.meta.source.cell_id == "c1"
    assert node.meta.source.where() == "notebook cell In [1], line 3"


def test_rerunning_a_cell_does_not_duplicate_its_nodes(ip, run, session):
    first = run(SOURCE, "c1")
    second = run(SOURCE, "c1")
    assert first.ok and second.ok, second.stderr
    assert ops(ip) == ["source_iter"]
    assert [h.name for h in session.flow.locations] == ["p"]  # no "already has a location 'p'"
    assert len(second.graph()["views"]["ir"]["nodes"]) == \
        len(first.graph()["views"]["ir"]["nodes"]) == 1
    assert list(session.cells) == ["c1"]


def test_editing_a_cell_replaces_its_nodes_and_rebuilds_later_cells(ip, run, session):
    assert run(SOURCE, "c1").ok and run(DOUBLED, "c2").ok
    assert ops(ip) == ["source_iter", "map", "for_each"]
    ran = run("%%hydro\np = flow.process('p')\nnums = p.source_iter([1, 2]).filter(bool)\n", "c1")
    assert ran.ok, ran.stderr
    assert ops(ip) == ["source_iter", "filter", "map", "for_each"]
    program = session.flow.ir()
    by_op = {n.meta.op: n for n in program.nodes.values()}
    assert by_op["map"].inputs() == (by_op["filter"].id,)  # the later cell uses the new nums
    assert ip.user_ns["doubled"]._ctx is session.flow._ctx  # and its names are rebound
    assert by_op["map"].meta.source.cell_id == "c2"
    assert [c.key for c in session.cells.values()] == ["c1", "c2"]  # first-execution order
    assert len(ran.graph()["views"]["ir"]["nodes"]) == 4


def test_replaying_cells_does_not_repeat_their_output(run):
    assert run("%%hydro\nprint('building p')\np = flow.process('p')\n", "c1").stdout \
        == "building p\n"
    ran = run("%%hydro\nprint('building q')\nq = flow.process('q')\n", "c2")
    assert ran.stdout == "building q\n"
    assert run("%%hydro\nprint('building q again')\nq = flow.process('q')\n", "c2").stdout \
        == "building q again\n"


def test_names_a_cell_no_longer_defines_are_removed(ip, run):
    ip.user_ns["b"] = "mine"
    assert run("%%hydro\np = flow.process('p')\na = p.source_iter([1])\nb = a.map(str)\n",
               "c1").ok
    assert isinstance(ip.user_ns["b"], Stream)
    assert run("%%hydro\np = flow.process('p')\na = p.source_iter([1])\n", "c1").ok
    assert ip.user_ns["b"] == "mine"  # back to what it was before the cell took the name
    assert ops(ip) == ["source_iter"]


def test_a_cell_that_no_longer_builds_is_reported_kept_and_restored(ip, run, session):
    assert run(SOURCE, "c1").ok and run(DOUBLED, "c2").ok
    renamed = run("%%hydro\np = flow.process('p')\nvalues = p.source_iter([1, 2, 3])\n", "c1")
    assert renamed.ok
    assert "%%hydro cell In [2] no longer builds" in renamed.stderr
    assert "NameError: name 'nums' is not defined" in renamed.stderr
    assert "at notebook cell In [2], line 2: doubled = nums.map(lambda x: x * 2)" in \
        renamed.stderr
    assert "Traceback" not in renamed.stderr
    assert ops(ip) == ["source_iter"] and "doubled" not in ip.user_ns
    assert list(session.cells) == ["c1", "c2"]  # kept
    assert "In [2]: does not build: NameError" in run("%hydro status").stdout
    fixed = run(SOURCE, "c1")  # the fix comes back: c2 builds again
    assert fixed.ok and "%%hydro cell In [2] builds again" in fixed.stdout
    assert ops(ip) == ["source_iter", "map", "for_each"]
    assert session.broken == []


def test_a_failing_cell_leaves_the_flow_unchanged_with_a_short_error(ip, run, session):
    assert run(SOURCE, "c1").ok
    before = session.flow.ir()
    ran = run(NOT_COMMUTATIVE, "c2")
    assert usage_error(ran) == "%%hydro cell In [2] was not added: the flow is unchanged"
    assert ran.stderr.startswith("HydroTypeError: reduce: the input is NoOrder")
    assert "at notebook cell In [2], line 3: total = q.spin()" in ran.stderr
    assert "Traceback" not in ran.stderr and "hydro_lab/" not in ran.stderr
    assert session.flow.ir() == before
    assert "q" not in ip.user_ns and "total" not in ip.user_ns
    assert list(session.cells) == ["c1"]
    # nothing half-built is left: the fixed cell can create process 'q' again
    fixed = NOT_COMMUTATIVE.replace("a + b)", "a + b, commutative='addition')")
    assert run(fixed, "c2").ok
    assert [h.name for h in session.flow.locations] == ["p", "q"]


def test_a_failing_cell_undoes_what_it_did_to_earlier_cells(ip, run, session):
    assert run("%%hydro\np = flow.process('p')\nhandle, loop = p.forward_ref()\n", "c1").ok
    ran = run("%%hydro\nhandle.complete(p.source_iter([1]))\nraise ValueError('oops')\n", "c2")
    assert usage_error(ran).endswith("was not added: the flow is unchanged")
    assert "ValueError: oops\n  at notebook cell In [2], line 3" in ran.stderr
    (cycle,) = session.flow.ir().cycles
    assert cycle.sink_node is None  # the completion was undone with the rest of the cell
    assert run("%%hydro\nhandle.complete(p.source_iter([1]))\n", "c2").ok


def test_a_failing_rerun_keeps_the_previous_version(ip, run, session):
    assert run(SOURCE, "c1").ok and run(DOUBLED, "c2").ok
    before, doubled = session.flow.ir(), ip.user_ns["doubled"]
    ran = run("%%hydro\ndoubled = nums.map(lambda x: x * 2).fold(lambda: 0)\n", "c2")
    assert usage_error(ran) == ("%%hydro cell In [3] was not rebuilt: the flow keeps the "
                                "cell's previous version")
    assert "at notebook cell In [3], line 2" in ran.stderr
    assert session.flow.ir() == before and ip.user_ns["doubled"] is doubled


def test_an_interrupted_rebuild_puts_everything_back(ip, run, session):
    ip.user_ns["interrupt"] = False
    assert run(SOURCE, "c1").ok
    assert run("%%hydro\nq = flow.process('q')\nif interrupt: raise KeyboardInterrupt\n",
               "c2").ok
    flow, q = session.flow, ip.user_ns["q"]
    ip.user_ns["interrupt"] = True
    ran = run(SOURCE.replace("[1, 2, 3]", "[4]"), "c1")
    assert isinstance(ran.error, KeyboardInterrupt)
    assert session.flow is flow and ip.user_ns["flow"] is flow and ip.user_ns["q"] is q
    assert [h.name for h in flow.locations] == ["p", "q"]
    assert "[1, 2, 3]" in session.cells["c1"].body


def test_nodes_built_outside_hydro_cells_are_reported_when_a_rebuild_drops_them(ip, run):
    assert run("x = flow.process('x')\nx.source_iter([1]).for_each(print)\n").ok
    assert run(SOURCE, "c1").ok
    ran = run(SOURCE, "c1")
    assert ran.stdout == ("note: rebuilding the flow dropped 2 node(s) built outside %%hydro "
                          "cells; build the flow in %%hydro cells\n")
    assert ops(ip) == ["source_iter"]


def test_a_syntax_error_points_at_the_cell_line(run, session):
    ran = run("%%hydro\np = flow.process('p')\nx = = 1\n", "c1")
    assert usage_error(ran).endswith("the flow is unchanged")
    assert ran.stderr.startswith("SyntaxError: invalid syntax\n"
                                 "  at notebook cell In [1], line 3: x = = 1")
    assert session.cells == {}


def test_without_a_cell_id_every_execution_is_a_new_cell_unless_named(ip, run, session):
    assert run(SOURCE).ok
    again = run(SOURCE)
    assert "already has a location named 'p'" in again.stderr
    assert usage_error(again).endswith("was not added: the flow is unchanged")
    named = "%%hydro --cell sources\nr = flow.process('r')\nrs = r.source_iter([1])\n"
    assert run(named).ok and run(named).ok
    assert ops(ip) == ["source_iter", "source_iter"]
    assert len(session.cells) == 2 and "sources" in session.cells


def test_a_cell_may_make_its_own_flow(ip, run, session):
    src = "%%hydro\nflow = FlowBuilder('pi')\nleader = flow.process('leader')\n"
    ip.user_ns["FlowBuilder"] = FlowBuilder
    assert run(src, "c1").ok and run(src, "c1").ok
    assert session.flow.name == "pi" and ip.user_ns["flow"] is session.flow
    assert [h.name for h in session.flow.locations] == ["leader"]


def test_bad_cell_options_are_usage_errors(run):
    message = usage_error(run("%%hydro --bogus\np = flow.process('p')\n"))
    assert "%%hydro: unrecognized arguments: --bogus" in message


# -- the live graph -------------------------------------------------------------------------------

def test_the_graph_renders_in_place_with_one_display_id(run, session):
    first = run(SOURCE, "c1")
    (shown,) = first.graphs()
    display_id = shown.transient["display_id"]
    assert not shown.update and display_id.startswith("hydro-graph-")
    assert {"text/plain", MIME_TYPE} <= set(shown.data)
    assert shown.data[MIME_TYPE]["key"] == display_id  # zoom and folds survive a redraw
    second = run(DOUBLED, "c2")
    (updated,) = second.graphs()
    assert updated.update and updated.transient["display_id"] == display_id
    assert len(updated.data[MIME_TYPE]["views"]["ir"]["nodes"]) == 3
    # re-running the cell holding the display cleared its output: it is displayed there anew
    rerun = run(SOURCE, "c1")
    (again,) = rerun.graphs()
    assert not again.update and again.transient["display_id"] == display_id
    # a failing re-run of the holder shows the (unchanged) graph again as well
    failed = run("%%hydro\np = flow.process('p')\nnums = undefined\n", "c1")
    assert not failed.ok and not failed.graphs()[0].update
    # a failing other cell does not touch the graph
    assert run("%%hydro\nraise ValueError('x')\n", "c3").graphs() == []


def test_graph_verb_shows_the_graph_here_and_switches_views(ip, run, session):
    assert run(SOURCE + "nums.for_each(print)\n", "c1").ok
    here = run("%hydro graph --dfir", "c2")
    assert here.ok and here.graph()["view"] == "dfir"
    assert not here.graphs()[0].update  # displayed in this cell, same display id
    assert here.graphs()[0].transient["display_id"] == session.display_id
    assert ip.run_line_magic("config", "HydroMagics.graph_view") == "dfir"
    later = run("%%hydro\nq = flow.process('q')\nq.source_iter([1]).for_each(print)\n", "c3")
    assert later.graph()["view"] == "dfir" and later.graphs()[0].update
    one = run("%hydro graph --location q", "c4")
    assert one.graph()["view"] == "dfir"
    assert [b["label"] for b in one.graph()["views"]["dfir"]["groups"]
            if b["kind"] in ("process", "cluster")] == ["process q"]
    back = run("%hydro graph --ir", "c5")
    assert back.graph()["view"] == "ir" and session.graph_location is None
    run("%%hydro\nclient = flow.external('client')\n", "c6")
    missing = usage_error(run("%hydro graph --location client"))
    assert missing == "%hydro graph: no process or cluster 'client'; this flow has p, q"
    assert usage_error(run("%hydro graph --ir --location p")) == \
        "%hydro graph: --location picks one location's DFIR program; it does not go with --ir"


def test_the_dfir_view_falls_back_to_ir_with_a_note_until_the_flow_compiles(run):
    assert run("%%hydro\np = flow.process('p')\nhandle, loop = p.forward_ref()\n"
               "loop.for_each(print)\n", "c1").ok
    ran = run("%hydro graph --dfir")
    note = ("DFIR view: the flow does not compile yet (compile: forward reference cycle2 "
            "(created at notebook cell In [1], line 3: handle, loop = p.forward_ref()) was never "
            "completed.); "
            "showing the IR view")
    assert ran.stdout == note + "\n"
    assert ran.graph()["view"] == "ir" and ran.graph()["views"]["dfir"] is None
    assert ran.graph()["notes"]["dfir"].startswith(
        "the flow does not compile yet: compile: forward reference cycle2")
    assert ran.graphs()[0].data["text/plain"].startswith(f"({note})\n")
    fixed = run("%%hydro\nhandle.complete(p.source_iter([1]))\n", "c2")
    assert fixed.stdout == "" and fixed.graph()["view"] == "dfir"


def test_live_graph_can_be_turned_off_with_config(ip, run):
    ip.run_line_magic("config", "HydroMagics.live_graph = False")
    ran = run(SOURCE, "c1")
    assert ran.ok and ran.outputs == []
    assert run("%hydro graph").graphs()  # shown when asked


def test_config_options_are_traits(ip, run, caplog):
    listed = run("%config HydroMagics")
    for option in ("backend", "graph_view", "live_graph", "cluster_size", "progress_interval"):
        assert f"HydroMagics.{option}" in listed.stdout
    ip.run_line_magic("config", "HydroMagics.graph_view = 'dfir'")
    assert run(SOURCE + "nums.for_each(print)\n", "c1").graph()["view"] == "dfir"
    run("%config HydroMagics.backend = 'cloud'")
    assert "expected any of ['local', 'ray'], not the str 'cloud'" in caplog.text
    assert ip.run_line_magic("config", "HydroMagics.backend") == "local"


# -- deploying and running ------------------------------------------------------------------------

def test_deploy_run_step_pause_resume_stop_status_metrics(ip, run, session):
    assert run("%%hydro\np = flow.process('p')\np.source_iter([1, 2, 3])"
               ".map(lambda x: x * 10).for_each(print)\n", "c1").ok
    deployed = run("%hydro deploy --local")
    assert deployed.ok, deployed.stderr
    assert deployed.stdout == "[p] 10\n[p] 20\n[p] 30\ndeployed on local: 1 instance (p); running\n"
    progress = [o for o in deployed.outputs if "text/html" in o.data]
    assert not progress[0].update and all(o.update for o in progress[1:])
    assert len({o.transient["display_id"] for o in progress}) == 1
    final = progress[-1].data["text/plain"]
    for stage in ("✓ compiling", "✓ creating 1 instance", "✓ first tick", "✓ starting"):
        assert stage in final
    assert run("%hydro pause").stdout == "deployment paused\n"
    assert run("%hydro step 2").stdout == "ran 2 rounds; ticks p 3\n"
    assert run("%hydro run --ticks 2").stdout == "ran 2 rounds; paused\n"
    ran = run("%hydro run --seconds 0.2")
    assert ran.ok and "ran 0.2 s" in ran.outputs[-1].data["text/plain"]
    assert session.deployment.state == "paused"  # paused before, paused after
    assert run("%hydro resume").stdout == "deployment running\n"
    status = run("%hydro status").stdout
    assert "deployment: local, running; instances: p" in status
    assert "flow 'flow': 3 IR nodes; locations: process p" in status
    assert "In [1]: 3 nodes" in status
    metrics = ip.run_line_magic("hydro", "metrics")
    assert set(metrics["location"]) == {"p"} and "tick_duration_s" in set(metrics["metric"])
    wide = ip.run_line_magic("hydro", "metrics --wide")
    assert "tick_duration_s" in wide.columns
    assert run("%hydro stop").stdout == "deployment stopped\n"
    assert run("%hydro stop").stdout == "the deployment was already stopped\n"
    assert "deployment: local, stopped" in run("%hydro status").stdout
    assert usage_error(run("%hydro run --ticks 1")) == \
        "%hydro run: the deployment is stopped; %hydro deploy runs the flow anew"
    assert len(ip.run_line_magic("hydro", "metrics")) == len(metrics)  # still there


def test_deploy_sizes_clusters_and_notes_a_changed_flow(ip, run, session):
    assert run("%%hydro\nleader = flow.process('leader')\nworkers = flow.cluster('workers')\n"
               "counted = workers.source_iter([1]).send(leader).values().count()\n", "c1").ok
    out = run("%hydro deploy --paused --size workers=3").stdout
    assert out == ("deployed on local: 4 instances (leader, workers[0], workers[1], "
                   "workers[2]); cluster sizes workers=3; created\n")
    ip.run_line_magic("config", "HydroMagics.cluster_size = 1")
    out = run("%hydro deploy --paused").stdout
    assert "2 instances (leader, workers[0]); cluster sizes workers=1; created" in out
    assert run("%hydro pause").stdout == \
        "the deployment has not started yet (%hydro resume starts it)\n"
    assert run("%%hydro\nextra = flow.process('extra')\n", "c2").ok
    stepped = run("%hydro step")
    assert stepped.stdout.startswith("note: the flow changed since it was deployed")
    assert "the flow changed since it was deployed" in run("%hydro status").stdout
    unknown = run("%hydro deploy --size nope=2")
    assert "HydroDeployError: cluster_sizes names ['nope']" in unknown.stderr
    assert usage_error(unknown) == "%hydro deploy (local) failed"


def test_deploy_and_run_errors_are_short(ip, run, session):
    assert usage_error(run("%hydro run --ticks 1")) == \
        "%hydro run: nothing is deployed yet; run %hydro deploy first"
    assert run("%%hydro\np = flow.process('p')\nhandle, loop = p.forward_ref()\n", "c1").ok
    ran = run("%hydro deploy")
    assert usage_error(ran) == "%hydro deploy (local) failed"
    assert ran.stderr.startswith("HydroTypeError: compile: forward reference")
    assert "✗ compiling: compile: forward reference" in ran.outputs[-1].data["text/plain"]
    assert session.deployment is None
    assert run("%%hydro\nhandle.complete(p.source_iter([1, 0]))\n"
               "loop.map(lambda x: 1 // x).for_each(print)\n", "c2").ok
    failed = run("%hydro deploy")
    assert usage_error(failed) == "%hydro deploy (local) failed"
    assert failed.stderr.startswith("HydroRuntimeError: ")
    assert "ZeroDivisionError" in failed.stderr and "In [4], line 3" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert session.deployment.state == "failed"
    again = run("%hydro step")
    assert usage_error(again) == ("%hydro step: the deployment failed (above); %hydro deploy "
                                  "runs the flow anew")
    assert again.stderr.startswith("HydroRuntimeError: map(lambda x: 1 // x)")
    assert run("%%hydro\nhandle.complete(p.source_iter([1, 2]))\n"
               "loop.map(lambda x: 2 // x).for_each(print)\n", "c2").ok
    redeployed = run("%hydro deploy")
    assert redeployed.ok and redeployed.stdout.startswith("[p] 2\n[p] 1\ndeployed on local")
    session.stop()


def test_reset_starts_over(ip, run, session):
    assert run(SOURCE + "nums.for_each(print)\n", "c1").ok
    assert run("%hydro deploy").ok
    deployment = session.deployment
    ran = run("%hydro reset")
    assert ran.stdout.endswith("hydro session reset: an empty flow, no %%hydro cells, "
                               "no deployment\n")
    assert deployment.state == "stopped"
    assert session.cells == {} and ops(ip) == [] and ip.user_ns["flow"] is session.flow
    assert "nums" not in ip.user_ns and "p" not in ip.user_ns
    assert ran.graph()["views"]["ir"]["nodes"] == [] and ran.graphs()[0].update
    again = run(SOURCE, "c1")  # 'p' can be built again...
    assert again.ok and len(again.graphs()) == 1
    assert not again.graphs()[0].update  # ...and the new flow is drawn anew, in this cell
    old_id = ran.graphs()[0].transient["display_id"]
    assert again.graphs()[0].transient["display_id"] != old_id


def test_reset_starts_over_after_a_failed_deployment_too(ip, run, session):
    assert run("%%hydro\np = flow.process('p')\n"
               "p.source_iter([1, 0]).map(lambda x: 1 // x).for_each(print)\n", "c1").ok
    run("%hydro deploy")
    assert session.deployment.state == "failed"
    ran = run("%hydro reset")
    assert ran.ok and ran.stderr == ""  # the deploy cell showed the failure; nothing to add
    assert ran.stdout.endswith("hydro session reset: an empty flow, no %%hydro cells, "
                               "no deployment\n")
    assert session.deployment is None and session.cells == {} and ops(ip) == []
    assert "deployment: none" in run("%hydro status").stdout
    assert run("%%hydro\np = flow.process('p')\n", "c2").ok  # 'p' can be built again


def test_dashboard_displays_what_the_deployment_gives(ip, run, session):
    assert usage_error(run("%hydro dashboard")) == \
        "%hydro dashboard: nothing is deployed yet; run %hydro deploy first"

    class View:
        def _repr_html_(self):
            return "<b>live dashboard</b>"

    class Fake:
        calls = 0

        def dashboard(self):
            Fake.calls += 1
            return View()

    session.deployment = Fake()
    ran = run("%hydro dashboard")
    assert ran.ok and Fake.calls == 1
    assert ran.outputs[0].data["text/html"] == "<b>live dashboard</b>"

    class Unregistered:
        def dashboard(self):
            raise HydroError("the 'dashboard' view is not registered: import hydro_lab.dashboard")

    session.deployment = Unregistered()
    ran = run("%hydro dashboard")
    assert usage_error(ran) == "%hydro dashboard: no dashboard to show"
    assert ran.stderr.startswith("HydroError: the 'dashboard' view is not registered")
    session.deployment = None


def test_dashboard_of_a_local_deployment_is_a_widget(ip, run, session):
    assert run("%%hydro\np = flow.process('p')\nn = p.spin().map(lambda _: 1).count()\n",
               "c1").ok
    assert run("%hydro deploy --paused").ok
    ran = run("%hydro dashboard")
    assert ran.ok, ran.stderr
    assert any("application/vnd.jupyter.widget-view+json" in o.data for o in ran.outputs)
    session.stop()


def test_deploy_on_ray_shows_its_stages(ip, run, session, monkeypatch):
    import sys
    import types

    from hydro_lab.flow import CompiledFlow

    started, warmed = [], []
    fake_ray = types.ModuleType("hydro_lab.deploy.ray")
    fake_ray.ensure_ray = lambda *a, **k: started.append(True)
    fake_ray.start_ray_in_background = lambda *a, **k: warmed.append(True)
    monkeypatch.setitem(sys.modules, "hydro_lab.deploy.ray", fake_ray)
    real_deploy = CompiledFlow.deploy
    backends = []

    def deploy(self, backend="local", cluster_sizes=None, **options):
        backends.append(backend)  # the Ray backend itself is tested in tests/deploy
        return real_deploy(self, "local", cluster_sizes, **options)

    monkeypatch.setattr(CompiledFlow, "deploy", deploy)
    assert run("%%hydro\nleader = flow.process('leader')\nworkers = flow.cluster('workers')\n",
               "c1").ok
    ip.run_line_magic("config", "HydroMagics.backend = 'ray'")
    _loaded[id(ip)].warming.join(5)  # the warm start (its own tests are below)
    assert warmed == [True]
    ran = run("%hydro deploy")
    assert ran.ok and started == [True] and backends == ["ray"]
    texts = [o.data["text/plain"] for o in ran.outputs if MIME_TYPE not in o.data]
    assert "▸ starting Ray…" in texts[2] and "▸ deploying 3 actors…" in texts[3]
    assert "▸ first tick…" in texts[4]
    for stage in ("✓ starting Ray", "✓ deploying 3 actors", "✓ first tick"):
        assert stage in texts[-1]
    assert "[####################]" in texts[-1]
    session.stop()


def fake_ray_backend(monkeypatch) -> list:
    """A stand-in for ``hydro_lab.deploy.ray`` whose ``start_ray_in_background`` notes each
    call (from the warm start's thread) in the list returned."""
    import sys
    import types

    calls = []
    fake = types.ModuleType("hydro_lab.deploy.ray")
    fake.start_ray_in_background = lambda *a, **k: calls.append((a, k))
    monkeypatch.setitem(sys.modules, "hydro_lab.deploy.ray", fake)
    return calls


def test_the_warm_start_begins_only_when_the_backend_is_ray_and_it_is_on(ip, run, monkeypatch):
    calls = fake_ray_backend(monkeypatch)
    magics = _loaded[id(ip)]
    assert magics.backend == "local" and magics.warm_start is True
    assert magics.warming is None  # %load_ext with the local backend: no Ray
    assert run("%config HydroMagics.warm_start = False").ok
    assert run("%config HydroMagics.backend = 'ray'").ok
    assert magics.warming is None and calls == []  # turned off: Ray starts at deploy
    assert run("%config HydroMagics.warm_start = True").ok  # on again, the backend Ray
    magics.warming.join(5)
    assert calls == [((), {})]
    thread = magics.warming
    assert run("%config HydroMagics.backend = 'local'").ok
    assert run("%config HydroMagics.backend = 'ray'").ok
    assert magics.warming is thread and calls == [((), {})]  # once per session


def test_load_ext_starts_ray_in_the_background_when_the_config_says_ray(ip, monkeypatch):
    calls = fake_ray_backend(monkeypatch)
    ip.run_line_magic("unload_ext", "hydro_lab")
    ip.config.HydroMagics.backend = "ray"  # as a config file or --HydroMagics.backend=ray
    ip.run_line_magic("load_ext", "hydro_lab")
    magics = _loaded[id(ip)]
    assert magics.backend == "ray" and magics.warming is not None
    magics.warming.join(5)
    assert calls == [((), {})]

    ip.run_line_magic("unload_ext", "hydro_lab")
    ip.config.HydroMagics.warm_start = False
    ip.run_line_magic("load_ext", "hydro_lab")
    off = _loaded[id(ip)]
    assert off.backend == "ray" and off.warming is None and len(calls) == 1
    ip.run_line_magic("unload_ext", "hydro_lab")
    off.warm_start = True  # unloaded: it no longer starts anything
    assert off.warming is None and len(calls) == 1
    ip.config.pop("HydroMagics")
    ip.run_line_magic("load_ext", "hydro_lab")  # for the fixture to unload


@pytest.mark.ray
def test_deploy_on_ray_for_real(ip, run, session, ray_session):
    assert run("%%hydro\np = flow.process('p')\np.source_iter([1, 2]).for_each(print)\n",
               "c1").ok
    ran = run("%hydro deploy --ray")
    assert ran.ok, ran.stderr
    # (the actor's prints reach the driver whenever Ray's log thread forwards them: they may
    # follow this line in the same cell)
    assert "deployed on ray: 1 instance (p); running\n" in ran.stdout
    progress = [o for o in ran.outputs if MIME_TYPE not in o.data]
    assert "✓ deploying 1 actor" in progress[-1].data["text/plain"]
    (graph,) = [o for o in ran.outputs if MIME_TYPE in o.data]  # the graph above, now live
    assert graph.update and graph.data[MIME_TYPE]["live"]["state"] == "running"
    # (the actor's prints reach the driver whenever Ray's log thread forwards them)
    assert "ran 2 rounds" in run("%hydro step 2").stdout
    assert run("%hydro stop").stdout.endswith("deployment stopped\n")
    assert session.deployment.state == "stopped"


# -- simulating -----------------------------------------------------------------------------------

SIM_FLOW = ("%%hydro\nfrom hydro_lab import Order, nondet\np = flow.process('p')\n"
            "port, s = p.sim_input(order=Order.NO_ORDER)\n"
            "out = s.batch(p.tick(), nondet('test')).all_ticks().sim_output()\n")
BODY = ("def body(inst):\n    i, o = inst.connect(port), inst.connect(out)\n"
        "    i.send_many_unordered([1, 2, 3])\n    assert sorted(o.collect()) == [1, 2, 3]\n")


def test_sim_counts_executions_and_shows_progress_in_place(ip, run, session):
    assert run(SIM_FLOW, "c1").ok and run(BODY).ok
    ip.run_line_magic("config", "HydroMagics.progress_interval = 0")
    ran = run("%hydro sim")
    assert ran.ok and ran.stdout == "%hydro sim exhaustive: 13 executions, all passed\n"
    assert session.last_sim == 13
    updates = [o for o in ran.outputs if "text/html" in o.data]
    assert not updates[0].update and all(o.update for o in updates[1:])
    assert len({o.transient["display_id"] for o in updates}) == 1
    texts = [o.data["text/plain"] for o in updates]
    assert any("exhaustive: 5 executions in" in t for t in texts)  # from SimProgress
    assert "13 executions in" in texts[-1] and "all passed" in texts[-1]
    fuzz = run("%hydro sim --fuzz 7 --seed 3 body")
    assert fuzz.stdout == "%hydro sim fuzz: 7 executions, all passed\n"
    assert "[####################]" in fuzz.outputs[-1].data["text/plain"]
    assert "last sim: 7 executions passed" in run("%hydro status").stdout


def test_sim_prints_a_failure_and_rejects_missing_bodies(ip, run, session):
    assert run(SIM_FLOW, "c1").ok
    assert run(BODY.replace("sorted(o.collect())", "o.collect()").replace("def body",
                                                                         "def ordered")).ok
    ran = run("%hydro sim ordered")
    assert ran.ok
    assert ran.stdout.startswith("%hydro sim exhaustive: a failing execution\nAssertionError")
    assert "replay: sim.run(ordered, schedule=" in ran.stdout and "--- trace ---" in ran.stdout
    assert type(session.last_sim).__name__ == "SimFailure"
    # the printed replay line runs in the notebook as printed: the same failure again
    replay = re.search(r"replay: (sim\.run\(ordered, schedule=\[[\d, ]*\]\))", ran.stdout)[1]
    assert ip.user_ns["sim"] is session.last_sim_run[0]
    again = run(replay)
    assert type(again.error).__name__ == "SimFailure"
    assert again.error.schedule == session.last_sim.schedule
    assert usage_error(run("%hydro sim")) == (
        "%hydro sim: no test function 'body' in the notebook; define `def body(inst): ...` "
        "or name yours: %hydro sim my_test")
    ip.user_ns["notfn"] = 3
    assert "'notfn' is a int, not a test function" in usage_error(run("%hydro sim notfn"))
    bad = run("%hydro sim ordered --size nope=2")
    assert "HydroDeployError: cluster_sizes names ['nope']" in bad.stderr
    assert usage_error(bad) == "%hydro sim: the flow cannot be simulated yet"


def test_replay_scrubs_the_last_sims_failing_execution(ip, run, session):
    assert usage_error(run("%hydro replay --sim")) == (
        "%hydro replay --sim: no simulation yet; run %hydro sim first")
    assert run(SIM_FLOW, "c1").ok
    assert run(BODY.replace("sorted(o.collect())", "o.collect()")).ok
    assert run("%hydro sim").ok and type(session.last_sim).__name__ == "SimFailure"
    ran = run("%hydro replay --sim")
    assert ran.ok, ran.stderr
    ticks = int(ran.stdout.split()[1])
    assert ran.stdout == f"replay: {ticks} ticks recorded\n" and ticks >= 2
    widget = [o for o in ran.outputs if "application/vnd.jupyter.widget-view+json" in o.data]
    assert len(widget) == 1  # the slider, the graph and the values, as one widget
    view = session.last_sim_run
    assert view[2] == session.last_sim.schedule  # the failing schedule is what is replayed


def test_deploy_binds_the_deployment_in_the_notebook(ip, run, session):
    assert run("%%hydro\nserver, client = flow.process('server'), flow.external('client')\n"
               "in_port, requests = server.source_external(client)\n"
               "out_port = requests.map(lambda s: s.upper()).send_external(client)\n", "c1").ok
    assert run("%hydro deploy --local").ok
    assert ip.user_ns["deployment"] is session.deployment
    ran = run("c = deployment.connect(in_port); r = deployment.connect(out_port)\n"
              "c.send('hi'); print(r.recv(timeout=5))")
    assert ran.ok and ran.stdout == "HI\n"
    session.stop()


def test_replay_records_the_deployments_ticks(ip, run, session):
    assert usage_error(run("%hydro replay")) == (
        "%hydro replay: nothing is deployed yet; run %hydro deploy first")
    assert run("%%hydro\np = flow.process('p')\n"
               "n = p.source_iter([1, 2, 3]).map(lambda x: x * 2).count()\n", "c1").ok
    assert run("%hydro deploy --paused").ok
    assert usage_error(run("%hydro replay")) == (
        "%hydro replay: the deployment has not ticked yet; %hydro step or %hydro run first")
    assert run("%hydro step 3").ok
    ran = run("%hydro replay")
    assert ran.ok and ran.stdout == "replay: 3 ticks recorded\n"
    assert any("application/vnd.jupyter.widget-view+json" in o.data for o in ran.outputs)
    session.stop()


# -- verbs, help and bad input ---------------------------------------------------------------------

def test_help_documents_every_verb(ip, run):
    doc = ip.find_line_magic("hydro").__doc__
    for verb in VERBS:
        assert f"%hydro {verb}" in doc
    for option in ("backend", "graph_view", "live_graph", "cluster_size"):
        assert option in doc
    assert "--cell NAME" in ip.find_cell_magic("hydro").__doc__
    helped = run("%hydro deploy --help")
    assert helped.ok and "--size NAME=N" in helped.stdout and "--ray" in helped.stdout


@pytest.mark.parametrize("line, message", [
    ("", "%hydro needs a verb: one of graph, deploy, run, step"),
    ("launch", "%hydro: unknown verb 'launch'; the verbs are graph, deploy, run, step, pause, "
               "resume, stop, status, sim, dashboard, metrics, replay, reset"),
    ("deploy --bogus", "%hydro deploy: unrecognized arguments: --bogus"),
    ("deploy --local --ray", "argument --ray: not allowed with argument --local"),
    ("deploy --size workers", "argument --size: expected NAME=N (a cluster and its members), "
                              "got 'workers'"),
    ("deploy --size workers=0", "argument --size: expected a positive integer, got '0'"),
    ("run", "one of the arguments --ticks --seconds is required"),
    ("run --ticks 1 --seconds 2", "argument --seconds: not allowed with argument --ticks"),
    ("run --seconds soon", "argument --seconds: expected a number of seconds, got 'soon'"),
    ("step -1", "argument N: expected a non-negative integer, got '-1'"),
    ("step many", "argument N: expected a non-negative integer, got 'many'"),
    ("sim --fuzz 0", "argument --fuzz: expected a positive integer, got '0'"),
    ("sim --exhaustive --fuzz 3", "argument --fuzz: not allowed with argument --exhaustive"),
    ("graph --dfir --ir", "argument --ir: not allowed with argument --dfir"),
    ("status now", "%hydro status: unrecognized arguments: now"),
    ("pause", "%hydro pause: nothing is deployed yet"),
    ("resume", "%hydro resume: nothing is deployed yet"),
    ("step", "%hydro step: nothing is deployed yet"),
    ("stop", "%hydro stop: nothing is deployed yet"),
    ("metrics", "%hydro metrics: nothing is deployed yet"),
])
def test_bad_verbs_and_options_are_usage_errors(run, line, message):
    error = usage_error(run(f"%hydro {line}"))
    assert message in error
    if "unrecognized" in message or "argument" in message or "verb" in message:
        assert "graph, deploy, run, step, pause, resume, stop, status, sim" in error


def test_unload_removes_the_magics(ip):
    ip.run_line_magic("unload_ext", "hydro_lab")
    try:
        assert ip.find_line_magic("hydro") is None and ip.find_cell_magic("hydro") is None
        assert not any(isinstance(c, HydroMagics) for c in ip.configurables)
    finally:
        ip.run_line_magic("load_ext", "hydro_lab")


# -- comments, every state, every error path ---------------------------------------------------

@pytest.mark.parametrize("verb", list(VERBS))
def test_a_comment_ends_every_verbs_line(run, verb):
    helped = run(f"%hydro {verb} --help  # what does it do?")
    assert helped.ok and helped.stdout.startswith(f"usage: %hydro {verb}")


def test_comments_in_hydro_lines_are_comments(ip, run, session):
    assert run("%%hydro --cell named  # builds q\nq = flow.process('q')\n").ok
    assert run("%%hydro --cell named  # again: replaces it\nq = flow.process('q')\n").ok
    assert list(session.cells) == ["named"]
    assert "In [2]: 0 nodes" in run("%hydro status  # where are we?").stdout
    assert run(SIM_FLOW, "c1").ok and run(BODY).ok
    assert run("%hydro sim body  # every execution").stdout == \
        "%hydro sim exhaustive: 13 executions, all passed\n"
    assert usage_error(run("%hydro  # no verb")).startswith("%hydro needs a verb")


FAILS_LATER = ("%%hydro\np = flow.process('p')\n"
               "p.tick().spin_batch(1).all_ticks().enumerate()"
               ".map(lambda ix: 1 // (2 - ix[0])).for_each(lambda x: None)\n")


def failed_in_the_background(session) -> None:
    deadline = time.monotonic() + 5
    while session.deployment.error is None and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize("state", ["created", "running", "paused", "stopped", "failed",
                                   "failed, then stopped"])
def test_reset_empties_the_session_whatever_state_the_deployment_is_in(ip, run, session,
                                                                        state):
    assert run(FAILS_LATER if "failed" in state else SOURCE + "nums.for_each(print)\n",
               "c1").ok
    run("%hydro deploy" + (" --paused" if state in ("created", "paused") else ""))
    if state == "paused":
        run("%hydro resume")
        run("%hydro pause")
    if "failed" in state:
        failed_in_the_background(session)
    if "stopped" in state:
        run("%hydro stop")
    deployment = session.deployment
    assert deployment.state == state.split()[-1]
    ran = run("%hydro reset")
    assert ran.ok and ran.stdout.endswith("hydro session reset: an empty flow, no %%hydro "
                                          "cells, no deployment\n")
    assert deployment.state == "stopped" and session.deployment is None
    assert run("%hydro status").stdout == (
        "flow 'flow': 0 IR nodes; locations: none\nno %%hydro cells yet\n"
        "live graph: ir view (not shown yet)\ndeployment: none (%hydro deploy)\n")


def test_reset_still_resets_when_stopping_the_deployment_fails(ip, run, session):
    assert run(SOURCE, "c1").ok and run("%hydro deploy --paused").ok

    def broken():
        raise OSError("the socket is gone")

    session.deployment.stop = broken
    ran = run("%hydro reset")
    assert ran.ok and ran.stderr.startswith("stopping the deployment failed; it is forgotten "
                                            "all the same: OSError: the socket is gone\n")
    assert session.deployment is None and session.cells == {} and ops(ip) == []


def test_a_background_failure_is_shown_once_in_the_next_cell(ip, run, session):
    assert run("%%hydro\np, client = flow.process('p'), flow.external('client')\n"
               "port, numbers = p.source_external(client)\n"
               "numbers.map(lambda s: 10 // int(s)).for_each(print)\n", "c1").ok
    assert run("%hydro deploy").ok
    assert run("deployment.connect(port).send('0')").ok
    failed_in_the_background(session)
    nxt = run("x = 1")
    assert nxt.stderr == (
        "HydroRuntimeError: map(lambda s: 10 // int(s)) raised ZeroDivisionError: integer "
        "division or modulo by zero\n"
        "  at notebook cell In [1], line 4: numbers.map(lambda s: 10 // int(s)).for_each(print)\n"
        "  element: '0'\n"
        "  in p, tick 1\n"
        "(the deployment of In [2] failed while it ran in the background: the flow no longer "
        "runs; %hydro deploy runs it anew)\n")
    assert run("x = 2").stderr == ""  # once
    assert "deployment: local, failed; instances: p\n  failed: HydroRuntimeError: " \
        "map(lambda s: 10 // int(s)) raised ZeroDivisionError" in run("%hydro status").stdout
    stopped = run("%hydro stop")
    assert stopped.ok and stopped.stderr == ""
    assert stopped.stdout.startswith("deployment stopped after a failure: HydroRuntimeError: "
                                     "map(lambda s: 10 // int(s)) raised ZeroDivisionError")
    assert "deployment: local, stopped after a failure; instances: p" in \
        run("%hydro status").stdout


def test_a_failure_a_cell_raised_itself_is_not_shown_again(ip, run, session):
    assert run("%%hydro\nserver, client = flow.process('server'), flow.external('client')\n"
               "in_port, requests = server.source_external(client)\n"
               "out_port = requests.map(lambda s: s.upper()).send_external(client)\n", "c1").ok
    assert run("%hydro deploy --paused").ok
    raised = run("c, r = deployment.connect(in_port), deployment.connect(out_port)\n"
                 "c.send(3)\nr.recv(timeout=5)")
    assert "HydroRuntimeError" in type(raised.error).__name__
    assert run("x = 1").stderr == ""


def test_a_deploy_that_fails_changes_nothing(ip, run, session):
    assert run(SOURCE + "nums.for_each(print)\n", "c1").ok
    assert run("%hydro deploy").ok
    running = session.deployment
    assert run("%%hydro\nhandle, loop = p.forward_ref()\n", "c2").ok  # does not compile
    failed = run("%hydro deploy")
    assert usage_error(failed) == "%hydro deploy (local) failed"
    assert session.deployment is running and running.state == "running"
    assert ip.user_ns["deployment"] is running
    sized = run("%hydro deploy --size nope=2")
    assert usage_error(sized) == "%hydro deploy (local) failed"
    assert session.deployment is running and running.state == "running"
    session.stop()


def test_connect_gives_a_connected_port_its_client_and_explains_an_edited_flow(ip, run,
                                                                               session):
    cell = ("%%hydro\nserver, client = flow.process('server'), flow.external('client')\n"
            "in_port, requests = server.source_external(client)\n"
            "out_port = requests.map(lambda s: s.upper()).send_external(client)\n")
    assert run(cell, "c1").ok and run("%hydro deploy").ok
    connect = "c, r = deployment.connect(in_port), deployment.connect(out_port)\n" \
              "c.send('hi'); print(r.recv(timeout=5))"
    assert run(connect, "c2").stdout == run(connect, "c2").stdout == "HI\n"
    edited = cell.replace("in_port, requests", "extra, more = server.source_external(client)\n"
                          "in_port, requests")
    assert run(edited, "c1").ok
    stale = run("deployment.connect(in_port)", "c3")
    assert "is not a port of the flow this deployment runs: the deployment runs the flow as it " \
        "was deployed; `%hydro deploy` again to use your edits" in str(stale.error)
    session.stop()


def progress_texts(ran) -> list[str]:
    return [o.data["text/plain"] for o in ran.outputs
            if "hydro-lab-progress" in o.data.get("text/html", "")]


def test_a_deploy_whose_first_ticks_fail_says_why_in_its_progress(ip, run, session):
    # the first tick itself fails: that stage gets a ✗, not a check mark, and the reason
    assert run("%%hydro\np = flow.process('p')\n"
               "p.source_iter([0]).map(lambda x: 1 // x).for_each(print)\n", "c1").ok
    first = run("%hydro deploy")
    final = progress_texts(first)[-1]
    assert "✓ creating 1 instance" in final and "first tick (" not in final
    assert "  ✗ first tick: map(lambda x: 1 // x) raised ZeroDivisionError: integer division " \
        "or modulo by zero\nHydroRuntimeError: map(lambda x: 1 // x) raised" in final
    assert "\n  element: 0\n" in final
    # the first background ticks fail: the progress, already all ticked, says so in place
    assert run(FAILS_LATER, "c1").ok
    later = run("get_ipython().run_line_magic('hydro', 'deploy')\n"
                "import time\ntime.sleep(0.5)")
    final = progress_texts(later)[-1]
    lines = final.splitlines()
    assert [line.split(" (")[0] for line in lines[1:5]] == [
        "  ✓ compiling", "  ✓ creating 1 instance", "  ✓ first tick", "  ✓ starting"]
    assert lines[5].startswith("  ✗ running: failed after ")
    assert lines[6] == ("HydroRuntimeError: map(lambda ix: 1 // (2 - ix[0])) raised "
                        "ZeroDivisionError: integer division or modulo by zero")
    assert "  element: (2, None)" in lines and "  in p, tick 2" in lines
    assert "hydro-lab-error" in later.outputs[-1].data.get("text/html", "") or any(
        "hydro-lab-error" in o.data.get("text/html", "") for o in later.outputs)
    if "deployed on local: 1 instance (p); failed" in later.stdout:  # it failed that early
        assert later.stderr.startswith("HydroRuntimeError: map(lambda ix: 1 // (2 - ix[0]))")
