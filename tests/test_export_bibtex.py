"""BibTeX and BibLaTeX export: read back by bibtexparser and pybtex, compiled where possible.

The compile tests run pdflatex + bibtex and pdflatex + biber on the ``--ascii`` export (with
the ``\\DeclareUnicodeCharacter`` lines its warnings give), ``biber --validate-datamodel`` on
the UTF-8 BibLaTeX export, and pandoc, when they are installed (``apt-get install
texlive-latex-base texlive-bibtex-extra biber pandoc``), and fail on any warning; without them
they are skipped with a message.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import bibtexparser
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pybtex.database import parse_string as pybtex_parse

from cytobib import bibfile, latex
from cytobib.exports import ExportOptions, export, export_library, texenc
from cytobib.exports.bibtex import BibTeXExporter, declare
from cytobib.library import Project, open_project
from cytobib.model import Annotation, Claim, Entry, Record

DATA = Path(__file__).parent / "data" / "export"

# Fields and types that classic bibtex does not know (BibLaTeX's data model only).
BIBLATEX_ONLY_FIELDS = {
    "date",
    "journaltitle",
    "location",
    "eprint",
    "eprinttype",
    "eprintclass",
    "annotation",
    "addendum",
    "subtitle",
    "maintitle",
    "pubstate",
    "langid",
}
BIBTEX_TYPES = {
    "article",
    "book",
    "booklet",
    "inbook",
    "incollection",
    "inproceedings",
    "manual",
    "mastersthesis",
    "misc",
    "phdthesis",
    "proceedings",
    "techreport",
    "unpublished",
}


@pytest.fixture(scope="module")
def proj() -> Project:
    return open_project(DATA, use_cache=False)


ASCII = ExportOptions(ascii=True)


@pytest.fixture(scope="module")
def bibtex_text(proj: Project) -> str:
    return export(proj.library, "bibtex")


@pytest.fixture(scope="module")
def biblatex_text(proj: Project) -> str:
    return export(proj.library, "biblatex")


def _declarations(fmt: str, proj: Project) -> str:
    """The ``\\DeclareUnicodeCharacter`` lines the ``--ascii`` export's warnings give."""
    result = export_library(proj.library, to=fmt, options=ASCII)
    return "".join(
        re.findall(r"\\DeclareUnicodeCharacter\{[0-9A-F]+\}\{.*\}(?=\.$)", w)[0] + "\n"
        for w in result.warnings
        if "DeclareUnicodeCharacter" in w
    )


