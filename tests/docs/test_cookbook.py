"""Every recipe of docs/cookbook.md runs as written and shows what it says it shows.

The fenced ``python`` blocks are run top to bottom in one namespace (a later recipe may reuse an
earlier one's functions, as the text says), each recipe's blocks together; each recipe's test
then checks the values its text promises.
"""

from __future__ import annotations

import linecache
import re
import traceback
from pathlib import Path

import pytest

from hydro_lab import MemberId

COOKBOOK = Path(__file__).resolve().parents[2] / "docs" / "cookbook.md"
FILENAME = "docs/cookbook.md"


def recipes() -> list[tuple[str, list[tuple[int, str]]]]:
    """``(title, [(first line number, code), ...])`` per ``##`` section with code."""
    out: list[tuple[str, list[tuple[int, str]]]] = []
    lines = COOKBOOK.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            out.append((line[3:].strip(), []))
        elif line.strip() == "```python":
            start = i + 1
            end = next(j for j in range(start, len(lines)) if lines[j].strip() == "```")
            out[-1][1].append((start + 1, "\n".join(lines[start:end]) + "\n"))
            i = end
        i += 1
    return [(title, blocks) for title, blocks in out if blocks]


TITLES = [title for title, _ in recipes()]


def _run_block(code: str, first_line: int, ns: dict) -> None:
    # pad to the block's line in the file, so errors and hydro_lab's messages point at it
    source = "\n" * (first_line - 1) + code
    linecache.cache[FILENAME] = (len(source), None, source.splitlines(True), FILENAME)
    exec(compile(source, FILENAME, "exec"), ns)


@pytest.fixture(scope="module")
def cookbook() -> dict[str, tuple[dict, str | None]]:
    """Runs every recipe in order: title -> (a copy of the namespace after it, its error or
    None). The copies hold values; the recipes' functions see the shared namespace as it is at
    the end, so the tests read values, they do not call functions."""
    ns: dict = {"__name__": "cookbook"}
    results = {}
    for title, blocks in recipes():
        error = None
        for first_line, code in blocks:
            try:
                _run_block(code, first_line, ns)
            except BaseException:  # noqa: BLE001  (reported by the recipe's test)
                error = traceback.format_exc()
                break
        results[title] = (dict(ns), error)
    return results


def _ran(cookbook, title: str) -> dict:
    ns, error = cookbook[title]
    if error:
        pytest.fail(f"the recipe {title!r} of docs/cookbook.md failed:\n{error}")
    return ns


def _title(start: str) -> str:
    return next(t for t in TITLES if t.startswith(start))


def test_the_cookbook_has_the_recipes_it_lists():
    text = COOKBOOK.read_text()
    for start in ("A stateful request/response server", "Many clients on one port",
                  "A cluster's size", "Routing to a member by key", "A failure detector",
                  "Live metrics from a Python source", "Reading a value while handling"):
        assert _title(start)
    for anchor in re.findall(r"\]\(#([^)]+)\)", text):
        slugs = {re.sub(r"[^\w\- ]", "", t.lower()).replace(" ", "-") for t in TITLES}
        assert anchor in slugs, anchor


def test_key_value_store(cookbook):
    ns = _ran(cookbook, _title("A stateful request/response server"))
    assert ns["answers"] == [("ok", "a"), ("a", 1), ("b", None), ("ok", "a"), ("a", 2)]
    assert ns["executions"] == 1


def test_many_clients(cookbook):
    ns = _ran(cookbook, _title("Many clients on one port"))
    assert ns["port"].direction == "bidi"
    assert ns["executions"] == 2


def test_cluster_size_and_ids(cookbook):
    ns = _ran(cookbook, _title("A cluster's size"))
    assert (ns["size_before"], ns["size_after"]) == (3, 2)
    assert [sender for sender, _ in ns["greetings"]] == [MemberId("workers", i) for i in range(3)]
    # the leader's snapshot of the members may lag a tick behind the crash, then catches up
    # (it did not catch up before, 2 executions)
    assert ns["executions"] == 6


def test_routing_by_key(cookbook):
    ns = _ran(cookbook, _title("Routing to a member by key"))
    owners = {k: ns["owner"](k).get_raw_id() for k in ns["keys"]}
    assert len(set(owners.values())) > 1, "the recipe's keys should land on several shards"
    assert ns["gets"] == {k: (owners[k], len(k)) for k in ns["keys"]}
    assert ns["executions"] > 1


def test_failure_detector(cookbook):
    ns = _ran(cookbook, _title("A failure detector"))
    assert 1 in ns["suspected_after_kill"]
    assert ns["found_false_suspicion"]


def test_live_metrics(cookbook):
    ns = _ran(cookbook, _title("Live metrics from a Python source"))
    assert sum(ns["requests"].values()) == 10_000
    assert ns["worst"] == "/login" and ns["error_rate"]["/login"] > 0.2


def test_sliced_counter(cookbook):
    ns = _ran(cookbook, _title("Reading a value while handling"))
    assert ns["executions"] >= 1 and ns["caught"]
    assert "saw version 1 of 2 (an older one)" in ns["trace"]
