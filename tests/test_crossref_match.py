"""match_score / best_match: the documented score, on recorded and constructed candidates."""

from __future__ import annotations

from typing import Any

import pytest

from crossref_server import load_fixture
from cytobib.crossref.matching import ACCEPT_SCORE, MIN_MARGIN, best_match, match_score


def candidate(
    title: str,
    family: str | None = "Smith",
    year: int | None = 2020,
    kind: str = "journal-article",
    **extra: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {"title": [title], "type": kind, "DOI": f"10.5555/{abs(hash(title))}"}
    if family is not None:
        message["author"] = [{"family": family, "given": "A.", "sequence": "first"}]
    if year is not None:
        message["issued"] = {"date-parts": [[year, 3]]}
    message.update(extra)
    return message


def test_rows2_search_accepts_the_clear_winner() -> None:
    """Recorded rows=2: 'Chemical Ecology' by Kessler (2012) beats 'Communicating Ecology'."""
    items = load_fixture("list-query-rows2.json")["message"]["items"]
    result = best_match("Chemical ecology", "Kessler", 2012, items)
    assert result.accepted is not None
    assert result.accepted["DOI"] == "10.1093/obo/9780199830060-0023"
    assert result.candidates[0][0] == pytest.approx(1.0)
    assert result.candidates[0][0] - result.candidates[1][0] >= MIN_MARGIN


def test_perfect_match_scores_one() -> None:
    """Same title, first author and year: 1.0."""
    assert match_score(
        "IL-2 therapy of melanoma", "Smith", 2020, candidate("IL-2 therapy of melanoma")
    ) == pytest.approx(1.0)


def test_markup_accents_and_case_do_not_matter() -> None:
    """An HTML title and an accented family name match their plain, unaccented forms."""
    fixture = load_fixture("work-j-clin-pathol-html-title-structured-abstract.json")["message"]
    score = match_score(
        "Construction of a reference material panel for detecting KRAS/NRAS/EGFR/BRAF/MET "
        "mutations in plasma ctDNA",
        "XU",
        2021,
        fixture,
    )
    assert score == pytest.approx(1.0)
    genet = load_fixture("work-front-genet-nonascii-no-issue-no-page.json")["message"]
    assert match_score(genet["title"][0], "Panek", 2017, genet) == pytest.approx(1.0)


def test_online_first_year_is_within_one() -> None:
    """Entry year 2021 vs issued 2020 (print 2021): both count; 2017 does not."""
    fixture = load_fixture("work-j-clin-pathol-html-title-structured-abstract.json")["message"]
    title = (
        "Construction of a reference material panel for detecting KRAS/NRAS/EGFR/BRAF/MET "
        "mutations in plasma ctDNA"
    )
    assert match_score(title, "Xu", 2019, fixture) == pytest.approx(1.0)
    assert match_score(title, "Xu", 2017, fixture) == pytest.approx(0.85)


def test_il2_is_not_il12() -> None:
    """Near-identical titles differing in the cytokine number are not accepted."""
    entry = "Interleukin-2 therapy of metastatic melanoma"
    wrong = candidate("Interleukin-12 therapy of metastatic melanoma")
    assert match_score(entry, "Smith", 2020, wrong) < ACCEPT_SCORE
    assert best_match(entry, "Smith", 2020, [wrong]).accepted is None


def test_ifn_alpha_is_not_ifn_beta_but_matches_its_spelled_form() -> None:
    """Greek letters count as discriminators; 'alpha' written out equals 'α'."""
    assert match_score(
        "IFN-α in melanoma", "Smith", 2020, candidate("IFN-alpha in melanoma")
    ) == pytest.approx(1.0)
    assert (
        match_score("IFN-α in melanoma", "Smith", 2020, candidate("IFN-β in melanoma"))
        < ACCEPT_SCORE
    )


def test_same_title_different_first_author_is_not_accepted() -> None:
    """Perfect title and year with another first author score 0.85, below the threshold."""
    score = match_score("Editorial", "Jones", 2020, candidate("Editorial"))
    assert score == pytest.approx(0.85)
    assert best_match("Editorial", "Jones", 2020, [candidate("Editorial")]).accepted is None


def test_missing_author_or_year_is_neutral() -> None:
    """No author or year on either side scores 0.5 for that part, not 0."""
    assert match_score("A study", None, None, candidate("A study")) == pytest.approx(0.85)
    assert match_score(
        "A study", "Smith", 2020, candidate("A study", family=None, year=None)
    ) == pytest.approx(0.85)


def test_a_tie_returns_candidates_instead_of_guessing() -> None:
    """An article and its preprint with the same title, author and year: no choice made."""
    article = candidate("Tumour-infiltrating lymphocytes in melanoma")
    preprint = candidate("Tumour-infiltrating lymphocytes in melanoma", kind="posted-content")
    result = best_match(
        "Tumour-infiltrating lymphocytes in melanoma", "Smith", 2020, [article, preprint]
    )
    assert result.accepted is None
    assert len(result.candidates) == 2
    assert "too close" in result.reason


def test_component_records_are_down_weighted() -> None:
    """A figure (component) with the same title cannot beat the article."""
    article = candidate("Figure 1 of the trial")
    figure = candidate("Figure 1 of the trial", kind="component")
    assert match_score("Figure 1 of the trial", "Smith", 2020, figure) == pytest.approx(0.5)
    result = best_match("Figure 1 of the trial", "Smith", 2020, [figure, article])
    assert result.accepted is article


def test_subtitle_is_considered() -> None:
    """An entry title that includes the subtitle still matches the CSL record."""
    frank = load_fixture("cn-csl-json-2026.json")
    full = (
        "The Structure of Ordinary Water: New data and interpretations are yielding new "
        "insights into this fascinating substance."
    )
    assert match_score(full, "Frank", 1970, frank) == pytest.approx(1.0)
    assert match_score("The structure of ordinary water", "Frank", 1970, frank) == pytest.approx(
        1.0
    )


def test_no_candidates() -> None:
    """An empty search answer is reported, nothing accepted."""
    result = best_match("Anything", "Smith", 2020, [])
    assert result.accepted is None
    assert result.candidates == ()


def test_below_threshold_returns_scored_candidates_best_first() -> None:
    """A weak answer is not accepted; candidates come back sorted by score."""
    weak = candidate("Something else entirely", family="Other", year=1990)
    closer = candidate("IL-2 therapy overview", family="Other", year=1990)
    result = best_match("IL-2 therapy of melanoma", "Smith", 2020, [weak, closer])
    assert result.accepted is None
    assert [c for _, c in result.candidates] == [closer, weak]
    assert "below" in result.reason


def test_every_recorded_list_item_scores_between_zero_and_one() -> None:
    """Scores stay in [0, 1] for the 20 real bibliographic-query items."""
    items = load_fixture("list-query-bibliographic-with-filter.json")["message"]["items"]
    for item in items:
        assert 0.0 <= match_score("fish", "Ali", 2017, item) <= 1.0
    best = best_match(
        "Fish Ontology framework for taxonomy-based fish recognition", "Ali", 2017, items
    )
    assert best.accepted is not None
    assert best.accepted["DOI"] == "10.7717/peerj.3811"
