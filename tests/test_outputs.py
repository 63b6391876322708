"""Output reuse (cytobib.outputs): every output command, and each file of `build`, writes its
last output again when no input changed, and only then; before anything is loaded."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliResult
from cytobib import outputs, rendering, store, views

ROOT = Path(__file__).resolve().parents[1]
REUSED = "output reused"
Cli = Callable[..., CliResult]


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped project; its files count as old enough to trust their stat."""
    root = tmp_path / "shipped"
    root.mkdir()
    shutil.copy(ROOT / "library.bib", root / "library.bib")
    shutil.copy(ROOT / "cytobib.toml", root / "cytobib.toml")
    shutil.copytree(ROOT / "annotations", root / "annotations")
    monkeypatch.setattr(outputs, "RACY_NS", 0)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1763769600")
    return root


def _list(cli: Cli, root: Path, out: Path, *options: str) -> CliResult:
    result = cli("reading-list", "-C", root, "-o", out, *options)
    assert result.code == 0, result.output
    return result


def test_a_second_run_with_nothing_changed_reuses_the_output(cli: Cli, shipped: Path) -> None:
    out = shipped / "list.md"
    first = _list(cli, shipped, out)
    assert REUSED not in first.err
    written = out.read_bytes()
    out.unlink()
    second = _list(cli, shipped, out)
    assert REUSED in second.err
    assert out.read_bytes() == written
    result = cli("reading-list", "-C", shipped)  # to stdout, from the same stored output
    assert result.code == 0 and result.out.encode() == written


