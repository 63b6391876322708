"""One title protection: a title added by DOI (the Crossref mapping) and the same title exported
(the BibTeX exporter) brace the same words, because both ask ``latex.needs_protection``.

Before there was one rule, the two disagreed on 1,668 of the 9,998 titles of the mixed 10k
benchmark library (the first word "A", title-case compounds such as "Long-Term", and words
such as "T-cell" and "X-ray" that the export let BibTeX lowercase).
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cytobib import latex
from cytobib.crossref import map_work
from cytobib.exports import ExportOptions, bibtex
from cytobib.model import Entry, Record

# Words that have made the two disagree, and words on either side of every rule.
KNOWN = [
    "A", "IL-2", "T-cell", "X-ray", "E-mail", "Long-Term", "Non-Coding", "Cell-Mediated",
    "C++", "Treg", "Tregs", "Treg-mediated", "mRNA", "Th17", "CD4+", "(PD-1)", "IFN-γ",
    "α-Synuclein", "µg/ml", "p53-dependent", "Interleukin-2", "T", "the", "of", "Cancer:",
    "«IL-2»", "Burrows–Wheeler", "Life‐Tables", "T-Cell", "2014", "-", "Vitamin", "D",
]  # fmt: skip
LETTERS = "abcxyzABCXYZ0129αγΔλµéÉ"
word = st.one_of(
    st.sampled_from(KNOWN),
    st.text(alphabet=LETTERS + "-/+().,:'", min_size=1, max_size=8),
)
titles = st.lists(word, min_size=1, max_size=8).map(" ".join)


def protected_words(value: str) -> list[str]:
    """The words a BibTeX value braces, decoded: its top-level groups, leaving out the groups
    that only encode a character (``{\\'e}``, ``{$\\gamma$}``, ``{--}``, the ``{}`` of
    ``\\textbar{}``) and command arguments (``\\textsuperscript{2}``). Encodings are then
    evened out: the ASCII export writes the micro sign as ``$\\mu$`` (read back as Greek mu,
    hence NFKC), and the two sides write a literal ``--`` or ``''`` differently (the mapping
    leaves LaTeX's ligatures alone: ``--`` is a page range there), hence the dashes and
    quotes are compared as their ASCII forms."""
    words: list[str] = []
    depth = start = 0
    argument = False  # the group at depth 1 is a command's argument
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            i += 2
            while i < len(value) and value[i].isalpha():
                i += 1
            argument = depth == 0 and value.startswith("{", i)
            continue
        if ch == "{":
            depth += 1
            if depth == 1:
                start = i + 1
        elif ch == "}":
            depth -= 1
            group = value[start:i]
            if depth == 0 and not argument and _is_word(group):
                words.append(_plain(latex.to_text(group)))
            if depth == 0:
                argument = False
        i += 1
    return words


_LIGATURES = str.maketrans({"–": "--", "—": "---", "“": "``", "”": "''"})


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_LIGATURES)


def _is_word(group: str) -> bool:
    return bool(group) and not group.startswith(("\\", "$")) and group not in ("--", "---")


def added_by_doi(title: str) -> str:
    return map_work({"DOI": "10.5555/t", "type": "journal-article", "title": [title]}).fields[
        "title"
    ]


def exported(title: str, *, ascii: bool = False) -> str:
    entry = Entry("k", "article", {"title": latex.escape(title)}, line=1)
    return bibtex.Values(Record(entry), ExportOptions(ascii=ascii)).title()


@given(titles)
@example("A new model of T-cell help")
@example("Long-Term Outcomes of IL-2 Therapy")
@example("X-ray crystallography of C++ objects")
def test_added_and_exported_titles_are_braced_the_same(title: str) -> None:
    """Whatever the title, the DOI path and the export (UTF-8 or ``--ascii``) protect the
    same words."""
    added = protected_words(added_by_doi(title))
    assert added == protected_words(exported(title))
    assert added == protected_words(exported(title, ascii=True))


@pytest.mark.parametrize(
    ("word", "first", "protect"),
    [
        ("T-cell", False, True),  # the T of a T cell keeps its case
        ("X-ray", False, True),
        ("C++", False, True),  # one letter, a capital
        ("Treg-mediated", False, True),  # a cell type, even in a compound
        ("Long-Term", False, False),  # title case: each part is an ordinary word
        ("Interleukin-2", False, False),
        ("A", True, False),  # a title's first "A" is capitalised by every style anyway
        ("A", False, True),  # "Vitamin A", "Part A"
        ("µg", False, True),  # Greek (the micro sign included) never changes case
    ],
)
def test_needs_protection_rule(word: str, first: bool, protect: bool) -> None:
    """Each part of a hyphenated word is judged as a word; the first "A" is left alone."""
    assert latex.needs_protection(word, first=first) is protect
