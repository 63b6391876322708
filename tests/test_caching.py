"""The caches wrapped around the pure steps (cytobib.caching): a warm run writes exactly what a
run without caches writes, any change of input shows, a damaged cache is a miss, the switch
turns every cache off, and nothing in cytobib can read data that runs code."""

from __future__ import annotations

import gc
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from cytobib import annotations as ann
from cytobib import checks, csl, rendering, store, views
from cytobib.formats import registry
from cytobib.library import Project, open_project
from cytobib.model import Issue, Severity
from cytobib.store import keys

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
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
    view = views.reading_list(project, style="vancouver", group_by="agent")
    ctx = rendering.context(project)
    if not cached:
        ctx = rendering.RenderContext(ctx.root, ctx.vocabulary, ctx.options)
    out = rendering.render(view, registry.get(fmt), ctx)
    assert isinstance(out, str)
    return out


def _run(root: Path, fmt: str = "md") -> str:
    """A whole run: load, view and render through the project's store, then write it."""
    with open_project(root) as project:
        return _render(project, fmt)


def _fresh(root: Path, fmt: str = "md") -> str:
    """The same without any cache."""
    return _render(open_project(root, store=None), fmt, cached=False)


@pytest.fixture
def no_rendering(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(self: Any, *args: Any, **kwargs: Any) -> str:
        raise AssertionError("an unchanged item was rendered again")

    with monkeypatch.context() as patch:
        patch.setattr(jinja2.Template, "render", refuse)
        yield


def _kept(root: Path) -> dict[str, int]:
    return {t.name: t.entries for t in store.info(root).tables}


# --- rendered items ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_warm_render_is_the_cold_render_without_rendering_items(
    shipped: Path, fmt: str, request: pytest.FixtureRequest
) -> None:
    """The second run renders no item and writes what a run without caches writes."""
    cold = _run(shipped, fmt)
    assert cold == _fresh(shipped, fmt)
    assert _kept(shipped)[f"rendered-{fmt}"] > 0
    request.getfixturevalue("no_rendering")
    assert _run(shipped, fmt) == cold


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_an_edited_annotation_shows_in_a_warm_render(shipped: Path, fmt: str) -> None:
    _run(shipped, fmt)
    path = sorted((shipped / "annotations").glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("summary:", "summary: Edited <here> & now.", 1), "utf-8")
    warm = _run(shipped, fmt)
    assert warm == _fresh(shipped, fmt)
    assert "Edited" in warm


def test_an_edited_entry_shows_in_a_warm_render(shipped: Path) -> None:
    _run(shipped)
    bib = shipped / "library.bib"
    text = bib.read_text(encoding="utf-8")
    assert "\n  title = {" in text
    bib.write_text(text.replace("\n  title = {", "\n  title = {Zzedited ", 1), "utf-8")
    warm = _run(shipped)
    assert warm == _fresh(shipped)
    assert "Zzedited" in warm


def test_a_project_template_and_a_vocabulary_change_show(shipped: Path) -> None:
    before = _run(shipped)
    (shipped / "templates").mkdir()
    (shipped / "templates" / "item.md.j2").write_text(
        "{{ number }}. OVERRIDE {{ citation }}\n", encoding="utf-8"
    )
    overridden = _run(shipped)
    assert overridden != before
    assert "OVERRIDE" in overridden
    (shipped / "templates" / "item.md.j2").unlink()
    assert _run(shipped) == before

    with (shipped / "cytobib.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[agents]]\nid = "zzagent"\nlabel = "Zzagent"\nclass = "cytokine"\n')
    assert _run(shipped) == _fresh(shipped)


def test_stray_files_in_the_templates_folder_are_harmless(shipped: Path) -> None:
    before = _run(shipped)
    (shipped / "templates").mkdir()
    (shipped / "templates" / ".DS_Store").write_bytes(b"\x00\x01\xff\xfe binary")
    assert _run(shipped) == before


# --- damaged, unwritable, off -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [b"\x80\x05not json", b'{"~t": [1]}', b"[]", 7, "text", b"{}", b'{"id": "x"}']
)
def test_damaged_rows_of_every_table_are_misses(shipped: Path, value: Any) -> None:
    """Rows that do not decode, or decode to another shape, in any table: the run is the
    fresh run, and the cache works again afterwards. (A text where rendered text is kept is
    the one damage that cannot be told: whoever can write it can write any value.)"""
    cold = _run(shipped)
    tables = _kept(shipped)
    assert {"parse", "annotations", "sort-keys", "csl-items", "references", "rendered-md"} <= set(
        tables
    )
    with sqlite3.connect(store.store_path(shipped)) as db:
        also = "AND tbl NOT LIKE 'rendered-%'" if value == "text" else ""
        db.execute(f"UPDATE entries SET value = ? WHERE 1 {also}", (value,))
    assert _run(shipped) == cold
    assert _run(shipped) == cold


