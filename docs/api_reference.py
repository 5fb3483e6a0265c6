"""Generate hydro_lab's API reference from its docstrings, so the reference cannot drift.

``python docs/api_reference.py`` writes ``docs/api.md`` (committed: one Markdown page of the
public surface below) and ``--html DIR`` also writes pdoc's HTML site of the package there
(``make docs`` puts it in the git-ignored ``docs/api/``). ``--check`` writes nothing: it fails
when ``docs/api.md`` is stale or a public name has no docstring (``tests/docs`` runs the same
checks). Docstrings are converted to Markdown by pdoc (numpydoc sections, reST roles); the
public surface is the list ``SECTIONS`` below, which the tests hold to ``hydro_lab.__all__``.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import importlib
import inspect
import re
import sys
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
API_MD = HERE / "api.md"

# -- the public surface ---------------------------------------------------------------------------
# (title, introduction, entries); an entry is "module:name". Classes whose constructor users call
# show its signature (CONSTRUCTED); the others are made by the library (flow.process(), ...).

SECTIONS: list[tuple[str, str, list[str]]] = [
    ("The package", "`import hydro_lab` gives the names below; `%load_ext hydro_lab` loads the "
     "notebook magics.",
     ["hydro_lab:nondet", "hydro_lab:self_id", "hydro_lab:load_ipython_extension",
      "hydro_lab:unload_ipython_extension"]),
    ("Building a flow", "A `FlowBuilder` makes locations; locations make live collections and "
     "ports.",
     ["hydro_lab.flow:FlowBuilder", "hydro_lab.lang.locations:Location",
      "hydro_lab.lang.locations:Process", "hydro_lab.lang.locations:Cluster",
      "hydro_lab.lang.locations:External", "hydro_lab.lang.locations:Tick",
      "hydro_lab.lang.locations:Atomic", "hydro_lab.lang.locations:ExternalPort",
      "hydro_lab.lang.locations:BidiExternal", "hydro_lab.lang.locations:ExternalReplies",
      "hydro_lab.lang.cycles:ForwardHandle", "hydro_lab.lang.nondet:NonDet",
      "hydro_lab.lang.sliced:sliced", "hydro_lab.lang.sliced:use"]),
    ("Live collections", "Every operator checks Hydro's rules when it is called and returns a "
     "new collection; its docstring states its rule.",
     ["hydro_lab.lang.collection:LiveCollection", "hydro_lab.lang.stream:Stream",
      "hydro_lab.lang.keyed_stream:KeyedStream", "hydro_lab.lang.singleton:Singleton",
      "hydro_lab.lang.singleton:Optional", "hydro_lab.lang.keyed_singleton:KeyedSingleton"]),
    ("Guarantees and member ids", "",
     ["hydro_lab.ir.kinds:Bound", "hydro_lab.ir.kinds:Order", "hydro_lab.ir.kinds:Retries",
      "hydro_lab.member_id:MemberId", "hydro_lab.member_id:MembershipEvent"]),
    ("Codecs", "The `codec=` of a send or a port: a name from `available_codecs()` or an object "
     "with `encode` and `decode`.",
     ["hydro_lab.codecs:Codec", "hydro_lab.codecs:PickleCodec", "hydro_lab.codecs:JsonCodec",
      "hydro_lab.codecs:MsgpackCodec", "hydro_lab.codecs:available_codecs"]),
    ("Compiling", "`flow.finalize()` and `flow.compile()` return these stage objects.",
     ["hydro_lab.flow:BuiltFlow", "hydro_lab.flow:CompiledFlow"]),
    ("Running: deployments and clients", "`flow.deploy(backend, cluster_sizes=...)` returns a "
     "deployment; `d.connect(port)` a client.",
     ["hydro_lab.deploy.base:Deployment", "hydro_lab.deploy.local:LocalDeployment",
      "hydro_lab.deploy.ray:RayDeployment", "hydro_lab.deploy.ray:ensure_ray",
      "hydro_lab.deploy.clients:Client", "hydro_lab.core.faults:Fault"]),
    ("The simulator", "`flow.sim(cluster_sizes=..., faults=...)` returns a `Simulator`; a test "
     "body gets a `SimInstance`, whose `connect(port)` gives a `SimInput` or a `SimOutput`.",
     ["hydro_lab.sim.api:Simulator", "hydro_lab.sim.handles:SimInstance",
      "hydro_lab.sim.handles:SimInput", "hydro_lab.sim.handles:SimOutput",
      "hydro_lab.sim.api:SimFailure", "hydro_lab.sim.progress:SimProgress",
      "hydro_lab.sim.faults:Faults", "hydro_lab.sim.trace:Trace"]),
    ("Seeing: graphs, watches, recordings", "`flow.graph()` returns a `Graph`; "
     "`collection.watch()` a `Watch`; `Recording.from_deployment(d)` or "
     "`trace.recording()` a `Recording`. In a notebook the last four classes are what "
     "`d.graph()`, `d.dashboard()`, `watch` and `recording.replay()` display.",
     ["hydro_lab.viz.graph:Graph", "hydro_lab.lang.watch:Watch",
      "hydro_lab.lang.watch:WatchRow", "hydro_lab.observe.recording:Recording",
      "hydro_lab.observe.recording:TickActivity", "hydro_lab.dashboard.live_graph:LiveGraph",
      "hydro_lab.dashboard.deployment_view:DeploymentDashboard",
      "hydro_lab.dashboard.watch:WatchView", "hydro_lab.dashboard.replay:ReplayView"]),
    ("Hydro's standard library", "`hydro_lab.std` is Hydro's `hydro_std`, written in the "
     "public language: quorums, moving streams between locations, and benchmarking a protocol "
     "with virtual clients.",
     ["hydro_lab.std.quorum:collect_quorum", "hydro_lab.std.quorum:collect_quorum_with_response",
      "hydro_lab.std.quorum:Ok", "hydro_lab.std.quorum:Err",
      "hydro_lab.std.compartmentalize:decouple_process",
      "hydro_lab.std.compartmentalize:decouple_cluster",
      "hydro_lab.std.compartmentalize:send_partitioned",
      "hydro_lab.std.request_response:join_responses",
      "hydro_lab.std.membership:track_membership", "hydro_lab.std.bench_client:bench_client",
      "hydro_lab.std.bench_client:compute_throughput_latency",
      "hydro_lab.std.bench_client:aggregate_bench_results",
      "hydro_lab.std.bench_client:pretty_print_bench_results",
      "hydro_lab.std.bench_client:bench_report", "hydro_lab.std.bench_client:BenchResult",
      "hydro_lab.std.bench_client:BenchReport", "hydro_lab.std.histogram:Histogram",
      "hydro_lab.std.rolling_average:RollingAverage"]),
    ("Errors", "Every error hydro_lab raises on purpose is a `HydroError`; a failing simulator "
     "test raises `SimFailure` (above), an `AssertionError`.",
     ["hydro_lab.errors:HydroError", "hydro_lab.errors:HydroTypeError",
      "hydro_lab.errors:HydroRuntimeError", "hydro_lab.errors:HydroDeployError"]),
]
NOTEBOOK = "hydro_lab.notebook.magics:HydroMagics"
CONSTRUCTED = {"FlowBuilder", "MemberId", "Faults", "PickleCodec", "JsonCodec", "MsgpackCodec",
               "Ok", "Err", "Histogram", "RollingAverage"}
# docstrings of the old names say so; they are listed together at the end
ALIAS_MARKERS = ("Alias of", "Seed-era")
# members only hydro_lab's own machinery calls (the simulator, a deployment's sinks)
MACHINERY = {"Trace.add", "Faults.for_channel", "Faults.reorders", "Faults.any",
             "Watch.append", "Watch.reset"}
# packages whose classes are never documented here as bases (Enum, Exception, Magics, ...)
OUR_PACKAGE = "hydro_lab"


@dataclasses.dataclass
class Entry:
    """One documented object: its anchor, heading, signature and docstring."""

    anchor: str
    title: str
    doc: str | None
    kind: str                       # class, function, method, property, alias
    signature: str = ""
    members: list[Entry] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    alias_of: str | None = None


def resolve(spec: str) -> Any:
    module, _, name = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def documented_classes() -> dict[type, str]:
    """Class → its anchor, for every class with an entry of its own."""
    out = {}
    for _, _, specs in SECTIONS:
        for spec in specs:
            obj = resolve(spec)
            if inspect.isclass(obj):
                out[obj] = obj.__name__
    return out


def import_line(obj: Any) -> str:
    """How users reach ``obj``: from ``hydro_lab`` if it exports it, else from its package."""
    import hydro_lab

    name = obj.__name__
    if name in hydro_lab.__all__ and getattr(hydro_lab, name) is obj:
        return f"from hydro_lab import {name}"
    module = obj.__module__
    package = module.rpartition(".")[0]
    if package.startswith("hydro_lab.") and getattr(importlib.import_module(package), name,
                                                    None) is obj:
        return f"from {package} import {name}"
    return f"from {module} import {name}"


# -- signatures -----------------------------------------------------------------------------------

def _annotation(ann: Any) -> str:
    text = ann if isinstance(ann, str) else inspect.formatannotation(ann)
    return re.sub(r"\b(?:[a-z_]+\.)+(?=[A-Za-z_])", "", text)  # hydro_lab.x.Stream -> Stream


def _default(value: Any) -> str:
    text = value.__name__ if callable(value) and hasattr(value, "__name__") else repr(value)
    if re.search(r" at 0x[0-9a-f]+", text):
        raise ValueError(f"a default value prints an address, which would change between runs: "
                         f"{text}")
    return text


def signature(fn: Any, *, drop_first: bool) -> str:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return "(...)"
    params = list(sig.parameters.values())
    if drop_first and params and params[0].name in ("self", "cls"):
        params = params[1:]
    parts: list[str] = []
    star_done = False
    for i, p in enumerate(params):
        if p.kind is p.KEYWORD_ONLY and not star_done:
            parts.append("*")
            star_done = True
        if p.kind is p.VAR_POSITIONAL:
            star_done = True
            text = f"*{p.name}"
        elif p.kind is p.VAR_KEYWORD:
            text = f"**{p.name}"
        else:
            text = p.name
        if p.annotation is not p.empty:
            text += f": {_annotation(p.annotation)}"
        if p.default is not p.empty:
            text += (" = " if p.annotation is not p.empty else "=") + _default(p.default)
        parts.append(text)
        if p.kind is p.POSITIONAL_ONLY and (i + 1 == len(params)
                                             or params[i + 1].kind is not p.POSITIONAL_ONLY):
            parts.append("/")
    out = f"({', '.join(parts)})"
    if sig.return_annotation is not sig.empty:
        out += f" -> {_annotation(sig.return_annotation)}"
    return out


# -- walking the surface --------------------------------------------------------------------------

def _doc(obj: Any) -> str | None:
    doc = obj.__doc__ if not isinstance(obj, property) else (obj.fget.__doc__ if obj.fget
                                                               else None)
    return inspect.cleandoc(doc) if doc and doc.strip() else None


def _class_doc(cls: type) -> str | None:
    doc = cls.__dict__.get("__doc__")
    if not doc or not doc.strip():
        return None
    if dataclasses.is_dataclass(cls) and doc.startswith(cls.__name__ + "("):
        return None  # the docstring dataclasses makes up from the fields
    if issubclass(cls, tuple) and doc.startswith(cls.__name__ + "("):
        return None  # the NamedTuple one
    return inspect.cleandoc(doc)


def _is_ours(cls: type) -> bool:
    return cls.__module__.split(".")[0] == OUR_PACKAGE


def _fields(cls: type) -> list[str]:
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return list(cls._fields)
    return []


def _overrides_documented(cls: type, name: str, documented: dict[type, str]) -> bool:
    return any(name in vars(base) for base in cls.__mro__[1:] if base in documented)


def member_entries(cls: type, owner: str, attrs: dict[str, Any],
                   documented: dict[type, str] | None = None) -> list[Entry]:
    """Methods, properties and aliases defined in ``attrs`` (a class ``__dict__``). An
    override without a docstring of its own is left out: its base documents it."""
    out = []
    for name, raw in attrs.items():
        if name.startswith("_") or f"{owner}.{name}" in MACHINERY:
            continue
        if documented and not _doc(raw if not isinstance(raw, (classmethod, staticmethod))
                                   else raw.__func__) \
                and _overrides_documented(cls, name, documented):
            continue
        if isinstance(raw, property):
            out.append(Entry(f"{owner}.{name}", f"{owner}.{name}", _doc(raw), "property"))
            continue
        fn = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw
        if not inspect.isfunction(fn):
            continue
        real = getattr(fn, "__name__", name)
        if real != name and attrs.get(real) is raw:
            out.append(Entry(f"{owner}.{name}", f"{owner}.{name}", _doc(fn), "alias",
                             alias_of=real))
            continue
        prefix = "classmethod " if isinstance(raw, classmethod) else ""
        out.append(Entry(f"{owner}.{name}", f"{owner}.{name}", _doc(fn),
                         "method", prefix + signature(fn, drop_first=not isinstance(
                             raw, staticmethod))))
    return out


def class_entry(cls: type, documented: dict[type, str]) -> Entry:
    name = cls.__name__
    sig = ""
    if name in CONSTRUCTED:
        sig = signature(cls.__init__, drop_first=True)
    entry = Entry(name, name, _class_doc(cls), "class", sig)
    entry.notes.append(f"`{import_line(cls)}`")
    if issubclass(cls, enum.Enum):
        entry.notes.append("Members: " + ", ".join(f"`{m.name}`" for m in cls))
    fields = _fields(cls)
    if fields:
        entry.notes.append("Fields: " + ", ".join(f"`{f}`" for f in fields))
    entry.members = member_entries(cls, name, dict(vars(cls)), documented)
    for base in cls.__mro__[1:]:
        if not _is_ours(base):
            continue
        if base in documented:
            names = [m.title.split(".", 1)[1] for m in
                     member_entries(base, base.__name__, dict(vars(base)))]
            names = [n for n in names if n not in vars(cls)]
            if names:
                entry.notes.append(f"Also has everything of [`{base.__name__}`](#{base.__name__})"
                                   f": {', '.join(f'`{n}`' for n in names)}.")
        elif not any(base in b.__mro__ for b in cls.__mro__[1:]
                     if b in documented):  # a private base: its members are shown here
            own = {m.title for m in entry.members}
            entry.members += [m for m in member_entries(base, name, dict(vars(base)))
                              if m.title not in own and m.title.split(".", 1)[1]
                              not in vars(cls)]
    return entry


def function_entry(fn: Any) -> Entry:
    import hydro_lab

    name = fn.__name__
    entry = Entry(name, name, _doc(fn), "function", signature(fn, drop_first=False))
    exported = name in hydro_lab.__all__
    entry.notes.append(f"`from {'hydro_lab' if exported else fn.__module__} import {name}`")
    return entry


def entries() -> list[tuple[str, str, list[Entry]]]:
    documented = documented_classes()
    out = []
    for title, intro, specs in SECTIONS:
        items = []
        for spec in specs:
            obj = resolve(spec)
            items.append(class_entry(obj, documented) if inspect.isclass(obj)
                         else function_entry(obj))
        out.append((title, intro, items))
    return out


def is_alias(e: Entry) -> bool:
    return bool(e.doc) and e.doc.startswith(ALIAS_MARKERS)


def missing_docstrings() -> list[str]:
    """Every public name of the surface without a docstring (the tests list them)."""
    out = []
    for _, _, items in entries():
        for e in items:
            if not e.doc:
                out.append(e.title)
            out += [m.title for m in e.members if not m.doc and m.kind != "alias"]
    magics = resolve(NOTEBOOK)
    for name in ("hydro_cell", "hydro_line"):
        if not _doc(getattr(magics, name)):
            out.append(f"HydroMagics.{name}")
    return out


def public_names() -> set[str]:
    """Every anchor the reference has (``Stream``, ``Stream.map``, ``%hydro``, ...)."""
    names = set()
    for _, _, items in entries():
        for e in items:
            names.add(e.anchor)
            names |= {m.anchor for m in e.members}
    magics = resolve(NOTEBOOK)
    names |= {"%%hydro", "%hydro"} | {f"HydroMagics.{t}" for t in _traits(magics)}
    return names


# -- Markdown -------------------------------------------------------------------------------------

def markdown_of(doc: str | None) -> str:
    """A docstring as Markdown: pdoc converts numpydoc sections and reST roles; doctest
    paragraphs become fenced code."""
    if not doc:
        return "*(no docstring yet)*"
    from pdoc import docstrings

    text = docstrings.convert(doc, "numpy", None)
    text = re.sub(r"::\n", ":\n", text)
    out: list[str] = []
    in_example = False
    for line in text.splitlines():
        if line.startswith(">>>") and not in_example:
            out.append("```pycon")
            in_example = True
        elif in_example and (not line.strip() or line.startswith("#")):
            out.append("```")
            in_example = False
        out.append(line)
    if in_example:
        out.append("```")
    return "\n".join(out).strip()


def _anchor(name: str) -> str:
    return f'<a id="{name}"></a>'


def _traits(magics: type) -> dict[str, Any]:
    return {name: t for name, t in sorted(magics.class_traits(config=True).items())}


def notebook_section() -> list[str]:
    magics = resolve(NOTEBOOK)
    lines = ["## The notebook: `%%hydro` and `%hydro`", "",
             "`%load_ext hydro_lab` registers these magics; `%%hydro?` and `%hydro?` print the "
             "text below.", ""]
    for anchor, title, method in (("%%hydro", "%%hydro", "hydro_cell"),
                                  ("%hydro", "%hydro VERB", "hydro_line")):
        lines += [f"### {_anchor(anchor)}`{title}`", "", "```text",
                  _doc(getattr(magics, method)) or "(no docstring yet)", "```", ""]
    lines += ["### Options", "", "Set with `%config HydroMagics.<name> = value`.", "",
              "| option | default | what it does |", "|---|---|---|"]
    for name, trait in _traits(magics).items():
        help_text = " ".join((trait.help or "").split())
        lines.append(f"| {_anchor('HydroMagics.' + name)}`{name}` | "
                     f"`{trait.default_value!r}` | {help_text} |")
    return lines + [""]


def render() -> str:
    sections = entries()
    out = ["# hydro_lab API reference", "",
           "<!-- Generated by `make docs` (docs/api_reference.py) from the docstrings: do not "
           "edit; tests/docs/test_api_reference.py fails when it is stale. -->", "",
           "Every public name of hydro_lab, from its docstring. `make docs` also builds the "
           "HTML version (pdoc) into `docs/api/`. Worked examples: [the cookbook](cookbook.md).",
           "", "## Contents", ""]
    for title, _, items in sections:
        links = ", ".join(f"[`{e.title}`](#{e.anchor})" for e in items)
        out.append(f"- **{title}**: {links}")
    out += ["- **The notebook**: [`%%hydro`](#%%hydro), [`%hydro`](#%hydro)",
            "- [**Older Hydro names**](#older-hydro-names)", ""]
    aliases: list[Entry] = []
    for title, intro, items in sections:
        out += [f"## {title}", ""]
        if intro:
            out += [intro, ""]
        for e in items:
            heading = "class " if e.kind == "class" else ""
            out += [f"### {_anchor(e.anchor)}{heading}`{e.title}{e.signature}`", ""]
            out += [" ".join(e.notes[:1]), ""] if e.notes else []
            out += [markdown_of(e.doc), ""]
            out += [note + "\n" for note in e.notes[1:]]
            for m in e.members:
                if is_alias(m):
                    aliases.append(m)
                    continue
                if m.kind == "alias":
                    out += [f"#### {_anchor(m.anchor)}`{m.title}`", "",
                            f"The same operator as [`{m.alias_of}`](#{e.anchor}.{m.alias_of}).",
                            ""]
                    continue
                label = " *(property)*" if m.kind == "property" else ""
                out += [f"#### {_anchor(m.anchor)}`{m.title}{m.signature}`{label}", "",
                        markdown_of(m.doc), ""]
    out += notebook_section()
    out += ["## Older Hydro names", "",
            "Hydro has renamed much of its API over its versions. hydro_lab uses today's names "
            "everywhere (`send(...)`, `.values()`, `reduce(..., commutative=...)`, `broadcast`, "
            "`demux`, `filter_if_some`); the older names below, which many Hydro examples still "
            "use, work as aliases, so those examples translate line for line. Hydro's "
            "`*_bincode` sends serialize with bincode; hydro_lab's use the edge's default "
            "codec, pickle (Python's counterpart), and graphs label each network edge with the "
            "codec it really uses, so a `send_bincode` edge reads `[pickle]`.", ""]
    for m in aliases:
        out += [f"#### {_anchor(m.anchor)}`{m.title}{m.signature}`", ""]
        if m.kind == "alias":
            owner = m.title.partition(".")[0]
            out += [f"The same as [`{owner}.{m.alias_of}`](#{owner}.{m.alias_of}).", ""]
        else:
            out += [markdown_of(m.doc), ""]
    return "\n".join(out).rstrip() + "\n"


# -- HTML -----------------------------------------------------------------------------------------

def html_modules() -> list[str]:
    """The package and its modules and subpackages. pdoc walks a subpackage's modules unless its
    ``__all__`` leaves them out (``hydro_lab.lang``'s does: its page documents what it exports),
    so only the first level is named; Ray's start-up shims are left out."""
    import pkgutil

    import hydro_lab

    children = [m.name for m in pkgutil.iter_modules(hydro_lab.__path__, "hydro_lab.")]
    return ["hydro_lab", *children, "!hydro_lab.deploy.ray.shims"]


def build_html(directory: Path) -> None:
    """pdoc's HTML site of the package (searchable, one page per module) into ``directory``."""
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="numpy", show_source=True, search=True)
    with warnings.catch_warnings():
        # a NamedTuple's generated __new__ carries our string annotations, which pdoc evaluates
        # in the collections module's namespace: it warns and prints them as written
        warnings.filterwarnings("ignore", "Error parsing type annotation", UserWarning)
        pdoc.pdoc(*html_modules(), output_directory=directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if docs/api.md is stale or a public name has no docstring")
    parser.add_argument("--html", metavar="DIR", help="also build pdoc's HTML site into DIR")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        problems = []
        if not API_MD.exists() or API_MD.read_text() != text:
            problems.append(f"{API_MD} is stale: run `make docs` and commit it")
        missing = missing_docstrings()
        if missing:
            problems.append("no docstring: " + ", ".join(missing))
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    API_MD.write_text(text)
    print(f"wrote {API_MD.relative_to(HERE.parent)} ({len(public_names())} names)")
    missing = missing_docstrings()
    if missing:
        print(f"{len(missing)} public names have no docstring yet: {', '.join(missing)}")
    if args.html:
        build_html(Path(args.html))
        print(f"wrote {args.html}/index.html (pdoc)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
