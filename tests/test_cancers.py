"""The cancer vocabulary: spellings and synonyms resolve, grouping and filters use canonical
names, unknown cancers are named with a suggestion, projects extend it, the packaged data holds."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from cytobib import open_project, views
from cytobib import vocabulary as voc
from cytobib.config import load_config
from cytobib.errors import ConfigError
from cytobib.library import Project
from cytobib.model import Annotation, Issue
from cytobib.query import compile_filter
from cytobib.styles import Reference
from cytobib.vocabulary import CANCERS, Vocabulary, build, normalize

ROOT = Path(__file__).resolve().parents[1]

BIB = """\
@article{uk2020, author = {Smith, Ann}, title = {Oesophageal}, journal = {J}, year = {2020}}
@article{us2021, author = {Jones, Bob}, title = {Esophageal}, journal = {J}, year = {2021}}
@article{eye2019, author = {Brown, Cy}, title = {Uveal}, journal = {J}, year = {2019}}
@article{skin2018, author = {Green, Di}, title = {Melanoma}, journal = {J}, year = {2018}}
@article{aml2017, author = {White, Ed}, title = {AML}, journal = {J}, year = {2017}}
"""
ANNOTATIONS = {
    "uk2020": "cancers: [oesophageal cancer]\n",
    "us2021": "cancers: [esophageal carcinoma]\n",
    "eye2019": "cancers: [ocular melanoma]\n",
    "skin2018": "cancers: [melanoma]\n",
    "aml2017": "cancers: [acute myeloid leukemia]\n",
}


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return build()


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Project:
    return open_project(make_project(BIB, ANNOTATIONS), store=None)


def items_of(project: Project) -> list[views.Item]:
    return [
        views.Item(record, n, Reference(record.key, str(n), "", ""))
        for n, record in enumerate(project.library, start=1)
    ]


def selected(project: Project, where: str) -> list[str]:
    predicate = compile_filter(where, project.vocabulary)
    return sorted(r.key for r in project.library if predicate(r))


def codes(issues: tuple[Issue, ...] | list[Issue]) -> set[str]:
    return {i.code for i in issues}


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cancer_id"),
    [
        ("oesophageal", "oesophageal-cancer"),
        ("esophageal", "oesophageal-cancer"),
        ("Esophageal Neoplasms", "oesophageal-cancer"),
        ("oesophageal carcinoma", "oesophageal-cancer"),
        ("RCC", "renal-cell-carcinoma"),
        ("Carcinoma, Renal Cell", "renal-cell-carcinoma"),
        ("NSCLC", "non-small-cell-lung-cancer"),
        ("non small cell lung cancer", "non-small-cell-lung-cancer"),
        ("CRC", "colorectal-cancer"),
        ("HCC", "hepatocellular-carcinoma"),
        ("HNSCC", "head-and-neck-squamous-cell-carcinoma"),
        ("GBM", "glioblastoma"),
        ("AML", "acute-myeloid-leukaemia"),
        ("acute myeloid leukemia", "acute-myeloid-leukaemia"),
        ("CLL", "chronic-lymphocytic-leukaemia"),
        ("DLBCL", "diffuse-large-b-cell-lymphoma"),
        ("CTCL", "cutaneous-t-cell-lymphoma"),
        ("hairy cell leukemia", "hairy-cell-leukaemia"),
        ("polycythemia vera", "polycythaemia-vera"),
        ("hematological malignancies", "haematological-malignancies"),
        ("solid tumors", "solid-tumours"),
    ],
)
def test_synonyms_and_spellings_resolve(vocabulary: Vocabulary, name: str, cancer_id: str) -> None:
    """Abbreviations, British and American spellings and MeSH headings name one cancer."""
    assert vocabulary.cancers.canonical(name) == cancer_id


def test_oesophageal_esophageal_and_the_mesh_heading_are_one_cancer(
    vocabulary: Vocabulary,
) -> None:
    """The issue's own example: three spellings, one id."""
    names = ("oesophageal", "esophageal", "Esophageal Neoplasms")
    assert {vocabulary.cancers.canonical(n) for n in names} == {"oesophageal-cancer"}


def test_agents_and_cancers_have_separate_indexes(vocabulary: Vocabulary) -> None:
    """A cancer name is not an agent and an agent name is not a cancer."""
    assert vocabulary.canonical("melanoma") is None
    assert vocabulary.cancers.canonical("IL-2") is None


