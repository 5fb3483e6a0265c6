"""Flows shared by the golden tests (IR text, DOT)."""

from __future__ import annotations

from hydro_lab import FlowBuilder, nondet
from hydro_lab.examples.echo import echo_capitalize
from hydro_lab.examples.estimate_pi import estimate_pi, print_estimates
from hydro_lab.examples.two_pc import two_phase_commit


def pi_flow() -> FlowBuilder:
    flow = FlowBuilder("estimate_pi")
    leader, workers = flow.process("leader"), flow.cluster("workers")
    print_estimates(estimate_pi(leader, workers))
    return flow


def echo_flow() -> FlowBuilder:
    flow = FlowBuilder("echo")
    echo_capitalize(flow.process("server"), flow.external("client"))
    return flow


def two_pc_flow() -> FlowBuilder:
    flow = FlowBuilder("two_pc")
    coordinator = flow.process("coordinator")
    participants = flow.cluster("participants")
    client = flow.external("client")
    _port, txs = coordinator.source_external(client)
    decisions, acks = two_phase_commit(coordinator, participants, txs, 3,
                                       vote=lambda member, tx: True)
    decisions.send_external(client)
    acks.assume_ordering(nondet("acks are only counted")).for_each(print)
    return flow


def nasty_flow() -> FlowBuilder:
    """User strings that break careless writers: quotes, HTML, backslashes, a script tag."""
    flow = FlowBuilder('my "flow" <x>')
    p = flow.process("p")
    p.source_iter(['"', "<", "\\"]).map(lambda x: "quoted" + '<b>bold</b>' + "\\n" + x + "#;`|") \
        .ir_node_named('name "with" <html> & \\ stuff').map(
            lambda x: "<script>alert('hydro')</script>" + x).for_each(print)
    return flow


def paxos_flow() -> FlowBuilder:
    """The Paxos example behind a client (248 IR operators, 3 locations, 8 boxes)."""
    from hydro_lab.examples.paxos import agreement_check

    return agreement_check("paxos")[0]


def big_flow(processes: int = 20, chain: int = 100) -> FlowBuilder:
    """``processes`` processes, each a ``chain`` of maps sending to the next process: a graph of
    about ``processes * (chain + 2)`` operators (2,040 with the defaults)."""
    flow = FlowBuilder("big")
    locs = [flow.process(f"p{i}") for i in range(processes)]
    stream = locs[0].source_iter(range(3))
    for i in range(len(locs)):
        for j in range(chain):
            stream = stream.map(lambda x, j=j: x + j)
        if i + 1 < len(locs):
            stream = stream.send(locs[i + 1])
    stream.for_each(print)
    return flow


PI_BATCH = 64  # darts per worker tick in the deployments below (small: tests count them)


def pi_deployment(backend: str = "local", workers: int = 2):
    """estimate_pi deployed (not started) with ``workers`` workers of ``PI_BATCH`` darts a tick;
    the workers' channel to the leader is ``"workers->leader#1"``."""
    flow = FlowBuilder("pi")
    leader, cluster = flow.process("leader"), flow.cluster("workers")
    estimate_pi(leader, cluster, batch_size=PI_BATCH)
    return flow.deploy(backend, cluster_sizes={cluster: workers})
