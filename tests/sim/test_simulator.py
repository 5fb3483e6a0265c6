"""The simulator: exploring executions, catching bugs with readable traces, replaying them."""

from __future__ import annotations

import pytest

from hydro_lab import FlowBuilder, Order, Retries, nondet
from hydro_lab.errors import HydroDeployError
from hydro_lab.examples.counter import single_counter, single_counter_atomic
from hydro_lab.sim import SimFailure

ND = nondet("test")


def batched(order, retries=Retries.EXACTLY_ONCE):
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input(order=order, retries=retries)
    out = s.batch(p.tick(), ND).all_ticks().sim_output()
    return flow, port, out


@pytest.mark.parametrize("n,expected", [(1, 1), (2, 3), (3, 13), (4, 75)])
def test_unordered_batches_are_ordered_set_partitions(n, expected):
    flow, port, out = batched(Order.NO_ORDER)
    seen = set()

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send_many_unordered(list(range(n)))
        got = o.collect()
        assert sorted(got) == list(range(n))
        seen.add(tuple(got))

    assert flow.sim().exhaustive(body) == expected  # Fubini numbers: which subset per tick


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_ordered_batches_are_compositions(n):
    flow, port, out = batched(Order.TOTAL_ORDER)

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send_many(list(range(n)))
        o.assert_yields_only(list(range(n)))  # a prefix per tick: the order always holds

    assert flow.sim().exhaustive(body) == 2 ** (n - 1)


def test_a_program_without_nondet_has_one_execution():
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input()
    out = s.map(lambda x: x * 10).filter(lambda x: x > 10).sim_output()

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send_many([1, 2, 3])
        o.assert_yields_only([20, 30])

    assert flow.sim().exhaustive(body) == 1


def counter_flow(counter):
    flow = FlowBuilder("counter")
    server = flow.process("server")
    inc_port, incs = server.sim_input()
    get_port, gets = server.sim_input()
    acks, counts = counter(server, incs.into_keyed(), gets.into_keyed())
    ack_out = acks.entries().assume_ordering(nondet("one client")).sim_output()
    count_out = counts.entries().assume_ordering(nondet("one client")).sim_output()

    def body(inst):
        inc, get = inst.connect(inc_port), inst.connect(get_port)
        ack, count = inst.connect(ack_out), inst.connect(count_out)
        inc.send(("c1", None))
        ack.assert_yields([("c1", None)])   # the increment was acknowledged...
        get.send(("c1", None))
        count.assert_yields([("c1", 1)])    # ...so a later read must see it

    return flow, body


def test_the_quickstart_read_after_write_race_is_found_with_a_trace():
    flow, body = counter_flow(single_counter)
    with pytest.raises(SimFailure) as info:
        flow.sim().exhaustive(body)
    failure = info.value
    text = str(failure)
    assert "expected [('c1', 1)] but it yielded [('c1', 0)]" in text
    assert "snapshot() at counter.py, line" in text and "an older one" in text
    assert "step 1: tick 0 at server" in text
    kinds = [e["kind"] for e in failure.trace.events]
    assert "snapshot" in kinds and kinds[-1] == "error"
    # the printed schedule replays the same failure
    with pytest.raises(SimFailure, match=r"yielded \[\('c1', 0\)\]"):
        flow.sim().run(body, schedule=failure.schedule)


def test_the_printed_replay_line_names_the_test_and_replays_the_failure():
    flow, body = counter_flow(single_counter)

    def test_read_after_write(inst):
        body(inst)

    sim = flow.sim()
    with pytest.raises(SimFailure) as info:
        sim.exhaustive(test_read_after_write)
    failure = info.value
    line = next(ln for ln in str(failure).splitlines() if "replay:" in ln)
    code = line.split("replay: ", 1)[1].split("   ")[0]
    assert code == f"sim.run(test_read_after_write, schedule={failure.schedule})"
    assert "failure.sim" in line
    assert failure.sim is sim and failure.body is test_read_after_write
    # the line runs as printed, with ``sim`` and the test bound (the notebook binds both)
    with pytest.raises(SimFailure, match=r"yielded \[\('c1', 0\)\]") as again:
        exec(code, {"sim": failure.sim, "test_read_after_write": test_read_after_write})
    assert again.value.schedule == failure.schedule
    with pytest.raises(SimFailure, match=r"yielded \[\('c1', 0\)\]"):
        failure.replay()


