"""The ``%hydro`` verbs (and the ``%%hydro`` line) as data: each one's arguments, one-line
summary and longer help, stated once in :data:`VERBS`.

Everything a user reads about them is made from this table: the argparse parsers (so ``--help``
and every usage error), the ``%hydro?`` text (the line magic's docstring) and the list of verbs
in the error for an unknown one. ``magics.py`` does what each verb says, in ``_verb_<name>``.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from IPython.core.error import UsageError

WIDTH = 96  # help text, wrapped the same in every terminal and in docs/api.md


@dataclass(frozen=True)
class Arg:
    """One argument: its flags (``"--size"``) or positional name, its help, and the rest of
    argparse's ``add_argument`` keywords."""

    flags: tuple[str, ...]
    help: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def invocation(self) -> str:
        """How it is written: ``--size NAME=N``, ``--paused``, ``N``."""
        metavar = self.options.get("metavar")
        if not self.flags[0].startswith("-"):
            return metavar or self.flags[0]
        takes_value = self.options.get("action") not in ("store_true", "store_const")
        return f"{self.flags[0]} {metavar}" if takes_value and metavar else self.flags[0]


def arg(*flags: str, help: str, **options: Any) -> Arg:
    return Arg(flags, help, options)


@dataclass(frozen=True)
class OneOf:
    """Arguments that exclude each other (argparse's mutually exclusive group)."""

    args: tuple[Arg, ...]
    required: bool = False


@dataclass(frozen=True)
class Verb:
    """A ``%hydro`` verb: ``summary`` is its first line everywhere, ``details`` what follows
    (paragraphs; an indented one is kept as written), ``args`` its grammar."""

    name: str
    summary: str
    args: tuple[Arg | OneOf, ...] = ()
    details: str = ""
    magic: str = "%hydro"

    @property
    def prog(self) -> str:
        return f"{self.magic} {self.name}" if self.name else self.magic

    def parser(self) -> Parser:
        """The argparse parser of this verb (``--help`` prints summary, arguments, details)."""
        p = Parser(prog=self.prog, description="\n".join(_fill(self.summary, "")),
                   epilog="\n".join(_paragraphs(self.details, "")) or None,
                   formatter_class=_formatter)
        for item in self.args:
            if isinstance(item, OneOf):
                group = p.add_mutually_exclusive_group(required=item.required)
                for a in item.args:
                    group.add_argument(*a.flags, help=_escaped(a.help), **a.options)
            else:
                p.add_argument(*item.flags, help=_escaped(item.help), **item.options)
        return p

    def usage(self) -> str:
        """``%hydro deploy [--local | --ray] [--size NAME=N] [--paused]``, as argparse says it."""
        text = self.parser().format_usage().removeprefix("usage: ").replace(" [-h]", "")
        return " ".join(text.split())

    def help(self) -> str:
        """The verb's entry in ``%hydro?``: usage, summary, arguments, details."""
        indent = " " * 4
        lines = [self.usage(), *_fill(self.summary, indent)]
        args = [a for item in self.args
                for a in (item.args if isinstance(item, OneOf) else (item,))]
        column = max((len(a.invocation) for a in args), default=0) + 2
        for a in args:
            head = f"{indent}  {a.invocation.ljust(column)}"
            lines += textwrap.wrap(a.help, WIDTH, initial_indent=head,
                                   subsequent_indent=" " * len(head), break_on_hyphens=False)
        return "\n".join(lines + _paragraphs(self.details, indent))


class HelpShown(Exception):
    """``--help`` printed the help: nothing more to do."""


class Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as a ``UsageError`` naming them and the verbs (never
    exits)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}\nusage: {self.format_usage().split(': ', 1)[1]}"
                         f"verbs: {VERB_LIST} {_EXPLAINED}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise UsageError(message)
        raise HelpShown


def _formatter(prog: str) -> argparse.HelpFormatter:
    """Summary and details as :meth:`Verb.help` wraps them; argument help wrapped by argparse."""
    return argparse.RawDescriptionHelpFormatter(prog, width=WIDTH)


def _paragraphs(text: str, indent: str) -> list[str]:
    """``text``'s paragraphs wrapped, one after the other; an indented one (an example) is kept
    as written, between blank lines."""
    lines: list[str] = []
    for paragraph in text.split("\n\n") if text else ():
        if paragraph[:1].isspace():
            lines += ["", *(indent + line for line in paragraph.splitlines()), ""]
        else:
            lines += _fill(paragraph, indent)
    return lines[:-1] if lines and not lines[-1] else lines


