"""docs/api.md is generated from the docstrings by docs/api_reference.py (``make docs``): it must
be current, cover every public name, and every public name must have a docstring whose examples
run. The HTML version (pdoc) must build."""

from __future__ import annotations

import difflib
import doctest
import importlib.util
import re
import sys
from pathlib import Path

import pytest

import hydro_lab
from hydro_lab import KeyedSingleton, KeyedStream, Optional, Singleton, Stream

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("api_reference", ROOT / "docs" / "api_reference.py")
api = importlib.util.module_from_spec(spec)
sys.modules["api_reference"] = api  # dataclasses look their module up there
spec.loader.exec_module(api)

# Public names whose docstrings are still to be written, in files being changed by others right
# now. Each is an expected failure: once its docstring lands the test passes unexpectedly, which
# (xfail_strict) fails it, so take the name out of this list then.
PENDING: dict[str, str] = {}


def _surface() -> list[tuple[str, str | None]]:
    out = []
    for _, _, items in api.entries():
        for e in items:
            out.append((e.title, e.doc))
            out += [(m.title, m.doc) for m in e.members if m.kind != "alias"]
    return out


SURFACE = _surface()
TEXT = api.API_MD.read_text() if api.API_MD.exists() else ""


def _anchors(text: str) -> set[str]:
    return set(re.findall(r'<a id="([^"]+)"></a>', text))


def test_reference_is_current():
    fresh = api.render()
    if fresh != TEXT:
        diff = "".join(difflib.unified_diff(TEXT.splitlines(True), fresh.splitlines(True),
                                            "docs/api.md", "from the docstrings"))
        pytest.fail(f"docs/api.md is stale: run `make docs` (or `python docs/api_reference.py`) "
                    f"and commit it.\n{diff[:4000]}")


@pytest.mark.parametrize("name,doc", SURFACE, ids=[n for n, _ in SURFACE])
def test_public_name_has_a_docstring(name, doc, request):
    if name in PENDING:
        request.applymarker(pytest.mark.xfail(
            reason=f"docstring to be written in {PENDING[name]}", strict=True))
    assert doc, f"{name} has no docstring: write one, then `make docs`"


def test_pending_names_are_public_names():
    assert set(PENDING) <= {n for n, _ in SURFACE}


def test_covers_everything_hydro_lab_exports():
    anchors = _anchors(TEXT)
    assert set(hydro_lab.__all__) <= anchors, set(hydro_lab.__all__) - anchors


@pytest.mark.parametrize("cls", [Stream, KeyedStream, Singleton, Optional, KeyedSingleton],
                         ids=lambda c: c.__name__)
def test_covers_every_method_of_the_collections(cls):
    anchors = _anchors(TEXT)
    missing = [name for name in dir(cls) if not name.startswith("_") and name != "KIND"
               and f"{cls.__name__}.{name}" not in anchors
               and f"LiveCollection.{name}" not in anchors]
    assert not missing, f"docs/api.md lacks {cls.__name__}.{missing}"


def test_covers_the_named_surface():
    anchors = _anchors(TEXT)
    wanted = {
        "FlowBuilder", "FlowBuilder.process", "FlowBuilder.cluster", "FlowBuilder.external",
        "FlowBuilder.deploy", "FlowBuilder.sim", "FlowBuilder.graph", "FlowBuilder.compile",
        "Location.source_external", "Location.bidi_external", "Location.sim_input",
        "Cluster.self_id", "Cluster.members", "MemberId", "MemberId.get_raw_id",
        "MembershipEvent", "Bound", "Order", "Retries", "nondet", "self_id",
        "Deployment", "Deployment.connect", "Deployment.run", "Deployment.step",
        "Deployment.metrics", "Deployment.kill", "Client", "Client.send", "Client.recv",
        "Simulator", "Simulator.exhaustive", "Simulator.fuzz", "Simulator.run", "SimInstance",
        "SimInstance.advance", "SimInput", "SimInput.send_many", "SimOutput",
        "SimOutput.assert_yields", "SimOutput.collect", "SimFailure", "Graph", "Graph.to_dot",
        "Graph.to_mermaid", "Graph.to_json", "Graph.to_hydroscope", "Graph.to_svg",
        "Graph.to_text", "Graph.save", "Recording", "Recording.replay", "Watch", "Watch.latest",
        "HydroError", "HydroTypeError", "HydroRuntimeError", "HydroDeployError",
        "%%hydro", "%hydro", "Stream.send_bincode_interleaved", "Stream.reduce_commutative",
    }
    assert wanted <= anchors, sorted(wanted - anchors)


