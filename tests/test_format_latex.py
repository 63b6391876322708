"""The LaTeX format: complete, ASCII-only documents that pdflatex compiles as written."""

from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cytobib import latex
from cytobib.formats.escape import latex_text
from cytobib.formats.latex import LatexFormat
from viewkit import (
    GREEK,
    HOSTILE,
    context,
    hostile_map,
    hostile_reading_list,
    hostile_table,
    plain_reading_list,
)

FMT = LatexFormat()
PACKAGES = ("inputenc", "fontenc", "lmodern", "hyperref", "booktabs", "longtable", "array",
            "pdflscape")  # fmt: skip


def _packages(doc: str) -> set[str]:
    out: set[str] = set()
    for names in re.findall(r"\\usepackage(?:\[[^\]]*\])?\{([^}]*)\}", doc):
        out.update(n.strip() for n in names.split(","))
    return out


def test_reading_list_is_a_complete_document() -> None:
    """Article class, the agreed packages, one document environment."""
    doc = FMT.reading_list(hostile_reading_list(), context())
    assert doc.startswith(r"\documentclass")
    assert r"{article}" in doc.splitlines()[0]
    assert r"\usepackage[utf8]{inputenc}" in doc
    assert r"\usepackage[T1]{fontenc}" in doc
    assert set(PACKAGES) <= _packages(doc)
    assert doc.count(r"\begin{document}") == doc.count(r"\end{document}") == 1
    assert doc.rstrip().endswith(r"\end{document}")


def test_output_is_ascii_with_balanced_braces() -> None:
    """pdflatex needs no Unicode: Greek and accents become commands; braces balance."""
    for doc in (
        FMT.reading_list(hostile_reading_list(), context()),
        FMT.table(hostile_table(), context()),
        FMT.evidence_map(hostile_map(), context()),
    ):
        assert doc.isascii()
        assert latex.is_balanced(doc)
        assert "<script>" not in doc.replace(latex_text(HOSTILE), "")


def test_hostile_values_are_escaped_and_read_back_unchanged() -> None:
    """The escaped title, note and group name decode back to the text the user wrote."""
    doc = FMT.reading_list(hostile_reading_list(), context())
    escaped = latex_text(HOSTILE)
    assert latex.to_text(escaped) == HOSTILE
    for special in (r"\&", r"50\%", r"\$x\$", r"\#1", r"\_a\_", r"\textbackslash{}"):
        assert special in escaped
    assert "{IL-2}" not in doc  # braces escaped (\{ or \textbraceleft{}), never a group
    assert doc.count(escaped) >= 8
    assert r"\section*{\hypertarget{group-1}{}" + escaped in doc
    assert r"\cbnote{also under: " + escaped + "}" in doc


def test_greek_letters_are_math_mode_commands() -> None:
    """IFN-λ/TNF-α is written as IFN-{$\\lambda$}/TNF-{$\\alpha$}."""
    doc = FMT.reading_list(hostile_reading_list(), context())
    assert latex_text(GREEK) == r"IFN-{$\lambda$}/TNF-{$\alpha$}"
    assert r"IFN-{$\lambda$}/TNF-{$\alpha$}" in doc


def test_retracted_item_gets_the_warning_box() -> None:
    """The warning goes through \\cbwarning, escaped, right after the citation."""
    doc = FMT.reading_list(hostile_reading_list(), context())
    (warning,) = re.findall(r"\\cbwarning\{([^\n]*)\}\n", doc)
    assert warning.startswith("RETRACTED (notice: https://doi.org/10.1234/notice.1)")
    assert r"\newcommand{\cbwarning}" in doc


