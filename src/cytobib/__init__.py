"""cytobib: an annotated BibTeX library for reviews of cytokine cancer immunotherapy.

Use it as a library: every ``cytobib`` command has a function here (see :mod:`cytobib.api`)::

    import cytobib
    project = cytobib.open_project(".")     # library.bib + annotations/ + checks
    for issue in project.library.issues:
        print(issue.severity, issue.code, issue.location, issue.message)
    table = cytobib.review_table(project, rows="agent", where="year >= 2010")
    html = cytobib.render(table, "html")

The functions are imported on first use, so ``import cytobib`` stays fast.
"""

import importlib
from typing import TYPE_CHECKING, Any

from cytobib._version import __version__
from cytobib.errors import CytobibError
from cytobib.library import Project, load, open_project
from cytobib.model import (
    AgentUse,
    Annotation,
    Claim,
    Entry,
    Issue,
    Library,
    Location,
    Person,
    Record,
    Severity,
    UpdateStatus,
)

if TYPE_CHECKING:
    from cytobib.api import (
        CheckReport,
        add,
        check,
        enrich,
        evidence_map,
        export,
        import_file,
        reading_list,
        render,
        review_table,
        suggest,
        zotero_pull,
        zotero_push,
        zotero_status,
    )
    from cytobib.editing import edit
    from cytobib.listing import list_works, show
    from cytobib.project import init_project as init
    from cytobib.project import write_stubs
    from cytobib.rendering import build

# name -> (module, attribute): the library API, loaded when first used.
_API: dict[str, tuple[str, str]] = {
    "init": ("cytobib.project", "init_project"),
    "check": ("cytobib.api", "check"),
    "CheckReport": ("cytobib.api", "CheckReport"),
    "write_stubs": ("cytobib.project", "write_stubs"),
    "list_works": ("cytobib.listing", "list_works"),
    "show": ("cytobib.listing", "show"),
    "edit": ("cytobib.editing", "edit"),
    "add": ("cytobib.api", "add"),
    "enrich": ("cytobib.api", "enrich"),
    "suggest": ("cytobib.api", "suggest"),
    "reading_list": ("cytobib.api", "reading_list"),
    "review_table": ("cytobib.api", "review_table"),
    "evidence_map": ("cytobib.api", "evidence_map"),
    "render": ("cytobib.api", "render"),
    "export": ("cytobib.api", "export"),
    "import_file": ("cytobib.api", "import_file"),
    "build": ("cytobib.rendering", "build"),
    "cache_info": ("cytobib.store", "info"),
    "clear_cache": ("cytobib.store", "clear"),
    "zotero_push": ("cytobib.api", "zotero_push"),
    "zotero_pull": ("cytobib.api", "zotero_pull"),
    "zotero_status": ("cytobib.api", "zotero_status"),
}


def __getattr__(name: str) -> Any:
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'cytobib' has no attribute {name!r}")
    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


__all__ = [
    "AgentUse",
    "Annotation",
    "CheckReport",
    "Claim",
    "CytobibError",
    "Entry",
    "Issue",
    "Library",
    "Location",
    "Person",
    "Project",
    "Record",
    "Severity",
    "UpdateStatus",
    "__version__",
    "add",
    "build",
    "cache_info",
    "check",
    "clear_cache",
    "edit",
    "enrich",
    "evidence_map",
    "export",
    "import_file",
    "init",
    "list_works",
    "load",
    "open_project",
    "reading_list",
    "render",
    "review_table",
    "show",
    "suggest",
    "write_stubs",
    "zotero_pull",
    "zotero_push",
    "zotero_status",
]
