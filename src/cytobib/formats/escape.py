"""Escaping for each target, in one place: HTML, Markdown, LaTeX, CSV/XLSX, XML (SVG).

The formatted citations come from the engine as small HTML fragments (only <i>, <b>, <sup>,
<sub>, <span> and escaped text); ``fragment_to`` re-expresses them for Markdown, LaTeX and
plain text so that emphasis survives and nothing else can be injected.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from html.parser import HTMLParser
from typing import ClassVar

from cytobib import latex
from cytobib.controls import without_escape_sequences

# Characters XML 1.0 (and so HTML, DOCX and SVG) cannot hold: C0 controls other than tab,
# newline and carriage return, lone surrogates, U+FFFE/U+FFFF; and DEL, which XML allows but
# nobody can see and TeX rejects.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


_CONTROL_SPACE = re.compile("[\x0b\x0c\x1c-\x1f]")  # controls that str.split() counts as space


def xml_text(text: str) -> str:
    """Text with the characters XML 1.0 forbids removed (python-docx raises on them).

    Vertical tab, form feed and the separators U+001C-U+001F become spaces, so words they
    separate stay apart.
    """
    # Nearly every value is clean: one search (every _CONTROL_SPACE character is also in
    # _XML_INVALID) spares the two substitutions.
    if _XML_INVALID.search(text) is None:
        return text
    return _XML_INVALID.sub("", _CONTROL_SPACE.sub(" ", text))


def html_text(text: str) -> str:
    return html.escape(xml_text(text), quote=True)


# Emphasis, code, links, HTML, tables, strikethrough. Parentheses, '#' and '+' only matter
# at the start of a line or right after ']', which folding newlines and escaping '[' prevent.
_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>|~]")
_MD_SPECIAL_OR_SPACE = re.compile(r"[\\`*_\[\]<>|~]|[^\S ]")  # \s is what str.split() splits on
_MD_LEADING_NUMBER = re.compile(r"^(\d+)\.")


def md_inline(text: str) -> str:
    """Text that Markdown renders literally inside a paragraph or list item.

    Escapes emphasis, links, HTML, pipes and code markers, and folds newlines so a value can
    never start a heading, a list or a table row of its own.
    """
    if (
        _MD_SPECIAL_OR_SPACE.search(text) is None
        and "  " not in text
        and not text[:1].isspace()
        and not text[-1:].isspace()
        and _MD_LEADING_NUMBER.match(text) is None
    ):
        return text  # nothing to fold or escape: most values
    text = " ".join(text.split())
    if _MD_SPECIAL.search(text) is not None:
        text = text.replace("\\", "\\\\")  # first, so no escape below is doubled
        for char in "`*_[]<>|~":
            text = text.replace(char, "\\" + char)
    # A leading "1." or "-" would still start a list after a line break in some renderers.
    return _MD_LEADING_NUMBER.sub(r"\1\\.", text, count=1)


def md_cell(text: str) -> str:
    """Text for a Markdown pipe-table cell (pipes escaped, newlines folded)."""
    return md_inline(text)


_DASHES = re.compile("([\u2013\u2014])")  # en and em dash
_DASH_LATEX = {"\u2013": "{--}", "\u2014": "{---}"}


def latex_text(text: str) -> str:
    """Text for a LaTeX document compiled with pdflatex: specials escaped, ASCII only."""
    # pdflatex stops at control characters ("Text line contains an invalid character").
    text = " ".join(xml_text(text).split())
    # Dashes are braced so that the "--"/"---" ligatures cannot run into a neighbouring
    # hyphen or dash ("––" would otherwise print as an em dash and a hyphen).
    return "".join(
        _DASH_LATEX.get(piece) or latex.escape(piece, ascii_only=True)
        for piece in _DASHES.split(text)
    )


def http_url(url: str) -> str | None:
    """An http(s) URL fit for a link, percent-encoded; None for javascript:, data:, relative.

    A DOI link is built from the DOI; this is for the ``url`` field, which anyone can fill.
    """
    url = _XML_INVALID.sub("", url).strip()
    if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    return urllib.parse.quote(url, safe="/:;?=&#%@+,!~*'()$[]")


def doi_url(doi: str) -> str:
    """The https://doi.org/ link for a DOI, percent-encoded."""
    return "https://doi.org/" + urllib.parse.quote(doi, safe="/:;")