def test_items_claims_and_doi_links() -> None:
    """Items are numbered cbitem blocks; claims are itemize lists; DOIs are \\href links."""
    doc = FMT.reading_list(hostile_reading_list(), context())
    assert doc.count(r"\begin{cbitem}[1]") == 2
    assert doc.count(r"\begin{cbitem}") == doc.count(r"\end{cbitem}") == 5
    assert r"\begin{cblist}" in doc
    assert r"\cbbadge{clinical-trial}" in doc
    assert r"\href{https://doi.org/10.1000/evil\%3C1\%3E\%262}{doi:10." in doc
    assert latex.to_text(r"10.\allowbreak{}1000/\allowbreak{}retracted") == "10.1000/retracted"
    assert "javascript" not in doc


def test_contents_link_to_groups_in_one_run() -> None:
    """The contents use \\hyperlink to \\hypertarget, which need no second pdflatex run."""
    doc = FMT.reading_list(hostile_reading_list(), context())
    for n in (1, 2, 3):
        assert rf"\hyperlink{{group-{n}}}" in doc
        assert rf"\hypertarget{{group-{n}}}" in doc
    assert r"\tableofcontents" not in doc
    assert r"\ref{" not in doc


def test_wide_table_is_landscape_with_wrapping_columns() -> None:
    """Many columns turn the page; every column is a p{} column that wraps."""
    doc = FMT.table(hostile_table(), context())
    assert r"\begin{landscape}" in doc
    assert doc.count(r"\begin{longtable}") == 2
    specs = re.findall(r"\\begin\{longtable\}\{(.*)\}\n", doc)
    assert specs[0].count(r"p{\dimexpr") == 15
    assert r"\endhead" in doc


def test_narrow_table_stays_portrait() -> None:
    """Four columns fit a portrait page."""
    doc = FMT.table(hostile_table(("citation", "agents", "claims", "doi")), context())
    assert r"\begin{landscape}" not in doc
    assert r"\begin{longtable}" in doc


def test_table_cells_list_multiple_values_and_mark_retractions() -> None:
    """Several values become an itemize in the cell; the retracted row is coloured."""
    doc = FMT.table(hostile_table(), context())
    assert r"\begin{cbvalues}\item Claim " + latex_text(HOSTILE) in doc
    assert doc.count(r"\rowcolor{cbwarnbg}") == 1
    assert r"\cbflag{RETRACTED}" in doc
    assert r"\hyperlink{ref-1}{" in doc
    assert r"\hypertarget{ref-4}{}" in doc


def test_evidence_map_colours_cells() -> None:
    """Cells with works get a background by count and list the citation numbers."""
    doc = FMT.evidence_map(hostile_map(), context())
    colours = re.findall(r"\\cellcolor\[HTML\]\{([0-9A-F]{6})\}", doc)
    assert len(colours) == 4
    assert len(set(colours)) == 3
    assert r"[\hyperlink{ref-1}{1}, \hyperlink{ref-2}{2}, \hyperlink{ref-3}{3}]" in doc