def _same(ours: str, theirs: str) -> bool:
    """Equal up to compatibility forms (LaTeX writes ⁺ as \\textsuperscript{+}, µ as $\\mu$)
    and to lone braces, which are written as \\textbraceleft{} (decoded as nothing)."""

    def norm(text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        text = re.sub("[‘’`]", "'", text)  # LaTeX typesets ' and ` as curly quotes
        if not latex.is_balanced(text.replace("\\", "")):
            text = text.replace("{", "").replace("}", "")
        return " ".join(text.split())

    return norm(ours) == norm(theirs)


def _parse(text: str) -> dict[str, Entry]:
    parsed = bibfile.parse(bibfile.decode_bytes(text.encode(), "export.bib"))
    assert parsed.issues == ()
    return {e.key: e for e in parsed.entries}


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_utf8_by_default_and_ascii_where_every_reader_agrees(proj: Project, fmt: str) -> None:
    """The default file is UTF-8 (Müller, λ as they are); ``--ascii`` writes the characters
    every reader decodes alike as LaTeX, and keeps only the others as UTF-8, each named in a
    warning with the declaration pdflatex needs."""
    plain = export(proj.library, fmt)
    assert "Jürgen" in plain and "IFN}-λ" not in plain and "{IFN-λ}" in plain
    result = export_library(proj.library, to=fmt, options=ASCII)
    assert 'J{\\"u}rgen' in result.text and "{IFN-{$\\lambda$}}" in result.text
    left = texenc.leftovers(result.text)
    assert left and not set(left) & set(texenc.SAFE)
    for ch in left:
        assert any(texenc.describe([ch]) in w for w in result.warnings), ch


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_bibtexparser_reads_every_entry(proj: Project, fmt: str) -> None:
    """bibtexparser v2 reads it without a failed block; keys are preserved exactly."""
    library = bibtexparser.parse_string(export(proj.library, fmt))
    assert library.failed_blocks == []
    assert [e.key for e in library.entries] == [r.key for r in proj.library]


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_pybtex_reads_names_and_titles(proj: Project, fmt: str) -> None:
    """pybtex reads it; people and decoded titles equal the library's."""
    data = pybtex_parse(export(proj.library, fmt), "bibtex")
    assert list(data.entries) == [r.key for r in proj.library]
    for record in proj.library:
        theirs = data.entries[record.key]
        assert _same(latex.to_text(theirs.fields["title"]), record.entry.title)
        names = [latex.to_text(" ".join(p.last_names)) for p in theirs.persons.get("author", [])]
        expected = [p.family for p in record.entry.authors]
        assert names == expected


def test_bibtex_has_no_biblatex_only_fields(bibtex_text: str) -> None:
    """The BibTeX export uses classic types and no BibLaTeX-only field."""
    for entry in _parse(bibtex_text).values():
        assert entry.type in BIBTEX_TYPES
        assert not set(entry.fields) & BIBLATEX_ONLY_FIELDS, entry.key


def test_values_decode_to_the_library_text(proj: Project, bibtex_text: str) -> None:
    """Escaping is lossless: every exported text field decodes to the library's text."""
    exported = _parse(bibtex_text)
    for record in proj.library:
        for name in ("title", "journal", "volume", "pages", "publisher", "booktitle"):
            if record.entry.get(name):
                assert _same(exported[record.key].text(name), record.entry.text(name)), name
        assert exported[record.key].authors == record.entry.authors


def test_titles_protected(bibtex_text: str) -> None:
    """Acronyms, Greek and single capitals are braced; the user's {Kaposi} stays braced."""
    title = _parse(bibtex_text)["panek2021ifn"].get("title")
    for protected in ("{IFN-λ}", "{TNF-α}", "{T}", "{NK}", "{Kaposi}"):
        assert protected in title
    assert "100\\%" in title
    assert "\\&" in title


def test_notes_tags_and_retraction(bibtex_text: str) -> None:
    """annote holds cytobib's note (one block a line), keywords the tags, note the retraction."""
    entries = _parse(bibtex_text)
    annote = entries["panek2021ifn"].get("annote")
    assert annote.startswith(
        "cytobib: v1\n    Cite key: panek2021ifn\n    Pubmed id: 33500000\n"
        "    Summary: First line with <b>HTML</b> \\&"
    )
    assert "\n    Claims:\n    Claim 1: IFN-λ reduced" in annote
    assert entries["panek2021ifn"].text("keywords").startswith("agent: interferon-lambda, ")
    assert entries["retracted2019tnf"].text("note").startswith("RETRACTED. Notice: doi:")
    assert "status: retracted" in entries["retracted2019tnf"].text("keywords")
    assert entries["Smith_2018-IL2.b"].text("note") == "50% & more: first printing"


def test_doi_and_url_are_verbatim(bibtex_text: str) -> None:
    """DOIs and URLs are not LaTeX-escaped (styles print them through \\url)."""
    entries = _parse(bibtex_text)
    assert entries["panek2021ifn"].get("doi") == "10.1016/j.cytogfr.2021.01_001"
    assert entries["panek2021ifn"].get("url") == "https://example.org/a_b?x=1&y=50%25#frag"


def test_biblatex_fields(biblatex_text: str) -> None:
    """BibLaTeX gets date, journaltitle, eprint for the PMID, annotation and addendum."""
    entries = _parse(biblatex_text)
    article = entries["panek2021ifn"]
    assert article.get("date") == "2021-03"
    assert article.text("journaltitle") == "Cytokine & Growth Factor Reviews"
    assert (article.get("eprinttype"), article.get("eprint")) == ("pubmed", "33500000")
    assert "pmid" not in article.fields
    assert "year" not in article.fields
    assert "publisher" not in article.fields  # not in biblatex's model for @article
    assert article.get("annote").startswith("cytobib: v1")  # biblatex reads it as annotation
    assert entries["retracted2019tnf"].text("addendum").startswith("RETRACTED.")
    assert (entries["francois2015phd"].type, entries["francois2015phd"].get("type")) == (
        "thesis",
        "phdthesis",
    )
    assert entries["who2020guidelines"].type == "report"


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_dotless_i_is_not_written(proj: Project, fmt: str) -> None:
    """í is written {\\'i} with --ascii: biber and pandoc decode {\\'\\i} to ı plus a
    combining accent."""
    text = export(proj.library, fmt, ASCII)
    assert "{\\'i}" in text
    assert "\\'\\i" not in text


SAFE_TEXT = st.text(
    alphabet=st.sampled_from(
        list("abcXYZ 0123456789.,;:!?()[]-+=/*'\"<>|@#$%&_{}\\^~`\n\t")
        + list("éèüöçñßøåŁλαβγμΔ–—“”’…≥±×µ")
    ),
    max_size=120,
)


@given(title=SAFE_TEXT, abstract=SAFE_TEXT, summary=SAFE_TEXT, ascii=st.booleans())
def test_any_text_makes_one_balanced_entry(
    title: str, abstract: str, summary: str, ascii: bool
) -> None:
    """Hostile text cannot break out of its field, and it decodes back to itself."""
    fields = {
        "title": latex.escape(title),
        "abstract": latex.escape(abstract),
        "year": "2020",
    }
    entry = Entry(key="k1", type="article", fields=fields, line=1)
    record = Record(
        entry, Annotation("k1", "k1.yaml", summary=summary, claims=(Claim(summary or "x"),))
    )
    text = BibTeXExporter().entry(record, ExportOptions(ascii=ascii))
    if ascii:
        assert not set(texenc.leftovers(text)) & set(texenc.SAFE)
    parsed = _parse(text)
    assert list(parsed) == ["k1"]
    for value in parsed["k1"].fields.values():
        assert latex.is_balanced(value)
    assert _same(parsed["k1"].text("abstract"), entry.text("abstract"))
    assert _same(parsed["k1"].text("title"), entry.text("title"))


# --- compiling with the real tools -----------------------------------------------------------


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed: the export was not compiled (install "
            "texlive-latex-base, texlive-bibtex-extra, biber and pandoc to run this check)"
        )


def _pandoc() -> str:
    """The pandoc cytobib itself runs (the pypandoc-binary wheel's, else one on PATH)."""
    from cytobib.styles.pandoc import pandoc_path

    found = pandoc_path()
    if found is None:
        pytest.skip("pandoc not installed: the export was not rendered by pandoc")
    return str(found)


def _need_tex(*files: str) -> None:
    """Skip unless kpsewhich finds these LaTeX files (biblatex.sty is in texlive-bibtex-extra)."""
    _need("kpsewhich")
    missing = [f for f in files if not _run(["kpsewhich", f], Path.cwd()).stdout.strip()]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: the export was not compiled")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def _latex_problems(log: str) -> list[str]:
    return [
        line
        for line in log.splitlines()
        if re.search(r"Warning|^!|Error", line) and "infwarerr" not in line
    ]


@pytest.mark.parametrize("style", ["plain", "plainnat"])
def test_pdflatex_bibtex_without_warnings(tmp_path: Path, proj: Project, style: str) -> None:
    """pdflatex + bibtex typeset every entry of the ``--ascii`` export without a warning or
    error, given the declarations its warnings name."""
    _need("pdflatex", "bibtex")
    _need_tex("url.sty", f"{style}.bst", *(["natbib.sty"] if style == "plainnat" else []))
    (tmp_path / "refs.bib").write_text(export(proj.library, "bibtex", ASCII), encoding="utf-8")
    natbib = "\\usepackage{natbib}\n" if style == "plainnat" else ""
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n"
        + natbib
        + "\\usepackage{url}\n"
        + _declarations("bibtex", proj)
        + "\\begin{document}\n\\nocite{*}\n"
        f"\\bibliographystyle{{{style}}}\n\\bibliography{{refs}}\n\\end{{document}}\n",
        encoding="utf-8",
    )
    pdflatex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    assert _run(pdflatex, tmp_path).returncode == 0
    bibtex = _run(["bibtex", "doc"], tmp_path)
    assert bibtex.returncode == 0, bibtex.stdout
    assert "Warning" not in bibtex.stdout, bibtex.stdout
    for _ in range(2):
        result = _run(pdflatex, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    log = (tmp_path / "doc.log").read_text(encoding="latin-1")
    assert _latex_problems(log) == []
    bbl = (tmp_path / "doc.bbl").read_text(encoding="utf-8")
    assert bbl.count("\\bibitem") == 5


@pytest.mark.parametrize("ascii", [True, False], ids=["ascii", "utf8"])
def test_pdflatex_biber_without_warnings(tmp_path: Path, proj: Project, ascii: bool) -> None:
    """biber --validate-datamodel and pdflatex accept the BibLaTeX export without a warning:
    no field outside biblatex's data model, none it cannot read. The UTF-8 export is
    typeset with declarations for the characters pdflatex's T1 fonts lack (Greek, ≥...), as
    docs/exports.md tells pdflatex users to write them.

    The `reading` style prints nearly every field, the annotation and the abstract included.
    """
    style = "reading"
    _need("pdflatex", "biber")
    _need_tex("biblatex.sty", "reading.bbx")
    text = export(proj.library, "biblatex", ExportOptions(ascii=ascii))
    (tmp_path / "refs.bib").write_text(text, encoding="utf-8")
    # pdflatex with T1 knows Latin letters and common punctuation, not Greek or math.
    greek = (
        ""
        if ascii
        else "".join(
            declare(c).split(" declare ")[1] + "\n"
            for c in sorted(set(texenc.leftovers(text)))
            if ord(c) > 0x17F and not 0x2010 <= ord(c) <= 0x2026 and declare(c)
        )
    )
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n"
        f"\\usepackage[backend=biber,style={style}]{{biblatex}}\n"
        + _declarations("biblatex", proj)
        + greek
        + "\\addbibresource{refs.bib}\n\\begin{document}\n\\nocite{*}\n\\printbibliography\n"
        "\\end{document}\n",
        encoding="utf-8",
    )
    pdflatex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    assert _run(pdflatex, tmp_path).returncode == 0
    biber = _run(["biber", "--validate-datamodel", "doc"], tmp_path)
    assert biber.returncode == 0, biber.stdout
    problems = [line for line in biber.stdout.splitlines() if not line.startswith("INFO")]
    assert problems == []
    for _ in range(2):
        result = _run(pdflatex, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    assert _latex_problems((tmp_path / "doc.log").read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(("fmt", "suffix"), [("bibtex", ".bibtex"), ("biblatex", ".bib")])
def test_pandoc_renders_without_warnings(
    tmp_path: Path, proj: Project, fmt: str, suffix: str
) -> None:
    """pandoc --citeproc reads the file (BibTeX or BibLaTeX) and warns about nothing."""
    pandoc = _pandoc()
    bib = tmp_path / f"refs{suffix}"
    bib.write_text(export(proj.library, fmt), encoding="utf-8")
    (tmp_path / "doc.md").write_text('---\nnocite: "@*"\n---\n\n# References\n')
    result = _run(
        [pandoc, "--citeproc", f"--bibliography={bib.name}", "-t", "plain", "doc.md"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    assert "IFN-λ and TNF-α" in result.stdout
    assert "World Health Organization" in result.stdout


# Warnings about the data itself, not the export: a field the entry lacks, a value of the
# wrong kind ("Suppl 1" as a volume). Anything else biber says is the export's doing.
_DATA_WARNINGS = re.compile(r"Missing mandatory field|must be datatype 'integer'")


def _biber_warnings(tmp_path: Path, text: str) -> list[str]:
    """biber --validate-datamodel's warnings on a BibLaTeX file (pdflatex makes the .bcf)."""
    _need("pdflatex", "biber")
    _need_tex("biblatex.sty")
    (tmp_path / "refs.bib").write_text(text, encoding="utf-8")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[backend=biber]{biblatex}\n"
        "\\addbibresource{refs.bib}\n\\begin{document}\n\\nocite{*}\n\\end{document}\n",
        encoding="utf-8",
    )
    _run(["pdflatex", "-interaction=nonstopmode", "doc.tex"], tmp_path)
    biber = _run(["biber", "--validate-datamodel", "doc"], tmp_path)
    assert biber.returncode == 0, biber.stdout
    return [line for line in biber.stdout.splitlines() if line.startswith(("WARN", "ERROR"))]


def test_biber_validates_the_shipped_library_export(tmp_path: Path) -> None:
    """``cytobib export --to biblatex`` of the shipped library passes ``biber
    --validate-datamodel`` with no warning the export causes (no pmid, pmcid or publisher on
    an article, no field outside biblatex's model); what remains are the entries' own gaps."""
    from cytobib.library import open_project

    library = open_project(Path(__file__).resolve().parents[1], use_cache=False).library
    warnings = _biber_warnings(tmp_path, export(library, "biblatex"))
    assert [w for w in warnings if not _DATA_WARNINGS.search(w)] == []


@pytest.mark.slow
def test_biber_validates_the_big_zotero_library_export(tmp_path: Path) -> None:
    """The same for the BibLaTeX export of the 1,445-entry Zotero export (ISSNs such as
    ``0003-1348 (Print) 0003-1348 (Linking)`` are written as the one ISSN biber validates):
    every entry that is not an article and every tenth article (biber takes ~25 s of CPU
    for all of them; the whole file gave no other warning when checked)."""
    import gzip

    from conftest import real_bib_path
    from cytobib.library import open_project

    root = tmp_path / "lib"
    (root / "annotations").mkdir(parents=True)
    (root / "cytobib.toml").write_text('[library]\nbib = "library.bib"\n', encoding="utf-8")
    text = gzip.decompress(real_bib_path("gisurgonc-handbook-zotero.bib").read_bytes())
    (root / "library.bib").write_bytes(text)
    library = open_project(root, use_cache=False).library
    articles = [r for r in library if r.entry.type == "article"]
    sample = [r for r in library if r.entry.type != "article"] + articles[::10]
    warnings = _biber_warnings(tmp_path, export(sample, "biblatex"))
    assert [w for w in warnings if not _DATA_WARNINGS.search(w)] == []