def test_a_store_that_cannot_be_written_fails_nothing(shipped: Path) -> None:
    cold = _fresh(shipped)
    folder = store.store_path(shipped).parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the stores' folder goes")
    assert _run(shipped) == cold


def test_store_none_reads_and_writes_no_cache(
    shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """open_project(store=None) and a render of its views use no store that keeps anything,
    and leave the cache folder as it was."""
    _run(shipped)  # a filled store that would be read, if anything read it
    cache = Path(os.environ["CYTOBIB_CACHE_DIR"])
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*")}
    real_get, real_put = store.Store.get_many, store.Store.put_many

    def get_many(self: store.Store, *args: Any) -> Any:
        assert not self.enabled, "a cache was read"
        return real_get(self, *args)

    def put_many(self: store.Store, *args: Any) -> Any:
        assert not self.enabled, "a cache was written"
        return real_put(self, *args)

    monkeypatch.setattr(store.Store, "get_many", get_many)
    monkeypatch.setattr(store.Store, "put_many", put_many)
    project = open_project(shipped, store=None)
    view = views.reading_list(project, style="vancouver")
    assert rendering.render(view, registry.get("md"), rendering.context(project))
    project.close()
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*")} == before


def test_no_cache_means_no_cache_for_views_and_formats_too(shipped: Path) -> None:
    """open_project(use_cache=False) once left the sort keys, CSL items, references and
    rendered items reading and writing their caches: now nothing appears in the folder."""
    cache = Path(os.environ["CYTOBIB_CACHE_DIR"])
    project = open_project(shipped, use_cache=False)
    view = views.reading_list(project, style="vancouver", group_by="agent")
    rendering.render(view, registry.get("md"), rendering.context(project))
    table = views.review_table(project, style="apa", rows="agent")
    rendering.render(table, registry.get("html"), rendering.context(project))
    del project, view, table
    gc.collect()
    assert not [p for p in cache.rglob("*") if p.is_file()]


def test_a_changed_check_is_seen_through_the_parse_cache(
    shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parse cache keeps the checks' results, so other code must not be served them: it
    was keyed by the version number, and a changed check kept returning old messages."""
    with open_project(shipped) as project:
        assert "zz-new-check" not in {i.code for i in project.library.issues}

    def new_check(*args: Any, **kwargs: Any) -> list[Issue]:
        return [Issue(Severity.WARNING, "zz-new-check", "A check added by new code.")]

    monkeypatch.setattr(checks, "bib_checks", new_check)
    monkeypatch.setattr(keys, "code_salt", lambda: b"new code")  # what new code digests to
    with open_project(shipped) as project:
        assert "zz-new-check" in {i.code for i in project.library.issues}


def test_use_cache_false_still_means_no_cache(shipped: Path) -> None:
    """The older spelling keeps working for a release."""
    assert not open_project(shipped, use_cache=False).store.enabled


# --- values derived per entry ------------------------------------------------------------------


def test_derived_values_follow_the_entry(shipped: Path) -> None:
    """Sort keys and CSL items are kept by the entry's content: an edit is seen."""
    with open_project(shipped) as project:
        first = views.select(project.library, project.vocabulary, where=None, sort="author")
        _render(project, "md")
    bib = shipped / "library.bib"
    text = bib.read_text(encoding="utf-8")
    key = first[0].key
    start = text.index(key)
    at = text.index("author", start)
    bib.write_text(text[:at] + "author = {Zzyzx, Zed},\n  x" + text[at:], "utf-8")
    with open_project(shipped) as project:
        again = views.select(
            project.library,
            project.vocabulary,
            where=None,
            sort="author",
            formatter=views.default_formatter(project),
        )
        fresh = views.select(project.library, project.vocabulary, where=None, sort="author")
        assert [r.key for r in again] == [r.key for r in fresh]
        assert again[0].key != key
        assert "Zzyzx" in _render(project, "md")
        record = project.library.get(key)
        assert record is not None
        assert csl.to_csl(record)["author"][0]["family"] == "Zzyzx"


def test_unchanged_annotation_files_are_not_parsed_again(
    shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are read and hashed (no stat stamps), but only a changed one is parsed."""
    cold = {r.key: r.annotation for r in open_project(shipped, store=None).library}
    with open_project(shipped):
        pass
    parsed: list[str] = []
    parse_one = ann.parse_one

    def counting(data: bytes, key: str, shown: str, vocabulary: Any) -> ann.Loaded:
        parsed.append(key)
        return parse_one(data, key, shown, vocabulary)

    monkeypatch.setattr(ann, "parse_one", counting)
    with open_project(shipped) as project:
        assert {r.key: r.annotation for r in project.library} == cold
    assert parsed == []
    path = sorted((shipped / "annotations").glob("*.yaml"))[0]
    st = path.stat()
    text = path.read_bytes()
    at = text.index(b"summary: ") + len(b"summary: ")
    path.write_bytes(text[:at] + b"Q" + text[at + 1 :])  # one letter: the same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as rsync -t or cp -p would
    with open_project(shipped) as project:
        annotation = project.library.by_key[path.stem].annotation
    assert annotation is not None and annotation.summary.startswith("Q")
    assert parsed == [path.stem]


def test_an_escaped_doi_links_to_the_same_doi() -> None:
    """Entry.doi decodes %-escapes; the link must encode them again ('#' ends a URL)."""
    from cytobib.formats import templating
    from cytobib.model import Entry, Record
    from cytobib.vocabulary import build

    entry = Entry("k", "article", {"doi": r"https://doi.org/10.1000/jqr.2019.45\%23x"}, line=1)
    assert entry.doi == "10.1000/jqr.2019.45#x"
    context = templating._work_context(Record(entry), build(()))
    assert context["url"] == "https://doi.org/10.1000/jqr.2019.45%23x"


# --- the whole program ---------------------------------------------------------------------------


def test_no_pickle_anywhere_in_src() -> None:
    """No module of cytobib reads or writes data that can run code: the word does not occur
    in src, except in the glob that lets `cache clear --all` delete files of older versions."""
    legacy = re.compile(r'"[\w/*]*\*\.pickle"')
    found = []
    for path in sorted(SRC.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2", ".json", ".yaml", ".toml", ".txt"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "pickle" in legacy.sub("", line).lower():
                    found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert found == []


BIB_ONE = """@article{rosenberg1985il2,
  author = {Rosenberg, S. A.},
  title = {IL-2},
  journal = {N Engl J Med},
  year = {1985},
}
"""


def _cytobib(project: Path, env: dict[str, str], *args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cytobib", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_caches_off_create_nothing_and_change_no_byte(make_project: Any, tmp_path: Path) -> None:
    """Every output command and a build, run with CYTOBIB_NO_CACHE=1, leave the cache folder
    uncreated; their outputs are byte for byte those of a cold and of a warm cached run."""
    project = make_project(
        BIB_ONE, {"rosenberg1985il2": "summary: A note.\nagents: [{name: aldesleukin}]\n"}
    )
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYTOBIB_")}
    env.update(PYTHONPATH=str(SRC), CYTOBIB_CACHE_DIR=str(cache), SOURCE_DATE_EPOCH="1763769600")
    commands = [
        ("reading-list", "--style", "plain", "-o", "{out}/list.md"),
        ("reading-list", "--style", "plain", "-o", "{out}/list.html"),
        ("review-table", "--style", "plain", "-o", "{out}/table.csv"),
        ("review-table", "--style", "plain", "-o", "{out}/table.xlsx"),
        ("evidence-map", "--style", "plain", "-o", "{out}/map.svg"),
        ("export", "-o", "{out}/library.ris"),
        ("build", "--style", "plain", "-o", "{out}/build"),
    ]

    def everything(out: Path, **extra: str) -> dict[str, bytes]:
        for command in commands:
            _cytobib(project, {**env, **extra}, *(a.format(out=out) for a in command))
        return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    off = everything(tmp_path / "off", CYTOBIB_NO_CACHE="1")
    assert not cache.exists()
    cold = everything(tmp_path / "cold")
    assert cache.is_dir()
    warm = everything(tmp_path / "warm")
    assert len(off) == 6 + 11  # six commands, and a build of eleven files
    assert off == cold == warm
