"""Jupyter integration: ``%load_ext hydro_lab`` registers the ``%%hydro`` cell magic and the
``%hydro`` line verbs (``magics.py``, their grammar and help in ``verbs.py``) over one notebook
session (``session.py``); ``cells.py`` runs the ``%%hydro`` cells, replays them when one is
edited and undoes one that fails."""


def load_ipython_extension(ipython) -> None:
    """``%load_ext hydro_lab``: register the ``%%hydro`` cell magic and the ``%hydro`` verbs."""
    from hydro_lab.notebook.magics import register

    register(ipython)


def unload_ipython_extension(ipython) -> None:
    """``%unload_ext hydro_lab``: remove the magics and the session's cell hooks."""
    from hydro_lab.notebook.magics import unregister

    unregister(ipython)
