"""What cytobib does online, with Crossref: add by DOI, enrich (fill-only), verify DOIs.

Each is a pipeline whose steps can be called on their own, as ``cytobib import``'s are:

* :mod:`~cytobib.online.add`: :func:`wanted` -> Crossref -> :func:`plan_add` ->
  :func:`apply_add`;
* :mod:`~cytobib.online.plan`: :func:`select` -> :func:`ask_crossref` (the only network
  step) -> :func:`plan_enrich` (pure) and :mod:`~cytobib.online.apply`: :func:`apply_enrich`
  (the only step that writes);
* :mod:`~cytobib.online.verify`: :func:`verify_online` for ``check --online``.

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
from cytobib.online.verify import verify_online

__all__ = [
    "AddReport",
    "AddRequest",
    "Answers",
    "EnrichPlan",
    "Match",
    "add",
    "apply_add",
    "apply_enrich",
    "ask_crossref",
    "client_for",
    "enrich",
    "format_conflicts",
    "incoming_fields",
    "plan_add",
    "plan_enrich",
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
) -> EnrichPlan:
    """Fill missing fields from Crossref, report conflicts, flag retractions: select, ask,
    plan, and (unless ``dry_run``) apply."""
    check_options(accept, overwrite)
    records = select(project, keys)
    dismissed = merge.Provenance.load(project.config.root).dismissed
    answers = ask_crossref(client or client_for(project), records, search=search)
    plan = plan_enrich(
        project, records, answers, accept=accept, overwrite=overwrite, dismissed=dismissed
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
