"""`reading-list` writes its last output again when no input changed, and only then."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliResult
from cytobib import memo, uptodate

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
    monkeypatch.setattr(memo, "RACY_NS", 0)
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
    """Within memo.RACY_NS of the run, a file may have changed again without its stat showing it."""
    monkeypatch.setattr(memo, "RACY_NS", 60 * 10**9)
    out = shipped / "list.md"
    _list(cli, shipped, out)
    assert REUSED not in _list(cli, shipped, out).err


def test_a_failed_run_stores_nothing(cli: Cli, shipped: Path) -> None:
    result = cli("reading-list", "-C", shipped, "--where", "year >>> 3")
    assert result.code != 0
    assert not list((Path(os.environ["CYTOBIB_CACHE_DIR"]) / "outputs").rglob("*.out"))


def test_binary_outputs_are_reused_and_still_need_a_file(cli: Cli, shipped: Path) -> None:
    out = shipped / "list.docx"
    _list(cli, shipped, out)
    written = out.read_bytes()
    assert REUSED in _list(cli, shipped, out).err
    assert out.read_bytes() == written
    result = cli("reading-list", "-C", shipped, "--format", "docx")
    assert result.code != 0 and "needs a file" in result.output


def test_only_the_newest_outputs_are_kept(cli: Cli, shipped: Path) -> None:
    for n in range(uptodate.KEEP + 3):
        _list(cli, shipped, shipped / "list.md", "--title", f"List {n}")
    kept = list((Path(os.environ["CYTOBIB_CACHE_DIR"]) / "outputs").rglob("*.out"))
    assert len(kept) == uptodate.KEEP


def test_a_torn_stored_output_is_not_served(cli: Cli, shipped: Path) -> None:
    out = shipped / "list.md"
    _list(cli, shipped, out)
    written = out.read_bytes()
    (stored,) = (Path(os.environ["CYTOBIB_CACHE_DIR"]) / "outputs").rglob("*.out")
    stored.write_bytes(stored.read_bytes()[:-100])  # as a crash mid-write could leave it
    again = _list(cli, shipped, out)
    assert REUSED not in again.err
    assert out.read_bytes() == written


def test_an_unwritable_output_cache_still_writes_the_output(cli: Cli, shipped: Path) -> None:
    from cytobib.library import settings

    (settings(shipped).project_cache("outputs")).parent.mkdir(parents=True, exist_ok=True)
    (settings(shipped).project_cache("outputs")).write_text("a file where a folder goes")
    out = shipped / "list.md"
    assert REUSED not in _list(cli, shipped, out).err
    assert out.read_text(encoding="utf-8").startswith("# Reading list")
