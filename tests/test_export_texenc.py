"""Text in BibTeX exports (cytobib.exports.texenc): every reader decodes it back to itself.

The readers: Zotero's BibTeX import (tests/zotero_sim, checked against recordings), cytobib's
own decoder (``latex.to_text``), pybtex, biber (``biber --tool``, skipped when biber is not
installed) and pandoc (skipped when absent). Where a character has no form some reader gets
right, texenc says so (``hazards``, the ``--ascii`` leftovers) and the export warns.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pybtex.richtext import Text

import zotero_sim
from cytobib import latex
from cytobib.exports import texenc

SPECIALS = "\\{}&%$#_~^<>|'`-!?,"
# Characters the readers disagree on, per reader (texenc's docstring and hazards()).
ZOTERO_CANNOT = set("~\\{}")  # and a second $ in a field: texenc.hazards
PYBTEX_CANNOT = set("{}^$")  # pybtex keeps \$ and reads \{ as \, \^{} as the letter ˆ


def _zotero(value: str) -> str:
    """What Zotero's BibTeX import stores for a title written as ``value``."""
    (item,) = zotero_sim.import_text(f"@article{{k, title = {{{value}}}}}", "bibtex")
    return str(item.get("title", ""))


def _pybtex(value: str) -> str:
    return str(Text.from_latex(value).render_as("text"))


def _norm(text: str) -> str:
    return " ".join(text.split())


TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(SPECIALS) + list('aZ09 .:;()[]/@=+*"')),
        st.sampled_from(list(texenc.SAFE) + list("µ×≤≥θω“”’…‼℡⁺₂")),
        st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")),
    ),
    max_size=40,
)


@given(text=TEXT, ascii=st.booleans())
def test_any_text_decodes_back_to_itself(text: str, ascii: bool) -> None:
    """Any text, encoded (UTF-8 or ``--ascii``), decodes to itself in cytobib, in Zotero's
    BibTeX import and in pybtex, except the characters texenc names for that reader."""
    value = texenc.encode(text, ascii=ascii)
    want = _norm(text)
    if "{" not in text and "}" not in text:  # braces of our own only: balanced both ways
        assert latex.is_balanced(value) and latex.is_balanced(value, count_escaped=True)
    composed = unicodedata.normalize("NFC", want)  # cytobib's decoder composes (NFC)
    assert _norm(latex.to_text(value)) == composed
    assert _norm(latex.to_text(value, ligatures=False)) == composed  # how notes are read
    if not set(text) & ZOTERO_CANNOT and not texenc.hazards(value):
        assert _norm(_zotero(value)) == want
    if not set(text) & PYBTEX_CANNOT:
        assert _norm(_pybtex(value)) == want


@pytest.mark.parametrize("char", sorted(texenc.SAFE))
def test_every_ascii_form_decodes_to_its_character(char: str) -> None:
    """Each form ``--ascii`` writes is read as the character by Zotero, cytobib and pybtex,
    also between letters (``x{\\'e}y``)."""
    form = texenc.SAFE[char]
    assert form.isascii() and form.startswith("{") and form.endswith("}")
    for value in (form, f"x{form}y"):
        want = value.replace(form, char)
        assert _zotero(value) == want
        assert latex.to_text(value) == want
        assert _pybtex(value) == want


def test_biber_decodes_every_ascii_form(tmp_path: Path) -> None:
    """biber reads each ``--ascii`` form as the character (or passes it to LaTeX unchanged,
    which typesets the character): its ``--tool`` output decodes to the same text."""
    if shutil.which("biber") is None:
        pytest.skip("biber not installed: the forms were not read by biber")
    items = sorted(texenc.SAFE.items())
    bib = "".join(f"@misc{{k{i}, title = {{x{form}y}}}}\n" for i, (_, form) in enumerate(items))
    (tmp_path / "in.bib").write_text(bib, encoding="ascii")
    args = ["biber", "--tool", "--quiet", "--output-encoding=UTF-8", "--output-file=out.bib"]
    subprocess.run([*args, "in.bib"], cwd=tmp_path, capture_output=True, check=True, timeout=120)
    out = (tmp_path / "out.bib").read_text(encoding="utf-8")
    got = dict(re.findall(r"@MISC\{k(\d+),\s*TITLE\s*=\s*\{(.*?)\},?\s*\n\}", out, re.S | re.I))
    assert len(got) == len(items)
    wrong = [c for i, (c, _) in enumerate(items) if latex.to_text(got[str(i)]) != f"x{c}y"]
    assert wrong == []


def test_pandoc_decodes_every_ascii_form(tmp_path: Path) -> None:
    """pandoc (the CSL engine cytobib ships) reads each ``--ascii`` form as the character; a
    math form (``{$\\alpha$}``) stays TeX math in its CSL-JSON, which it typesets as α."""
    from cytobib.styles.pandoc import pandoc_path

    pandoc = pandoc_path()  # the wheel's, as cytobib runs it; else one on PATH
    if pandoc is None:
        pytest.skip("pandoc not installed: the forms were not read by pandoc")
    items = sorted(texenc.SAFE.items())
    # publisher: a field pandoc does not change the case of (it sentence-cases titles)
    bib = "".join(f"@misc{{k{i}, publisher = {{x{form}y}}}}\n" for i, (_, form) in enumerate(items))
    (tmp_path / "in.bib").write_text(bib, encoding="ascii")
    result = subprocess.run(
        [str(pandoc), "-f", "bibtex", "-t", "csljson", "in.bib"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    import json

    read = {item["id"]: item["publisher"] for item in json.loads(result.stdout)}
    wrong = [
        (c, form, read.get(f"k{i}"))
        for i, (c, form) in enumerate(items)
        if read.get(f"k{i}") not in (f"x{c}y", f"x{form.strip('{}')}y")
    ]
    assert wrong == []
    maths = [form for form in texenc.SAFE.values() if form.startswith("{$")]
    page = subprocess.run(
        [str(pandoc), "-f", "latex", "-t", "plain"],
        input=" ".join(f.strip("{}") for f in maths),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert page.stdout.split() == [c for c, f in texenc.SAFE.items() if f.startswith("{$")]


def test_pairs_a_reader_would_join_are_kept_apart() -> None:
    """TeX's ligatures and Zotero's plain table (``!!`` -> ‼, ``TEL`` -> ℡) get an empty group."""
    assert texenc.encode("a--b ''c'' !! ?! TELOMERE") == "a-{}-b '{}'c'{}' !{}! ?{}! T{}ELOMERE"
    assert _zotero(texenc.encode("TELOMERE -- !!")) == "TELOMERE -- !!"


def test_hazards_name_what_zotero_cannot_read() -> None:
    """``~``, a backslash and a second ``$`` are named; one ``$`` and ``^`` are fine."""
    assert texenc.hazards(texenc.encode("about ~40 in C:\\x")) == ["\\", "~"]
    assert texenc.hazards(texenc.encode("$12 or $15")) == ["$"]
    assert texenc.hazards(texenc.encode("$12 and x^2")) == []
    assert _zotero(texenc.encode("$12 and x^2")) == "$12 and x^2"


def test_ascii_keeps_what_has_no_safe_form() -> None:
    """``--ascii`` writes no ``[name]`` stand-in: a character without a safe form stays."""
    value = texenc.encode("Sigurðsson ≤ 5 µg, θ, Łódź", ascii=True)
    assert value == "Sigurðsson ≤ 5 µg, θ, {\\L}{\\'o}d{\\'z}"
    assert texenc.leftovers(value) == ["ð", "≤", "µ", "θ"]
