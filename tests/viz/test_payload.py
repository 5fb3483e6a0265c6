"""The extension's payload (``viz/protocol.py``, mirrored by ``extension/src/protocol.ts``): its
structure for real flows, golden fixtures the extension's Jest tests read too, and the bundle a
notebook gets (no ``dot`` run for a front end that draws the graph itself)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hydro_lab import FlowBuilder
from hydro_lab.viz import MIME_TYPE, Graph, frontend, protocol
from tests.conftest import assert_snapshot
from tests.flows import big_flow, echo_flow, nasty_flow, paxos_flow, pi_flow, two_pc_flow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mime"
FLOWS = {"estimate_pi": pi_flow, "echo": echo_flow, "two_pc": two_pc_flow, "paxos": paxos_flow,
         "nasty": nasty_flow}


def check_view(view: protocol.GraphView) -> None:
    """What the renderer relies on: unique ids, a tree of groups, every node in a group, every
    edge between two nodes."""
    groups = {g["id"]: g for g in view["groups"]}
    assert len(groups) == len(view["groups"])
    for g in view["groups"]:
        assert g["parent"] is None or g["parent"] in groups, g
        seen, at = set(), g["id"]
        while at is not None:  # no cycle among parents
            assert at not in seen
            seen.add(at)
            at = groups[at]["parent"]
    nodes = {n["id"] for n in view["nodes"]}
    assert len(nodes) == len(view["nodes"])
    assert all(n["group"] in groups for n in view["nodes"])
    assert all({"id", "label", "long_label", "op", "type", "group"} <= set(n)
               for n in view["nodes"])
    edges = [e["id"] for e in view["edges"]]
    assert len(set(edges)) == len(edges)
    assert all(e["src"] in nodes and e["dst"] in nodes for e in view["edges"])
    # empty fields are left out, never sent as null/false/""
    for item in view["groups"] + view["nodes"] + view["edges"]:
        assert all(v is not False and v != "" for v in item.values()), item
        assert all(v is not None for k, v in item.items() if k != "parent"), item


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_payload_fixture(name):
    """The payload of each flow, kept as a golden fixture (tests/fixtures/mime/) that the
    extension's Jest tests read too: a change in the contract shows up as a diff."""
    payload = FLOWS[name]().graph().payload()
    assert payload["version"] == protocol.SCHEMA_VERSION == 2
    assert payload["view"] == "ir" and payload["title"]
    check_view(payload["views"]["ir"])
    check_view(payload["views"]["dfir"])
    assert "notes" not in payload
    assert_snapshot(json.dumps(payload, indent=1, ensure_ascii=False) + "\n",
                    FIXTURES / f"{name}.json")


def test_ir_view_nests_ticks_in_their_location_and_carries_the_details():
    view = pi_flow().graph().payload()["views"]["ir"]
    groups = {g["id"]: g for g in view["groups"]}
    tick = next(g for g in view["groups"] if g["kind"] == "tick")
    assert groups[tick["parent"]]["label"] == "cluster workers"
    reduce = next(n for n in view["nodes"] if n["op"] == "reduce")
    assert reduce["kind"] == "Optional<Unbounded>"
    assert reduce["source"].startswith("estimate_pi.py, line ")
    assert "reduce_commutative" in reduce["code_line"]
    send = next(n for n in view["nodes"] if n["type"] == "network")
    assert send["codec"] == "pickle" and send["channel"] == "workers->leader#1"
    sample = next(n for n in view["nodes"] if n["op"] == "sample_every")
    assert sample["nondet"] == "printing only"
    values = next(e for e in view["edges"] if e["src"] == next(
        n["id"] for n in view["nodes"] if n["op"] == "values"))
    assert (values["kind"], values["bound"], values["order"], values["retries"]) == (
        "Stream", "Unbounded", "NoOrder", "ExactlyOnce")
    assert any(e.get("network") for e in view["edges"])


