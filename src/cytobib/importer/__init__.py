"""``cytobib import``: merge a BibTeX or RIS file (a Zotero export, a cytobib export) in.

The pipeline is read -> match -> plan -> apply, and nothing is written before apply:

* **read** (:mod:`~cytobib.importer.read`, :mod:`~cytobib.importer.bibtex`,
  :mod:`~cytobib.importer.ris`): each work becomes an :class:`Incoming`, BibTeX fields (LaTeX,
  as the library stores them) kept apart from its tags, its free-text notes and cytobib's note
  on it (:mod:`cytobib.zotero_note`); Zotero's Extra and auto-notes read into fields;
* **match** (:mod:`~cytobib.importer.match`): by key, DOI, PMID, then title + first author +
  year; title-only matches are candidates;
* **plan** (:mod:`~cytobib.importer.plan`): tags to ``keywords``, fields merged by
  :func:`cytobib.merge.plan`, new entries keyed, annotations rebuilt from the notes
  (:mod:`~cytobib.importer.notes`);
* **apply** (:mod:`~cytobib.importer.apply`): one atomic rewrite of library.bib, stubs created
  exclusively, provenance recorded.

Use it as a library::

    plan = plan_import(project, "zotero-export.bib")
    print(plan.diff())
    apply_import(project, plan)
"""

from __future__ import annotations

from cytobib.importer.apply import apply_import
from cytobib.importer.bibtex import from_bibtex
from cytobib.importer.incoming import FORMATS, Incoming, norm_doi
from cytobib.importer.match import make_key
from cytobib.importer.notes import annotation_data, keywords, stub_yaml
from cytobib.importer.plan import ImportPlan, NewEntry, Stub, plan_import, require_readable
from cytobib.importer.read import detect_format, read_source
from cytobib.importer.ris import from_ris, put_names

__all__ = [
    "FORMATS",
    "ImportPlan",
    "Incoming",
    "NewEntry",
    "Stub",
    "annotation_data",
    "apply_import",
    "detect_format",
    "from_bibtex",
    "from_ris",
    "keywords",
    "make_key",
    "norm_doi",
    "plan_import",
    "put_names",
    "read_source",
    "require_readable",
    "stub_yaml",
]