def test_every_hydro_verb_and_option_is_in_the_reference():
    from hydro_lab.notebook.magics import HydroMagics
    from hydro_lab.notebook.verbs import VERBS

    section = TEXT[TEXT.index('<a id="%hydro">'):TEXT.index("## Older Hydro names")]
    for verb in VERBS:
        assert f"%hydro {verb}" in section, verb
    for option in HydroMagics.class_traits(config=True):
        assert f'id="HydroMagics.{option}"' in section, option


def test_older_names_are_listed_once_in_their_own_section():
    head, _, older = TEXT.partition("## Older Hydro names")
    for alias in ("send_bincode_interleaved", "reduce_commutative", "demux_bincode",
                  "fold_commutative", "continue_if"):
        assert f'id="Stream.{alias}"' in older
        assert f'id="Stream.{alias}"' not in head


def _examples() -> list[tuple[str, str]]:
    return [(name, doc) for name, doc in SURFACE if doc and ">>>" in doc]


@pytest.mark.parametrize("name,doc", _examples(), ids=[n for n, _ in _examples()])
def test_docstring_examples_run(name, doc):
    globs = {n: getattr(hydro_lab, n) for n in hydro_lab.__all__}
    test = doctest.DocTestParser().get_doctest(doc, globs, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)


def test_html_reference_builds(tmp_path):
    api.build_html(tmp_path)
    index = tmp_path / "hydro_lab.html"
    assert index.exists() and (tmp_path / "index.html").exists()
    text = index.read_text()
    for name in ("FlowBuilder", "MemberId", "nondet", "HydroTypeError"):
        assert name in text, name
    assert "send_bincode_interleaved" in (tmp_path / "hydro_lab" / "lang.html").read_text()
    assert not (tmp_path / "hydro_lab" / "deploy" / "ray" / "shims").exists()


def test_the_generator_checks(tmp_path, monkeypatch, capsys):
    """``--check`` fails on a stale reference and names the fix."""
    stale = tmp_path / "api.md"
    stale.write_text("# old\n")
    monkeypatch.setattr(api, "API_MD", stale)
    assert api.main(["--check"]) == 1
    assert "make docs" in capsys.readouterr().err


DOC_FILES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.name)
def test_docs_point_at_files_that_exist(path):
    """A doc that sends readers to another file names one that is there (docs/ray.md once
    pointed at an API.md the project does not have)."""
    text = path.read_text()
    targets = set(re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text))
    targets |= set(re.findall(r"\b((?:docs|notebooks|tests|hydro_lab|benchmarks|extension)"
                              r"/[\w./-]+\.(?:md|py|ipynb|ts))\b", text))
    targets |= set(re.findall(r"\b([A-Za-z_]+\.md)\b", text))
    missing = []
    for target in targets:
        if "://" in target:
            continue
        candidates = [path.parent / target, ROOT / target, ROOT / "docs" / target]
        if not any(c.exists() for c in candidates):
            missing.append(target)
    assert not missing, f"{path.name} points at files that do not exist: {sorted(missing)}"


def test_cookbook_and_reference_link_each_other():
    assert "cookbook.md" in TEXT
    assert "api.md" in (ROOT / "docs" / "cookbook.md").read_text()



def _older_names() -> set[str]:
    return {m.title.split(".", 1)[1] for _, _, items in api.entries() for e in items
            for m in e.members if api.is_alias(m) or (m.kind == "alias" and "bincode" in m.title)}


OLD_NAMES = _older_names()


@pytest.mark.parametrize("path", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
                                  *sorted((ROOT / "notebooks").glob("**/*.ipynb"))],
                         ids=lambda p: p.name)
def test_one_vocabulary_todays_names(path):
    """The README, the docs and the notebooks speak today's names (``send(...)``,
    ``.values()``, ``reduce(..., commutative=...)``); the older aliases are listed once, in the
    reference's "Older Hydro names" (and in conformance.md, whose table maps every Hydro name,
    older ones included, to hydro_lab's)."""
    if path.name in ("api.md", "conformance.md"):
        return
    assert {"send_bincode_interleaved", "reduce_commutative", "demux_bincode"} <= OLD_NAMES
    used = sorted(n for n in OLD_NAMES if re.search(rf"\b{n}\b", path.read_text()))
    assert not used, f"{path.name} uses older Hydro names {used}; use today's (see docs/api.md)"


def test_a_bincode_alias_is_drawn_with_the_codec_it_uses():
    """What "Older Hydro names" says: a ``*_bincode`` send uses pickle, and the graph's edge
    label names the codec actually used."""
    flow = hydro_lab.FlowBuilder()
    a, b = flow.process("a"), flow.process("b")
    a.source_iter([1]).send_bincode(b).for_each(print)
    text = flow.graph().to_text()
    assert "[pickle]" in text and "bincode" not in text
    assert "pickle" in (Stream.send_bincode.__doc__ or "")
    assert "[pickle]" in TEXT[TEXT.index("## Older Hydro names"):]
