"""LaTeX <-> Unicode: decoding field values for display, escaping text for BibTeX/LaTeX."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cytobib import latex


def _plain(text: str) -> str:
    """Text as to_text returns it: NFC, single spaces, no outer whitespace."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


# Runs of any printable characters mixed with the pieces that matter to TeX (specials,
# ligatures, commands), so that Hypothesis meets "--" or "\\x" as often as plain letters.
_TEX_PIECES = ["--", "---", "``", "''", "-", "`", "'", '"', "{", "}", "\\", "\\'e", "$", "~", "^"]
_TEX_PIECES += ["&", "%", "#", "_", " ", "é", "λ", "IL-2", "{T}"]
printable_text = st.lists(
    st.one_of(
        st.sampled_from(_TEX_PIECES),
        st.text(st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs"))),
    ),
    max_size=12,
).map(lambda parts: _plain("".join(parts)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (r"caf\'e", "café"),
        (r"{\"u}ber", "über"),
        (r"Fran\c{c}ois", "François"),
        (r"Dvo\v{r}\'ak", "Dvořák"),
        (r"{\o}stergaard", "østergaard"),
        (r"Stra{\ss}e", "Straße"),
        (r"na\"{\i}ve", "naïve"),
    ],
)
def test_to_text_decodes_accents(value: str, expected: str) -> None:
    """Accent commands in every common spelling decode to composed Unicode letters."""
    assert latex.to_text(value) == expected


def test_to_text_decodes_math_greek() -> None:
    """`$\\lambda$` in a title becomes the Greek letter."""
    assert latex.to_text(r"$\lambda$ phage and IFN-$\gamma$") == "λ phage and IFN-γ"


def test_to_text_decodes_dashes() -> None:
    """`--` is an en dash and `---` an em dash, as TeX typesets them."""
    assert latex.to_text("pages 207--217 --- a note") == "pages 207–217 — a note"


def test_to_text_drops_protective_braces() -> None:
    """Braces that protect case from BibTeX styles do not appear in display text."""
    assert latex.to_text("The {IL-2} receptor in {T} cells") == "The IL-2 receptor in T cells"


def test_to_text_keeps_formatting_arguments() -> None:
    """Formatting commands are dropped but their argument text is kept."""
    assert latex.to_text(r"\textit{In vivo} and \emph{in vitro}") == "In vivo and in vitro"


def test_to_text_collapses_whitespace() -> None:
    """Line breaks inside a multi-line field become single spaces."""
    assert latex.to_text("Rapid searches for complex\n\t\t patterns") == (
        "Rapid searches for complex patterns"
    )


def test_to_text_decodes_escaped_specials() -> None:
    """Escaped specials decode to the characters themselves."""
    assert latex.to_text(r"50\% of \$5 \& \#1") == "50% of $5 & #1"


def test_escape_specials() -> None:
    """Characters special to LaTeX are escaped."""
    assert latex.escape("50% & $5 #1 a_b") == r"50\% \& \$5 \#1 a\_b"


def test_escape_breaks_dash_ligature() -> None:
    """Plain `--` is not turned into an en dash when typeset: it round-trips as two hyphens."""
    escaped = latex.escape("use --verbose")
    assert latex.to_text(escaped) == "use --verbose"


def test_escape_breaks_quote_ligatures() -> None:
    """Plain doubled quotes stay doubled quotes instead of becoming curly ones."""
    escaped = latex.escape("a ``b'' c")
    assert latex.to_text(escaped) == "a ``b'' c"


def test_escape_ascii_only_accents() -> None:
    """With ascii_only, accented letters become accent commands that decode back."""
    escaped = latex.escape("Müller–Sørensen", ascii_only=True)
    assert escaped.isascii()
    assert latex.to_text(escaped) == "Müller–Sørensen"


def test_escape_ascii_only_greek() -> None:
    """With ascii_only, Greek letters become math-mode commands."""
    assert latex.escape("IFN-λ", ascii_only=True) == r"IFN-{$\lambda$}"


@pytest.mark.parametrize(
    ("value", "balanced"),
    [("{a}", True), ("{a{b}c}", True), ("}{", False), ("{a", False), (r"a \{ b", True)],
)
def test_is_balanced(value: str, balanced: bool) -> None:
    """Brace balance ignores escaped braces, as bibtexparser does."""
    assert latex.is_balanced(value) is balanced


@pytest.mark.parametrize("word", ["IL-2", "mRNA", "T", "NK", "Treg", "IFN-λ", "CD4+", "Th17"])
def test_needs_protection_true(word: str) -> None:
    """Acronyms, Greek, single capitals and cell-type names must keep their case."""
    assert latex.needs_protection(word)


@pytest.mark.parametrize("word", ["cells", "Therapy", "in", "2014", "-"])
def test_needs_protection_false(word: str) -> None:
    """Ordinary words (capitalised or not) and numbers need no protection."""
    assert not latex.needs_protection(word)


def test_bibtex_title_protects_words() -> None:
    """bibtex_title braces exactly the words a style would wrongly lowercase."""
    assert (
        latex.bibtex_title("IL-2 expands T cells (mRNA).") == "{IL-2} expands {T} cells ({mRNA})."
    )


@given(printable_text)
def test_escape_is_balanced(text: str) -> None:
    """escape() output always has balanced braces."""
    assert latex.is_balanced(latex.escape(text))


@given(printable_text)
def test_escape_round_trips(text: str) -> None:
    """Decoding escaped printable text gives the text back."""
    assert latex.to_text(latex.escape(text)) == text


@given(printable_text)
def test_bibtex_title_is_balanced(text: str) -> None:
    """bibtex_title() output always has balanced braces."""
    assert latex.is_balanced(latex.bibtex_title(text))


@given(printable_text)
def test_bibtex_title_round_trips(text: str) -> None:
    """Protected words decode to the same text: braces only change case handling."""
    assert latex.to_text(latex.bibtex_title(text)) == text


def _ascii_latex_letter(ch: str) -> bool:
    decomposed = unicodedata.normalize("NFD", ch)
    return (
        len(decomposed) > 1
        and decomposed[0].isascii()
        and decomposed[0].isalpha()
        and all(unicodedata.combining(m) for m in decomposed[1:])
    )


accented_text = st.text(
    st.sampled_from(
        [chr(c) for c in range(0xC0, 0x180) if _ascii_latex_letter(chr(c))] + list("abc XYZ-.,")
    ),
    max_size=30,
).map(_plain)


@given(accented_text)
def test_escape_ascii_only_round_trips_accented_latin(text: str) -> None:
    """ascii_only escaping of Latin letters with accents is pure ASCII and decodes back."""
    escaped = latex.escape(text, ascii_only=True)
    assert escaped.isascii()
    assert latex.to_text(escaped) == text
