"""``flow.sim(check_claims=True)``: an aggregation's ``commutative=`` / ``idempotent=`` claim is
tested by reordering (and duplicating) what the claim says does not matter, so a false claim
fails with a trace naming the aggregation; by default the claims are trusted and the executions
are exactly those counted without them."""

from __future__ import annotations

import pytest

from hydro_lab import FlowBuilder, Order, nondet
from hydro_lab.sim import SimFailure

ND = nondet("test")


def total_flow(f, claim):
    """Three unordered numbers reduced at the top level; the last value the flow reports must
    be the total (a snapshot may also see the values the reduce took on the way, as in Hydro's
    simulator, which emits a top-level singleton's intermediate values)."""
    flow = FlowBuilder("total")
    p = flow.process("p")
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = s.reduce(f, commutative=claim).sample_eager(ND).sim_output()
    return flow, port, out


def reports_only(port, out, expected):
    def test_total(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send_many_unordered([1, 2, 3])
        got = o.collect()
        assert got and got[-1] == expected, f"reported {got}"

    return test_total


def claim_ops(sim) -> list:
    return [op for program in sim.programs.values()
            for op in program.graph.operators.values() if op.op == "sim_claim"]


def test_a_false_commutative_claim_passes_by_default_and_fails_when_checked():
    flow, port, out = total_flow(lambda a, b: a - b, "subtraction commutes (it does not)")
    test_total = reports_only(port, out, 1 - 2 - 3)
    default = flow.sim()
    # none, 1, 1-2 may each be seen or skipped, the total always is: 2**3 (was 2 before the
    # snapshot saw a top-level reduce's intermediate values, as Hydro's simulator does)
    assert default.exhaustive(test_total) == 2 ** 3 and claim_ops(default) == []
    sim = flow.sim(check_claims=True)
    assert len(claim_ops(sim)) == 1
    with pytest.raises(SimFailure) as info:
        sim.exhaustive(test_total)
    failure = info.value
    text = str(failure)
    assert text.startswith("AssertionError: reported [")
    assert ('checking claims: commutative="subtraction commutes (it does not)" says the order '
            "does not matter, yet this execution got [1, 2, 3] and folded them in the order ["
            in text)
    assert "and failed; the claim is made at reduce(lambda a, b: a - b) at test_claims.py" in text
    claims = [e for e in failure.trace.events if e["kind"] == "claim"]
    assert claims and claims[0]["tested"] and "reduce(lambda a, b: a - b)" in claims[0]["where"]
    trace = text.split("--- trace ---\n")[1]
    assert 'checking commutative="subtraction commutes (it does not)": got [1, 2, 3], ' \
           "folded them in the order" in trace
    # the printed line replays it on the same (claim-checking) simulator
    with pytest.raises(SimFailure, match="reported"):
        exec(f"sim.run(test_total, schedule={failure.schedule})",
             {"sim": failure.sim, "test_total": test_total})
    with pytest.raises(SimFailure, match="folded them in the order"):
        sim.fuzz(test_total, runs=50, seed=1, progress=False)


def test_a_true_claim_passes_every_order():
    flow, port, out = total_flow(lambda a, b: a + b, "addition commutes")
    test_total = reports_only(port, out, 6)
    assert flow.sim().exhaustive(test_total) == 2 ** 3  # none, 1, 3 seen or not; 6 always
    assert flow.sim(check_claims=True).exhaustive(test_total) == 2 ** 3 * 6  # and 3! orders


def test_a_false_idempotent_claim_fails_when_checked():
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input()
    counted = s.weaken_retries().fold(lambda: 0, lambda n, _: n + 1,
                                      idempotent="counting ignores duplicates (it does not)")
    out = counted.sample_eager(ND).sim_output()

    def test_count(inst):
        inst.connect(port).send_many(["a", "b"])
        got = inst.connect(out).collect()
        assert got[-1] == 2, f"counted {got}"  # 0 and 1 may be seen on the way

    assert flow.sim().exhaustive(test_count) == 2 ** 2
    with pytest.raises(SimFailure) as info:
        flow.sim(check_claims=True).exhaustive(test_count)
    assert "counted [3]" in str(info.value)  # the first failing execution sees the total only
    assert ('idempotent="counting ignores duplicates (it does not)" says duplicates do not '
            "matter, yet this execution got ['a', 'b'] and delivered 'a' twice") in str(info.value)


def test_keyed_claims_reorder_within_each_key():
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input(order=Order.NO_ORDER)
    out = (s.into_keyed().reduce(lambda a, b: a - b, commutative="not really")
           .snapshot(p.tick(), ND).entries().all_ticks().sim_output())
    seen = set()

    def body(inst):
        inst.connect(port).send_many_unordered([("x", 1), ("y", 5), ("x", 2), ("x", 3)])
        seen.update(inst.connect(out).collect())

    default = flow.sim().exhaustive(body)
    assert flow.sim(check_claims=True).exhaustive(body) == default * 6  # 3! orders of x, 1 of y
    assert {v for k, v in seen if k == "y"} == {5}
    assert {v for k, v in seen if k == "x"} == {1 - 2 - 3, 1 - 3 - 2, 2 - 1 - 3, 2 - 3 - 1,
                                                 3 - 1 - 2, 3 - 2 - 1}


def test_hydro_labs_own_claims_and_claims_the_input_does_not_need_are_not_explored():
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input(order=Order.NO_ORDER)
    s.count().sample_eager(ND).sim_output()            # count's claim holds by construction
    s.assume_ordering(ND).fold(lambda: 0, lambda a, x: a - x,
                               commutative="unneeded: the input is ordered")
    assert claim_ops(flow.sim(check_claims=True)) == []
