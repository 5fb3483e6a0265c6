"""The tick engine: runs one instance of a compiled DFIR program, one tick at a time."""

from hydro_lab.dfir.runtime.engine import Engine, Inbox, Outbox, TickReport, UserCodeError

__all__ = ["Engine", "Inbox", "Outbox", "TickReport", "UserCodeError"]
