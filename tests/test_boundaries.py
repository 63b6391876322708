"""Issue 12's smaller boundary defects, each as a user meets it: a clear message or the right
value, never a crash, a silent loss or a number that is not one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from crossref_server import CrossrefTestServer, synthetic_work, work_envelope
from cytobib import citekey

BIB = """@article{thin,
  title = {Interleukin-2 in melanoma},
  doi = {10.5555/thin},
}
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CrossrefTestServer]:
    srv = CrossrefTestServer().start()
    monkeypatch.setenv("CYTOBIB_CROSSREF_URL", srv.url)
    yield srv
    srv.stop()


@pytest.mark.parametrize(
    "text",
    [
        '<<<<<<< HEAD\n{"fields": {}}\n=======\n{"fields": {"a": {}}}\n>>>>>>> theirs\n',
        '{"fields": [1, 2], "dismissed": {}}\n',
        "\xff\xfe not utf-8",
    ],
    ids=["conflict-marker", "wrong-shape", "not-utf8"],
)
def test_broken_provenance_is_an_error_not_replaced(make_project, cli, server, text) -> None:
    """A provenance.json that does not parse stops enrich with exit 3 naming the file; the
    file and library.bib are left exactly as they were (it was silently replaced before)."""
    root = make_project(BIB)
    record = root / ".cytobib" / "provenance.json"
    record.parent.mkdir()
    record.write_bytes(text.encode("utf-8", "surrogateescape") if text[0] != "\xff" else b"\xff")
    before = (record.read_bytes(), (root / "library.bib").read_bytes())
    result = cli("enrich", "-C", root)
    assert result.code == 3, result.output
    assert ".cytobib/provenance.json" in result.err
    assert "Traceback" not in result.output
    assert (record.read_bytes(), (root / "library.bib").read_bytes()) == before


def test_provenance_error_names_the_line(make_project, cli, server) -> None:
    """A JSON syntax error is reported at its line and column."""
    root = make_project(BIB)
    (root / ".cytobib").mkdir()
    (root / ".cytobib" / "provenance.json").write_text('{\n  "fields": {,\n}\n')
    result = cli("enrich", "-C", root)
    assert ".cytobib/provenance.json:2:" in result.err


def test_dot_cytobib_file_is_a_clear_error(make_project, cli, server) -> None:
    """A file named .cytobib where the folder belongs: exit 3 with a message, no traceback."""
    root = make_project(BIB)
    (root / ".cytobib").write_text("not a folder\n")
    before = (root / "library.bib").read_bytes()
    result = cli("enrich", "-C", root)
    assert result.code == 3, result.output
    assert "internal error" not in result.output and ".cytobib" in result.err
    assert (root / "library.bib").read_bytes() == before


def test_nan_is_not_a_number_from_crossref(make_project, cli, server) -> None:
    """A work whose JSON holds NaN (not JSON, though Python parses it) is a bad answer:
    nothing is added, instead of ``volume = {nan}``."""
    root = make_project("")
    body = json.dumps(work_envelope(synthetic_work("10.5555/nan"))).replace(
        '"volume": "1"', '"volume": NaN'
    )
    server.works["10.5555/nan"] = (body.encode(), {"content-type": "application/json"})
    result = cli("add", "-C", root, "10.5555/nan")
    assert result.code == 4, result.output
    assert "nan" not in (root / "library.bib").read_text().lower()


def test_search_prints_only_the_rows_asked_for(make_project, cli, server) -> None:
    """A search answer with 20,000 items (two were asked for) lists two candidates."""
    root = make_project(
        "@article{nodoi,\n  author = {Doe, Jane},\n  title = {A quite unusual title},\n"
        "  year = 2001,\n}\n"
    )
    items = [dict(synthetic_work(f"10.5555/c{i}"), score=1.0) for i in range(20_000)]
    server.search_body = json.dumps(
        {"status": "ok", "message-type": "work-list", "message": {"items": items}}
    ).encode()
    result = cli("enrich", "-C", root)
    candidates = [line for line in result.out.splitlines() if "10.5555/c" in line]
    assert 0 < len(candidates) <= 2, result.out


def test_more_than_702_collisions_get_keys() -> None:
    """Suffixes go on past zz (aaa, aab ...): an import with 800 works of one base key does
    not crash (it raised ValueError after 702)."""
    taken = ["smith2020il2"]
    for _ in range(800):
        taken.append(citekey.free_key("smith2020il2", taken))
    assert len({k.lower() for k in taken}) == 801
    assert taken[703] == "smith2020il2aaa"


def test_keys_stay_unique_ignoring_case() -> None:
    """A key that differs only in case is taken (file systems that ignore case)."""
    assert citekey.free_key("Smith2020", ["smith2020"]) == "Smith2020a"


def test_annotation_linked_outside_is_never_read(make_project, cli, tmp_path) -> None:
    """A cloned project whose annotation links to a file outside it (think /etc/shadow):
    the file is not read, `check` names it as an error, and its text appears nowhere."""
    secret = tmp_path / "secret.yaml"
    secret.write_text("summary: the-secret-text\n", encoding="utf-8")
    root = make_project(BIB)
    (root / "annotations" / "thin.yaml").symlink_to(secret)
    check = cli("check", "-C", root)
    assert check.code == 1
    assert "annotation-outside-project" in check.out
    listing = cli("reading-list", "-C", root, "--format", "txt")
    assert "the-secret-text" not in check.output + listing.output


