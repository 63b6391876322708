"""library.bib in and out without losing a byte the user wrote; the only package that
imports bibtexparser.

* :mod:`~cytobib.bibfile.scan`: block splitters (a fast one for well-formed files,
  bibtexparser's for the rest) and field spans inside an entry's raw text;
* :mod:`~cytobib.bibfile.read`: decode the bytes, parse, resolve ``@string`` macros, load;
* :mod:`~cytobib.bibfile.rows`: a parse as plain rows (what the parse cache keeps);
* :mod:`~cytobib.bibfile.door`: the one door every value written passes;
* :mod:`~cytobib.bibfile.write`: minimal edits spliced into the original text;
* :mod:`~cytobib.bibfile.update`: the one way commands change library.bib (locked, re-applied);
* :mod:`~cytobib.bibfile.atomic`: atomic file replacement;
* :mod:`~cytobib.bibfile.names`: BibTeX name lists by bibtexparser's rules.
"""

from __future__ import annotations

from cytobib.bibfile.atomic import atomic_write_bytes, create_exclusive
from cytobib.bibfile.read import (
    DEFAULT_MAX_BYTES,
    MERGEABLE_FIELDS,
    Around,
    BibText,
    ParsedBib,
    ParseStep,
    decode_bytes,
    load,
    parse,
    read_bytes,
    read_text,
    resolve_value,
)
from cytobib.bibfile.scan import (
    STANDARD_MONTHS,
    EntryLayout,
    FieldSpan,
    scan_fields,
    split_blocks,
)
from cytobib.bibfile.update import (
    Edits,
    FieldEdit,
    NewEntry,
    Skipped,
    Written,
    changes_for,
    update,
)
from cytobib.bibfile.write import (
    Change,
    apply_changes,
    edit_fields,
    format_value,
    render_entry,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MERGEABLE_FIELDS",
    "STANDARD_MONTHS",
    "Around",
    "BibText",
    "Change",
    "Edits",
    "EntryLayout",
    "FieldEdit",
    "FieldSpan",
    "NewEntry",
    "ParseStep",
    "ParsedBib",
    "Skipped",
    "Written",
    "apply_changes",
    "atomic_write_bytes",
    "changes_for",
    "create_exclusive",
    "decode_bytes",
    "edit_fields",
    "format_value",
    "load",
    "parse",
    "read_bytes",
    "read_text",
    "render_entry",
    "resolve_value",
    "scan_fields",
    "split_blocks",
    "update",
]
