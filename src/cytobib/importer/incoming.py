"""What the readers produce: one :class:`Incoming` work per entry or record of the file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cytobib import merge

FORMATS = ("bibtex", "ris")

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# cytobib's own retraction line, as its exports write it at the head of a note: the
# retraction check owns that flag, so an import drops the line.
STATUS_LINE = re.compile(
    r"^(?:RETRACTED|EXPRESSION OF CONCERN|CORRECTED)\."
    r"(?: Notice:(?: doi:\S+?)?(?:;? ?\d{4}-\d{2}-\d{2})?(?:;? ?source: [^.]*)?)?"
    r"(?:\.\s+|\.?$)"
)


@dataclass(frozen=True)
class Incoming:
    """One work from the import file: BibTeX fields apart from its notes and tags."""

    key: str
    type: str
    fields: Mapping[str, str]
    notes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    html: bool = False  # RIS notes are HTML
    where: str = ""  # "file:line" or "file, record N", for messages

    @property
    def doi(self) -> str:
        return norm_doi(self.fields.get("doi", ""))


def norm_doi(value: str) -> str:
    """The comparison form of a DOI field: LaTeX escapes undone, no resolver, lower case."""
    return merge.normalise("doi", value) if value.strip() else ""
