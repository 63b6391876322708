"""cytobib zotero push/pull/status on the shipped library, against the stand-in API
(tests/zotero_api_server.py) through pyzotero's real HTTP path: issue 18's "Done when", a
co-author writing the same group library, and what must never happen (a second item, a second
note, a Zotero edit overwritten, a half-applied note)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyzotero", reason="Zotero sync needs pyzotero (README: Zotero sync)")

import cytobib
from cytobib.exports import record_tags
from cytobib.library import open_project
from cytobib.zotero import notes
from cytobib.zotero.state import SyncState
from zotero_api_server import (
    Before,
    FakeClock,
    Library,
    Trouble,
    ZoteroStandIn,
    client_for,
    recorded,
    running,
)

REPO = Path(__file__).resolve().parents[1]
KEY = "K" * 24
GROUP = "groups/123"
WORKS = 14  # the shipped library


@pytest.fixture
def server() -> Iterator[ZoteroStandIn]:
    with running() as srv:
        srv.library(GROUP, key=KEY)
        yield srv


@pytest.fixture
def lib(server: ZoteroStandIn) -> Library:
    return server.libraries[GROUP]


def _copy_shipped(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(REPO / "library.bib", root / "library.bib")
    shutil.copy(REPO / "cytobib.toml", root / "cytobib.toml")
    shutil.copytree(REPO / "annotations", root / "annotations")
    with (root / "cytobib.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[zotero]\nlibrary = "{GROUP}"\n')
    return root


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A writable copy of the shipped library, set to sync with groups/123."""
    return _copy_shipped(tmp_path / "shipped")


class Sync:
    """push/pull/status of one project against the stand-in, each run with a fresh client (as
    each command is), all on one fake clock."""

    def __init__(self, server: ZoteroStandIn, root: Path) -> None:
        self.server = server
        self.root = root
        self.clock = FakeClock()

    def client(self) -> Any:
        return client_for(self.server, GROUP, KEY, clock=self.clock)

    def push(self, **options: Any) -> Any:
        options.setdefault("client", self.client())
        return cytobib.zotero_push(open_project(self.root), **options)

    def pull(self, **options: Any) -> Any:
        options.setdefault("client", self.client())
        return cytobib.zotero_pull(open_project(self.root), **options)

    def status(self, **options: Any) -> Any:
        if not options.get("offline"):
            options.setdefault("client", self.client())
        return cytobib.zotero_status(open_project(self.root), **options)


@pytest.fixture
def sync(server: ZoteroStandIn, shipped: Path) -> Sync:
    return Sync(server, shipped)


def _writes(server: ZoteroStandIn) -> int:
    return len(server.writes())


def _note_of(lib: Library, key: str) -> dict[str, Any]:
    found = [n for n in lib.notes() if (notes.read_note(n["note"]) or _Empty).key == key]
    assert len(found) == 1, f"{len(found)} cytobib notes for {key}"
    return found[0]


class _Empty:
    key = ""


def _edit_note(lib: Library, key: str, old: str, new: str) -> None:
    """A co-author's edit of cytobib's note in Zotero (the desktop editor wraps it in a div)."""
    note = _note_of(lib, key)
    assert old in note["note"], old
    html = note["note"].replace(old, new)
    lib.edit(note["key"], note=f'<div data-schema-version="8">{html}</div>')


# --- Done when -------------------------------------------------------------------------------


def test_push_to_an_empty_library_creates_every_work_with_note_and_tags(
    sync: Sync, lib: Library, server: ZoteroStandIn
) -> None:
    """14 works -> 14 items, each with exactly one cytobib note (its key inside) and the
    record's tags; Extra carries the citation key; one POST for all 28 objects."""
    report = sync.push(progress=True)  # the bars of a terminal (rich, on stderr)
    project = open_project(sync.root)
    assert len(report.created) == WORKS
    assert len(lib.top()) == WORKS and len(lib.notes()) == WORKS
    by_key = {i["extra"].split("Citation Key: ")[1].split("\n")[0]: i for i in lib.top()}
    assert set(by_key) == {r.key for r in project.library}
    for record in project.library:
        item = by_key[record.key]
        note = _note_of(lib, record.key)
        assert note["parentItem"] == item["key"]
        assert [t["tag"] for t in item["tags"]] == record_tags(record)
    posts = [h for h in server.writes() if h.method == "POST"]
    assert len(posts) == 1
    assert all("if-unmodified-since-version" in h.headers for h in posts)


