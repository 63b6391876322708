"""What cytobib does online, with Crossref and PubMed: add by DOI, PMID or PMCID, enrich
(fill-only), verify DOIs and PMIDs, and suggest annotation drafts.

Each is a pipeline whose steps can be called on their own, as ``cytobib import``'s are:

* :mod:`~cytobib.online.add`: :func:`wanted` -> Crossref -> :func:`plan_add` ->
  :func:`apply_add`;
* :mod:`~cytobib.online.plan`: :func:`select` -> :func:`ask_crossref` (the only network
  step) -> :func:`plan_enrich` (pure) and :mod:`~cytobib.online.apply`: :func:`apply_enrich`
  (the only step that writes);
* :mod:`~cytobib.online.verify`: :func:`verify_online` for ``check --online``;
* :mod:`~cytobib.online.pubmed`: :func:`ask_pubmed`, the PubMed step of all of them, which
  never raises for a PubMed that is down (its answers say why), so Crossref still counts.

Every change to library.bib goes through the lossless writer (``bibfile.edit_fields`` +
``apply_changes`` + an atomic write) and the one precedence rule in :mod:`cytobib.merge`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from cytobib import merge
from cytobib.library import Project
from cytobib.online.add import AddReport, AddRequest, add, apply_add, plan_add, wanted
from cytobib.online.apply import apply_enrich
from cytobib.online.common import client_for, incoming_fields, update_status_value
from cytobib.online.plan import (
    Answers,
    EnrichPlan,
    Match,
    ask_crossref,
    check_options,
    plan_enrich,
    select,
)
from cytobib.online.pubmed import PubMedAnswers, ask_pubmed, pubmed_client_for
from cytobib.online.verify import verify_online

__all__ = [
    "AddReport",
    "AddRequest",
    "Answers",
    "EnrichPlan",
    "Match",
    "PubMedAnswers",
    "add",
    "apply_add",
    "apply_enrich",
    "ask_crossref",
    "ask_pubmed",
    "client_for",
    "enrich",
    "format_conflicts",
    "incoming_fields",
    "plan_add",
    "plan_enrich",
    "pubmed_client_for",
    "select",
    "update_status_value",
    "verify_online",
    "wanted",
]


def enrich(
    project: Project,
    keys: Sequence[str] | None = None,
    *,
    client: Any = None,
    accept: Collection[str] = (),
    overwrite: bool = False,
    dry_run: bool = False,
    dismiss: bool = False,
    search: bool = True,
    pubmed: Any = None,
) -> EnrichPlan:
    """Fill missing fields from Crossref and PubMed (each field from the source
    :func:`cytobib.merge.prefer` picks), report conflicts, flag retractions: select, ask,
    plan, and (unless ``dry_run``) apply. ``pubmed``: a PubMed client, or False to ask only
    Crossref. A source that fails does not keep the other from filling what it can.

    Raises:
        CrossrefUnavailable: Crossref failed and PubMed gave nothing either.
    """
    from cytobib.errors import CrossrefUnavailable

    check_options(accept, overwrite)
    records = select(project, keys)
    dismissed = merge.Provenance.load(project.config.root).dismissed
    found = PubMedAnswers()
    if pubmed is not False:
        found = ask_pubmed(pubmed or pubmed_client_for(project), records)
    try:
        answers = ask_crossref(client or client_for(project), records, search=search)
    except CrossrefUnavailable as exc:
        if not found.records:
            raise
        answers = Answers(failed=tuple((r.key, exc.message) for r in records if r.entry.doi))
    plan = plan_enrich(
        project,
        records,
        answers,
        accept=accept,
        overwrite=overwrite,
        dismissed=dismissed,
        pubmed=found,
    )
    if not dry_run:
        apply_enrich(project, plan, dismiss=dismiss)
    return plan


def format_conflicts(conflicts: Iterable[merge.Conflict]) -> list[str]:
    """Each conflict as three lines: the field, the library's value, the source's."""
    lines = []
    for c in conflicts:
        lines.append(f"{c.key}.{c.field}:")
        lines.append(f"    library:  {c.ours}")
        lines.append(f"    {c.source}: {c.theirs}")
    return lines
