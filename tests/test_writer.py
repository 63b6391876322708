"""Writing library.bib: field edits, splicing, atomic writes, and minimal diffs on real files."""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cytobib import bibfile, latex
from cytobib.bibfile import Change
from cytobib.errors import WriteError
from cytobib.model import Entry

ENTRY = """@article{smith2020,
  author = {Smith, Anna},
  title = "Old title",
  journal = NAR,
  year = 2020,
}"""


def write_edit(path: Path, key: str, updates: dict[str, str | None]) -> bibfile.Written:
    """Edit one entry through bibfile.update, the way every command writes library.bib."""
    src = bibfile.read_text(path)
    (entry,) = [e for e in bibfile.parse(src).entries if e.key == key]
    before = {name: entry.fields.get(name) for name in updates}
    edits = bibfile.Edits(fields=(bibfile.FieldEdit(key, before, updates),))
    return bibfile.update(src, edits, root=path.parent)


def source(text: str, path: str = "library.bib", newline: str = "\n") -> bibfile.BibText:
    return bibfile.BibText(path, text, "utf-8", newline)


# --- edit_fields -------------------------------------------------------------------------------


def test_edit_changes_only_the_value() -> None:
    """Changing a field replaces its value and leaves every other byte of the entry alone."""
    new = bibfile.edit_fields(ENTRY, {"title": "New title"})
    assert new == ENTRY.replace('"Old title"', "{New title}")


def test_edit_adds_field_after_last() -> None:
    """A new field goes after the last one with the entry's indentation."""
    new = bibfile.edit_fields(ENTRY, {"doi": "10.1000/xyz"})
    assert new == ENTRY.replace("year = 2020,\n", "year = 2020,\n  doi = {10.1000/xyz},\n")


def test_edit_adds_field_after_last_without_comma() -> None:
    """When the last field has no trailing comma, one is added before the new field."""
    raw = '@article{a,\n  title = "T",\n  year = 1989\n}'
    new = bibfile.edit_fields(raw, {"doi": "10.1/x"})
    assert new == '@article{a,\n  title = "T",\n  year = 1989,\n  doi = {10.1/x}\n}'


def test_edit_keeps_tab_indentation() -> None:
    """Zotero's tab indentation is reused for an added field."""
    raw = "@article{a,\n\ttitle = {T},\n\tyear = {2020},\n}"
    new = bibfile.edit_fields(raw, {"doi": "10.1/x"})
    assert new == "@article{a,\n\ttitle = {T},\n\tyear = {2020},\n\tdoi = {10.1/x},\n}"


def test_edit_removes_field_line() -> None:
    """Removing a field (value None) removes its whole line."""
    new = bibfile.edit_fields(ENTRY, {"journal": None})
    assert new == ENTRY.replace("  journal = NAR,\n", "")


def test_edit_uses_crlf_for_new_lines() -> None:
    """A field added to a CRLF entry is written with CRLF."""
    raw = "@article{a,\r\n  title = {T},\r\n}"
    new = bibfile.edit_fields(raw, {"year": "2020"}, newline="\r\n")
    assert new == "@article{a,\r\n  title = {T},\r\n  year = 2020,\r\n}"


def test_edit_field_names_ignore_case() -> None:
    """An update for `TITLE` changes the existing `title` field rather than adding one."""
    raw = '@ARTICLE{a,\nTITLE = "T",\nYEAR = 1990\n}'
    new = bibfile.edit_fields(raw, {"title": "U"})
    assert new == "@ARTICLE{a,\nTITLE = {U},\nYEAR = 1990\n}"


@pytest.mark.parametrize(
    ("value", "written"),
    [("2020", "2020"), ("feb", "feb"), ("Some title", "{Some title}"), ("", "{}")],
)
def test_format_value(value: str, written: str) -> None:
    """Numbers and month macros are written bare, everything else in braces."""
    assert bibfile.format_value(value) == written


def test_render_entry_layout() -> None:
    """A new entry is written with aligned `name = {value},` lines."""
    text = bibfile.render_entry("article", "k", [("title", "T"), ("year", "2020")])
    assert text == "@article{k,\n  title = {T},\n  year  = 2020,\n}"


