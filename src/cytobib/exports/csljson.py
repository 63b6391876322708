"""CSL-JSON export: valid against the official schema (citation-style-language/schema
``schemas/input/csl-data.json``), for pandoc, citeproc and Zotero.

The item itself comes from :func:`cytobib.csl.to_csl` (decoded text, split names, ``issued``
date-parts, DOI, PMID). This module adds what an export carries besides, in the places Zotero's
CSL import keeps them: the citation key as ``id`` and ``citation-key``; ``title-short``,
``accessed``, ``language``, ``container-title-short``; a name particle inside ``family``
(``van der Peet``: Zotero reads only ``family`` and ``given``, and citeproc-js parses the
particle back out); the tags in ``keyword`` (pandoc and citeproc ignore it, Zotero drops it).
``note`` becomes Zotero's Extra: the retraction line, ``PMID:``/``PMCID:`` lines (kept there for
a chapter, which has no PMID field, and written back by Zotero's BibTeX export), then cytobib's
note on the work (:mod:`cytobib.zotero_note`: the annotation, the keywords, the entry's own
note), or at the ``summary`` level the summary. A retracted work also gets ``status:
"retracted"`` (CSL's own example value for ``status``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from cytobib import zotero_note
from cytobib.csl import journal_titles, to_csl
from cytobib.exports import (
    ExportOptions,
    record_status_line,
    record_tags,
    summary_note,
    work_note,
)
from cytobib.exports.bibtex import verbatim
from cytobib.model import Person, Record


def _person(p: Person) -> dict[str, str]:
    if p.corporate:
        return {"literal": p.family}
    out = {"family": p.last}  # "van der Peet": the particle stays with the name
    if p.given:
        out["given"] = p.given
    if p.jr:
        out["suffix"] = p.jr
    return out


def _date(value: str) -> dict[str, Any] | None:
    match = re.match(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value)
    if not match:
        return None
    return {"date-parts": [[int(part) for part in match.groups() if part]]}


def note_text(record: Record, options: ExportOptions) -> str:
    """What ``note`` holds: retraction line, identifier lines, then cytobib's note (or, at the
    ``summary`` level, the summary and the entry's own note)."""
    e = record.entry
    lines = [record_status_line(record)]
    if e.text("pmid").isdigit():
        lines.append(f"PMID: {e.text('pmid')}")
    if e.text("pmcid"):
        lines.append(f"PMCID: {e.text('pmcid')}")
    note = work_note(record, options.notes)
    if note:
        lines.append(zotero_note.to_lines(note))
    else:
        lines += [summary_note(record, options.notes), e.text("note")]
    return "\n".join(line for line in lines if line)


def item(record: Record, options: ExportOptions) -> dict[str, Any]:
    """One CSL-JSON item with notes, tags and the update status."""
    e = record.entry
    out = to_csl(record)
    out["citation-key"] = record.key
    authors = [_person(p) for p in e.authors if p.family != "others"]
    editors = [_person(p) for p in e.editors if p.family != "others"]
    for name, people in (("author", authors), ("editor", editors)):
        if people:
            out[name] = people
    # DOI and URL as written (case kept, LaTeX escapes such as \_ undone, a ~ not read as a
    # LaTeX tie), not the decoded text.
    doi = verbatim(e.get("doi"), doi=True, encode=False)
    if doi:
        out["DOI"] = doi
    url = verbatim(e.get("url"), encode=False)
    if url:
        out["URL"] = url
    if out.get("type") == "report" and "issue" in out:  # a report's number, not an issue
        out["number"] = out.pop("issue")
    short = journal_titles(e)[1]
    if short:  # Zotero's Journal Abbr, even where it equals the journal ("Cell")
        out["container-title-short"] = short
    if e.text("shorttitle"):
        out["title-short"] = e.text("shorttitle")
    accessed = _date(e.text("urldate"))
    if accessed:
        out["accessed"] = accessed
    note = note_text(record, options)
    if note:
        out["note"] = note
    else:
        out.pop("note", None)
    tags = record_tags(record, options.facets)
    if tags:
        out["keyword"] = ", ".join(tags)
    else:
        out.pop("keyword", None)
    status = record.update_status
    if status is not None and status.kind == "retracted":
        out["status"] = "retracted"
    return out


class CSLJSONExporter:
    """Records -> a CSL-JSON array (UTF-8, two-space indent, one item per record)."""

    name = "csl-json"
    aliases: tuple[str, ...] = ("csl", "csljson", "json")
    suffixes: tuple[str, ...] = (".json",)
    description = "CSL-JSON for pandoc and citeproc; cytobib's note in note (Zotero's Extra)."

    def render(self, records: Sequence[Record], options: ExportOptions) -> str:
        items = [item(r, options) for r in records]
        return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
