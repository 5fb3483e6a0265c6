"""What instances print, per member (issue 13): each line is shown tagged with the instance that
printed it, as hydro_deploy shows each process's output (``[<name>] line``, ``[<name> stderr]
line``; hydro_deploy/core/src/localhost/launched_binary.rs, ``LaunchedLocalhostBinary::new``),
and ``d.stdout(location, member)`` / ``d.stderr(...)`` give the lines without the tag, as
hydro_lang's ``DeployCrateWrapper::stdout`` does. Local and Ray agree (the ``backend`` fixture).
"""

from __future__ import annotations

import sys
import threading

import pytest

from hydro_lab import FlowBuilder, HydroRuntimeError, MemberId, nondet, self_id
from hydro_lab.errors import HydroDeployError

ORDER = nondet("test: printed lines are compared per instance")


def tags(text: str, tag: str) -> list[str]:
    """The lines of ``text`` that carry ``tag``, in the order they were shown."""
    return [line for line in text.splitlines() if line.startswith(tag + " ")]


def simple_cluster_like():
    """A process sends numbers to every member (demux), each member prints what it got and
    sends it back, the process prints what came back; member 1 also writes to stderr."""
    flow = FlowBuilder()
    process, cluster = flow.process("leader"), flow.cluster("workers")
    (process.source_iter([(MemberId("workers", m), n) for m in range(2) for n in range(2)])
     .demux(cluster)
     .inspect(lambda n: print(f"cluster received: {n} (self cluster id: {self_id()})"))
     .inspect(lambda n: print(f"member {self_id().get_raw_id()} warns", file=sys.stderr)
              if self_id().get_raw_id() == 1 else None)
     .send(process)
     .entries()
     .assume_ordering(ORDER)
     .for_each(lambda e: print(f"node received: {e}")))
    return flow, process, cluster


def test_each_line_is_tagged_with_its_instance_and_kept_per_member(backend, capfd):
    flow, process, cluster = simple_cluster_like()
    d = flow.deploy(backend, cluster_sizes={cluster: 2})
    try:
        d.step(3)
        out, err = capfd.readouterr()
    finally:
        d.stop()
    for i in range(2):
        expected = [f"cluster received: {n} (self cluster id: MemberId<workers>({i}))"
                    for n in range(2)]
        assert tags(out, f"[workers / {i}]") == [f"[workers / {i}] {line}" for line in expected]
        assert d.stdout(cluster, i) == expected
    node = sorted(d.stdout(process))
    assert node == [f"node received: (MemberId<workers>({i}), {n})"
                    for i in range(2) for n in range(2)]
    assert sorted(tags(out, "[leader]")) == [f"[leader] {line}" for line in node]
    assert len(out.splitlines()) == 8  # nothing untagged
    assert err == "[workers / 1 stderr] member 1 warns\n" * 2
    assert d.stderr(cluster, 1) == ["member 1 warns"] * 2
    assert d.stderr(cluster, 0) == [] and d.stderr(process) == []


def test_a_line_is_shown_once_complete_and_the_rest_at_stop(backend, capfd):
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_iter(["a", "b\nc", "d\n", "e"]).for_each(lambda s: print(s, end=""))
    d = flow.deploy(backend)
    d.step(1)
    assert capfd.readouterr().out == "[p] ab\n[p] cd\n"
    assert d.stdout(p) == ["ab", "cd"]
    d.stop()
    assert capfd.readouterr().out == "[p] e\n"
    assert d.stdout(p) == ["ab", "cd", "e"]


def test_what_a_failing_member_printed_is_tagged_before_the_error(backend, capfd):
    flow = FlowBuilder()
    workers = flow.cluster("workers")
    workers.source_iter([1, 0]).map(lambda x: print("dividing by", x) or 1 // x).for_each(
        lambda _: None)
    d = flow.deploy(backend, cluster_sizes={workers: 1})
    with pytest.raises(HydroRuntimeError):
        d.step(1)
    assert capfd.readouterr().out == "[workers / 0] dividing by 1\n[workers / 0] dividing by 0\n"
    assert d.stdout(workers, 0) == ["dividing by 1", "dividing by 0"]
    with pytest.raises(HydroRuntimeError):
        d.stop()


