"""Collecting what runs: per-tick records per location instance (no plotting here)."""
