"""``cytobib zotero push``: the library's works, notes and tags into a Zotero library.

For each work: a linked item is updated in place (a three-way merge against the state both
sides last agreed on, :mod:`cytobib.zotero.state`); an unlinked one is matched to an existing
item (key, DOI, PMID, title + first author + year; :mod:`cytobib.zotero.match`) and adopted, or
created. Each item has one cytobib note (:mod:`cytobib.zotero.notes`), created once and updated
in place. Tags: cytobib's (agents, cancers, evidence, reading status, the user's tags and
keywords: :func:`cytobib.exports.record_tags`) are set; those it set earlier and the library
no longer gives are removed; tags added in Zotero stay. Extra gets ``Citation Key:``,
``PMID:``, ``PMCID:`` lines; the user's other lines stay.

Never overwritten silently: a field, tag list or note edited in Zotero since the last sync is
left as it is (and reported: ``pull`` brings it back); edited on both sides it is a conflict,
written only with ``overwrite``.

Writes: at most 50 objects a request (parents before their notes, whose keys cytobib mints and
records first, so that an interrupted run never makes a second item), each with the library
version in ``If-Unmodified-Since-Version``. A 412 means someone else wrote: the changes are
read, the plan is made again against them, and the rest is sent; the per-object versions of
each answer are recorded.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cytobib.errors import UsageError, ZoteroConflict
from cytobib.exports import record_tags
from cytobib.library import Project
from cytobib.model import Record, Severity
from cytobib.zotero import mapping, match, notes, remote
from cytobib.zotero.client import BATCH, Stale, WriteResult, ZoteroClient
from cytobib.zotero.remote import Remote
from cytobib.zotero.settings import ZoteroSettings
from cytobib.zotero.state import LibraryState, Link, SyncState, digest

KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
CHECKPOINT = 5.0
"""Seconds between saves of the sync record while batches go out (and always at the end, or
when anything stops the run). A save lost to a crash costs a re-read, never a duplicate: the
minted keys are recorded before the first request."""
MAX_CONFLICT_ROUNDS = 8
"""412s in a row survived (each followed by a re-read and a new plan) before giving up."""


@dataclass(frozen=True)
class FieldConflict:
    """A value edited on both sides since the last sync (or differing on an adopted item)."""

    key: str
    field: str
    ours: str
    theirs: str


@dataclass(frozen=True)
class Write:
    """One object to send, and what the sync record learns when Zotero saves it."""

    work: str  # citation key
    kind: str  # "item" | "note"
    payload: Mapping[str, Any]
    base: Mapping[str, str] = field(default_factory=dict)  # item: field digests after the write
    tags: tuple[str, ...] = ()  # item: the tags cytobib set
    note_digest: str | None = None  # note
    new: bool = False
    what: str = ""  # for the report: "create", "fields: title, date", "note", "tags +2 -1"


@dataclass
class PushPlan:
    """What a push would do, computed without writing."""

    writes: list[Write] = field(default_factory=list)
    links: dict[str, Link] = field(default_factory=dict)  # links to add or change
    conflicts: list[FieldConflict] = field(default_factory=list)
    edited_in_zotero: list[tuple[str, str]] = field(default_factory=list)  # (key, field)
    gone: list[str] = field(default_factory=list)
    adopted: list[tuple[str, str, str]] = field(default_factory=list)  # (key, item, how)
    candidates: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # linked works no longer in library.bib
    prune: list[str] = field(default_factory=list)  # their items to delete
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old key, new key)
    need_read: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # annotation files with errors
    unpulled: list[str] = field(default_factory=list)  # Zotero keys holding edits for pull
    unchanged: int = 0


@dataclass
class PushReport:
    """What ``cytobib zotero push`` did (or, with ``dry_run``, would do)."""

    library: str
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # key -> what changed
    adopted: list[tuple[str, str, str]] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[FieldConflict] = field(default_factory=list)
    edited_in_zotero: list[tuple[str, str]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    candidates: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    conflict_rounds: int = 0
    requests: int = 0
    writes: int = 0
    planned: list[Write] = field(default_factory=list)  # dry run: every object to send


def mint() -> str:
    """A new Zotero object key (8 characters of ``KEY_CHARS``, doc §3)."""
    return "".join(secrets.choice(KEY_CHARS) for _ in range(8))


# --- planning (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Merged:
    """The three-way merge of one item's flat fields: the ``changes`` to send, the ``base``
    both sides agree on now, the base ``after`` the changes are saved, and the fields that
    cannot be decided without reading the item (``unknown``)."""

    changes: dict[str, str | None]
    base: dict[str, str]
    after: dict[str, str]
    conflicts: list[FieldConflict]
    edited: list[str]
    unknown: list[str]


def merge_fields(
    key: str,
    ours: Mapping[str, str],
    theirs: Mapping[str, str] | None,
    base: Mapping[str, str],
    *,
    overwrite: bool = False,
    same: Callable[[str, str, str], bool] | None = None,
) -> Merged:
    """Per flat field: agreeing -> nothing; Zotero unchanged since the base -> ours; ours
    unchanged -> Zotero's stays (``edited``); an empty Zotero field and no base -> filled;
    both changed -> a conflict (ours only with ``overwrite``). ``theirs`` None: the item is
    unchanged since it was last seen, so it holds the base. ``same(field, ours, theirs)``
    tells an edit in notation only, which is neither reported nor a conflict."""
    empty = digest("")
    changes: dict[str, str | None] = {}
    agreed: dict[str, str] = {}
    after: dict[str, str] = {}
    conflicts: list[FieldConflict] = []
    edited: list[str] = []
    unknown: list[str] = []
    for name in sorted(set(ours) | set(base) | set(theirs or {})):
        mine = ours.get(name, "")
        mine_d = digest(mine)
        was = base.get(name)
        if theirs is None:
            if was is None and mine:
                unknown.append(name)  # never agreed on: the item must be read
                continue
            their_text = None
            their_d = was if was is not None else empty
        else:
            their_text = theirs.get(name, "")
            their_d = digest(their_text)
        if mine_d == their_d:
            agreed[name] = after[name] = mine_d
        elif was is not None and their_d == was:
            changes[name] = mine or None
            agreed[name] = was
            after[name] = mine_d
        elif was is not None and mine_d == was:
            if not (same and their_text is not None and same(name, mine, their_text)):
                edited.append(name)
            agreed[name] = after[name] = was
        elif was is None and not mine:
            continue  # Zotero has a value the entry lacks: pull's to bring
        elif (was is None and their_text == "") or overwrite:
            changes[name] = mine or None
            after[name] = mine_d
            if was is not None:
                agreed[name] = was
        else:
            conflicts.append(FieldConflict(key, name, mine, their_text or "(changed)"))
            if was is not None:
                agreed[name] = after[name] = was
    return Merged(changes, agreed, after, conflicts, edited, unknown)


def merge_tags(
    wanted: Sequence[str], pushed: Sequence[str], current: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]] | None:
    """The item's new tag list, or None when it stays: cytobib's tags set, those it set before
    and no longer wants removed, every other tag (a co-author's) kept with its type."""
    dropped = set(pushed) - set(wanted)
    kept = [dict(t) for t in current if t.get("tag") not in dropped]
    have = {t.get("tag") for t in kept}
    out = kept + [{"tag": t} for t in wanted if t not in have]
    same = [t.get("tag") for t in out] == [t.get("tag") for t in current]
    return None if same else out


class _Planner:
    """One push plan over the library (the running state of one :func:`plan_push` call)."""

    def __init__(
        self,
        project: Project,
        lib: LibraryState,
        remote_view: Remote,
        *,
        collection: str | None,
        overwrite: bool,
        prune: bool,
        read: Mapping[str, dict[str, Any]],
        children: Mapping[str, list[dict[str, Any]]],
    ) -> None:
        self.project = project
        self.lib = lib
        self.remote = remote_view
        self.collection = collection
        self.overwrite = overwrite
        self.prune = prune
        self.read = read  # items read for this plan (adoptions, linked items to rebuild)
        self.children = children  # the children of items to adopt
        self.plan = PushPlan()
        self.keys = {r.key for r in project.library}
        self.index = match.Index(
            (k, match.Fingerprint.from_json(v.get("fp"))) for k, v in lib.others.items()
        )
        for key, link in lib.links.items():  # a work renamed in library.bib keeps its item
            if key not in self.keys and not link.gone and link.fp:
                self.index.add("link:" + key, match.Fingerprint.from_json(link.fp))

    def data(self, key: str) -> dict[str, Any] | None:
        return self.read.get(key) or self.remote.objects.get(key)

    def run(self) -> PushPlan:
        seen: set[str] = set()
        blocked = broken_annotations(self.project)
        for record in self.project.library:
            if record.key in seen:
                continue  # a duplicate key: `cytobib check` reports it
            seen.add(record.key)
            link = self.lib.links.get(record.key)
            if record.key in blocked:
                # Half an annotation would be pushed as the whole: Zotero's note would lose
                # what the file's errors hide. Nothing of this work is sent.
                self.plan.blocked.append(record.key)
            elif link is None:
                self._unlinked(record)
            elif link.gone:
                self.plan.gone.append(record.key)
            elif not link.pending and self.remote.gone(link.item):
                self.plan.gone.append(record.key)
                self.plan.links[record.key] = replace(link, gone=True)
            else:
                self._linked(record, link)
        renamed = {old for old, _ in self.plan.renamed}
        for key, link in self.lib.links.items():
            if key in seen or key in renamed or link.gone:
                continue
            self.plan.removed.append(key)
            if self.prune and not link.pending and link.item not in self.remote.objects:
                self.plan.prune.append(key)
        return self.plan

    # -- one work ------------------------------------------------------------------------------

    def _linked(self, record: Record, link: Link, *, collections: list[str] | None = None) -> None:
        key = record.key
        data = self.data(link.item)
        if link.pending and data is None:
            self._create(record, link.item, link.note or mint())
            return
        kind = str((data or {}).get("itemType") or link.kind or mapping.item_type(record.entry))
        ours = mapping.wanted(record, kind)
        theirs = mapping.present(data) if data is not None else None
        merged = merge_fields(
            key,
            ours,
            theirs,
            link.fields,
            overwrite=self.overwrite,
            same=lambda name, a, b: mapping.same_value(kind, name, a, b),
        )
        wanted_tags = record_tags(record)
        extra_changes = any(n.startswith(mapping.EXTRA) for n in merged.changes)
        if data is None and (merged.unknown or extra_changes or list(wanted_tags) != link.tags):
            self.plan.need_read.append(link.item)  # plan_push reads it and plans again
            return
        self.plan.conflicts += merged.conflicts
        self.plan.edited_in_zotero += [(key, f) for f in merged.edited]
        if merged.conflicts or merged.edited:
            self.plan.unpulled.append(link.item)
        tags = merge_tags(wanted_tags, link.tags, data.get("tags") or []) if data else None
        new_link = replace(
            link, fields=dict(merged.base), fp=match.of_entry(record.entry).as_json()
        )
        new_link.kind = kind
        if data is not None:  # seen in Zotero: a minted key is confirmed
            new_link.pending = False
            new_link.item_version = int(data.get("version", link.item_version))
            if tags is None:
                new_link.tags = list(wanted_tags)  # every tag cytobib wants is there
        writes_before = len(self.plan.writes)
        if merged.changes or tags is not None or collections is not None:
            payload: dict[str, Any] = {"key": link.item}
            payload["version"] = (
                int(data.get("version", link.item_version)) if data else link.item_version
            )
            payload.update(mapping.item_changes(data or {}, merged.changes))
            what = []
            if merged.changes:
                what.append("fields: " + ", ".join(sorted(merged.changes)))
            if tags is not None:
                payload["tags"] = tags
                before = {t.get("tag") for t in (data or {}).get("tags") or []}
                now = {t.get("tag") for t in tags}
                what.append(f"tags +{len(now - before)} -{len(before - now)}")
            if collections is not None:
                payload["collections"] = collections
                what.append("added to the collection")
            tag_list = tuple(wanted_tags) if tags is not None else tuple(link.tags)
            self.plan.writes.append(
                Write(key, "item", payload, merged.after, tag_list, what="; ".join(what))
            )
        self._note(record, link, new_link)
        self.plan.links[key] = new_link
        if len(self.plan.writes) == writes_before:
            self.plan.unchanged += 1

    def _note(self, record: Record, link: Link, new_link: Link) -> None:
        key = record.key
        html = notes.note_html(record)
        ours = notes.content_digest(html)
        data = self.data(link.note) if link.note else None
        missing = link.note is None or self.remote.gone(link.note)
        if missing or (link.note_pending and data is None):
            note_key = link.note if link.note_pending and link.note else mint()
            new_link.note, new_link.note_pending = note_key, True  # known before the POST
            what = (
                "note created"
                if link.note is None or link.note_pending
                else ("note recreated (it was deleted in Zotero)")
            )
            payload = {"key": note_key, "itemType": "note", "parentItem": link.item, "note": html}
            self.plan.writes.append(
                Write(key, "note", payload, note_digest=ours, new=True, what=what)
            )
            return
        assert link.note is not None  # a missing note was planned as created above
        theirs = notes.content_digest(str(data.get("note", ""))) if data else link.note_digest
        if data is not None:
            new_link.note_pending = False
            new_link.note_version = int(data.get("version", link.note_version))
        if ours == theirs:
            new_link.note_digest = ours
            return
        if theirs == link.note_digest or self.overwrite:
            version = int(data.get("version", link.note_version)) if data else link.note_version
            update: dict[str, Any] = {"key": link.note, "version": version, "note": html}
            self.plan.writes.append(Write(key, "note", update, note_digest=ours, what="note"))
        elif ours == link.note_digest:
            self.plan.edited_in_zotero.append((key, "note"))
            self.plan.unpulled.append(link.note)
        else:
            self.plan.conflicts.append(
                FieldConflict(key, "note", "(edited in cytobib)", "(edited in Zotero)")
            )
            self.plan.unpulled.append(link.note)

    def _unlinked(self, record: Record) -> None:
        fp = match.of_entry(record.entry)
        found = self.index.match(fp)
        if found is None:
            candidates = self.index.candidates(fp)
            if candidates:
                self.plan.candidates.append((record.key, candidates))
            self._create(record, mint(), mint())
            return
        ident, how = found
        self.index.remove(ident)
        if ident.startswith("link:"):
            old = ident[len("link:") :]
            self.plan.renamed.append((old, record.key))
            self._linked(record, self.lib.links[old])
            return
        item = ident
        if self.remote.gone(item):  # deleted since it was seen: nothing to adopt
            self._create(record, mint(), mint())
            return
        self.plan.adopted.append((record.key, item, how))
        data = self.data(item)
        if data is None or item not in self.children:
            self.plan.need_read.append(item)  # the item and its notes, then planned again
            return
        note = _cytobib_note(self.children[item], record.key)
        link = Link(item=item, item_version=int(data.get("version", 0)))
        if note is not None:  # no base: a note that says something else is a conflict
            link.note = str(note["key"])
            link.note_version = int(note.get("version", 0))
            self.remote.objects.setdefault(link.note, note)
        collections = None
        if self.collection and self.collection not in (data.get("collections") or []):
            collections = [*list(data.get("collections") or []), self.collection]
        self._linked(record, link, collections=collections)

    def _create(self, record: Record, item: str, note: str) -> None:
        key = record.key
        flat = mapping.wanted(record)
        tags = record_tags(record)
        payload: dict[str, Any] = {"key": item, "itemType": mapping.item_type(record.entry)}
        payload.update(mapping.item_changes({}, flat))
        payload["tags"] = [{"tag": t} for t in tags]
        if self.collection:
            payload["collections"] = [self.collection]
        after = {name: digest(value) for name, value in flat.items()}
        html = notes.note_html(record)
        self.plan.writes.append(
            Write(key, "item", payload, after, tuple(tags), new=True, what="create")
        )
        self.plan.writes.append(
            Write(
                key,
                "note",
                {"key": note, "itemType": "note", "parentItem": item, "note": html},
                note_digest=notes.content_digest(html),
                new=True,
                what="note created",
            )
        )
        fp = match.of_entry(record.entry).as_json()
        self.plan.links[key] = Link(
            item=item,
            note=note,
            pending=True,
            note_pending=True,
            fp=fp,
            kind=str(payload["itemType"]),
        )


def broken_annotations(project: Project) -> set[str]:
    """Keys whose annotation file has errors (YAML, encoding, schema): their note would say
    less than the file means, so the sync leaves them alone until `cytobib check` is clean."""
    return {
        i.key
        for i in project.library.issues
        if i.key and i.severity is Severity.ERROR and i.code.startswith("annotation-")
    }


def _cytobib_note(children: Sequence[Mapping[str, Any]], key: str) -> dict[str, Any] | None:
    """cytobib's note among an item's children: one with the marker, this key's first."""
    found = None
    for data in children:
        if data.get("itemType") != "note":
            continue
        content = notes.read_note(str(data.get("note", "")))
        if content is None:
            continue
        if content.key == key:
            return dict(data)
        found = found or dict(data)
    return found


def plan_push(
    project: Project,
    lib: LibraryState,
    remote_view: Remote,
    client: ZoteroClient | None,
    *,
    collection: str | None = None,
    overwrite: bool = False,
    prune: bool = False,
) -> PushPlan:
    """What a push would send, against what was read (nothing is written). Items the plan
    needs but that were not read (an item to adopt and its notes; a linked item unchanged in
    Zotero whose tags or Extra must be rebuilt from it) are read through ``client``, then the
    plan is made again. Without a client they stay in ``need_read``."""
    read: dict[str, dict[str, Any]] = {}
    children: dict[str, list[dict[str, Any]]] = {}
    while True:
        plan = _Planner(
            project,
            lib,
            remote_view,
            collection=collection,
            overwrite=overwrite,
            prune=prune,
            read=read,
            children=children,
        ).run()
        wanted = sorted(
            {k for k in plan.need_read if k not in read and k not in remote_view.objects}
        )
        adopt = [item for _, item, _ in plan.adopted if item not in children]
        if client is None or not (wanted or adopt):
            return plan
        for obj in client.fetch(wanted):
            read[obj["key"]] = obj["data"]
        for item in adopt:
            children[item] = [c.get("data", c) for c in client.children(item)]
        for key in wanted:
            if key not in read:
                remote_view.deleted.add(key)  # not found: deleted (or trashed) meanwhile


# --- sending --------------------------------------------------------------------------------


Progress = Callable[[str, int | None], Callable[[int], None]]


def push(
    project: Project,
    settings: ZoteroSettings,
    client: ZoteroClient,
    *,
    dry_run: bool = False,
    overwrite: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    sleep: Callable[[float], None] | None = None,
) -> PushReport:
    """Push the library into ``settings.library`` (see the module docstring).

    Raises:
        UsageError: the local API was asked to write.
        ZoteroConflict: writes met a 412 :data:`MAX_CONFLICT_ROUNDS` times in a row.
        ZoteroError: the API failed otherwise (what was written so far is recorded).
    """
    if settings.local:
        raise UsageError(
            "Zotero 7's local API is read-only: push writes through the Web API.",
            hint="Drop --local (pull and status can read the local API).",
        )
    root = project.config.root
    report = PushReport(settings.library, dry_run=dry_run)
    with remote.sync_lock(root) if not dry_run else contextlib.nullcontext():
        state = SyncState.load(root)
        lib = state.library(settings.library)
        view = remote.read(client, lib, progress=progress)
        remote.note_others(lib, view)
        coll = remote.collection_key(client, lib, settings.collection, create=not dry_run)
        if settings.collection and coll is None:
            coll = f"(new collection {settings.collection!r})"
        rounds = 0
        while True:
            plan = plan_push(
                project, lib, view, client, collection=coll, overwrite=overwrite, prune=prune
            )
            if dry_run:
                for w in plan.writes:
                    _count(report, w)
                report.planned = list(plan.writes)
                report.pruned = list(plan.prune)
                _describe(report, plan)
                break
            try:
                _send(client, root, state, lib, view, plan, report, progress)
                _prune(client, root, state, lib, plan, report)
            except Stale:
                rounds += 1
                report.conflict_rounds = rounds
                if rounds > MAX_CONFLICT_ROUNDS:
                    raise ZoteroConflict(
                        f"{settings.library} kept changing while cytobib wrote to it "
                        f"({rounds} times in a row); what was written is recorded, nothing was "
                        "overwritten.",
                        hint="Run `cytobib zotero push` again when the others have finished.",
                    ) from None
                # The desktop client waits longer after each conflict (doc §10).
                (sleep or client.transport.clock.sleep)(min(30.0, 2.0 ** (rounds - 1)))
                remote.refresh(client, view)
                remote.note_others(lib, view)
                continue
            _describe(report, plan)
            break
        if not dry_run:
            lib.version = view.version
            lib.unpulled = sorted(set(lib.unpulled) | set(plan.unpulled))
            state.save(root)
    report.requests = client.stats.requests
    report.writes = client.stats.writes
    return report


def _describe(report: PushReport, plan: PushPlan) -> None:
    """What the last plan says beyond its writes: conflicts, Zotero edits, gone, removed."""
    report.conflicts = list(plan.conflicts)
    report.edited_in_zotero = list(plan.edited_in_zotero)
    report.gone = list(plan.gone)
    report.candidates = list(plan.candidates)
    report.removed = [k for k in plan.removed if k not in report.pruned or report.dry_run]
    report.adopted = list(dict.fromkeys([*report.adopted, *plan.adopted]))
    report.renamed = list(dict.fromkeys([*report.renamed, *plan.renamed]))
    report.blocked = list(plan.blocked)
    report.unchanged = plan.unchanged


def _count(report: PushReport, w: Write) -> None:
    """One write (sent, or planned in a dry run) in the report."""
    if w.kind == "item" and w.what == "create":
        if w.work not in report.created:
            report.created.append(w.work)
    elif not (w.kind == "note" and w.work in report.created):
        changes = report.updated.setdefault(w.work, [])
        if w.what not in changes:
            changes.append(w.what)


def _send(
    client: ZoteroClient,
    root: Path,
    state: SyncState,
    lib: LibraryState,
    view: Remote,
    plan: PushPlan,
    report: PushReport,
    progress: Progress | None,
) -> None:
    """Send the plan's writes in batches of 50 and record each answer. Minted keys are
    recorded before the first request. Raises Stale on a 412 (of the whole request, or of
    an object), after recording what was saved."""
    for old, _ in plan.renamed:
        lib.links.pop(old, None)
    lib.links.update(plan.links)
    state.save(root)
    writes = [w for w in plan.writes if w.kind == "item"]
    writes += [w for w in plan.writes if w.kind == "note"]  # parents first
    if not writes:
        return
    saved = time.monotonic()
    with _bar(progress, "writing to Zotero", len(writes)) as advance:
        try:
            for i in range(0, len(writes), BATCH):
                batch = writes[i : i + BATCH]
                result = client.write([w.payload for w in batch], view.version)
                stale = _record(lib, view, batch, result, report)
                view.version = lib.version = result.version  # a success: nobody wrote between
                advance(len(batch))
                if stale:
                    raise Stale("an object changed meanwhile")
                if time.monotonic() - saved > CHECKPOINT:
                    state.save(root)
                    saved = time.monotonic()
        finally:  # what was saved in Zotero is recorded, whatever stops the run
            state.save(root)


def _record(
    lib: LibraryState, view: Remote, batch: Sequence[Write], result: WriteResult, report: PushReport
) -> bool:
    """One answer into the sync record (each object's own version); True if an object was
    stale (its 412: someone edited it since it was read)."""
    stale = False
    failed = {f.index: f for f in result.failed}
    for i, w in enumerate(batch):
        link = lib.links.get(w.work)
        if link is None:
            continue
        if i in failed:
            f = failed[i]
            if f.code == 412:
                stale = True
                continue
            report.failed.append((w.work, f"{w.kind}: HTTP {f.code}: {f.message}"))
            if w.new and w.kind == "item" and link.pending:
                lib.links.pop(w.work, None)  # its minted keys were never used
            continue
        saved = result.successful.get(i)
        version = int(saved.get("version", result.version)) if saved else None
        if w.kind == "item":
            if version is not None:
                link.item_version = version
            link.fields = dict(w.base)
            link.tags = list(w.tags)
            link.pending = False
        else:
            if version is not None:
                link.note_version = version
            link.note = str(w.payload["key"])
            link.note_digest = w.note_digest
            link.note_pending = False
        if saved is not None:
            view.objects[str(w.payload["key"])] = dict(saved)
        _count(report, w)
    return stale


def _prune(
    client: ZoteroClient,
    root: Path,
    state: SyncState,
    lib: LibraryState,
    plan: PushPlan,
    report: PushReport,
) -> None:
    """Delete the items of works removed from library.bib (``--prune``), 50 a request, with
    the *library* version as the precondition (pyzotero's default is the first item's)."""
    keys = [k for k in plan.prune if k in lib.links]
    for i in range(0, len(keys), BATCH):
        batch = keys[i : i + BATCH]
        lib.version = client.delete([lib.links[k].item for k in batch], lib.version or 0)
        for k in batch:
            lib.links.pop(k, None)
            report.pruned.append(k)
        state.save(root)


@contextmanager
def _bar(progress: Progress | None, label: str, total: int) -> Iterator[Callable[[int], None]]:
    yield progress(label, total) if progress else (lambda n: None)