def test_naming_an_instance_that_is_not_there(backend):
    flow = FlowBuilder()
    p, workers = flow.process("p"), flow.cluster("workers")
    p.source_iter([1]).for_each(print)
    workers.source_iter([1]).for_each(print)
    d = flow.deploy(backend, cluster_sizes={workers: 2})
    try:
        with pytest.raises(HydroDeployError) as no_member:
            d.stdout(workers)
        assert str(no_member.value) == ("stdout(): 'workers' is a cluster of 2 members: say "
                                        "which, as stdout(workers, 0)")
        with pytest.raises(HydroDeployError) as process_member:
            d.stderr(p, 0)
        assert str(process_member.value) == ("stderr(): 'p' is a process, it has no members: "
                                             "stderr(p) without a member index")
        with pytest.raises(HydroDeployError) as far:
            d.stdout(workers, 2)
        assert str(far.value) == "stdout(): cluster 'workers' has no member 2: its members " \
                                 "are 0..1"
        with pytest.raises(HydroDeployError) as nowhere:
            d.stdout("nowhere")
        assert str(nowhere.value) == ("stdout(): this deployment has no process or cluster "
                                      "'nowhere'; it has ['p', 'workers']")
    finally:
        d.stop()


def test_only_the_ticking_thread_is_caught_and_the_streams_are_put_back(capfd):
    """Another thread printing while a member ticks prints as it did (untagged), and between
    ticks ``sys.stdout`` is the stream it was (a notebook's, pytest's) again."""
    flow = FlowBuilder()
    p = flow.process("p")

    def elsewhere(x):
        t = threading.Thread(target=print, args=("from another thread",))
        t.start()
        t.join()
        print("from the tick", x)

    p.source_iter([1]).for_each(elsewhere)
    before = sys.stdout, sys.stderr
    d = flow.deploy("local")
    d.step(1)
    d.stop()
    assert (sys.stdout, sys.stderr) == before  # stop() puts the streams back
    assert capfd.readouterr().out == "from another thread\n[p] from the tick 1\n"


def test_keep_lines_bounds_what_is_kept_not_what_is_shown(capfd):
    flow = FlowBuilder()
    p = flow.process("p")
    p.source_iter(range(5)).for_each(print)
    d = flow.deploy("local", keep_lines=2)
    d.step(1)
    d.stop()
    assert d.stdout(p) == ["3", "4"]
    assert capfd.readouterr().out == "".join(f"[p] {i}\n" for i in range(5))
    with pytest.raises(HydroDeployError) as bad:
        flow.deploy("local", keep_lines=-1)
    assert str(bad.value) == ("keep_lines is how many printed lines to keep per instance "
                              "(d.stdout(...) reads them), an int >= 0; got -1")


def test_a_capture_that_spans_ticks_never_leaves_its_stream_behind():
    """The main thread captures its output (IPython's ``capture_output``: save ``sys.stdout``,
    replace it, put the saved one back) while ticks start and end on another thread, in the
    order that once left an ended capture installed as ``sys.stdout`` (every later print of
    the notebook vanished into it): a tick starts, the capture starts, the tick ends, another
    tick starts, the capture ends, the tick ends. Afterwards the main thread prints to the
    stream it printed to before."""
    import io

    from hydro_lab.deploy.output import caught, restore

    base = io.StringIO()
    saved_out = sys.stdout
    sys.stdout = base
    try:
        steps = [threading.Event() for _ in range(6)]

        def ticking():
            with caught():                      # tick 1 starts
                steps[0].set()
                steps[1].wait(5)
            steps[2].set()                      # tick 1 ended
            steps[3].wait(5)
            with caught():                      # tick 2 starts
                steps[4].set()
                steps[5].wait(5)

        thread = threading.Thread(target=ticking)
        thread.start()
        steps[0].wait(5)
        capture = io.StringIO()
        before_capture = sys.stdout             # the capture starts during tick 1
        sys.stdout = capture
        steps[1].set()
        steps[2].wait(5)
        steps[3].set()
        steps[4].wait(5)
        print("captured")                       # during tick 2: reaches the capture
        sys.stdout = before_capture             # the capture ends during tick 2
        steps[5].set()
        thread.join(5)
        print("after")                          # no tick: to the stream it was before
        restore()                               # what a deployment's stop() does
        assert sys.stdout is base
    finally:
        sys.stdout = saved_out
    assert capture.getvalue() == "captured\n"
    assert base.getvalue() == "after\n"
