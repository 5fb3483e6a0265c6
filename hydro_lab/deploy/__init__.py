"""Deployments: drive the compiled per-location programs and move data between them."""
