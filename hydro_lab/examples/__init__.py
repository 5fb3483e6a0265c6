"""Canonical Hydro programs written as plain functions over locations (as in Hydro's
``hydro_test``): tests, notebooks and benchmarks share them."""
