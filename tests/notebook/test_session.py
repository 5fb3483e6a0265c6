"""``hydro_lab/notebook/session.py``: what the session computes on its own (most of it is tested
through the magics, in ``test_magics.py``)."""

from __future__ import annotations

from hydro_lab.ir.locations import ClusterId, ProcessId
from hydro_lab.notebook.session import instance_count


def test_instance_count_is_one_per_process_and_the_size_of_each_cluster():
    leader, workers, extra = ProcessId(1, "leader"), ClusterId(2, "workers"), ClusterId(3, "x")
    assert instance_count([leader, workers, extra], {"workers": 3}) == 1 + 3 + 1
    assert instance_count([], {}) == 0