def test_second_push_changes_nothing(sync: Sync, server: ZoteroStandIn) -> None:
    """A push right after a push sends no write at all (and reads one versions list)."""
    sync.push()
    server.reset_log()
    report = sync.push()
    assert _writes(server) == 0
    assert report.writes == 0
    assert report.unchanged == WORKS
    assert len(server.hits) == 1


def test_note_edited_in_zotero_comes_back_with_pull(sync: Sync, lib: Library) -> None:
    """A co-author's edit of a claim in the Zotero note lands in annotations/KEY.yaml: that
    field's lines only; every other line of the file stays byte for byte."""
    sync.push()
    path = sync.root / "annotations" / "rosenberg2014il2.yaml"
    before = path.read_text(encoding="utf-8")
    _edit_note(lib, "rosenberg2014il2", "29 years.", "29 years (confirmed at follow-up).")
    report = sync.pull()
    assert [c.key for c in report.plan.annotations if c.text] == ["rosenberg2014il2"]
    after = path.read_text(encoding="utf-8")
    assert "29 years (confirmed at follow-up)." in after
    old_lines, new_lines = before.splitlines(), after.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert [b.split(":")[0] for _, b in changed] == ["  - text", "    quote"]
    record = open_project(sync.root).library.get("rosenberg2014il2")
    assert record is not None and record.annotation is not None
    assert any("follow-up" in c.text for c in record.annotation.claims)


def test_annotation_edited_in_cytobib_updates_the_same_note(
    sync: Sync, lib: Library, server: ZoteroStandIn
) -> None:
    """An annotation edited in cytobib updates the note in place: same note key, a newer
    version, no second note; nothing else is written."""
    sync.push()
    note = _note_of(lib, "benci2016tumor")
    path = sync.root / "annotations" / "benci2016tumor.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("priority: ", "priority: 5\n#", 1))
    server.reset_log()
    report = sync.push()
    assert report.updated == {"benci2016tumor": ["note"]}
    again = _note_of(lib, "benci2016tumor")
    assert again["key"] == note["key"] and again["version"] > note["version"]
    assert "Priority: 5" in again["note"]
    assert len(lib.notes()) == WORKS
    assert _writes(server) == 1


def test_412_storm_backoff_and_429_are_survived(
    sync: Sync, lib: Library, server: ZoteroStandIn
) -> None:
    """Three co-author writes just before three POSTs (three whole-request 412s), a Backoff
    and a 429: every work is created once, the co-author's items are intact, every pause the
    server asked for was taken."""
    for i in range(3):
        lib.put({"key": f"COAU{i}ABC".replace("0", "Z").replace("1", "Y").replace("2", "X"),
                 "itemType": "journalArticle", "title": f"Co-author's {i}"})  # fmt: skip
    theirs = {k: dict(v) for k, v in lib.objects.items()}

    def coauthor(library: Library) -> None:
        key = sorted(theirs)[len(server.before) % 3]
        library.edit(key, title=library.objects[key]["title"] + " (edited)")
        theirs[key] = dict(library.objects[key])

    server.before.append(Before("POST", "/items$", coauthor, times=3))
    server.trouble.append(Trouble("GET", "/items$", None, {"Backoff": "5"}))
    server.trouble.append(Trouble("POST", "/items$", 429, {"Retry-After": "11"}))
    report = sync.push()
    assert report.conflict_rounds == 3
    assert len(lib.top()) == WORKS + 3 and len(lib.notes()) == WORKS
    for key, data in theirs.items():
        assert lib.objects[key] == data  # co-author's items untouched
    assert 5.0 in sync.clock.sleeps and any(s >= 11 for s in sync.clock.sleeps)
    server.reset_log()
    assert sync.push().writes == 0


