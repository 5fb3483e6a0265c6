"""Hydro's standard library (``hydro_std``), written in hydro_lab's public language.

Quorums (:func:`collect_quorum`, :func:`collect_quorum_with_response`, with :class:`Ok` and
:class:`Err` for Rust's ``Result``), moving streams between locations (:func:`decouple_process`,
:func:`decouple_cluster`, :func:`send_partitioned`), :func:`join_responses`,
:func:`track_membership`, and benchmarking a protocol with virtual clients
(:func:`bench_client`, :func:`compute_throughput_latency`, :func:`aggregate_bench_results`,
:func:`pretty_print_bench_results`, and :func:`bench_report` for Python).
"""

from hydro_lab.std.bench_client import (
    BenchReport,
    BenchResult,
    aggregate_bench_results,
    bench_client,
    bench_report,
    compute_throughput_latency,
    pretty_print_bench_results,
)
from hydro_lab.std.compartmentalize import decouple_cluster, decouple_process, send_partitioned
from hydro_lab.std.histogram import Histogram
from hydro_lab.std.membership import track_membership
from hydro_lab.std.quorum import Err, Ok, collect_quorum, collect_quorum_with_response
from hydro_lab.std.request_response import join_responses
from hydro_lab.std.rolling_average import RollingAverage

__all__ = [
    "BenchReport", "BenchResult", "Err", "Histogram", "Ok", "RollingAverage",
    "aggregate_bench_results", "bench_client", "bench_report", "collect_quorum",
    "collect_quorum_with_response", "compute_throughput_latency", "decouple_cluster",
    "decouple_process", "join_responses", "pretty_print_bench_results", "send_partitioned",
    "track_membership",
]
