"""Annotation files: loading with positions, schema errors, YAML traps, unsafe keys, stubs."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cytobib import annotations as ann
from cytobib import open_project, store
from cytobib.errors import AnnotationFileError, KeyExistsError
from cytobib.model import Entry, Issue, Severity
from cytobib.vocabulary import Vocabulary, build

BIB = """@article{rosenberg2014il2,
  author = {Rosenberg, Steven A.},
  title = {{IL-2}: the first effective immunotherapy for human cancer},
  journal = {J Immunol},
  year = {2014},
}

@article{lasfar2016ifn,
  author = {Lasfar, Ahmed},
  title = {{IFN-$\\lambda$} cancer immunotherapy},
  journal = {Oncotarget},
  year = {2016},
}
"""

GOOD = """\
summary: The first reproducibly effective cancer immunotherapy.
study_type: review
status: read
priority: 1
agents:
  - name: IL-2
    role: primary
  - name: IFN-α
claims:
  - text: IL-2 can cure some metastatic melanoma.
    evidence: review
  - text: Toxicity limits its use.
cancers: [melanoma, renal cell carcinoma]
related: [lasfar2016ifn]
x-reviewer: AB
"""


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return build()


def load_text(
    tmp_path: Path, vocabulary: Vocabulary, content: str | bytes, key: str = "k"
) -> tuple[ann.Annotation | None, list[Issue]]:
    path = tmp_path / f"{key}.yaml"
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return ann.load_one(path, key, vocabulary, shown=f"annotations/{key}.yaml")


def only(issues: list[Issue]) -> Issue:
    assert len(issues) == 1, issues
    return issues[0]


def where(issue: Issue) -> tuple[int | None, int | None]:
    assert issue.location is not None
    return issue.location.line, issue.location.column


# --- valid files -------------------------------------------------------------------------------


def test_valid_file_loads_without_issues(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A valid annotation loads with summary, status, priority and cancers."""
    annotation, issues = load_text(tmp_path, vocabulary, GOOD)
    assert issues == []
    assert annotation is not None
    assert annotation.status == "read"
    assert annotation.priority == 1
    assert annotation.cancers == ("melanoma", "renal cell carcinoma")