@pytest.mark.parametrize(
    "change",
    [
        "annotation",
        "bib",
        "template",
        "config",
        "option",
        "date",
        "new file",
        "deleted file",
        "style file",
    ],
)
def test_any_changed_input_means_a_fresh_run(
    cli: Cli, shipped: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    out = shipped / "list.md"
    _list(cli, shipped, out)
    before = out.read_text(encoding="utf-8")
    notes = sorted((shipped / "annotations").glob("*.yaml"))
    options: tuple[str, ...] = ()
    if change == "annotation":
        text = notes[0].read_text(encoding="utf-8")
        notes[0].write_text(text.replace("summary:", "summary: Zzchanged.", 1), "utf-8")
    elif change == "bib":
        bib = shipped / "library.bib"
        text = bib.read_text(encoding="utf-8")
        bib.write_text(text.replace("\n  title = {", "\n  title = {Zzchanged ", 1), "utf-8")
    elif change == "template":
        (shipped / "templates").mkdir()
        (shipped / "templates" / "item.md.j2").write_text("{{ number }}. Zzchanged\n", "utf-8")
    elif change == "config":
        with (shipped / "cytobib.toml").open("a", encoding="utf-8") as fh:
            fh.write('\n[[agents]]\nid = "zzchanged"\nlabel = "Zzchanged"\nclass = "cytokine"\n')
    elif change == "option":
        options = ("--style", "apa")
    elif change == "date":
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1763856000")
    elif change == "new file":
        key = "benci2016tumor"
        shutil.move(str(shipped / "annotations" / f"{key}.yaml"), shipped / f"{key}.yaml")
        _list(cli, shipped, out)  # without it
        before = out.read_text(encoding="utf-8")
        shutil.move(str(shipped / f"{key}.yaml"), shipped / "annotations" / f"{key}.yaml")
    elif change == "deleted file":
        notes[0].unlink()
    elif change == "style file":  # not named .csl: a path all the same
        from cytobib import styles

        house = shipped / "styles" / "house.xml"
        house.parent.mkdir()
        shutil.copy(styles.resolve_style("vancouver").path, house)
        _list(cli, shipped, out, "--style", "styles/house.xml")
        before = out.read_text(encoding="utf-8")
        xml = house.read_text(encoding="utf-8")
        house.write_text(xml.replace('delimiter=", "', 'delimiter=" ; "', 1), "utf-8")
        options = ("--style", "styles/house.xml")
    again = _list(cli, shipped, out, *options)
    assert REUSED not in again.err
    if change != "config":  # a new agent nobody names changes no output, but is an input
        assert out.read_text(encoding="utf-8") != before
    if change in ("annotation", "bib", "template"):
        assert "Zzchanged" in out.read_text(encoding="utf-8")


def test_files_changed_just_before_the_last_run_are_not_trusted(
    cli: Cli, shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within outputs.RACY_NS of the run, a file may have changed again without its stat
    showing it."""
    monkeypatch.setattr(outputs, "RACY_NS", 60 * 10**9)
    out = shipped / "list.md"
    _list(cli, shipped, out)
    assert REUSED not in _list(cli, shipped, out).err


def _kept(root: Path) -> dict[str, int]:
    return {t.name: t.entries for t in store.info(root).tables}


def test_a_failed_run_stores_nothing(cli: Cli, shipped: Path) -> None:
    result = cli("reading-list", "-C", shipped, "--where", "year >>> 3")
    assert result.code != 0
    assert "outputs" not in _kept(shipped)


def test_binary_outputs_are_reused_and_still_need_a_file(cli: Cli, shipped: Path) -> None:
    out = shipped / "list.docx"
    _list(cli, shipped, out)
    written = out.read_bytes()
    assert REUSED in _list(cli, shipped, out).err
    assert out.read_bytes() == written
    result = cli("reading-list", "-C", shipped, "--format", "docx")
    assert result.code != 0 and "needs a file" in result.output


@pytest.mark.parametrize("value", [b"garbage", "text", 3, b'{"~t": [1, 2, 3]}'])
def test_a_damaged_kept_output_is_not_served(cli: Cli, shipped: Path, value: object) -> None:
    out = shipped / "list.md"
    _list(cli, shipped, out)
    written = out.read_bytes()
    with sqlite3.connect(store.store_path(shipped)) as db:
        db.execute("UPDATE entries SET value = ? WHERE tbl LIKE 'output%'", (value,))
    again = _list(cli, shipped, out)
    assert REUSED not in again.err
    assert out.read_bytes() == written


def test_an_unusable_store_still_writes_the_output(cli: Cli, shipped: Path) -> None:
    folder = store.store_path(shipped).parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the stores' folder goes")
    out = shipped / "list.md"
    assert REUSED not in _list(cli, shipped, out).err
    assert REUSED not in _list(cli, shipped, out).err
    assert out.read_text(encoding="utf-8").startswith("# Reading list")


def test_a_file_saved_during_the_run_is_not_filed_under_old_content(
    cli: Cli, shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An annotation edited while the list is made: the output is not kept, so the next run
    makes it again (with the edit)."""
    note = sorted((shipped / "annotations").glob("*.yaml"))[0]
    real = views.reading_list

    def edit_meanwhile(*args: object, **kwargs: object) -> views.ReadingList:
        view = real(*args, **kwargs)  # type: ignore[arg-type]
        text = note.read_text(encoding="utf-8")
        note.write_text(text.replace("summary:", "summary: Zzmeanwhile.", 1), "utf-8")
        return view

    out = shipped / "list.md"
    with monkeypatch.context() as patch:
        patch.setattr(views, "reading_list", edit_meanwhile)
        _list(cli, shipped, out)
    assert "Zzmeanwhile" not in out.read_text(encoding="utf-8")
    again = _list(cli, shipped, out)
    assert REUSED not in again.err
    assert "Zzmeanwhile" in out.read_text(encoding="utf-8")


# --- every command -----------------------------------------------------------------------------


def _nothing_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the project was loaded")

    monkeypatch.setattr(outputs, "open_project", refuse)
    monkeypatch.setattr(rendering, "open_project", refuse)


@pytest.mark.parametrize(
    "args",
    [
        ("review-table", "-o", "table.xlsx"),
        ("review-table", "--rows", "agent", "-o", "table.html"),
        ("evidence-map", "-o", "map.svg"),
        ("export", "-o", "library.ris"),
        ("export", "--to", "csl-json", "-o", "library.json"),
    ],
)
def test_every_output_command_reuses_its_output(
    cli: Cli, shipped: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    """The second run loads nothing, writes the same bytes, and reports as the first did."""
    out = shipped / args[-1]
    args = (*args[:-1], str(out), "-C", str(shipped))
    first = cli(*args)
    assert first.code == 0, first.output
    written = out.read_bytes()
    out.unlink()
    with monkeypatch.context() as patch:
        _nothing_loaded(patch)
        second = cli(*args)
    assert second.code == 0, second.output
    assert out.read_bytes() == written
    if args[0] == "export":
        assert second.err == first.err  # "exported N entries as FORMAT to PATH"


def test_a_warm_build_loads_nothing_and_rewrites_nothing(
    cli: Cli, shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = cli("build", "-C", shipped)
    assert first.code == 0, first.output
    files = sorted((shipped / "build").rglob("*.*"))
    stamps = {p: p.stat().st_mtime_ns for p in files}
    with monkeypatch.context() as patch:
        _nothing_loaded(patch)
        second = cli("build", "-C", shipped)
    assert second.code == 0, second.output
    assert {p: p.stat().st_mtime_ns for p in files} == stamps
    assert second.out.count("unchanged ") == len(files) == first.out.count("wrote ")
    assert "wrote " not in second.out


def test_a_build_after_an_edit_remakes_what_depends_on_it(cli: Cli, shipped: Path) -> None:
    """An edited note: the outputs change, and a deleted output file is written again."""
    assert cli("build", "-C", shipped).code == 0
    listing = shipped / "build" / "reading-list.md"
    note = sorted((shipped / "annotations").glob("*.yaml"))[0]
    text = note.read_text(encoding="utf-8")
    note.write_text(text.replace("summary:", "summary: Zzbuilt.", 1), "utf-8")
    (shipped / "build" / "export" / "library.ris").unlink()
    result = cli("build", "-C", shipped)
    assert result.code == 0, result.output
    assert "Zzbuilt" in listing.read_text(encoding="utf-8")
    assert (shipped / "build" / "export" / "library.ris").is_file()
    fresh = cli("--no-cache", "build", "-C", shipped, "-o", shipped / "fresh")
    assert fresh.code == 0
    for path in (shipped / "fresh").rglob("*.*"):
        assert (
            path.read_bytes()
            == (shipped / "build" / path.relative_to(shipped / "fresh")).read_bytes()
        )


def test_a_build_of_a_library_with_errors_warns_when_reused_too(cli: Cli, shipped: Path) -> None:
    bib = shipped / "library.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@article{broken,\n", "utf-8")
    first = cli("build", "-C", shipped)
    second = cli("build", "-C", shipped)
    assert first.code == second.code == 0
    assert "error(s)" in first.err
    seconds = re.compile(r"\(\d+\.\d s\)")  # the run's own time differs
    assert seconds.sub("(t)", first.err) == seconds.sub("(t)", second.err)


def test_a_file_that_holds_the_output_is_left_alone(
    cli: Cli, shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When -o names a file with exactly the reused output, nothing is read or written; a
    file that differs (edited by hand) is written again."""
    out = shipped / "list.md"
    _list(cli, shipped, out)
    stamp = out.stat().st_mtime_ns
    with monkeypatch.context() as patch:
        patch.setattr(outputs, "fetch", lambda *a: pytest.fail("the output was read"))
        again = _list(cli, shipped, out)
    assert "unchanged" in again.err and REUSED in again.err
    assert out.stat().st_mtime_ns == stamp
    written = out.read_bytes()
    out.write_bytes(written.replace(b"Reading list", b"Reading lust", 1))
    third = _list(cli, shipped, out)
    assert "wrote" in third.err and REUSED in third.err
    assert out.read_bytes() == written


@pytest.mark.parametrize("value", ["99999999999999", "9" * 30])
def test_a_source_date_epoch_out_of_range_is_ignored(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """The date stamped on outputs (and part of every output's key): SOURCE_DATE_EPOCH past
    year 9999 ended every output command with exit 70; like a value that is not a number,
    it is ignored."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert views.today() == dt.date.today().isoformat()


@pytest.mark.parametrize(
    "facts",
    [
        {"works": 14, "notices": 5},
        {"works": 14, "notices": [5]},
        {"count": 14, "format": "bibtex", "notices": [], "warnings": 3},
        {"works": [], "notices": {"~d": []}},
    ],
)
@pytest.mark.parametrize(
    "args",
    [("reading-list", "-o", "list.md"), ("export", "--to", "bibtex", "-o", "out.bib")],
    ids=["reading-list", "export"],
)
def test_kept_facts_of_another_shape_are_a_miss(
    cli: Cli, shipped: Path, facts: dict[str, object], args: tuple[str, ...]
) -> None:
    """A kept output's facts (what the command reports with it) whose values are not the
    shapes a command reads ended the reused run with exit 70 (iterating 5 as notices)."""
    out = shipped / args[-1]
    first = cli(*args[:-1], shipped / args[-1], "-C", shipped)
    assert first.code == 0, first.output
    written = out.read_bytes()
    out.unlink()
    with sqlite3.connect(store.store_path(shipped)) as db:
        rows = db.execute("SELECT key, value FROM entries WHERE tbl = 'output-runs'").fetchall()
        for key, value in rows:
            run = json.loads(value)
            run["~t"][1] = facts
            db.execute(
                "UPDATE entries SET value = ? WHERE tbl = 'output-runs' AND key = ?",
                (json.dumps(run).encode(), key),
            )
    again = cli(*args[:-1], shipped / args[-1], "-C", shipped)
    assert again.code == 0, again.output
    assert "internal error" not in again.output
    assert out.read_bytes() == written