def test_a_body_without_a_name_is_replayed_through_the_failure():
    flow, body = counter_flow(single_counter)
    with pytest.raises(SimFailure) as info:
        flow.sim().exhaustive(lambda inst: body(inst))
    assert f"replay: sim.run(failure.body, schedule={info.value.schedule})" in str(info.value)


def printing_flow():
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input(order=Order.NO_ORDER)
    sizes = s.batch(p.tick(), ND).count().all_ticks()
    sizes.filter(lambda n: n > 0).for_each(lambda n: print("a batch of", n))
    return flow, port, sizes.filter(lambda n: n > 0).sim_output()


def test_explored_executions_print_nothing_and_a_failure_shows_what_it_printed(capsys):
    flow, port, out = printing_flow()

    def test_sizes(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send_many_unordered([1, 2, 3])
        print("sent three")
        assert sum(o.collect()) == 3

    assert flow.sim().exhaustive(test_sizes) == 13
    assert flow.sim().fuzz(test_sizes, runs=20, progress=False) == 20
    assert capsys.readouterr().out == ""  # 33 executions, about 80 prints: none came out

    def test_one_batch(inst):
        test_sizes(inst)
        assert inst.connect(out).collect() == [], "nothing after the first batch"
        assert False, "no batch can be bigger"

    with pytest.raises(SimFailure) as info:
        flow.sim().exhaustive(test_one_batch)
    assert capsys.readouterr().out == ""
    text = str(info.value)
    trace, printed = text.split("--- what this execution printed ---\n")
    # tick 0 runs when the body first waits, with the three it sent before
    assert printed.splitlines() == ["[test] sent three",
                                    "[step 1, p tick 0] a batch of 3"]
    assert "a batch of" not in trace
    prints = info.value.trace.prints()
    assert [(e["instance"], e["tick"]) for e in prints] == [(None, None), ("p", 0)]


def test_run_prints_what_its_one_execution_prints(capsys):
    flow, port, out = printing_flow()

    def body(inst):
        inst.connect(port).send_many_unordered([1, 2])
        inst.connect(out).collect()

    trace = flow.sim().run(body)
    assert capsys.readouterr().out == "a batch of 2\n"
    assert [e["text"] for e in trace.prints()] == ["a batch of 2\n"]


def test_the_atomic_counter_passes_every_execution():
    flow, body = counter_flow(single_counter_atomic)
    assert flow.sim().exhaustive(body) >= 1


def test_fuzz_finds_a_wrong_commutativity_claim_and_shrinks_it():
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input(order=Order.NO_ORDER)
    t = p.tick()
    # subtraction does not commute: the simulator does not trust the claim
    total = s.batch(t, ND).fold(lambda: 0, lambda a, x: x - a, commutative="WRONG on purpose")
    out = total.all_ticks().sim_output()

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send_many_unordered([1, 2, 3])
        got = o.collect()
        assert got[-1] in (2,), f"got {got}"

    sim = flow.sim()
    with pytest.raises(SimFailure) as info:
        sim.fuzz(body, runs=200, seed=7)
    failure = info.value
    assert failure.seed is not None and "fuzz seed" in str(failure)
    assert len(failure.schedule) <= 3  # shrunk
    with pytest.raises(SimFailure):
        sim.run(body, schedule=failure.schedule)


def test_at_least_once_inputs_may_be_delivered_twice():
    flow, port, out = batched(Order.TOTAL_ORDER, Retries.AT_LEAST_ONCE)
    counts = set()

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send("x")
        counts.add(len(o.collect()))

    flow.sim().exhaustive(body)
    assert counts == {1, 2}


def test_send_many_unordered_needs_a_no_order_port():
    flow, port, out = batched(Order.TOTAL_ORDER)

    def body(inst):
        inst.connect(port).send_many_unordered([1, 2])

    with pytest.raises(HydroDeployError, match="declared TotalOrder"):
        flow.sim().run(body)


def test_bad_fault_kinds_are_refused():
    flow, _port, _out = batched(Order.TOTAL_ORDER)
    with pytest.raises(HydroDeployError, match="unknown fault kinds"):
        flow.sim(faults={"explode": ["p"]})


# -- faults ----------------------------------------------------------------------------------------

def relay():
    """a sends three numbers to b, which outputs them."""
    flow = FlowBuilder()
    a, b = flow.process("a"), flow.process("b")
    port, s = a.sim_input()
    out = s.send(b, name="link").sim_output()
    return flow, port, out


def outcomes(faults):
    flow, port, out = relay()
    seen = set()

    def body(inst):
        inst.connect(port).send_many([1, 2, 3])
        seen.add(tuple(inst.connect(out).collect()))

    flow.sim(faults=dict(faults, max_faults=1)).exhaustive(body)
    return seen


def test_without_faults_the_link_is_reliable():
    assert outcomes({}) == {(1, 2, 3)}


def test_drop_loses_one_message():
    assert outcomes({"drop": ["link"]}) == {(1, 2, 3), (2, 3), (1, 3), (1, 2)}


def test_duplicate_delivers_one_message_twice():
    assert outcomes({"duplicate": ["link"]}) == {(1, 2, 3), (1, 1, 2, 3), (1, 2, 2, 3),
                                                  (1, 2, 3, 3)}


def test_delay_holds_messages_back_but_keeps_the_senders_order():
    assert outcomes({"delay": ["link"]}) == {(1, 2, 3)}
    flow, port, out = relay()
    got = []

    def body(inst):
        inst.connect(port).send_many([1, 2, 3])
        got.extend(inst.connect(out).collect())

    trace = flow.sim(faults={"delay": ["link"]}).run(body, schedule=[1])
    faults = [e["what"] for e in trace.events if e["kind"] == "fault"]
    assert faults == ["delay 1 on link from a to b"]
    ticks_at_b = [e for e in trace.events if e["kind"] == "tick" and e["instance"] == "b"]
    assert len(ticks_at_b) == 3 and got == [1, 2, 3]  # boot, the held delivery, the release


def test_crash_stops_a_member_for_good():
    flow = FlowBuilder()
    leader, workers = flow.process("leader"), flow.cluster("workers")
    port, s = leader.sim_input()
    out = (s.broadcast(workers, ND).map(lambda x: x).send(leader).keys()
            .assume_ordering(ND).sim_output())
    answered = set()

    def body(inst):
        inst.connect(port).send("ping")
        answered.add(frozenset(m.raw_id for m in inst.connect(out).collect()))

    flow.sim({workers: 2}, faults={"crash": [workers], "max_faults": 1}).exhaustive(body)
    assert answered == {frozenset({0, 1}), frozenset({0}), frozenset({1})}


def test_exhaustive_reports_progress_to_a_callback():
    flow, port, out = batched(Order.NO_ORDER)

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send_many_unordered([1, 2, 3, 4])
        o.assert_yields_only_unordered([1, 2, 3, 4])

    reports = []
    count = flow.sim().exhaustive(body, progress=reports.append, progress_every=0)
    assert count == 75
    executions = [r.executions for r in reports]
    assert executions == list(range(1, 76))           # every=0: one report per execution
    assert [r.done for r in reports] == [False] * 74 + [True]
    assert all(r.mode == "exhaustive" and r.depth >= 1 and r.rate > 0 for r in reports)
    assert "75 executions" in str(reports[-1]) and "(done)" in str(reports[-1])


def test_progress_lines_go_to_stderr_and_can_be_silenced(capsys):
    flow, port, out = batched(Order.TOTAL_ORDER)

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        i.send_many([1, 2, 3])
        o.assert_yields_only([1, 2, 3])

    assert flow.sim().exhaustive(body, progress_every=0) == 4
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and err[0].startswith("[hydro_lab sim] exhaustive: 1 execution in")
    assert flow.sim().fuzz(body, runs=5, progress=False) == 5
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="progress= takes True, False or a function"):
        flow.sim().exhaustive(body, progress="yes")


