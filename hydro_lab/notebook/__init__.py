"""Jupyter integration: ``%load_ext hydro_lab`` registers the ``%%hydro`` cell magic and the
``%hydro`` line verbs (``magics.py``) over one notebook session (``session.py``); ``cells.py``
names the notebook cell a call site belongs to."""


def load_ipython_extension(ipython) -> None:
    from hydro_lab.notebook.magics import register

    register(ipython)


def unload_ipython_extension(ipython) -> None:
    from hydro_lab.notebook.magics import unregister

    unregister(ipython)
