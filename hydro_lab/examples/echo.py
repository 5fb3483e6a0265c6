"""Echo: an external client sends strings to a server process, which sends them back capitalized.

The template example of Hydro (``echo_capitalize``): an input port, a map, an output port.
"""

from __future__ import annotations

from hydro_lab import External, Process


def echo_capitalize(server: Process, client: External):
    """Returns ``(in_port, out_port)``; a client sends on the first and reads the second."""
    in_port, requests = server.source_external(client)
    replies = requests.map(lambda s: s.upper())
    out_port = replies.send_external(client)
    return in_port, out_port
