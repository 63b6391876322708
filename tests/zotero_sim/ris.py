"""zotero/translators ``RIS.js``: RIS import and export.

Ported: ``RISReader`` (continuation lines and the 65/85-character newline rule), ``TagMapper``
over ``fieldMap`` + ``degenerateImportFieldMap`` (deprecated tags processed in a second pass),
``processTag``/``applyValue``/``completeItem`` (notes, tags, dates, pages, backups), the
ProCite note remapping that also runs on ordinary files, the EndNote ``EDBOOK`` fix, and
``doExport``. Left out: attachments (translation-server drops them), Citavi ``H1``/``H2``.
"""

from __future__ import annotations

import re
from typing import Any

from . import _schema
from ._dates import lpad, str_to_date
from ._html import unescape_html
from ._items import Item, KeyGenerator, clean_doi, new_item, to_api_json
from ._js import WS, trim

_CREATOR_A1 = {
    "__default": "creators/author", "creators/artist": ["artwork"],
    "creators/cartographer": ["map"], "creators/composer": ["audioRecording"],
    "creators/director": ["film", "radioBroadcast", "tvBroadcast", "videoRecording"],
    "creators/interviewee": ["interview"], "creators/inventor": ["patent"],
    "creators/podcaster": ["podcast"], "creators/programmer": ["computerProgram"],
}  # fmt: skip
_TI = {"__default": "title", "subject": ["email"], "caseName": ["case"],
       "nameOfAct": ["statute"]}  # fmt: skip
_DA = {"__default": "date", "dateEnacted": ["statute"], "dateDecided": ["case"],
       "issueDate": ["patent"]}  # fmt: skip

