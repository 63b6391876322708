"""The store's codec: values as JSON, never as anything that can run code when read.

A ``str`` is kept as itself; anything else as UTF-8 JSON in which tuples, bytes and dicts whose
keys are not all strings are small tagged objects (``{"~t": [...]}``, ``{"~b": "base64"}``,
``{"~d": [[k, v], ...]}``); a caller's dict that looks like a tag is escaped the same way.
"""

from __future__ import annotations

import base64
import json
from typing import Any

Key = str | bytes


_TUPLE, _BYTES, _DICT = "~t", "~b", "~d"
_PLAIN = frozenset((str, int, float, bool, type(None)))


def _tag(value: Any) -> Any:
    # Scalars are tested inline, not by a call per element: most values are flat rows.
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple:
        return {_TUPLE: [v if type(v) in _PLAIN else _tag(v) for v in value]}
    if kind is list:
        return [v if type(v) in _PLAIN else _tag(v) for v in value]
    if kind is dict:
        if all(type(k) is str for k in value) and not (
            len(value) == 1 and next(iter(value)).startswith("~")
        ):
            return {k: v if type(v) in _PLAIN else _tag(v) for k, v in value.items()}
        return {_DICT: [[_tag(k), _tag(v)] for k, v in value.items()]}
    if kind is bytes:
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    for base in (bool, int, float, str):  # enums and the like: as their plain value
        if isinstance(value, base):
            return base(value)
    raise TypeError(f"The cache keeps JSON values, tuples and bytes, not {kind.__name__}.")


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((name, inner),) = obj.items()
        if name == _TUPLE:
            return tuple(inner)
        if name == _BYTES:
            return base64.b64decode(inner)
        if name == _DICT:
            return dict(inner)
    return obj


# Made once: json.dumps/loads with arguments build a new encoder/decoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DECODER = json.JSONDecoder(object_hook=_untag)


def encode(value: Any, *, plain: bool = False) -> str | bytes:
    """A value as stored: a ``str`` as itself, anything else as UTF-8 JSON in which tuples,
    bytes and dicts whose keys are not all strings are tagged objects (``{"~t": [...]}``).

    ``plain`` skips the tagging walk (half the cost for large nested values): tuples are
    written as arrays and come back as lists, so it is for rows whose reader rebuilds its
    own types and checks their shape (a reader must treat a value of another shape as a miss).

    Raises:
        TypeError: for a value JSON cannot carry (a set, a dataclass...): a bug in the caller.
    """
    if type(value) is str:
        try:
            value.encode("utf-8")  # a lone surrogate cannot be SQLite TEXT
        except UnicodeEncodeError:
            pass
        else:
            return value
    if value is None:
        raise TypeError("The cache cannot keep None: it is what a miss returns.")
    tagged = value if plain else _tag(value)
    return _ENCODER.encode(tagged).encode("utf-8", "surrogatepass")


def decode(raw: str | bytes) -> Any:
    """The value :func:`encode` stored as ``raw``."""
    if isinstance(raw, str):
        return raw
    return _DECODER.decode(raw.decode("utf-8", "surrogatepass"))


def decode_many(blobs: list[tuple[Key, Any]]) -> dict[Key, Any]:
    """Decode many stored JSON values in one call of the JSON parser (per value, the call
    costs more than the parsing); a value that does not decode is left out (a miss).

    The values are parsed as one array; if that fails or yields another number of elements
    (a damaged value), each is decoded on its own. Only a value crafted to close and open
    array elements could shift the others, and whoever can write such a value into the store
    can write any value for any key already.
    """
    if not blobs:
        return {}
    try:
        joined = b"[" + b",".join(raw for _, raw in blobs) + b"]"
        values = _DECODER.decode(joined.decode("utf-8", "surrogatepass"))
        if len(values) == len(blobs):
            return {key: value for (key, _), value in zip(blobs, values, strict=True)}
    except Exception:  # noqa: S110 - a damaged value: decode them one by one below
        pass
    out = {}
    for key, raw in blobs:
        try:
            out[key] = decode(raw)
        except Exception:  # noqa: S112 - a damaged row is a miss, never a failure
            continue
    return out
