"""``cytobib zotero status``: what a push would send and a pull would bring, writing nothing.

The push side is decided offline, from the library and the sync record alone (a work without a
link would be created or matched; a linked one whose fields, tags or note differ from the base
would be updated). The pull side needs one question to Zotero - ``?since=<version>
&format=versions`` and ``/deleted`` - unless ``offline``; then it says when the library was
last seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cytobib.exports import record_tags
from cytobib.library import Project
from cytobib.zotero import mapping, notes
from cytobib.zotero.client import ZoteroClient
from cytobib.zotero.settings import ZoteroSettings
from cytobib.zotero.state import SyncState, digest


@dataclass
class StatusReport:
    """Both sides of a sync at a glance."""

    library: str
    version: int | None  # the library version last seen (None: never synced)
    linked: int = 0
    to_create: list[str] = field(default_factory=list)
    to_update: dict[str, list[str]] = field(default_factory=dict)  # key -> what
    gone: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    checked: bool = False  # Zotero was asked (not offline)
    remote_version: int | None = None
    remote_changed: list[str] = field(default_factory=list)  # works changed in Zotero
    remote_new: int = 0  # objects no work is linked to (new items, their notes...)
    remote_deleted: list[str] = field(default_factory=list)
    requests: int = 0


def status(
    project: Project, settings: ZoteroSettings, client: ZoteroClient | None = None
) -> StatusReport:
    """What ``push`` and ``pull`` would do; ``client`` None: offline (the push side only)."""
    state = SyncState.load(project.config.root)
    lib = state.libraries.get(settings.library)
    links = lib.links if lib is not None else {}
    report = StatusReport(settings.library, lib.version if lib is not None else None)
    keys = set()
    for record in project.library:
        keys.add(record.key)
        link = links.get(record.key)
        if link is None or link.pending:
            report.to_create.append(record.key)
            continue
        if link.gone:
            report.gone.append(record.key)
            continue
        report.linked += 1
        what = []
        ours = mapping.wanted(record, link.kind or None)
        changed = sorted(
            n for n in set(ours) | set(link.fields)
            if digest(ours.get(n, "")) != link.fields.get(n, digest(""))
        )  # fmt: skip
        if changed:
            what.append("fields: " + ", ".join(changed))
        if list(record_tags(record)) != list(link.tags):
            what.append("tags")
        if notes.content_digest(notes.note_html(record)) != link.note_digest:
            what.append("note")
        if what:
            report.to_update[record.key] = what
    report.removed = sorted(k for k, link in links.items() if k not in keys and not link.gone)
    if lib is not None:  # edits a push saw in Zotero and left for pull: known offline too
        by_item, by_note = lib.by_item(), lib.by_note()
        left = {w for k in lib.unpulled if (w := by_item.get(k) or by_note.get(k))}
        report.remote_changed = sorted(left)
    if client is not None:
        report.checked = True
        snap = client.snapshot(lib.version if lib is not None and not settings.local else None)
        report.remote_version = snap.version
        by_item = lib.by_item() if lib is not None else {}
        by_note = lib.by_note() if lib is not None else {}
        changed_works = []
        for key, version in snap.changed.items():
            work = by_item.get(key) or by_note.get(key)
            if work is None:
                report.remote_new += 1
                continue
            link = links[work]
            seen = link.item_version if key == link.item else link.note_version
            if version != seen:
                changed_works.append(work)
        report.remote_changed = sorted(set(changed_works) | set(report.remote_changed))
        report.remote_deleted = sorted(
            {by_item.get(k) or by_note.get(k) or k for k in snap.deleted}
        )
        report.requests = client.stats.requests
    return report
