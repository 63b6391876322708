"""The one field-precedence rule: fill missing, report conflicts, accept on request."""

from __future__ import annotations

from pathlib import Path

from cytobib.merge import Provenance, plan, same
from cytobib.model import Entry

ENTRY = Entry(
    key="k",
    type="article",
    line=1,
    fields={
        "title": "{IL-2} in {T} cells",
        "pages": "207--217",
        "month": "nov",
        "doi": "10.1586/1744666X.2014.875856",
        "author": "Rosenberg, Steven A.",
        "year": "2014",
    },
)


def test_notation_differences_are_not_conflicts() -> None:
    """Braces, dash style, month form, DOI case and author given names do not conflict."""
    incoming = {
        "title": "IL-2 in T cells",
        "pages": "207-217",
        "month": "11",
        "doi": "10.1586/1744666x.2014.875856",
        "author": "Rosenberg, S. A.",
    }
    result = plan(ENTRY, incoming, source="crossref")
    assert result.updates == {}
    assert result.conflicts == ()


def test_missing_fields_are_filled() -> None:
    """A field the entry lacks is filled."""
    result = plan(ENTRY, {"volume": "10", "number": "2"}, source="crossref")
    assert result.updates == {"volume": "10", "number": "2"}


def test_differing_value_is_a_conflict_not_an_overwrite() -> None:
    """A different year is reported with both values and not applied."""
    result = plan(ENTRY, {"year": "2013"}, source="crossref")
    assert result.updates == {}
    (conflict,) = result.conflicts
    assert (conflict.field, conflict.ours, conflict.theirs) == ("year", "2014", "2013")


def test_accept_applies_only_that_field() -> None:
    """--accept year takes Crossref's year but still reports the pages conflict."""
    result = plan(ENTRY, {"year": "2013", "pages": "1--9"}, source="crossref", accept=["year"])
    assert result.updates == {"year": "2013"}
    assert [c.field for c in result.conflicts] == ["pages"]


def test_accept_takes_a_comma_separated_list() -> None:
    """`enrich --accept year,pages` and `import --accept year,pages` read it the same way."""
    incoming = {"year": "2013", "pages": "1--9"}
    result = plan(ENTRY, incoming, source="crossref", accept=["Year, pages"])
    assert result.updates == incoming
    assert not result.conflicts


def test_overwrite_applies_all() -> None:
    """--overwrite takes every differing value."""
    result = plan(ENTRY, {"year": "2013", "pages": "1--9"}, source="crossref", overwrite=True)
    assert result.updates == {"year": "2013", "pages": "1--9"}


def test_dismissed_conflicts_stay_quiet(tmp_path: Path) -> None:
    """A dismissed conflict is remembered across runs and no longer reported."""
    first = plan(ENTRY, {"year": "2013"}, source="crossref")
    prov = Provenance.load(tmp_path)
    prov.dismiss(first.conflicts)
    prov.save()
    again = plan(
        ENTRY, {"year": "2013"}, source="crossref", dismissed=Provenance.load(tmp_path).dismissed
    )
    assert again.conflicts == ()
    assert len(again.dismissed) == 1
    # A new, different value from the source is a new conflict.
    other = plan(
        ENTRY, {"year": "2012"}, source="crossref", dismissed=Provenance.load(tmp_path).dismissed
    )
    assert len(other.conflicts) == 1


def test_provenance_records_source(tmp_path: Path) -> None:
    """Filled fields are recorded with their source; others are the user's."""
    prov = Provenance(tmp_path / ".cytobib" / "provenance.json")
    prov.record("k", ["volume"], "crossref")
    prov.save()
    loaded = Provenance.load(tmp_path)
    assert loaded.source_of("k", "volume") == "crossref"
    assert loaded.source_of("k", "title") == "user"


def test_title_fuzzy_equality() -> None:
    """Titles differing only by punctuation or a stray space are the same."""
    assert same(
        "title",
        "IL-2: the first effective immunotherapy",
        "IL-2 - The First Effective Immunotherapy",
    )
    assert not same("title", "IL-2 therapy", "IL-15 therapy in mice")
