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


# --- text fields, `~` and warnings (issue 14) ----------------------------------------------------

import warnings  # noqa: E402

from cytobib.model import Caveat  # noqa: E402

NOTED = Record(
    Entry(
        key="noted",
        type="article",
        fields={
            "title": "Tregs in r\\'{e}nal cancer",
            "year": "2011",
            "author": "Rébé, Cédric",
            "abstract": "Low-dose IL-2 expanded regulatory T cells; IL-21 did not.",
            "keywords": "interleukin 2, Tregs",
        },
        line=1,
    ),
    Annotation(
        key="noted",
        path="noted.yaml",
        summary="A small trial of low-dose aldesleukin.",
        claims=(Claim("Treg counts rose eightfold", evidence="clinical-trial", quote="8-fold"),),
        caveats=(Caveat("No control arm", "reader"),),
        agents=(AgentUse("Proleukin", VOCAB.canonical("Proleukin"), dose="1 MIU/m2"),),
        extra={"x-comment": "ask the authors about CD25"},
    ),
)
BARE = Record(Entry(key="bare", type="article", fields={"title": "Nothing here"}, line=2))


def found(expr: str) -> list[str]:
    pred = compile_filter(expr, VOCAB)
    return [r.key for r in (NOTED, BARE, IL2_2014) if pred(r)]


def test_in_abstract() -> None:
    """`"IL-2" in abstract` searches the abstract (it was an unknown field)."""
    assert found('"il-2" in abstract') == ["noted"]
    assert found('"IL-2" in keywords') == []
    assert found('"interleukin 2" in keywords') == ["noted"]


def test_annotation_text_fields() -> None:
    """summary, claims, caveats and notes (every annotation text) are text fields."""
    assert found('"aldesleukin" in summary') == ["noted"]
    assert found('"eightfold" in claims') == ["noted"]
    assert found('"8-fold" in claims') == ["noted"]  # a claim's quote is part of it
    assert found('"control arm" in caveats') == ["noted"]
    assert found('"CD25" in notes') == ["noted"]  # the reader's own x- fields too
    assert found('"1 MIU" in notes') == ["noted"]


def test_text_is_everything() -> None:
    """`text` is title, abstract, keywords and every annotation text together."""
    for word in ("tregs", "IL-21", "eightfold", "CD25", "control arm"):
        assert found(f'"{word}" in text') == ["noted"], word


def test_text_matching_ignores_accents() -> None:
    """Case and accents are ignored both ways: "renal" finds "rénal", "RÉBÉ" finds Rébé."""
    assert found('"renal" in title') == ["noted"]
    assert found('"RÉNAL" in text') == ["noted"]
    assert found('"reb" in author') == []  # author is a list: membership, as before
    assert found('"rebe" in author') == ["noted"]
    assert found('author == "REBE"') == ["noted"]


def test_regex_operator() -> None:
    """`field ~ "regex"` matches a regular expression (case- and accent-insensitive)."""
    assert found('summary ~ "low.dose"') == ["noted"]
    assert found(r'abstract ~ "\bIL-2\b"') == ["noted"]  # backslashes as in any regex
    assert found(r'abstract ~ "IL-2\b"') == ["noted"]
    assert found(r'abstract ~ "IL-2\d"') == ["noted"]
    assert found('text ~ "r[eé]nal"') == ["noted"]
    assert found('title ~ "^tregs"') == ["noted"]
    assert found('not text ~ "tregs"') == ["bare", "r2014"]
    assert found('text ~ "tregs" and year > 2010') == ["noted"]


def test_regex_operator_on_a_list_field_matches_any_element() -> None:
    assert found('tag ~ "^tr"') == ["r2014"]


@pytest.mark.parametrize(
    "expr",
    [
        'summary ~ "("',  # not a regular expression
        '"x" ~ summary',  # the field goes on the left
        "summary ~ 3",  # the pattern is text
        "~ summary",  # `~` is not a unary operator here
        'summary @ "x"',  # `~` is spelt `~`: Python's @ stays forbidden
        'year ~ "20"',  # a number is not text
    ],
)
def test_regex_operator_errors_are_filter_errors(expr: str) -> None:
    with pytest.raises(FilterError):
        compile_filter(expr, VOCAB)(NOTED)


def test_tilde_inside_a_string_is_text() -> None:
    """A `~` inside quotes is part of the text, not the operator."""
    assert found('"~" in title') == []
    assert found('title ~ "~|tregs"') == ["noted"]


def test_regex_keeps_the_limits() -> None:
    """The depth limit still applies with `~` (it is translated before parsing)."""
    with pytest.raises(FilterError, match="nests"):
        compile_filter("not " * 60 + 'text ~ "x"', VOCAB)


@pytest.mark.parametrize(
    ("expr", "suggestion"),
    [
        ('agent == "aldesleukn"', "aldesleukin"),
        ('cancer == "melanoma-x"', "melanoma"),
        ('"Proleukinn" in agents', "aldesleukin"),
        ('status == "reading"', "read"),
        ('evidence == "clinical trial"', "clinical-trial"),
    ],
)
def test_unknown_value_warns_with_did_you_mean(expr: str, suggestion: str) -> None:
    """An agent, cancer or status the vocabulary does not know warns (it used to return
    nothing without a word), with the closest known value."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile_filter(expr, VOCAB)
    messages = [str(w.message) for w in caught]
    assert any("did you mean" in m.lower() and suggestion in m for m in messages), messages


def test_known_values_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile_filter(
            'agent == "IL-2" and cancer == "oesophageal cancer" and status == "read"', VOCAB
        )


_TEXT_PIECES = [*_FILTER_PIECES, " ~ ", "~", "text", "abstract", "summary", '"a|b"', '"("', "@"]


@given(st.lists(st.sampled_from(_TEXT_PIECES)).map("".join))
def test_with_tilde_any_text_either_compiles_or_fails_cleanly(expr: str) -> None:
    """The `~` translation never lets anything but a FilterError out (nothing is eval'ed)."""
    with contextlib.suppress(FilterError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile_filter(expr, VOCAB)(NOTED)
