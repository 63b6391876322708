"""``cytobib enrich``, the part that writes nothing: ask Crossref, then plan from its answers.

:func:`ask_crossref` looks up every selected entry (by DOI, or by a bibliographic search for
an entry without one, accepting only an unambiguous match); :func:`plan_enrich` turns the
answers into field updates through the one precedence rule in :mod:`cytobib.merge`: missing
fields are filled, differing ones are reported as conflicts and only applied for fields the
user accepts. Retractions and corrections become the entry's ``update-status`` field
(``kind; notice DOI; source; date``), which cytobib owns.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cytobib import bibfile, merge, progress
from cytobib.doi import canonical, is_valid_doi
from cytobib.errors import CrossrefError, CrossrefNotFound, CrossrefUnreachable, UsageError
from cytobib.library import Project, record_for
from cytobib.model import Entry, Record
from cytobib.online.common import (
    incoming_fields,
    pubmed_fields,
    reason,
    strongest_status,
    unified_diff,
)
from cytobib.online.pubmed import PubMedAnswers

Message = Mapping[str, Any]


@dataclass(frozen=True)
class Match:
    """A search for an entry without a DOI: the DOI taken (None: none was), and why."""

    key: str
    doi: str | None
    score: float
    reason: str
    candidates: tuple[tuple[float, str, str, str], ...] = ()  # score, doi, title, year


@dataclass(frozen=True)
class Answers:
    """What Crossref said about each selected entry, or why it said nothing useful."""

    messages: Mapping[str, Message] = field(default_factory=dict)  # key -> work
    not_found: tuple[tuple[str, str], ...] = ()  # (key, doi)
    failed: tuple[tuple[str, str], ...] = ()  # (key, reason)
    invalid: tuple[tuple[str, str], ...] = ()  # (key, why not a DOI)
    matches: tuple[Match, ...] = ()  # searches for entries without a DOI


@dataclass(frozen=True)
class EnrichPlan:
    """Every change enriching would make, with the answers it was made from."""

    source: bibfile.BibText
    new_text: str
    plans: tuple[merge.Plan, ...] = ()
    flagged: tuple[tuple[str, str], ...] = ()  # (key, update-status)
    answers: Answers = field(default_factory=Answers)
    pubmed: PubMedAnswers = field(default_factory=PubMedAnswers)

    @property
    def conflicts(self) -> list[merge.Conflict]:
        return [c for p in self.plans for c in p.conflicts]

    @property
    def filled(self) -> dict[str, list[str]]:
        return {p.key: sorted(p.updates) for p in self.plans if p.updates}

    @property
    def changes_bib(self) -> bool:
        return any(p.updates for p in self.plans)

    @property
    def diff(self) -> str:
        return unified_diff(self.source.text, self.new_text, self.source.path)

    @property
    def not_found(self) -> tuple[tuple[str, str], ...]:
        return self.answers.not_found

    @property
    def failed(self) -> tuple[tuple[str, str], ...]:
        return self.answers.failed

    @property
    def invalid(self) -> tuple[tuple[str, str], ...]:
        return self.answers.invalid

    @property
    def matches(self) -> tuple[Match, ...]:
        return self.answers.matches


def check_options(accept: Collection[str], overwrite: bool) -> None:
    if overwrite and accept:
        raise UsageError("--overwrite already accepts every field; drop --accept.")


def select(project: Project, keys: Sequence[str] | None) -> list[Record]:
    """The records to enrich: all, or those named.

    Raises:
        UnknownKeyError: a key is not in the library (the hint suggests close ones).
    """
    if not keys:
        return list(project.library)
    return [record_for(project.library, key) for key in keys]


def ask_crossref(client: Any, records: Sequence[Record], *, search: bool = True) -> Answers:
    """Look every record up: by DOI, else (with ``search``) by a bibliographic search."""
    by_doi = _by_doi(client, [r for r in records if r.entry.doi])
    found = _by_search(client, [r for r in records if not r.entry.doi]) if search else Answers()
    return Answers(
        messages={**by_doi.messages, **found.messages},
        not_found=by_doi.not_found,
        failed=by_doi.failed + found.failed,
        invalid=by_doi.invalid,
        matches=found.matches,
    )


def _by_doi(client: Any, records: Sequence[Record]) -> Answers:
    if not records:
        return Answers()
    results = client.works([r.entry.doi for r in records])
    messages: dict[str, Message] = {}
    not_found: list[tuple[str, str]] = []
    failed: list[tuple[str, str]] = []
    invalid: list[tuple[str, str]] = []
    for record in records:
        result = results.get(record.entry.doi)
        if isinstance(result, CrossrefNotFound):
            not_found.append((record.key, record.entry.doi))
        elif isinstance(result, ValueError):  # not a DOI: nothing was asked
            invalid.append((record.key, str(result)))
        elif isinstance(result, Exception) or result is None:
            failed.append((record.key, reason(result)))
        else:
            messages[record.key] = result
    return Answers(messages, tuple(not_found), tuple(failed), tuple(invalid))


def _by_search(client: Any, records: Sequence[Record]) -> Answers:
    from cytobib.crossref import best_match

    messages: dict[str, Message] = {}
    failed: list[tuple[str, str]] = []
    matches: list[Match] = []
    for record in progress.track(records, "Crossref search"):
        entry = record.entry
        if not entry.title:
            continue
        family = entry.authors[0].last if entry.authors else None
        query = " ".join(str(x) for x in (entry.title, family, entry.year) if x)
        try:
            candidates = client.search(query, rows=2)
        except CrossrefUnreachable:
            raise  # no connection at all: the run stops
        except CrossrefError as exc:
            failed.append((record.key, exc.message))
            continue
        result = best_match(entry.title, family, entry.year, candidates)
        listed = tuple(
            (
                score,
                str(c.get("DOI", "")),
                " ".join(c.get("title") or [""]),
                str((c.get("issued") or {}).get("date-parts", [[""]])[0][0]),
            )
            for score, c in result.candidates
        )
        top = result.candidates[0][0] if result.candidates else 0.0
        doi = None
        why = result.reason
        if result.accepted is not None:
            found = str(result.accepted.get("DOI", ""))
            if is_valid_doi(found):
                messages[record.key] = result.accepted
                doi = canonical(found)
            else:  # a match is only worth its DOI
                why = f"the best match's DOI {found[:60]!r} is not a DOI"
        matches.append(Match(record.key, doi, top, why, listed))
    return Answers(messages, failed=tuple(failed), matches=tuple(matches))


def plan_enrich(
    project: Project,
    records: Sequence[Record],
    answers: Answers,
    *,
    accept: Collection[str] = (),
    overwrite: bool = False,
    dismissed: Collection[str] = (),
    pubmed: PubMedAnswers | None = None,
) -> EnrichPlan:
    """The updates Crossref's ``answers`` and PubMed's records bring to ``records``, each
    field from the source :func:`cytobib.merge.prefer` picks; nothing is written."""
    from cytobib.crossref import map_work

    check_options(accept, overwrite)
    pubmed = pubmed or PubMedAnswers()
    plans: list[merge.Plan] = []
    flagged: list[tuple[str, str]] = []
    changes: list[bibfile.Change] = []
    source = project.parsed.source
    for record in records:
        message = answers.messages.get(record.key)
        found = pubmed.records.get(record.key)
        if message is None and found is None:
            continue
        offers: dict[str, dict[str, str]] = {}
        statuses: list[str | None] = []
        if message is not None:
            offers["crossref"] = incoming_fields(mapped := map_work(message))
            if not record.entry.doi and mapped.doi and is_valid_doi(mapped.doi):
                offers["crossref"]["doi"] = mapped.doi
            statuses.append(offers["crossref"].pop("update-status", None))
        if found is not None:
            offers["pubmed"] = pubmed_fields(found)
            statuses.append(offers["pubmed"].pop("update-status", None))
        status = strongest_status(statuses)
        plan = merge.plan_sources(
            record.entry, offers, accept=accept, overwrite=overwrite, dismissed=dismissed
        )
        updates = dict(plan.updates)
        sources = dict(plan.sources)
        if status and status != record.entry.fields.get("update-status"):
            updates["update-status"] = status
            sources["update-status"] = "pubmed" if "; pubmed" in status else "crossref"
            flagged.append((record.key, status))
        plans.append(merge.Plan(plan.key, updates, plan.conflicts, plan.dismissed, sources))
        if updates:
            changes.append(_change(record.entry, updates, source.newline))
    new_text = bibfile.apply_changes(source, changes) if changes else source.text
    return EnrichPlan(source, new_text, tuple(plans), tuple(flagged), answers, pubmed)


def _change(entry: Entry, updates: dict[str, str], newline: str) -> bibfile.Change:
    return bibfile.Change(entry.span, bibfile.edit_fields(entry.raw, updates, newline))
