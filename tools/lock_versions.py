"""Write the lock of versions a workshop room installs: every package hydro-lab needs to run
(its dependencies, theirs, and so on, as installed in this environment), one ``name==version``
a line, sorted. ``make lock`` runs it with the venv's Python; ``make wheelhouse`` builds a
wheel of each locked package (docs/workshop.md, "A room without network").

    python tools/lock_versions.py [--extra test] [-o requirements-lock.txt]

It reads the installed packages' metadata only (no network): what is locked is what this
environment runs the test suite with. A dependency that is not installed is an error naming it
(install it, or the extra that brings it, first).
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
# The lock of versions for a workshop room: hydro-lab's dependencies, as installed where
# `make lock` ran ({python}, {platform}). `make wheelhouse` builds a wheel of each into
# wheelhouse/; a laptop without network then runs
#   pip install --no-index --find-links wheelhouse hydro-lab
# (docs/workshop.md). Regenerate with `make lock` after changing pyproject.toml.
"""


def canonical(name: str) -> str:
    """PEP 503's normalized name: ``Jupyter_Bokeh`` -> ``jupyter-bokeh``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str, extras: tuple[str, ...] = ()) -> dict[str, str]:
    """``{name: version}`` of every installed package ``root`` (with ``extras``) needs,
    transitively, ``root`` itself excluded. Markers are evaluated for this interpreter."""
    env = default_environment()
    found: dict[str, str] = {}
    todo: list[tuple[str, tuple[str, ...]]] = [(root, extras)]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while todo:
        name, want = todo.pop()
        if (name, want) in seen:
            continue
        seen.add((name, want))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"lock_versions: {name} is needed but not installed here; install "
                             "hydro-lab with its extras first (make setup)") from None
        if canonical(name) != canonical(root):
            found[canonical(dist.metadata["Name"])] = dist.version
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is not None:
                # a requirement of an extra applies only when that extra is wanted
                if not any(req.marker.evaluate({**env, "extra": e}) for e in want or ("",)):
                    continue
            todo.append((req.name, tuple(sorted(req.extras))))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extra", action="append", default=[],
                        help="an extra of hydro-lab to lock too (e.g. test); repeatable")
    parser.add_argument("-o", "--output", default=str(ROOT / "requirements-lock.txt"),
                        help="where to write the lock (default: requirements-lock.txt)")
    args = parser.parse_args(argv)
    pins = closure("hydro-lab", tuple(args.extra))
    env = default_environment()
    text = HEADER.format(python=f"Python {env['python_full_version']}",
                         platform=env["sys_platform"] + "/" + env["platform_machine"])
    text += "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))
    Path(args.output).write_text(text)
    print(f"{args.output}: {len(pins)} packages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