def test_the_trace_is_also_data_with_each_decision_at_its_instance_and_tick():
    flow, body = counter_flow(single_counter)
    with pytest.raises(SimFailure) as info:
        flow.sim().exhaustive(body)
    df = info.value.trace.frame()
    assert list(df.columns[:5]) == ["step", "kind", "instance", "tick", "where"]
    assert len(df) == len(info.value.trace.events)
    snaps = df[df.kind == "snapshot"]
    assert not snaps.empty and set(snaps.instance) == {"server"}
    assert snaps.tick.notna().all() and snaps["where"].str.contains("counter.py, line").all()
    older = snaps[snaps.chosen < snaps.versions - 1]
    assert not older.empty  # the stale read that broke read-after-write is a row of the frame
    assert df.kind.iloc[-1] == "error"


def timer_and_message_flow():
    flow = FlowBuilder()
    a, b = flow.process("a"), flow.process("b")
    port, s = b.sim_input()
    msgs = s.send(a, name="link")
    timer = a.source_interval(1.0, nondet("a timer"))
    out = (msgs.interleave(timer.map(lambda _: "timer"))
               .assume_ordering(nondet("arrival order")).sim_output())
    return flow, port, out


def test_a_timer_may_fire_before_a_message_still_in_flight():
    flow, port, out = timer_and_message_flow()
    outcomes = []

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        inst.advance(0.5)
        i.send("msg")            # sent at 0.5 s, the timer's next firing is at 1 s
        inst.advance(1.0)
        outcomes.append(tuple(o.collect()))

    sim = flow.sim()
    trace = sim.run(body)        # decision 0 is the deployment: the message arrives first
    assert outcomes == [("timer", "msg", "timer")]
    assert not any(e.get("early") for e in trace.events if e["kind"] == "time")
    sim.exhaustive(body)         # ...but a slow message can arrive after the timer fired
    assert set(outcomes) == {("timer", "msg", "timer"), ("timer", "timer", "msg")}
    slow = next(i for i, o in enumerate(outcomes) if o == ("timer", "timer", "msg"))
    assert slow > 0


