"""The HTML helpers of zotero/utilities ``utilities.js`` that decide what a note becomes.

``unescapeHTML`` is how BibTeX.js and BibLaTeX.js flatten a note into ``annote``/``annotation``
and how RIS.js cleans non-note values: in translation-server (Node) it parses the string as a
whole HTML document with jsdom and returns ``documentElement.textContent`` with runs of two or
more spaces collapsed. ``textContent`` is the concatenation of every text node: tags, ``<br/>``,
attributes and comments leave nothing behind, entities are decoded. Python's
:class:`html.parser.HTMLParser` gives the same text nodes for the markup notes use; the HTML5
rule that drops a newline right after ``<pre>``/``<textarea>``/``<listing>`` is applied by hand.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_PRE_LIKE = frozenset({"pre", "textarea", "listing"})


class _TextContent(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._after_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._after_pre = tag in _PRE_LIKE

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._after_pre = False

    def handle_endtag(self, tag: str) -> None:
        self._after_pre = False

    def handle_data(self, data: str) -> None:
        if self._after_pre and data.startswith("\n"):
            data = data[1:]
        self._after_pre = False
        self.parts.append(data)

    def handle_comment(self, data: str) -> None:
        self._after_pre = False  # comments are not text nodes


def unescape_html(s: str) -> str:
    """``Zotero.Utilities.unescapeHTML`` as translation-server runs it (jsdom ``textContent``)."""
    if "<" not in s and "&" not in s:
        return s
    # The HTML input stream normalises CR LF and lone CR to LF before tokenising.
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    parser = _TextContent()
    parser.feed(s)
    parser.close()
    return re.sub(r" {2,}", " ", "".join(parser.parts))


def html_special_chars(s: str) -> str:
    """``Zotero.Utilities.htmlSpecialChars`` (``'`` becomes ``&apos;``)."""
    if not s:
        return ""
    s = (
        s.replace("&", "&amp;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )

    def special(m: re.Match[str]) -> str:
        return {"BREAK": "<br/>", "HELLIP": "&#8230;"}.get(m.group(1), m.group(1))

    return re.sub(r"&lt;ZOTERO([^/]+)/&gt;", special, s)


def text2html(s: str, single_newline_is_paragraph: bool = False) -> str:
    """``Zotero.Utilities.text2html``: escape, then blank line -> paragraph, newline -> br."""
    s = html_special_chars(s)
    if single_newline_is_paragraph:
        s = "<p>" + s.replace("\n", "</p><p>").replace("  ", "&nbsp; ") + "</p>"
    else:
        s = (
            "<p>"
            + s.replace("\n\n", "</p><p>").replace("\n", "<br/>").replace("  ", "&nbsp; ")
            + "</p>"
        )
    return re.sub(r"<p>\s*</p>", "<p>&nbsp;</p>", s)
