"""``cytobib zotero pull``: new items and edits from a Zotero library into the project.

Plan (nothing written) then apply, like ``cytobib import``:

* **linked works**: the fields edited in Zotero since the last sync (three-way, against the
  base in the sync record) are offered to the entry through :func:`cytobib.merge.plan`, the one
  place of field precedence: empty fields are filled, differing ones are conflicts, applied
  only with ``accept``/``overwrite``, and dismissed ones stay quiet;
* **cytobib's note** edited in Zotero comes back into ``annotations/KEY.yaml`` (only the
  fields that changed are rewritten; :mod:`cytobib.zotero.notes`). A note edited on both sides
  is a conflict (Zotero's wins with ``overwrite`` or ``accept=("note",)``); a note that no
  longer reads as cytobib's, or whose annotation fails the schema, is reported and nothing of
  it is applied;
* **new items** (in the collection, when one is set) are matched to unlinked entries (key,
  DOI, PMID, title + first author + year) and linked, or become new entries, with an
  annotation from their cytobib note when they have one and their other tags as keywords;
* **deletions** in Zotero are reported; entries are removed only with ``prune``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cytobib import annotations as ann
from cytobib import bibfile, latex, merge
from cytobib.bibfile.atomic import ChangedMeanwhile
from cytobib.citekey import free_key
from cytobib.errors import AnnotationFileError
from cytobib.importer.match import make_key
from cytobib.library import Project
from cytobib.lock import locked
from cytobib.model import Entry, Record
from cytobib.online.common import ordered
from cytobib.zotero import mapping, match, notes, remote
from cytobib.zotero.client import ZoteroClient
from cytobib.zotero.push import broken_annotations
from cytobib.zotero.remote import Remote
from cytobib.zotero.settings import ZoteroSettings
from cytobib.zotero.state import LibraryState, Link, SyncState, digest

_FACETS = ("agent:", "cancer:", "evidence:", "status:")
_BAD_KEY = frozenset(" ,{}()=\"#%'~\\")


@dataclass(frozen=True)
class AnnotationChange:
    """An annotation file to write: ``old`` is its bytes when planned (None: a new file)."""

    key: str
    path: Path
    old: bytes | None
    text: str


@dataclass
class PullPlan:
    """Everything a pull would change, computed without writing anything."""

    library: str
    source: bibfile.BibText
    edits: bibfile.Edits
    new_text: str
    merges: list[merge.Plan] = field(default_factory=list)
    added: list[tuple[str, str]] = field(default_factory=list)  # (key, item)
    adopted: list[tuple[str, str, str]] = field(default_factory=list)  # (key, item, how)
    annotations: list[AnnotationChange] = field(default_factory=list)
    note_conflicts: list[str] = field(default_factory=list)
    note_problems: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    notes_deleted: list[str] = field(default_factory=list)
    candidates: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    links: dict[str, Link] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)  # links removed with their entries
    unpulled: list[str] = field(default_factory=list)  # Zotero keys with edits still open
    version: int | None = None

    @property
    def conflicts(self) -> list[merge.Conflict]:
        return [c for p in self.merges for c in p.conflicts]

    @property
    def filled(self) -> dict[str, list[str]]:
        return {p.key: sorted(p.updates) for p in self.merges if p.updates}

    def diff(self, root: Path | None = None) -> str:
        """library.bib and the annotation files, as a unified diff (``--dry-run``)."""
        out = list(
            difflib.unified_diff(
                self.source.text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                "a/" + _shown(Path(self.source.path), root),
                "b/" + _shown(Path(self.source.path), root),
            )
        )
        for change in self.annotations:
            old = change.old.decode("utf-8", "replace") if change.old is not None else ""
            out += difflib.unified_diff(
                old.splitlines(keepends=True),
                change.text.splitlines(keepends=True),
                "a/" + _shown(change.path, root) if change.old is not None else "/dev/null",
                "b/" + _shown(change.path, root),
            )
        return "".join(line if line.endswith("\n") else line + "\n" for line in out)


@dataclass
class PullReport:
    """What ``cytobib zotero pull`` did (or, with ``dry_run``, would do)."""

    library: str
    plan: PullPlan
    dry_run: bool = False
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # changes a file changed meanwhile kept out
    requests: int = 0
    root: Path | None = None

    @property
    def diff(self) -> str:
        """What a dry run would write, as a unified diff (paths relative to the project)."""
        return self.plan.diff(self.root)


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


class _Planner:
    """One pull plan (the running state of one :func:`plan_pull` call)."""

    def __init__(
        self,
        project: Project,
        lib: LibraryState,
        view: Remote,
        settings: ZoteroSettings,
        *,
        collection: str | None,
        accept: Collection[str],
        overwrite: bool,
        prune: bool,
        children: Mapping[str, list[dict[str, Any]]],
    ) -> None:
        self.project = project
        self.lib = lib
        self.view = view
        self.settings = settings
        self.collection = collection
        self.accept = {a.strip().lower() for item in accept for a in item.split(",")}
        self.overwrite = overwrite
        self.prune = prune
        self.children = children
        self.source_name = "zotero:" + settings.library
        self.dismissed = merge.Provenance.load(project.config.root).dismissed
        self.fields: list[bibfile.FieldEdit] = []
        self.new: list[bibfile.NewEntry] = []
        self.removed: list[str] = []
        self.plan = PullPlan(settings.library, project.parsed.source, bibfile.Edits(), "")
        self.taken = {r.key.casefold() for r in project.library}
        self.blocked = broken_annotations(project)

    def run(self) -> PullPlan:
        library = self.project.library
        linked_items = self.lib.by_item()
        for key, link in self.lib.links.items():
            record = library.get(key)
            if record is None or link.pending:
                continue
            if link.gone or self.view.gone(link.item):
                self._deleted(key, link)
                continue
            self._linked(record, link)
        unlinked = [r for r in library if r.key not in self.lib.links]
        index = match.Index((r.key, match.of_entry(r.entry)) for r in unlinked)
        for item, data in sorted(self._new_items(linked_items).items()):
            self._new_item(item, data, index)
        return self.plan

    # -- linked works ------------------------------------------------------------------------

    def _deleted(self, key: str, link: Link) -> None:
        self.plan.deleted.append(key)
        if self.prune:
            self.removed.append(key)
            self.plan.dropped.append(key)
        else:
            self.plan.links[key] = dataclasses.replace(link, gone=True)

    def _linked(self, record: Record, link: Link) -> None:
        data = self.view.objects.get(link.item)
        new_link = dataclasses.replace(link, fields=dict(link.fields))
        if data is not None:
            self._fields(record, data, new_link, base=link.fields)
            if not self.settings.local:
                new_link.item_version = int(data.get("version", link.item_version))
        if link.note is not None:
            if self.view.gone(link.note):
                self.plan.notes_deleted.append(record.key)
            else:
                note = self.view.objects.get(link.note)
                if note is not None:
                    self._note(record, note, new_link, base=link.note_digest)
        self.plan.links[record.key] = new_link

    def _fields(
        self, record: Record, data: Mapping[str, Any], new_link: Link, *, base: Mapping[str, str]
    ) -> None:
        """Fields edited in Zotero since ``base`` -> merge.plan; the new base into ``new_link``."""
        entry = record.entry
        kind = str(data.get("itemType") or mapping.item_type(entry))
        ours = mapping.wanted(record, kind)
        theirs = mapping.present(data)
        changed: dict[str, str] = {}
        for name in sorted(set(theirs) | set(base)):
            value = theirs.get(name, "")
            if digest(value) == digest(ours.get(name, "")):
                new_link.fields[name] = digest(value)
            elif digest(value) != base.get(name) and value:
                changed[name] = value
        new_link.kind = kind
        incoming = mapping.bibtex_fields(kind, changed)
        if "author" in incoming and mapping.same_authors(entry, incoming["author"]):
            del incoming["author"]
        planned = merge.plan(
            entry,
            incoming,
            source=self.source_name,
            accept=self.accept,
            overwrite=self.overwrite,
            dismissed=self.dismissed,
        )
        if planned.updates or planned.conflicts or planned.dismissed:
            self.plan.merges.append(planned)
        if planned.updates:
            before = {n: entry.fields.get(n) for n in planned.updates}
            self.fields.append(bibfile.FieldEdit(entry.key, before, dict(planned.updates)))
        open_fields = {c.field for c in planned.conflicts}
        quiet = {c.field for c in planned.dismissed}
        after = Record(
            dataclasses.replace(entry, fields={**entry.fields, **planned.updates}),
            record.annotation,
        )
        ours_after = mapping.wanted(after, kind)
        for name, value in changed.items():
            produced = set(mapping.bibtex_fields(kind, {name: value})) or {name}
            if produced & open_fields:
                continue  # still a conflict: the base stays, push will not overwrite
            if produced & quiet:
                new_link.fields[name] = digest(value)  # dismissed: the user keeps theirs
            else:
                new_link.fields[name] = digest(ours_after.get(name, ""))

    def _note(
        self, record: Record, note: Mapping[str, Any], new_link: Link, *, base: str | None
    ) -> None:
        """cytobib's note edited in Zotero -> the annotation file (three-way)."""
        key = record.key
        html = str(note.get("note", ""))
        theirs = notes.content_digest(html)
        mine_html = notes.note_html(record)
        ours = notes.content_digest(mine_html)
        if not self.settings.local:
            new_link.note_version = int(note.get("version", new_link.note_version))
        if theirs == ours:
            new_link.note_digest = ours
            return
        if theirs == base:
            return  # edited in cytobib only: push sends it
        content = notes.read_note(html)
        problems = notes.problems(content, key)
        if key in self.blocked:
            problems.append(f"annotations/{key}.yaml has errors (`cytobib check` shows them)")
        if problems:
            self.plan.note_problems.append((key, "; ".join(problems)))
            return
        if base is not None and ours != base and not (self.overwrite or "note" in self.accept):
            self.plan.note_conflicts.append(key)
            return
        if (
            base is None
            and record.annotation is not None
            and not (self.overwrite or "note" in self.accept)
        ):
            self.plan.note_conflicts.append(key)  # an adopted note that says otherwise
            return
        assert content is not None
        change = self._annotation(
            record, notes.note_annotation(mine_html), dict(content.annotation or {})
        )
        if change is None:
            return
        if change.text:
            self.plan.annotations.append(change)
        new_link.note_digest = theirs

    def _annotation(
        self, record: Record, before: dict[str, Any], after: dict[str, Any]
    ) -> AnnotationChange | None:
        """The annotation file as the note says; None (reported) when it cannot be written."""
        key = record.key
        config = self.project.config
        try:
            path = ann.path_for(config.annotations, key)
        except AnnotationFileError as exc:  # an unsafe key: reported like a bad note
            self.plan.note_problems.append((key, str(exc)))
            return None
        try:
            old = path.read_bytes()
        except FileNotFoundError:
            old = None
        except OSError as exc:
            self.plan.note_problems.append((key, f"{path} cannot be read: {exc.strerror}"))
            return None
        try:
            if old is None:
                if not after:
                    return AnnotationChange(key, path, None, "")
                from cytobib.project import schema_ref_for

                text = notes.new_annotation(
                    key, record.entry.title, after, self.settings.library, schema_ref_for(config)
                )
            else:
                text = notes.updated_annotation(old.decode("utf-8-sig"), before, after)
        except (ValueError, UnicodeDecodeError, yaml.YAMLError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.plan.note_problems.append((key, f"{path.name} cannot take it: {why}"))
            return None
        if old is not None and text.encode("utf-8") == old:
            return AnnotationChange(key, path, old, "")
        return AnnotationChange(key, path, old, text)

    # -- new items ---------------------------------------------------------------------------

    def _new_items(self, linked: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """Items no work is linked to (in the collection, when one is set)."""
        out = {}
        for key, data in self.view.objects.items():
            if key in linked or not remote.is_item(data):
                continue
            if self.settings.collection and self.collection not in (data.get("collections") or []):
                continue
            out[key] = data
        return out

    def _new_item(self, item: str, data: dict[str, Any], index: match.Index) -> None:
        fp = match.of_item(data)
        found = index.match(fp)
        kids = self.view.notes_of(item) or list(self.children.get(item, []))
        note = _cytobib_note(kids)
        if found is not None:
            key, how = found
            index.remove(key)
            record = self.project.library.get(key)
            assert record is not None
            link = Link(item=item, note=note.get("key") if note else None)
            if not self.settings.local:
                link.item_version = int(data.get("version", 0))
            self.plan.adopted.append((key, item, how))
            self._fields(record, data, link, base={})
            if note is not None:
                self._note(record, note, link, base=None)
            self.plan.links[key] = link
            return
        candidates = index.candidates(fp)
        self._add(item, data, note, candidates)

    def _add(
        self,
        item: str,
        data: dict[str, Any],
        note: dict[str, Any] | None,
        candidates: tuple[str, ...],
    ) -> None:
        flat = mapping.present(data)
        kind = str(data.get("itemType", ""))
        fields = mapping.bibtex_fields(kind, flat)
        content = notes.read_note(str(note.get("note", ""))) if note else None
        problems = notes.problems(content, content.key if content else "") if note else []
        if content is not None and not problems:
            if content.authors_truncated and fields.get("author"):
                fields["author"] += " and others"
            if content.entry_note:
                fields["note"] = latex.escape(content.entry_note)
        keywords = _keywords(data, content if not problems else None)
        if keywords:
            fields["keywords"] = keywords
        wanted_key = flat.get(mapping.EXTRA + mapping.KEY_LABEL, "") or (
            content.key if content is not None else ""
        )
        key = _usable(wanted_key) or make_key(fields)
        key = free_key(key, self.taken)
        self.taken.add(key.casefold())
        if candidates:
            self.plan.candidates.append((key, candidates))
        entry_type = mapping.entry_type(data)
        self.new.append(
            bibfile.NewEntry(entry_type, key, tuple(ordered(fields)), fields.get("doi", ""))
        )
        self.plan.added.append((key, item))
        link = Link(item=item, note=str(note["key"]) if note else None)
        if not self.settings.local:
            link.item_version = int(data.get("version", 0))
        entry = Entry(key, entry_type, fields, 0)
        ours = mapping.wanted(Record(entry), kind)
        link.kind = kind
        # The base is what the new entry says in Zotero's terms: a value the mapping cannot
        # hold exactly reads as Zotero's own (kept), one the item lacks is filled by push.
        link.fields = {n: digest(ours.get(n, "")) for n in flat}
        if note is not None:
            if problems:
                self.plan.note_problems.append((key, "; ".join(problems)))
            elif content is not None and content.annotation:
                record = Record(entry)
                change = self._annotation(record, {}, dict(content.annotation))
                if change is not None and change.text:
                    self.plan.annotations.append(change)
                    link.note_digest = notes.content_digest(str(note.get("note", "")))
            if not self.settings.local:
                link.note_version = int(note.get("version", 0))
        self.plan.links[key] = link


def _cytobib_note(children: list[dict[str, Any]]) -> dict[str, Any] | None:
    for data in children:
        if data.get("itemType") == "note" and notes.read_note(str(data.get("note", ""))):
            return data
    return None


def _usable(key: str) -> str:
    key = key.strip()
    if not key or any(c in _BAD_KEY or c.isspace() for c in key) or not ann.is_safe_key(key):
        return ""
    return key


def _keywords(data: Mapping[str, Any], content: Any) -> str:
    """The entry's keywords: the note's list when it has one, else the item's tags that are
    not cytobib's facets or the annotation's own tags."""
    if content is not None and content.keywords is not None:
        tags = list(content.keywords)
    else:
        own = set((content.annotation or {}).get("tags", ())) if content is not None else set()
        tags = [
            str(t.get("tag", ""))
            for t in data.get("tags") or []
            if str(t.get("tag", "")).strip()
            and not str(t.get("tag", "")).lower().startswith(_FACETS)
            and t.get("tag") not in own
        ]
    tags = list(dict.fromkeys(t for t in tags if t.strip()))
    return ", ".join(
        "{" + latex.escape(t) + "}" if "," in t or ";" in t else latex.escape(t) for t in tags
    )


def plan_pull(
    project: Project,
    lib: LibraryState,
    view: Remote,
    settings: ZoteroSettings,
    client: ZoteroClient | None,
    *,
    collection: str | None = None,
    accept: Collection[str] = (),
    overwrite: bool = False,
    prune: bool = False,
) -> PullPlan:
    """What a pull would change (nothing is written). Items no work is linked to that an
    earlier push saw but did not read are read first, with their notes."""
    children: dict[str, list[dict[str, Any]]] = {}
    if client is not None:
        unpulled = [k for k in lib.unpulled if k not in view.objects and not view.gone(k)]
        found = client.fetch(sorted(set(unpulled))) if unpulled else []
        view.objects.update({o["key"]: o["data"] for o in found})
        linked = lib.by_item()
        wanted = [
            k
            for k, v in lib.others.items()
            if k not in view.objects
            and k not in linked
            and (not settings.collection or collection in v.get("collections", []))
        ]
        for obj in client.fetch(sorted(wanted)):
            view.objects[obj["key"]] = obj["data"]
            children[obj["key"]] = [c.get("data", c) for c in client.children(obj["key"])]
    planner = _Planner(
        project,
        lib,
        view,
        settings,
        collection=collection,
        accept=accept,
        overwrite=overwrite,
        prune=prune,
        children=children,
    )
    plan = planner.run()
    edits = bibfile.Edits(tuple(planner.fields), tuple(planner.new), tuple(planner.removed))
    plan.edits = edits
    plan.version = view.version
    open_keys = {c.key for c in plan.conflicts} | set(plan.note_conflicts)
    open_keys |= {k for k, _ in plan.note_problems}
    for key in open_keys:
        link = plan.links.get(key) or lib.links.get(key)
        if link is not None:
            plan.unpulled += [k for k in (link.item, link.note) if k]
    if edits:
        changes, _ = bibfile.changes_for(project.parsed, edits)
        plan.new_text = bibfile.apply_changes(project.parsed.source, changes)
    else:
        plan.new_text = project.parsed.source.text
    return plan


Progress = Callable[[str, int | None], Callable[[int], None]]


def pull(
    project: Project,
    settings: ZoteroSettings,
    client: ZoteroClient,
    *,
    accept: Collection[str] = (),
    overwrite: bool = False,
    dismiss: bool = False,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> PullReport:
    """Pull ``settings.library`` into the project (see the module docstring).

    Raises:
        LibraryStateError: library.bib kept changing while it was being written.
        WriteError: a file could not be written (the message says which were).
        ZoteroError: the API failed (nothing was written).
    """
    root = project.config.root
    with remote.sync_lock(root) if not dry_run else contextlib.nullcontext():
        state = SyncState.load(root)
        lib = state.library(settings.library)
        view = remote.read(client, lib, progress=progress)
        if not settings.local:
            remote.note_others(lib, view)
        coll = remote.collection_key(client, lib, settings.collection, create=False)
        plan = plan_pull(
            project, lib, view, settings, client,
            collection=coll, accept=accept, overwrite=overwrite, prune=prune,
        )  # fmt: skip
        report = PullReport(settings.library, plan, dry_run=dry_run, root=root)
        if not dry_run:
            apply_pull(project, settings, state, lib, plan, report, dismiss=dismiss)
    report.requests = client.stats.requests
    return report


def apply_pull(
    project: Project,
    settings: ZoteroSettings,
    state: SyncState,
    lib: LibraryState,
    plan: PullPlan,
    report: PullReport,
    *,
    dismiss: bool = False,
) -> None:
    """Write the plan under the project's write lock: library.bib, annotation files,
    provenance, the sync record."""
    root = project.config.root
    source = "zotero:" + settings.library
    with locked(root):
        written = None
        keys: dict[str, str] = {}
        if plan.edits:
            written = bibfile.update(plan.source, plan.edits, root=root, planned=plan.new_text)
            keys = dict(written.keys)
            report.written.append(Path(plan.source.path))
            report.skipped += [f"{s.key} {s.field or ''}: {s.why}".strip() for s in written.skipped]
        if plan.merges or plan.added or dismiss:
            prov = merge.Provenance.load(root)
            for p in plan.merges:
                applied = [n for n in p.updates if not (written and written.kept(p.key, n))]
                prov.record(p.key, applied, source)
            for n in plan.edits.new:
                if n.key in keys:
                    prov.record(keys[n.key], [name for name, _ in n.fields], source)
            if dismiss:
                prov.dismiss(plan.conflicts)
            prov.save(after=plan.source.path if written else None)
        _write_annotations(project, plan, keys, report)
        for key in plan.dropped:
            lib.links.pop(key, None)
        for key, link in plan.links.items():
            final = keys.get(key, key)
            if written is not None and key in {n.key for n in plan.edits.new} and key not in keys:
                continue  # the work was added meanwhile under another key: not linked
            lib.links[final] = link
            lib.others.pop(link.item, None)
        if not settings.local and plan.version is not None:
            lib.version = plan.version
        lib.unpulled = sorted(set(plan.unpulled))
        state.save(root)


def _write_annotations(
    project: Project, plan: PullPlan, keys: Mapping[str, str], report: PullReport
) -> None:
    if plan.annotations:
        from cytobib.project import ensure_local_schema

        ensure_local_schema(project.config)
    for change in plan.annotations:
        path = change.path
        if keys.get(change.key, change.key) != change.key:
            path = ann.path_for(path.parent, keys[change.key])
        if change.old is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if bibfile.create_exclusive(path, change.text.encode("utf-8")):
                report.written.append(path)
            else:
                report.skipped.append(f"{change.key}: {path} appeared meanwhile; it was kept")
            continue
        try:
            bibfile.atomic_write_bytes(
                path, change.text.encode("utf-8"), unchanged=(path, change.old)
            )
        except ChangedMeanwhile:
            report.skipped.append(f"{change.key}: {path} changed meanwhile; it was kept")
            continue
        report.written.append(path)
