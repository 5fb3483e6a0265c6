"""Ratio benchmarks: hydro_lab's generated code against hand-written Python and other Python
stream engines, run side by side (``python -m benchmarks``; see docs/benchmarks.md).
"""
