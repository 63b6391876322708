"""`cytobib suggest` keeps its measured quality on the labelled set (docs/suggest.md)."""

from __future__ import annotations

import pytest

from suggest_eval import FIXTURES, evaluate, shipped_agreement

# Measured on 2026-12-02 over 40 records (docs/pubmed.md); a change that lowers one fails here.
FLOORS = {
    "agents": (0.84, 0.89),
    "cancers": (0.93, 0.93),
    "study_type": (0.94, 0.85),
}


def test_precision_and_recall_do_not_regress() -> None:
    """Per field, precision and recall stay at or above the documented values."""
    if not FIXTURES.is_dir():
        pytest.skip(f"PubMed fixtures not found at {FIXTURES}")
    scores, count = evaluate()
    assert count >= 40
    for field, (precision, recall) in FLOORS.items():
        assert scores[field].precision >= precision - 1e-9, (field, scores[field])
        assert scores[field].recall >= recall - 1e-9, (field, scores[field])


def test_drafts_agree_with_the_shipped_annotations() -> None:
    """For shipped works with a PubMed record, suggest drafts nothing the hand-written
    annotation lacks and misses at most one of its values (docs/pubmed.md)."""
    rows = shipped_agreement()
    assert rows
    assert all(got <= want for _, _, got, want in rows), rows
    assert sum(len(want - got) for _, _, got, want in rows) <= 1, rows
