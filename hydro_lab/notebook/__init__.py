"""Jupyter integration. For now: naming the notebook cell a call site belongs to."""
