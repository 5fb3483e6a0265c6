"""The tick engine: runs one instance of a compiled DFIR program, one tick at a time."""

from hydro_lab.dfir.runtime.engine import (
    NO_ELEMENT,
    Engine,
    Inbox,
    Outbox,
    TickReport,
    UserCodeError,
    exception_text,
)

__all__ = ["NO_ELEMENT", "Engine", "Inbox", "Outbox", "TickReport", "UserCodeError",
           "exception_text"]
