"""Graph writers: golden DOT for three flows, and the properties every writer must keep."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hydro_lab import FlowBuilder, HydroError
from hydro_lab.viz import MIME_TYPE
from hydro_lab.viz.mermaid import escape as mermaid_escape
from tests.conftest import assert_snapshot
from tests.flows import echo_flow, nasty_flow, pi_flow, two_pc_flow

SNAP = Path(__file__).parent / "snapshots"
HAS_DOT = shutil.which("dot") is not None


FLOWS = {"estimate_pi": pi_flow, "echo": echo_flow, "two_pc": two_pc_flow}


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_dot_golden(name):
    assert_snapshot(FLOWS[name]().graph().to_dot(), SNAP / f"{name}.dot")


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_dot_renders_with_graphviz(name):
    if not HAS_DOT:
        pytest.skip("needs the dot binary")
    svg = FLOWS[name]().graph().to_svg()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_locations_are_boxes_with_ticks_nested():
    dot = pi_flow().graph().to_dot()
    workers = dot.index('subgraph cluster_loc2 {')
    tick = dot.index('subgraph cluster_loc3 {')
    leader = dot.index('subgraph cluster_loc1 {')
    assert workers < tick  # the tick's box is written inside the cluster's box
    assert 'label="cluster workers"' in dot and 'label="tick t3"' in dot
    assert 'label="process leader"' in dot and leader < workers


def test_node_types_are_colored():
    model = two_pc_flow().graph().model
    types = {n.type for n in model.nodes}
    assert {"source", "transform", "join", "aggregation", "network", "sink", "tee", "nondet",
            "port"} <= types
    dot = two_pc_flow().graph().to_dot()
    assert 'class=aggregation' in dot and 'fillcolor="#fde2c8"' in dot


def _edge_line(dot, src, dst):
    return next(line for line in dot.splitlines() if line.strip().startswith(f"{src} -> {dst}"))


def test_edge_styles_distinguish_network_noorder_unbounded_keyed():
    graph = pi_flow().graph()
    dot = graph.to_dot()
    edges = {(e.src, e.dst): e for e in graph.model.edges}
    network = next(e for e in edges.values() if e.network)
    assert "style=dashed" in _edge_line(dot, network.src, network.dst)
    noorder = next(e for e in edges.values() if e.order == "NoOrder")
    assert 'color="#d95f02"' in _edge_line(dot, noorder.src, noorder.dst)
    keyed = next(e for e in edges.values() if e.keyed)
    assert "arrowhead=normalnormal" in _edge_line(dot, keyed.src, keyed.dst)
    bounded = next(e for e in edges.values() if e.bound == "Bounded" and e.kind == "Stream")
    unbounded = next(e for e in edges.values() if e.bound == "Unbounded" and not e.network)
    assert "penwidth" not in _edge_line(dot, bounded.src, bounded.dst)
    assert "penwidth=2.2" in _edge_line(dot, unbounded.src, unbounded.dst)


def test_cycle_back_edges_are_drawn():
    graph = two_pc_flow().graph()
    cycles = [e for e in graph.model.edges if e.cycle]
    assert len(cycles) == 1 and cycles[0].label == "next tick"
    assert "style=dotted" in _edge_line(graph.to_dot(), cycles[0].src, cycles[0].dst)


def test_dot_escapes_user_strings():
    dot = nasty_flow().graph().to_dot()
    assert '\\"quoted\\"' in dot          # quotes escaped
    assert "\\\\n" in dot                 # a backslash in user code stays a backslash
    assert "label=<" not in dot.replace("label=<<TABLE", "")  # no user string became HTML
    if HAS_DOT:
        svg = nasty_flow().graph().to_svg()
        assert "&lt;b&gt;bold&lt;/b&gt;" in svg
        assert "<b>bold</b>" not in svg


def test_mermaid_escapes_user_strings():
    text = nasty_flow().graph().to_mermaid()
    for line in text.splitlines():
        if '["' in line:
            inner = line.split('["', 1)[1].rsplit('"]', 1)[0]
            assert '"' not in inner and "<" not in inner and "|" not in inner
    assert mermaid_escape('a"<b>') == "a#34;#60;b#62;"


def test_mermaid_structure():
    text = two_pc_flow().graph().to_mermaid()
    assert text.startswith("flowchart TB\n")
    assert text.count("subgraph ") == text.count("\n  end") + text.count("\n    end") \
        + text.count("\n      end")
    assert "-.->" in text and "==>" in text and "classDef aggregation" in text


def test_json_is_the_view_the_extension_reads():
    graph = two_pc_flow().graph()
    data = json.loads(graph.to_json())
    assert data["title"] == "two_pc" and data["kind"] == "ir"
    keys = {n["id"] for n in data["nodes"]}
    for e in data["edges"]:
        assert e["src"] in keys and e["dst"] in keys
    groups = {g["id"] for g in data["groups"]}
    assert all(n["group"] in groups for n in data["nodes"])
    assert any(e.get("kind") == "KeyedStream" for e in data["edges"])
    assert any(e.get("network") for e in data["edges"])


def test_json_keeps_nasty_strings_exact():
    data = json.loads(nasty_flow().graph().to_json())
    labels = [n["long_label"] for n in data["nodes"]]
    assert any('"quoted" + \'<b>bold</b>\' + "\\\\n" + x + "#;`|"' in label for label in labels)


def test_mimebundle_carries_the_payload_and_text():
    bundle = pi_flow().graph()._repr_mimebundle_()
    payload = bundle[MIME_TYPE]
    assert payload["version"] == 2 and payload["views"]["ir"]["nodes"]
    assert payload["views"]["dfir"]["nodes"]
    assert "process leader" in bundle["text/plain"]
    assert "text/vnd.graphviz" not in bundle  # the extension lays out; DOT is graph.to_dot()


def test_save_picks_the_format_from_the_extension(tmp_path):
    graph = echo_flow().graph()
    assert Path(graph.save(tmp_path / "g.dot")).read_text().startswith("digraph")
    assert Path(graph.save(tmp_path / "g.mmd")).read_text().startswith("flowchart")
    assert json.loads(Path(graph.save(tmp_path / "g.json")).read_text())["kind"] == "ir"
    scope = json.loads(Path(graph.save(tmp_path / "g.hydroscope.json")).read_text())
    assert scope["selectedHierarchy"] == "location" and scope["nodes"]
    with pytest.raises(HydroError, match="unknown file type '.png'"):
        graph.save(tmp_path / "g.png")


def test_incomplete_flow_still_draws():
    flow = FlowBuilder()
    _h, s = flow.process("p").forward_ref()
    s.for_each(print)
    text = flow.graph().to_text()
    assert "for_each(print)" in text


def test_labels_show_the_lambda_and_source_line():
    graph = pi_flow().graph()
    labels = [n.label for n in graph.model.nodes]
    assert "map(lambda _: (random.random(), random.random()))" in labels
    fold = next(n for n in graph.model.nodes if n.op == "fold")
    assert re.fullmatch(r"estimate_pi\.py, line \d+", fold.source)
    assert "acc[1] + 1)" in fold.long_label