FIELD_MAP: dict[str, Any] = {
    "AB": "abstractNote", "AN": "archiveLocation", "CN": "callNumber", "DB": "archive",
    "DO": "DOI", "DP": "libraryCatalog", "J2": "journalAbbreviation", "KW": "tags",
    "L1": "attachments/PDF", "L2": "attachments/HTML", "L4": "attachments/other", "N1": "notes",
    "ST": "shortTitle", "UR": "url", "Y2": "accessDate",
    "TI": _TI,
    "T2": {"code": ["bill", "statute"], "bookTitle": ["bookSection"], "blogTitle": ["blogPost"],
           "conferenceName": ["conferencePaper"], "dictionaryTitle": ["dictionaryEntry"],
           "encyclopediaTitle": ["encyclopediaArticle"], "committee": ["hearing"],
           "forumTitle": ["forumPost"], "websiteTitle": ["webpage"],
           "programTitle": ["radioBroadcast", "tvBroadcast"], "meetingName": ["presentation"],
           "seriesTitle": ["computerProgram", "map", "report"], "series": ["book"],
           "publicationTitle": ["journalArticle", "magazineArticle", "newspaperArticle"]},
    "T3": {"legislativeBody": ["hearing", "bill"],
           "series": ["bookSection", "conferencePaper", "journalArticle"],
           "seriesTitle": ["audioRecording"]},
    "AU": _CREATOR_A1, "A1": _CREATOR_A1,
    "A2": {"creators/sponsor": ["bill"], "creators/performer": ["audioRecording"],
           "creators/presenter": ["presentation"], "creators/interviewer": ["interview"],
           "creators/editor": ["journalArticle", "bookSection", "conferencePaper",
                               "dictionaryEntry", "document", "encyclopediaArticle"],
           "creators/seriesEditor": ["book", "report"],
           "creators/recipient": ["email", "instantMessage", "letter"], "reporter": ["case"],
           "issuingAuthority": ["patent"]},
    "A3": {"creators/contributor": ["thesis"], "creators/cosponsor": ["bill"],
           "creators/producer": ["film", "tvBroadcast", "videoRecording", "radioBroadcast"],
           "creators/editor": ["book"],
           "creators/seriesEditor": ["bookSection", "conferencePaper", "dictionaryEntry",
                                     "encyclopediaArticle", "map"]},
    "A4": {"__default": "creators/translator", "creators/counsel": ["case"],
           "creators/contributor": ["conferencePaper", "film", "dataset"]},
    "C1": {"filingDate": ["patent"], "creators/castMember": ["radioBroadcast", "tvBroadcast",
                                                             "videoRecording"],
           "scale": ["map"], "place": ["conferencePaper"]},
    "C2": {"issueDate": ["patent"], "creators/bookAuthor": ["bookSection"],
           "creators/commenter": ["blogPost"]},
    "C3": {"artworkSize": ["artwork"], "proceedingsTitle": ["conferencePaper"],
           "country": ["patent"]},
    "C4": {"creators/wordsBy": ["audioRecording"], "creators/attorneyAgent": ["patent"],
           "genre": ["film"]},
    "C5": {"references": ["patent"], "audioRecordingFormat": ["audioRecording", "radioBroadcast"],
           "videoRecordingFormat": ["film", "tvBroadcast", "videoRecording"]},
    "C6": {"legalStatus": ["patent"]},
    "CY": {"__default": "place", "repositoryLocation": ["dataset"],
           "__exclude": ["conferencePaper"]},
    "DA": _DA,
    "ET": {"__default": "edition", "session": ["bill", "hearing", "statute"],
           "versionNumber": ["computerProgram", "dataset"]},
    "IS": {"__default": "issue", "numberOfVolumes": ["bookSection"], "__exclude": ["dataset"]},
    "LA": {"__default": "language", "programmingLanguage": ["computerProgram"]},
    "M1": {"seriesNumber": ["book"], "billNumber": ["bill"], "system": ["computerProgram"],
           "documentNumber": ["hearing"], "applicationNumber": ["patent"],
           "publicLawNumber": ["statute"],
           "episodeNumber": ["podcast", "radioBroadcast", "tvBroadcast"]},
    "M3": {"manuscriptType": ["manuscript"], "mapType": ["map"], "reportType": ["report"],
           "thesisType": ["thesis"], "websiteType": ["blogPost", "webpage"],
           "postType": ["forumPost"], "letterType": ["letter"],
           "interviewMedium": ["interview"], "presentationType": ["presentation"],
           "artworkMedium": ["artwork"], "audioFileType": ["podcast"]},
    "NV": {"__default": "numberOfVolumes", "identifier": ["dataset"],
           "__exclude": ["bookSection"]},
    "OP": {"history": ["hearing", "statute", "bill", "case"], "priorityNumbers": ["patent"]},
    "PB": {"__default": "publisher", "label": ["audioRecording"], "court": ["case"],
           "distributor": ["film"], "assignee": ["patent"], "institution": ["report"],
           "repository": ["dataset"], "university": ["thesis"], "company": ["computerProgram"],
           "studio": ["videoRecording"], "network": ["radioBroadcast", "tvBroadcast"]},
    "PY": _DA,
    "SE": {"__default": "section", "__exclude": ["case"]},
    "SN": {"__default": "ISBN", "ISSN": ["journalArticle", "magazineArticle",
                                         "newspaperArticle"],
           "patentNumber": ["patent"], "reportNumber": ["report"]},
    "SP": {"__default": "pages", "codePages": ["bill"],
           "numPages": ["book", "thesis", "manuscript"], "firstPage": ["case"],
           "runningTime": ["film"]},
    "SV": {"seriesNumber": ["bookSection"], "docketNumber": ["case"]},
    "VL": {"__default": "volume", "codeNumber": ["statute"], "codeVolume": ["bill"],
           "reporterVolume": ["case"], "__exclude": ["patent", "webpage"]},
}  # fmt: skip

DEGENERATE_IMPORT_MAP: dict[str, Any] = {
    "AD": {"__default": "unsupported/Author Address", "unsupported/Inventor Address": ["patent"]},
    "AV": "archiveLocation",
    "BT": {"title": ["book", "manuscript"], "bookTitle": ["bookSection"],
           "__default": "backupPublicationTitle"},
    "CA": "unsupported/Caption", "CR": "rights", "CT": "title", "CY": "place",
    "ED": "creators/editor", "EP": "pages", "H1": "unsupported/Library Catalog",
    "H2": "unsupported/Call Number", "ID": "__ignore", "IS": {"versionNumber": ["dataset"]},
    "JA": "journalAbbreviation", "JF": "publicationTitle",
    "JO": {"__default": "journalAbbreviation", "conferenceName": ["conferencePaper"]},
    "LB": "unsupported/Label",
    "M1": {"__default": "extra", "issue": ["journalArticle"],
           "numberOfVolumes": ["bookSection"], "accessDate": ["webpage"]},
    "M2": "extra", "M3": "DOI", "N2": "abstractNote", "NV": "numberOfVolumes",
    "OP": {"__default": "unsupported/Original Publication",
           "unsupported/Content": ["blogPost", "computerProgram", "film", "presentation",
                                   "report", "videoRecording", "webpage"]},
    "RI": {"__default": "unsupported/Reviewed Item", "unsupported/Article Number": ["statute"]},
    "RN": "notes", "SE": {"unsupported/File Date": ["case"]}, "T1": _TI,
    "T2": "backupPublicationTitle", "T3": {"series": ["book"]},
    "TA": "unsupported/Translated Author", "TT": "unsupported/Translated Title",
    "VL": {"unsupported/Patent Version Number": ["patent"], "accessDate": ["webpage"]},
    "Y1": _DA,
}  # fmt: skip

