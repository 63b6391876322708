"""The import plan: what importing a file would change, computed without writing anything.

Each work first gets what its notes and tags say of the entry (:func:`complete`: the key
cytobib's note carries, the tags as ``keywords``, the entry's own note, ``and others``).
Matched entries go through :func:`cytobib.merge.plan`, the one place where field precedence is
decided (fill empty fields; report differing ones with both values, a title re-cased in Zotero
among them; apply them only with ``accept``/``overwrite``). Unmatched works become new entries;
works that share only a title with an entry are added and listed as candidates. The annotation
comes from the notes (:mod:`cytobib.importer.notes`): a new file for a work that has notes and
none yet; an existing file is never changed, and the plan lists those the notes disagree with.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cytobib import annotations as ann
from cytobib import bibfile, latex, merge, progress
from cytobib.errors import LibraryStateError
from cytobib.exports.ris import ris_name
from cytobib.importer.incoming import Incoming, auto_note
from cytobib.importer.match import LibraryIndex, new_key, renamed, work_key
from cytobib.importer.notes import (
    annotation_data,
    keywords,
    render_keywords,
    same_annotation,
    stub_yaml,
)
from cytobib.importer.read import read_source
from cytobib.library import Project
from cytobib.model import Entry, Issue, Person, Severity, et_al, parse_names
from cytobib.zotero_note import NoteContent


@dataclass(frozen=True)
class NewEntry:
    """A work the library does not have: written as a new entry."""

    key: str
    type: str
    fields: tuple[tuple[str, str], ...]
    source_key: str


@dataclass(frozen=True)
class Stub:
    """An annotation file to create (never replaces an existing one)."""

    key: str
    path: Path
    text: str


@dataclass(frozen=True)
class ImportPlan:
    """Everything an import would change, computed without writing anything."""

    source: str
    format: str
    added: tuple[NewEntry, ...]
    merged: tuple[merge.Plan, ...]
    stubs: tuple[Stub, ...]
    notes_not_applied: tuple[str, ...]  # keys whose annotation file says otherwise
    issues: tuple[Issue, ...]
    bib: bibfile.BibText
    new_text: str
    # incoming key (or place) -> (library key, "doi", "pmid" or "title"), for works matched
    # otherwise than by their own key
    matched: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # key of a new entry -> library keys with the same title (not merged: check them)
    candidates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def conflicts(self) -> tuple[merge.Conflict, ...]:
        return tuple(c for p in self.merged for c in p.conflicts)

    @property
    def updated(self) -> tuple[merge.Plan, ...]:
        return tuple(p for p in self.merged if p.changed)

    @property
    def changes_bib(self) -> bool:
        return self.new_text != self.bib.text

    def diff(self, root: Path | None = None) -> str:
        """A unified diff of library.bib and the new annotation files (for --dry-run)."""
        name = _shown(Path(self.bib.path), root)
        out = list(
            difflib.unified_diff(
                self.bib.text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                _side("a", name),
                _side("b", name),
            )
        )
        for stub in self.stubs:
            out += difflib.unified_diff(
                [],
                stub.text.splitlines(keepends=True),
                "/dev/null",
                _side("b", _shown(stub.path, root)),
            )
        return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def _side(prefix: str, name: str) -> str:
    return name if name.startswith("/") else f"{prefix}/{name}"


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


@dataclass
class _Material:
    """Notes gathered for one library key from every matching work."""

    note: NoteContent | None = None
    free: list[str] = field(default_factory=list)

    def add(self, work: Incoming) -> None:
        self.note = self.note or work.cytobib
        self.free += [n for n in work.notes if n not in self.free]


def complete(work: Incoming) -> Incoming:
    """A work with what its notes and tags say of the entry itself: the key cytobib's note
    carries, the tags as ``keywords``, the entry's own note where the route lost it, ``and
    others`` where the format had no place for it; a note that only repeats the entry's own
    ``note`` (Zotero makes one of BibTeX's ``note``) is dropped."""
    fields = dict(work.fields)
    note = work.cytobib
    tags = keywords(work.tags, note)
    if tags:
        fields["keywords"] = render_keywords(tags)
    if note is not None:
        for name, value in (("pmid", note.pmid), ("pmcid", note.pmcid), *note.fields.items()):
            if value and name not in fields:
                fields[name] = latex.escape(value)
        if note.entry_note and "note" not in fields:
            auto = auto_note(note.entry_note)
            if auto is None:
                fields["note"] = latex.escape(note.entry_note)
            else:
                for name, value in auto.fields.items():
                    fields.setdefault(name, latex.escape(value))
        for name, truncated in (
            ("author", note.authors_truncated),
            ("editor", note.editors_truncated),
        ):
            people = parse_names(fields.get(name, "")) if truncated else ()
            if people and people[-1].family != "others":
                fields[name] = fields[name] + " and others"
    free = work.notes
    if free and fields.get("note"):
        own = " ".join(latex.to_text(fields["note"]).split())
        free = tuple(n for n in free if " ".join(n.split()) != own)
    key = note.key if note is not None and note.key else work.key
    return dataclasses.replace(work, key=key, fields=fields, notes=free, tags=())


# Fields whose value a Zotero user edits as text: a re-cased title is a change, not notation.
_STRICT = ("title", "booktitle", "shorttitle")


class _Merge:
    """The works of one import merged into the library one at a time: the running state of a
    single :func:`plan_import` call, never shared."""

    def __init__(
        self,
        index: LibraryIndex,
        *,
        source: str,
        accept: Collection[str],
        overwrite: bool,
        dismissed: Collection[str],
    ) -> None:
        self.index = index
        self.source = source
        self.accept = accept
        self.overwrite = overwrite
        self.dismissed = dismissed
        self.current: dict[str, Entry] = dict(index.entries)  # with the updates planned so far
        self.updates: dict[str, dict[str, str]] = {}
        self.conflicts: dict[str, list[merge.Conflict]] = {}
        self.quiet: dict[str, list[merge.Conflict]] = {}
        self.new: dict[str, NewEntry] = {}
        self.new_by_fold: dict[str, str] = {}
        self.new_by_doi: dict[str, str] = {}
        # incoming key (or place) -> (library key, "doi" or "title")
        self.matched: dict[str, tuple[str, str]] = {}
        self.material: dict[str, _Material] = {}
        self.taken = set(index.by_fold)  # keys in use, case-folded
        self.issues: list[Issue] = []
        self.candidates: dict[str, tuple[str, ...]] = {}

    def take(self, work: Incoming) -> None:
        """Merge one work: into the entry it matches, else into a new one."""
        work = complete(work)
        content = work_key(work.fields)
        found = self.index.match(work, content)
        if found is not None:
            key, how = found
            if how != "key":
                self.matched[work.key or work.where] = (key, how)
            self._merge(work, key)
        else:
            key = self._add(work)
            same_title = self.index.candidates(work, content)
            if same_title:
                self.candidates[key] = same_title
        self.material.setdefault(key, _Material()).add(work)

    def _merge(self, work: Incoming, key: str) -> None:
        entry = self.current[key]
        plan = merge.plan(
            entry,
            _without_same_people(entry, work.fields),
            source=self.source,
            accept=self.accept,
            overwrite=self.overwrite,
            dismissed=self.dismissed,
            strict=_STRICT,
        )
        if plan.updates:
            self.updates.setdefault(key, {}).update(plan.updates)
            fields = {**entry.fields, **plan.updates}
            self.current[key] = dataclasses.replace(entry, fields=fields)
        self.conflicts.setdefault(key, []).extend(plan.conflicts)
        self.quiet.setdefault(key, []).extend(plan.dismissed)

    def _add(self, work: Incoming) -> str:
        """A new entry, or - the same work twice in the import file - the one already planned."""
        pending = self.new_by_fold.get(work.key.casefold()) if work.key else None
        pending = pending or (self.new_by_doi.get(work.doi) if work.doi else None)
        if pending is not None:  # fill only
            have = dict(self.new[pending].fields)
            for name, value in work.fields.items():
                have.setdefault(name, value)
            self.new[pending] = dataclasses.replace(self.new[pending], fields=_ordered(have))
            return pending
        key = new_key(work, self.taken)
        self.taken.add(key.casefold())
        self.new[key] = NewEntry(key, work.type, _ordered(work.fields), work.key)
        self.new_by_fold[key.casefold()] = key
        if work.key:
            self.new_by_fold.setdefault(work.key.casefold(), key)
        if work.doi:
            self.new_by_doi[work.doi] = key
        if work.key and key != work.key:
            self.issues.append(renamed(work, key, work.key.casefold() in self.index.by_fold))
        return key

    def plans(self) -> tuple[merge.Plan, ...]:
        """One merge plan per matched entry, in the order they were first touched."""
        return tuple(
            merge.Plan(
                k,
                self.updates.get(k, {}),
                tuple(self.conflicts.get(k, ())),
                tuple(self.quiet.get(k, ())),
            )
            for k in dict.fromkeys([*self.conflicts, *self.updates])
        )


def plan_import(
    project: Project,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    accept: Collection[str] = (),
    overwrite: bool = False,
) -> ImportPlan:
    """Work out what importing ``path`` would change; nothing is written.

    Raises:
        InputError: the file cannot be read.
        UnknownFormatError: the format is not BibTeX or RIS.
    """
    kind, works, issues = read_source(path, fmt)
    bib = dataclasses.replace(project.parsed.source, path=str(project.config.bib))
    index = LibraryIndex.of(project.parsed.entries)
    state = _Merge(
        index,
        source=f"import:{Path(path).name}",
        accept=accept,
        overwrite=overwrite,
        dismissed=merge.Provenance.load(project.config.root).dismissed,
    )
    for work in progress.track(works, "Matching"):
        state.take(work)
    new_text = _new_text(bib, index.entries, state.updates, state.new.values())
    _check_result(bib, new_text, len(index.entries) + len(state.new), project.parsed.issues)
    stubs, not_applied = _stubs(project, state, str(path))
    return ImportPlan(
        source=str(path),
        format=kind,
        added=tuple(state.new.values()),
        merged=state.plans(),
        stubs=tuple(stubs),
        notes_not_applied=tuple(not_applied),
        issues=(*issues, *state.issues),
        bib=bib,
        new_text=new_text,
        matched=state.matched,
        candidates=state.candidates,
    )


def _new_text(
    bib: bibfile.BibText,
    entries: Mapping[str, Entry],
    updates: Mapping[str, Mapping[str, str]],
    new: Iterable[NewEntry],
) -> str:
    """library.bib with the updates and new entries spliced in."""
    changes = [
        bibfile.Change(entries[k].span, bibfile.edit_fields(entries[k].raw, u, bib.newline))
        for k, u in updates.items()
    ]
    changes += [
        bibfile.Change(None, bibfile.render_entry(n.type, n.key, n.fields, bib.newline))
        for n in new
    ]
    return bibfile.apply_changes(bib, changes) if changes else bib.text


def _stubs(project: Project, state: _Merge, source: str) -> tuple[list[Stub], list[str]]:
    """Annotation files from the notes gathered per key, and the keys whose annotation file
    says otherwise than the notes (left as it is)."""
    from cytobib.project import schema_ref_for

    stubs: list[Stub] = []
    not_applied: list[str] = []
    folder = project.config.annotations
    ref = schema_ref_for(project.config)
    for key, found in progress.track(list(state.material.items()), "Drafting notes"):
        data = annotation_data(found.note, found.free)
        if data is None or not ann.is_safe_key(key):
            continue
        path = ann.path_for(folder, key)
        record = project.library.get(key)
        if record is not None and record.annotation is not None:
            if not same_annotation(record.annotation, data):
                not_applied.append(key)
            continue
        if path.exists():
            not_applied.append(key)
            continue
        title = state.current[key].title if key in state.current else _title_of(state.new[key])
        stubs.append(Stub(key, path, stub_yaml(key, title, data, source, ref)))
    return stubs, not_applied


def _without_same_people(entry: Entry, fields: Mapping[str, str]) -> Mapping[str, str]:
    """Leave out an author or editor list that names our people as a lossy format spells
    them: ours minus its "and others" (RIS and CSL cannot say "others", so cytobib's own
    exports drop it), "et al" for "others", a group name with commas split by RIS into
    family, given and suffix. That is the same list, not a conflict."""
    out = dict(fields)
    for name, ours in (("author", entry.authors), ("editor", entry.editors)):
        theirs = et_al(parse_names(fields.get(name, "")))
        if theirs and ours and _same_people(ours, theirs):
            del out[name]
    return out


def _same_people(ours: Sequence[Person], theirs: Sequence[Person]) -> bool:
    ours_cut, theirs_cut = ours[-1].family == "others", theirs[-1].family == "others"
    if theirs_cut and not ours_cut:
        return False
    named, incoming = ours[: len(ours) - ours_cut], theirs[: len(theirs) - theirs_cut]
    if [ris_name(p).casefold() for p in named] == [ris_name(p).casefold() for p in incoming]:
        return True
    return ours_cut and [p.last.casefold() for p in named] == [p.last.casefold() for p in incoming]


# The field order of new entries: the shipped library's (see its header), then the rest.
_FIELD_ORDER = (
    "author", "editor", "title", "shorttitle", "booktitle", "journal", "shortjournal", "year",
    "month", "volume", "number", "pages", "chapter", "edition", "series", "publisher",
    "address", "institution", "school", "organization", "howpublished", "type", "note", "doi",
    "pmid", "pmcid", "issn", "isbn", "url", "urldate", "language", "keywords", "file",
    "abstract",
)  # fmt: skip


def _ordered(fields: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    rank = {name: i for i, name in enumerate(_FIELD_ORDER)}
    names = sorted(fields, key=lambda n: (rank.get(n, len(rank)), list(fields).index(n)))
    return tuple((n, fields[n]) for n in names)


def _title_of(entry: NewEntry) -> str:
    return latex.to_text(dict(entry.fields).get("title", ""))


def _check_result(
    bib: bibfile.BibText, text: str, expected: int, before_issues: Iterable[Issue]
) -> None:
    """Refuse to write a library that no longer parses to the entries it should hold."""
    if text == bib.text:
        return
    parsed = bibfile.parse(dataclasses.replace(bib, text=text))
    before = {i.code for i in before_issues}
    new_errors = [i for i in parsed.issues if i.severity is Severity.ERROR and i.code not in before]
    if len(parsed.entries) != expected or new_errors:
        detail = new_errors[0].message if new_errors else f"{len(parsed.entries)} entries"
        raise LibraryStateError(
            f"The merged library would not read back as expected ({detail}); nothing was written.",
            hint="This is a bug in cytobib import: please report it with the import file.",
        )


LOST = frozenset({"parse-error", "ris-unterminated", "macro-too-long"})
"""Issue codes of an import file that mean a part of it is not imported (a block the reader
skips, a record cut off, a macro not expanded); other errors (a field twice) are reported and
the work imported as BibTeX reads it."""


def require_readable(plan: ImportPlan, shown: int = 10) -> None:
    """Stop unless every block of the import file could be read.

    Raises:
        UnreadableImport: naming each block it cannot read (the first ``shown``).
    """
    from cytobib.errors import UnreadableImport

    bad = tuple(
        i
        for i in plan.issues
        if i.code in LOST and i.location is not None and i.location.path == plan.source
    )
    if not bad:
        return
    parts = "1 part" if len(bad) == 1 else f"{len(bad)} parts"
    lines = [f"{parts} of {plan.source} cannot be read; nothing was imported:"]
    for issue in bad[:shown]:
        lines.append(f"  {issue.location}: {issue.message}")
        if issue.hint:
            lines.append(f"      fix: {issue.hint}")
    if len(bad) > shown:
        lines.append(f"  and {len(bad) - shown} more")
    works = len(plan.added) + len(plan.merged)
    raise UnreadableImport(
        "\n".join(lines),
        bad,
        hint=f"Fix the file, or pass --keep-going to import the {works:,} works that can be read.",
    )
