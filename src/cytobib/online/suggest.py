"""``cytobib suggest``: annotation drafts from PubMed for the works selected, printed, or
written into the empty fields of their annotations and marked ``suggested``.

The pipeline, as for enrich: :func:`select_records` (keys or ``--where``) -> PubMed
(:func:`cytobib.online.pubmed.ask_pubmed`: by pmid, PMCID or DOI, cached) -> :func:`plan_suggest`
(pure: :func:`cytobib.drafts.draft`, and what would be filled) -> :func:`apply_suggest` (the
only step that writes, under the project lock, each file through
:func:`cytobib.annotation_edit.fill`, which never changes what a person wrote).
``accept`` (:func:`accept_suggestions`) removes the ``suggested`` mark: the reader confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cytobib import annotation_edit
from cytobib import annotations as ann
from cytobib.bibfile import atomic_write_bytes
from cytobib.drafts import FIELDS, Suggestion, draft
from cytobib.errors import AnnotationFileError
from cytobib.library import Project
from cytobib.lock import locked
from cytobib.model import Record
from cytobib.online.pubmed import PubMedAnswers, ask_pubmed, pubmed_client_for


@dataclass(frozen=True)
class Drafted:
    """The suggestions for one work, and which fields writing them would fill."""

    key: str
    pmid: str
    suggestions: tuple[Suggestion, ...]
    fills: tuple[str, ...] = ()  # empty fields of the annotation that would be filled
    kept: tuple[str, ...] = ()  # fields with suggestions that a person already filled

    def values(self) -> dict[str, Any]:
        """The suggested value of each field, as the annotation file holds it."""
        out: dict[str, Any] = {}
        for s in self.suggestions:
            if s.field == "study_type":
                out.setdefault("study_type", s.value)
            else:
                out.setdefault(s.field, []).append(s.value)
        return out

    def evidence(self) -> dict[str, list[str]]:
        """The evidence of each field's values, in order."""
        out: dict[str, list[str]] = {}
        for s in self.suggestions:
            out.setdefault(s.field, []).append(f"{s.label}: {s.evidence}")
        return out


@dataclass(frozen=True)
class SuggestReport:
    """What ``cytobib suggest`` found, and (with ``write``) which files it wrote."""

    drafts: tuple[Drafted, ...] = ()
    missing: tuple[tuple[str, str], ...] = ()  # (key, why no PubMed record)
    written: tuple[str, ...] = ()  # keys whose annotation file was written
    accepted: tuple[str, ...] = ()  # keys whose suggestions were confirmed
    pubmed: PubMedAnswers = field(default_factory=PubMedAnswers)


def select_records(
    project: Project, keys: Sequence[str] | None = None, where: str | None = None
) -> list[Record]:
    """The records named, or those ``where`` selects, or all.

    Raises:
        UnknownKeyError: a key is not in the library.
        FilterError: ``where`` does not parse.
    """
    from cytobib.library import record_for
    from cytobib.query import compile_filter

    records = [record_for(project.library, k) for k in keys] if keys else list(project.library)
    if where:
        keep = compile_filter(where, project.vocabulary)
        records = [r for r in records if keep(r)]
    return records


def _current(project: Project, key: str) -> dict[str, Any]:
    path = ann.path_for(project.config.annotations, key)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError):
        return {}
    try:
        data, _ = ann.load_yaml(text)
    except ann.YamlProblem:
        return {}
    return data if isinstance(data, dict) else {}


def plan_suggest(
    project: Project, records: Sequence[Record], found: PubMedAnswers
) -> SuggestReport:
    """The drafts for ``records`` from PubMed's ``found`` records; nothing is written."""
    drafts: list[Drafted] = []
    missing: list[tuple[str, str]] = list(found.not_found) + list(found.failed)
    answered = {k for k, _ in missing}
    for record in records:
        pubmed_record = found.records.get(record.key)
        if pubmed_record is None:
            if record.key not in answered:
                why = (
                    found.error
                    or "PubMed has no record for its pmid, PMCID or DOI (offline: none is cached)"
                )
                missing.append((record.key, why))
            continue
        suggestions = draft(pubmed_record, project.vocabulary)
        current = _current(project, record.key)
        offered = [f for f in FIELDS if any(s.field == f for s in suggestions)]
        fills = tuple(f for f in offered if annotation_edit.empty(current.get(f)))
        kept = tuple(f for f in offered if f not in fills)
        drafts.append(Drafted(record.key, pubmed_record.pmid, suggestions, fills, kept))
    return SuggestReport(tuple(drafts), tuple(missing), pubmed=found)