def test_render_entry_parses_back() -> None:
    """A rendered entry reads back with the same fields."""
    text = bibfile.render_entry("book", "k", [("title", "A {B} c"), ("publisher", "P")])
    parsed = bibfile.parse(source(text + "\n"))
    assert dict(parsed.entries[0].fields) == {"title": "A {B} c", "publisher": "P"}


# --- apply_changes -----------------------------------------------------------------------------

TWO = "% comment\n@article{a, title = {A}}\n\n@article{b, title = {B}}\n% trailer\n"


def test_apply_replaces_one_entry() -> None:
    """Replacing one entry's span leaves all text around it untouched."""
    parsed = bibfile.parse(source(TWO))
    a = parsed.entries[0]
    out = bibfile.apply_changes(parsed.source, [Change(a.span, "@article{a, title = {Z}}")])
    assert out == TWO.replace("{A}", "{Z}")


def test_apply_deletes_entry_with_its_line() -> None:
    """Deleting an entry also removes the line break after it."""
    parsed = bibfile.parse(source(TWO))
    out = bibfile.apply_changes(parsed.source, [Change(parsed.entries[0].span, None)])
    assert out == "% comment\n\n@article{b, title = {B}}\n% trailer\n"


def test_apply_appends_after_blank_line() -> None:
    """Appended entries follow a blank line and end with a newline."""
    parsed = bibfile.parse(source(TWO))
    out = bibfile.apply_changes(parsed.source, [Change(None, "@misc{c}")])
    assert out == TWO + "\n@misc{c}\n"


def test_apply_appends_to_file_without_final_newline() -> None:
    """A file that does not end with a newline gets one before appended text."""
    src = source("@misc{a}")
    assert bibfile.apply_changes(src, [Change(None, "@misc{b}")]) == "@misc{a}\n\n@misc{b}\n"


def test_apply_appends_to_empty_file() -> None:
    """Appending to an empty file writes just the entry."""
    assert bibfile.apply_changes(source(""), [Change(None, "@misc{b}")]) == "@misc{b}\n"


def test_apply_rejects_overlapping_changes() -> None:
    """Two changes over the same text are a programming error, not a silent merge."""
    with pytest.raises(ValueError, match="overlapping"):
        bibfile.apply_changes(source(TWO), [Change((0, 10), "x"), Change((5, 12), "y")])


def test_preamble_and_comments_survive_edit() -> None:
    """@preamble, @comment and free text stay byte-identical when an entry changes."""
    text = (
        '@preamble{"\\newcommand{\\noopsort}[1]{}"}\n@comment{jabref-meta: x;}\n'
        "Free text.\n@article{a, title = {A}}\n"
    )
    parsed = bibfile.parse(source(text))
    entry = parsed.entries[0]
    new = bibfile.edit_fields(entry.raw, {"title": "B"})
    out = bibfile.apply_changes(parsed.source, [Change(entry.span, new)])
    assert out == text.replace("{A}", "{B}")


def test_crlf_file_stays_crlf(tmp_path: Path) -> None:
    """Editing and adding fields in a CRLF file writes CRLF everywhere."""
    path = tmp_path / "library.bib"
    path.write_bytes(
        b"@article{a,\r\n  title = {A},\r\n}\r\n\r\n@article{b,\r\n  title = {B},\r\n}\r\n"
    )
    write_edit(path, "a", {"title": "Z", "year": "2020"})
    data = path.read_bytes()
    assert b"year = 2020" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_cp1252_file_is_written_back_as_cp1252(tmp_path: Path) -> None:
    """A legacy-encoded file keeps its encoding: untouched accents keep their bytes."""
    path = tmp_path / "library.bib"
    path.write_bytes("@article{a,\n  title = {Café},\n}\n".encode("cp1252"))
    write_edit(path, "a", {"year": "2020"})
    assert path.read_bytes() == "@article{a,\n  title = {Café},\n  year = 2020,\n}\n".encode(
        "cp1252"
    )


def test_cp1252_file_refuses_unencodable_text(tmp_path: Path) -> None:
    """Text the legacy encoding cannot hold is a WriteError and the file is not touched."""
    path = tmp_path / "library.bib"
    original = "@article{a,\n  title = {Café},\n}\n".encode("cp1252")
    path.write_bytes(original)
    with pytest.raises(WriteError, match="cp1252"):
        write_edit(path, "a", {"title": "IFN-λ"})
    assert path.read_bytes() == original