def latex_url(url: str) -> str:
    """A URL for the first argument of hyperref's ``\\href``.

    Everything but unreserved and a few path characters is percent-encoded (so no brace,
    backslash, ``#``, ``&`` or ``$`` is left; existing escapes are kept), then ``%`` is
    escaped, as hyperref requires.
    """
    encoded = urllib.parse.quote(_XML_INVALID.sub("", url), safe="/:;=?@+,%")
    return encoded.replace("%", "\\%")


# OWASP "CSV Injection" and ASVS 5.0 V1.2.10: a cell starting with = + - @, TAB, CR (or NUL)
# is read as a formula by Excel, LibreOffice or Google Sheets. LF and the full-width forms are
# a precaution, not a documented attack: an importer that drops a leading line break, or an
# East Asian input method that folds "＝" to "=", would otherwise uncover a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula (see ``_FORMULA_START``)."""
    return text.startswith(_FORMULA_START)


def csv_cell(text: str) -> str:
    """Neutralise spreadsheet formula injection (OWASP): prefix a quote to =, +, -, @ starts.

    Apply it last, after any other clean-up, so that nothing can uncover a trigger again.
    """
    return "'" + text if starts_formula(text) else text


XLSX_MAX_CHARS = 32_767  # Excel's limit for one cell ("Excel specifications and limits")
_TRUNCATED = " … [truncated]"


# One pass over each cell (a 10k-row workbook has ~100k of them): CR LF and CR become LF,
# the rest as ``xml_text`` does it.
_SPREADSHEET_FIX = re.compile("\r\n?|" + _XML_INVALID.pattern)


def _spreadsheet_fix(match: re.Match[str]) -> str:
    ch = match.group()[0]
    if ch == "\r":
        return "\n"
    return " " if _CONTROL_SPACE.match(ch) else ""


def spreadsheet_text(text: str) -> str:
    """Text for one CSV/TSV/XLSX cell: line breaks made LF, control characters dropped.

    XLSX is XML (see ``xml_text``); in CSV the same characters only confuse importers.
    """
    return _SPREADSHEET_FIX.sub(_spreadsheet_fix, text)


def xlsx_text(text: str) -> str:
    """Text for an XLSX string cell: cleaned, and cut to Excel's 32,767 characters with a mark.

    Formula triggers need no quote here: cells are written as typed strings, and the writer
    sets Excel's own "quote prefix" style on those that start with one (``starts_formula``).
    """
    text = spreadsheet_text(text)
    if len(text) > XLSX_MAX_CHARS:
        text = text[: XLSX_MAX_CHARS - len(_TRUNCATED)] + _TRUNCATED
    return text


def svg_text(text: str) -> str:
    """Text for SVG character data or a quoted attribute: as ``html_text`` (XML 1.0's
    forbidden characters dropped, & < > " ' escaped), with line breaks folded to spaces."""
    return html_text(" ".join(text.split()))


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
        self.out.append(_fragment_data(data, self.target))


def _fragment_data(data: str, target: str) -> str:
    """A run of text from an engine fragment, for the target."""
    if target == "md":
        # md_inline folds whitespace; keep one space at either edge of a run so that
        # "therapy. <i>Journal</i>" does not become "therapy.*Journal*".
        lead = " " if data[:1].isspace() else ""
        trail = " " if data[-1:].isspace() else ""
        return lead + md_inline(data) + trail if data.strip() else data
    if target == "tex":
        return latex.escape(data, ascii_only=True)
    return data


def fragment_to(fragment: str, target: str) -> str:
    """An engine HTML fragment as Markdown ("md"), LaTeX ("tex") or plain text ("txt")."""
    if "<" not in fragment and "&" not in fragment:
        # No tag and no character reference: the parser would hand the whole fragment to
        # handle_data in one piece (and nothing at all if it is empty).
        return _fragment_data(fragment, target).strip() if fragment else ""
    parser = _Fragment(target)
    parser.feed(fragment)
    parser.close()
    return "".join(parser.out).strip()


# After the escape sequences (cytobib.controls): any C0/C1 control left but tab and newline, then
# the Unicode text-direction and invisible format characters that can make a line read other
# than it is.
_TERMINAL_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


def terminal_text(text: str) -> str:
    """Text safe to print on a terminal: no escape sequences, control or bidi characters.

    A title from Crossref or a value from an imported file could otherwise recolour the
    terminal, rewrite its title bar, hide a line or reorder one (Trojan Source); tab and newline
    stay.
    """
    if text.isprintable():
        return text
    return _TERMINAL_CONTROLS.sub("", without_escape_sequences(text))
