"""``hydro_lab/notebook/verbs.py``: the table of ``%hydro`` verbs is the one place their grammar
and help are stated; the parsers, ``--help``, ``%hydro?`` and the magics' handlers follow it."""

from __future__ import annotations

import pytest

from hydro_lab.notebook.magics import HydroMagics
from hydro_lab.notebook.verbs import CELL, VERBS, OneOf


def invocations(verb) -> list[str]:
    return [a.invocation for item in verb.args
            for a in (item.args if isinstance(item, OneOf) else (item,))]


def test_every_verb_has_a_handler_and_every_handler_a_verb():
    handlers = {name.removeprefix("_verb_") for name in vars(HydroMagics)
                if name.startswith("_verb_")}
    assert handlers == set(VERBS)


@pytest.mark.parametrize("verb", list(VERBS))
def test_help_and_help_text_say_what_the_table_says(ip, run, verb):
    entry = VERBS[verb]
    helped = run(f"%hydro {verb} --help")
    assert helped.ok
    assert helped.stdout.startswith(f"usage: {entry.usage().replace(verb, verb + ' [-h]', 1)}")
    doc = ip.find_line_magic("hydro").__doc__
    assert f"\n{entry.usage()}\n    {entry.summary[:40]}" in doc
    for invocation in invocations(entry):
        assert invocation in helped.stdout and invocation in doc
    assert "%%hydro step" not in helped.stdout  # help strings are not argparse %-formats


def test_the_cell_options_come_from_the_table(ip, run):
    assert ip.find_cell_magic("hydro").__doc__.startswith(f"{CELL.usage()}\n    {CELL.summary}")
    helped = run("%%hydro --help\npass\n")
    assert helped.ok and helped.stdout.startswith("usage: %%hydro [-h] [--cell NAME]")


def test_the_doc_lists_every_option_with_its_help(ip):
    doc = " ".join(ip.find_line_magic("hydro").__doc__.split())
    for name, trait in HydroMagics.class_traits(config=True).items():
        assert f"{name} (default {trait.default_value!r}): {' '.join(trait.help.split())}" in doc
