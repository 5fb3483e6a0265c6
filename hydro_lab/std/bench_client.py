"""Benchmarking a protocol with closed-loop virtual clients (Hydro's
``hydro_std::bench_client``).

``bench_client`` drives ``num_clients_per_node`` virtual clients on every member of a client
cluster: each sends a request, waits for its output, and sends the next one, and every completed
request's latency is measured. ``compute_throughput_latency`` turns the latencies into one
(requests, Histogram) per interval and member, ``aggregate_bench_results`` combines the members
at one process, and ``pretty_print_bench_results`` prints Hydro's lines. ``bench_report`` is the
Python side: it collects the results into a :class:`BenchReport` with a pandas summary.

Hydro's ``Duration`` is a float of seconds here, and latencies are measured with
``time.perf_counter()`` on the client member (start and end on the same machine), as Hydro reads
``SystemTime::now()`` in its closures: wall-clock time, also in the simulator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from hydro_lab.errors import HydroTypeError, rule_error
from hydro_lab.ir.kinds import Kind, Order
from hydro_lab.lang import Cluster, KeyedStream, LiveCollection, Process, Stream, nondet
from hydro_lab.lang.context import current_op, operator
from hydro_lab.lang.nondet import require_nondet
from hydro_lab.member_id import self_id
from hydro_lab.std import checks
from hydro_lab.std.histogram import Histogram
from hydro_lab.std.rolling_average import RollingAverage

_BATCH = nondet("batching is required to compare an output with its input's time, but does not "
                "change the result: each virtual client has one request in flight, its start and "
                "end times are taken when they happen, and an output waits for its request's "
                "start however the two are batched")


# -- closures (module-level functions and small classes, so graphs name them and they pickle) ----

class _VirtualClients:
    """``n`` new virtual clients: ``[(0, None), ..., (n - 1, None)]``."""

    def __init__(self, n: int):
        self.n = n

    def __call__(self, _: Any) -> list[tuple[int, None]]:
        return [(vid, None) for vid in range(self.n)]

    def __repr__(self) -> str:
        return f"{self.n} virtual clients"


def _now(_: Any) -> float:
    return time.perf_counter()


def _stamped(output: Any) -> tuple[Any, float]:
    return (output, time.perf_counter())


def _output_of(stamped: tuple[Any, float]) -> Any:
    return stamped[0]


def _as_start(entry: tuple[int, float]) -> tuple[str, int, Any, float]:
    vid, t = entry
    return ("start", vid, None, t)


def _as_end(entry: tuple[int, tuple[Any, float]]) -> tuple[str, int, Any, float]:
    vid, (output, t) = entry
    return ("end", vid, output, t)


def _no_events() -> list:
    return []


def _add_event(events: list, event: tuple) -> list:
    events.append(event)
    return events


def _match(pair: tuple[dict, list]) -> tuple[dict, list]:
    """Pair each output with the start of the request it answers: ``(state, [(vid, (output,
    latency))])``; ``state`` keeps, per virtual client, the start times not matched yet and the
    outputs still waiting for theirs (in the order they were released).

    A virtual client's outputs reach the tick one at a time and in order (the next request is
    made from the output the tick released), while its start times may come in any order and
    any tick later. Its requests alternate in time (start 0 < end 0 < start 1 < end 1 ...), so
    once the outputs before this one have their starts, the only start not matched yet that is
    not later than this output is its own: an output with no such start waits for it.
    """
    state, events = pair
    if not events:
        return (state, [])
    new = dict(state)
    grouped: dict[int, tuple[list, list]] = {}
    for kind, vid, output, t in events:
        if vid not in grouped:
            starts, ends = new.get(vid, ((), ()))
            grouped[vid] = (list(starts), list(ends))
        if kind == "start":
            grouped[vid][0].append(t)
        else:
            grouped[vid][1].append((output, t))
    matched = []
    for vid, (starts, ends) in grouped.items():
        starts.sort()
        while ends and starts and starts[0] <= ends[0][1]:
            output, end = ends.pop(0)
            matched.append((end, vid, output, end - starts.pop(0)))
        if starts or ends:
            new[vid] = (tuple(starts), tuple(ends))
        else:
            new.pop(vid, None)
    matched.sort(key=lambda m: m[0])
    return (new, [(vid, (output, latency)) for _, vid, output, latency in matched])


def _state_of(step: tuple[dict, list]) -> dict:
    return step[0]


def _matched_of(step: tuple[dict, list]) -> list:
    return step[1]


def _true(_: Any) -> bool:
    return True


def _new_histogram() -> Histogram:
    return Histogram()


def _record_latency(histogram: Histogram, latency: Any) -> Histogram:
    seconds = latency.total_seconds() if hasattr(latency, "total_seconds") else latency
    histogram.record(int(seconds * 1e9))
    return histogram


def _sum(pair: tuple[int, int]) -> int:
    return pair[0] + pair[1]


def _zero() -> int:
    return 0


def _add(total: int, n: int) -> int:
    return total + n


def _merge_into_new(pair: tuple[Histogram, Histogram]) -> Histogram:
    """``(this tick's histogram, the earlier ones)``: this tick's is new every tick, so it takes
    the earlier counts in place; the earlier one is left as it was."""
    new, old = pair
    new.add(old)
    return new


def _merged_copy(a: Histogram, b: Histogram) -> Histogram:
    merged = a.copy()
    merged.add(b)
    return merged


def _reset_or_merge(state: tuple[tuple[Histogram, Histogram | None], Any]) -> Histogram:
    """Hydro's aggregator step: a punctuation starts a new window; new histograms are added."""
    (old, new), reset = state
    if reset is None and new is None:
        return old
    merged = Histogram() if reset is not None else old.copy()
    if new is not None:
        merged.add(new)
    return merged


class _Tagged:
    """``x -> (member or None, wall time, x)``: a report row."""

    def __init__(self, on_cluster: bool):
        self.on_cluster = on_cluster

    def __call__(self, x: Any) -> tuple[Any, float, Any]:
        return (self_id() if self.on_cluster else None, time.time(), x)

    def __repr__(self) -> str:
        return "(member, time, x)"


class _ThroughputLine:
    """Hydro's ``Throughput: {} requests/s`` line, the count scaled to one second."""

    def __init__(self, interval_millis: float):
        self.interval_millis = interval_millis

    def __call__(self, count: int) -> str:
        return f"Throughput: {count * 1000.0 / self.interval_millis:.2f} requests/s"

    def __repr__(self) -> str:
        return "Throughput line"


def _ms(ns: int) -> float:
    return (ns // 1000) / 1000.0  # Hydro: Duration::from_nanos(ns).as_micros() as f64 / 1000.0


def _latency_line(h: Histogram) -> str:
    return (f"Latency p50: {_ms(h.value_at_quantile(0.5)):.3f} | "
            f"p99 {_ms(h.value_at_quantile(0.99)):.3f} | "
            f"p999 {_ms(h.value_at_quantile(0.999)):.3f} ms ({h.len()} samples)")


# -- the benchmark -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BenchResult:
    """Hydro's ``BenchResult<L>``: per interval, the latencies (a :class:`Histogram` of
    nanoseconds) and the number of completed requests, as two TotalOrder Streams at ``L`` (the
    client cluster, or the aggregator process). ``interval_millis`` is the interval's length."""

    latency_histogram: Stream
    throughput: Stream
    interval_millis: float


def _keyed_at_clients(value: Any, clients: Cluster, role: str) -> KeyedStream:
    op = current_op()
    if not isinstance(value, LiveCollection) or value.KIND is not Kind.KEYED_STREAM:
        got = value.KIND.value if isinstance(value, LiveCollection) else type(value).__name__
        raise rule_error(op, f"{role} must return a KeyedStream virtual_client_id -> value at "
                         f"{clients.id.describe()}, got a {got}",
                         "key each value by its virtual client id: .into_keyed() on "
                         "(vid, value) pairs")
    if value.location.id != clients.id:
        raise rule_error(op, f"{role} returned a KeyedStream at "
                         f"{value.location.id.describe()}, not at the top level of "
                         f"{clients.id.describe()}", "send the values back to the client that "
                         "made the request (e.g. .demux(clients) keyed by its MemberId) and "
                         "key them by the virtual client id")
    checks.exactly_once(value, f"what {role} returned", "every output completes one request: "
                        "a duplicate would be measured as another request")
    return value


@operator("bench_client")
def _open_loop(clients: Any, num_clients_per_node: Any, workload_generator: Any,
               protocol: Any) -> tuple[Any, KeyedStream]:
    checks.location(clients, Cluster, "the clients", "pass a cluster made by flow.cluster(name)")
    n = checks.positive_int(num_clients_per_node, "num_clients_per_node",
                            "bench_client(clients, 10, workload, protocol)")
    checks.function(workload_generator, "workload_generator",
                    "a function from KeyedStream vid -> previous output (None for a new virtual "
                    "client) to KeyedStream vid -> next input")
    checks.function(protocol, "protocol", "a function from KeyedStream vid -> input to "
                    "KeyedStream vid -> output, both at the clients")
    new_ids = (clients.tick().optional_first_tick(True)
                             .flat_map_ordered(_VirtualClients(n))
                             .all_ticks()
                             .into_keyed())
    outputs_handle, previous_outputs = clients.forward_ref("KeyedStream", order=Order.NO_ORDER)
    return outputs_handle, new_ids.interleave(previous_outputs)


@operator("bench_client")
def _returned(value: Any, clients: Cluster, role: str) -> KeyedStream:
    return _keyed_at_clients(value, clients, role)


@operator("bench_client")
def _close_loop(clients: Cluster, outputs_handle: Any, inputs: KeyedStream,
                outputs: KeyedStream) -> KeyedStream:
    # The outputs are stamped when they arrive and go round the loop from the tick that
    # releases them (Hydro's loop takes them at the top level): so a virtual client has at most
    # one output in the tick's batch, and its next start comes after this output's end. Start
    # times and outputs are batched in any order; no order is assumed (the simulator, as
    # Hydro's, explores every order an assume_ordering allows, and a client's second start
    # could be seen before its first).
    tick = clients.tick()
    ends = outputs.map(_stamped).batch(tick, _BATCH)
    outputs_handle.complete(ends.map(_output_of).all_ticks())
    starts = inputs.map(_now).batch(tick, _BATCH)
    events = starts.entries().map(_as_start).chain(ends.entries().map(_as_end))
    state_handle, state = tick.cycle_with_initial({})
    step = state.zip(events.fold(_no_events, _add_event, commutative="a tick has at most one "
                                 "output per virtual client, and its starts are sorted by their "
                                 "times before they are matched")).map(_match)
    state_handle.complete_next_tick(step.map(_state_of))
    return step.flat_map_ordered(_matched_of).all_ticks().into_keyed().weaken_ordering()


def bench_client(clients: Cluster, num_clients_per_node: int, workload_generator: Any,
                 protocol: Any) -> KeyedStream:
    """Hydro's ``bench_client(clients, num_clients_per_node, workload_generator, protocol)``.

    Every member of ``clients`` runs ``num_clients_per_node`` virtual clients (ids
    ``0 .. num_clients_per_node - 1``, all started in the member's first tick), each with one
    request in flight. ``workload_generator`` maps a KeyedStream ``vid -> previous output``
    (``None`` for a new virtual client, so outputs must not be None) to a KeyedStream
    ``vid -> next input``; ``protocol`` maps the inputs to a KeyedStream ``vid -> output`` at
    the clients (it sends them wherever it likes and back). Returns a KeyedStream
    ``vid -> (output, latency in seconds)`` at the clients (Unbounded, NoOrder), one per
    completed request.

    Examples
    --------
    >>> from hydro_lab import FlowBuilder
    >>> from hydro_lab.std import bench_client
    >>> flow = FlowBuilder()
    >>> clients, server = flow.cluster("clients"), flow.process("server")
    >>> def echo(inputs):
    ...     back = inputs.entries().map(lambda e: (self_id(), e)).send(server).values()
    ...     return back.demux(clients).into_keyed()
    >>> done = bench_client(clients, 4, lambda prev: prev.map(lambda o: 0 if o is None else o + 1),
    ...                     echo)
    >>> type(done).__name__, done.order
    ('KeyedStream', Order.NO_ORDER)
    """
    ctx = getattr(clients, "_ctx", None)
    mark = ctx.checkpoint() if ctx is not None else None
    try:
        outputs_handle, ids_and_previous = _open_loop(clients, num_clients_per_node,
                                                      workload_generator, protocol)
        inputs = _returned(workload_generator(ids_and_previous), clients, "workload_generator")
        outputs = _returned(protocol(inputs), clients, "protocol")
        return _close_loop(clients, outputs_handle, inputs, outputs)
    except HydroTypeError as err:
        if ctx is not None:
            ctx.rollback(mark)  # a refused call leaves nothing behind, as an operator's does
        raise err.with_traceback(None) from None


@operator()
def compute_throughput_latency(clients: Cluster, latencies: Stream, interval_millis: float,
                               nondet_measurement_window: Any) -> BenchResult:
    """Hydro's ``compute_throughput_latency(clients, latencies, interval_millis, nondet)``.

    ``latencies`` (a Stream of seconds at ``clients``, any order, ExactlyOnce) is measured in
    windows of ``interval_millis`` of wall-clock time per member: at the end of each window the
    member emits the window's Histogram (nanoseconds) and its number of requests, even when it
    had none. Needs the ``nondet`` of the measurement window (where windows begin and end is
    timing). The requests completed in the tick that closes a window count toward the next.
    """
    checks.location(clients, Cluster, "the clients", "pass a cluster made by flow.cluster(name)")
    checks.collection(latencies, Kind.STREAM, "the latencies")
    checks.at(latencies, clients, "the latencies", "measure the latencies at the clients, e.g. "
              "bench_client(...).values().map(lambda v: v[1])")
    checks.exactly_once(latencies, "the latencies", "each latency is one completed request: a "
                        "duplicate would be counted twice")
    millis = checks.positive_number(interval_millis, "interval_millis",
                                    "compute_throughput_latency(clients, latencies, 1000, nd)")
    require_nondet(nondet_measurement_window)
    punctuation = clients.source_interval(millis / 1000.0, nondet_measurement_window)
    tick = clients.tick()
    window_ends = punctuation.batch(tick, nondet_measurement_window).first().map(_true)
    batch = latencies.batch(tick, nondet_measurement_window)
    histogram_handle, histogram = tick.cycle_with_initial(Histogram())
    throughput_handle, throughput = tick.cycle_with_initial(0)
    batched_histogram = batch.fold(_new_histogram, _record_latency, commutative="adding elements "
                                   "to a histogram is commutative")
    interval_throughput = throughput.filter_if_some(window_ends)
    interval_latency = histogram.filter_if_some(window_ends)
    batched_throughput = batch.count()
    throughput_handle.complete_next_tick(
        batched_throughput.zip(throughput.filter_if_none(window_ends))
                          .map(_sum).unwrap_or(batched_throughput))
    histogram_handle.complete_next_tick(
        batched_histogram.zip(histogram.filter_if_none(window_ends))
                         .map(_merge_into_new).unwrap_or(batched_histogram))
    return BenchResult(interval_latency.all_ticks(), interval_throughput.all_ticks(), millis)


def _check_results(results: Any) -> BenchResult:
    if not isinstance(results, BenchResult):
        raise rule_error(current_op(), f"expects a BenchResult, got {type(results).__name__}",
                         "pass what compute_throughput_latency or aggregate_bench_results "
                         "returned")
    return results


@operator()
def aggregate_bench_results(results: BenchResult, aggregator: Process,
                            output_interval_millis: float) -> BenchResult:
    """Hydro's ``aggregate_bench_results(results, aggregator, output_interval_millis)``: the
    members' per-interval results sent to the ``aggregator`` process and combined there every
    ``output_interval_millis`` of wall-clock time: the requests summed, the histograms merged.
    Windows of the members and of the aggregator are not aligned, so keep
    ``output_interval_millis`` well above the members' ``interval_millis``."""
    results = _check_results(results)
    checks.location(aggregator, Process, "the aggregator",
                    "pass a process made by flow.process(name)")
    millis = checks.positive_number(output_interval_millis, "output_interval_millis",
                                    "aggregate_bench_results(results, aggregator, 1000)")
    sampling = nondet("non-deterministic sampling only affects logging")
    punctuation = aggregator.source_interval(millis / 1000.0, sampling)
    throughputs = results.throughput.send(aggregator)
    latencies = results.latency_histogram.send(aggregator)
    if throughputs.KIND is Kind.KEYED_STREAM:  # from a cluster: keyed by sender
        throughputs, latencies = throughputs.values(), latencies.values()
    tick = aggregator.tick()
    window_ends = punctuation.batch(tick, sampling).first().map(_true)
    throughput_handle, throughput = tick.cycle_with_initial(0)
    histogram_handle, histogram = tick.cycle_with_initial(Histogram())
    interval_throughput = throughput.filter_if_some(window_ends)
    interval_latency = histogram.filter_if_some(window_ends)
    throughput_handle.complete_next_tick(
        throughputs.batch(tick, sampling)
                   .chain(throughput.filter_if_none(window_ends).into_stream())
                   .fold(_zero, _add, commutative="addition is commutative"))
    merged_new = latencies.batch(tick, sampling).reduce(
        _merged_copy, commutative="merging histograms is commutative")
    histogram_handle.complete_next_tick(
        histogram.zip(merged_new.into_singleton())
                 .zip(window_ends.into_singleton())
                 .map(_reset_or_merge))
    return BenchResult(interval_latency.all_ticks(), interval_throughput.all_ticks(), millis)


@operator()
def pretty_print_bench_results(aggregate_results: BenchResult) -> None:
    """Hydro's ``pretty_print_bench_results``: prints ``Throughput: <n> requests/s`` (the
    interval's requests per second) and ``Latency p50: <ms> | p99 <ms> | p999 <ms> ms (<n>
    samples)`` for every interval."""
    results = _check_results(aggregate_results)
    results.throughput.map(_ThroughputLine(results.interval_millis)).for_each(print)
    results.latency_histogram.map(_latency_line).for_each(print)


# -- the Python side -------------------------------------------------------------------------------

class BenchReport:
    """What :func:`bench_report` collects while the flow runs: one row per interval (and
    member, for a cluster's results), readable at any time from Python.

    ``throughput_rows`` holds ``(member, time, requests)`` and ``latency_rows``
    ``(member, time, Histogram)`` (``member`` is None at a process, ``time`` the wall-clock
    time the interval ended); ``to_pandas()`` is one DataFrame row per interval, and
    ``summary()`` the whole run.
    """

    def __init__(self, interval_millis: float):
        self.interval_millis = interval_millis
        self.throughput_rows: list[tuple[Any, float, int]] = []
        self.latency_rows: list[tuple[Any, float, Histogram]] = []

    @property
    def throughput(self) -> list[int]:
        """The requests completed in each interval, in order (all members' rows)."""
        return [n for _, _, n in list(self.throughput_rows)]

    @property
    def latency(self) -> list[Histogram]:
        """Each interval's latency Histogram (nanoseconds), in order."""
        return [h for _, _, h in list(self.latency_rows)]

    def records(self) -> list[dict[str, Any]]:
        """One dict per interval and member: ``member``, ``interval`` (its index at that
        member), ``time``, ``requests``, ``throughput_rps``, ``samples`` and the latency's
        ``latency_mean_ms``, ``latency_p50_ms``, ``latency_p99_ms``, ``latency_p999_ms``."""
        seconds = self.interval_millis / 1000.0
        index: dict[Any, int] = {}
        by_key: dict[tuple[Any, int], dict[str, Any]] = {}
        for member, t, n in list(self.throughput_rows):
            i = index[member] = index.get(member, -1) + 1
            by_key[member, i] = {"member": member, "interval": i, "time": t, "requests": n,
                                 "throughput_rps": n / seconds}
        index.clear()
        for member, _, h in list(self.latency_rows):
            i = index[member] = index.get(member, -1) + 1
            row = by_key.setdefault((member, i), {"member": member, "interval": i})
            row.update(samples=h.len(), latency_mean_ms=h.mean() / 1e6,
                       latency_p50_ms=h.value_at_quantile(0.5) / 1e6,
                       latency_p99_ms=h.value_at_quantile(0.99) / 1e6,
                       latency_p999_ms=h.value_at_quantile(0.999) / 1e6)
        return [by_key[k] for k in sorted(by_key, key=lambda k: (k[1], str(k[0])))]

    def to_pandas(self):
        """The records as a pandas DataFrame (pandas is imported here, when asked for)."""
        import pandas as pd

        columns = ["member", "interval", "time", "requests", "throughput_rps", "samples",
                   "latency_mean_ms", "latency_p50_ms", "latency_p99_ms", "latency_p999_ms"]
        return pd.DataFrame(self.records(), columns=columns)

    def summary(self) -> dict[str, Any]:
        """The whole run: ``intervals``, ``requests``, the mean ``throughput_rps`` over the
        intervals that completed requests (all members' requests of an interval together) with
        its 99% interval ``throughput_rps_ci99`` (None below two such intervals), and the
        latency of every request (``samples``, ``latency_mean_ms``, ``latency_p50_ms``,
        ``latency_p99_ms``, ``latency_p999_ms``)."""
        seconds = self.interval_millis / 1000.0
        per_interval: dict[int, int] = {}
        index: dict[Any, int] = {}
        for member, _, n in list(self.throughput_rows):
            i = index[member] = index.get(member, -1) + 1
            per_interval[i] = per_interval.get(i, 0) + n
        rates = RollingAverage()
        for i in sorted(per_interval):
            if per_interval[i] > 0:
                rates.add_sample(per_interval[i] / seconds)
        merged = Histogram()
        for h in self.latency:
            merged.add(h)
        return {
            "intervals": len(per_interval),
            "requests": sum(per_interval.values()),
            "throughput_rps": rates.sample_mean(),
            "throughput_rps_ci99": rates.confidence_interval_99(),
            "samples": merged.len(),
            "latency_mean_ms": merged.mean() / 1e6,
            "latency_p50_ms": merged.value_at_quantile(0.5) / 1e6,
            "latency_p99_ms": merged.value_at_quantile(0.99) / 1e6,
            "latency_p999_ms": merged.value_at_quantile(0.999) / 1e6,
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<BenchReport {s['intervals']} intervals of {self.interval_millis:g} ms: "
                f"{s['requests']} requests, {s['throughput_rps']:.1f} requests/s, latency p50 "
                f"{s['latency_p50_ms']:.3f} ms, p99 {s['latency_p99_ms']:.3f} ms>")


@operator()
def bench_report(results: BenchResult) -> BenchReport:
    """Collect ``results`` (from :func:`compute_throughput_latency` or
    :func:`aggregate_bench_results`) into a :class:`BenchReport` while the flow runs, on every
    backend (its rows come back to the driver as ``dest_sink`` values do). Call it before
    deploying; read the report during or after the run."""
    results = _check_results(results)
    report = BenchReport(results.interval_millis)
    on_cluster = checks.is_cluster(results.throughput)
    results.throughput.map(_Tagged(on_cluster)).dest_sink(report.throughput_rows)
    results.latency_histogram.map(_Tagged(on_cluster)).dest_sink(report.latency_rows)
    return report
