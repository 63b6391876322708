"""The --where filter language: safe parsing and record semantics."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cytobib.errors import FilterError
from cytobib.model import AgentUse, Annotation, Claim, Entry, Record
from cytobib.query import compile_filter
from cytobib.vocabulary import build

VOCAB = build()


def record(
    key: str,
    year: int,
    agents: list[str],
    tags: list[str] = (),
    status: str = "read",
    title: str = "A title",
    cancers: list[str] = (),
) -> Record:
    entry = Entry(
        key=key,
        type="article",
        fields={"title": title, "year": str(year), "author": "Rosenberg, Steven A."},
        line=1,
    )
    ann = Annotation(
        key=key,
        path=f"{key}.yaml",
        agents=tuple(AgentUse(a, VOCAB.canonical(a)) for a in agents),
        tags=tuple(tags),
        status=status,
        cancers=tuple(cancers),
        claims=(Claim("c", evidence="clinical-trial"),),
    )
    return Record(entry, ann)


IL2_2014 = record(
    "r2014",
    2014,
    ["Proleukin"],
    tags=["Treg"],
    status="to-read",
    title="IL-2: the first effective immunotherapy",
    cancers=["melanoma"],
)
PEMBRO_2016 = record("p2016", 2016, ["pembrolizumab"], tags=["checkpoint"])
OLD_1994 = record("o1994", 1994, ["IL-4", "IL-6"], status="skimmed")


def keys(expr: str) -> list[str]:
    pred = compile_filter(expr, VOCAB)
    return [r.key for r in (IL2_2014, PEMBRO_2016, OLD_1994) if pred(r)]


def test_agent_matches_through_synonyms() -> None:
    """An annotation naming "Proleukin" is found by the canonical id and by "IL-2"."""
    assert keys('agent == "aldesleukin"') == ["r2014"]
    assert keys('agent == "IL-2"') == ["r2014"]


def test_agent_matches_broader_agent() -> None:
    """pembrolizumab is found by asking for its class parent anti-PD-1."""
    assert keys('agent == "anti-PD-1"') == ["p2016"]


def test_issue_examples() -> None:
    """The three examples from the issue behave as a reviewer expects."""
    assert keys('agent == "aldesleukin" and year >= 2010') == ["r2014"]
    assert keys('"Treg" in tags') == ["r2014"]
    assert keys('status != "read"') == ["r2014", "o1994"]


def test_text_in_is_case_insensitive_substring() -> None:
    """`"il-2" in title` is a substring test ignoring case."""
    assert keys('"il-2" in title') == ["r2014"]


def test_multi_valued_not_equal_means_none_equal() -> None:
    """`agent != "IL-4"` excludes a work that has IL-4 among several agents."""
    assert keys('agent != "IL-4"') == ["r2014", "p2016"]


def test_reversed_comparison_and_booleans() -> None:
    """`2000 < year` works like `year > 2000`; `not retracted` is true for clean records."""
    assert keys("2000 < year") == ["r2014", "p2016"]
    assert keys("not retracted and annotated") == ["r2014", "p2016", "o1994"]


def test_list_membership() -> None:
    """`status in ["to-read", "skimmed"]` tests membership in a literal list."""
    assert keys('status in ["to-read", "skimmed"]') == ["r2014", "o1994"]


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('true')",
        "year.__class__",
        "(lambda: 1)()",
        "[x for x in tags]",
        "title + 'x'",
        "open('/etc/passwd')",
    ],
)
def test_rejects_anything_beyond_comparisons(expr: str) -> None:
    """Calls, attributes, lambdas and arithmetic are refused before anything runs."""
    with pytest.raises(FilterError):
        compile_filter(expr, VOCAB)


def test_unknown_field_suggests() -> None:
    """A misspelt field fails with a suggestion."""
    with pytest.raises(FilterError) as info:
        compile_filter('agnet == "IL-2"', VOCAB)
    assert "agent" in (info.value.hint or "")


def test_syntax_error_points_at_column() -> None:
    """A syntax error shows the expression and a caret."""
    with pytest.raises(FilterError) as info:
        compile_filter("year >= ", VOCAB)
    assert "^" in info.value.message


def test_type_mismatch_is_a_filter_error() -> None:
    """Comparing a number field with text is a clear error, not a TypeError."""
    pred = compile_filter('year > "x"', VOCAB)
    with pytest.raises(FilterError):
        pred(IL2_2014)


_FILTER_PIECES = [
    "agent", "agents", "year", "tags", "status", "title", "cancer", "evidence", "priority",
    " == ", " != ", " >= ", " < ", " in ", " not in ", " and ", " or ", "not ", "(", ")",
    '"IL-2"', '"read"', "2010", "'Treg'", "[", "]", ",", " ", "__class__", ".", "x", "1e9",
]  # fmt: skip


@given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(_FILTER_PIECES)).map("".join)))
def test_any_text_either_compiles_or_fails_cleanly(expr: str) -> None:
    """Arbitrary input, compiled and run, never escapes as anything but FilterError."""
    with contextlib.suppress(FilterError):
        compile_filter(expr, VOCAB)(IL2_2014)
