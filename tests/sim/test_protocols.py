"""The protocols of hydro_lab.examples under the simulator, with faults."""

from __future__ import annotations

from hydro_lab import FlowBuilder
from hydro_lab.examples.paxos import agreement_check
from hydro_lab.examples.two_pc import two_phase_commit


def vote(member, tx):
    """Participant 1 refuses t2; every other vote is yes."""
    return not (tx == "t2" and member.raw_id == 1)


def two_pc_flow():
    flow = FlowBuilder("two_pc")
    coordinator = flow.process("coordinator")
    participants = flow.cluster("participants")
    port, txs = coordinator.sim_input()
    decisions, _acks = two_phase_commit(coordinator, participants, txs, 3, vote)
    out = decisions.sim_output()

    def body(inst):
        inst.connect(port).send_many(["t1", "t2", "t3"])
        got = inst.connect(out).collect()
        decided = dict(got)
        assert len(decided) == len(got), f"a transaction was decided twice: {got}"
        assert decided.get("t2") in (None, "abort"), f"t2 had a no vote but: {got}"
        for tx in ("t1", "t3"):
            assert decided.get(tx) in (None, "commit"), f"{tx} had only yes votes but: {got}"
        body.outcomes.add(tuple(sorted(got)))

    body.outcomes = set()
    return flow, participants, body


def test_two_phase_commit_without_faults_decides_everything_correctly():
    flow, participants, body = two_pc_flow()
    flow.sim({participants: 3}).run(body)
    assert body.outcomes == {(("t1", "commit"), ("t2", "abort"), ("t3", "commit"))}
    flow.sim({participants: 3}).fuzz(body, runs=30, seed=3)
    assert body.outcomes == {(("t1", "commit"), ("t2", "abort"), ("t3", "commit"))}


def test_two_phase_commit_is_safe_under_message_loss_and_a_crashed_participant():
    flow, participants, body = two_pc_flow()
    faults = {"drop": [participants, "coordinator"], "crash": [participants], "max_faults": 2}
    flow.sim({participants: 3}, faults=faults).fuzz(body, runs=150, seed=11)
    # safety held in every run; losses and the crash left some transactions undecided
    assert any(len(o) < 3 for o in body.outcomes)
    assert any(len(o) >= 2 for o in body.outcomes)  # and some runs still decided most


def test_two_phase_commit_with_a_crashed_participant_never_commits():
    flow, participants, body = two_pc_flow()

    def crash_first(inst):
        inst.crash(participants, 2)  # before any vote: no transaction can be unanimous
        body(inst)

    flow.sim({participants: 3}).fuzz(crash_first, runs=20, seed=5)
    assert all(all(d != "commit" for _, d in o) for o in body.outcomes)


def paxos_flow():
    return agreement_check()


def test_paxos_commits_every_payload_in_the_ordinary_run():
    flow, proposers, acceptors, body = paxos_flow()
    flow.sim({proposers: 2, acceptors: 3}).run(body)
    assert body.committed == [3]


def test_paxos_keeps_agreement_under_fuzzing_with_faults():
    flow, proposers, acceptors, body = paxos_flow()
    faults = {"crash": [proposers, acceptors], "drop": [acceptors, proposers], "max_faults": 2}
    flow.sim({proposers: 2, acceptors: 3}, faults=faults).fuzz(body, runs=40, seed=2026)
    assert len(body.committed) == 40 and max(body.committed) == 3