def _escaped(text: str) -> str:
    return text.replace("%", "%%")  # argparse formats help strings with %


def _fill(paragraph: str, indent: str) -> list[str]:
    return textwrap.wrap(" ".join(paragraph.split()), WIDTH, initial_indent=indent,
                         subsequent_indent=indent, break_on_hyphens=False)


def _number(convert: Callable[[str], Any], ok: Callable[[Any], bool],
            what: str) -> Callable[[str], Any]:
    """An argparse ``type=``: ``convert(text)`` when it works and passes ``ok``, else "expected
    {what}, got '...'" (argparse puts the argument's name in front)."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not ok(value):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


_positive_int = _number(int, lambda n: n >= 1, "a positive integer")
_non_negative_int = _number(int, lambda n: n >= 0, "a non-negative integer")
_seconds = _number(float, lambda s: s >= 0, "a number of seconds")   # NaN fails too


def _size(text: str) -> tuple[str, int]:
    name, sep, n = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=N (a cluster and its members), got "
                                         f"{text!r}")
    return name, _positive_int(n)


_SIZE = arg("--size", metavar="NAME=N", type=_size, action="append", default=[],
            help="members of cluster NAME; repeat it for more clusters (the others get "
                 "HydroMagics.cluster_size)")

CELL = Verb(
    "", magic="%%hydro", summary="Run a cell that builds part of the session's flow.",
    args=(arg("--cell", metavar="NAME",
              help="the cell's name: re-running a cell with the same name replaces what it "
                   "built. JupyterLab sends a cell id with every execution, which is how a "
                   "re-run is recognized; where there is none (plain IPython), every "
                   "execution is a new cell unless --cell names it."),),
    details="""The rest of the cell is Python, with the session's FlowBuilder bound as
``flow``::

    %%hydro
    leader = flow.process("leader")
    nums = leader.source_iter([1, 2, 3]).map(lambda x: x * 10)