def test_dfir_view_nests_location_stratum_subgraph_with_code_and_channels():
    payload = pi_flow().graph().payload()
    view = payload["views"]["dfir"]
    groups = {g["id"]: g for g in view["groups"]}
    for g in view["groups"]:
        parent = groups.get(g["parent"]) if g["parent"] else None
        expected = {"subgraph": "stratum", "stratum": ("process", "cluster")}.get(g["kind"])
        if expected is None:
            assert parent is None
        else:
            assert parent["kind"] in expected, g
    subgraphs = [g for g in view["groups"] if g["kind"] == "subgraph"]
    assert subgraphs and all(g["code"].lstrip().startswith("# subgraph") and
                             "def sg_" in g["code"] for g in subgraphs)
    ir_ids = {n["id"] for n in payload["views"]["ir"]["nodes"]}
    ops = [n for n in view["nodes"] if n["type"] != "handoff"]
    assert all(n["ir"] in ir_ids for n in ops)
    # the channel between the workers and the leader: a dashed edge from send to recv
    net = [e for e in view["edges"] if e.get("network")]
    assert len(net) == 1
    nodes = {n["id"]: n for n in view["nodes"]}
    assert nodes[net[0]["src"]]["op"] == "dest_port"
    assert nodes[net[0]["dst"]]["op"] == "source_stream"
    assert nodes[net[0]["src"]]["group"].startswith("loc2")  # workers send
    assert nodes[net[0]["dst"]]["group"].startswith("loc1")  # the leader receives
    assert nodes[net[0]["dst"]]["codec"] == "pickle"
    fold = next(n for n in ops if n["op"] == "fold")
    assert fold["kind"] == "Singleton<Bounded>" and fold["source"].startswith("estimate_pi.py")


def test_dfir_graph_has_the_ir_view_too():
    payload = pi_flow().graph("dfir").payload()
    assert payload["view"] == "dfir"
    check_view(payload["views"]["ir"])
    assert payload["views"]["ir"]["kind"] == "ir"


def test_a_flow_that_does_not_compile_yet_says_why_instead_of_a_dfir_view():
    flow = FlowBuilder("open")
    _handle, s = flow.process("p").forward_ref()
    s.for_each(print)
    payload = flow.graph().payload()
    assert payload["views"]["dfir"] is None
    assert payload["notes"]["dfir"].startswith("the flow does not compile yet: compile: forward "
                                               "reference")
    check_view(payload["views"]["ir"])


def test_the_dfir_view_is_the_flow_as_it_was_when_graph_was_called():
    flow = pi_flow()
    graph = flow.graph()
    flow.process("later").source_iter([1]).for_each(print)
    labels = {g["label"] for g in graph.payload()["views"]["dfir"]["groups"]}
    assert "process later" not in labels


def test_members_show_on_clusters_in_both_views():
    payload = pi_flow().graph().with_members({"workers": 3}).payload()
    for view in ("ir", "dfir"):
        cluster = next(g for g in payload["views"][view]["groups"] if g["kind"] == "cluster")
        assert cluster["members"] == 3
    assert "(3 members)" in pi_flow().graph().with_members({"workers": 3}).to_text()


def test_user_strings_are_kept_exactly():
    view = nasty_flow().graph().payload()["views"]["ir"]
    labels = [n["long_label"] for n in view["nodes"]]
    assert any("<script>alert('hydro')</script>" in label for label in labels)
    assert any('"quoted" + \'<b>bold</b>\'' in label for label in labels)


def test_the_bundle_runs_no_dot_for_a_frontend_that_draws(monkeypatch):
    monkeypatch.setattr(frontend, "frontend_draws", lambda: True)
    monkeypatch.setattr("hydro_lab.viz.graph.frontend_draws", lambda: True)
    monkeypatch.setattr("hydro_lab.viz.dot.dot_available", lambda: True)
    monkeypatch.setattr("hydro_lab.viz.dot.to_svg", _no_dot)
    bundle = pi_flow().graph()._repr_mimebundle_()
    assert set(bundle) == {MIME_TYPE, "text/plain"}
    assert "cluster workers" in bundle["text/plain"]


