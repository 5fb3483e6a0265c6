"""The graph payload and the live messages, as the JupyterLab extension reads them.

One contract, two readers: ``extension/src/protocol.ts`` mirrors these types field for field, and
the fixtures in ``tests/fixtures/mime/`` are read by pytest and by the extension's Jest tests. A
graph output carries a ``Payload`` under ``MIME_TYPE``; a live graph (a deployment's, a replay's)
names an ``id``, and the kernel sends ``Update`` messages for it on the ``COMM_TARGET`` comm: small
overlays of counts and rates, never the graph again.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

MIME_TYPE = "application/vnd.hydro-lab.graph+json"
SCHEMA_VERSION = 2
COMM_TARGET = "hydro_lab.graph"

ViewKind = Literal["ir", "dfir"]
LiveState = Literal["created", "running", "paused", "stopped", "failed", "replay"]


class Group(TypedDict):
    """A box: a location (process, cluster, external), a tick or atomic region inside one, or in
    the DFIR view a stratum or subgraph of a location."""

    id: str
    label: str
    kind: str  # process | cluster | external | tick | atomic | stratum | subgraph
    parent: str | None
    members: NotRequired[int | None]  # a cluster's member count, when known (a deployment)
    code: NotRequired[str | None]  # DFIR view, a subgraph: its generated Python


class Node(TypedDict):
    """An operator (or a port, or in the DFIR view a handoff)."""

    id: str
    label: str
    long_label: str
    op: str
    type: str  # source transform join aggregation network sink tee nondet port | pull push handoff
    group: str
    kind: NotRequired[str | None]  # e.g. "Stream<Unbounded, NoOrder, ExactlyOnce>"
    source: NotRequired[str | None]  # "notebook cell In [3], line 4" / "my_flow.py, line 12"
    code_line: NotRequired[str | None]
    nondet: NotRequired[str | None]
    codec: NotRequired[str | None]
    channel: NotRequired[str | None]
    ir: NotRequired[str | None]  # DFIR view: the IR node it was lowered from


class Edge(TypedDict):
    id: str
    src: str
    dst: str
    kind: NotRequired[str | None]
    bound: NotRequired[str | None]
    order: NotRequired[str | None]
    retries: NotRequired[str | None]
    network: NotRequired[bool]
    cycle: NotRequired[bool]
    delay: NotRequired[str | None]  # DFIR view: "tick", "stratum" or "reference"
    label: NotRequired[str]


class GraphView(TypedDict):
    kind: ViewKind
    groups: list[Group]
    nodes: list[Node]
    edges: list[Edge]


class Live(TypedDict):
    id: str
    state: LiveState
    status: NotRequired[str]


class Views(TypedDict):
    ir: GraphView
    dfir: NotRequired[GraphView | None]


class Payload(TypedDict):
    version: int
    title: str
    view: ViewKind
    views: Views
    notes: NotRequired[dict[str, str]]
    key: NotRequired[str | None]
    live: NotRequired[Live | None]


class Overlay(TypedDict, total=False):
    counts: dict[str, int]  # by node: elements so far (live) or in this step (replay)
    rates: dict[str, float]  # by node, per second (a network node: its channel's messages/s)
    lit: bool  # replay: the nodes in counts are lit, every other node fades


class GroupStatus(TypedDict, total=False):
    members: int
    alive: int
    killed: list[str]


class Update(TypedDict):
    """Kernel → renderer, on the comm."""

    type: Literal["update"]
    id: str
    seq: int
    state: LiveState
    status: NotRequired[str]
    error: NotRequired[str | None]
    views: dict[str, Overlay]
    groups: NotRequired[dict[str, GroupStatus]]


class Hello(TypedDict):
    """Renderer → kernel, on the comm: send the latest update of these ids again."""

    type: Literal["hello"]
    ids: list[str]
