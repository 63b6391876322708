"""Output formats, registered in one place and found by name, alias or file suffix.

Built-ins are listed in ``BUILTIN`` (module, class); third-party formats register through the
``cytobib.formats`` entry-point group with the same interface (:class:`Format`). Modules are
imported only when used, so `cytobib check` never pays for python-docx or xlsxwriter.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from cytobib.errors import UnknownFormatError

BUILTIN: dict[str, tuple[str, str]] = {
    "md": ("cytobib.formats.markdown", "MarkdownFormat"),
    "txt": ("cytobib.formats.text", "TextFormat"),
    "html": ("cytobib.formats.html", "HtmlFormat"),
    "tex": ("cytobib.formats.latex", "LatexFormat"),
    "docx": ("cytobib.formats.docx", "DocxFormat"),
    "csv": ("cytobib.formats.csv", "CsvFormat"),
    "tsv": ("cytobib.formats.csv", "TsvFormat"),
    "xlsx": ("cytobib.formats.xlsx", "XlsxFormat"),
    "svg": ("cytobib.formats.heatmap", "SvgFormat"),
    "png": ("cytobib.formats.heatmap", "PngFormat"),
}
ALIASES = {
    "markdown": "md", "text": "txt", "plain": "txt", "htm": "html", "latex": "tex",
    "word": "docx", "excel": "xlsx",
}  # fmt: skip
SUFFIXES = {
    ".md": "md", ".markdown": "md", ".txt": "txt", ".html": "html", ".htm": "html",
    ".tex": "tex", ".docx": "docx", ".csv": "csv", ".tsv": "tsv", ".xlsx": "xlsx",
    ".svg": "svg", ".png": "png",
}  # fmt: skip
ENTRY_POINT_GROUP = "cytobib.formats"


class Format(Protocol):
    """What a format implements; a method it lacks means it cannot write that view."""

    name: str
    binary: bool


@lru_cache(maxsize=1)
def _plugins() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def names() -> list[str]:
    return sorted({*BUILTIN, *_plugins()})


def get(name: str) -> Any:
    """The format object for a name or alias; UnknownFormatError lists the known ones."""
    key = ALIASES.get(name.lower().lstrip("."), name.lower().lstrip("."))
    if key in BUILTIN:
        module, cls = BUILTIN[key]
        return getattr(importlib.import_module(module), cls)()
    plugin = _plugins().get(key)
    if plugin is not None:
        return plugin.load()()
    raise UnknownFormatError(
        f"Unknown format '{name}'.", hint=f"Known formats: {', '.join(names())}."
    )


def for_path(path: Path | str) -> Any:
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES:
        return get(SUFFIXES[suffix])
    raise UnknownFormatError(
        f"Cannot tell the format from '{path}'.",
        hint=f"Use a suffix ({', '.join(SUFFIXES)}) or pass --format.",
    )


def resolve(fmt: str | None, output: Path | None, default: str) -> Any:
    """--format wins; else the -o suffix; else the default."""
    if fmt:
        return get(fmt)
    if output is not None and output.suffix:
        return for_path(output)
    return get(default)


def require(format_obj: Any, view: str) -> Any:
    """The format's method for a view ("reading_list", "table", "evidence_map")."""
    method = getattr(format_obj, view, None)
    if method is None:
        readable = view.replace("_", " ")
        able = [n for n in BUILTIN if hasattr(_class(n), view)]
        raise UnknownFormatError(
            f"The {format_obj.name} format cannot write a {readable}.",
            hint=f"Formats for a {readable}: {', '.join(able)}.",
        )
    return method


def _class(name: str) -> Any:
    module, cls = BUILTIN[name]
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError):
        return object