EXPORT_TYPES = {
    "artwork": "ART", "audioRecording": "SOUND", "bill": "BILL", "blogPost": "BLOG",
    "book": "BOOK", "bookSection": "CHAP", "case": "CASE", "computerProgram": "COMP",
    "conferencePaper": "CONF", "dictionaryEntry": "DICT", "encyclopediaArticle": "ENCYC",
    "email": "ICOMM", "dataset": "DATA", "film": "MPCT", "hearing": "HEAR",
    "journalArticle": "JOUR", "letter": "PCOMM", "magazineArticle": "MGZN",
    "manuscript": "MANSCPT", "map": "MAP", "newspaperArticle": "NEWS", "patent": "PAT",
    "presentation": "SLIDE", "report": "RPRT", "statute": "STAT", "thesis": "THES",
    "videoRecording": "VIDEO", "webpage": "ELEC",
}  # fmt: skip
IMPORT_TYPES = {
    "ABST": "journalArticle", "ADVS": "film", "AGGR": "document", "ANCIENT": "document",
    "CHART": "artwork", "CLSWK": "book", "CPAPER": "conferencePaper",
    "CTLG": "magazineArticle", "DBASE": "dataset", "EBOOK": "book", "ECHAP": "bookSection",
    "EDBOOK": "book", "EJOUR": "journalArticle", "EQUA": "document", "FIGURE": "artwork",
    "GEN": "journalArticle", "GOVDOC": "report", "GRNT": "document", "INPR": "manuscript",
    "JFULL": "journalArticle", "LEGAL": "case", "MULTI": "videoRecording",
    "MUSIC": "audioRecording", "PAMP": "manuscript", "SER": "book", "STAND": "report",
    "UNBILL": "manuscript", "UNPD": "manuscript", "WEB": "webpage",
    **{v: k for k, v in EXPORT_TYPES.items()},
}  # fmt: skip
EXPORT_TYPES.update({"interview": "PCOMM", "instantMessage": "ICOMM", "forumPost": "ICOMM",
                     "tvBroadcast": "MPCT", "radioBroadcast": "SOUND", "podcast": "SOUND",
                     "document": "GEN"})  # fmt: skip
EXPORT_ORDER = ["TI", "AU", "T2", "A2", "T3", "A3", "A4", "AB", "C1", "C2", "C3", "C4", "C5",
                "C6", "CN", "CY", "DA", "PY", "DO", "DP", "ET", "VL", "IS", "SP", "J2", "LA",
                "M1", "M3", "NV", "OP", "PB", "SE", "SN", "ST", "SV", "UR", "AN", "DB", "Y2",
                "L1", "L2", "L4", "N1", "KW"]  # fmt: skip


class TagMapper:
    """``TagMapper``: RIS tag -> Zotero field for an item type, over maps in priority order."""

    def __init__(self, maps: list[dict[str, Any]], deprecated: dict[str, Any] | None = None):
        self.maps = maps
        self.deprecated = deprecated or {}

    def is_deprecated(self, tag: str) -> bool:
        return tag in self.deprecated

    def get_field(self, item_type: str, tag: str) -> str | None:
        for m in self.maps:
            spec = m.get(tag)
            field = None
            if isinstance(spec, dict):
                default = None
                exclude = False
                for f, types in spec.items():
                    if f == "__default":
                        default = types
                    elif f == "__exclude":
                        exclude = exclude or item_type in types
                    elif item_type in types:
                        field = f
                        break
                if not field and default and not exclude:
                    field = default
            elif isinstance(spec, str):
                field = spec
            if field:
                return field
        return None

    def reverse_lookup(self, item_type: str, zfield: str) -> str | None:
        for m in self.maps:
            for tag, spec in m.items():
                if spec == zfield:
                    return tag
                if isinstance(spec, dict):
                    if item_type in spec.get(zfield, []):
                        return tag
                    excluded = item_type in spec.get("__exclude", [])
                    if not excluded and spec.get("__default") == zfield:
                        others = [f for f, t in spec.items() if isinstance(t, list)
                                  and not f.startswith("__") and item_type in t]  # fmt: skip
                        if not others:
                            return tag
        return None


