"""``graph.to_hydroscope()``: the JSON of Hydro's own viewer, as ``hydro_lang/src/viz/json.rs``
writes it, so a hydro_lab graph opens there."""

from __future__ import annotations

import json

from hydro_lab.viz.hydroscope import NODE_TYPES
from tests.flows import paxos_flow, pi_flow, two_pc_flow


def containers(tree: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for item in tree:
        out[item["id"]] = item
        out.update(containers(item.get("children", [])))
    return out


def test_top_level_fields_are_hydros():
    scope = pi_flow().graph().to_hydroscope()
    assert set(scope) == {"nodes", "edges", "hierarchyChoices", "nodeAssignments",
                          "selectedHierarchy", "edgeStyleConfig", "nodeTypeConfig", "legend"}
    assert scope["selectedHierarchy"] == "location"
    assert [t["id"] for t in scope["nodeTypeConfig"]["types"]] == sorted(NODE_TYPES)
    assert scope["nodeTypeConfig"]["defaultType"] == "Transform"
    assert scope["edgeStyleConfig"]["semanticMappings"]["NetworkGroup"]["Network"] == {
        "line-pattern": "dashed", "animation": "animated"}
    json.dumps(scope)  # plain JSON


def test_nodes_carry_type_labels_location_and_backtrace():
    scope = pi_flow().graph().to_hydroscope()
    nodes = {n["id"]: n for n in scope["nodes"]}
    assert [n["id"] for n in scope["nodes"]] == sorted(nodes)  # deterministic, as Hydro sorts
    for n in scope["nodes"]:
        assert {"id", "nodeType", "fullLabel", "shortLabel", "label", "data"} <= set(n)
        assert n["nodeType"] in NODE_TYPES
        assert {"locationId", "locationType", "backtrace"} <= set(n["data"])
    reduce = next(n for n in scope["nodes"] if n["shortLabel"] == "reduce")
    assert reduce["nodeType"] == "Aggregation" and reduce["data"]["locationType"] == "Process"
    (frame,) = reduce["data"]["backtrace"]
    assert frame["file"] == frame["filename"] == "estimate_pi.py"
    assert frame["line"] == frame["lineNumber"] and frame["line"] > 0
    fold = next(n for n in scope["nodes"] if n["shortLabel"] == "fold")
    assert fold["data"]["locationType"] == "Cluster" and "tickId" in fold["data"]
    spin_batch = next(n for n in scope["nodes"] if n["shortLabel"] == "spin_batch")
    assert spin_batch["nodeType"] == "Source"  # a nondet operator keeps its role


def test_edges_are_tagged_with_their_semantics():
    scope = pi_flow().graph().to_hydroscope()
    nodes = {n["id"]: n for n in scope["nodes"]}
    edges = scope["edges"]
    assert all(e["semanticTags"] == sorted(e["semanticTags"]) for e in edges)
    into_send = [e for e in edges if nodes[e["target"]]["shortLabel"] == "send"]
    assert into_send and all("Network" in e["semanticTags"] for e in into_send)
    values = next(e for e in edges if nodes[e["source"]]["shortLabel"] == "values")
    assert {"Stream", "NoOrder", "Unbounded", "Local"} <= set(values["semanticTags"])
    keyed = [e for e in two_pc_flow().graph().to_hydroscope()["edges"]
             if "KeyedStream" in e["semanticTags"]]
    assert keyed and all("Keyed" in e["semanticTags"] for e in keyed)
    for e in edges:
        assert not ({"Network", "Local"} <= set(e["semanticTags"]))


def test_hierarchies_assign_every_node_to_a_container_that_exists():
    scope = paxos_flow().graph().to_hydroscope()
    ids = {n["id"] for n in scope["nodes"]}
    for choice in scope["hierarchyChoices"]:
        found = containers(choice["children"])
        assignments = scope["nodeAssignments"][choice["id"]]
        assert set(assignments) == ids
        assert set(assignments.values()) <= set(found)
    location = containers(scope["hierarchyChoices"][0]["children"])
    top = {c["name"] for c in scope["hierarchyChoices"][0]["children"]}
    assert {"process client", "cluster proposers", "cluster acceptors"} <= top
    ticks = [c for c in location.values() if c["name"].startswith("tick")]
    assert ticks  # ticks nest inside their location
    assert all(t["id"] not in {c["id"] for c in scope["hierarchyChoices"][0]["children"]}
               for t in ticks)