def test_claims_keep_evidence(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """Claims load with their text and evidence level (when given)."""
    annotation, _ = load_text(tmp_path, vocabulary, GOOD)
    assert annotation is not None
    assert [(c.text, c.evidence) for c in annotation.claims] == [
        ("IL-2 can cure some metastatic melanoma.", "review"),
        ("Toxicity limits its use.", None),
    ]
    assert annotation.evidence == ("review",)


def test_agents_resolve_to_canonical_ids(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """Agents named by synonym resolve to canonical ids: IL-2 -> aldesleukin, IFN-α ->
    interferon-alpha."""
    annotation, _ = load_text(tmp_path, vocabulary, GOOD)
    assert annotation is not None
    assert [(a.name, a.id, a.role) for a in annotation.agents] == [
        ("IL-2", "aldesleukin", "primary"),
        ("IFN-α", "interferon-alpha", None),
    ]


def test_x_fields_are_kept(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """Own fields prefixed with x- pass the schema and are kept in extra."""
    annotation, _ = load_text(tmp_path, vocabulary, GOOD)
    assert annotation is not None
    assert annotation.extra == {"x-reviewer": "AB"}


def test_empty_file_is_an_empty_annotation(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """An empty file is an annotation with nothing filled in, not an error."""
    annotation, issues = load_text(tmp_path, vocabulary, "")
    assert issues == []
    assert annotation is not None
    assert annotation.summary == ""


def test_unquoted_date_stays_text(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """An unquoted YAML date in `verified` is kept as ISO text and passes the schema."""
    annotation, issues = load_text(
        tmp_path, vocabulary, "verified:\n  - source: PubMed\n    date: 2026-11-22\n"
    )
    assert issues == []
    assert annotation is not None
    assert annotation.verified == ({"source": "PubMed", "date": "2026-11-22"},)


# --- problems, with their positions ------------------------------------------------------------


def test_schema_violation_line_and_column(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A value outside the schema's enum is reported at its own line and column."""
    _, issues = load_text(tmp_path, vocabulary, "summary: x\nstatus: reading\n")
    issue = only(issues)
    assert issue.code == "annotation-schema"
    assert where(issue) == (2, 9)
    assert "'reading' is not one of" in issue.message


def test_schema_violation_in_nested_list(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A bad evidence level inside the second claim points at that claim's line."""
    text = "claims:\n  - text: a\n    evidence: review\n  - text: b\n    evidence: anecdote\n"
    _, issues = load_text(tmp_path, vocabulary, text)
    issue = only(issues)
    assert where(issue) == (5, 15)
    assert issue.message.startswith("claims.1.evidence:")


def test_unknown_field_points_at_its_key(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """An unknown field is reported on the line where it is written, with the known ones."""
    _, issues = load_text(tmp_path, vocabulary, "summary: x\nstatus: read\ncolour: red\n")
    issue = only(issues)
    assert where(issue) == (3, 1)
    assert "'colour'" in issue.message
    assert "x-" in (issue.hint or "")


def test_wrong_type_is_reported(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A string where a list belongs is a schema error with a list hint."""
    _, issues = load_text(tmp_path, vocabulary, "summary: x\ncancers: melanoma\n")
    issue = only(issues)
    assert (issue.code, where(issue)) == ("annotation-schema", (2, 10))
    assert "- item" in (issue.hint or "")


def test_tabs_are_reported_as_tabs(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """YAML indented with a tab gets an annotation-yaml issue that says so, at that line."""
    annotation, issues = load_text(tmp_path, vocabulary, "summary: x\nclaims:\n\t- text: c\n")
    issue = only(issues)
    assert annotation is None
    assert (issue.code, issue.severity) == ("annotation-yaml", Severity.ERROR)
    assert issue.location is not None
    assert issue.location.line == 3
    assert "tab" in issue.message
    assert "spaces" in (issue.hint or "")


def test_duplicate_yaml_key(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A key given twice is an error at the second one, naming the first line."""
    _, issues = load_text(tmp_path, vocabulary, "summary: a\nstatus: read\nsummary: b\n")
    issue = only(issues)
    assert issue.code == "annotation-yaml"
    assert where(issue) == (3, 1)
    assert "duplicate key 'summary' (first used on line 1)" in issue.message


def test_top_level_list(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A file whose top level is a list is annotation-not-mapping, not a crash."""
    annotation, issues = load_text(tmp_path, vocabulary, "- summary: a\n- status: read\n")
    issue = only(issues)
    assert annotation is None
    assert issue.code == "annotation-not-mapping"
    assert "list" in issue.message


def test_invalid_utf8(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A file with a non-UTF-8 byte is annotation-encoding at that byte's line."""
    annotation, issues = load_text(tmp_path, vocabulary, b"summary: caf\xc3\xa9\ntags: [\xff]\n")
    issue = only(issues)
    assert annotation is None
    assert (issue.code, where(issue)) == ("annotation-encoding", (2, None))
    assert "0xff" in issue.message


def test_unknown_agent_suggests(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """An agent missing from the vocabulary is a warning with a 'Did you mean' hint."""
    annotation, issues = load_text(tmp_path, vocabulary, "agents:\n  - name: aldesleukn\n")
    issue = only(issues)
    assert (issue.code, issue.severity, where(issue)) == (
        "unknown-agent",
        Severity.WARNING,
        (2, 11),
    )
    assert "Did you mean 'aldesleukin'" in (issue.hint or "")
    assert annotation is not None
    assert annotation.agents[0].id == "aldesleukn"


def test_alias_bomb_is_stopped(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A billion-laughs alias bomb gives an annotation-yaml issue quickly instead of hanging."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    started = time.perf_counter()
    annotation, issues = load_text(tmp_path, vocabulary, "\n".join(lines) + "\n")
    assert time.perf_counter() - started < 10
    issue = only(issues)
    assert annotation is None
    assert issue.code == "annotation-yaml"
    assert "aliases" in issue.message


# --- the folder: orphans, dangling related -----------------------------------------------------


def test_dangling_related(make_project: Callable[..., Path]) -> None:
    """`related` naming a key that is not in the library is a dangling-related warning."""
    root = make_project(BIB, {"lasfar2016ifn": "related: [rosenberg2014il2, nobody2020]\n"})
    issues = [i for i in open_project(root).library.issues if i.code == "dangling-related"]
    issue = only(issues)
    assert (issue.key, issue.severity) == ("lasfar2016ifn", Severity.WARNING)
    assert "nobody2020" in issue.message


def test_orphan_annotation(make_project: Callable[..., Path]) -> None:
    """An annotation file without an entry is an orphan-annotation warning."""
    root = make_project(BIB, {"gone2001": "summary: x\n"})
    issues = [i for i in open_project(root).library.issues if i.code == "orphan-annotation"]
    issue = only(issues)
    assert (issue.key, issue.severity) == ("gone2001", Severity.WARNING)


def test_orphan_annotation_with_case_difference(make_project: Callable[..., Path]) -> None:
    """A file whose name differs from a key only in case is an orphan naming the real key."""
    root = make_project(BIB, {"Rosenberg2014IL2": "summary: x\n"})
    library = open_project(root).library
    issue = only([i for i in library.issues if i.code == "orphan-annotation"])
    assert "rosenberg2014il2" in (issue.hint or "")
    record = library.get("rosenberg2014il2")
    assert record is not None
    assert record.annotation is None


def test_annotation_attached_to_record(make_project: Callable[..., Path]) -> None:
    """A project's annotation is attached to the record with the same key."""
    root = make_project(BIB, {"rosenberg2014il2": GOOD})
    record = open_project(root).library.get("rosenberg2014il2")
    assert record is not None
    assert record.annotation is not None
    assert record.annotation.agents[0].id == "aldesleukin"


# --- unsafe keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "a/b", "../x", ".hidden", "a\\b", "..", "x..y", "", "a:b?",
        # Names Windows cannot create (issue 12): a project must clone on every system.
        "Smith:2020", "a:b", "CON", "aux", "nul.x", "com1", "LPT9", "trailing.",
        # Invisible and text-direction characters make one key look like another.
        "smith\u200b2020", "smith\u202e0202", "\ufeffsmith", "a\u2066b",
    ],
)  # fmt: skip
def test_path_for_refuses_unsafe_keys(tmp_path: Path, key: str) -> None:
    """Keys that could leave annotations/, hide a file, or name a file another system
    cannot create raise AnnotationFileError."""
    with pytest.raises(AnnotationFileError, match="cannot be used as a file name"):
        ann.path_for(tmp_path / "annotations", key)


@pytest.mark.parametrize("key", ["rosenberg2014il2", "717", "zotero-item-39", "a.b", "console"])
def test_path_for_accepts_real_keys(tmp_path: Path, key: str) -> None:
    """Ordinary keys (digits, hyphens, single dots) map to a file inside annotations/."""
    folder = tmp_path / "annotations"
    path = ann.path_for(folder, key)
    assert path.parent == folder
    assert path.name == f"{key}.yaml"


@pytest.mark.parametrize("key", ["a/b", "../x", ".hidden"])
def test_annotate_refuses_unsafe_key(
    make_project: Callable[..., Path],
    cli: Callable[..., Any],
    snapshot: Callable[[Path], dict[str, str]],
    key: str,
) -> None:
    """`cytobib annotate` refuses an unsafe key with exit 3 and writes no file anywhere."""
    root = make_project(BIB + f"\n@article{{{key},\n  title = {{Evil}},\n}}\n")
    before = snapshot(root.parent)
    result = cli("annotate", key, "-C", root)
    assert result.code == 3
    assert "cannot be used as a file name" in result.err
    assert "library.bib:15" in result.err
    assert snapshot(root.parent) == before


def test_annotate_refuses_before_writing_any(
    make_project: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    """A good key listed before an unsafe one gets no stub either: nothing is half done."""
    root = make_project(BIB + "\n@article{a/b,\n  title = {Evil},\n}\n")
    result = cli("annotate", "rosenberg2014il2", "a/b", "-C", root)
    assert result.code == 3
    assert list((root / "annotations").iterdir()) == []


# --- stubs -------------------------------------------------------------------------------------


def _entry() -> Entry:
    return Entry(
        key="rosenberg2014il2",
        type="article",
        fields={"title": "{IL-2}: the first effective immunotherapy"},
        line=1,
    )


def test_stub_loads_clean(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A freshly written stub passes the schema and loads without issues."""
    path = ann.write_stub(tmp_path, _entry())
    annotation, issues = ann.load_one(path, "rosenberg2014il2", vocabulary)
    assert issues == []
    assert annotation is not None
    assert annotation.status == "to-read"


def test_stub_names_schema_and_title(tmp_path: Path) -> None:
    """A stub starts with the editor schema line and names the entry's decoded title."""
    text = ann.write_stub(tmp_path, _entry(), "../schema.json").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema.json\n")
    assert "# rosenberg2014il2: IL-2: the first effective immunotherapy" in text


def test_write_stub_never_overwrites(tmp_path: Path) -> None:
    """write_stub raises KeyExistsError and keeps an existing file byte-identical."""
    path = tmp_path / "rosenberg2014il2.yaml"
    path.write_text("summary: my notes\n", encoding="utf-8")
    with pytest.raises(KeyExistsError):
        ann.write_stub(tmp_path, _entry())
    assert path.read_text(encoding="utf-8") == "summary: my notes\n"


def test_annotate_never_overwrites(
    make_project: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    """`cytobib annotate KEY` on an annotated entry skips it with a message (issue 14: it
    exited 3) and leaves the file alone."""
    root = make_project(BIB, {"rosenberg2014il2": GOOD})
    result = cli("annotate", "rosenberg2014il2", "-C", root)
    assert result.code == 0
    assert "skipped" in result.out
    assert "exists" in result.out
    assert (root / "annotations" / "rosenberg2014il2.yaml").read_text(encoding="utf-8") == GOOD


def test_schema_is_packaged() -> None:
    """The packaged schema is a JSON Schema that forbids unknown top-level fields."""
    schema = ann.schema()
    assert schema["additionalProperties"] is False
    assert "claims" in schema["properties"]


def test_python_vocabularies_are_the_schema_enums() -> None:
    """Views and import filter on these tuples: they must list what the schema accepts."""
    props = ann.schema()["properties"]
    assert list(ann.STUDY_TYPES) == props["study_type"]["enum"]
    assert list(ann.STATUSES) == props["status"]["enum"]
    assert list(ann.EVIDENCE_LEVELS) == props["claims"]["items"]["properties"]["evidence"]["enum"]


# --- the annotation cache ----------------------------------------------------------------------


def _snapshot(root: Path) -> tuple[dict[str, Any], list[Issue]]:
    with open_project(root) as project:
        library = project.library
    return {r.key: r.annotation for r in library.records}, list(library.issues)


def _kept(root: Path, name: str) -> int:
    """Rows of table ``name`` in the project's store."""
    return {t.name: t.entries for t in store.info(root).tables}.get(name, 0)


def test_a_warm_load_from_the_cache_equals_a_fresh_parse(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = "summary: [unclosed\n"
    root = make_project(BIB, {"rosenberg2014il2": GOOD, "lasfar2016ifn": broken, "orphan": GOOD})
    cold = _snapshot(root)
    assert _kept(root, "annotations") == 2  # the orphan is not parsed

    def no_parsing(text: str) -> Any:
        raise AssertionError("a cached file was parsed again")

    with monkeypatch.context() as patch:
        patch.setattr(ann, "load_yaml", no_parsing)
        warm = _snapshot(root)
    assert warm == cold
    assert cold[0]["rosenberg2014il2"].agents[0].canonical == "aldesleukin"
    assert {i.code for i in cold[1]} >= {"annotation-yaml", "orphan-annotation"}
    uncached = open_project(root, store=None).library
    assert {r.key: r.annotation for r in uncached.records} == cold[0]


def test_an_edited_file_is_parsed_again(make_project: Callable[..., Path]) -> None:
    root = make_project(BIB, {"rosenberg2014il2": GOOD})
    _snapshot(root)
    path = root / "annotations" / "rosenberg2014il2.yaml"
    path.write_text(GOOD.replace("priority: 1", "priority: 4"), encoding="utf-8")
    annotations, _ = _snapshot(root)
    assert annotations["rosenberg2014il2"].priority == 4
    path.write_text(GOOD + "agents_extra: 1\n", encoding="utf-8")
    _, issues = _snapshot(root)
    assert [i.code for i in issues if i.key == "rosenberg2014il2"] == ["annotation-schema"]


def test_a_vocabulary_change_reresolves_cached_agents(make_project: Callable[..., Path]) -> None:
    text = GOOD.replace("name: IFN-α", "name: cytobibumab")
    root = make_project(BIB, {"rosenberg2014il2": text})
    _, issues = _snapshot(root)
    assert "unknown-agent" in {i.code for i in issues}
    with (root / "cytobib.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[agents]]\nid = "cytobibumab"\nlabel = "Cytobibumab"\nclass = "cytokine"\n')
    annotations, issues = _snapshot(root)
    assert "unknown-agent" not in {i.code for i in issues}
    assert annotations["rosenberg2014il2"].agents[1].canonical == "cytobibumab"


@pytest.mark.parametrize("value", [b"not json", b'{"~t": [1, 2]}', b"[[1], []]", "text"])
def test_a_damaged_cache_is_ignored(make_project: Callable[..., Path], value: Any) -> None:
    """A kept row that does not decode, or decodes to another shape, is a miss."""
    root = make_project(BIB, {"rosenberg2014il2": GOOD})
    cold = _snapshot(root)
    with sqlite3.connect(store.store_path(root)) as db:
        changed = db.execute("UPDATE entries SET value = ? WHERE tbl = 'annotations'", (value,))
        assert changed.rowcount == 1
    assert _snapshot(root) == cold


def test_a_renamed_file_is_seen(make_project: Callable[..., Path]) -> None:
    """The same bytes under another name are another file (its key and messages differ)."""
    root = make_project(BIB, {"rosenberg2014il2": GOOD, "orphan": "summary: [unclosed\n"})
    _, issues = _snapshot(root)
    assert {i.code for i in issues if i.key == "orphan"} == {"orphan-annotation"}
    folder = root / "annotations"
    (folder / "orphan.yaml").rename(folder / "lasfar2016ifn.yaml")
    _, issues = _snapshot(root)
    found = [(i.code, i.location and Path(i.location.path).name) for i in issues if i.key]
    assert found == [("annotation-yaml", "lasfar2016ifn.yaml")]


# --- the fast schema check agrees with jsonschema ----------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 8),
    st.floats(-2, 8, allow_nan=False).map(lambda f: round(f, 1)),
    st.sampled_from(["", "x", "review", "read", "to-read", "melanoma", "IL-2", "in-vitro"]),
)
_ITEM_KEYS = ["text", "evidence", "page", "quote", "numbers", "name", "role", "dose", "route"]
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(_ITEM_KEYS), inner, max_size=3),
    ),
    max_leaves=8,
)


@given(
    st.dictionaries(
        st.sampled_from([*ann.schema()["properties"], "x-mine", "bogus"]), _VALUES, max_size=5
    )
)
def test_the_fast_schema_check_agrees_with_jsonschema(data: dict[str, Any]) -> None:
    expected = not list(ann._validator().iter_errors(data))
    assert ann._is_valid()(data) == expected


def test_mixed_alphabet_key_is_flagged(make_project, cli) -> None:
    """A key with a Cyrillic letter among Latin ones (a homoglyph) is a check warning."""
    root = make_project("@misc{sm\u0456th2020,\n  title = {X},\n  year = 2020,\n}\n")
    result = cli("check", "-C", root, "--format", "json")
    assert '"suspicious-key"' in result.out
