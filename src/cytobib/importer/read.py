"""Reading an import file: which format it is, then its works and the problems found."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

from cytobib import bibfile
from cytobib.errors import InputError, UnknownFormatError
from cytobib.importer.bibtex import read_bibtex
from cytobib.importer.incoming import FORMATS, Incoming
from cytobib.importer.ris import read_ris
from cytobib.model import Issue, Location, Severity


def detect_format(path: Path, text: str) -> str:
    """'ris' or 'bibtex', from the suffix, else from the first meaningful line.

    Raises:
        UnknownFormatError: neither a RIS ``TY  -`` line nor a BibTeX ``@type{`` is found.
    """
    suffix = path.suffix.lower()
    if suffix == ".ris":
        return "ris"
    if suffix in (".bib", ".bibtex", ".biblatex"):
        return "bibtex"
    for line in text.splitlines()[:50]:
        stripped = line.strip().lstrip("\ufeff")
        if re.match(r"^TY {1,2}- ", stripped):
            return "ris"
        if re.match(r"^@\s*\w+\s*[{(]", stripped):
            return "bibtex"
    raise UnknownFormatError(
        f"Cannot tell whether {path} is BibTeX or RIS.",
        hint="Pass --from bibtex or --from ris.",
    )


def read_source(
    path: str | os.PathLike[str], fmt: str | None = None
) -> tuple[str, list[Incoming], list[Issue]]:
    """Read an import file into works; problems in it are returned as issues.

    Raises:
        InputError: the file cannot be read at all.
        UnknownFormatError: ``fmt`` is not bibtex or ris, or the format cannot be told.
    """
    p = Path(path)
    if fmt is not None and fmt.lower() not in FORMATS:
        raise UnknownFormatError(
            f"cytobib cannot import '{fmt}'.", hint=f"Use one of: {', '.join(FORMATS)}."
        )
    if not p.exists() or p.is_dir():
        what = "is a folder" if p.is_dir() else "does not exist"
        raise InputError(
            f"{path} {what}: there is nothing to import.",
            hint="Pass the BibTeX or RIS file you exported (from Zotero, PubMed...).",
        )
    source = bibfile.read_text(p)  # the same checks (size, encoding) as library.bib
    kind = (fmt or detect_format(p, source.text)).lower()
    if kind == "ris":
        works, issues = read_ris(source.text, source.path)
    else:
        works, issues = read_bibtex(source)
    issues = [_for_import(i) for i in [*source.issues, *issues]]
    if not works and not any(i.severity is Severity.ERROR for i in issues):
        issues.append(
            Issue(
                Severity.WARNING,
                "import-empty",
                f"{source.path} holds no entries.",
                location=Location(source.path),
            )
        )
    return kind, works, issues


_KEPT = "; it is skipped and kept in the file unchanged."


def _for_import(issue: Issue) -> Issue:
    """The reader's words are for library.bib ("kept in the file unchanged"); of an import
    file, a block it cannot read is simply not imported."""
    if issue.message.endswith(_KEPT):
        return replace(issue, message=issue.message.removesuffix(_KEPT) + "; it is not imported.")
    return issue
