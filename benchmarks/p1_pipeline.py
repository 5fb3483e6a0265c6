"""P1: a stateless pipeline ending in a fold, map(x*2) -> filter(x%3==0) -> fold(sum), over N
ints: hydro_lab's fused tick against a hand-written loop, streamz and bytewax.
"""

from __future__ import annotations

from typing import Any

from benchmarks.harness import Contender, Goal, Record, hydro_contender, measure, report
from hydro_lab import FlowBuilder

NAME = "p1"
FULL_N = 1_000_000
QUICK_N = 100_000
BYTEWAX_BATCH = 1000


def hand_loop(data: list[int]) -> int:
    """The same computation written the way one would by hand: one loop, local variables."""
    acc = 0
    for x in data:
        y = x * 2
        if y % 3 == 0:
            acc += y
    return acc


def build_hydro(data: list[int], out: list) -> FlowBuilder:
    flow = FlowBuilder("p1_pipeline")
    p = flow.process("p")
    total = (p.source_iter(data)
             .map(lambda x: x * 2)
             .filter(lambda x: x % 3 == 0)
             .fold(lambda: 0, lambda a, x: a + x))
    total.into_stream().dest_sink(out)
    return flow


def _streamz(data: list[int]) -> Contender:
    try:
        from streamz import Stream
    except Exception as err:  # not installed: reported as skipped
        return Contender("streamz", None, skip=f"not importable ({type(err).__name__}: {err}); "
                         "install the bench extra: pip install -e '.[bench]'")

    def prepare(record: Record):
        source = Stream()
        acc = (source.map(lambda x: x * 2)
               .filter(lambda x: x % 3 == 0)
               .accumulate(lambda a, x: a + x, start=0))
        emit = source.emit

        def run():
            for x in data:
                emit(x)
            return acc.state  # the running sum after the last element

        return run

    note = "Stream().map().filter().accumulate(), emit() per int, answer = accumulate's state"
    return Contender("streamz", prepare, note=note, optional=True)


def _bytewax(data: list[int]) -> Contender:
    try:
        import bytewax.operators as op
        from bytewax.dataflow import Dataflow
        from bytewax.testing import TestingSink, TestingSource, run_main
    except Exception as err:  # not installed, or no build for this platform
        return Contender("bytewax", None, skip=f"not importable ({type(err).__name__}: {err}); "
                         "install the bench extra: pip install -e '.[bench]'")

    def prepare(record: Record):
        out: list = []
        flow = Dataflow("p1_pipeline")
        s = op.input("inp", flow, TestingSource(data, batch_size=BYTEWAX_BATCH))
        s = op.map("double", s, lambda x: x * 2)
        s = op.filter("div3", s, lambda x: x % 3 == 0)
        keyed = op.key_on("one_key", s, lambda _x: "all")
        total = op.fold_final("sum", keyed, lambda: 0, lambda a, x: a + x)
        op.output("out", total, TestingSink(out))

        def run():
            run_main(flow)
            return out

        return run

    def normalize(result: list) -> Any:
        return result[0][1] if len(result) == 1 and result[0][0] == "all" else list(result)

    note = (f"map/filter/key_on/fold_final, TestingSource(batch_size={BYTEWAX_BATCH}), "
            "testing.run_main (1 worker)")
    return Contender("bytewax", prepare, normalize, note, optional=True)


def _first_of_one(result: list) -> Any:
    return result[0] if len(result) == 1 else list(result)


def run(quick: bool, runs: int, show_source: bool = False) -> dict[str, Any]:
    n = QUICK_N if quick else FULL_N
    data = list(range(n))  # built once, outside every timed region, shared by all contenders
    hydro, setup = hydro_contender(
        lambda out: build_hydro(data, out), runs, _first_of_one,
        "compiled once, fresh local deployment per run, timed: d.step(1)")
    if show_source:
        print(setup.compiled.source("p"))
    contenders = [
        Contender("hand_loop", lambda record: lambda: hand_loop(data),
                  note="plain for-loop in a function, local variables"),
        hydro,
        _streamz(data),
        _bytewax(data),
    ]
    outcomes, answer = measure(contenders, "hand_loop", runs)
    hydro_outcome = next(o for o in outcomes if o.name == "hydro_lab")
    title = f"map(x*2) -> filter(x%3==0) -> fold(sum) over {n:,} ints"
    record = report(NAME, title, outcomes, "hand_loop", runs,
                    [Goal("hydro_lab", 0.80, 0.85)], repr(answer),
                    [setup.summary(hydro_outcome)])
    record.update(n=n, answer=answer, hydro_lab_setup=setup.as_json())
    return record
