"""Static graph rendering: IR → a neutral model → DOT / Mermaid / JSON / SVG."""

from hydro_lab.viz.graph import MIME_TYPE, Graph, graph_of_dfir, graph_of_program

__all__ = ["MIME_TYPE", "Graph", "graph_of_dfir", "graph_of_program"]