# --- never overwrite, never duplicate --------------------------------------------------------


def test_field_edited_in_zotero_is_kept_and_comes_back_as_a_conflict(
    sync: Sync, lib: Library
) -> None:
    """A title fixed in Zotero: push leaves it (reported); pull reports a conflict and keeps
    the library's; --accept title takes it; then both sides agree (0 writes)."""
    sync.push()
    item = next(i for i in lib.top() if "Citation Key: lasfar2011interferon" in i["extra"])
    lib.edit(item["key"], title="Interferon lambda: a new sword (co-author's title)", volume="")
    report = sync.push()
    assert ("lasfar2011interferon", "title") in report.edited_in_zotero
    assert lib.objects[item["key"]]["title"].endswith("(co-author's title)")
    bib_before = (sync.root / "library.bib").read_text(encoding="utf-8")
    pulled = sync.pull()
    assert [(c.key, c.field) for c in pulled.plan.conflicts] == [("lasfar2011interferon", "title")]
    assert (sync.root / "library.bib").read_text(encoding="utf-8") == bib_before
    sync.pull(accept=["title"])
    assert "co-author's title" in (sync.root / "library.bib").read_text(encoding="utf-8")
    final = sync.push()
    assert final.writes == 0 or final.updated.keys() <= {"lasfar2011interferon"}
    assert lib.objects[item["key"]]["title"].endswith("(co-author's title)")


def test_pull_fills_a_field_the_entry_lacks(sync: Sync, lib: Library) -> None:
    """A field added in Zotero fills the entry's empty field (fill-only), recorded as from
    Zotero in provenance."""
    sync.push()
    item = next(i for i in lib.top() if "Citation Key: anon0000immunotherapy" in i["extra"])
    lib.edit(item["key"], volume="12")
    report = sync.pull()
    assert report.plan.filled == {"anon0000immunotherapy": ["volume"]}
    entry = open_project(sync.root).library.get("anon0000immunotherapy")
    assert entry is not None and entry.entry.fields["volume"] == "12"
    prov = json.loads((sync.root / ".cytobib" / "provenance.json").read_text(encoding="utf-8"))
    assert prov["fields"]["anon0000immunotherapy"]["volume"]["source"] == f"zotero:{GROUP}"


def test_tags_added_in_zotero_stay_and_dropped_ones_go(sync: Sync, lib: Library) -> None:
    """A tag a co-author added stays; a tag cytobib set and the library no longer gives is
    removed; the rest are untouched."""
    sync.push()
    key = "rosenberg2014il2"
    item = next(i for i in lib.top() if f"Citation Key: {key}" in i["extra"])
    lib.edit(item["key"], tags=[*item["tags"], {"tag": "to discuss", "type": 0}])
    path = sync.root / "annotations" / f"{key}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  - name: til\n", "  - name: tilx\n"))
    sync.push()
    tags = [t["tag"] for t in lib.objects[item["key"]]["tags"]]
    assert "to discuss" in tags
    assert "agent: til" not in tags and "agent: tilx" in tags


def test_extra_keeps_the_users_lines(sync: Sync, lib: Library) -> None:
    """cytobib rewrites only its own Extra lines (PMID here); a co-author's stay."""
    sync.push()
    key = "skrombolas2014challenges"
    item = next(i for i in lib.top() if f"Citation Key: {key}" in i["extra"])
    lib.edit(item["key"], extra="Original date: 2013-12\n" + item["extra"])
    bib = sync.root / "library.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("24410537", "24410538"))
    sync.push()
    extra = lib.objects[item["key"]]["extra"]
    assert extra.startswith("Original date: 2013-12\n")
    assert "PMID: 24410538" in extra and "24410537" not in extra


