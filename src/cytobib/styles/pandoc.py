"""The CSL engine: pandoc's citeproc, run as a separate program from the ``pypandoc-binary``
wheel, and its JSON AST turned into plain text or an HTML fragment.

It was chosen by measurement (``bench/csl_engines.py``, ``docs/csl-engines.md``): it was
correct on every style tried where citeproc-py glued numeric labels to the text and let
``<script>`` through, and it is 5-7x faster.
"""

from __future__ import annotations

import functools
import html
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from cytobib.errors import StyleError

_PANDOC_MIN = (3, 1)


def pandoc_path() -> Path | None:
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
    path = pandoc_path()
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_size, st.st_mtime_ns)


NO_PANDOC_HINT = (
    "Install the engine with `pip install pypandoc-binary` (or set CYTOBIB_PANDOC to a "
    "pandoc >= 3.1 binary)."
)


@functools.cache
def pandoc_version(path: Path) -> str:
    try:
        out = subprocess.run(  # noqa: S603 - argument list, no shell; our pandoc binary
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise StyleError(f"Cannot run pandoc at {path}: {exc}.", hint=NO_PANDOC_HINT) from exc
    match = re.match(r"pandoc(?:\.exe)?\s+([\d.]+)", out)
    if not match:
        raise StyleError(f"{path} does not look like pandoc.", hint=NO_PANDOC_HINT)
    version = match.group(1)
    if tuple(int(p) for p in version.split(".")[:2]) < _PANDOC_MIN:
        raise StyleError(
            f"pandoc {version} at {path} is too old; cytobib needs pandoc >= 3.1 (older "
            "versions mangle title case, e.g. 'Anti-Cd25').",
            hint=NO_PANDOC_HINT,
        )
    return version


def engine_version() -> str:
    """The CSL engine and its version, as used in cache keys (e.g. ``pandoc 3.9``)."""
    path = pandoc_path()
    if path is None:
        raise StyleError("No CSL engine is installed (pandoc not found).", hint=NO_PANDOC_HINT)
    return f"pandoc {pandoc_version(path)}"


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


def run_pandoc(
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
            raise StyleError(f"Cannot run pandoc: {exc}.", hint=NO_PANDOC_HINT) from exc
    if proc.returncode < 0:
        raise _killed(-proc.returncode)
    if proc.returncode != 0:
        detail = " ".join(proc.stderr.split())[:400] or f"exit status {proc.returncode}"
        raise StyleError(
            f"The CSL engine failed on style {style_name!r}: {detail}",
            hint="Check the style in a CSL validator, or choose another style.",
        )
    found = _references(proc.stdout, style_name)
    missing = [it["id"] for it in items if it["id"] not in found]
    if missing:
        raise StyleError(
            f"The CSL engine returned no entry for {len(missing)} of {len(items)} references "
            f"in style {style_name!r}.",
            hint="The style may filter entries by type; choose another style.",
        )
    return [found[it["id"]] for it in items]


def _references(output: str, style_name: str) -> dict[str, tuple[str, str]]:
    """(text, html) by item id, from pandoc's JSON AST (the ``refs`` div)."""
    try:
        ast = json.loads(output)
    except json.JSONDecodeError as exc:
        raise StyleError(f"pandoc gave unreadable output for style {style_name!r}.") from exc
    found: dict[str, tuple[str, str]] = {}
    for block in ast.get("blocks", []):
        if block.get("t") == "Div" and block["c"][0][0] == "refs":
            for entry in block["c"][1]:
                ident = entry["c"][0][0].removeprefix("ref-")
                found[ident] = (_blocks(entry["c"][1], False), _blocks(entry["c"][1], True))
    return found


def _killed(number: int) -> BaseException:
    """pandoc ended by a signal: Ctrl-C reached it (an interruption, as if it had reached us),
    or it was killed (memory, a kill command); the style is not to blame either way."""
    if number == signal.SIGINT:
        return KeyboardInterrupt()
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    return StyleError(
        f"The CSL engine (pandoc) was stopped by {name} before it finished.",
        hint="Run the command again; if it happens each time, the machine may be short of "
        "memory (try a smaller list with --where).",
    )
