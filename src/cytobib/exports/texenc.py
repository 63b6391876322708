"""Plain text -> a BibTeX value that Zotero, bibtex, biber, pandoc and pybtex read back alike.

BibTeX and BibLaTeX exports are UTF-8: every reader named here takes raw UTF-8, while their
LaTeX decoders disagree (Zotero's BibTeX import reads ``$\\leq$`` as ``łeq`` and ``$\\omega$``
as ``ømega``; tests/zotero_sim/README.md). Only what must be escaped is:

* the specials ``\\ { } & % $ # _ ~ ^``, as ``{\\textbackslash}``, ``\\{``, ``\\&``... (braces
  around every command);
* character pairs that a reader would join: TeX's ligatures (``--``, ``''``, ``!``` ...) and
  Zotero's plain-text table (``!!`` -> ‼, ``TEL`` -> ℡) get an empty group, ``-{}-``.

With ``ascii=True`` (``cytobib export --ascii``, for 8-bit bibtex) a character is escaped only
when :data:`SAFE` has a form for it: a form that Zotero's BibTeX translator, cytobib's decoder,
pybtex and biber all decode to that character (tests/test_export_texenc.py checks each one).
Anything else stays UTF-8, and :func:`problems` names it, so that nothing becomes a stand-in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Combining mark -> accent command, for the precomposed letters in ACCENTED.
_MARKS = {
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0308": '"',
    "\u0304": "=", "\u0307": ".", "\u030a": "r", "\u0327": "c", "\u0306": "u", "\u0328": "k",
    "\u030c": "v", "\u030b": "H", "\u0323": "d",
}  # fmt: skip

ACCENTED = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģ"
    "ĤĥĨĩĪĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžǍǎǏǑǒǓǔǦǧǨǩǪǫ"
    "ǴǵḌḍḶḷṂṃṆṇṚṛṢṣṬṭ"
)
"""Letters whose ``{\\'e}``-style form every reader decodes (ī, ǐ and most letters of Latin
Extended Additional are not among them: biber or Zotero read their forms otherwise)."""

SYMBOLS = {
    "£": "{\\textsterling}", "©": "{\\textcopyright}", "®": "{\\textregistered}",
    "°": "{\\textdegree}",
    "Æ": "{\\AE}", "æ": "{\\ae}", "Ø": "{\\O}", "ø": "{\\o}",
    "ß": "{\\ss}", "ı": "{\\i}", "Ł": "{\\L}", "ł": "{\\l}",
    "•": "{\\textbullet}",
    "Γ": "{$\\Gamma$}", "Δ": "{$\\Delta$}", "Θ": "{$\\Theta$}", "Λ": "{$\\Lambda$}",
    "Ξ": "{$\\Xi$}", "Π": "{$\\Pi$}", "Σ": "{$\\Sigma$}", "Φ": "{$\\Phi$}", "Ψ": "{$\\Psi$}",
    "α": "{$\\alpha$}", "β": "{$\\beta$}", "γ": "{$\\gamma$}", "δ": "{$\\delta$}",
    "ζ": "{$\\zeta$}", "η": "{$\\eta$}", "κ": "{$\\kappa$}", "λ": "{$\\lambda$}",
    "ν": "{$\\nu$}", "ξ": "{$\\xi$}", "π": "{$\\pi$}", "ρ": "{$\\rho$}", "σ": "{$\\sigma$}",
    "τ": "{$\\tau$}", "υ": "{$\\upsilon$}", "χ": "{$\\chi$}", "ψ": "{$\\psi$}",
}  # fmt: skip
"""Other characters with a form every reader decodes. Not here, on purpose: ≤ ≥ θ ω ε µ ×
(Zotero or pybtex read every form of them otherwise); – — ± · ™ Ð ð Þ þ (pandoc 3.9, the CSL
engine cytobib ships, drops ``\\textendash``, ``\\textpm``, ``\\DH``... without a word, and
``--`` is a ligature the other readers keep as two hyphens); curly quotes (their only common
form is a TeX ligature, which notes are read without)."""


def _accent_form(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch)
    base, cmd = decomposed[0], _MARKS[decomposed[1]]
    return "{\\" + cmd + (" " if cmd.isalpha() else "") + base + "}"


SAFE: dict[str, str] = {ch: _accent_form(ch) for ch in ACCENTED} | SYMBOLS
"""Every character ``ascii=True`` escapes, with its form."""

SPECIALS = {
    "\\": "{\\textbackslash}", "{": "\\{", "}": "\\}", "&": "\\&", "%": "\\%", "$": "\\$",
    "#": "\\#", "_": "\\_", "~": "{\\textasciitilde}", "^": "{\\^{}}",
}  # fmt: skip
_SPECIAL = re.compile(r"[\\{}&%$#_~^]")
# Pairs a reader joins: TeX's ligatures (-- `` '' !` ?` ,, << >>) and Zotero's plain table
# (!! ?! !? and TEL); an empty group between the two characters keeps them apart for all.
_DOUBLED = re.compile(r"([-'`,<>!?])(?=\1)")
_MIXED = re.compile(r"([!?])(?=[!?`])")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WS = re.compile(r"\s+")

# Forms Zotero's BibTeX import keeps as words (``\\textasciitilde``): for hazards(). No form
# of these characters gets through it (tests/zotero_sim/README.md, 4-text).
HAZARDS = {
    "{\\textbackslash}": "\\",
    "{\\textasciitilde}": "~",
    "{\\textdollar}": "$",
    "{\\textbraceleft}": "{",
    "{\\textbraceright}": "}",
}


# Anything encode() may change; text without it (most words of most titles) is returned as is.
_ANY = re.compile(r"[\\{}&%$#_~^]|[-'`,<>!?][-'`,<>!?]|TEL|  ")


def encode(text: str, *, ascii: bool = False, lines: bool = False) -> str:
    """Plain text -> a BibTeX value (see the module docstring): one line, or with ``lines``
    the line breaks kept (text already one clean line per line, as a note's)."""
    if not text:
        return ""
    if _ANY.search(text) is None and text.isprintable() and (not ascii or text.isascii()):
        return text
    if not lines and (not text.isprintable() or "  " in text):
        text = _WS.sub(" ", text).strip()
    if _SPECIAL.search(text):
        text = _SPECIAL.sub(lambda m: SPECIALS[m.group()], text)
        if text.count("\\$") >= 2:  # Zotero takes two \$ for math and drops both
            text = text.replace("\\$", "{\\textdollar}")
    text = breaks(text)
    if ascii and not text.isascii():
        text = _NON_ASCII.sub(lambda m: SAFE.get(m.group(), m.group()), text)
    return text


def breaks(text: str) -> str:
    """An empty group between characters a reader would join (``--`` -> ``-{}-``)."""
    if _DOUBLED.search(text):
        text = _DOUBLED.sub(r"\1{}", text)
    if _MIXED.search(text):
        text = _MIXED.sub(r"\1{}", text)
    return text.replace("TEL", "T{}EL") if "TEL" in text else text


def leftovers(value: str) -> list[str]:
    """Characters an ``ascii`` export had to write as UTF-8 (no form every reader decodes)."""
    return list(dict.fromkeys(_NON_ASCII.findall(value)))


def hazards(value: str) -> list[str]:
    """Characters of an encoded value that Zotero's BibTeX import keeps as words
    (``\\textasciitilde``): a backslash, ``~``, a lone brace, and ``$`` when a value holds two
    (as ``\\$`` it would take them for math and drop both). ``cytobib import`` reads the words
    back as the characters; Zotero shows them."""
    return [char for form, char in HAZARDS.items() if form in value]


def describe(chars: Iterable[str]) -> str:
    """``ð (U+00F0), ≤ (U+2264)`` for messages."""
    return ", ".join(f"{c} (U+{ord(c):04X})" for c in chars)
