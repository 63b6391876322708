"""``cytobib enrich``, the part that writes: library.bib and where each value came from."""

from __future__ import annotations

from cytobib import bibfile, merge
from cytobib.library import Project
from cytobib.lock import locked
from cytobib.online.plan import EnrichPlan


def apply_enrich(
    project: Project, plan: EnrichPlan, *, dismiss: bool = False
) -> bibfile.Written | None:
    """Write the planned updates and record their provenance; with ``dismiss``, remember the
    conflicts shown so that they are not reported again. Returns what was written to
    library.bib (None: nothing was), with the updates that no longer fitted a file changed
    meanwhile.

    Raises:
        LibraryStateError: library.bib kept changing while it was being written.
        WriteError: it could not be written (it is then unchanged).
    """
    if not (plan.changes_bib or dismiss):
        return None
    root = project.config.root
    with locked(root):
        prov = merge.Provenance.load(root)
        written = None
        if plan.changes_bib:
            written = bibfile.update(
                plan.source, edits(project, plan), root=root, planned=plan.new_text
            )
            for p in plan.plans:
                applied = [n for n in p.updates if not written.kept(p.key, n)]
                for source in dict.fromkeys(p.sources.get(n, "crossref") for n in applied):
                    names = [n for n in applied if p.sources.get(n, "crossref") == source]
                    prov.record(p.key, names, source)
        if dismiss:
            prov.dismiss(plan.conflicts)
        prov.save(after=plan.source.path if written else None)
    return written


def edits(project: Project, plan: EnrichPlan) -> bibfile.Edits:
    """The plan's updates, each with the values it was planned against."""
    out = []
    for p in plan.plans:
        record = project.library.get(p.key)
        if p.updates and record is not None:
            before = {name: record.entry.fields.get(name) for name in p.updates}
            out.append(bibfile.FieldEdit(p.key, before, dict(p.updates)))
    return bibfile.Edits(fields=tuple(out))
