"""Caches of rendered items and derived values: a warm run must write exactly what a run
without caches writes, and any change of input must show."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import jinja2
import pytest

from cytobib import annotations as ann
from cytobib import csl, memo, rendering, views
from cytobib.formats import registry
from cytobib.library import Project, open_project
from cytobib.memo import Memo

ROOT = Path(__file__).resolve().parents[1]
TEXT_FORMATS = ("md", "html", "txt", "tex")


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1763769600")


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A copy of the shipped project, to edit."""
    root = tmp_path / "shipped"
    root.mkdir()
    shutil.copy(ROOT / "library.bib", root / "library.bib")
    shutil.copy(ROOT / "cytobib.toml", root / "cytobib.toml")
    shutil.copytree(ROOT / "annotations", root / "annotations")
    return root


def _render(project: Project, fmt: str, *, cached: bool = True) -> str:
    views.numbered_items.cache_clear()
    view = views.reading_list(project, style="vancouver", group_by="agent")
    ctx = rendering.context(project)
    if not cached:
        ctx = rendering.RenderContext(ctx.root, ctx.vocabulary, ctx.options, None)
    out = rendering.render(view, registry.get(fmt), ctx)
    assert isinstance(out, str)
    return out


def _no_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Any, *args: Any, **kwargs: Any) -> str:
        raise AssertionError("an unchanged item was rendered again")

    monkeypatch.setattr(jinja2.Template, "render", refuse)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_warm_render_is_the_cold_render_without_rendering_items(
    shipped: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = open_project(shipped)
    cold = _render(project, fmt)
    assert cold == _render(project, fmt, cached=False)
    with monkeypatch.context() as patch:
        _no_rendering(patch)
        assert _render(open_project(shipped), fmt) == cold


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_an_edited_annotation_shows_in_a_warm_render(shipped: Path, fmt: str) -> None:
    _render(open_project(shipped), fmt)
    path = sorted((shipped / "annotations").glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("summary:", "summary: Edited <here> & now.", 1), "utf-8")
    project = open_project(shipped)
    warm = _render(project, fmt)
    assert warm == _render(project, fmt, cached=False)
    assert "Edited" in warm


def test_an_edited_entry_shows_in_a_warm_render(shipped: Path) -> None:
    _render(open_project(shipped), "md")
    bib = shipped / "library.bib"
    text = bib.read_text(encoding="utf-8")
    assert "\n  title = {" in text
    bib.write_text(text.replace("\n  title = {", "\n  title = {Zzedited ", 1), "utf-8")
    project = open_project(shipped)
    warm = _render(project, "md")
    assert warm == _render(project, "md", cached=False)
    assert "Zzedited" in warm


def test_a_project_template_and_a_vocabulary_change_show(shipped: Path) -> None:
    before = _render(open_project(shipped), "md")
    (shipped / "templates").mkdir()
    (shipped / "templates" / "item.md.j2").write_text(
        "{{ number }}. OVERRIDE {{ citation }}\n", encoding="utf-8"
    )
    overridden = _render(open_project(shipped), "md")
    assert overridden != before
    assert "OVERRIDE" in overridden
    (shipped / "templates" / "item.md.j2").unlink()
    assert _render(open_project(shipped), "md") == before

    with (shipped / "cytobib.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[agents]]\nid = "zzagent"\nlabel = "Zzagent"\nclass = "cytokine"\n')
    project = open_project(shipped)
    assert _render(project, "md") == _render(project, "md", cached=False)


def test_a_damaged_render_cache_is_ignored(shipped: Path) -> None:
    cold = _render(open_project(shipped), "md")
    tables = list((Path(os.environ["CYTOBIB_CACHE_DIR"]) / "render").rglob("*.pickle"))
    assert tables
    for table in tables:
        table.write_bytes(b"\x80\x05not a pickle")
    assert _render(open_project(shipped), "md") == cold


def test_derived_values_follow_the_entry(shipped: Path) -> None:
    """Sort keys and CSL items are kept by the entry's content: an edit is seen."""
    project = open_project(shipped)
    first = views.select(project.library, project.vocabulary, where=None, sort="author")
    _render(project, "md")
    bib = shipped / "library.bib"
    text = bib.read_text(encoding="utf-8")
    key = first[0].key
    start = text.index(key)
    at = text.index("author", start)
    bib.write_text(text[:at] + "author = {Zzyzx, Zed},\n  x" + text[at:], "utf-8")
    project = open_project(shipped)
    cache = Path(os.environ["CYTOBIB_CACHE_DIR"])
    again = views.select(
        project.library, project.vocabulary, where=None, sort="author", cache_dir=cache
    )
    fresh = views.select(project.library, project.vocabulary, where=None, sort="author")
    assert [r.key for r in again] == [r.key for r in fresh]
    assert again[0].key != key
    assert "Zzyzx" in _render(project, "md")
    record = next(r for r in project.library if r.key == key)
    assert csl.to_csl(record)["author"][0]["family"] == "Zzyzx"


def test_memo_tables_keep_what_the_run_used(tmp_path: Path) -> None:
    path = tmp_path / "t.pickle"
    memo = Memo(path, "salt")
    assert memo.through(b"a", lambda: 1) == 1
    memo.put(b"b", 2)
    memo.save()
    again = Memo(path, "salt")
    assert again.get(b"a") == 1
    assert again.through(b"b", lambda: 99) == 2
    again.save()
    assert Memo(path, "other salt").get(b"a") is None  # another salt: nothing served
    third = Memo(path, "salt")
    assert third.get(b"a") == 1 and third.get(b"b") == 2
    before = path.stat().st_mtime_ns, path.stat().st_ino
    third.save()  # only "a" and "b" were used, so nothing is rewritten
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before
    path.write_bytes(b"garbage")
    assert Memo(path, "salt").get(b"a") is None


# --- annotation files not read again when their stat is unchanged ---------------------------


def _annotations(root: Path) -> dict[str, Any]:
    return {r.key: r.annotation for r in open_project(root).library if r.annotation}


def _assert_loaded_without_reading(
    root: Path, expected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Path.read_bytes

    def no_yaml(self: Path) -> bytes:
        if self.suffix == ".yaml":
            raise AssertionError(f"{self.name} was read again")
        return real(self)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_bytes", no_yaml)
        assert _annotations(root) == expected


def test_unchanged_annotation_files_are_not_read(
    shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memo, "RACY_NS", 0)
    cold = _annotations(shipped)
    _assert_loaded_without_reading(shipped, cold, monkeypatch)


def test_a_replaced_file_with_its_old_size_and_mtime_is_read(
    shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memo, "RACY_NS", 0)
    path = sorted((shipped / "annotations").glob("*.yaml"))[0]
    assert not _annotations(shipped)[path.stem].summary.startswith("Q")
    st = path.stat()
    text = path.read_bytes()
    at = text.index(b"summary: ") + len(b"summary: ")
    path.write_bytes(text[:at] + b"Q" + text[at + 1 :])  # one letter: the same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as rsync -t or cp -p would
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert _annotations(shipped)[path.stem].summary.startswith("Q")


def test_files_read_because_they_were_too_new_are_trusted_after_the_next_run(
    shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fresh files (a new clone) are read while within the racy window; once a run has read
    them outside it, their stamps are saved and trusted, not re-read forever."""
    now = time.time_ns()
    clock = {"t": now}
    monkeypatch.setattr(ann.time, "time_ns", lambda: clock["t"])
    cold = _annotations(shipped)  # started = now: the files are too new to trust
    clock["t"] = now + 10 * 10**9
    assert _annotations(shipped) == cold  # reads them again, and records that
    clock["t"] = now + 20 * 10**9
    _assert_loaded_without_reading(shipped, cold, monkeypatch)


def test_stray_files_in_the_templates_folder_are_harmless(shipped: Path) -> None:
    before = _render(open_project(shipped), "md")
    (shipped / "templates").mkdir()
    (shipped / "templates" / ".DS_Store").write_bytes(b"\x00\x01\xff\xfe binary")
    assert _render(open_project(shipped), "md") == before


def test_a_cache_that_cannot_be_written_fails_nothing(shipped: Path) -> None:
    project = open_project(shipped)
    for kind, name in (("render", "md.pickle"), ("derived", "csl-items.pickle")):
        (project.config.project_cache(kind) / name).mkdir(parents=True)
    assert _render(project, "md") == _render(project, "md", cached=False)


def test_an_escaped_doi_links_to_the_same_doi() -> None:
    """Entry.doi decodes %-escapes; the link must encode them again ('#' ends a URL)."""
    from cytobib.formats import templating
    from cytobib.model import Entry, Record
    from cytobib.vocabulary import build

    entry = Entry("k", "article", {"doi": r"https://doi.org/10.1000/jqr.2019.45\%23x"}, line=1)
    assert entry.doi == "10.1000/jqr.2019.45#x"
    context = templating._work_context(Record(entry), build(()))
    assert context["url"] == "https://doi.org/10.1000/jqr.2019.45%23x"
