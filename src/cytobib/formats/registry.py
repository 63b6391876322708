"""Output formats, registered in one place and found by name, alias or file suffix.

Built-ins are listed in ``BUILTIN``; third-party formats register through the
``cytobib.formats`` entry-point group with the same interface (:class:`Format`): a class
instantiated without arguments. Modules are imported only when used, so `cytobib check` never
pays for python-docx or xlsxwriter. Finding, laziness and the policy for a broken plug-in are
:class:`cytobib.registry.Registry`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from cytobib.errors import UnknownFormatError
from cytobib.registry import Builtin, Registry

ENTRY_POINT_GROUP = "cytobib.formats"

BUILTIN: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin("md", "cytobib.formats.markdown:MarkdownFormat", ("markdown",),
                (".md", ".markdown")),
        Builtin("txt", "cytobib.formats.text:TextFormat", ("text", "plain"), (".txt",)),
        Builtin("html", "cytobib.formats.html:HtmlFormat", ("htm",), (".html", ".htm")),
        Builtin("tex", "cytobib.formats.latex:LatexFormat", ("latex",), (".tex",)),
        Builtin("docx", "cytobib.formats.docx:DocxFormat", ("word",), (".docx",)),
        Builtin("csv", "cytobib.formats.csv:CsvFormat", (), (".csv",)),
        Builtin("tsv", "cytobib.formats.csv:TsvFormat", (), (".tsv",)),
        Builtin("xlsx", "cytobib.formats.xlsx:XlsxFormat", ("excel",), (".xlsx",)),
        Builtin("svg", "cytobib.formats.heatmap:SvgFormat", (), (".svg",)),
        Builtin("png", "cytobib.formats.heatmap:PngFormat", (), (".png",)),
    )
}  # fmt: skip
ALIASES = {alias: b.name for b in BUILTIN.values() for alias in b.aliases}
SUFFIXES = {suffix: b.name for b in BUILTIN.values() for suffix in b.suffixes}


class Format(Protocol):
    """What a format implements; a method it lacks means it cannot write that view."""

    name: str
    binary: bool


def _make(obj: Any) -> Any:
    fmt = obj() if isinstance(obj, type) else obj
    if not isinstance(getattr(fmt, "name", None), str):
        raise TypeError(f"{obj!r} is not a format (it has no name)")
    return fmt


def _describe(name: str, fmt: Any) -> Builtin:
    return Builtin(
        str(fmt.name),
        name,
        tuple(getattr(fmt, "aliases", ())),
        tuple(getattr(fmt, "suffixes", ())),
        str(getattr(fmt, "description", "")),
    )


REGISTRY: Registry[Any] = Registry(
    group=ENTRY_POINT_GROUP,
    noun="format",
    builtins=BUILTIN.values(),
    make=_make,
    describe=_describe,
)


def names() -> list[str]:
    return sorted(REGISTRY.names())


def get(name: str) -> Any:
    """The format object for a name or alias; UnknownFormatError lists the known ones.

    Raises:
        UnknownFormatError: no format has that name.
        PluginError: the name is a plug-in's, and it fails to load.
    """
    found = REGISTRY.get(name.lstrip("."))
    if found is None:
        raise UnknownFormatError(
            f"Unknown format '{name}'.", hint=f"Known formats: {', '.join(names())}."
        )
    return found


def canonical(name: str) -> str:
    """A format's name, for a name or alias, without importing a built-in format's module
    (a build that reuses every output loads none).

    Raises:
        UnknownFormatError, PluginError: as :func:`get`.
    """
    key = name.lstrip(".")
    if key in BUILTIN:
        return key
    if key in ALIASES:
        return ALIASES[key]
    return str(get(name).name)


def for_path(path: Path | str) -> Any:
    suffix = Path(path).suffix.lower()
    found = REGISTRY.for_suffix(suffix) if suffix else None
    if found is None:
        raise UnknownFormatError(
            f"Cannot tell the format from '{path}'.",
            hint=f"Use a suffix ({', '.join(SUFFIXES)}) or pass --format.",
        )
    return found


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
        readable = ("an " if readable[0] in "aeiou" else "a ") + readable
        able = [n for n in BUILTIN if hasattr(_class(n), view)]
        raise UnknownFormatError(
            f"The {format_obj.name} format cannot write {readable}.",
            hint=f"Formats for {readable}: {', '.join(able)}.",
        )
    return method


def _class(name: str) -> Any:
    try:
        return BUILTIN[name].load()
    except (ImportError, AttributeError):
        return object