def test_annotation_fifo_does_not_hang(make_project, cli) -> None:
    """A FIFO named like an annotation is reported, not opened (opening it would block)."""
    import os

    root = make_project(BIB)
    os.mkfifo(root / "annotations" / "thin.yaml")
    result = cli("check", "-C", root)
    assert "annotation-not-a-file" in result.out


def test_build_dir_outside_the_project_needs_an_option(make_project, cli, tmp_path) -> None:
    """A cytobib.toml whose build_dir points outside the project does not make `build` write
    there; `-o` (the user's own choice) does."""
    root = make_project(BIB, extra_toml='\n[output]\nbuild_dir = "../elsewhere"\n')
    result = cli("build", "-C", root)
    assert result.code == 2, result.output
    assert not (tmp_path / "elsewhere").exists()
    chosen = tmp_path / "chosen"
    assert cli("build", "-C", root, "-o", chosen).code == 0
    assert (chosen / "reading-list.md").exists()


@pytest.mark.parametrize("name", ["reading-list.md", "export/library.bib"])
def test_a_link_in_build_leading_out_of_the_project_is_not_written_through(
    make_project, cli, tmp_path, name
) -> None:
    """A cloned project's build/ may hold a link to any file of the user's (~/.bashrc):
    `build` wrote its output through it. Now it refuses before writing anything; `-o`
    (the user's own choice) still writes through links as before."""
    root = make_project(BIB, {"thin": "summary: x\n"})
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's file\n")
    link = root / "build" / name
    link.parent.mkdir(parents=True)
    link.symlink_to(victim)
    result = cli("build", "-C", root)
    assert result.code == 2, result.output
    assert "outside the project" in result.err
    assert victim.read_text() == "the user's file\n"
    assert not (root / "build" / "review-table.md").exists()  # nothing was written


@pytest.mark.parametrize(
    ("args", "target"),
    [
        (("export", "--to", "bibtex"), "library.bib"),
        (("reading-list", "--format", "md"), "cytobib.toml"),
        (("review-table", "--format", "md"), "annotations/thin.yaml"),
        (("evidence-map", "--format", "md"), "annotations/new.md"),
        (("export", "--to", "ris"), ".cytobib/provenance.json"),
    ],
)
def test_output_never_replaces_the_projects_own_files(make_project, cli, args, target) -> None:
    """`-o library.bib` (or cytobib.toml, an annotation...) is refused with exit 2: it would
    replace the input with an output. Nothing changes."""
    from conftest import snapshot_tree

    root = make_project(BIB, {"thin": "summary: x\n"})
    (root / ".cytobib").mkdir()
    (root / ".cytobib" / "provenance.json").write_text("{}\n")
    before = snapshot_tree(root)
    result = cli(*args, "-C", root, "-o", root / target)
    assert result.code == 2, result.output
    assert "nothing was written" in result.err
    assert snapshot_tree(root) == before


def test_output_through_a_link_to_an_input_is_refused(make_project, cli) -> None:
    """A path that is a link to library.bib is library.bib."""
    root = make_project(BIB)
    (root / "out.bib").symlink_to(root / "library.bib")
    result = cli("export", "-C", root, "--to", "bibtex", "-o", root / "out.bib")
    assert result.code == 2, result.output


QUOTED = '@article{q1,\n  title = "a } b",\n  doi = {10.5555/q1},\n  year = 2020,\n}\n'


def test_quoted_value_with_a_stray_brace_is_reported(make_project, cli) -> None:
    """`check` said ok for a quoted value with an unbalanced brace (bibtex reads it
    otherwise); it is a bad-braces error at the entry's line."""
    root = make_project(QUOTED)
    result = cli("check", "-C", root)
    assert result.code == 1
    assert "bad-braces" in result.out


def test_enrich_of_an_entry_with_a_stray_brace_does_not_crash(make_project, cli, server) -> None:
    """enrich on that entry crashed with IndexError (exit 70); now it fills the entry and the
    value stays as the user wrote it."""
    root = make_project(QUOTED)
    result = cli("enrich", "-C", root, "--accept", "year")
    assert result.code == 0, result.output
    text = (root / "library.bib").read_text("utf-8")
    assert 'title = "a } b"' in text and "journal" in text


def test_stubs_never_carry_this_machines_paths(make_project, cli) -> None:
    """A project made by hand (no .cytobib/ schema copy): `annotate` writes the copy and
    points the stub at it relatively; it used to write site-packages' absolute path, which
    breaks on every other machine the project is cloned to."""
    root = make_project(BIB, toml='[library]\nbib = "library.bib"\n')
    assert cli("annotate", "-C", root, "thin").code == 0
    first = (root / "annotations" / "thin.yaml").read_text("utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../.cytobib/annotation.schema.json"
    assert (root / ".cytobib" / "annotation.schema.json").is_file()
