"""zotero/translators ``BibLaTeX.js`` (export only: Zotero reads .bib files with BibTeX.js).

Ported from ``doExport``/``writeField``/``buildCiteKey``; the item types cytobib never produces
keep their type mapping but not their special fields (patents, letters, e-mails, arXiv).
Notes are written (as ``annotation``) only when Export Notes is ticked; it is off by default.
"""

from __future__ import annotations

import re
from typing import Any

from ._dates import str_to_iso
from ._html import unescape_html
from ._items import Item
from ._js import LETTER, UPPER, B, trim
from .bibtex import (
    build_cite_key,
    creator_string,
    extra_fields_to_string,
    map_html_markup,
    parse_extra_fields,
)

FIELD_MAP = {
    "location": "place", "chapter": "chapter", "edition": "edition", "title": "title",
    "volume": "volume", "rights": "rights", "isbn": "ISBN", "issn": "ISSN", "url": "url",
    "doi": "DOI", "series": "series", "shorttitle": "shortTitle", "holder": "assignee",
    "abstract": "abstractNote", "volumes": "numberOfVolumes", "version": "version",
    "eventtitle": "conferenceName", "pages": "pages", "pagetotal": "numPages",
}  # fmt: skip
REV_EXTRA_IDS = {"LCCN": "lccn", "MR": "mrnumber", "Zbl": "zmnumber", "PMCID": "pmcid",
                 "PMID": "pmid", "DOI": "doi"}  # fmt: skip
REV_EPRINT_IDS = {"arXiv": "arxiv", "JSTOR": "jstor", "HDL": "hdl",
                  "GoogleBooksID": "googlebooks"}  # fmt: skip
ZOTERO_TO_BIBLATEX = {
    "book": "book", "bookSection": "incollection", "journalArticle": "article",
    "magazineArticle": "article", "newspaperArticle": "article", "thesis": "thesis",
    "letter": "letter", "manuscript": "unpublished", "interview": "misc", "film": "movie",
    "artwork": "artwork", "webpage": "online", "conferencePaper": "inproceedings",
    "report": "report", "bill": "legislation", "case": "jurisdiction", "hearing": "jurisdiction",
    "patent": "patent", "statute": "legislation", "email": "letter", "map": "misc",
    "blogPost": "online", "instantMessage": "misc", "forumPost": "online",
    "audioRecording": "audio", "presentation": "unpublished", "videoRecording": "video",
    "tvBroadcast": "misc", "radioBroadcast": "misc", "podcast": "audio",
    "computerProgram": "software", "document": "misc", "encyclopediaArticle": "inreference",
    "dictionaryEntry": "inreference",
}  # fmt: skip
ALWAYS_MAP = {"|": "{\\textbar}", "<": "{\\textless}", ">": "{\\textgreater}",
              "~": "{\\textasciitilde}", "^": "{\\textasciicircum}", "\\": "{\\textbackslash}",
              "{": "\\{", "}": "\\}"}  # fmt: skip
BABEL = {"af": "afrikaans", "ar": "arabic", "eu": "basque", "br": "breton", "bg": "bulgarian",
         "ca": "catalan", "hr": "croatian", "cz": "czech", "da": "danish", "nl": "dutch",
         "en": {"": "english", "US": "american", "GB": "british", "CA": "canadian",
                "AU": "australian", "NZ": "newzealand"},
         "eo": "esperanto", "et": "estonian", "fa": "farsi", "fi": "finnish",
         "fr": {"": "french", "CA": "canadien"}, "fur": "friulan", "gl": "galician",
         "de": {"": "german", "AT": "austrian", "DE-1996": "ngerman", "AT-1996": "naustrian",
                "1996": "ngerman"},
         "el": {"": "greek", "polyton": "polutonikogreek"}, "he": "hebrew", "hi": "hindi",
         "is": "icelandic", "id": "indonesian", "ia": "interlingua", "ga": "irish",
         "it": "italian", "ja": "japanese", "la": "latin", "lv": "latvian", "lt": "lithuanian",
         "dsb": "lowersorbian", "hu": "magyar", "zlm": "malay", "mn": "mongolian",
         "se": "samin", "nn": "nynorsk", "nb": "norsk", "no": "norwegian",
         "zh": {"": "pinyin", "Latn": "pinyin"}, "pl": "polish",
         "pt": {"": "portuguese", "PT": "portuguese", "BR": "brazil"}, "ro": "romanian",
         "rm": "romansh", "ru": "russian", "gd": "scottish",
         "sr": {"": "serbian", "Cyrl": "serbianc", "Latn": "serbian"}, "sk": "slovak",
         "sl": "slovene", "es": "spanish", "sv": "swedish", "th": "thaicjk", "tr": "turkish",
         "tk": "turkmen", "uk": "ukrainian", "hsb": "uppersorbian", "vi": "vietnamese",
         "cy": "welsh"}  # fmt: skip
