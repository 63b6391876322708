"""Finding exporters by name, alias, suffix and entry point."""

from __future__ import annotations

import pytest

from cytobib.errors import UnknownFormatError, UsageError
from cytobib.exports import ALL_FACETS, Facet, parse_facets, registry


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bibtex", "bibtex"),
        ("BibTeX", "bibtex"),
        ("bib", "bibtex"),
        ("biblatex", "biblatex"),
        ("biber", "biblatex"),
        ("csl-json", "csl-json"),
        ("csl", "csl-json"),
        ("json", "csl-json"),
        ("ris", "ris"),
    ],
)
def test_find_by_name_or_alias(name: str, expected: str) -> None:
    """Names and aliases are matched ignoring case."""
    assert registry.find_exporter(name).name == expected


def test_name_wins_over_suffix() -> None:
    """--to ris -o refs.bib writes RIS: an explicit format beats the suffix."""
    assert registry.find_exporter("ris", path="refs.bib").name == "ris"


def test_unknown_name_lists_known_formats() -> None:
    """An unknown name fails with every known format in the hint."""
    with pytest.raises(UnknownFormatError) as info:
        registry.find_exporter("endnote")
    assert info.value.hint is not None
    for name in ("bibtex", "biblatex", "csl-json", "ris"):
        assert name in info.value.hint


def test_unknown_suffix_asks_for_to() -> None:
    """A suffix no format claims fails and says to pass --to."""
    with pytest.raises(UnknownFormatError, match=r"refs\.txt"):
        registry.find_exporter(path="refs.txt")


def test_nothing_given_is_an_error() -> None:
    """Neither a name nor a path is a usage error, not a default."""
    with pytest.raises(UnknownFormatError):
        registry.find_exporter()


# Plug-ins (working, broken, shadowing a built-in): tests/test_registry.py.


def test_builtins_are_literal_and_lazy() -> None:
    """The built-in table names each exporter by module path; loading gives an Exporter."""
    for info in registry.BUILTINS.values():
        assert ":" in info.target
        exporter = registry.find_exporter(info.name)
        assert exporter.name == info.name
        assert tuple(exporter.aliases) == info.aliases
        assert tuple(exporter.suffixes) == info.suffixes
        assert exporter.description == info.description


def test_parse_facets() -> None:
    """--tags accepts a list, 'all' and 'none', and rejects unknown facets."""
    assert parse_facets("all") == ALL_FACETS
    assert parse_facets(None) == ALL_FACETS
    assert parse_facets("none") == frozenset()
    assert parse_facets("agents, Status") == {Facet.AGENTS, Facet.STATUS}
    with pytest.raises(UsageError, match="agent"):
        parse_facets("agent")
