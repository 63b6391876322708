"""pybtex's BibTeX styles (``plain``, ``unsrt``, ``alpha``) for LaTeX users.

Titles are protected so that ``IL-2`` stays ``IL-2``; an entry a style cannot format is
printed with what is known and the reason, as BibTeX itself does. Where pybtex departs from
the ``.bst`` files it ports, BibTeX wins: "and others" prints "et al." (pybtex printed
"others"), and alpha labels abbreviate a name to the first letter of each word
(``O'Boyle`` -> O: pybtex kept "OBoyle"). Zotero's data lines in ``note`` (``Type: Journal
Article``, ``tex.ids=``...) are not printed (:mod:`cytobib.extra`).
"""

from __future__ import annotations

import functools
import html
import importlib.metadata
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cytobib import extra, latex
from cytobib.bibfile import render_entry
from cytobib.errors import StyleError
from cytobib.styles.cache import RENDER_VERSION, ReferenceCache, sha

if TYPE_CHECKING:
    from cytobib.model import Entry
    from cytobib.styles.resolve import Output, StyleRef


def pybtex_version() -> str:
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


def render_pybtex(
    items: Sequence[Mapping[str, Any]],
    style: StyleRef,
    bibtex: Mapping[str, str],
    indices: list[int],
    want_html: bool,
) -> dict[int, tuple[str, str, str]]:
    """Format the given items with a pybtex style; returns (text, html, base label)."""
    import pybtex.database
    import pybtex.errors
    from pybtex.plugin import find_plugin

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
        formatter = bibtex_rules(find_plugin("pybtex.style.formatting", style.name))()
    except Exception as exc:
        raise StyleError(
            f"pybtex could not read the entries for style {style.name!r}: {exc}"
        ) from exc
    backend = _safe_html() if want_html else None
    out: dict[int, tuple[str, str, str]] = {}
    for index, key in zip(indices, keys, strict=True):
        entry = data.entries.get(key)
        if entry is None:
            text = _fallback_text(items[index], style.name, "no BibTeX source for this key")
            out[index] = (text, html.escape(text), "")
            continue
        out[index] = _render_one(entry, data, formatter, backend, items[index], style.name)
    return out


def _render_one(
    entry: Any, data: Any, formatter: Any, backend: Any, item: Mapping[str, Any], style: str
) -> tuple[str, str, str]:
    """One entry: (text, html, base label); an entry the style cannot format is shown with
    what is known and why, as BibTeX itself warns and prints what it has."""
    from pybtex.style.template import FieldIsMissing

    prepare_entry(entry)
    base = ""
    try:
        base = formatter.label_style.format_label(entry) if style == "alpha" else ""
        formatted = formatter.format_entry(base, entry, bib_data=data)
        text = " ".join(formatted.text.render_as("text").split())
        markup = formatted.text.render(backend) if backend is not None else html.escape(text)
    except Exception as exc:
        # One incomplete entry must not sink the list.
        reason = str(exc) if isinstance(exc, FieldIsMissing) else type(exc).__name__
        text = _fallback_text(item, style, reason)
        return (text, html.escape(text), base)
    return (text, " ".join(markup.split()), base)


def bibtex_source(entry: Entry) -> str:
    """An entry as the BibTeX source pybtex styles get: Zotero's data lines taken out of
    ``note`` here, line by line, because pybtex folds a value's lines into one."""
    fields = []
    for name, value in entry.fields.items():
        kept = extra.printable(value) if name == "note" else value
        if not latex.is_balanced(kept):
            kept = value  # a data line held part of a {group}: keep the note whole
        if kept:
            fields.append((name, kept))
    return render_entry(entry.type, entry.key, fields)


def prepare_entry(entry: Any) -> None:
    """A pybtex entry as cytobib styles print it: title words protected, what can still be
    told of Zotero's data lines taken out of ``note`` (the field goes when nothing is left)."""
    if "title" in entry.fields:
        entry.fields["title"] = protect_title(entry.fields["title"])
    if "note" in entry.fields:
        note = extra.printable_folded(str(entry.fields["note"]))
        if note:
            entry.fields["note"] = note
        else:
            del entry.fields["note"]


@functools.cache
def bibtex_rules(base: type[Any]) -> type[Any]:
    """A pybtex style class with BibTeX's "et al." for "and others" and alpha.bst's labels."""
    from pybtex.style.labels.alpha import LabelStyle

    class Style(base):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            labels: Any = getattr(self, "label_style", None)
            if isinstance(labels, LabelStyle):
                self.label_style = _alpha_labels()

        def format_names(self, role: str, as_sentence: bool = True) -> Any:
            from pybtex.style.template import sentence

            formatted = _bibtex_names(role)
            return sentence[formatted] if as_sentence else formatted

    Style.__name__ = Style.__qualname__ = f"Cytobib{base.__name__}"
    return Style


