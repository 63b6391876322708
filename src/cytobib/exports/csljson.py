"""CSL-JSON export: valid against the official schema (citation-style-language/schema
``schemas/input/csl-data.json``), for pandoc, citeproc and Zotero.

The item itself comes from :func:`cytobib.csl.to_csl` (decoded text, split names, ``issued``
date-parts, DOI, PMID). This module adds what an export carries besides: the notes in ``note``
(Zotero's Extra, and the text annotated-bibliography styles print; Zotero drops every other
place), the tags in ``keyword`` (comma-separated; pandoc and citeproc ignore it, Zotero does
not import it), the citation key as ``citation-key``, and for a retracted work
``status: "retracted"`` (CSL's own example value for ``status``) beside the note line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cytobib.csl import to_csl
from cytobib.exports import (
    ExportOptions,
    NotesLevel,
    note_sections,
    plain_notes,
    record_tags,
)
from cytobib.exports.bibtex import verbatim
from cytobib.model import Record


def item(record: Record, options: ExportOptions) -> dict[str, Any]:
    """One CSL-JSON item with notes, tags and the update status."""
    sections = note_sections(record, options.notes)
    note = plain_notes(sections, labelled=options.notes is NotesLevel.FULL)
    out = to_csl(record, note=note or None)
    out["citation-key"] = record.key
    # DOI and URL as written (case kept, LaTeX escapes such as \_ undone, a ~ not read as a
    # LaTeX tie), not the decoded text.
    doi = verbatim(record.entry.get("doi"), doi=True, encode=False)
    if doi:
        out["DOI"] = doi
    url = verbatim(record.entry.get("url"), encode=False)
    if url:
        out["URL"] = url
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
    description = "CSL-JSON for pandoc and citeproc; the summary in note (Zotero's Extra)."

    def render(self, records: Sequence[Record], options: ExportOptions) -> str:
        items = [item(r, options) for r in records]
        return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
