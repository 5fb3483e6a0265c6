"""Graph rendering: IR → a neutral model → the JupyterLab extension's payload, DOT, Mermaid,
JSON, Hydro's viewer format, SVG (with ``dot``)."""

from hydro_lab.viz.graph import MIME_TYPE, Graph, graph_of_dfir, graph_of_program

__all__ = ["MIME_TYPE", "Graph", "graph_of_dfir", "graph_of_program"]