def test_existing_item_is_linked_not_duplicated(sync: Sync, lib: Library) -> None:
    """A work already in the library (same DOI, added by a co-author) is linked and filled,
    not created again; its cytobib-less empty fields are filled, its own values kept."""
    lib.put({"itemType": "journalArticle", "title": "IL-2: the first effective immunotherapy",
             "DOI": "10.4049/JIMMUNOL.1490019", "volume": "", "extra": "Note: mine"})  # fmt: skip
    report = sync.push()
    assert [(k, how) for k, _, how in report.adopted] == [("rosenberg2014il2", "doi")]
    assert len(lib.top()) == WORKS and len(lib.notes()) == WORKS
    item = next(i for i in lib.top() if i.get("DOI") == "10.4049/JIMMUNOL.1490019")
    assert item["title"] == "IL-2: the first effective immunotherapy"
    assert item["volume"] == "192"
    assert item["extra"].startswith("Note: mine\nCitation Key: rosenberg2014il2")
    assert ("rosenberg2014il2", "title") in [(c.key, c.field) for c in report.conflicts]


def test_an_adopted_item_keeps_its_type(sync: Sync, lib: Library, server: ZoteroStandIn) -> None:
    """A work found in Zotero as a preprint stays a preprint: push sends only the fields a
    preprint has (no journal), and the note goes under it."""
    lib.put(
        {"itemType": "preprint", "title": "Tumor autonomous", "DOI": "10.1016/j.cell.2016.11.022"}
    )
    sync.push()
    item = next(i for i in lib.top() if i["itemType"] == "preprint")
    assert "Citation Key: benci2016tumor" in item["extra"]
    assert "publicationTitle" not in item
    assert _note_of(lib, "benci2016tumor")["parentItem"] == item["key"]
    assert sync.push().writes == 0


