"""`cytobib suggest` keeps its measured quality on the labelled set (docs/suggest.md)."""

from __future__ import annotations

import pytest

from suggest_eval import FIXTURES, evaluate

# Measured on 2026-12-02 (docs/suggest.md); a change that lowers one fails here.
FLOORS = {
    "agents": (0.83, 0.50),
    "cancers": (1.00, 0.90),
    "study_type": (0.92, 0.76),
}


def test_precision_and_recall_do_not_regress() -> None:
    """Per field, precision and recall stay at or above the documented values."""
    if not FIXTURES.is_dir():
        pytest.skip(f"PubMed fixtures not found at {FIXTURES}")
    scores, count = evaluate()
    assert count >= 17
    for field, (precision, recall) in FLOORS.items():
        assert scores[field].precision >= precision - 1e-9, (field, scores[field])
        assert scores[field].recall >= recall - 1e-9, (field, scores[field])
