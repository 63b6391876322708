"""Library -> issues: everything `cytobib check` reports beyond what loading found.

Each check is a small function over records returning issues with a stable code; the codes
are listed (with severity and meaning) in ``CODES`` so that the docs and JSON consumers can
rely on them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Container, Iterator, Sequence

from cytobib import doi, latex
from cytobib.annotations import is_safe_key, key_problem, mixed_scripts
from cytobib.bibfile.door import is_balanced
from cytobib.model import Entry, Issue, Location, Record, Severity

CODES: dict[str, tuple[Severity, str]] = {
    "parse-error": (Severity.ERROR, "a block of library.bib cannot be parsed"),
    "missing-key": (Severity.ERROR, "an entry has no citation key"),
    "duplicate-key": (Severity.ERROR, "two entries share a citation key"),
    "duplicate-field": (Severity.ERROR, "a field appears twice in one entry"),
    "bad-braces": (Severity.ERROR, "a field's braces do not balance (bibtex reads it otherwise)"),
    "undefined-macro": (Severity.WARNING, "an @string macro is used but not defined"),
    "macro-too-long": (Severity.ERROR, "@string macros expand a value past 1 MB (left as is)"),
    "legacy-encoding": (Severity.WARNING, "library.bib is not UTF-8 (read as latin-1)"),
    "unsafe-key": (Severity.ERROR, "a key cannot name an annotation file ('/', '..', 'CON')"),
    "suspicious-key": (Severity.WARNING, "a key mixes alphabets (homoglyphs, e.g. Cyrillic 'а')"),
    "missing-field": (Severity.WARNING, "a field the entry type requires is missing"),
    "bad-doi": (Severity.ERROR, "a DOI is malformed"),
    "bad-issn": (Severity.WARNING, "an ISSN is malformed or fails its check digit"),
    "bad-year": (Severity.WARNING, "a year is not a plausible four-digit year"),
    "bad-pages": (Severity.WARNING, "a page range is malformed"),
    "duplicate-doi": (Severity.WARNING, "two entries have the same DOI"),
    "near-duplicate-title": (Severity.WARNING, "two entries have nearly the same title"),
    "retracted": (Severity.ERROR, "the work has been retracted (from Crossref)"),
    "expression-of-concern": (Severity.WARNING, "an expression of concern was issued"),
    "corrected": (Severity.INFO, "a correction was published for the work"),
    "missing-annotation": (Severity.INFO, "an entry has no annotation file"),
    "orphan-annotation": (Severity.WARNING, "an annotation file matches no entry"),
    "annotation-yaml": (Severity.ERROR, "an annotation file is not valid YAML"),
    "annotation-encoding": (Severity.ERROR, "an annotation file is not UTF-8"),
    "annotation-not-mapping": (Severity.ERROR, "an annotation file is not a mapping"),
    "annotation-schema": (Severity.ERROR, "an annotation violates the schema"),
    "annotation-unreadable": (Severity.ERROR, "an annotation file cannot be read"),
    "annotation-outside-project": (
        Severity.ERROR,
        "an annotation file links outside the annotations folder (not read)",
    ),
    "annotation-not-a-file": (Severity.ERROR, "annotations/ holds a FIFO, device or broken link"),
    "unknown-agent": (Severity.WARNING, "an agent is not in the vocabulary"),
    "unknown-cancer": (Severity.WARNING, "a cancer is not in the vocabulary"),
    "dangling-related": (Severity.WARNING, "`related` names a key that is not in the library"),
    "doi-not-found": (Severity.ERROR, "Crossref does not know the DOI (check --online)"),
    "doi-mismatch": (Severity.WARNING, "Crossref's title/year/author disagree (check --online)"),
    "no-mailto": (Severity.INFO, "no Crossref contact address is set (check --online)"),
}

# Required fields per entry type, as the standard BibTeX styles define them ("a|b": either).
REQUIRED: dict[str, tuple[str, ...]] = {
    "article": ("author", "title", "journal|journaltitle", "year|date"),
    "book": ("author|editor", "title", "publisher", "year|date"),
    "booklet": ("title",),
    "inbook": ("author|editor", "title", "chapter|pages", "publisher", "year|date"),
    "incollection": ("author", "title", "booktitle", "publisher", "year|date"),
    "inproceedings": ("author", "title", "booktitle", "year|date"),
    "conference": ("author", "title", "booktitle", "year|date"),
    "manual": ("title",),
    "mastersthesis": ("author", "title", "school", "year|date"),
    "phdthesis": ("author", "title", "school", "year|date"),
    "proceedings": ("title", "year|date"),
    "techreport": ("author", "title", "institution", "year|date"),
    "unpublished": ("author", "title", "note"),
    "online": ("title", "url|doi"),
}

_ISSN_RE = re.compile(r"^(\d{4})-?(\d{3}[\dXx])$")
# A page, an e-locator ("e33693", "doaa055") or a range of them; spaces, semicolons and
# commentary ("402--6; discussion 406--7") are what this flags.
_PAGES_RE = re.compile(r"^\s*[\w.]+(\s*(--|-|–|—)\s*[\w.]+)?\s*\+?\s*$")
_ROMAN_PAGES = re.compile(r"^\s*[ivxlcdm]+(\s*--?\s*[ivxlcdm]+)?\s*$", re.IGNORECASE)


def run(
    records: Sequence[Record],
    bib_path: str,
    *,
    this_year: int | None = None,
    annotation_files: Container[str] = (),
) -> list[Issue]:
    """All offline checks over the loaded records.

    ``annotation_files`` holds the keys that have an annotation file, loaded or not: a file
    that could not be loaded has its own issue and is not also reported as missing.
    """
    return [
        *bib_checks(records, bib_path, this_year=this_year),
        *annotation_checks(records, bib_path, annotation_files=annotation_files),
    ]


def bib_checks(
    records: Sequence[Record], bib_path: str, *, this_year: int | None = None
) -> list[Issue]:
    """Checks that depend on library.bib alone: cached with the parse, keyed by its content."""
    import datetime as dt

    year_max = (this_year or dt.date.today().year) + 1
    issues: list[Issue] = []
    for record in records:
        issues.extend(_entry_checks(record, bib_path, year_max))
    issues.extend(_duplicate_dois(records, bib_path))
    issues.extend(_near_duplicate_titles(records, bib_path))
    return issues


def annotation_checks(
    records: Sequence[Record], bib_path: str, *, annotation_files: Container[str] = ()
) -> list[Issue]:
    """Checks that depend on annotations/: run on every load (they are cheap)."""
    issues: list[Issue] = []
    for record in records:
        key = record.key
        if record.annotation is None and key not in annotation_files and is_safe_key(key):
            issues.append(
                Issue(
                    Severity.INFO,
                    "missing-annotation",
                    f"'{key}' has no annotation yet.",
                    key,
                    _loc(record, bib_path),
                    f"Create one with `cytobib annotate {key}`.",
                )
            )
    issues.extend(_related(records))
    return issues


def missing_required(entry: Entry) -> list[list[str]]:
    """The fields the entry's type requires (``REQUIRED``) that it lacks, each as its list of
    alternatives ("year|date" -> ["year", "date"]): what `check` warns about and what the
    views show the reader as not confirmed."""
    out = []
    for required in REQUIRED.get(entry.type, ()):
        options = required.split("|")
        if not any(entry.fields.get(o, "").strip() for o in options):
            out.append(options)
    return out


def unconfirmed(record: Record) -> tuple[str, ...]:
    """What is not known about the work: the required fields its entry lacks (by their first
    name) and the facts its annotation lists as ``unconfirmed``, each once."""
    names = [options[0] for options in missing_required(record.entry)]
    if record.annotation is not None:
        names += record.annotation.unconfirmed
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.strip().casefold(), name.strip())
    return tuple(v for v in seen.values() if v)


def _loc(record: Record, bib_path: str) -> Location:
    return Location(bib_path, record.entry.line)


def issn_ok(value: str) -> bool:
    """ISSN check digit (ISO 3297): weights 8..2, mod 11, 'X' for 10."""
    match = _ISSN_RE.match(value.strip())
    if not match:
        return False
    digits = match.group(1) + match.group(2)
    total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return digits[7].upper() == ("X" if check == 10 else str(check))


def _entry_checks(record: Record, bib_path: str, year_max: int) -> Iterator[Issue]:
    entry = record.entry
    key = entry.key
    loc = _loc(record, bib_path)
    problem = key_problem(key)
    if problem is not None:
        yield Issue(
            Severity.ERROR,
            "unsafe-key",
            f"Key {key!r} cannot be used as an annotation file name: {problem}.",
            key,
            loc,
            "Rename the key with plain letters, digits and - _ (e.g. smith2020il2).",
        )
    elif scripts := mixed_scripts(key):
        yield Issue(
            Severity.WARNING,
            "suspicious-key",
            f"Key {key!r} mixes {' and '.join(s.title() for s in scripts)} letters, so it can "
            "look exactly like another key.",
            key,
            loc,
            "Retype the key in one alphabet (citation keys are usually plain ASCII).",
        )
    for name, value in entry.fields.items():
        if ("{" in value or "}" in value) and not is_balanced(value):
            yield Issue(
                Severity.ERROR,
                "bad-braces",
                f"The braces in the {name} of '{key}' do not balance, so bibtex, biber and "
                "cytobib disagree about where the value ends.",
                key,
                loc,
                "Add the missing brace; write a literal brace as \\textbraceleft{} or "
                "\\textbraceright{} (bibtex counts \\{ and \\} as braces too).",
            )
    for options in missing_required(entry):
        yield Issue(
            Severity.WARNING,
            "missing-field",
            f"@{entry.type} '{key}' has no {' or '.join(options)}.",
            key,
            loc,
            f"Add `{options[0]} = {{...}}`, or run `cytobib enrich {key}` if it has a DOI.",
        )
    doi_raw = entry.fields.get("doi", "").strip()
    wrong = doi.problem(latex.verbatim(doi_raw)) if doi_raw else None
    if wrong is not None:
        yield Issue(
            Severity.ERROR,
            "bad-doi",
            f"DOI {doi_raw!r} of '{key}' is malformed "
            f"({wrong.partition(' is not a DOI: ')[2].rstrip('.') or wrong}).",
            key,
            loc,
            "A DOI looks like 10.1234/abc, bare or as https://doi.org/10.1234/abc, with no "
            "spaces inside.",
        )
    for field_name in ("issn", "eissn"):
        value = entry.fields.get(field_name, "").strip()
        if value:
            # Zotero writes "1234-5678 (Print), 2345-6789 (Linking)": check each number.
            parts = _ISSN_PARTS.findall(value)
            bad = [p for p in parts if not issn_ok(p)] or ([] if parts else [value])
            if bad:
                yield Issue(
                    Severity.WARNING,
                    "bad-issn",
                    f"ISSN {', '.join(bad)} of '{key}' is malformed or fails its check digit.",
                    key,
                    loc,
                    "An ISSN is 8 characters, NNNN-NNNC.",
                )
    year_raw = entry.fields.get("year", "").strip()
    if year_raw:
        match = _YEAR_RE.fullmatch(year_raw)
        if not match or not 1400 <= int(year_raw) <= year_max:
            yield Issue(
                Severity.WARNING,
                "bad-year",
                f"Year {year_raw!r} of '{key}' is not a plausible four-digit year.",
                key,
                loc,
                "Write the year alone, e.g. `year = 2014`; put months in `month`.",
            )
    pages = entry.fields.get("pages", "").strip()
    if pages and not (_PAGES_RE.match(pages) or _ROMAN_PAGES.match(pages)):
        yield Issue(
            Severity.WARNING,
            "bad-pages",
            f"Pages {pages!r} of '{key}' do not look like a page or a range.",
            key,
            loc,
            "Write a range as `207--217` or an e-locator as `e33693`.",
        )
    status = record.update_status
    if status is not None:
        code = {"retracted": "retracted", "concern": "expression-of-concern"}.get(
            status.kind, "corrected"
        )
        severity = CODES[code][0]
        notice = f" (notice {status.notice_doi})" if status.notice_doi else ""
        source = f", reported by {status.source}" if status.source else ""
        yield Issue(
            severity,
            code,
            f"'{key}' is marked {status.label}{notice}{source}.",
            key,
            loc,
            "Read the notice before citing it; keep it only as a cautionary reference.",
        )


def _duplicate_dois(records: Sequence[Record], bib_path: str) -> Iterator[Issue]:
    by_doi: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        if record.entry.doi:
            by_doi[record.entry.doi].append(record)
    for same, group in by_doi.items():
        if len(group) > 1:
            first = group[0]
            for other in group[1:]:
                yield Issue(
                    Severity.WARNING,
                    "duplicate-doi",
                    f"'{other.key}' has the same DOI ({same}) as '{first.key}' (line "
                    f"{first.entry.line}).",
                    other.key,
                    _loc(other, bib_path),
                    "Keep one entry and move its annotation over, or fix the DOI.",
                )


def title_fingerprint(title: str) -> str:
    """Casefolded letters and digits of a title, accents removed: the near-duplicate key."""
    if not title.isascii():
        title = unicodedata.normalize("NFKD", title)
    return _NOT_FINGERPRINT.sub("", title.casefold())


def _near_duplicate_titles(records: Sequence[Record], bib_path: str) -> Iterator[Issue]:
    """Identical fingerprints by hashing, then fuzzy matches inside blocks sharing a prefix or
    suffix of the fingerprint.

    Blocking keeps this linear-ish on 10k entries; a pair whose titles differ in both their
    first and last 12 characters is not compared (such pairs are rarely the same work).
    """
    from rapidfuzz import fuzz

    prints: list[tuple[str, str, Record]] = []  # fingerprint, its digits, record
    for record in records:
        raw = record.entry.fields.get("title", "")
        if not raw:
            continue
        # LaTeX commands are dropped rather than decoded: accents fold away in the
        # fingerprint anyway, and decoding every title cost more than the rest of the check.
        fp = title_fingerprint(_LATEX_COMMAND.sub("", raw) if "\\" in raw else raw)
        if len(fp) >= 12:
            prints.append((fp, _DIGITS.sub("", fp), record))
    # 1. Same fingerprint: compare each with the first of its kind only (linear).
    first_of: dict[str, int] = {}
    for i, (fp, digits, record) in enumerate(prints):
        j = first_of.setdefault(fp, i)
        if j != i and not _distinct(prints[j][2], record, prints[j][1], digits):
            yield _near_issue(prints[j][2], record, 100.0, bib_path)
    # 2. Different fingerprints that are close: blocks by prefix and suffix.
    unique = list(first_of.values())
    blocks: dict[str, list[int]] = defaultdict(list)
    for i in unique:
        fp = prints[i][0]
        blocks["p" + fp[:12]].append(i)
        blocks["s" + fp[-12:]].append(i)
    reported: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > 200:
            continue
        for a_pos, a in enumerate(members):
            fa, da, ra = prints[a]
            for b in members[a_pos + 1 :]:
                fb, db, rb = prints[b]
                short, long_ = sorted((len(fa), len(fb)))
                if short < 0.88 * long_:  # a ratio of 94 needs lengths within ~12%
                    continue
                if (a, b) in reported or _distinct(ra, rb, da, db):
                    continue
                score = fuzz.ratio(fa, fb, score_cutoff=94)
                if score >= 94:
                    reported.add((a, b))
                    yield _near_issue(ra, rb, score, bib_path)


def _near_issue(first: Record, other: Record, score: float, bib_path: str) -> Issue:
    return Issue(
        Severity.WARNING,
        "near-duplicate-title",
        f"'{other.key}' has nearly the same title as '{first.key}' (line "
        f"{first.entry.line}, similarity {score:.0f}%).",
        other.key,
        _loc(other, bib_path),
        "If they are the same work, merge them; if not, ignore this.",
    )


_DIGITS = re.compile(r"\D")
_NOT_FINGERPRINT = re.compile(r"[^0-9a-z\u0370-\u03ff]+")
_ISSN_PARTS = re.compile(r"[0-9Xx-]{8,9}")
_YEAR_RE = re.compile(r"\d{4}")
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+|\\.")


def _distinct(a: Record, b: Record, digits_a: str, digits_b: str) -> bool:
    """Evidence that two similar titles are different works (RFC 1 and RFC 2 are both
    "Host Software"; "Part 1" and "Part 2" differ only in a digit)."""
    ea, eb = a.entry, b.entry
    if ea.doi and eb.doi and ea.doi != eb.doi:
        return True
    if ea.year and eb.year and abs(ea.year - eb.year) > 1:
        return True
    na, nb = ea.fields.get("number", ""), eb.fields.get("number", "")
    if ea.type == eb.type and ea.type in ("techreport", "misc", "manual") and na and nb:
        return na != nb
    return digits_a != digits_b


def _related(records: Sequence[Record]) -> Iterator[Issue]:
    keys = {r.key for r in records}
    for record in records:
        ann = record.annotation
        if ann is None:
            continue
        for other in ann.related:
            if other not in keys:
                yield Issue(
                    Severity.WARNING,
                    "dangling-related",
                    f"'related' names '{other}', which is not in the library.",
                    record.key,
                    Location(ann.path),
                    "Fix the key or remove it from `related`.",
                )