# --- import ------------------------------------------------------------------------------------


def _js_len(s: str) -> int:
    """``String.length``: UTF-16 code units."""
    return len(s.encode("utf-16-le")) // 2


_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*))?$")
_PRESERVE_NEWLINES = ("KW", "L1", "L2", "L3")


def read_entries(text: str) -> list[list[dict[str, str]]]:
    """``RISReader``: the file as entries of ``{tag, value, raw}`` pairs, in order."""
    text = text.removeprefix("\ufeff")
    lines = re.split(r"\r\n|\n|\r", text)
    lines = [re.sub(r"\s?[\u2028\u2029]|[\u2028\u2029]\s?", " ", ln) for ln in lines]
    max_len = 0
    pairs: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    last_len = 0
    for line in lines:
        m = _RIS_LINE.match(line)
        if not m and current is None:
            continue  # outside a record
        max_len = max(max_len, _js_len(line))
        if m:
            if current is not None:
                pairs.append(current)
            current = {"tag": m.group(1), "value": m.group(2) or "", "raw": line}
        else:
            assert current is not None
            clean = trim(line)
            newline = False
            if current["tag"] in ("AB", "N1", "N2", "RN") and (
                max_len > 85 or last_len < 65 or len(clean) == 0
            ):
                clean = "\n" + clean
                newline = True
            if not newline and current["tag"] in _PRESERVE_NEWLINES:
                clean = "\n" + clean
                newline = True
            if not newline and current["value"][-1:] != " ":
                clean = " " + clean
            current["raw"] += "\n" + line
            current["value"] += clean
        last_len = _js_len(line)
    if current is not None:
        pairs.append(current)
    entries: list[list[dict[str, str]]] = []
    entry: list[dict[str, str]] = []
    for pair in pairs:
        if pair["tag"] == "TY" and entry:
            entries.append(entry)  # "ER was omitted, but we'll forgive"
            entry = []
        if pair["tag"] == "ER":
            if entry:
                entries.append(entry)
                entry = []
            continue
        entry.append(pair)
    if entry:
        entries.append(entry)
    return entries


_PROCITE_SPLIT = re.compile(r"([A-Za-z,\s]+)\s*:\s*([\s\S]*)")
_PROCITE_MAP = {
    "Call Number": "callNumber", "Edition": "edition", "ISBN": "ISBN", "Language": "language",
    "Publisher Name": "publisher", "Series Title": "series",
    "Proceedings Title": "proceedingsTitle", "Page(s)": "pages", "Volume ID": "volume",
    "Issue ID": "issue", "Issue Identification": "issue", "Series Volume ID": "seriesNumber",
    "Scale": "scale", "Place of Publication": "place", "Histroy": "history",
    "Size": "artworkSize",
}  # fmt: skip


class _ProCite:
    """``ProCiteCleaner``: N1 notes shaped ``Label: value`` are remapped even in plain files."""

    def __init__(self, mapper: TagMapper) -> None:
        self.mode = False  # a singleton in the translator: once set, set for the whole file
        self.mapper = mapper

    def clean(self, entry: list[dict[str, str]], item_type: str) -> None:
        i = 0
        while i < len(entry):
            pair = entry[i]
            m = _PROCITE_SPLIT.search(trim(pair["value"])) if pair["tag"] == "N1" else None
            if not m:
                i += 1
                continue
            label = m.group(1)
            if label in ("Record ID", "Record Number"):
                pair["tag"], pair["value"] = "ID", m.group(2)
                self.mode = True
            elif label == "Notes":
                pair["value"] = m.group(2)
            elif label == "Connective Phrase" and trim(m.group(2)).lower() == "in":
                del entry[i]
                self.mode = True
                continue
            elif label in _PROCITE_MAP:
                tag = self.mapper.reverse_lookup(item_type, _PROCITE_MAP[label])
                if tag:
                    pair["tag"], pair["value"] = tag, m.group(2)
                    self.mode = True
            i += 1
        if not self.mode:
            return
        ty = next((p["value"] for p in entry if p["tag"] == "TY"), None)
        if ty == "CHAP":
            wanted = ["T3", "T2", "TI"]
            for p in entry:
                if not wanted:
                    break
                if p["tag"] in ("TI", "T1", "T2", "T3"):
                    p["tag"] = wanted.pop()
        vl = [p for p in entry if p["tag"] == "VL"]
        if ty == "BOOK":
            for p in entry:
                if p["tag"] == "IS":
                    p["tag"] = "VL"
        if ty in ("CHAP", "BOOK") and len(vl) > 1:
            vl[0]["tag"] = "ET"