def _bibtex_names(role: str) -> Any:
    """pybtex's ``names`` node, but a list ending in "others" reads "A et al." or "A, B,
    et al." as plain.bst's format.names writes it."""
    from pybtex.richtext import Symbol, Text
    from pybtex.style.template import FieldIsMissing, join, node

    @node  # type: ignore[untyped-decorator]
    def names(children: Any, context: Any, role: str) -> Any:
        del children
        try:
            persons = context["entry"].persons[role]
        except KeyError:
            raise FieldIsMissing(role, context["entry"]) from None
        style = context["style"]
        others = len(persons) > 1 and str(persons[-1]) == "others"
        named = persons[:-1] if others else persons
        formatted = [style.format_name(p, style.abbreviate_names) for p in named]
        if not others:
            return join(sep=", ", sep2=" and ", last_sep=", and ")[formatted].format_data(context)
        listed = join(sep=", ")[formatted].format_data(context)
        return Text(listed, "," if len(named) > 1 else "", " et", Symbol("nbsp"), "al.")

    return names(role)


@functools.cache
def _alpha_labels() -> Any:
    from pybtex.style.labels.alpha import LabelStyle

    class AlphaLabels(LabelStyle):  # type: ignore[misc]
        """alpha.bst's format.lab.names: first letters of the (von and) last names of up to
        three authors, "+" for more or for "others"; one author: three letters."""

        def format_lab_names(self, persons: Any) -> str:
            def initials(person: Any) -> str:
                words = _WORDS.split(_plain(" ".join(person.prelast_names + person.last_names)))
                return "".join(next((c for c in w if c.isalnum()), "") for w in words)

            if len(persons) == 1:
                result = initials(persons[0])
                if len(result) < 2:
                    result = _alnum(_plain(" ".join(persons[0].last_names)))[:3]
                return result
            shown = persons[:3] if len(persons) > 4 else persons
            result = ""
            for n, person in enumerate(shown, 1):
                last = n == len(persons)
                result += "+" if last and str(person) == "others" else initials(person)
            return result + ("+" if len(persons) > 4 else "")

    return AlphaLabels()


_OTHERS = {"literal": "others"}  # cytobib.csl.OTHERS: a truncated name list
_WORDS = re.compile(r"[\s~-]+")


def _plain(name: str) -> str:
    """A name part as ASCII letters: LaTeX decoded, accents dropped (BibTeX's purify$)."""
    decomposed = unicodedata.normalize("NFD", latex.to_text(name))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _alnum(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def _safe_html() -> Any:
    """pybtex's HTML backend with only <i>/<b>/<sup>/<sub>: no links, no class attributes."""
    from pybtex.backends.html import Backend as HtmlBackend

    class SafeHtml(HtmlBackend):  # type: ignore[misc]
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

    return SafeHtml()


def _fallback_text(item: Mapping[str, Any], style: str, reason: str) -> str:
    """What is known of an entry the BibTeX style cannot format, and why."""
    parts = []
    authors = item.get("author") or []
    names = [a.get("family") or a.get("literal") or "" for a in authors if a != _OTHERS]
    if names:
        et_al = " et al." if len(names) < len(authors) else ""
        parts.append(", ".join(n for n in names if n) + et_al)
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


def alpha_labels(bases: list[str]) -> list[str]:
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


def format_pybtex(
    items: Sequence[Mapping[str, Any]],
    style: StyleRef,
    output: Output,
    bibtex: Mapping[str, str],
    cache: ReferenceCache,
) -> list[tuple[str, str, str]]:
    base = (style.name, style.digest, RENDER_VERSION, output)
    keys = [str(it.get("id", "")) for it in items]
    cache_keys = [sha(*base, k, bibtex.get(k, "")) for k in keys]
    hits = cache.get(cache_keys)
    todo = [i for i, k in enumerate(cache_keys) if k not in hits]
    if todo:
        rendered = render_pybtex(items, style, bibtex, todo, output == "html")
        fresh = []
        for i, body in rendered.items():
            hits[cache_keys[i]] = body
            fresh.append((cache_keys[i], *body))
        cache.put(fresh)
    return [hits[k] for k in cache_keys]
