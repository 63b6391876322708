"""Full-text search (cytobib.search): folding and terms."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from cytobib.search import Term, fold

TEXT = st.text(alphabet=st.sampled_from(list("aIl-2 1é\u0301ß%+/_\n")), max_size=30)


@given(st.text(max_size=40))
def test_fold_is_idempotent_and_ignores_normal_forms(text: str) -> None:
    """Folding twice changes nothing, and composed or decomposed accents fold alike."""
    assert fold(fold(text)) == fold(text)
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


def test_fold_drops_case_and_accents() -> None:
    assert fold("Rébé RÉNAL Œdème") == "rebe renal œdeme"


@given(st.sampled_from(["IL-2", "il 2", "2", "a", "%", "é1"]), TEXT)
def test_term_is_the_word_start_pattern(term: str, text: str) -> None:
    """The hand-checked word start gives what a look-behind pattern gives (the slow form)."""
    found = Term(term)
    slow = re.compile(("(?<!\\w)" if found.at_word else "") + found.pattern.pattern)
    folded = fold(text)
    assert found.search(folded) == bool(slow.search(folded))


def test_term_examples() -> None:
    il2 = Term("IL-2")
    assert il2.search(fold("low-dose IL-2 therapy"))
    assert il2.search(fold("IL2"))
    assert il2.search(fold("il 2"))
    assert not il2.search(fold("IL-21"))
    assert not il2.search(fold("anil-2"))
    assert Term("immun").search(fold("Immunotherapy"))
