"""``cytobib enrich``, the part that writes: library.bib and where each value came from."""

from __future__ import annotations

from cytobib import bibfile, merge
from cytobib.library import Project
from cytobib.online.plan import EnrichPlan


def apply_enrich(project: Project, plan: EnrichPlan, *, dismiss: bool = False) -> None:
    """Write the planned updates atomically and record their provenance; with ``dismiss``,
    remember the conflicts shown so that they are not reported again.

    Raises:
        LibraryStateError: library.bib changed on disk since the plan was made.
        WriteError: it could not be written (it is then unchanged).
    """
    if not (plan.changes_bib or dismiss):
        return
    prov = merge.Provenance.load(project.config.root)
    if plan.changes_bib:
        bibfile.write_text(plan.source, plan.new_text)
        for p in plan.plans:
            if p.updates:
                prov.record(p.key, list(p.updates), "crossref")
    if dismiss:
        prov.dismiss(plan.conflicts)
    prov.save()
