"""The DFIR view: per location, subgraphs boxed inside their stratum, pull/push operators,
handoffs between subgraphs, channels between locations, and delayed edges (tick, blocking,
reference) in red."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import assert_snapshot
from tests.flows import pi_flow, two_pc_flow

SNAP = Path(__file__).parent / "snapshots"


def test_dfir_dot_golden_for_estimate_pi():
    assert_snapshot(pi_flow().graph("dfir").to_dot(), SNAP / "estimate_pi.dfir.dot")


def test_subgraphs_are_boxes_inside_their_stratum():
    model = pi_flow().graph("dfir").model
    boxes = {b.key: b for b in model.boxes}
    labels = {b.label for b in model.boxes}
    assert {"process leader", "cluster workers"} <= labels
    subgraph_boxes = [b for b in model.boxes if b.kind == "subgraph"]
    assert subgraph_boxes and all(boxes[b.parent].kind == "stratum" for b in subgraph_boxes)
    assert {"stratum 0", "stratum 1"} <= {boxes[b.parent].label for b in subgraph_boxes}
    assert all(boxes[b.parent].kind in ("process", "cluster")
               for b in model.boxes if b.kind == "stratum")
    types = {n.type for n in model.nodes}
    assert {"pull", "push", "handoff"} <= types


def test_tick_edges_and_blocking_edges_are_red():
    graph = two_pc_flow().graph("dfir", location="coordinator")
    delays = {e.delay for e in graph.model.edges if e.delay}
    assert {"tick", "reference"} <= delays
    dot = graph.to_dot()
    assert 'arrowhead=odot color="#cc0000"' in dot or 'color="#cc0000"' in dot
    mermaid = graph.to_mermaid()
    assert "--o" in mermaid and "stroke:#cc0000" in mermaid
    assert {b.label for b in graph.model.boxes if b.parent is None} == {"process coordinator"}


def test_channels_between_locations_are_dashed_network_edges():
    graph = two_pc_flow().graph("dfir")
    net = [e for e in graph.model.edges if e.network]
    nodes = {n.key: n for n in graph.model.nodes}
    assert len(net) == len({n.channel for n in graph.model.nodes if n.channel})
    for e in net:
        assert nodes[e.src].op == "dest_port" and nodes[e.dst].op == "source_stream"
        assert nodes[e.src].channel == nodes[e.dst].channel == e.label
        assert nodes[e.src].box.split("_")[0] != nodes[e.dst].box.split("_")[0]
    assert "style=dashed" in graph.to_dot()


def test_dfir_json_and_svg():
    graph = pi_flow().graph("dfir")
    data = json.loads(graph.to_json())
    assert data["kind"] == "dfir"
    assert any(n["type"] == "handoff" for n in data["nodes"])
    if shutil.which("dot"):
        assert "<svg" in graph.to_svg()


def test_compiled_flow_shows_its_source_and_surface_syntax():
    compiled = pi_flow().compile()
    assert compiled.locations == ["leader", "workers"]
    src = compiled.source("workers")
    assert "def sg_1(" in src and "random" in src
    assert "fold" in compiled.surface_syntax("workers")
    with pytest.raises(Exception, match="no compiled location"):
        compiled.source("nowhere")
