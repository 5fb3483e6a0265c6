"""Hydro's quickstart counters: one counter, one counter per key, and keys sharded over a cluster.

Clients send increments and gets, each keyed by the client id (a KeyedStream ``client -> request``);
the service acknowledges every increment and answers every get with a count. Gets are served in a
tick against a snapshot of the count: which increments a snapshot contains depends on timing, which
is why ``batch`` and ``snapshot`` take a ``nondet``.

The naive ``single_counter`` acknowledges an increment before it is counted, so a client can read a
count that misses its own acknowledged increment (the read-after-write race of the quickstart). The
atomic versions count the increments in an atomic region on the same tick the gets are served in:
``end_atomic`` releases an acknowledgement only after the count that includes it is visible to
``snapshot_atomic``.
"""

from __future__ import annotations

import zlib
from typing import Any

from hydro_lab import Cluster, KeyedStream, MemberId, Process, nondet


def _count_of(request_and_count: tuple[Any, int]) -> int:
    return request_and_count[1]


def single_counter(server: Process, increments: KeyedStream, gets: KeyedStream):
    """The naive counter (the quickstart's buggy version). ``increments`` and ``gets`` are
    KeyedStreams ``client_id -> anything`` at ``server``.

    Returns ``(acks, counts)``: the increments passed straight back as acknowledgements, and a
    KeyedStream ``client_id -> count`` answering each get. A get that follows an acknowledged
    increment may still see the old count: the ack does not wait for the count to include it.
    """
    current_count = increments.values().count()
    acks = increments

    tick = server.tick()
    request_batch = gets.batch(tick, nondet("we never observe batch boundaries: each get is "
                                            "answered on its own"))
    count_snapshot = current_count.snapshot(
        tick, nondet("BUG on purpose: a snapshot may miss increments that were already acked"))
    counts = request_batch.cross_singleton(count_snapshot).map(_count_of).all_ticks()
    return acks, counts


def single_counter_atomic(server: Process, increments: KeyedStream, gets: KeyedStream):
    """The correct counter (``atomic`` + ``end_atomic`` + ``snapshot_atomic``). Same inputs as
    :func:`single_counter`.

    Returns ``(acks, counts)``: acknowledgements (KeyedStream ``client_id -> request``) released
    only once the count includes them, and a KeyedStream ``client_id -> count`` answering each get;
    a get sent after its increment's ack always sees that increment.
    """
    tick = server.tick()
    processing = increments.atomic(tick)
    current_count = processing.values().count()
    acks = processing.end_atomic()

    request_batch = gets.batch(tick, nondet("we never observe batch boundaries: each get is "
                                            "answered on its own"))
    count_snapshot = current_count.snapshot_atomic(
        nondet("atomicity makes the snapshot include every increment whose ack was released"))
    counts = request_batch.cross_singleton(count_snapshot).map(_count_of).all_ticks()
    return acks, counts


def _key_as_group(entry: tuple[Any, Any]) -> tuple[Any, None]:
    _client, key = entry
    return (key, None)


def _swap(entry: tuple[Any, Any]) -> tuple[Any, Any]:
    return (entry[1], entry[0])


def _zero_count(client: Any) -> tuple[int, Any]:
    return (0, client)


def _answer(entry: tuple[Any, tuple[int, Any]]) -> tuple[Any, tuple[Any, int]]:
    key, (count, client) = entry
    return (client, (key, count))


def keyed_counter(server: Process | Cluster, increments: KeyedStream, gets: KeyedStream):
    """One counter per key (the quickstart's keyed counter). ``increments`` and ``gets`` are
    KeyedStreams ``client_id -> key`` at ``server`` (a process, or each member of a cluster).

    Returns ``(acks, counts)``: acknowledgements ``client_id -> key``, released once the key's
    count includes them, and a NoOrder KeyedStream ``client_id -> (key, count)`` answering each
    get (a key never incremented counts 0).
    """
    tick = server.tick()
    processing = increments.atomic(tick)
    current_count = processing.entries().map(_key_as_group).into_keyed().value_counts()
    acks = processing.end_atomic()

    requests_by_key = gets.entries().map(_swap).into_keyed()
    request_batch = requests_by_key.batch(tick, nondet("we never observe batch boundaries: each "
                                                       "get is answered on its own"))
    count_snapshot = current_count.snapshot_atomic(
        nondet("atomicity makes the snapshot include every increment whose ack was released"))
    found = count_snapshot.join_keyed_stream(request_batch)
    missing = request_batch.filter_key_not_in(count_snapshot.keys()).map(_zero_count)
    counts = found.chain(missing).entries().map(_answer).into_keyed().all_ticks()
    return acks, counts


def shard_of(key: Any, cluster_name: str, num_shards: int) -> MemberId:
    """The shard that owns ``key``: a deterministic hash (crc32 of ``str(key)``, unlike Python's
    salted ``hash``) modulo the number of shards."""
    return MemberId(cluster_name, zlib.crc32(str(key).encode()) % num_shards)


def partitioned_counter(leader: Process, shards: Cluster, increments: KeyedStream,
                        gets: KeyedStream, num_shards: int):
    """The keyed counter sharded by key over ``num_shards`` members of ``shards``; the leader
    routes requests (KeyedStreams ``client_id -> key`` at ``leader``) to the owning shard.

    Returns ``(acks, counts)`` at the leader: NoOrder KeyedStreams ``client_id -> key`` and
    ``client_id -> (key, count)``. Gets and increments of one key meet at one shard, so the
    read-after-write guarantee of :func:`keyed_counter` carries over.
    """
    shards_name = shards.name

    def route(entry):
        client, key = entry
        return (shard_of(key, shards_name, num_shards), (client, key))

    sharded_increments = increments.entries().map(route).into_keyed().demux(shards).into_keyed()
    sharded_gets = gets.entries().map(route).into_keyed().demux(shards).into_keyed()

    shard_acks, shard_counts = keyed_counter(shards, sharded_increments, sharded_gets)

    acks = shard_acks.entries().send(leader).values().into_keyed()
    counts = shard_counts.entries().send(leader).values().into_keyed()
    return acks, counts