def test_the_slow_message_schedule_replays_with_a_readable_trace():
    flow, port, out = timer_and_message_flow()

    def body(inst):
        i, o = inst.connect(port), inst.connect(out)
        inst.advance(0.5)
        i.send("msg")
        inst.advance(1.0)
        assert o.collect() == ["timer", "msg", "timer"], "the timer beat the message"

    with pytest.raises(SimFailure) as info:
        flow.sim().exhaustive(body)
    text = str(info.value)
    assert "the timer beat the message" in text
    assert "time advances to 1 s (a timer fires before pending work: slow messages)" in text
    with pytest.raises(SimFailure, match="the timer beat the message"):
        flow.sim().run(body, schedule=info.value.schedule)


def test_misusing_the_simulator_in_a_body_is_an_error_not_a_failed_execution():
    flow, port, out = timer_and_message_flow()

    def negative(inst):
        inst.advance(-1)

    with pytest.raises(HydroDeployError, match=r"advance\(\): seconds must be a number >= 0"):
        flow.sim().exhaustive(negative)

    def wrong_port(inst):
        inst.connect("nope")

    with pytest.raises(HydroDeployError) as info:
        flow.sim().fuzz(wrong_port, runs=3)
    assert str(info.value) == (
        "connect(): 'nope' is not a port of the flow this simulation runs: the simulation runs "
        "the flow as flow.sim() was called; call flow.sim() again to use your edits")


def test_launch_runs_tick_0_once_with_what_was_sent_before():
    """Hydro's ``instance.launch()``: every instance runs its tick 0 at once, with what the body
    sent before it; a second launch, and the first wait after it, do not run tick 0 again."""
    flow = FlowBuilder()
    p = flow.process("p")
    port, s = p.sim_input()
    out = s.map(lambda x: x * 10).sim_output()
    ticked = []
    p.source_iter(["tick 0"]).for_each(ticked.append)
    runs = []

    def body(inst):
        inst.connect(port).send(1)
        assert ticked == []
        inst.launch()
        assert ticked == ["tick 0"]  # before any wait
        inst.launch()
        received = inst.connect(out)
        runs.append(received.try_next())
        assert received.collect() == []

    assert flow.sim().exhaustive(body, progress=False) == 1
    assert runs == [10]
