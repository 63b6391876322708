"""The documented citation-key scheme."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cytobib.annotations import is_safe_key
from cytobib.citekey import base_key, make_key


def test_scheme_examples() -> None:
    """Family + year + first significant title word, lower-case ASCII."""
    assert (
        base_key("Rosenberg", 2014, "IL-2: The First Effective Immunotherapy") == "rosenberg2014il2"
    )
    assert base_key("de la Torre", 2016, "The IFN-λ story") == "delatorre2016ifn"
    assert base_key("Pánek", 2017, "A new hope") == "panek2017hope"
    assert base_key(None, None, "Immunotherapy") == "anon0000immunotherapy"


def test_collisions_get_suffixes() -> None:
    """A taken key gets a, then b (compared ignoring case)."""
    taken = {"Lasfar2016ifn"}
    first = make_key("Lasfar", 2016, "IFN-λ cancer immunotherapy", taken)
    assert first == "lasfar2016ifna"
    assert make_key("Lasfar", 2016, "IFN-λ", taken | {first}) == "lasfar2016ifnb"


@given(st.text(max_size=30), st.integers(1000, 2100) | st.none(), st.text(max_size=60))
def test_keys_are_always_safe_file_names(family: str, year: int | None, title: str) -> None:
    """Whatever Crossref sends, the key can name an annotation file."""
    assert is_safe_key(make_key(family, year, title, ()))