# Words with an upper-case letter after the first character; JS \b is ASCII (`µ{gRoute}`).
_PROTECT_CAPS = re.compile(B + "[" + LETTER + "]+[" + UPPER + "][" + LETTER + "]*")
_AUTHOR_TYPES = ("author", "interviewer", "inventor", "director", "programmer", "artist",
                 "podcaster", "presenter")  # fmt: skip


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, s: str) -> None:
        self.parts.append(s)

    def field(self, field: str, value: Any, is_macro: bool = False,
              no_escape: bool = False) -> None:  # fmt: skip
        """``writeField``."""
        if not value and not isinstance(value, int):
            return
        value = str(value)
        self.write(",\n\t" + field + " = ")
        if not is_macro:
            self.write("{")
        if not no_escape and not is_macro and field not in ("url", "doi", "file", "lccn"):
            value = re.sub(r"[|~^\\{}]", lambda m: ALWAYS_MAP[m.group(0)], value)
            value = re.sub(r"[#$%&_]", lambda m: "\\" + m.group(0), value)
            value = map_html_markup(value)
            value = re.sub(r"[<>]", lambda m: ALWAYS_MAP[m.group(0)], value)
            if field != "pages":
                value = _PROTECT_CAPS.sub(lambda m: "{" + m.group(0) + "}", value)
            if field == "pages":
                value = re.sub(r"[-\u2012-\u2015\u2053]+", "--", value)
        if field not in ("url", "doi", "file"):
            value = map_html_markup(value)
        self.write(value)
        if not is_macro:
            self.write("}")


def _creator_check(item: Item, creator_type: str) -> bool:
    return any(c.get("creatorType") == creator_type for c in item.get("creators") or [])