def test_suggest_finds_misspelt_cancer(vocabulary: Vocabulary) -> None:
    """A misspelt cancer gets the intended cancer as the first suggestion."""
    assert vocabulary.cancers.suggest("oesophagal cancer")[0] == "oesophageal-cancer"


def test_ancestors_run_to_the_umbrella_term(vocabulary: Vocabulary) -> None:
    """AML's broader cancers run up to haematological malignancies, nearest first."""
    assert vocabulary.cancers.ancestors("acute-myeloid-leukaemia") == [
        "acute-myeloid-leukaemia",
        "acute-leukaemia",
        "leukaemia",
        "haematological-malignancies",
    ]


def test_annotation_keeps_what_was_written_and_adds_the_ids(project: Project) -> None:
    """`cancers` is the file's text; `cancer_ids` the canonical ids, one per name."""
    record = project.library.get("us2021")
    assert record is not None and record.annotation is not None
    assert record.annotation.cancers == ("esophageal carcinoma",)
    assert record.annotation.cancer_ids == ("oesophageal-cancer",)


def test_annotation_built_in_memory_uses_the_names() -> None:
    """Without a vocabulary (built by hand) the names stand for themselves."""
    ann = Annotation("k", "k.yaml", cancers=("melanoma",))
    assert ann.cancer_ids == ("melanoma",)


# --- grouping, tables, maps ----------------------------------------------------------------------


def test_grouping_merges_spelling_variants(make_project: Callable[..., Path]) -> None:
    """Works on "oesophageal cancer" and "esophageal carcinoma" fall into one cancer group."""
    root = make_project(BIB, {"uk2020": ANNOTATIONS["uk2020"], "us2021": ANNOTATIONS["us2021"]})
    project = open_project(root, store=None)
    groups = views.make_groups(items_of(project)[:2], "cancer", project.vocabulary)
    assert [(g.title, [i.record.key for i in g.items]) for g in groups] == [
        ("Oesophageal cancer", ["uk2020", "us2021"])
    ]


def test_group_by_cancer_class(project: Project) -> None:
    """--group-by cancer-class puts solid tumours before haematological malignancies."""
    groups = views.make_groups(items_of(project), "cancer-class", project.vocabulary)
    assert [(g.title, len(g.items)) for g in groups] == [
        ("Solid tumour", 4),
        ("Haematological malignancy", 1),
    ]


def test_review_table_cells_show_canonical_labels(project: Project) -> None:
    """The cancers column shows the label, not the spelling the annotation used."""
    record = project.library.get("us2021")
    assert record is not None
    assert views.cancer_labels(record, project.vocabulary) == ("Oesophageal cancer",)
    cells = views._cells(record, 1, ("cancers",), project.vocabulary)
    assert cells["cancers"] == ("Oesophageal cancer",)


