"""Escaping for each target, in one place: HTML, Markdown, LaTeX, CSV.

The formatted citations come from the engine as small HTML fragments (only <i>, <b>, <sup>,
<sub>, <span> and escaped text); ``fragment_to`` re-expresses them for Markdown, LaTeX and
plain text so that emphasis survives and nothing else can be injected.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import ClassVar

from cytobib import latex


# Characters XML 1.0 (and so HTML, DOCX and SVG) cannot hold, nor TeX read: C0 controls other
# than tab, newline and carriage return, DEL, lone surrogates and the non-characters U+FFFE/F.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text with the characters XML 1.0 forbids removed (python-docx raises on them)."""
    return _XML_INVALID.sub("", text)


def html_text(text: str) -> str:
    return html.escape(xml_text(text), quote=True)


# Emphasis, code, links, HTML, tables, strikethrough. Parentheses, '#' and '+' only matter
# at the start of a line or right after ']', which folding newlines and escaping '[' prevent.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md_inline(text: str) -> str:
    """Text that Markdown renders literally inside a paragraph or list item.

    Escapes emphasis, links, HTML, pipes and code markers, and folds newlines so a value can
    never start a heading, a list or a table row of its own.
    """
    text = " ".join(text.split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # A leading "1." or "-" would still start a list after a line break in some renderers.
    return re.sub(r"^(\d+)\.", r"\1\\.", text)


def md_cell(text: str) -> str:
    """Text for a Markdown pipe-table cell (pipes escaped, newlines folded)."""
    return md_inline(text)


def latex_text(text: str) -> str:
    """Text for a LaTeX document compiled with pdflatex: specials escaped, ASCII only."""
    # pdflatex stops at control characters ("Text line contains an invalid character").
    return latex.escape(" ".join(xml_text(text).split()), ascii_only=True)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """Neutralise spreadsheet formula injection (OWASP): prefix a quote to =, +, -, @ starts."""
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Fragment(HTMLParser):
    """Walk an engine HTML fragment and emit it for another target."""

    def __init__(self, target: str) -> None:
        super().__init__(convert_charrefs=True)
        self.target = target
        self.out: list[str] = []
        self.stack: list[str] = []

    _OPEN: ClassVar[dict[str, dict[str, str]]] = {
        "md": {"i": "*", "em": "*", "b": "**", "strong": "**", "sup": "<sup>", "sub": "<sub>"},
        "tex": {"i": r"\textit{", "em": r"\emph{", "b": r"\textbf{", "strong": r"\textbf{",
                "sup": r"\textsuperscript{", "sub": r"\textsubscript{", "sc": r"\textsc{"},
    }  # fmt: skip
    _CLOSE: ClassVar[dict[str, dict[str, str]]] = {
        "md": {"i": "*", "em": "*", "b": "**", "strong": "**", "sup": "</sup>", "sub": "</sub>"},
        "tex": dict.fromkeys(("i", "em", "b", "strong", "sup", "sub", "sc"), "}"),
    }

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "span":
            style = dict(attrs).get("style") or ""
            tag = "sc" if "small-caps" in style else "span"
        self.stack.append(tag)
        self.out.append(self._OPEN.get(self.target, {}).get(tag, ""))

    def handle_endtag(self, tag: str) -> None:
        opened = self.stack.pop() if self.stack else tag
        self.out.append(self._CLOSE.get(self.target, {}).get(opened, ""))

    def handle_data(self, data: str) -> None:
        if self.target == "md":
            self.out.append(md_inline(data) if data.strip() else data)
        elif self.target == "tex":
            self.out.append(latex.escape(data, ascii_only=True))
        else:
            self.out.append(data)


def fragment_to(fragment: str, target: str) -> str:
    """An engine HTML fragment as Markdown ("md"), LaTeX ("tex") or plain text ("txt")."""
    parser = _Fragment(target)
    parser.feed(fragment)
    parser.close()
    return "".join(parser.out).strip()