def export_biblatex(items: list[Item], *, export_notes: bool = False,
                    use_journal_abbreviation: bool = False) -> str:  # fmt: skip
    """``doExport``: export items -> BibLaTeX text (the charset option is ignored)."""
    w = _Writer()
    w.write("\n")
    first = True
    taken: set[str] = set()
    for item in items:
        if item["itemType"] in ("note", "attachment"):
            continue
        note_used = False
        kind = ZOTERO_TO_BIBLATEX.get(item["itemType"])
        if item["itemType"] == "bookSection" and _creator_check(item, "bookAuthor"):
            kind = "inbook"
        if (item["itemType"] == "book" and not _creator_check(item, "author")
                and _creator_check(item, "editor")):  # fmt: skip
            kind = "collection"
        if kind == "book" and item.get("numberOfVolumes"):
            kind = "mvbook"
        kind = kind or "misc"
        extra = parse_extra_fields(item["extra"]) if item.get("extra") else None
        key = build_cite_key(item, extra, taken)  # legacy cleaner: items have no dateAdded
        w.write(("" if first else "\n\n") + "@" + kind + "{" + key)
        first = False
        for field, zfield in FIELD_MAP.items():
            if item.get(zfield):
                w.field(field, item[zfield])
        number = (item.get("reportNumber") or item.get("seriesNumber") or item.get("billNumber")
                  or item.get("episodeNumber")
                  or (item.get("number") if not item.get("patentNumber") else None))  # fmt: skip
        if number:
            w.field("number", number)
        if item.get("issue"):
            m = re.match(r"^\s*([+-]?\d+)", item["issue"])  # parseInt
            if m:
                w.field("number", int(m.group(1)))
            else:
                w.field("issue", item["issue"])
        if item.get("publicationTitle"):
            kind_z = item["itemType"]
            if kind_z in ("bookSection", "conferencePaper", "dictionaryEntry",
                          "encyclopediaArticle"):  # fmt: skip
                w.field("booktitle", item["publicationTitle"])
            elif kind_z in ("magazineArticle", "newspaperArticle"):
                w.field("journaltitle", item["publicationTitle"])
            elif kind_z == "journalArticle":
                if use_journal_abbreviation and item.get("journalAbbreviation"):
                    w.field("journaltitle", item["journalAbbreviation"])
                else:
                    w.field("journaltitle", item["publicationTitle"])
                    w.field("shortjournal", item.get("journalAbbreviation"))
        for t in ("websiteTitle", "forumTitle", "blogTitle", "programTitle"):
            if item.get(t):
                w.field("titleaddon", item[t])
                break
        if item.get("publisher"):
            name = "institution" if item["itemType"] in ("thesis", "report") else "publisher"
            w.field(name, item["publisher"])
        thesis_type = item.get("thesisType")
        if item["itemType"] == "thesis" and (
            not thesis_type or re.search(r"ph\.?d", thesis_type, re.IGNORECASE)
        ):
            w.field("type", "phdthesis")
        else:
            for t in ("manuscriptType", "thesisType", "websiteType", "presentationType",
                      "reportType", "mapType"):  # fmt: skip
                if item.get(t):
                    w.field("type", item[t])
                    break
        if item.get("presentationType") or item.get("manuscriptType"):
            w.field("howpublished", item.get("presentationType") or item.get("manuscriptType"))
        if item.get("archive") and item.get("archiveLocation"):
            eprint = {"arXiv": "arxiv", "arxiv": "arxiv", "JSTOR": "jstor", "jstor": "jstor",
                      "PubMed": "pubmed", "pubmed": "pubmed", "HDL": "hdl", "hdl": "hdl",
                      "googlebooks": "googlebooks",
                      "Google Books": "googlebooks"}.get(item["archive"])  # fmt: skip
            if eprint:
                w.field("eprinttype", eprint)
                w.field("eprint", item["archiveLocation"])
        if item.get("meetingName"):
            w.field("note", item["meetingName"])
            note_used = True
        creators = item.get("creators") or []
        if creators:
            groups = dict.fromkeys(
                ("author", "bookauthor", "commentator", "editor", "editora", "editorb",
                 "holder", "translator"), "",
            )  # fmt: skip
            no_escape = False
            for c in creators:
                s = creator_string(c)
                s = re.sub(r"[|<>~^\\{}]", lambda m: ALWAYS_MAP[m.group(0)], s)
                s = re.sub(r"([#$%&_])", r"\\\1", s)
                if c.get("fieldMode") == 1:
                    s = "{" + s + "}"
                    no_escape = True  # and for every later name field of this item, too
                else:
                    s = re.sub(r" (and) ", r" {\1} ", s, flags=re.IGNORECASE)
                ctype = c.get("creatorType")
                group = ("author" if ctype in _AUTHOR_TYPES else
                         "bookauthor" if ctype == "bookAuthor" else
                         "commentator" if ctype == "commenter" else
                         "editor" if ctype == "editor" else
                         "translator" if ctype == "translator" else
                         "editorb" if ctype == "seriesEditor" else "editora")  # fmt: skip
                groups[group] += " and " + s
            for group, names in groups.items():
                if names:
                    w.field(group, names[5:], False, no_escape)
                    if group == "editora":
                        w.field("editoratype", "collaborator")
                    elif group == "editorb":
                        w.field("editorbtype", "redactor")
        if item.get("accessDate"):
            w.field("urldate", str_to_iso(item["accessDate"]) or "")
        if item.get("date"):
            w.field("date", str_to_iso(item["date"]) or "")
        if item.get("language"):
            m = re.match(r"^([a-z]{2,3})(?:[^a-z](.+))?$", item["language"], re.IGNORECASE)
            lang = BABEL.get(m.group(1)) if m else None
            if isinstance(lang, str):
                w.field("langid", lang)
            elif isinstance(lang, dict):
                variant = lang.get(m.group(2) or "") if m else None
                w.field("langid", variant or lang[""])
        if extra is not None:
            i = 0
            while i < len(extra):
                rec = extra[i]
                field = rec.get("field")
                if not field or (field not in REV_EXTRA_IDS and field not in REV_EPRINT_IDS):
                    i += 1
                    continue
                value = trim(rec.get("value", ""))
                if not value:
                    i += 1
                    continue
                if field in REV_EXTRA_IDS:
                    w.field(REV_EXTRA_IDS[field], "{" + value + "}", True)
                else:
                    w.field("eprinttype", REV_EPRINT_IDS[field])
                    w.field("eprint", "{" + value + "}", True)
                extra.pop(i)
            text = extra_fields_to_string(extra)
            if text and not note_used:
                w.field("note", text)
        if item.get("tags"):
            w.field("keywords", ", ".join(t["tag"] for t in item["tags"]))
        if export_notes:
            for note in item.get("notes") or []:
                w.field("annotation", unescape_html(note["note"]))
        w.write(",\n}")
    w.write("\n")
    return "".join(w.parts)