def date_ris_to_zotero(ris_date: str, zfield: str) -> str:
    """``dateRIStoZotero``: ``YYYY/MM/DD/other`` -> ``YYYY-MM-DD`` (accessDate: SQL form)."""
    m = re.match(r"^(\d+)(?:/(\d{0,2})(?:/(\d{0,2})(?:(?:/|\s)([^/]*))?)?)?$", ris_date)
    date: list[str | None]
    if m:
        date = [m.group(1), m.group(2), m.group(3)]
    else:
        y = re.search(r"\b\d{4}\b", ris_date)
        d = re.search(r"\b(?:[1-3]\d|[1-9])\b", ris_date)
        word = re.search(r"[A-Za-z]+", ris_date)
        if not y and word:
            return "0000 " + word.group(0) + (" " + d.group(0) if d else "")
        if zfield != "accessDate":
            return ris_date
        parsed = str_to_date(ris_date)
        if not parsed.get("year"):
            return ris_date
        date = [parsed["year"], str(parsed.get("month", 0) + 1), str(parsed.get("day", ""))]
    parts: list[str] = []
    for part in date:
        digits = re.sub(r"^0+", "", part) if part is not None else ""
        if not digits:
            break
        parts.append(digits)
    if zfield == "accessDate":
        if not parts:
            return ris_date
        year = parts[0]
        month = int(parts[1]) if len(parts) > 1 else 1
        day = int(parts[2]) if len(parts) > 2 else 1
        return lpad(year, "0", 4) + "-" + lpad(month, "0", 2) + "-" + lpad(day, "0", 2)
    if not parts:
        return ""
    out = parts[0].rjust(4, "0")
    if len(parts) > 1:
        out += "-" + parts[1].rjust(2, "0")
        if len(parts) > 2:
            out += "-" + parts[2].rjust(2, "0")
    return out


def _apply_value(item: Item, zfield: str, value: Any) -> None:
    """``applyValue`` (unknown and unsupported values are ignored: ignoreUnknown is true)."""
    if not value or zfield in ("unknown", "unsupported"):
        return
    if zfield in ("notes", "attachments", "creators", "tags"):
        item[zfield] = item[zfield] + (value if isinstance(value, list) else [value])
    elif zfield == "extra":
        item["extra"] = item["extra"] + "\n" + value if item.get("extra") else value
    elif zfield == "DOI":
        doi = clean_doi(value)
        if not _schema.is_valid("DOI", item["itemType"]) and doi:
            if item.get("extra"):
                if not re.match(r"^DOI:", item["extra"]):
                    item["extra"] += "\nDOI: " + doi
            else:
                item["extra"] = "DOI: " + doi
        else:
            item["DOI"] = doi
    elif not item.get(zfield):
        item[zfield] = value


