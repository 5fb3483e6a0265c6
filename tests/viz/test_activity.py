"""The activity overlay (a replay's step): exactly the active nodes, and the edges between them,
are lit; nothing else in the drawing moves."""

from __future__ import annotations

import re
import shutil

import pytest

from hydro_lab import FlowBuilder, HydroError
from hydro_lab.viz import graph_of_program

HAS_DOT = shutil.which("dot") is not None
# a DOT statement's attributes: quoted strings may hold newlines and brackets
_ATTRS = r'\[((?:[^"\]<]|"(?:[^"\\]|\\.)*"|<[^\n]*>)*)\]'
NODE = re.compile(r'^\s*(\w+) ' + _ATTRS, re.M)
EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: ' + _ATTRS + ')?', re.M)


def node_stmts(dot: str) -> list[tuple[str, str]]:
    return [(k, a) for k, a in NODE.findall(dot)
            if k not in ("graph", "node", "edge") and not k.startswith("legend")]


def classes(attrs: str) -> set[str]:
    m = re.search(r'class=(?:"([^"]*)"|(\w+))', attrs)
    return set((m.group(1) or m.group(2)).split()) if m else set()


def nodes_by_class(dot: str, cls: str) -> set[str]:
    return {key for key, attrs in node_stmts(dot) if cls in classes(attrs)}


def small_flow():
    flow = FlowBuilder("small")
    p, q = flow.process("p"), flow.process("q")
    src = p.source_iter([1, 2, 3])
    doubled = src.map(lambda x: x * 2)
    evens = doubled.filter(lambda x: x % 4 == 0)
    sent = evens.send(q)
    sent.for_each(print)
    return flow, (src, doubled, evens, sent)


def test_the_overlay_marks_exactly_the_active_nodes():
    flow, (src, doubled, evens, sent) = small_flow()
    graph = flow.graph()
    lit = graph.with_activity({src.node_id: 3, doubled.node_id: 3})
    dot = lit.to_dot()
    assert nodes_by_class(dot, "active") == {f"n{src.node_id}", f"n{doubled.node_id}"}
    all_nodes = {k for k, _ in node_stmts(dot)}
    assert nodes_by_class(dot, "idle") == all_nodes - nodes_by_class(dot, "active")
    assert lit.active == {f"n{src.node_id}", f"n{doubled.node_id}"}
    # the count is in the tooltip of an active node
    attrs = dict(node_stmts(dot))[f"n{src.node_id}"]
    assert "active: 3 elements" in attrs and "#ffd54f" in attrs


def test_edges_light_only_between_two_active_nodes():
    flow, (src, doubled, evens, sent) = small_flow()
    dot = flow.graph().with_activity([src.node_id, doubled.node_id]).to_dot()
    lit = {(a, b) for a, b, attrs in EDGE.findall(dot) if "active" in classes(attrs or "")}
    assert lit == {(f"n{src.node_id}", f"n{doubled.node_id}")}


def test_the_overlay_keeps_the_drawing():
    flow, (src, *_rest) = small_flow()
    graph = flow.graph()
    plain, lit = graph.to_dot(), graph.with_activity([src.node_id]).to_dot()
    assert [k for k, _ in node_stmts(plain)] == [k for k, _ in node_stmts(lit)]
    assert [(a, b) for a, b, _ in EDGE.findall(plain)] == [(a, b) for a, b, _ in EDGE.findall(lit)]

    def labels(dot):
        return [re.search(r'label=("[^"]*"|\S+)', a).group(1) for _, a in node_stmts(dot)]

    assert labels(plain) == labels(lit)
    assert nodes_by_class(plain, "active") == set() and nodes_by_class(plain, "idle") == set()


def test_no_activity_fades_everything():
    flow, _ = small_flow()
    dot = flow.graph().with_activity({}).to_dot()
    assert nodes_by_class(dot, "active") == set() and nodes_by_class(dot, "idle")


def test_text_marks_active_nodes():
    flow, (src, doubled, *_rest) = small_flow()
    text = flow.graph().with_activity({doubled.node_id: 2}).to_text()
    marked = [line for line in text.splitlines() if "* active" in line]
    assert len(marked) == 1 and f"n{doubled.node_id} " in marked[0] and "(2)" in marked[0]


def test_unknown_nodes_are_refused():
    flow, _ = small_flow()
    with pytest.raises(HydroError, match="is not a node of this graph"):
        flow.graph().with_activity([999])


def test_svg_carries_the_active_class():
    if not HAS_DOT:
        pytest.skip("needs the dot binary")
    flow, (src, *_rest) = small_flow()
    svg = flow.graph().with_activity([src.node_id]).to_svg()
    active = re.findall(r'<g id="[^"]*" class="node ([^"]*)">\s*<title>(\w+)</title>', svg)
    assert {title for cls, title in active if "active" in cls.split()} == {f"n{src.node_id}"}


def test_overlay_from_a_recording_of_the_program():
    flow, (src, doubled, evens, sent) = small_flow()
    d = flow.deploy()
    d.step(1)
    d.stop()
    from hydro_lab.observe.recording import Recording

    rec = Recording.from_deployment(d)
    step = rec.steps("p", tick=0)[0]
    dot = graph_of_program(rec.program).with_activity(rec.active_nodes(step)).to_dot()
    # 1, 2, 3 doubled is 2, 4, 6; only 4 passes the filter and is sent
    assert nodes_by_class(dot, "active") == {f"n{n.node_id}" for n in (src, doubled, evens, sent)}
    assert rec.active_nodes(step)[evens.node_id] == 1
