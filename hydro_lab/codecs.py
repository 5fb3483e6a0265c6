"""Codecs: how values cross a network edge or an external port.

A network edge owns exactly one codec and both of its halves use it, so the two ends cannot
disagree on the format (Hydro's "mismatched serialization"). A codec is a name ("pickle", "json",
"msgpack" when installed) or any object with ``encode(obj) -> bytes`` and ``decode(bytes) -> obj``.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from hydro_lab.errors import HydroTypeError


@runtime_checkable
class Codec(Protocol):
    """Turns values into bytes and back."""

    name: str

    def encode(self, obj: Any) -> bytes:
        """The bytes that carry ``obj`` (called on the sending end, once per batch)."""
        ...

    def decode(self, data: bytes) -> Any:
        """The value ``encode`` made ``data`` from (called on the receiving end)."""
        ...


@dataclass(frozen=True)
class PickleCodec:
    """Python's pickle (the default, like Hydro's bincode): any picklable value."""

    name: str = "pickle"

    def encode(self, obj: Any) -> bytes:
        """``pickle.dumps`` with the highest protocol."""
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def decode(self, data: bytes) -> Any:
        """``pickle.loads``."""
        return pickle.loads(data)


@dataclass(frozen=True)
class JsonCodec:
    """UTF-8 JSON: for externals written in other languages. Tuples arrive as lists."""

    name: str = "json"

    def encode(self, obj: Any) -> bytes:
        """Compact JSON, UTF-8 encoded."""
        return json.dumps(obj, separators=(",", ":")).encode()

    def decode(self, data: bytes) -> Any:
        """``json.loads``."""
        return json.loads(data)


@dataclass(frozen=True)
class MsgpackCodec:
    """msgpack, when the ``msgpack`` package is installed."""

    name: str = "msgpack"

    def encode(self, obj: Any) -> bytes:
        """``msgpack.packb`` (bytes stay bytes)."""
        import msgpack

        return msgpack.packb(obj, use_bin_type=True)

    def decode(self, data: bytes) -> Any:
        """``msgpack.unpackb`` (strings come back as ``str``)."""
        import msgpack

        return msgpack.unpackb(data, raw=False)


def _msgpack_available() -> bool:
    try:
        import msgpack  # noqa: F401
    except ImportError:
        return False
    return True


def available_codecs() -> list[str]:
    """Names accepted by ``codec=`` on this machine."""
    names = ["pickle", "json"]
    if _msgpack_available():
        names.append("msgpack")
    return names


def resolve_codec(spec: Any, *, op: str = "send") -> Codec:
    """Turn a ``codec=`` argument into a codec object, or explain what is wrong with it."""
    if spec is None or spec == "pickle":
        return PickleCodec()
    if spec == "json":
        return JsonCodec()
    if spec == "msgpack":
        if not _msgpack_available():
            raise HydroTypeError(
                f"{op}: codec='msgpack' needs the msgpack package, which is not installed.\n"
                f"  Fix: pip install msgpack, or use one of {available_codecs()}.",
                op=op,
            )
        return MsgpackCodec()
    if isinstance(spec, str):
        raise HydroTypeError(
            f"{op}: unknown codec {spec!r}.\n"
            f"  Fix: use one of {available_codecs()}, or pass an object with "
            "encode(obj) -> bytes and decode(bytes) -> obj.",
            op=op,
        )
    missing = [m for m in ("encode", "decode") if not callable(getattr(spec, m, None))]
    if missing:
        raise HydroTypeError(
            f"{op}: codec {spec!r} has no {' or '.join(missing)} method.\n"
            "  Fix: a codec needs encode(obj) -> bytes and decode(bytes) -> obj, "
            f"or use one of {available_codecs()}.",
            op=op,
        )
    return spec


def codec_name(codec: Any) -> str:
    """A short printable name for a codec object."""
    return getattr(codec, "name", None) or type(codec).__name__