def test_project_template_overrides_the_packaged_one(tmp_path: Path) -> None:
    """<project>/templates/item.tex.j2 replaces the item layout; values stay escaped."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "item.tex.j2").write_text(
        r"\paragraph{ {{- number -}} } {{ summary }}" + "\n", encoding="utf-8"
    )
    doc = FMT.reading_list(hostile_reading_list(), context(tmp_path))
    assert r"\paragraph{1} Summary " + latex_text(HOSTILE) in doc
    assert r"\begin{cbitem}" not in doc.split(r"\begin{document}")[1]


# --- pdflatex --------------------------------------------------------------------------------

#: The packages the documents load, by the Debian/Ubuntu package that has them: TeX Live's
#: latex-base and latex-recommended collections and lmodern, a basic install. enumitem
#: (texlive-latex-extra) is loaded only when present, for project templates that use it.
BASIC = {
    "inputenc": "texlive-latex-base", "fontenc": "texlive-latex-base",
    "geometry": "texlive-latex-base", "array": "texlive-latex-base",
    "longtable": "texlive-latex-base", "hyperref": "texlive-latex-base",
    "colortbl": "texlive-latex-base", "xcolor": "texlive-latex-recommended",
    "booktabs": "texlive-latex-recommended", "pdflscape": "texlive-latex-recommended",
    "ragged2e": "texlive-latex-recommended", "lmodern": "lmodern",
}  # fmt: skip
BASIC_DEBIAN = ("texlive-base", "texlive-latex-base", "texlive-latex-recommended", "lmodern")
PDFLATEX = shutil.which("pdflatex")
KPSEWHICH = shutil.which("kpsewhich")


def _required(doc: str) -> set[str]:
    """The packages a document loads unconditionally (not inside \\IfFileExists)."""
    lines = [line for line in doc.splitlines() if not line.lstrip().startswith(r"\IfFileExists")]
    return _packages("\n".join(lines))


def _find(name: str, env: dict[str, str] | None = None) -> str:
    """Where kpsewhich finds a TeX file ("" when it is not installed)."""
    assert KPSEWHICH is not None
    out = subprocess.run([KPSEWHICH, name], capture_output=True, text=True, env=env, check=False)
    return out.stdout.strip()


def _need_packages(doc: str, env: dict[str, str] | None = None) -> None:
    """Skip, naming what is missing, unless pdflatex and every package the document loads are
    installed: a basic TeX install skips what it cannot compile instead of failing."""
    if PDFLATEX is None or KPSEWHICH is None:
        pytest.skip(
            "pdflatex is not installed (Debian: apt-get install texlive-latex-base "
            "texlive-latex-recommended lmodern): the document was not compiled"
        )
    missing = sorted(p for p in _required(doc) if not _find(f"{p}.sty", env))
    if missing:
        where = {**BASIC, "enumitem": "texlive-latex-extra"}
        names = ", ".join(f"{p}.sty ({where.get(p, 'tlmgr info ' + p)})" for p in missing)
        pytest.skip(f"LaTeX packages not installed: {names}; the document was not compiled")


def _compile(
    source: str, folder: Path, env: dict[str, str] | None = None, *, skip_missing: bool = True
) -> str:
    if skip_missing:
        _need_packages(source, env)
    assert PDFLATEX is not None
    (folder / "doc.tex").write_text(source, encoding="ascii")
    result = subprocess.run(
        [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=180,
        check=False,
        env=env,
    )
    log = (folder / "doc.log").read_text(errors="replace") if (folder / "doc.log").exists() else ""
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert not errors, "\n".join(errors)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (folder / "doc.pdf").stat().st_size > 1000
    return log


_BUILDERS: dict[str, Callable[[], Any]] = {
    "reading_list": hostile_reading_list,
    "table": hostile_table,
    "evidence_map": hostile_map,
}


@pytest.mark.parametrize("kind", list(_BUILDERS))
def test_documents_need_only_a_basic_tex_install(kind: str) -> None:
    """Every package loaded unconditionally is in latex-base, latex-recommended or lmodern:
    the documents compile without texlive-latex-extra (enumitem was required before)."""
    doc = getattr(FMT, kind)(_BUILDERS[kind](), context())
    assert _required(doc) <= set(BASIC)
    assert r"\begin{itemize}[" not in doc and r"\begin{enumerate}[" not in doc


def test_a_missing_package_skips_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without booktabs.sty the compile tests skip and say which package to install."""
    if KPSEWHICH is None:
        pytest.skip("kpsewhich is not installed: nothing to simulate")
    monkeypatch.setattr(
        sys.modules[__name__], "_find", lambda name, env=None: "" if name == "booktabs.sty" else "x"
    )
    monkeypatch.setattr(sys.modules[__name__], "PDFLATEX", "pdflatex")
    with pytest.raises(pytest.skip.Exception, match=r"booktabs\.sty \(texlive-latex-recommended\)"):
        _need_packages(FMT.table(hostile_table(), context()))