def _process_tag(item: Item, pair: dict[str, str], mapper: TagMapper, deprecated_ok: bool) -> bool:
    """``processTag``: one tag-value pair onto the item; False to retry it in the second pass."""
    tag = pair["tag"]
    value: Any = trim(pair["value"])
    if value == "":
        return False
    if not deprecated_ok and mapper.is_deprecated(tag):
        return False
    zfield = (mapper.get_field(item["itemType"], tag) or "unknown").split("/")
    if tag not in ("N1", "RN", "AB"):
        value = unescape_html(value)
    process = True
    if tag in ("N1", "RN"):
        if item.get("title") == value:  # "EndNote duplicates title in the note field"
            value = None
            process = False
        elif not re.search(r"<[^>]+>", value):
            value = ("<p>" + value.replace("\n\n", "</p><p>").replace("\n", "<br/>")
                     .replace("\t", "&nbsp;&nbsp;&nbsp;&nbsp;").replace("  ", "&nbsp;&nbsp;")
                     + "</p>")  # fmt: skip
    elif tag == "EP":
        if item.get("pages"):
            if "-" not in item["pages"]:
                item["pages"] = item["pages"] + "-" + value
            else:
                item["backupNumPages"] = value
        else:
            item["backupEndPage"] = value
        value = None
    elif tag == "M1" and zfield[0] == "accessDate":
        item["backupAccessDate"] = {"field": "accessDate",
                                    "value": date_ris_to_zotero(value, "accessDate")}  # fmt: skip
        value = None
        process = False
    elif tag == "M3" and zfield[0] == "DOI":
        doi = clean_doi(value)
        if doi:
            value = doi
        else:
            zfield[0] = "unknown"
    elif tag == "VL" and zfield[0] == "accessDate":
        if not item.get("backupAccessDate"):
            backup = date_ris_to_zotero(value, "accessDate")
            item["backupAccessDate"] = {"field": "accessDate", "value": backup}
        value = None
        process = False
    elif tag == "PY":
        item["backupDate"] = {"field": zfield[0], "value": date_ris_to_zotero(value, zfield[0])}
        value = None
        process = False
    elif tag == "UR" and "PM:" in value:
        value = "PMID: " + value[3:]
        zfield = ["extra"]
    if process:
        kind = zfield[0]
        if kind == "__ignore":
            value = None
        elif kind == "backupPublicationTitle":
            item["backupPublicationTitle"] = value
            value = None
        elif kind == "creators":
            last = re.split(r"\s*,\s*", value)[0]
            first = re.sub(r"^\s*,\s*", "", value[len(last) :])
            creator: dict[str, Any] = {"lastName": last, "firstName": first,
                                       "creatorType": zfield[1]}  # fmt: skip
            if not creator["firstName"]:
                del creator["firstName"]
                creator["fieldMode"] = 1
            value = creator
        elif kind in ("date", "accessDate", "filingDate", "issueDate", "dateEnacted",
                      "dateDecided"):  # fmt: skip
            value = date_ris_to_zotero(value, kind)
        elif kind == "tags":
            tags = re.split(r"\s*(?:[\r\n]+\s*)+(?:%K\s+)?|\s*(?:;\s*)+", value)
            if tags and not tags[0]:
                tags.pop(0)
            if tags and not tags[-1]:
                tags.pop()
            value = tags or None
        elif kind == "notes":
            value = {"note": value if len(zfield) < 2 else zfield[1] + ": " + value}
        elif kind == "attachments":
            value = None  # translation-server saves no attachments
        elif kind == "unsupported" and len(zfield) > 1:
            value = zfield[1] + ": " + value
    _apply_value(item, zfield[0], value)
    return True


def _complete_item(item: Item) -> Item:
    """``completeItem``: resolve the backups, clean the DOI, split a lone tag on commas."""
    if item.get("backupPublicationTitle"):
        if not item.get("publicationTitle"):
            item["publicationTitle"] = item["backupPublicationTitle"]
        del item["backupPublicationTitle"]
    if item.get("backupNumPages"):
        item.setdefault("numPages", item["backupNumPages"])
        del item["backupNumPages"]
    if item.get("backupEndPage"):
        if not item.get("pages"):
            item["pages"] = item["backupEndPage"]
        elif "-" not in item["pages"]:
            item["pages"] += "-" + item["backupEndPage"]
        elif not item.get("numPages"):
            item["numPages"] = item["backupEndPage"]
        del item["backupEndPage"]
    if item.get("backupDate"):
        backup = item.pop("backupDate")
        if not item.get(backup["field"]):
            item[backup["field"]] = backup["value"]
        else:
            item[backup["field"]] = re.sub(r"\b0000\b", backup["value"], item[backup["field"]],
                                           count=1)  # fmt: skip
    if item.get("backupAccessDate"):
        backup = item.pop("backupAccessDate")
        if not item.get(backup["field"]):
            item[backup["field"]] = backup["value"]
    if item.get("DOI"):
        item["DOI"] = clean_doi(item["DOI"]) or item["DOI"]
    if item.get("journalAbbreviation") and not item.get("publicationTitle"):
        item["publicationTitle"] = item["journalAbbreviation"]
    if item.get("shortTitle") and not item.get("title"):
        item["title"] = item["shortTitle"]
    if len(item["tags"]) == 1:  # "if we only have one tag, try splitting it by comma"
        tags = re.split(r"\s*(?:,\s*)+", item["tags"][0])
        if tags and not tags[0]:
            tags.pop(0)
        if tags and not tags[-1]:
            tags.pop()
        item["tags"] = tags
    return item