The locations and collections the cell builds are tagged with the cell. Re-running the cell
(edited or not) replaces what it built: the flow is rebuilt by replaying every %%hydro cell in
the order they first ran, and a later cell that no longer builds is reported and kept, to come
back once fixed. A cell that breaks one of Hydro's rules (or raises) leaves the flow as it was
and shows a short error with the cell and line. After each cell the flow's graph re-renders in
place (``%hydro graph``). ``%hydro?`` lists the verbs that drive the flow.""")

_VERBS = (
    Verb("graph", "Show the live graph in this cell; it keeps updating after every %%hydro "
         "cell.",
         (OneOf((arg("--ir", dest="view", action="store_const", const="ir",
                     help="the Hydro IR view: locations as boxes (the default; switches "
                          "back from --dfir)"),
                 arg("--dfir", dest="view", action="store_const", const="dfir",
                     help="each location's partitioned DFIR program: subgraphs, strata, "
                          "handoffs (until the flow compiles, the IR view with a one-line "
                          "note)"))),
          arg("--location", metavar="NAME",
              help="only this process or cluster's DFIR program (implies --dfir)")),
         "The view stays the live graph's view. While a deployment runs the flow, the graph "
         "is its live graph (every location; see %hydro deploy)."),
    Verb("deploy", "Compile and deploy the flow (replacing a running deployment), run a first "
         "tick and start it in the background.",
         (OneOf((arg("--local", dest="backend", action="store_const", const="local",
                     help="every instance in this kernel"),
                 arg("--ray", dest="backend", action="store_const", const="ray",
                     help="one Ray actor per process and cluster member (progress: starting "
                          "Ray, deploying the actors, first tick)"))),
          _SIZE,
          arg("--paused", action="store_true",
              help="deploy without running a tick (then %hydro step or %hydro resume)")),
         "Without --local or --ray it deploys on HydroMagics.backend. The deployment is bound "
         "as ``deployment`` in the notebook (``deployment.connect(port)``, ``.kill(...)``); "
         "connecting a port that already has a client gives that client back, so a cell that "
         "connects can run again. It runs the flow as it was deployed: after editing a "
         "%%hydro cell, %hydro deploy again to use the edits.\n\n"
         "What the flow prints in the background shows in this cell. If it fails (a function "
         "of yours raises), this cell's progress shows the error at once: the operator, the "
         "line inside your function that raised and the element it failed on; the next cell "
         "you run shows it too, once, and %hydro status keeps it.\n\n"
         "The graph shown above becomes the deployment's live graph, in place: elements per "
         "operator, messages/s per channel, killed members, a few times a second. A cell that "
         "changes the flow afterwards draws the edited flow without live values (the "
         "deployment runs the flow as it was deployed); changing it back, or deploying again, "
         "brings them back. After %hydro stop the last values stay."),
    Verb("run", "Run the deployment for some rounds or seconds.",
         (OneOf((arg("--ticks", type=_non_negative_int, metavar="N",
                     help="N rounds now (every instance ticks once per round)"),
                 arg("--seconds", type=_seconds, metavar="S",
                     help="S seconds of real time (a paused deployment is paused again "
                          "afterwards)")), required=True),)),
    Verb("step", "Run N rounds now (every instance ticks once per round).",
         (arg("n", type=_non_negative_int, nargs="?", default=1, metavar="N",
              help="how many rounds (default 1)"),)),
    Verb("pause", "Hold the deployment (inputs keep queueing)."),
    Verb("resume", "Let a paused deployment run again."),
    Verb("stop", "Stop the deployment for good; its metrics stay (%hydro metrics still works).",
         details="After a failure it stops all the same and says what had failed."),
    Verb("status", "Show the session: cells, flow, deployment, last sim.",
         details="The cells in build order (and any that no longer build), the flow's "
                 "locations and nodes, the deployment's state (and why it failed) and ticks, "
                 "the last %hydro sim's result."),
    Verb("sim", "Run a test function over the flow's executions; progress updates in place.",
         (OneOf((arg("--exhaustive", action="store_true",
                     help="every execution Hydro's rules allow (the default)"),
                 arg("--fuzz", type=_positive_int, metavar="N", help="N random executions"))),
          arg("--seed", type=int, default=0, metavar="S", help="the fuzz seed (default 0)"),
          _SIZE,
          arg("body", nargs="?", default="body", metavar="BODY",
              help="the test function's name in the notebook (default: body, a ``def "
                   "body(inst): ...``)")),
         "Prints how many executions passed, or the failing execution's trace and the line "
         "that replays it, ``sim.run(body, schedule=[...])``: the simulator is bound as "
         "``sim`` in the notebook (as %hydro deploy binds ``deployment``), so that line runs "
         "as printed."),
    Verb("dashboard", "Show the deployment's live dashboard (per-tick metrics, controls)."),
    Verb("metrics", "The deployment's metrics as a pandas DataFrame: one row per instance, "
         "tick and metric.",
         (arg("--wide", action="store_true", help="one row per instance and tick instead"),)),
    Verb("replay", "Record the deployment's run so far and scrub it tick by tick on the graph.",
         (arg("--sim", action="store_true",
              help="the last %hydro sim's failing execution instead (or its first execution "
                   "when all passed), replayed from its schedule"),),
         "A slider (and a play button) over the ticks lights the operators and channels "
         "active in each tick and shows the watched values (collection.watch()) at that "
         "tick."),
    Verb("reset", "Start over: an empty flow, no cells; the deployment is stopped, whatever "
         "its state."),
)

VERBS: dict[str, Verb] = {v.name: v for v in _VERBS}
VERB_LIST = ", ".join(VERBS)
_EXPLAINED = "(%hydro? explains them)"


def parsers() -> dict[str, Parser]:
    """A parser per verb."""
    return {name: verb.parser() for name, verb in VERBS.items()}


def no_verb() -> str:
    return f"%hydro needs a verb: one of {VERB_LIST} {_EXPLAINED}"


def unknown_verb(verb: str) -> str:
    return f"%hydro: unknown verb {verb!r}; the verbs are {VERB_LIST} {_EXPLAINED}"


def line_help(options: Iterable[tuple[str, Any]]) -> str:
    """``%hydro?``: every verb's help, then the options (name and traitlet)."""
    out = ["Drive the session's flow: ``%hydro VERB [options]``. Verbs:", ""]
    for verb in VERBS.values():
        out += [verb.help(), ""]
    out += ["A ``#`` starts a comment, as in Python: ``%hydro deploy --ray  # on Ray``.", "",
            "Options (``%config HydroMagics.<name> = value``):"]
    for name, trait in options:
        out += textwrap.wrap(f"{name} (default {trait.default_value!r}): "
                             f"{' '.join((trait.help or '').split())}", WIDTH,
                             initial_indent="    ", subsequent_indent="        ",
                             break_on_hyphens=False)
    return "\n".join(out)


def cell_help() -> str:
    """``%%hydro?``."""
    return CELL.help()