def test_a_file_edited_meanwhile_keeps_the_edit_and_gets_the_change(tmp_path: Path) -> None:
    """A command planned its change on the old file; the user saved an edit meanwhile: the
    edit is kept and the planned change is applied to the new text (issue 12)."""
    path = tmp_path / "library.bib"
    path.write_text(ENTRY + "\n", encoding="utf-8")
    src = bibfile.read_text(path)
    (entry,) = bibfile.parse(src).entries
    edits = bibfile.Edits(
        fields=(bibfile.FieldEdit("smith2020", {"year": "2020"}, {"year": "2021"}),)
    )
    planned = bibfile.apply_changes(
        src, [Change(entry.span, bibfile.edit_fields(entry.raw, {"year": "2021"}))]
    )
    edited = ENTRY.replace("Old title", "Edited by hand meanwhile") + "\n"
    path.write_text(edited, encoding="utf-8")
    written = bibfile.update(src, edits, root=tmp_path, planned=planned)
    assert path.read_text(encoding="utf-8") == edited.replace("year = 2020", "year = 2021")
    assert written.skipped == ()


def test_a_field_changed_meanwhile_is_kept(tmp_path: Path) -> None:
    """The planned field itself was edited meanwhile: the user's value stays, and the
    skip is reported."""
    path = tmp_path / "library.bib"
    path.write_text(ENTRY + "\n", encoding="utf-8")
    src = bibfile.read_text(path)
    edits = bibfile.Edits(
        fields=(bibfile.FieldEdit("smith2020", {"year": "2020"}, {"year": "2021"}),)
    )
    edited = ENTRY.replace("year = 2020", "year = 1999") + "\n"
    path.write_text(edited, encoding="utf-8")
    written = bibfile.update(src, edits, root=tmp_path)
    assert path.read_text(encoding="utf-8") == edited
    assert written.kept("smith2020", "year")


# --- atomic writes -----------------------------------------------------------------------------


def test_atomic_write_replaces_content(tmp_path: Path) -> None:
    """atomic_write_bytes replaces the file's content and leaves no temp file."""
    path = tmp_path / "library.bib"
    path.write_bytes(b"old")
    bibfile.atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["library.bib"]