def test_evidence_map_columns_merge_spelling_variants(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evidence map has one column for both spellings, citing both works."""
    root = make_project(
        BIB,
        {
            "uk2020": "agents: [IL-2]\ncancers: [oesophageal cancer]\n",
            "us2021": "agents: [Proleukin]\ncancers: [esophageal carcinoma]\n",
        },
    )
    project = open_project(root, store=None)
    items = tuple(i for i in items_of(project) if i.record.key in ("uk2020", "us2021"))
    monkeypatch.setattr(views, "numbered_items", lambda *a, **k: items)
    emap = views.evidence_map(project)
    assert emap.cols == ("Oesophageal cancer",)
    assert emap.cells == {("Aldesleukin (recombinant IL-2)", "Oesophageal cancer"): (1, 2)}


def test_unknown_cancer_keeps_its_name(make_project: Callable[..., Path]) -> None:
    """A cancer the vocabulary does not know is grouped and shown as written."""
    root = make_project(BIB, {"uk2020": "cancers: [zebrafish tumour]\n"})
    project = open_project(root, store=None)
    record = project.library.get("uk2020")
    assert record is not None
    assert views.group_labels(record, "cancer", project.vocabulary) == ["zebrafish tumour"]


# --- filters -------------------------------------------------------------------------------------


def test_filter_matches_any_spelling(project: Project) -> None:
    """cancer == "esophageal cancer" finds the works that wrote either spelling."""
    assert selected(project, 'cancer == "esophageal cancer"') == ["uk2020", "us2021"]
    assert selected(project, 'cancer == "Esophageal Neoplasms"') == ["uk2020", "us2021"]


def test_filter_on_a_broader_cancer_finds_narrower_ones(project: Project) -> None:
    """cancer == "melanoma" finds uveal melanoma; "solid tumours" finds every solid cancer."""
    assert selected(project, 'cancer == "melanoma"') == ["eye2019", "skin2018"]
    assert selected(project, 'cancer == "solid tumors"') == [
        "eye2019",
        "skin2018",
        "uk2020",
        "us2021",
    ]
    assert selected(project, 'cancer == "leukemia"') == ["aml2017"]


def test_filter_on_a_narrower_cancer_does_not_find_broader_ones(project: Project) -> None:
    """cancer == "uveal melanoma" does not find works on melanoma in general."""
    assert selected(project, 'cancer == "uveal melanoma"') == ["eye2019"]


def test_filter_in_and_not_equal_use_the_vocabulary(project: Project) -> None:
    """`in` and `!=` match through synonyms and broader cancers too."""
    assert selected(project, '"AML" in cancers') == ["aml2017"]
    assert selected(project, 'cancer != "melanoma"') == ["aml2017", "uk2020", "us2021"]


def test_filter_on_cancer_class(project: Project) -> None:
    """cancer_class == "haematological" selects by class."""
    assert selected(project, 'cancer_class == "haematological"') == ["aml2017"]


# --- check ---------------------------------------------------------------------------------------


def test_unknown_cancer_warns_with_suggestion_and_line(make_project: Callable[..., Path]) -> None:
    """A misspelt cancer is an unknown-cancer warning at its line, with "did you mean"."""
    text = "summary: x\ncancers:\n  - melanoma\n  - oesophagal cancer\n"
    root = make_project(BIB, {"uk2020": text})
    library = open_project(root, store=None).library
    [issue] = [i for i in library.issues if i.code == "unknown-cancer"]
    assert issue.key == "uk2020"
    assert issue.location is not None
    assert (Path(issue.location.path).name, issue.location.line) == ("uk2020.yaml", 4)
    assert "'oesophagal cancer'" in issue.message
    assert issue.hint is not None
    assert issue.hint.startswith("Did you mean 'oesophageal-cancer'")
    assert "[[cancers]]" in issue.hint and "docs/cancers.md" in issue.hint


def test_check_prints_unknown_cancer(
    cli: Callable[..., object], make_project: Callable[..., Path]
) -> None:
    """`cytobib check` names the file and line, the code and the suggestion."""
    root = make_project(BIB, {"uk2020": "cancers: [melanomma]\n"})
    result = cli("check", "-C", root)
    output = result.output  # type: ignore[attr-defined]
    assert "annotations/uk2020.yaml\n" in output
    assert re.search(r"^ +1 +warning +unknown-cancer +uk2020: Cancer 'melanomma'", output, re.M)
    assert "Did you mean 'melanoma'" in output


def test_a_single_string_is_checked_too(make_project: Callable[..., Path]) -> None:
    """`cancers: name` (a string, which the schema rejects) is still resolved."""
    root = make_project(BIB, {"uk2020": "cancers: esophageal\n"})
    record = open_project(root, store=None).library.get("uk2020")
    assert record is not None and record.annotation is not None
    assert record.annotation.cancer_ids == ("oesophageal-cancer",)


# --- project extensions --------------------------------------------------------------------------


def test_toml_cancers_reach_annotations(make_project: Callable[..., Path]) -> None:
    """[[cancers]] adds a cancer and synonyms of a packaged one; both resolve without a warning."""
    extra = (
        '\n[[cancers]]\nid = "anal-cancer"\nlabel = "Anal cancer"\nclass = "solid"\n'
        'parent = "solid-tumours"\nsynonyms = ["anal SCC"]\n'
        '\n[[cancers]]\nid = "melanoma"\nsynonyms = ["Schwarzer Hautkrebs"]\n'
    )
    root = make_project(
        BIB,
        {"uk2020": "cancers: [anal SCC, Schwarzer Hautkrebs]\n"},
        extra_toml=extra,
    )
    project = open_project(root, store=None)
    record = project.library.get("uk2020")
    assert record is not None and record.annotation is not None
    assert record.annotation.cancer_ids == ("anal-cancer", "melanoma")
    assert "unknown-cancer" not in codes(project.library.issues)
    assert selected(project, 'cancer == "solid tumours"') == ["uk2020"]
    assert project.vocabulary.cancers.canonical("ocular melanoma") == "uveal-melanoma"


def test_cancers_file_extends(tmp_path: Path) -> None:
    """cancers_file adds cancers (and classes) from a YAML file."""
    path = tmp_path / "cancers.yaml"
    path.write_text(
        "classes:\n  benign: Benign tumour\n"
        "cancers:\n  - id: desmoid\n    class: benign\n    synonyms: [aggressive fibromatosis]\n",
        encoding="utf-8",
    )
    vocabulary = build(cancers_file=path)
    assert vocabulary.cancers.canonical("aggressive fibromatosis") == "desmoid"
    assert vocabulary.cancers.class_label(vocabulary.cancers.class_of("desmoid") or "") == (
        "Benign tumour"
    )


def test_cancers_file_in_config_is_read(make_project: Callable[..., Path]) -> None:
    """[library] cancers_file names the file, relative to cytobib.toml."""
    root = make_project(BIB, {"uk2020": "cancers: [desmoid tumour]\n"})
    (root / "cancers.local.yaml").write_text(
        "cancers:\n  - id: desmoid-tumour\n    class: solid\n", encoding="utf-8"
    )
    toml = (root / "cytobib.toml").read_text(encoding="utf-8")
    toml = toml.replace("[library]\n", '[library]\ncancers_file = "cancers.local.yaml"\n', 1)
    (root / "cytobib.toml").write_text(toml, encoding="utf-8")
    assert load_config(root / "cytobib.toml").cancers_file == root / "cancers.local.yaml"
    library = open_project(root, store=None).library
    assert "unknown-cancer" not in codes(library.issues)


def test_cancers_file_unreadable_is_config_error(tmp_path: Path) -> None:
    """A missing cancers file is a ConfigError, not an OSError."""
    with pytest.raises(ConfigError, match="Cannot read the cancers file"):
        build(cancers_file=tmp_path / "missing.yaml")


def test_cancer_without_id_is_config_error() -> None:
    """A project cancer without an id is a ConfigError naming where it came from."""
    with pytest.raises(ConfigError, match="no 'id'") as info:
        build(cancers=[{"label": "Nameless"}])
    assert "[[cancers]]" in str(info.value)


def test_cancers_must_be_tables(tmp_path: Path) -> None:
    """`cancers = "x"` in cytobib.toml is a ConfigError with the fix."""
    path = tmp_path / "cytobib.toml"
    path.write_text('cancers = "melanoma"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[\[cancers\]\] must be a list of tables"):
        load_config(path)


def test_a_vocabulary_change_reresolves_cached_cancers(make_project: Callable[..., Path]) -> None:
    """The annotation cache is keyed on the cancer vocabulary too: a new synonym takes effect."""
    root = make_project(BIB, {"uk2020": "cancers: [desmoid tumour]\n"})
    assert "unknown-cancer" in codes(open_project(root).library.issues)
    with (root / "cytobib.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[cancers]]\nid = "desmoid"\nclass = "solid"\nsynonyms = ["desmoid tumour"]\n')
    library = open_project(root).library
    assert "unknown-cancer" not in codes(library.issues)
    record = library.get("uk2020")
    assert record is not None and record.annotation is not None
    assert record.annotation.cancer_ids == ("desmoid",)


# --- the packaged data ---------------------------------------------------------------------------


def test_packaged_synonyms_are_unambiguous() -> None:
    """No normalised name in the packaged cancer vocabulary belongs to two cancers."""
    cancers, _ = voc._packaged(CANCERS)
    owners: dict[str, set[str]] = defaultdict(set)
    for cancer in cancers:
        for name in (cancer.id, cancer.label, *cancer.synonyms):
            owners[normalize(name)].add(cancer.id)
    assert {name: ids for name, ids in owners.items() if len(ids) > 1} == {}


def test_packaged_parents_and_classes_exist(vocabulary: Vocabulary) -> None:
    """Every parent is a cancer, every class is declared, ids are kebab-case."""
    cancers = vocabulary.cancers
    assert {c.parent for c in cancers.terms.values() if c.parent} <= set(cancers.terms)
    assert {c.cancer_class for c in cancers.terms.values()} == set(cancers.classes)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c) for c in cancers.terms)


def test_packaged_cancers_reach_an_umbrella_term(vocabulary: Vocabulary) -> None:
    """Every cancer's broadest ancestor is "solid tumours" or "haematological malignancies",
    matching its class, so that a filter on the umbrella term finds it."""
    cancers = vocabulary.cancers
    roots = {"solid": "solid-tumours", "haematological": "haematological-malignancies"}
    for cancer in cancers.terms.values():
        assert cancers.ancestors(cancer.id)[-1] == roots[cancer.cancer_class], cancer.id


def test_the_issue_list_is_covered(vocabulary: Vocabulary) -> None:
    """The cancers issue 14 names are all in the vocabulary."""
    names = [
        "melanoma", "uveal melanoma", "mucosal melanoma", "renal cell carcinoma", "NSCLC",
        "SCLC", "colorectal cancer", "oesophageal cancer", "gastric cancer", "GEJ",
        "hepatocellular carcinoma", "pancreatic cancer", "head and neck SCC", "bladder cancer",
        "urothelial carcinoma", "prostate cancer", "breast cancer", "ovarian cancer",
        "cervical cancer", "glioblastoma", "mesothelioma", "sarcoma", "Merkel cell carcinoma",
        "cutaneous SCC", "basal cell carcinoma", "neuroblastoma", "Kaposi sarcoma", "AML", "ALL",
        "CML", "CLL", "Hodgkin lymphoma", "non-Hodgkin lymphoma", "DLBCL", "follicular lymphoma",
        "mantle cell lymphoma", "CTCL", "mycosis fungoides", "multiple myeloma", "MDS",
        "hairy cell leukaemia", "myeloproliferative neoplasms", "polycythaemia vera",
        "solid tumours", "haematological malignancies",
    ]  # fmt: skip
    assert [n for n in names if vocabulary.cancers.canonical(n) is None] == []


def test_identifiers_have_the_right_shape(vocabulary: Vocabulary) -> None:
    """MeSH descriptors are D + 6 or 9 digits, NCIt codes C + digits; no other keys."""
    shapes = {"mesh": r"D\d{6}(\d{3})?", "ncit": r"C\d+"}
    for cancer in vocabulary.cancers.terms.values():
        assert set(cancer.identifiers) <= set(shapes), cancer.id
        for key, value in cancer.identifiers.items():
            assert re.fullmatch(shapes[key], value), (cancer.id, key, value)


def test_identifiers_are_not_shared(vocabulary: Vocabulary) -> None:
    """No two cancers carry the same MeSH or NCIt identifier (a copy-paste slip)."""
    seen: dict[tuple[str, str], str] = {}
    for cancer in vocabulary.cancers.terms.values():
        for pair in cancer.identifiers.items():
            assert pair not in seen, (cancer.id, seen.get(pair))
            seen[pair] = cancer.id


def test_docs_list_every_cancer_and_identifier(vocabulary: Vocabulary) -> None:
    """docs/cancers.md has a row for every packaged cancer, with each of its identifiers."""
    text = (ROOT / "docs" / "cancers.md").read_text(encoding="utf-8")
    text = text.split("\n## Cancers\n", 1)[1].split("\n## ", 1)[0]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z0-9-]+)`.*$", text, re.M)}
    assert set(rows) == set(vocabulary.cancers.terms)
    for cancer in vocabulary.cancers.terms.values():
        for value in cancer.identifiers.values():
            assert value in rows[cancer.id], (cancer.id, value)


def test_shipped_library_has_no_unknown_cancer() -> None:
    """Every cancer the shipped annotations name is in the vocabulary."""
    library = open_project(ROOT, store=None).library
    unknown = [i for i in library.issues if i.code == "unknown-cancer"]
    assert unknown == []
    annotated = [r for r in library if r.annotation and r.annotation.cancers]
    assert annotated  # the test looked at something
    vocabulary = build()
    for record in annotated:
        assert record.annotation is not None
        assert all(c in vocabulary.cancers.terms for c in record.annotation.cancer_ids)