def test_a_push_killed_after_zotero_saved_makes_no_second_item(
    sync: Sync, lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The minted keys are recorded before the POST: a run killed right after Zotero saved
    the items, before it recorded the answer, is finished by the next one without a second
    item or note."""
    saves = {"n": 0}
    real = SyncState.save

    def dying(self: SyncState, root: Path) -> None:
        saves["n"] += 1
        if saves["n"] == 2:  # the first save after the POST
            raise KeyboardInterrupt
        real(self, root)

    monkeypatch.setattr(SyncState, "save", dying)
    with pytest.raises(KeyboardInterrupt):
        sync.push()
    monkeypatch.setattr(SyncState, "save", real)
    assert len(lib.top()) == WORKS
    report = sync.push()
    assert not report.created
    assert not report.adopted  # known by their keys, not found again by matching
    assert len(lib.top()) == WORKS and len(lib.notes()) == WORKS
    assert sync.push().writes == 0


def test_a_note_that_no_longer_reads_is_reported_not_applied(sync: Sync, lib: Library) -> None:
    """A note whose evidence level is not one cytobib knows is reported with the reason;
    the annotation file is not touched at all (never half-applied)."""
    sync.push()
    path = sync.root / "annotations" / "benci2016tumor.yaml"
    before = path.read_bytes()
    note = _note_of(lib, "benci2016tumor")
    assert "Evidence: preclinical-in-vivo" in note["note"]
    _edit_note(lib, "benci2016tumor", "Evidence: preclinical-in-vivo", "Evidence: very strong")
    report = sync.pull()
    assert [k for k, _ in report.plan.note_problems] == ["benci2016tumor"]
    assert "very strong" in report.plan.note_problems[0][1]
    assert path.read_bytes() == before


def test_an_annotation_file_with_errors_is_neither_pushed_nor_overwritten(
    sync: Sync, lib: Library
) -> None:
    """An annotation file that does not parse: push sends nothing of that work (its note in
    Zotero keeps everything), and pull does not write a co-author's edit into it, even when
    told to take Zotero's note; both say why."""
    sync.push()
    path = sync.root / "annotations" / "webster2009vivo.yaml"
    broken = path.read_text(encoding="utf-8") + "\nclaims: [unclosed\n"
    path.write_text(broken, encoding="utf-8")
    note = dict(_note_of(lib, "webster2009vivo"))
    report = sync.push()
    assert report.blocked == ["webster2009vivo"]
    assert _note_of(lib, "webster2009vivo") == note
    _edit_note(lib, "webster2009vivo", "Reading status: to-read", "Reading status: read")
    pulled = sync.pull(accept=["note"])
    assert "cytobib check" in dict(pulled.plan.note_problems)["webster2009vivo"]
    assert path.read_text(encoding="utf-8") == broken


def test_note_without_marker_is_reported_not_applied(sync: Sync, lib: Library) -> None:
    """A note rewritten without cytobib's marker line is reported, not applied."""
    sync.push()
    note = _note_of(lib, "eklund2004review")
    lib.edit(note["key"], note="<p>My own notes now.</p>")
    path = sync.root / "annotations" / "eklund2004review.yaml"
    before = path.read_bytes()
    report = sync.pull()
    assert "marker" in dict(report.plan.note_problems)["eklund2004review"]
    assert path.read_bytes() == before
    assert "eklund2004review" not in sync.push().updated  # Zotero's edit is not overwritten


# --- two clients ------------------------------------------------------------------------------


def test_two_clients_writing_one_group_library_lose_nothing(
    server: ZoteroStandIn, lib: Library, tmp_path: Path
) -> None:
    """cytobib in project A and a co-author's cytobib in project B (its own sync record)
    edit different works and the same one, and push and pull in turns: every edit ends up on
    both sides, the edit made on both sides is reported and kept, nothing is duplicated."""
    a = Sync(server, _copy_shipped(tmp_path / "a"))
    root_b = tmp_path / "b"
    root_b.mkdir()
    (root_b / "cytobib.toml").write_text(f'[zotero]\nlibrary = "{GROUP}"\n', encoding="utf-8")
    (root_b / "library.bib").write_text("", encoding="utf-8")
    b = Sync(server, root_b)
    a.push()
    pulled = b.pull()
    assert len(pulled.plan.added) == WORKS
    assert len(list((root_b / "annotations").glob("*.yaml"))) == WORKS
    assert b.push().writes == 0  # B's copy says what Zotero says

    def edit(root: Path, key: str, old: str, new: str) -> None:
        path = root / "annotations" / f"{key}.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text, (key, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    edit(a.root, "koreth2011interleukin2", "priority: ", "priority: 5\n#")
    edit(root_b, "webster2009vivo", "priority: ", "priority: 4\n#")
    edit(a.root, "lasfar2016ifn", "status: read", "status: skimmed")
    edit(root_b, "lasfar2016ifn", "status: read", "status: to-read")
    b.push()
    pushed = a.push()
    assert ("lasfar2016ifn", "note") in [(c.key, c.field) for c in pushed.conflicts]
    a.pull()
    b.pull()
    for sync_ in (a, b):
        library = open_project(sync_.root).library
        assert library.get("koreth2011interleukin2").annotation.priority == 5  # type: ignore[union-attr]
        assert library.get("webster2009vivo").annotation.priority == 4  # type: ignore[union-attr]
    assert open_project(a.root).library.get("lasfar2016ifn").annotation.status == "skimmed"  # type: ignore[union-attr]
    assert open_project(root_b).library.get("lasfar2016ifn").annotation.status == "to-read"  # type: ignore[union-attr]
    assert "Reading status: to-read" in _note_of(lib, "lasfar2016ifn")["note"]
    assert len(lib.top()) == WORKS and len(lib.notes()) == WORKS


def test_a_write_racing_a_coauthors_edit_of_the_same_note_keeps_both(
    sync: Sync, lib: Library
) -> None:
    """The co-author saves the note between cytobib's read and its write: the write is
    refused (412), the note re-read, the edit on both sides reported; Zotero keeps the
    co-author's words and the annotation file keeps cytobib's."""
    sync.push()
    key = "isambert2018fluorouracil"
    path = sync.root / "annotations" / f"{key}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("priority: ", "priority: 5\n#", 1))

    def coauthor(library: Library) -> None:
        _edit_note(library, key, "IRAFU, a single-arm", "IRAFU (co-author's words), a single-arm")

    sync.server.before.append(Before("POST", "/items$", coauthor))
    report = sync.push()
    assert report.conflict_rounds == 1
    assert (key, "note") in [(c.key, c.field) for c in report.conflicts]
    assert "co-author's words" in _note_of(lib, key)["note"]
    assert "priority: 5" in path.read_text(encoding="utf-8")


# --- pull: new items, deletions, prune ---------------------------------------------------------


def test_pull_brings_recorded_items_into_an_empty_project(
    server: ZoteroStandIn, lib: Library, tmp_path: Path
) -> None:
    """The 20 recorded items of Zotero's demo library (pyzotero-items_doc.json) become 20
    entries that read back without errors; none is a duplicate of another."""
    for item in recorded("pyzotero-items_doc.json"):
        data = dict(item["data"])
        data["key"] = (
            data["key"] if set(data["key"]) <= set("23456789ABCDEFGHIJKLMNPQRSTUVWXYZ") else None
        )
        lib.put({k: v for k, v in data.items() if k != "version" and v is not None})
    root = tmp_path / "empty"
    root.mkdir()
    (root / "library.bib").write_text("", encoding="utf-8")
    (root / "cytobib.toml").write_text(f'[zotero]\nlibrary = "{GROUP}"\n', encoding="utf-8")
    report = Sync(server, root).pull()
    project = open_project(root)
    assert len(report.plan.added) == len(project.library) == 20
    assert not [i for i in project.library.issues if i.severity.name == "ERROR"]
    pmid = [r for r in project.library if r.entry.fields.get("pmid") == "20664272"]
    assert len(pmid) == 1


def test_deletion_in_zotero_is_reported_and_applied_only_with_prune(
    sync: Sync, lib: Library
) -> None:
    """An item deleted in Zotero: pull reports it and changes nothing; pull --prune removes
    the entry; push never recreates it."""
    sync.push()
    item = next(i for i in lib.top() if "Citation Key: eklund2004review" in i["extra"])
    lib.remove(item["key"])
    bib = (sync.root / "library.bib").read_text(encoding="utf-8")
    report = sync.pull()
    assert report.plan.deleted == ["eklund2004review"]
    assert (sync.root / "library.bib").read_text(encoding="utf-8") == bib
    assert sync.push().gone == ["eklund2004review"]
    assert len(lib.top()) == WORKS - 1
    sync.pull(prune=True)
    assert open_project(sync.root).library.get("eklund2004review") is None


def test_push_prune_deletes_items_of_removed_works(
    sync: Sync, lib: Library, server: ZoteroStandIn
) -> None:
    """A work removed from library.bib: reported; push --prune deletes its item (and note)
    with one list delete carrying the library version."""
    sync.push()
    bib = sync.root / "library.bib"
    text = bib.read_text(encoding="utf-8")
    start = text.index("@article{webster2009vivo")
    end = text.index("\n}\n", start) + 3
    bib.write_text(text[:start] + text[end:], encoding="utf-8")
    assert sync.push().removed == ["webster2009vivo"]
    server.reset_log()
    report = sync.push(prune=True)
    assert report.pruned == ["webster2009vivo"]
    deletes = [h for h in server.hits if h.method == "DELETE"]
    assert len(deletes) == 1 and deletes[0].status == 204
    assert len(lib.top()) == WORKS - 1 and len(lib.notes()) == WORKS - 1


def test_renamed_key_keeps_its_item(sync: Sync, lib: Library) -> None:
    """A key renamed in library.bib (and its annotation file) is the same work: its item is
    updated (new Citation Key line), nothing is created or left behind."""
    sync.push()
    bib = sync.root / "library.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("{eklund2004review,", "{eklund2004,"))
    ann_dir = sync.root / "annotations"
    (ann_dir / "eklund2004review.yaml").rename(ann_dir / "eklund2004.yaml")
    report = sync.push()
    assert report.renamed == [("eklund2004review", "eklund2004")]
    assert not report.created and not report.removed
    assert len(lib.top()) == WORKS
    assert any("Citation Key: eklund2004\n" in i["extra"] + "\n" for i in lib.top())


def test_dry_runs_write_nothing_and_show_every_change(
    sync: Sync, lib: Library, server: ZoteroStandIn, snapshot: Callable[[Path], dict[str, str]]
) -> None:
    """push --dry-run lists all 28 objects and sends no write; pull --dry-run shows the
    diff of the annotation it would change; neither changes a file."""
    before = snapshot(sync.root)
    report = sync.push(dry_run=True)
    assert len(report.planned) == 2 * WORKS and len(report.created) == WORKS
    assert _writes(server) == 0 and snapshot(sync.root) == before
    sync.push()
    _edit_note(lib, "rosenberg2014il2", "29 years.", "29 years, and counting.")
    before = snapshot(sync.root)
    pulled = sync.pull(dry_run=True)
    assert "+++ b/annotations/rosenberg2014il2.yaml" in pulled.diff
    assert "+    quote: This patient has remained disease-free for the past 29 years, and" in (
        pulled.diff
    )
    assert snapshot(sync.root) == before


def test_collection_is_created_and_limits_pull(
    sync: Sync, lib: Library, server: ZoteroStandIn, tmp_path: Path
) -> None:
    """--collection: push creates it and files every new item in it; a pull into an empty
    project with that collection brings only its items."""
    lib.put({"itemType": "journalArticle", "title": "Outside the review"})
    sync.push(collection="Cytokine review")
    (coll,) = lib.collections.values()
    assert coll["name"] == "Cytokine review"
    assert sum(1 for i in lib.top() if coll["key"] in i.get("collections", [])) == WORKS
    root = tmp_path / "other"
    root.mkdir()
    (root / "library.bib").write_text("", encoding="utf-8")
    (root / "cytobib.toml").write_text(
        f'[zotero]\nlibrary = "{GROUP}"\ncollection = "Cytokine review"\n', encoding="utf-8"
    )
    report = Sync(server, root).pull()
    assert len(report.plan.added) == WORKS


def test_status_offline_and_online(sync: Sync, lib: Library) -> None:
    """status says what push would send (offline) and what pull would bring (one question
    to Zotero), and changes nothing."""
    first = sync.status(offline=True)
    assert len(first.to_create) == WORKS and not first.checked
    sync.push()
    _edit_note(lib, "rosenberg2014il2", "29 years.", "29 years!")
    path = sync.root / "annotations" / "benci2016tumor.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("priority: ", "priority: 5\n#", 1))
    report = sync.status()
    assert report.to_update == {"benci2016tumor": ["note"]}
    assert report.remote_changed == ["rosenberg2014il2"]
    assert report.requests == 2  # versions since, deleted since
    sync.push()  # sees the Zotero edit, leaves it for pull
    assert sync.status(offline=True).remote_changed == ["rosenberg2014il2"]


def test_local_api_pull(server: ZoteroStandIn, shipped: Path, tmp_path: Path) -> None:
    """pull --local reads Zotero 7's local API (users/0, no key, pages): a fresh project
    gets the works pushed through the Web API."""
    server.library("users/475425", key=KEY)
    server.local = "users/475425"
    web = Sync(server, shipped)
    web.client = lambda: client_for(server, "users/475425", KEY, clock=web.clock)  # type: ignore[method-assign]
    web.push(library="users/475425")
    root = tmp_path / "local"
    root.mkdir()
    (root / "library.bib").write_text("", encoding="utf-8")
    (root / "cytobib.toml").write_text('[zotero]\nlibrary = "users/475425"\n', encoding="utf-8")
    server.reset_log()
    local = client_for(server, "users/475425", None, local=True)
    report = cytobib.zotero_pull(open_project(root), local=True, client=local)
    assert len(report.plan.added) == WORKS
    assert all(h.path.startswith("/api/users/0/") and h.method == "GET" for h in server.hits)


# --- the command line -------------------------------------------------------------------------


def test_cli_push_pull_status_and_the_key_is_never_shown_or_stored(
    server: ZoteroStandIn, shipped: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commands through the CLI with the key in ZOTERO_API_KEY: exit 0, sensible output,
    and the key appears in no output and in no file of the project."""
    secret = "sEcReT" + "9" * 18
    server.keys[secret] = {GROUP}
    monkeypatch.setenv("ZOTERO_API_KEY", secret)
    monkeypatch.setenv("CYTOBIB_ZOTERO_URL", server.url)
    outputs = []
    for args in (("push",), ("push",), ("status",), ("pull", "--dry-run"), ("pull",)):
        result = cli("zotero", *args, "-C", shipped)
        assert result.code == 0, result.output
        outputs.append(result.output)
    assert "14 created" in outputs[0] and "0 writes" in outputs[1]
    for text in outputs:
        assert secret not in text
    for path in shipped.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_cli_bad_key_exits_4_and_no_library_exits_2(
    server: ZoteroStandIn, shipped: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused key is a network-class error (exit 4) with a hint; a project without a
    library setting is a usage error (exit 2); neither writes anything."""
    monkeypatch.setenv("ZOTERO_API_KEY", "wrong" * 5)
    monkeypatch.setenv("CYTOBIB_ZOTERO_URL", server.url)
    result = cli("zotero", "push", "-C", shipped)
    assert result.code == 4
    assert "error:" in result.err and "403" in result.err and "hint:" in result.err
    result = cli("zotero", "push", "--library", "mygroup", "-C", shipped)
    assert result.code == 2 and "groups/ID" in result.err
    assert not (shipped / ".cytobib" / "zotero.json").exists()


def test_cli_without_pyzotero_says_how_to_install_it(
    shipped: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without pyzotero the commands fail as a usage error (exit 2) whose hint gives the
    install line (pyzotero pins bibtexparser < 2); no traceback, nothing written."""
    monkeypatch.setitem(__import__("sys").modules, "pyzotero", None)
    monkeypatch.setenv("ZOTERO_API_KEY", KEY)
    result = cli("zotero", "push", "-C", shipped)
    assert result.code == 2
    assert "pyzotero" in result.err and "--no-deps" in result.err
    assert "Traceback" not in result.output
    assert not (shipped / ".cytobib").exists()


def test_cli_pull_local_reads_the_desktop_api(
    server: ZoteroStandIn, shipped: Path, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cytobib zotero pull --local` asks CYTOBIB_ZOTERO_LOCAL_URL (default 127.0.0.1:23119)
    with GETs only and no key; status --local too."""
    server.library("users/42", key=KEY)
    server.local = "users/42"
    monkeypatch.setenv("ZOTERO_API_KEY", KEY)
    monkeypatch.setenv("CYTOBIB_ZOTERO_URL", server.url)
    assert cli("zotero", "push", "--library", "users/42", "-C", shipped).code == 0
    root = tmp_path / "desk"
    root.mkdir()
    (root / "library.bib").write_text("", encoding="utf-8")
    (root / "cytobib.toml").write_text('[zotero]\nlibrary = "users/42"\n', encoding="utf-8")
    monkeypatch.setenv("CYTOBIB_ZOTERO_LOCAL_URL", server.url + "/api")
    server.reset_log()
    result = cli("zotero", "pull", "--local", "-C", root)
    assert result.code == 0, result.output
    assert "14 added" in result.out
    assert cli("zotero", "status", "--local", "-C", root).code == 0
    assert server.hits and all(
        h.method == "GET" and h.path.startswith("/api/") for h in server.hits
    )
    assert all("authorization" not in h.headers for h in server.hits)
