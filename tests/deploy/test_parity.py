"""Every runtime failure reads the same on both backends (issue 12: Ray/local parity).

Each test provokes one kind of failure on ``local`` and on ``ray`` (the ``backend`` fixture) and
asserts the error's text, exactly, against one expected text: the operator, the line inside the
user's function, the element, the instance and the tick on both; likewise ``d.state``,
``d.error``, its parts (``operator``, ``where``, ``element``, ``instance``, ``tick``), the type of
its ``__cause__``, ``on_failure``, the raise in the caller, and ``d.stop()`` afterwards (which
raises that same error again, as documented, and prints nothing else).

One documented difference: a ``dest_sink`` lives in the driver. On Ray its values are pickled to
get there, so a value pickle cannot carry fails the flow; a local deployment hands the value
itself to the sink (no process boundary, nothing to pickle) and does not fail.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

import hydro_lab
from hydro_lab import FlowBuilder, HydroRuntimeError, MemberId, nondet, self_id

HERE = Path(__file__)
SOURCE = HERE.read_text().splitlines()
ZERO = "ZeroDivisionError: integer division or modulo by zero"
ONE = nondet("a single sender")


def at(mark: str) -> str:
    """Where the line marked ``# <mark>`` is, as a failure names it."""
    tag = f"# <{mark}>"
    (n,) = [i for i, text in enumerate(SOURCE, 1) if text.rstrip().endswith(tag)]
    return f"{HERE.name}, line {n}: {SOURCE[n - 1].strip()}"


def parts(err: HydroRuntimeError) -> tuple:
    return (err.operator, err.where, err.element, err.instance, err.tick,
            type(err.__cause__).__name__)


# -- the user's functions (each raises on 2) ------------------------------------------------------

def inverse(x):
    scaled = x * 10
    return 100 // (scaled - 20)  # <inverse>


def positive(x):
    return 100 // (x - 2) > 0  # <positive>