def import_ris(text: str, new_key: KeyGenerator) -> list[Item]:
    """``doImport``: a RIS file -> Zotero API JSON items (notes as children)."""
    mapper = TagMapper([FIELD_MAP, DEGENERATE_IMPORT_MAP], DEGENERATE_IMPORT_MAP)
    procite = _ProCite(mapper)
    out: list[Item] = []
    for entry in read_entries(text):
        ty = next((p["value"] for p in entry if p["tag"] == "TY"), None)
        item_type = IMPORT_TYPES.get(trim(ty).upper()) if ty is not None else None
        item = new_item(item_type or "journalArticle")
        procite.clean(entry, item["itemType"])
        if ty is not None and trim(ty) == "EDBOOK":  # EndNoteCleaner: authors of edited books
            for p in entry:
                if p["tag"] == "AU":
                    p["tag"] = "A3"
        deferred = []
        for pair in entry:
            if pair["tag"] in ("TY", "ER"):
                continue
            if not _process_tag(item, pair, mapper, False):
                deferred.append(pair)
        for pair in deferred:
            _process_tag(item, pair, mapper, True)
        out.extend(to_api_json(_complete_item(item), new_key))
    return out


# --- export ------------------------------------------------------------------------------------


def export_ris(items: list[Item], *, export_notes: bool = True) -> str:
    """``doExport``: export items -> RIS (CRLF line ends, one ``N1`` per child note)."""
    mapper = TagMapper([FIELD_MAP])
    out: list[str] = []

    def add(tag: str, value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        for v in values:
            if v is None:
                return
            text = trim(str(v))
            if text:
                out.append(tag + "  - " + text + "\r\n")

    for item in items:
        if item["itemType"] in ("note", "attachment"):
            continue
        add("TY", EXPORT_TYPES.get(item["itemType"], "GEN"))
        for order_tag in EXPORT_ORDER:
            tag = order_tag
            field = mapper.get_field(item["itemType"], tag)
            if not field:
                continue
            parts = field.split("/")
            value: Any = None
            if parts[0] == "creators":
                value = [", ".join([c.get("lastName", "")] + ([c["firstName"]]
                                                              if c.get("firstName") else []))
                         for c in item.get("creators") or []
                         if c.get("creatorType") == parts[1]] or None  # fmt: skip
            elif parts[0] == "notes":
                if export_notes and item.get("notes"):
                    value = [re.sub(r"\r\n?|\n", "\r\n", n["note"]) for n in item["notes"]]
            elif parts[0] == "tags":
                value = [t["tag"] for t in item.get("tags") or []]
            elif parts[0] == "attachments":
                value = []
            elif parts[0] == "pages":
                if tag == "SP" and item.get("pages"):
                    m = re.match(r"(.+?)[\u002D\u00AD\u2010-\u2015\u2212\u2E3A\u2E3B" + WS[1:-1]
                                 + r"]+(.+)", trim(item["pages"]))  # fmt: skip
                    if m:
                        add(tag, m.group(1))
                        tag = "EP"
                        value = m.group(2)
                    else:
                        value = item["pages"]
            else:
                value = item.get(parts[0])
            if tag == "PY":
                date = str_to_date(item.get(parts[0]) or "")
                value = ("000" + date["year"])[-4:] if date.get("year") else item.get(parts[0])
            elif tag in ("Y2", "DA"):
                date = str_to_date(item.get(parts[0]) or "")
                if date.get("year"):
                    month = date.get("month")
                    value = ("000" + date["year"])[-4:] + "/" + (
                        ("0" + str(month + 1))[-2:] if isinstance(month, int) else ""
                    ) + "/" + (("0" + str(date["day"]))[-2:] if date.get("day") else "") + "/" + (
                        date.get("part") or ""
                    )  # fmt: skip
                else:
                    value = item.get(parts[0])
            add(tag, value)
        out.append("ER  - \r\n\r\n")
    return "".join(out)
