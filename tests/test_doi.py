"""normalize_doi / is_valid_doi: every usual spelling in, one canonical DOI out."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cytobib.doi import canonical, is_valid_doi, normalize_doi, problem

WAKEFIELD = "10.1016/s0140-6736(97)11096-0"


@pytest.mark.parametrize(
    "text",
    [
        "10.1016/S0140-6736(97)11096-0",
        "  10.1016/S0140-6736(97)11096-0\n",
        "doi:10.1016/S0140-6736(97)11096-0",
        "DOI: 10.1016/S0140-6736(97)11096-0",
        "https://doi.org/10.1016/S0140-6736(97)11096-0",
        "http://dx.doi.org/10.1016/S0140-6736(97)11096-0",
        "https://www.doi.org/10.1016/S0140-6736(97)11096-0",
        "doi.org/10.1016/S0140-6736(97)11096-0",
        "https://doi.org/10.1016%2FS0140-6736%2897%2911096-0",
        "10.1016%2FS0140-6736%2897%2911096-0",
        "info:doi/10.1016/S0140-6736(97)11096-0",
        "https://doi.org/doi:10.1016/S0140-6736(97)11096-0",
    ],
)
def test_usual_spellings_normalise_to_one_doi(text: str) -> None:
    """Bare, prefixed, resolver-URL and percent-encoded forms all give the lower-case DOI."""
    assert normalize_doi(text) == WAKEFIELD


def test_sici_style_suffix_is_kept_verbatim() -> None:
    """Old SICI DOIs with <, >, ;, : and # survive unchanged apart from case."""
    doi = "10.1002/(SICI)1097-4636(199602)30:2<249::AID-JBM15>3.0.CO;2-E"
    assert normalize_doi(doi) == doi.lower()


def test_registrant_subdivision_is_accepted() -> None:
    """Prefixes like 10.1000.10 (dotted registrant codes) are valid."""
    assert normalize_doi("10.1000.10/ABC") == "10.1000.10/abc"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("11.1000/abc", "starts with '10.'"),
        ("10.1000", "no '/'"),
        ("10.1000/", "nothing follows"),
        ("10.12/abc", "4 to 9 digits"),
        ("10.abcd/xyz", "4 to 9 digits"),
        ("10.1000/a b", "whitespace"),
        ("10.1000/a\x00b", "control character"),
        ("https://example.org/10.1000/abc", "starts with '10.'"),
        ("10.1000/abc%FF", "UTF-8"),
        ("PMID:12345", "starts with '10.'"),
    ],
)
def test_malformed_dois_raise_with_a_reason(text: str, reason: str) -> None:
    """A malformed DOI raises ValueError whose message names the problem."""
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        normalize_doi(text)
    assert not is_valid_doi(text)


def test_is_valid_doi_accepts_urls() -> None:
    """is_valid_doi agrees with normalize_doi on a resolver link."""
    assert is_valid_doi("https://doi.org/10.3892/ijo_00000353")


# -- properties -------------------------------------------------------------------------------

_suffix_chars = st.characters(
    blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Cf"),
    blacklist_characters='%{}\\"',  # no DOI uses braces, backslashes or quotes
)
dois = st.builds(
    lambda registrant, suffix: f"10.{registrant}/{suffix}",
    st.integers(min_value=1000, max_value=999_999_999),
    st.text(_suffix_chars, min_size=1, max_size=40).filter(lambda s: s.strip() == s),
)


@given(dois)
def test_property_normalising_is_idempotent(doi: str) -> None:
    """normalize_doi(normalize_doi(x)) == normalize_doi(x) for any DOI."""
    once = normalize_doi(doi)
    assert normalize_doi(once) == once
    assert once.startswith("10.")


@given(
    dois,
    st.sampled_from(
        ["{}", "doi:{}", "https://doi.org/{}", "http://dx.doi.org/{}", " {} ", "DOI: {}"]
    ),
)
def test_property_prefixes_do_not_change_the_doi(doi: str, template: str) -> None:
    """Any prefix form of a DOI normalises to the same DOI as the bare form."""
    assert normalize_doi(template.format(doi)) == normalize_doi(doi)


@given(dois)
def test_property_url_encoding_round_trips(doi: str) -> None:
    """A fully percent-encoded DOI (as in a URL path) normalises to the bare DOI."""
    assert normalize_doi("https://doi.org/" + quote(doi, safe="")) == normalize_doi(doi)


@given(st.text(max_size=60))
def test_property_any_text_either_normalises_or_raises_value_error(text: str) -> None:
    """No input crashes with anything but ValueError; accepted output is canonical."""
    try:
        doi = normalize_doi(text)
    except ValueError:
        return
    assert normalize_doi(doi) == doi
    assert doi.startswith("10.")
    assert "/" in doi
    assert not any(ch.isspace() for ch in doi)


# --- one DOI however it is written: canonical(), check and the merge rule agree -------------

_DOI_TEXT = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda pre, reg, suffix: f"{pre}10.{reg}/{suffix}",
        st.sampled_from(["", " ", "doi:", "DOI: ", "https://doi.org/", "info:doi/", "urn:doi:"]),
        st.sampled_from(["1000", "1371", "12345", "1000.10", "999", "1234567890"]),
        st.text(max_size=20),
    ),
)


@given(_DOI_TEXT)
def test_property_canonical_is_normalize_doi_where_that_accepts(text: str) -> None:
    """The fast path for plain DOIs gives exactly normalize_doi's answer; problem() agrees."""
    reason: str | None = None
    try:
        expected = normalize_doi(text)
    except ValueError as exc:
        reason = str(exc)
    assert problem(text) == reason
    assert is_valid_doi(text) is (reason is None)
    if reason is None:
        assert canonical(text) == expected


def test_check_merge_and_duplicates_see_one_doi_however_written() -> None:
    from cytobib import checks, merge
    from cytobib.model import Entry, Record

    forms = ["https://www.doi.org/10.1000/ABC", "info:doi/10.1000/abc", "doi: 10.1000/abc"]
    records = [
        Record(Entry(f"k{n}", "article", {"title": "T", "doi": form}, line=n + 1))
        for n, form in enumerate(forms)
    ]
    issues = list(checks.bib_checks(records, "library.bib"))
    codes = [i.code for i in issues]
    assert "bad-doi" not in codes
    assert codes.count("duplicate-doi") == 2
    assert {r.entry.doi for r in records} == {"10.1000/abc"}
    assert {merge.normalise("doi", f) for f in forms} == {"10.1000/abc"}
    bad = Record(Entry("bad", "article", {"title": "T", "doi": "10.1000/a b"}, line=9))
    (issue,) = [i for i in checks.bib_checks([bad], "library.bib") if i.code == "bad-doi"]
    assert "whitespace" in issue.message
    colon = Record(Entry("c", "article", {"title": "T", "doi": "PMID: 12345"}, line=9))
    (issue,) = [i for i in checks.bib_checks([colon], "library.bib") if i.code == "bad-doi"]
    assert issue.message == "DOI 'PMID: 12345' of 'c' is malformed (a DOI starts with '10.')."


@pytest.mark.parametrize("doi", ['10.5555/x}}@preamble{"', "10.5555/a\\input", '10.5555/"q"'])
def test_doi_with_bibtex_breaking_characters_is_refused(doi: str) -> None:
    """Braces, backslashes and double quotes are legal DOI syntax that no DOI uses; from
    outside they are an attempt to leave a BibTeX field (issue 12), so they are refused."""
    assert problem(doi) is not None