@pytest.mark.parametrize("kind", list(_BUILDERS))
def test_hostile_documents_compile_with_pdflatex(kind: str, tmp_path: Path) -> None:
    """Each view with every hostile value compiles in one pdflatex run, no error."""
    log = _compile(getattr(FMT, kind)(_BUILDERS[kind](), context()), tmp_path)
    assert "Missing character" not in log


def test_reading_list_with_every_section_compiles(tmp_path: Path) -> None:
    """All sections (abstract included) and a portrait table compile too."""
    _compile(FMT.reading_list(hostile_reading_list(sections=("abstract",)), context()), tmp_path)
    narrow = hostile_table(("citation", "claims", "caveats"))
    _compile(FMT.table(narrow, context()), tmp_path)


def _basic_install() -> dict[str, str]:
    """An environment whose TeX finds only the input files of Debian's basic packages
    (BASIC_DEBIAN): TEXINPUTS lists their folders, so kpsewhich and pdflatex find nothing
    from texlive-latex-extra. Skipped where dpkg or those packages are absent."""
    if PDFLATEX is None or KPSEWHICH is None or shutil.which("dpkg") is None:
        pytest.skip("a basic TeX install is simulated with dpkg's file lists (Debian/Ubuntu)")
    listed = subprocess.run(
        ["dpkg", "-L", *BASIC_DEBIAN], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip(f"not all of {', '.join(BASIC_DEBIAN)} are installed: nothing to simulate")
    suffixes = {".sty", ".cls", ".clo", ".def", ".fd", ".cfg", ".tex", ".ldf", ".dfu"}
    folders = sorted(
        {
            str(Path(line).parent)
            for line in listed.stdout.splitlines()
            if "/tex/" in line and Path(line).suffix in suffixes
        }
    )
    env = {**os.environ, "TEXINPUTS": os.pathsep.join([".", *folders])}
    assert _find("article.cls", env) and _find("hyperref.sty", env)
    assert _find("enumitem.sty", env) == ""  # the simulation hides texlive-latex-extra
    return env


@pytest.mark.parametrize("kind", list(_BUILDERS))
def test_documents_compile_on_a_basic_tex_install(kind: str, tmp_path: Path) -> None:
    """With only texlive-base, -latex-base, -latex-recommended and lmodern visible to TeX,
    each document compiles (before, the reading list stopped at "enumitem.sty not found")."""
    env = _basic_install()
    doc = getattr(FMT, kind)(_BUILDERS[kind](), context())
    _compile(doc, tmp_path, env, skip_missing=False)  # a missing package here is a failure


# --- escaping round trip ---------------------------------------------------------------------

_PRINTABLE = st.sampled_from([*string.printable, *"αβγδκλμτωΔΩéèêëüöäñçåøßÉÅ–—…°±×µ“”"])


def _same(text: str) -> str:
    """What TeX shows for text: NFKC (µ and μ alike), whitespace folded."""
    return unicodedata.normalize("NFKC", " ".join(text.split()))


@given(st.text(_PRINTABLE, max_size=60))
def test_latex_text_round_trips_printable_input(text: str) -> None:
    """latex.to_text(latex_text(s)) gives back s for printable text (whitespace folded)."""
    escaped = latex_text(text)
    assert escaped.isascii()
    assert latex.is_balanced(escaped)
    assert _same(latex.to_text(escaped)) == _same(text)


@given(title=st.text(_PRINTABLE, max_size=40), note=st.text(_PRINTABLE, max_size=40))
def test_any_title_and_note_appear_escaped_in_the_document(title: str, note: str) -> None:
    """The rendered document holds the escaped title and note, and stays balanced."""
    view = plain_reading_list(title=title or "x", note=note or None)
    doc = FMT.reading_list(view, context())
    assert latex_text(title or "x") in doc
    if note.strip():
        assert r"\cbnote{" + latex_text(note) + "}" in doc
    assert latex.is_balanced(doc)
    assert doc.isascii()
