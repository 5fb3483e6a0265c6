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