def test_svg_fallback_where_dot_exists_and_nothing_draws(monkeypatch):
    monkeypatch.setattr("hydro_lab.viz.graph.frontend_draws", lambda: False)
    monkeypatch.setattr("hydro_lab.viz.dot.dot_available", lambda: True)
    monkeypatch.setattr("hydro_lab.viz.dot.to_svg", lambda src: '<?xml ?>\n<svg>drawn</svg>')
    bundle = pi_flow().graph()._repr_mimebundle_()
    assert bundle["image/svg+xml"] == "<svg>drawn</svg>"
    monkeypatch.setattr(Graph, "svg_fallback", "never")
    assert "image/svg+xml" not in pi_flow().graph()._repr_mimebundle_()
    monkeypatch.setattr(Graph, "svg_fallback", "always")
    monkeypatch.setattr("hydro_lab.viz.graph.frontend_draws", lambda: True)
    assert "image/svg+xml" in pi_flow().graph()._repr_mimebundle_()
    monkeypatch.setattr("hydro_lab.viz.dot.dot_available", lambda: False)
    assert "image/svg+xml" not in pi_flow().graph()._repr_mimebundle_()


def test_svg_fallback_refuses_a_misspelt_mode(monkeypatch):
    from hydro_lab import HydroError

    monkeypatch.setattr("hydro_lab.viz.dot.dot_available", lambda: True)
    graph = pi_flow().graph()
    graph.svg_fallback = "sometimes"
    with pytest.raises(HydroError, match="'auto', 'always' or 'never'"):
        graph._repr_mimebundle_()


def _no_dot(_source):
    raise AssertionError("dot must not run for a front end that draws the graph")


def test_frontend_draws_only_under_a_jupyter_server_with_the_extension(monkeypatch, tmp_path):
    frontend.extension_installed.cache_clear()
    monkeypatch.setattr("jupyter_core.paths.jupyter_path", lambda *parts: [str(tmp_path)])
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/x.ipynb")
    assert not frontend.frontend_draws()  # no extension installed there
    frontend.extension_installed.cache_clear()
    (tmp_path / "hydro-lab").mkdir()
    (tmp_path / "hydro-lab" / "package.json").write_text("{}")
    assert frontend.frontend_draws()
    monkeypatch.delenv("JPY_SESSION_NAME")  # nbclient, VS Code, a terminal
    assert not frontend.frontend_draws()
    frontend.extension_installed.cache_clear()


def test_the_payload_of_2000_operators_is_made_quickly():
    flow = big_flow()
    start = time.perf_counter()
    payload = flow.graph().payload()
    elapsed = time.perf_counter() - start
    assert len(payload["views"]["ir"]["nodes"]) > 2000
    assert elapsed < 5, elapsed  # generous: a sanity bound, the figure is in benchmarks/


def test_unknown_version_fixture_is_there_for_the_extension():
    data = json.loads((FIXTURES / "unknown_version.json").read_text())
    assert data["version"] not in (protocol.SCHEMA_VERSION,)


def test_typed_dicts_name_every_field_the_payload_uses():
    payload = two_pc_flow().graph().payload()
    allowed = {"group": set(protocol.Group.__annotations__),
               "node": set(protocol.Node.__annotations__),
               "edge": set(protocol.Edge.__annotations__)}
    for view in payload["views"].values():
        for g in view["groups"]:
            assert set(g) <= allowed["group"]
        for n in view["nodes"]:
            assert set(n) <= allowed["node"]
        for e in view["edges"]:
            assert set(e) <= allowed["edge"]
    assert set(payload) <= set(protocol.Payload.__annotations__)


def test_protocol_ts_mirrors_the_python_contract():
    ts = (Path(__file__).resolve().parents[2] / "extension" / "src" / "protocol.ts").read_text()
    assert f"MIME_TYPE = '{protocol.MIME_TYPE}'" in ts
    assert f"COMM_TARGET = '{protocol.COMM_TARGET}'" in ts
    assert f"SCHEMA_VERSIONS: readonly number[] = [{protocol.SCHEMA_VERSION}]" in ts
    for typed, interface in ((protocol.Group, "IGroup"), (protocol.Node, "INode"),
                             (protocol.Edge, "IEdge"), (protocol.Payload, "IPayload"),
                             (protocol.Update, "IUpdate")):
        body = ts.split(f"export interface {interface} {{", 1)[1].split("\n}", 1)[0]
        for field in typed.__annotations__:
            assert f"  {field}" in body, (interface, field)

