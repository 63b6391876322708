"""The drafting rules of `cytobib suggest` on real PubMed records of the labelled set."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from cytobib.drafts import Suggestion, draft
from cytobib.vocabulary import build
from suggest_eval import FIXTURES, LABELLED, record_of


def _item(pmid: str) -> dict[str, Any]:
    items = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["records"]
    found: dict[str, Any] = next(item for item in items if item["pmid"] == pmid)
    if found["source"] == "fixture" and not FIXTURES.is_dir():
        pytest.skip(f"PubMed fixtures not found at {FIXTURES}")
    return found


def _drafted(pmid: str, field: str) -> dict[str, Suggestion]:
    suggestions = draft(record_of(_item(pmid)), build())
    return {
        (s.value["name"] if field == "agents" else s.value): s
        for s in suggestions
        if s.field == field
    }


def test_agents_named_only_in_the_abstract_are_suggested() -> None:
    """Interferon-alpha and low-dose IL-2, named in the abstract but not in MeSH, are drafted
    with the abstract as evidence and no role."""
    agents = _drafted("19148594", "agents")
    assert {"aldesleukin", "interferon-alpha", "low-dose-il2"} <= agents.keys()
    assert agents["interferon-alpha"].evidence.startswith("abstract:")
    assert "role" not in agents["interferon-alpha"].value


def test_cancers_named_only_in_the_abstract_replace_the_broader_title() -> None:
    """A title on "hematologic neoplasms" and an abstract on hairy cell leukaemia and CML
    give the two named cancers, not the broader class."""
    assert _drafted("3524022", "cancers").keys() == {
        "hairy-cell-leukaemia",
        "chronic-myeloid-leukaemia",
    }


def test_an_acronym_is_not_an_ordinary_word() -> None:
    """ "All patients" in an abstract is not acute lymphoblastic leukaemia (ALL)."""
    assert "acute-lymphoblastic-leukaemia" not in _drafted("36987902", "cancers")


def test_a_receptor_is_not_its_ligand() -> None:
    """A title on antibodies against the IL-2 receptor does not suggest IL-2 itself."""
    assert "aldesleukin" not in _drafted("9794841", "agents")


def test_mesh_antagonists_of_a_target_name_its_inhibitor_class() -> None:
    """ "Janus Kinases/antagonists & inhibitors" drafts the JAK inhibitors."""
    assert "jak-inhibitors" in _drafted("22463737", "agents")


def test_a_review_also_typed_as_a_trial_is_a_review() -> None:
    """Publication types Clinical Trial and Review together draft a review."""
    study = _drafted("2479178", "study_type")
    assert study.keys() == {"review"}
    assert "Review" in study["review"].evidence
