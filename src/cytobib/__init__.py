"""cytobib: an annotated BibTeX library for reviews of cytokine cancer immunotherapy.

Use it as a library::

    import cytobib
    lib = cytobib.load(".")                 # library.bib + annotations/ + checks
    for issue in lib.issues:
        print(issue.severity, issue.code, issue.location, issue.message)
    records = [r for r in lib if r.annotation and "melanoma" in r.annotation.cancers]
"""

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

__all__ = [
    "AgentUse",
    "Annotation",
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
    "load",
    "open_project",
]