def apply_suggest(project: Project, report: SuggestReport) -> SuggestReport:
    """Fill the empty fields of each drafted annotation (creating a stub first where there is
    none), under the project lock; every file is checked before it is written.

    Raises:
        AnnotationFileError: an annotation cannot be read or edited safely (nothing of it is
            written; files written before it stay written, each whole).
        WriteError: a file could not be written.
    """
    written: list[str] = []
    root = project.config.root
    with locked(root):
        for drafted in report.drafts:
            if not drafted.fills:
                continue
            values = {k: v for k, v in drafted.values().items() if k in drafted.fills}
            evidence = {k: v for k, v in drafted.evidence().items() if k in drafted.fills}
            if _write(project, drafted.key, values, evidence):
                written.append(drafted.key)
    return SuggestReport(report.drafts, report.missing, tuple(written), (), report.pubmed)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise AnnotationFileError(
            f"{path} is not UTF-8; suggestions were not written into it.",
            hint="Save the file as UTF-8.",
        ) from None
    except OSError as exc:
        raise AnnotationFileError(
            f"{path} cannot be read ({exc.strerror}); suggestions were not written into it.",
            hint="Check the file's permissions.",
        ) from None


def _write(
    project: Project, key: str, values: Mapping[str, Any], evidence: Mapping[str, list[str]]
) -> bool:
    path = ann.path_for(project.config.annotations, key)
    if path.exists():
        text = _read(path)
    else:
        record = project.library.get(key)
        if record is None:
            return False
        from cytobib.project import ensure_local_schema, schema_ref_for

        ensure_local_schema(project.config)
        text = ann.stub_text(record.entry, schema_ref_for(project.config))
    try:
        new = annotation_edit.fill(text, values, evidence)
    except annotation_edit.EditRefused as exc:
        raise AnnotationFileError(
            f"{path}: suggestions were not written: {exc}.",
            hint="Fix the file (or fill the fields yourself) and run suggest again.",
        ) from None
    if new == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, new.encode("utf-8"))
    return True


def accept_suggestions(project: Project, records: Sequence[Record]) -> tuple[str, ...]:
    """Remove the ``suggested`` mark from the selected annotations (the reader confirmed
    them); the values stay. Returns the keys changed.

    Raises:
        AnnotationFileError: a file cannot be read or edited safely.
    """
    changed: list[str] = []
    with locked(project.config.root):
        for record in records:
            path = ann.path_for(project.config.annotations, record.key)
            if not path.exists():
                continue
            text = _read(path)
            try:
                new = annotation_edit.unmark(text)
            except annotation_edit.EditRefused as exc:
                raise AnnotationFileError(
                    f"{path}: the suggested mark was not removed: {exc}.",
                    hint="Fix the file and run the command again.",
                ) from None
            if new != text:
                atomic_write_bytes(path, new.encode("utf-8"))
                changed.append(record.key)
    return tuple(changed)


def suggest(
    project: Project,
    keys: Sequence[str] | None = None,
    *,
    where: str | None = None,
    write: bool = False,
    accept: bool = False,
    pubmed: Any = None,
) -> SuggestReport:
    """Draft annotation fields from PubMed for the selected works (``cytobib suggest``);
    ``write`` fills the empty ones, marked ``suggested``; ``accept`` confirms them instead."""
    records = select_records(project, keys, where)
    if accept:
        return SuggestReport(accepted=accept_suggestions(project, records))
    found = ask_pubmed(pubmed or pubmed_client_for(project), records)
    report = plan_suggest(project, records, found)
    return apply_suggest(project, report) if write else report
