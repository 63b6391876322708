"""Applying an import plan: the only step that writes.

library.bib is rewritten once, atomically, with the text the plan spliced together (untouched
entries stay byte-for-byte), and only if the file is still the one the plan was made from;
stubs are created exclusively (never replacing a file); where each value came from is
recorded in the provenance file.
"""

from __future__ import annotations

from pathlib import Path

from cytobib import annotations as ann
from cytobib import bibfile, merge
from cytobib.importer.plan import ImportPlan
from cytobib.library import Project
from cytobib.lock import locked
from cytobib.project import ensure_local_schema


def apply_import(project: Project, plan: ImportPlan) -> list[Path]:
    """Write the plan under the project's write lock: library.bib, new annotation stubs,
    provenance. Returns the files written.

    Raises:
        LibraryStateError: library.bib kept changing while it was being written.
        WriteError: a file could not be written (the message says which were).
    """
    written: list[Path] = []
    root = project.config.root
    bib_path = Path(plan.bib.path)
    with locked(root):
        result = None
        if plan.changes_bib:
            result = bibfile.update(
                plan.bib, _edits(project, plan), root=root, planned=plan.new_text
            )
            written.append(bib_path)
        keys = dict(result.keys) if result else {}
        if plan.stubs:
            ensure_local_schema(project.config)
        for stub in plan.stubs:
            path = stub.path
            if keys.get(stub.key, stub.key) != stub.key:  # the key was taken meanwhile
                path = ann.path_for(path.parent, keys[stub.key])
            path.parent.mkdir(parents=True, exist_ok=True)
            if bibfile.create_exclusive(path, stub.text.encode("utf-8")):
                written.append(path)
        if plan.updated or plan.added:
            provenance = merge.Provenance.load(root)
            source = f"import:{Path(plan.source).name}"
            for p in plan.updated:
                applied = [n for n in p.updates if not (result and result.kept(p.key, n))]
                provenance.record(p.key, applied, source)
            for n in plan.added:
                if n.key in keys:
                    provenance.record(keys[n.key], [name for name, _ in n.fields], source)
            provenance.save(after=str(bib_path) if result else None)
            written.append(provenance.path)
    return written


def _edits(project: Project, plan: ImportPlan) -> bibfile.Edits:
    """The plan as edits that can be applied to a file changed since it was made."""
    fields = []
    for p in plan.updated:
        record = project.library.get(p.key)
        if record is not None:
            before = {name: record.entry.fields.get(name) for name in p.updates}
            fields.append(bibfile.FieldEdit(p.key, before, dict(p.updates)))
    new = tuple(bibfile.NewEntry(n.type, n.key, n.fields) for n in plan.added)
    return bibfile.Edits(fields=tuple(fields), new=new)
