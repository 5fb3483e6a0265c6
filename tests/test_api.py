"""The public surface: what API.md lists is exported, documented, and the aliases say so."""

from __future__ import annotations

import inspect

import pytest

import hydro_lab
from hydro_lab import KeyedSingleton, KeyedStream, Optional, Singleton, Stream

API_EXPORTS = ["FlowBuilder", "nondet", "MemberId", "HydroTypeError", "HydroRuntimeError",
               "Bound", "Order", "Retries", "Stream", "KeyedStream", "Singleton", "Optional",
               "KeyedSingleton", "self_id"]

OPERATORS = {
    Stream: """map flat_map_ordered flat_map_unordered flatten_ordered flatten_unordered filter
        filter_map inspect enumerate scan unique fold reduce count max min first last
        collect_list sort chain interleave merge_unordered merge_ordered cross_product
        cross_singleton join anti_join filter_not_in filter_if_some filter_if_none into_keyed
        keys partition batch atomic end_atomic all_ticks defer_tick sample_every timeout
        assume_ordering assume_retries weaken_ordering weaken_retries for_each dest_sink send
        broadcast demux round_robin send_external ir_node_named""",
    KeyedStream: """entries values keys map map_with_key filter filter_map flat_map_ordered
        flat_map_unordered inspect fold reduce value_counts first scan fold_early_stop
        reduce_watermark cross_singleton chain interleave filter_key_not_in get batch atomic
        end_atomic all_ticks defer_tick demux assume_ordering assume_retries""",
    Singleton: """map flat_map_ordered flat_map_unordered filter filter_map zip into_stream
        snapshot snapshot_atomic latest all_ticks defer_tick sample_every sample_eager
        filter_if_some filter_if_none""",
    Optional: """map filter zip or_else unwrap_or into_singleton is_some is_none snapshot latest
        all_ticks defer_tick""",
    KeyedSingleton: """map map_with_key filter entries keys values key_count into_keyed_stream
        get join_keyed_stream join_keyed_singleton filter_key_in filter_key_not_in snapshot
        batch""",
}

ALIASES = {
    Stream: ["send_bincode", "send_bincode_interleaved", "send_bincode_anonymous",
             "demux_bincode", "broadcast_bincode", "reduce_commutative", "fold_commutative",
             "continue_if", "continue_unless", "persist"],
    KeyedStream: ["demux_bincode"],
    Singleton: ["continue_if", "continue_unless"],
}


@pytest.mark.parametrize("name", API_EXPORTS)
def test_exported(name):
    assert name in hydro_lab.__all__ and hasattr(hydro_lab, name)


@pytest.mark.parametrize("name", hydro_lab.__all__)
def test_every_export_is_documented(name):
    assert inspect.getdoc(getattr(hydro_lab, name)), f"{name} has no docstring"


@pytest.mark.parametrize("cls,name", [(c, n) for c, ns in OPERATORS.items() for n in ns.split()])
def test_every_api_operator_exists_and_is_documented(cls, name):
    method = getattr(cls, name)
    assert inspect.getdoc(method), f"{cls.__name__}.{name} has no docstring"


@pytest.mark.parametrize("cls,name", [(c, n) for c, ns in ALIASES.items() for n in ns])
def test_seed_era_aliases_exist_and_say_what_they_stand_for(cls, name):
    doc = inspect.getdoc(getattr(cls, name))
    assert doc and ("Alias of" in doc or "Seed-era" in doc or "alias" in doc.lower())


def test_type_names_are_the_kinds():
    from hydro_lab import FlowBuilder

    flow = FlowBuilder()
    p = flow.process("p")
    s = p.source_iter([1])
    assert type(s).__name__ == "Stream"
    assert type(s.fold(lambda: 0, max)).__name__ == "Singleton"
    assert type(s.max()).__name__ == "Optional"
    assert type(s.map(lambda x: (x, x)).into_keyed()).__name__ == "KeyedStream"
    assert type(s.map(lambda x: (x, x)).into_keyed().value_counts()).__name__ == "KeyedSingleton"
    t = p.tick()
    assert s.batch(t, hydro_lab.nondet("x")).location.outer == p


def test_self_id_outside_a_running_member_explains_itself():
    with pytest.raises(hydro_lab.HydroRuntimeError, match="cluster.self_id()"):
        hydro_lab.self_id()
