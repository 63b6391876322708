"""Applying an import plan: the only step that writes.

library.bib is rewritten once, atomically, with the text the plan spliced together (untouched
entries stay byte-for-byte), and only if the file is still the one the plan was made from;
stubs are created exclusively (never replacing a file); where each value came from is
recorded in the provenance file.
"""

from __future__ import annotations

from pathlib import Path

from cytobib import bibfile, merge
from cytobib.importer.plan import ImportPlan
from cytobib.library import Project


def apply_import(project: Project, plan: ImportPlan) -> list[Path]:
    """Write the plan: library.bib atomically, new annotation stubs, provenance.

    Returns the files written.

    Raises:
        LibraryStateError: library.bib changed on disk since the plan was made.
        WriteError: a file could not be written (library.bib is then unchanged).
    """
    written: list[Path] = []
    bib_path = Path(plan.bib.path)
    if plan.changes_bib:
        bibfile.write_text(plan.bib, plan.new_text)
        written.append(bib_path)
    for stub in plan.stubs:
        stub.path.parent.mkdir(parents=True, exist_ok=True)
        if bibfile.create_exclusive(stub.path, stub.text.encode("utf-8")):
            written.append(stub.path)
    if plan.updated or plan.added:
        provenance = merge.Provenance.load(project.config.root)
        source = f"import:{Path(plan.source).name}"
        for p in plan.updated:
            provenance.record(p.key, list(p.updates), source)
        for n in plan.added:
            provenance.record(n.key, [name for name, _ in n.fields], source)
        provenance.save()
        written.append(provenance.path)
    return written