def expand(x):
    return range(100 // (x - 2))  # <expand>


def add_inverse(acc, x):
    return acc + 100 // (x - 2)  # <add_inverse>


def no_start():
    return {}["total"]  # <no_start>


def report(x):
    if x == 2:
        raise ValueError(f"bad element {x}")  # <report>


class Inexpressible(Exception):
    """Says nothing (its ``__str__`` raises), holds what pickle cannot carry, takes no
    arguments: still the ``__cause__`` on Ray."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def __str__(self) -> str:
        raise RuntimeError("no words for it")


def inexpressible(x):
    if x == 2:
        raise Inexpressible()  # <inexpressible>


def leave(x):
    if x == 2:
        sys.exit(3)  # <leave>


def ignore(x):
    pass


class Unpicklable:
    """A value pickle cannot carry (it holds a lock), with a repr that is the same every run."""

    def __init__(self, _=None):
        self.lock = threading.Lock()

    def __repr__(self) -> str:
        return "Unpicklable()"


class DecodesNothing:
    """A codec whose receiving end fails."""

    name = "decodes-nothing"

    def encode(self, obj) -> bytes:
        return repr(obj).encode()

    def decode(self, data: bytes):
        raise ValueError("this codec cannot read its own bytes")


# -- user functions raising, in rounds ----------------------------------------------------------

def build_map(p):
    p.source_iter([1, 2]).map(inverse).for_each(ignore)  # <map>


def build_filter(p):
    p.source_iter([1, 2]).filter(positive).for_each(ignore)  # <filter>


def build_flat_map(p):
    p.source_iter([1, 2]).flat_map_ordered(expand).for_each(ignore)  # <flat_map>


def build_fold(p):
    p.source_iter([1, 2]).fold(lambda: 0, add_inverse)  # <fold>


def build_fold_init(p):
    p.source_iter([1, 2]).fold(no_start, add_inverse)  # <fold_init>


def build_reduce(p):
    p.source_iter([1, 2]).reduce(add_inverse)  # <reduce>


def build_for_each(p):
    p.source_iter([1, 2]).for_each(report)  # <for_each>


def build_unsayable(p):
    p.source_iter([1, 2]).map(inexpressible).for_each(ignore)  # <unsayable>


def build_exit(p):
    p.source_iter([1, 2]).map(leave).for_each(ignore)  # <exit>


def build_keyed(p):
    p.source_iter([("a", 1), ("b", 2)]).into_keyed().fold(lambda: 0, add_inverse)  # <keyed>


USER_FUNCTIONS = {  # case: (build, operator, user's line, error, element or None)
    "map": (build_map, "map(inverse)", "inverse", ZERO, "2"),
    "filter": (build_filter, "filter(positive)", "positive", ZERO, "2"),
    "flat_map": (build_flat_map, "flat_map_ordered(expand)", "expand", ZERO, "2"),
    "fold": (build_fold, "fold(lambda: 0, add_inverse)", "add_inverse", ZERO, "2"),
    "fold_init": (build_fold_init, "fold(no_start, add_inverse)", "no_start",
                  "KeyError: 'total'", None),
    "reduce": (build_reduce, "reduce(add_inverse)", "add_inverse", ZERO, "2"),
    "for_each": (build_for_each, "for_each(report)", "report", "ValueError: bad element 2", "2"),
    "unsayable": (build_unsayable, "map(inexpressible)", "inexpressible",
                  "Inexpressible: <exception str() failed>", "2"),
    "exit": (build_exit, "map(leave)", "leave", "SystemExit: 3", "2"),
    "keyed": (build_keyed, "fold(lambda: 0, add_inverse)", "add_inverse", ZERO, "('b', 2)"),
}


def fails_in_rounds(d, steps: int = 3) -> HydroRuntimeError:
    """Drive rounds until the flow fails; check what every backend must do once it has."""
    with pytest.raises(HydroRuntimeError) as info:
        d.step(steps)
    err = info.value
    assert d.state == "failed" and d.error is err
    with pytest.raises(HydroRuntimeError) as again:  # a failed flow stays failed
        d.step()
    assert again.value is err
    return err


def stops_after_failure(d, err: HydroRuntimeError, capfd) -> None:
    """``stop()`` raises the failure again (and nothing else), prints nothing; the reason stays."""
    with pytest.raises(HydroRuntimeError) as info:
        d.stop()
    assert info.value is err
    assert d.state == "stopped" and d.error is err
    out, errout = capfd.readouterr()
    assert (out, errout) == ("", "")


@pytest.mark.parametrize("case", list(USER_FUNCTIONS))
def test_a_user_function_raising_reads_the_same(backend, case, capfd):
    build, operator, line, error, element = USER_FUNCTIONS[case]
    flow = FlowBuilder()
    build(flow.process("p"))
    d = flow.deploy(backend)
    err = fails_in_rounds(d)
    assert str(err) == "\n".join([f"{operator} raised {error}",
                                  f"  at {at(line)}",
                                  *([f"  element: {element}"] if element is not None else []),
                                  f"  operator built at {at(case)}",
                                  "  in p, tick 0"])
    assert parts(err) == (operator, at(line), element, "p", 0, error.split(":")[0])
    stops_after_failure(d, err, capfd)


def inverse_on_second(x):
    return inverse(x) if self_id().raw_id == 1 else x


def test_a_cluster_member_raising_is_named_by_its_index(backend, capfd):
    """The line shown is the innermost of the user's: inside ``inverse``, which the operator's
    function called."""
    flow = FlowBuilder()
    workers = flow.cluster("workers")
    workers.source_iter([2]).map(inverse_on_second).for_each(ignore)  # <member>
    d = flow.deploy(backend, cluster_sizes={workers: 2})
    err = fails_in_rounds(d)
    assert str(err) == (f"map(inverse_on_second) raised {ZERO}\n"
                        f"  at {at('inverse')}\n"
                        f"  element: 2\n"
                        f"  operator built at {at('member')}\n"
                        f"  in workers[1], tick 0")
    assert parts(err) == ("map(inverse_on_second)", at("inverse"), "2", "workers[1]", 0,
                          "ZeroDivisionError")
    stops_after_failure(d, err, capfd)


def build_spinning(flow) -> None:
    """Fails on its fourth tick (tick 3), in ``p``."""
    p = flow.process("p")
    p.tick().spin_batch(1).all_ticks().enumerate() \
        .map(lambda ix: 1 // (3 - ix[0])).for_each(ignore)  # <spin>


SPIN_TEXT = (f"map(lambda ix: 1 // (3 - ix[0])) raised {ZERO}\n"
             f"  at {at('spin')}\n"
             f"  element: (3, None)\n"
             f"  in p, tick 3")


def test_a_failure_on_a_later_tick_in_rounds(backend, capfd):
    flow = FlowBuilder()
    build_spinning(flow)
    d = flow.deploy(backend)
    d.step(2)
    err = fails_in_rounds(d, steps=5)
    assert str(err) == SPIN_TEXT
    assert parts(err) == ("map(lambda ix: 1 // (3 - ix[0]))", at("spin"), "(3, None)", "p", 3,
                          "ZeroDivisionError")
    stops_after_failure(d, err, capfd)


def build_spinning_lock(flow) -> None:
    """Sends what the channel's codec cannot carry on its fourth tick (tick 3), from ``p``."""
    p = flow.process("p")
    p.tick().spin_batch(1).all_ticks().enumerate() \
        .map(lambda ix: threading.Lock() if ix[0] == 3 else ix).send(p).for_each(ignore)  # <ff>


def second_fails_on_3(ix):
    return 1 // (3 - ix[0]) if self_id().raw_id == 1 else 0  # <second>


def build_spinning_members(flow) -> None:
    """Fails on the fourth tick (tick 3) of ``workers[1]``; ``workers[0]`` runs on."""
    workers = flow.cluster("workers")
    workers.tick().spin_batch(1).all_ticks().enumerate() \
        .map(second_fails_on_3).for_each(ignore)  # <members>


FREE_RUNNING = {  # case: (build, text, parts)
    "user function": (build_spinning, SPIN_TEXT, (
        "map(lambda ix: 1 // (3 - ix[0]))", at("spin"), "(3, None)", "p", 3,
        "ZeroDivisionError")),
    "channel": (build_spinning_lock, (
        f"channel 'p->p#1' (codec pickle) could not encode what send(p->p#1 [pickle]) at "
        f"{at('ff')} sent: TypeError: cannot pickle '_thread.lock' object.\n"
        f"  Values sent over the network must be serializable by the channel's codec; convert "
        f"them first (e.g. .map(...) to plain data) or choose another codec with codec=..."),
        (None, None, None, "p", 3, "TypeError")),
    "member": (build_spinning_members, (
        f"map(second_fails_on_3) raised {ZERO}\n"
        f"  at {at('second')}\n"
        f"  element: (3, None)\n"
        f"  operator built at {at('members')}\n"
        f"  in workers[1], tick 3"),
        ("map(second_fails_on_3)", at("second"), "(3, None)", "workers[1]", 3,
         "ZeroDivisionError")),
}


@pytest.mark.parametrize("case", list(FREE_RUNNING))
def test_a_failure_while_running_freely(backend, case, capfd):
    build, text, expected_parts = FREE_RUNNING[case]
    flow = FlowBuilder()
    build(flow)
    d = flow.deploy(backend, cluster_sizes={"workers": 2} if case == "member" else None)
    heard = []
    d.on_failure(heard.append)
    d.start()
    deadline = time.monotonic() + 10
    while not heard and time.monotonic() < deadline:
        time.sleep(0.01)
    assert heard == [d.error] and d.state == "failed"
    err = d.error
    assert str(err) == text
    assert parts(err) == expected_parts
    with pytest.raises(HydroRuntimeError) as info:  # the caller's next call raises it
        d.run(seconds=0.01)
    assert info.value is err
    late = []
    d.on_failure(late.append)
    assert late == [err]
    stops_after_failure(d, err, capfd)


def test_a_failure_while_a_client_waits(backend, capfd):
    """``recv()`` drives rounds while it waits (no ``start()``): the failure is raised there."""
    flow = FlowBuilder()
    port, xs = flow.process("p").source_external(flow.external("client"))
    out_port = xs.map(inverse).send_external(flow.external("reader"))  # <waits>
    d = flow.deploy(backend)
    reader = d.connect(out_port)
    d.connect(port).send_many([1, 2])
    with pytest.raises(HydroRuntimeError) as info:
        reader.recv(timeout=5)
    err = info.value
    assert str(err) == (f"map(inverse) raised {ZERO}\n"
                        f"  at {at('inverse')}\n"
                        f"  element: 2\n"
                        f"  operator built at {at('waits')}\n"
                        f"  in p, tick 0")
    assert d.state == "failed" and d.error is err
    assert reader.recv_all() == []  # the failed tick sent nothing
    stops_after_failure(d, err, capfd)


def noisy(x):
    print("handling", x)
    return inverse(x)


def test_what_a_failing_tick_printed_is_there_when_it_is_raised(backend, capfd):
    flow = FlowBuilder()
    flow.process("p").source_iter([1, 2]).map(noisy).for_each(ignore)  # <noisy>
    d = flow.deploy(backend)
    err = fails_in_rounds(d, steps=1)
    assert capfd.readouterr() == ("[p] handling 1\n[p] handling 2\n", "")
    assert str(err) == (f"map(noisy) raised {ZERO}\n"
                        f"  at {at('inverse')}\n"
                        f"  element: 2\n"
                        f"  operator built at {at('noisy')}\n"
                        f"  in p, tick 0")
    stops_after_failure(d, err, capfd)


# -- what a codec cannot carry ------------------------------------------------------------------

def test_a_value_a_channel_cannot_carry(backend, capfd):
    """Issue 12: a bare ``TypeError: cannot pickle '_thread.lock' object`` on Ray."""
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_iter([0]).map(lambda _: threading.Lock()).send(p).for_each(ignore)  # <lock>
    d = flow.deploy(backend)
    err = fails_in_rounds(d)
    assert str(err) == (
        f"channel 'p->p#1' (codec pickle) could not encode what send(p->p#1 [pickle]) at "
        f"{at('lock')} sent: TypeError: cannot pickle '_thread.lock' object.\n"
        f"  Values sent over the network must be serializable by the channel's codec; convert "
        f"them first (e.g. .map(...) to plain data) or choose another codec with codec=...")
    assert parts(err) == (None, None, None, "p", 0, "TypeError")
    stops_after_failure(d, err, capfd)


def test_a_batch_a_channel_cannot_decode(backend, capfd):
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_iter([1]).send(p, codec=DecodesNothing()).for_each(ignore)  # <decode>
    d = flow.deploy(backend)
    err = fails_in_rounds(d)
    assert str(err) == (
        f"channel 'p->p#1' (codec decodes-nothing) could not decode a batch sent by "
        f"send(p->p#1 [decodes-nothing]) at {at('decode')}: ValueError: this codec cannot read "
        f"its own bytes")
    assert parts(err) == (None, None, None, "p", None, "ValueError")
    stops_after_failure(d, err, capfd)


def test_a_value_an_external_port_cannot_carry(backend, capfd):
    flow = FlowBuilder()
    port = flow.process("p").source_iter([0]).map(Unpicklable) \
        .send_external(flow.external("client"))
    d = flow.deploy(backend)
    d.connect(port)
    err = fails_in_rounds(d)
    assert str(err) == (
        f"port {port.key} (codec pickle) could not carry [Unpicklable()]: TypeError: cannot "
        f"pickle '_thread.lock' object.\n"
        f"  Values sent to or from an external client must be serializable by the port's codec; "
        f"convert them first (e.g. .map(...) to plain data) or choose another codec with "
        f"codec=...")
    assert parts(err) == (None, None, None, "p", 0, "TypeError")
    stops_after_failure(d, err, capfd)


def test_a_value_a_client_sends_that_the_port_cannot_carry(backend, capfd):
    """Refused in the caller, before it enters the flow: the flow keeps running (on this
    checkout's code: Ray's workers import it too)."""
    flow = FlowBuilder()
    port, values = flow.process("p").source_external(flow.external("client"))
    seen = []
    values.map(lambda x: (x, hydro_lab.__file__)).dest_sink(seen)
    d = flow.deploy(backend)
    client = d.connect(port)
    with pytest.raises(HydroRuntimeError) as info:
        client.send(lambda: 1)
    assert str(info.value) == (  # the value's repr is cut at 80 characters
        f"port {port.key} (codec pickle) could not carry [<function "
        f"test_a_value_a_client_sends_that_the_port_cannot_carry.<locals>.<l...: "
        f"AttributeError: Can't pickle local object "
        f"'test_a_value_a_client_sends_that_the_port_cannot_carry.<locals>.<lambda>'.\n"
        f"  Values sent to or from an external client must be serializable by the port's codec; "
        f"convert them first (e.g. .map(...) to plain data) or choose another codec with "
        f"codec=...")
    assert d.state == "created" and d.error is None
    client.send(1)
    d.step()
    assert seen == [(1, hydro_lab.__file__)]
    d.stop()
    assert capfd.readouterr() == ("", "")


def test_a_value_a_sink_cannot_carry_fails_on_ray_only(backend, capfd):
    """The documented difference (module docstring): a local sink takes the value itself."""
    flow = FlowBuilder()
    seen = []
    flow.process("p").source_iter([0]).map(Unpicklable).dest_sink(seen)
    d = flow.deploy(backend)
    if backend == "local":
        d.step()
        assert [type(x) for x in seen] == [Unpicklable] and d.error is None
        d.stop()
        return
    err = fails_in_rounds(d)
    assert str(err) == (
        "a dest_sink in p got [Unpicklable()], which cannot travel to the driver that holds the "
        "sink: TypeError: cannot pickle '_thread.lock' object.\n"
        "  On Ray a sink's values are pickled; convert them first (e.g. .map(...) to plain data)")
    assert parts(err) == (None, None, None, "p", 0, "TypeError")
    stops_after_failure(d, err, capfd)


# -- demux keys ---------------------------------------------------------------------------------

def build_demux(key):
    flow = FlowBuilder()
    workers = flow.cluster("workers")
    received = workers.source_iter([key]).demux(workers)  # <demux>
    received.values().assume_ordering(ONE).for_each(ignore)
    return flow


DEMUX = "demux on channel 'workers->workers#1' (demux(workers->workers#1 [pickle]) at {})"
DEMUX_CASES = {
    "another cluster's member": (
        (MemberId("other", 0), "x"),
        " sent to MemberId<other>(0), a member of cluster 'other', but the channel goes to "
        "cluster 'workers': a member id only names a member of its own cluster"),
    "a member out of range": (
        (MemberId("workers", 1), "x"),
        " sent to MemberId<workers>(1), but cluster 'workers' has members 0..0"),
    "not a pair": (5, " needs (MemberId, value) pairs, got 5"),
    "not a member id": (
        ("w1", "x"),
        " got key 'w1', not a MemberId; key each element with MemberId(\"workers\", i)"),
}


@pytest.mark.parametrize("case", list(DEMUX_CASES))
def test_a_bad_demux_key(backend, case, capfd):
    key, problem = DEMUX_CASES[case]
    d = build_demux(key).deploy(backend, cluster_sizes={"workers": 1})
    err = fails_in_rounds(d)
    assert str(err) == DEMUX.format(at("demux")) + problem
    assert parts(err) == (None, None, None, "workers[0]", 0, "HydroRuntimeError")
    stops_after_failure(d, err, capfd)


# -- after a member was killed and restarted -----------------------------------------------------

def test_a_restarted_member_raising(backend, capfd):
    """``workers[1]`` fails on its tick 3; restarted after tick 2 it starts afresh, so it fails
    on the fourth round after the restart, at its new tick 3."""
    flow = FlowBuilder()
    build_spinning_members(flow)
    d = flow.deploy(backend, cluster_sizes={"workers": 2})
    d.step(3)
    d.kill("workers", 1)
    d.restart("workers", 1)
    d.step(3)
    err = fails_in_rounds(d, steps=1)
    assert str(err) == FREE_RUNNING["member"][1]
    assert parts(err) == FREE_RUNNING["member"][2]
    stops_after_failure(d, err, capfd)

