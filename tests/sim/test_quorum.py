"""The Paxos example's quorum helpers count distinct senders, in every execution.

A request re-sent after a timeout is answered again by the same acceptor; two answers of one
acceptor must not make a quorum of two. Counting answers instead of senders let the simulator
elect a leader whose log missed a committed slot (fuzz seed 2 of benchmark P8, with timers firing
while p1b messages were slow).
"""

from __future__ import annotations

import pytest

from hydro_lab import FlowBuilder, Order
from hydro_lab.examples.paxos import collect_quorum, collect_quorum_with_response


def quorum_flow(min_count, max_count):
    flow = FlowBuilder("quorum")
    p = flow.process("p")
    port, responses = p.sim_input(order=Order.NO_ORDER)
    keys = collect_quorum(responses, min_count, max_count).sim_output()
    values = collect_quorum_with_response(responses, min_count, max_count).sim_output()
    return flow, port, keys, values


def run_all(answers, min_count=2, max_count=3):
    flow, port, keys_port, values_port = quorum_flow(min_count, max_count)
    outcomes = set()

    def body(inst):
        inst.connect(port).send_many_unordered(answers)
        keys = inst.connect(keys_port).collect()
        values = inst.connect(values_port).collect()
        assert len(keys) == len(set(keys)), f"a key reached its quorum twice: {keys}"
        outcomes.add((tuple(sorted(keys)), tuple(sorted(values))))

    count = flow.sim().exhaustive(body)
    return outcomes, count


def test_one_sender_answering_twice_is_not_a_quorum():
    outcomes, count = run_all([("b1", ("acc0", True, "log0")), ("b1", ("acc0", True, "log0"))])
    assert count > 1 and outcomes == {((), ())}


def test_two_distinct_senders_are_a_quorum_in_every_execution():
    answers = [("b1", ("acc0", True, "log0")), ("b1", ("acc0", True, "log0")),
               ("b1", ("acc1", True, "log1"))]
    outcomes, _ = run_all(answers)
    keys = {o[0] for o in outcomes}
    assert keys == {("b1",)}
    for _, values in outcomes:  # the ok answers of the tick the quorum was reached in
        assert {"log0", "log1"} <= {v for _, v in values}


@pytest.mark.parametrize("min_count, max_count", [(2, 3), (2, 2)])
def test_refusals_count_toward_hearing_from_everyone_but_not_toward_the_quorum(min_count,
                                                                               max_count):
    answers = [("b1", ("acc0", True, "log0")), ("b1", ("acc1", False, None)),
               ("b1", ("acc2", False, None))][:max_count]
    outcomes, _ = run_all(answers, min_count, max_count)
    assert outcomes == {((), ())}
