"""docs/conformance.md, the table of Hydro's public API and its hydro_lab spelling, stays true.

The page's tables have three columns: the Hydro API, the hydro_lab spelling, the status. In the
hydro_lab column a backticked dotted name is a *reference*: ``Stream.map``, ``std.collect_quorum``,
``SimOutput.collect_sorted``, ``hydro_lab.sliced`` (a call's arguments may follow in parentheses).
Its first part names a hydro_lab class or module (``NAMESPACE`` below), the rest are attributes.
Other backticked text there (``commutative=``, ``~signal``) is prose.

Checked here:

- every row's status starts with ``done``, ``partial``, ``left out`` or ``not yet``, and a left out
  or not yet row says why;
- a done or partial row names at least one reference, and every reference on the page resolves
  (a renamed or removed name fails this test);
- every public method and property of the five collection classes appears as a reference
  ``Class.name`` in some row, so a new operator cannot land without its row;
- the page has the sections the issue asks for, each with rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hydro_lab
import hydro_lab.deploy.base
import hydro_lab.lang
import hydro_lab.sim
import hydro_lab.sim.handles
import hydro_lab.std
from hydro_lab import KeyedSingleton, KeyedStream, Optional, Singleton, Stream

PAGE = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"

COLLECTIONS = (Stream, KeyedStream, Singleton, Optional, KeyedSingleton)

NAMESPACE: dict[str, object] = {
    "hydro_lab": hydro_lab,
    "std": hydro_lab.std,
    "use": hydro_lab.use,
    "Deployment": hydro_lab.deploy.base.Deployment,
    "ForwardHandle": hydro_lab.lang.ForwardHandle,
    "BidiExternal": hydro_lab.lang.BidiExternal,
    "ExternalPort": hydro_lab.lang.ExternalPort,
    "Atomic": hydro_lab.lang.Atomic,
    **{c.__name__: c for c in COLLECTIONS},
    **{name: getattr(hydro_lab, name) for name in
       ("Process", "Cluster", "External", "Tick", "FlowBuilder", "MemberId", "MembershipEvent")},
    **{name: getattr(hydro_lab.sim, name) for name in
       ("Simulator", "SimInstance", "SimFailure", "Faults", "Trace")},
    **{name: getattr(hydro_lab.sim.handles, name) for name in
       ("SimInput", "SimOutput", "SimClusterInput", "SimClusterOutput", "SimMemberOutput",
        "SimClient")},
}

SECTIONS = ("Stream", "KeyedStream", "Singleton", "Optional", "KeyedSingleton", "sliced",
            "Locations and ticks", "Networking", "Simulator", "Deploy and output", "hydro_std")

STATUSES = ("done", "partial", "left out", "not yet")

REFERENCE = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?:\(.*\))?$")


def _cells(line: str) -> list[str]:
    """The cells of a table row, split on pipes that are not escaped (``\\|``)."""
    inner = line.strip()[1:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def _rows() -> list[tuple[str, int, list[str]]]:
    """``(section, line number, [hydro, hydro_lab, status])`` for every data row of the page."""
    out, section = [], None
    for number, line in enumerate(PAGE.read_text().splitlines(), 1):
        if line.startswith("## "):
            section = line[3:].strip()
        elif line.startswith("|") and section is not None:
            cells = _cells(line)
            if cells[0].startswith("Hydro API") or set(cells[0]) <= {"-", ":"}:
                continue  # the header and its rule
            out.append((section, number, cells))
    return out


ROWS = _rows()


def references(cell: str) -> list[str]:
    """The dotted names written in backticks in a hydro_lab cell, without call arguments."""
    out = []
    for text in re.findall(r"`([^`]+)`", cell):
        m = REFERENCE.match(text.strip())
        if m:
            out.append(m.group(1))
    return out


def resolve(reference: str) -> object:
    """The object ``reference`` names, or raise ``LookupError`` saying which part is missing."""
    head, *rest = reference.split(".")
    if head not in NAMESPACE:
        raise LookupError(f"{head!r} is not a hydro_lab class or module this test knows "
                          f"(known: {', '.join(sorted(NAMESPACE))})")
    obj = NAMESPACE[head]
    for i, part in enumerate(rest):
        if not hasattr(obj, part):
            raise LookupError(f"{'.'.join([head, *rest[:i]])} has no attribute {part!r}")
        obj = getattr(obj, part)
    return obj


def _public(cls: type) -> list[str]:
    return sorted(n for n in dir(cls) if not n.startswith("_") and not n.isupper())


def test_the_page_parses_into_the_issues_sections():
    counts = {s: sum(1 for sec, _, _ in ROWS if sec == s) for s in SECTIONS}
    assert all(counts.values()), f"sections without rows: {[s for s, n in counts.items() if not n]}"
    assert {sec for sec, _, _ in ROWS} == set(SECTIONS)
    assert all(len(cells) == 3 for _, _, cells in ROWS), \
        [(n, cells) for _, n, cells in ROWS if len(cells) != 3]


@pytest.mark.parametrize("section,line,cells", ROWS, ids=[f"line{n}" for _, n, _ in ROWS])
def test_row(section, line, cells):
    """The status is one of the four; done/partial rows name hydro_lab spellings that exist."""
    hydro, spelling, status = cells
    assert hydro, f"line {line}: the Hydro API cell is empty"
    kind = next((s for s in STATUSES if status.lower().startswith(s)), None)
    assert kind, f"line {line}: status {status!r} does not start with one of {STATUSES}"
    refs = references(spelling)
    if kind in ("done", "partial"):
        assert refs, (f"line {line}: a {kind} row must name its hydro_lab spelling as a "
                      f"backticked `Class.method`; got {spelling!r}")
    else:
        reason = status[len(kind):].strip(" :;,-—")
        assert reason, f"line {line}: a {kind} row must say why: {status!r}"
    for ref in refs:
        try:
            resolve(ref)
        except LookupError as e:
            pytest.fail(f"line {line}: `{ref}` does not exist: {e}")


@pytest.mark.parametrize("cls", COLLECTIONS, ids=[c.__name__ for c in COLLECTIONS])
def test_every_public_method_has_a_row(cls):
    named = {ref for _, _, cells in ROWS for ref in references(cells[1])}
    missing = [n for n in _public(cls) if f"{cls.__name__}.{n}" not in named]
    assert not missing, (f"{cls.__name__} members with no row in docs/conformance.md (add a row "
                         f"naming `{cls.__name__}.<name>` with Hydro's counterpart and a status): "
                         f"{missing}")


def test_the_checks_catch_what_they_should():
    """The parser and resolver are not vacuous: a wrong name fails, an escaped pipe stays."""
    with pytest.raises(LookupError, match="has no attribute 'collect_vec'"):
        resolve("Stream.collect_vec")
    with pytest.raises(LookupError, match="not a hydro_lab class"):
        resolve("SimFlow.exhaustive")
    assert resolve("std.collect_quorum") is hydro_lab.std.collect_quorum
    assert references("`Stream.map`, `s.map(f)`, `commutative=`, `use.batch(c, nd)`") == \
        ["Stream.map", "s.map", "use.batch"]
    assert _cells("| a \\| b | `X.y` | done |") == ["a | b", "`X.y`", "done"]