def test_atomic_write_keeps_permissions(tmp_path: Path) -> None:
    """The replaced file keeps the permission bits of the original."""
    path = tmp_path / "library.bib"
    path.write_bytes(b"old")
    path.chmod(0o640)
    bibfile.atomic_write_bytes(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_atomic_write_new_file_follows_umask(tmp_path: Path) -> None:
    """A new file gets the permissions open() would give, not mkstemp's private 0600."""
    mask = os.umask(0)
    os.umask(mask)
    path = tmp_path / "new.bib"
    bibfile.atomic_write_bytes(path, b"x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("step", ["replace", "fsync"])
def test_interrupted_write_leaves_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """Ctrl-C during the write leaves the original byte-identical and no temp file behind."""
    path = tmp_path / "library.bib"
    original = b"@article{a, title = {A}}\n"
    path.write_bytes(original)

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bibfile.atomic.os, step, interrupt)
    with pytest.raises(KeyboardInterrupt):
        bibfile.atomic_write_bytes(path, b"half-written")
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["library.bib"]


def test_failed_rename_is_write_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An OSError while replacing becomes a WriteError and the original is kept."""
    path = tmp_path / "library.bib"
    path.write_bytes(b"old")

    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bibfile.atomic.os, "replace", disk_full)
    with pytest.raises(WriteError, match="No space left"):
        bibfile.atomic_write_bytes(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["library.bib"]


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: permission bits do not stop root from writing",
)
def test_read_only_folder_is_write_error(tmp_path: Path) -> None:
    """Writing into a read-only folder is a WriteError; the file keeps its content."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "library.bib"
    path.write_bytes(b"old")
    folder.chmod(0o555)
    try:
        with pytest.raises(WriteError):
            bibfile.atomic_write_bytes(path, b"new")
    finally:
        folder.chmod(0o755)
    assert path.read_bytes() == b"old"


def test_unwritable_folder_is_write_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder that refuses new files (EACCES on the temp file) is a WriteError."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    path = tmp_path / "library.bib"
    path.write_bytes(b"old")
    monkeypatch.setattr(bibfile.atomic.tempfile, "mkstemp", refuse)
    with pytest.raises(WriteError, match="Permission denied"):
        bibfile.atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old"


def test_missing_folder_is_write_error(tmp_path: Path) -> None:
    """Writing into a folder that does not exist is a WriteError, not a FileNotFoundError."""
    with pytest.raises(WriteError):
        bibfile.atomic_write_bytes(tmp_path / "nope" / "library.bib", b"x")


def test_create_exclusive_creates(tmp_path: Path) -> None:
    """create_exclusive writes a new file and reports it."""
    path = tmp_path / "a.yaml"
    assert bibfile.create_exclusive(path, b"new") is True
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["a.yaml"]


def test_create_exclusive_never_overwrites(tmp_path: Path) -> None:
    """create_exclusive leaves an existing file alone and returns False."""
    path = tmp_path / "a.yaml"
    path.write_bytes(b"mine")
    assert bibfile.create_exclusive(path, b"stub") is False
    assert path.read_bytes() == b"mine"
    assert os.listdir(tmp_path) == ["a.yaml"]


def test_create_exclusive_missing_folder_is_write_error(tmp_path: Path) -> None:
    """create_exclusive into a missing folder is a WriteError."""
    with pytest.raises(WriteError):
        bibfile.create_exclusive(tmp_path / "nope" / "a.yaml", b"x")


# --- property: edit_fields against bibtexparser ------------------------------------------------

_FIELDS = [
    ("author", "{Smith, Anna and Lee, B.}"),
    ("title", '"A {Quoted} Title"'),
    ("journal", "NAR"),
    ("year", "1999"),
    ("pages", '"1--10"'),
    ("note", '{Braced, with "quotes" and \\{escapes\\}}'),
]

_value_text = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=40
).map(lambda t: " ".join(t.split()))


@st.composite
def _entries(draw: st.DrawFn) -> tuple[str, list[str]]:
    fields = draw(st.lists(st.sampled_from(_FIELDS), min_size=1, unique=True))
    indent = draw(st.sampled_from(["  ", "\t", ""]))
    sep = draw(st.sampled_from([" = ", "=", " =\t"]))
    trailing = draw(st.booleans())
    lines = [f"{indent}{name}{sep}{value}" for name, value in fields]
    body = ",\n".join(lines) + ("," if trailing else "")
    return "@article{key,\n" + body + "\n}", [name for name, _ in fields]


def _field_texts(raw: str) -> dict[str, str]:
    """Each field's `name = value` text (without the separating comma), by name."""
    layout = bibfile.scan_fields(raw)
    return {f.name: raw[f.start : f.value_end] for f in layout.fields}


@given(_entries(), st.sampled_from(["title", "doi", "year", "note", "abstract"]), _value_text)
def test_edit_fields_property(entry: tuple[str, list[str]], name: str, text: str) -> None:
    """edit_fields with any escaped value gives an entry bibtexparser reads back with that
    value, and every other field byte-identical."""
    from bibtexparser.entrypoint import parse_string

    raw, _names = entry
    value = latex.escape(text)
    new = bibfile.edit_fields(raw, {name: value})
    library = parse_string(new + "\n", parse_stack=[])
    assert len(library.failed_blocks) == 0
    (parsed,) = library.entries
    got = {f.key.lower(): f.value for f in parsed.fields}
    assert bibfile.resolve_value(got[name], {})[0] == value
    before, after = _field_texts(raw), _field_texts(new)
    assert {k: v for k, v in before.items() if k != name} == {
        k: v for k, v in after.items() if k != name
    }


# --- the key test: minimal diffs on real libraries ---------------------------------------------


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=cytobib-test", "-c", "user.email=test@example.org",
         "-c", "core.autocrlf=false", "-c", "commit.gpgsign=false", *args],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


def _committed_repo(tmp_path: Path, real_bib: Callable[..., Path], name: str) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    real_bib(name, "repo/library.bib")
    _git(repo, "init", "-q")
    _git(repo, "add", "library.bib")
    _git(repo, "commit", "-q", "-m", "import")
    return repo


def _edit_entry(path: Path, key: str, updates: dict[str, str | None]) -> Entry:
    """Edit one entry through the writer, the way commands do; returns the entry as it was."""
    src = bibfile.read_text(path)
    (entry,) = [e for e in bibfile.parse(src).entries if e.key == key]
    write_edit(path, key, updates)
    return entry


def _changed_lines(repo: Path) -> list[int]:
    """Old-file line numbers touched by the working-tree diff (insert points for additions)."""
    diff = _git(repo, "diff", "-U0", "library.bib")
    lines: list[int] = []
    for match in re.finditer(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", diff, re.M):
        start, count = int(match.group(1)), int(match.group(2) or "1")
        lines.extend(range(start, start + count) if count else [start])
    return lines


def _entry_lines(entry: Entry) -> range:
    return range(entry.line, entry.line + entry.raw.count("\n") + 1)


@pytest.mark.slow
def test_zotero_add_doi_touches_one_line(tmp_path: Path, real_bib: Callable[..., Path]) -> None:
    """Adding a DOI to one entry of the real Zotero export adds exactly one line, inside it."""
    repo = _committed_repo(tmp_path, real_bib, "gisurgonc-handbook-zotero.bib")
    entry = _edit_entry(repo / "library.bib", "zotero-item-1956", {"doi": "10.1234/cytobib"})
    assert _git(repo, "diff", "--numstat").split() == ["1", "0", "library.bib"]
    assert all(line in _entry_lines(entry) for line in _changed_lines(repo))
    assert "\tdoi = {10.1234/cytobib},\n" in (repo / "library.bib").read_text(encoding="utf-8")


@pytest.mark.slow
def test_zotero_change_title_touches_one_line(
    tmp_path: Path, real_bib: Callable[..., Path]
) -> None:
    """Changing one title in the real Zotero export rewrites only that title's line."""
    repo = _committed_repo(tmp_path, real_bib, "gisurgonc-handbook-zotero.bib")
    entry = _edit_entry(repo / "library.bib", "craig1381", {"title": "A new {IPAQ} title"})
    assert _git(repo, "diff", "--numstat").split() == ["1", "1", "library.bib"]
    assert _changed_lines(repo) == [entry.line + 1]


@pytest.mark.slow
def test_lab_file_edit_keeps_macros_and_quotes(
    tmp_path: Path, real_bib: Callable[..., Path]
) -> None:
    """Editing one entry of the macro-using lab file changes only that entry's lines; every
    @string reference and quoted value elsewhere (and in the entry) is kept as written."""
    repo = _committed_repo(tmp_path, real_bib, "eddyrivaslab-master.bib")
    path = repo / "library.bib"
    before = path.read_text(encoding="utf-8")
    entry = _edit_entry(path, "Levitt89", {"doi": "10.1073/pnas.86.9.3232"})
    after = path.read_text(encoding="utf-8")
    start, end = entry.span
    assert after[:start] == before[:start]
    assert after[len(after) - (len(before) - end) :] == before[end:]
    assert all(line in _entry_lines(entry) for line in _changed_lines(repo))
    new_entry = after[start : len(after) - (len(before) - end)]
    assert "journal = \t PNAS," in new_entry
    assert 'pages = \t "3232-3236",' in new_entry
    assert _git(repo, "diff", "--numstat").split() == ["2", "1", "library.bib"]


@pytest.mark.slow
def test_lab_file_edit_reparses_identically(tmp_path: Path, real_bib: Callable[..., Path]) -> None:
    """After one edit, every other entry of the lab file parses to the same fields."""
    path = real_bib("eddyrivaslab-master.bib")
    old = {e.key: e.fields for e in bibfile.parse(bibfile.read_text(path)).entries}
    _edit_entry(path, "Levitt89", {"title": "The {Tc2} transposon", "volume": None})
    new = {e.key: e.fields for e in bibfile.parse(bibfile.read_text(path)).entries}
    assert new.pop("Levitt89") != old.pop("Levitt89")
    assert new == old
