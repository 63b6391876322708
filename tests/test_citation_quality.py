"""Citations as good as Zotero's (issue 14): DOIs as written, "and others" as et al., one link
per work, journal abbreviations, no Zotero machine notes, real alpha labels, page ranges that
biber reads as ranges. Each test failed on the code before the fix."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import MakeProject, gunzip_to
from cytobib import rendering, views
from cytobib.exports import ExportOptions, export
from cytobib.formats import registry
from cytobib.library import Project, open_project

ROOT = Path(__file__).resolve().parents[1]
TOML = '[library]\nbib = "library.bib"\nannotations = "annotations"\n'


@pytest.fixture(scope="module")
def shipped() -> Project:
    return open_project(ROOT)


@pytest.fixture(scope="module")
def zotero(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The 1,445-entry Zotero export as a project without annotations."""
    root = tmp_path_factory.mktemp("zotero")
    gunzip_to("gisurgonc-handbook-zotero.bib", root, "library.bib")
    (root / "annotations").mkdir()
    (root / "cytobib.toml").write_text(TOML, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYTOBIB_CACHE_DIR", str(tmp_path_factory.mktemp("zotero-cache")))
        yield open_project(root)


def _texts(project: Project, style: str, keys: tuple[str, ...] = ()) -> dict[str, str]:
    records = [r for r in project.library if not keys or r.key in keys]
    return {ref.key: ref.text for ref in views.format_citations(project, records, style)}


def _reading_list(project: Project, fmt: str, style: str = "vancouver") -> str | bytes:
    view = views.reading_list(project, style=style, group_by=None)
    return rendering.render(view, registry.get(fmt), rendering.context(project))


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    return "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml))


# --- DOIs as written -----------------------------------------------------------------------

NEJM = """@article{polack2020,
  author = {Polack, Fernando P. and Thomas, Stephen J.},
  title = {Safety and Efficacy of the BNT162b2 mRNA Covid-19 Vaccine},
  journal = {New England Journal of Medicine},
  shortjournal = {N Engl J Med},
  year = {2020}, volume = {383}, number = {27}, pages = {2603--2615},
  doi = {https://doi.org/10.1056/NEJMoa2034577},
}
"""


@pytest.mark.parametrize("style", ["vancouver", "apa", "cell", "ama"])
def test_doi_keeps_its_case_in_csl_styles(make_project: MakeProject, style: str) -> None:
    """The DOI prints as registered (NEJMoa), not lower-cased; the resolver prefix is gone."""
    project = open_project(make_project(NEJM))
    (text,) = _texts(project, style).values()
    assert "10.1056/NEJMoa2034577" in text
    assert "nejmoa" not in text


@pytest.mark.parametrize("fmt", ["md", "html", "tex", "txt", "docx"])
def test_doi_keeps_its_case_in_every_reading_list_format(
    make_project: MakeProject, fmt: str
) -> None:
    """Links and link texts carry the DOI as written too (the case of a DOI in a URL is kept
    by doi.org, and readers copy it from there)."""
    project = open_project(make_project(NEJM))
    out = _reading_list(project, fmt, style="cell")  # cell prints no DOI: the link shows it
    text = _docx_text(out) if isinstance(out, bytes) else out
    assert "NEJMoa2034577" in text
    assert "nejmoa" not in text


def test_doi_keeps_its_case_in_the_review_table(make_project: MakeProject) -> None:
    """The review table's DOI column shows the DOI as written."""
    project = open_project(make_project(NEJM))
    table = views.review_table(
        project, style="vancouver", columns=("citation", "doi"), all_entries=True
    )
    out = rendering.render(table, registry.get("csv"), rendering.context(project))
    assert isinstance(out, str)
    assert "10.1056/NEJMoa2034577" in out
    assert "nejmoa" not in out


def test_every_doi_of_the_zotero_export_prints_as_written(zotero: Project) -> None:
    """In the 1,445-entry library, each of the 1,347 DOIs prints as the entry has it (298 were
    lower-cased before)."""
    from cytobib import latex

    texts = _texts(zotero, "vancouver")
    written = {
        r.key: latex.verbatim(r.entry.get("doi")) for r in zotero.library if r.entry.get("doi")
    }
    assert len(written) == 1347
    wrong = [key for key, doi in written.items() if f"doi:{doi}" not in texts[key]]
    assert wrong == []


# --- "and others" ------------------------------------------------------------------------------

ET_AL = {
    # style: (skrombolas2014challenges, saadoun2011regulatory)
    "vancouver": ("Skrombolas D et al.", "Saadoun D, Rosenzwajg M, Joly F, Six A, Carrat F, "
                  "et al."),
    "apa": ("Skrombolas, D. et al. (2014)", "Saadoun, D., Rosenzwajg, M., Joly, F., Six, A., "
            "Carrat, F., et al. (2011)"),
    "plain": ("D. Skrombolas et al.", "D. Saadoun, M. Rosenzwajg, F. Joly, A. Six, F. Carrat, "
              "et al."),
    "alpha": ("D. Skrombolas et al.", "D. Saadoun, M. Rosenzwajg, F. Joly, A. Six, F. Carrat, "
              "et al."),
}  # fmt: skip


@pytest.mark.parametrize("style", list(ET_AL))
def test_and_others_prints_as_the_styles_et_al(shipped: Project, style: str) -> None:
    """A name list ending in "and others" (Skrombolas 2014, Koreth 2011, Saadoun 2011) prints
    the style's "et al.", never the word "others" and never as if the list were complete."""
    keys = ("skrombolas2014challenges", "koreth2011interleukin2", "saadoun2011regulatory")
    texts = _texts(shipped, style, keys)
    skrombolas, saadoun = ET_AL[style]
    assert texts["skrombolas2014challenges"].startswith(skrombolas)
    assert texts["saadoun2011regulatory"].startswith(saadoun)
    assert "et al." in texts["koreth2011interleukin2"]
    assert not any("others" in t for t in texts.values())


def test_csl_json_export_carries_no_others_marker(shipped: Project) -> None:
    """pandoc reads ``{"literal": "others"}`` as et al., but Zotero and citeproc-js would print
    an author called "others": the export leaves the marker out."""
    out = export(list(shipped.library), "csl-json")
    assert '"others"' not in out


# --- links: PubMed URLs, no second copy of a printed URL ---------------------------------------

PUBMED = """@article{crenshaw823,
  title = {Extracorporeal gastric stapling reduces the incidence of gastric conduit failure},
  volume = {76},
  url = {https://www.ncbi.nlm.nih.gov/pubmed/20726411},
  number = {8},
  journal = {Am Surg},
  author = {Crenshaw, G. D. and Shankar, S. S.},
  year = {2010},
  pages = {823--8},
}
@article{pmcitem,
  title = {Another article},
  journal = {J Test}, year = {2019}, volume = {1}, pages = {1--2},
  author = {Doe, Jane},
  url = {https://pmc.ncbi.nlm.nih.gov/articles/PMC6510254/},
}
"""


def test_a_pubmed_url_is_the_articles_pmid_not_an_internet_source(
    make_project: MakeProject,
) -> None:
    """A journal article whose URL is its PubMed (or PMC) record is cited by PMID (PMCID),
    as NLM does for a record with a PMID, not as "[Internet] ... Available from: URL"."""
    texts = _texts(open_project(make_project(PUBMED)), "vancouver")
    assert texts["crenshaw823"] == (
        "Crenshaw GD, Shankar SS. Extracorporeal gastric stapling reduces the incidence of "
        "gastric conduit failure. Am Surg. 2010;76(8):823–8. PubMed PMID: 20726411."
    )
    assert "PubMed Central PMCID: PMC6510254" in texts["pmcitem"]
    assert not any("Internet" in t or "Available from" in t for t in texts.values())


ONLINE = """@article{vanderwilk,
  author = {van der Wilk, Berend},
  title = {Neoadjuvant chemoradiotherapy followed by active surveillance},
  journal = {Diseases of the Esophagus},
  year = {2024}, volume = {37},
  url = {https://academic.oup.com/dote/article/37/Supplement_1/doae057.392/7746911},
}
"""
URL = "https://academic.oup.com/dote/article/37/Supplement_1/doae057.392/7746911"


@pytest.mark.parametrize("fmt", ["md", "html", "tex", "txt", "docx"])
def test_a_url_the_style_prints_is_not_printed_again(make_project: MakeProject, fmt: str) -> None:
    """NLM prints an online-only article's URL ("Available from: URL"); the reading list then
    links it with a short text instead of printing the URL a second time."""
    out = _reading_list(open_project(make_project(ONLINE)), fmt)
    text = _docx_text(out) if isinstance(out, bytes) else out
    assert "Available from:" in text
    if fmt == "md":
        assert re.search(r"\[https?:", text) is None  # no link whose text is the URL
        assert "[link ↗](https://academic.oup.com/" in text
    elif fmt == "html":
        assert ">https://academic" not in text.split("Available from:")[1]
        assert ">link ↗</a>" in text
    elif fmt == "tex":
        assert text.count("https://academic.oup.com/dote/article/37/Supplement\\_1/") == 1
        assert "allowbreak{}academic" not in text  # the URL as a link text
        assert "7746911}{[link]}" in text
    else:  # txt, docx: visible text only
        assert text.count(URL) == 1
        assert fmt == "txt" or "link" in text


def test_the_access_date_of_an_online_source_is_cited(make_project: MakeProject) -> None:
    """``urldate`` (102 entries of the Zotero export) is the CSL access date: NLM cites an
    Internet source with "[cited 2023 Jan 14]", APA with "Retrieved January 14, 2023"."""
    bib = ONLINE.replace("year = {2024}, volume = {37},", "urldate = {2023-01-14},")
    project = open_project(make_project(bib))
    (vancouver,) = _texts(project, "vancouver").values()
    (apa,) = _texts(project, "apa").values()
    assert "[Internet]. [cited 2023 Jan 14]. Available from:" in vancouver
    assert "Retrieved January 14, 2023, from https://academic.oup.com/" in apa


# --- journal abbreviations ---------------------------------------------------------------------

ABBREVIATED = """@article{a1,
  author = {Koreth, John},
  title = {Interleukin-2 and regulatory T cells in graft-versus-host disease},
  journal = {New England Journal of Medicine},
  {field} = {N Engl J Med},
  year = {2011}, volume = {365}, number = {22}, pages = {2055--2066},
  doi = {10.1056/NEJMoa1108188},
}
"""


@pytest.mark.parametrize(
    "field",
    ["shortjournal", "journalabbreviation", "journal-abbreviation", "journal-iso",
     "abbrev_source_title", "journalabbrev"],
)  # fmt: skip
def test_vancouver_uses_the_journal_abbreviation(make_project: MakeProject, field: str) -> None:
    """Vancouver (NLM) cites the journal by its abbreviation, whatever field holds it (biblatex
    and Zotero: shortjournal; Zotero field names; Web of Science: journal-iso; Scopus:
    abbrev_source_title); APA keeps the full title."""
    project = open_project(make_project(ABBREVIATED.replace("{field}", field)))
    (vancouver,) = _texts(project, "vancouver").values()
    (apa,) = _texts(project, "apa").values()
    assert "N Engl J Med. 2011" in vancouver
    assert "New England Journal of Medicine" not in vancouver
    assert "New England Journal of Medicine, 365" in apa


def test_fjournal_marks_journal_as_the_abbreviation(make_project: MakeProject) -> None:
    """AMS/MathSciNet exports hold the abbreviation in journal and the title in fjournal (as
    Zotero reads them)."""
    bib = ABBREVIATED.replace("{field} = {N Engl J Med},\n", "").replace(
        "journal = {New England Journal of Medicine}",
        "journal = {N. Engl. J. Med.},\n  fjournal = {New England Journal of Medicine}",
    )
    project = open_project(make_project(bib))
    (vancouver,) = _texts(project, "vancouver").values()
    (apa,) = _texts(project, "apa").values()
    assert "N Engl J Med. 2011" in vancouver
    assert "New England Journal of Medicine, 365" in apa


# --- Zotero's machine notes ----------------------------------------------------------------------

NOTES = r"""@article{typed,
  author = {Doe, Jane}, title = {One}, journal = {J Test}, year = {2019},
  note = {Type: Journal Article},
}
@article{bbt,
  author = {Doe, Jane}, title = {Two}, journal = {J Test}, year = {2018},
  note = {type: Journal Article
tex.ids= taketa6
tex.pmcid: PMC123},
}
@article{real,
  author = {Doe, Jane}, title = {Three}, journal = {J Test}, year = {2017},
  note = {Erratum in: J Test 2018;2:3},
}
@article{mixed,
  author = {Doe, Jane}, title = {Four}, journal = {J Test}, year = {2016},
  note = {Type: Journal Article
Erratum in: J Test 2020;4:5
Place: Edinburgh},
}
"""


@pytest.mark.parametrize("style", ["plain", "unsrt", "alpha"])
def test_bibtex_styles_never_print_zotero_machine_notes(
    make_project: MakeProject, style: str
) -> None:
    """ "Type: Journal Article" (Zotero's Extra) and Better BibTeX's ``tex.*`` lines are data
    for Zotero, not notes: they are not printed. A note a person wrote still is."""
    texts = _texts(open_project(make_project(NOTES)), style)
    assert "Type" not in texts["typed"] and "type" not in texts["bbt"]
    assert "tex." not in texts["bbt"] and "taketa" not in texts["bbt"]
    assert "Erratum in: J Test 2018;2:3" in texts["real"]
    assert "Erratum in: J Test 2020;4:5." in texts["mixed"]
    assert "Type" not in texts["mixed"] and "Edinburgh" not in texts["mixed"]


def test_the_zotero_export_prints_no_machine_note_in_plain(zotero: Project) -> None:
    """Of the 1,445 entries, 173 carry "Type: ..." and 18 ``tex.ids``: none is printed."""
    texts = _texts(zotero, "plain")
    assert [k for k, t in texts.items() if re.search(r"\b[Tt]ype: |tex\.\w", t)] == []


def test_the_pybtex_entry_point_style_prints_no_machine_note() -> None:
    """``pybtex --style cytobib-annotated`` drops the same lines."""
    from pybtex.database import parse_string
    from pybtex.plugin import find_plugin

    data = parse_string(NOTES, "bibtex")
    style = find_plugin("pybtex.style.formatting", "cytobib-annotated")()
    texts = {e.key: e.text.render_as("text") for e in style.format_entries(data.entries.values())}
    assert "Type" not in texts["typed"] and "tex." not in texts["bbt"]
    assert "Erratum in" in texts["real"]
    # pybtex has folded the note's lines: only what can be delimited goes ("Place: ..." stays)
    assert "Type" not in texts["mixed"] and "Erratum in: J Test 2020;4:5" in texts["mixed"]


@pytest.mark.parametrize(
    ("line", "data"),
    [
        ("Type: Journal Article", True),
        ("type: Book Section", True),
        ("tex.ids= taketa6", True),
        ("tex.pmcid: PMC7654321", True),
        ("\\_eprint: https://doi.org/10.1056/NEJMoa1", True),
        ("Place: Edinburgh, Scotland", True),
        ("PMID: 20726411", True),
        ("Erratum in: J Test 2018;2:3", False),
        ("Note: read the supplement", False),
        ("https://example.org/a:b", False),
        ("Comment on Smith 2019.", False),
    ],
)
def test_zotero_data_lines_are_told_from_a_persons_note(line: str, data: bool) -> None:
    """A line is Zotero's data when its name is tex.*, starts with _, or is a CSL variable or
    Zotero field; free text (even with a colon) is a note."""
    from cytobib import extra

    assert extra.is_data_line(line) is data


def test_pmid_comes_from_eprint_and_zotero_lines(make_project: MakeProject) -> None:
    """BibLaTeX's eprinttype = pubmed and a Zotero "PMID:" line give the PMID NLM prints."""
    bib = """@article{e1, author = {Doe, Jane}, title = {One}, journal = {J Test}, year = {2019},
  eprinttype = {pubmed}, eprint = {111}}
@article{e2, author = {Doe, Jane}, title = {Two}, journal = {J Test}, year = {2018},
  note = {PMID: 222
PMCID: PMC333}}
"""
    texts = _texts(open_project(make_project(bib)), "vancouver")
    assert texts["e1"].endswith("PubMed PMID: 111.")
    assert texts["e2"].endswith("PubMed PMID: 222; PubMed Central PMCID: PMC333.")


# --- alpha ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "txt", "html", "tex", "docx"])
def test_alpha_reading_list_shows_alpha_labels(shipped: Project, fmt: str) -> None:
    """``alpha`` labels items as BibTeX's alpha.bst does ([EK04], [Ros14]); ``plain`` numbers
    them. Before, both printed [1], [2]..."""
    alpha = _reading_list(shipped, fmt, style="alpha")
    plain = _reading_list(shipped, fmt, style="plain")
    alpha_text = _docx_text(alpha) if isinstance(alpha, bytes) else alpha
    plain_text = _docx_text(plain) if isinstance(plain, bytes) else plain
    for label in ("EK04", "Ros14", "OSO+94", "S+14"):
        assert label in alpha_text, label
        assert label not in plain_text
    assert alpha_text != plain_text


def test_alpha_labels_are_bibtex_alpha_labels(shipped: Project, tmp_path: Path) -> None:
    """The labels equal those bibtex itself computes with alpha.bst from cytobib's BibTeX
    export (pybtex abbreviated "O'Boyle" to "OBoyle": OSOBoyle+94 for OSO+94)."""
    if shutil.which("bibtex") is None or shutil.which("kpsewhich") is None:
        pytest.skip("bibtex is not installed (texlive-base): alpha.bst was not run")
    if not subprocess.run(["kpsewhich", "alpha.bst"], capture_output=True, text=True,
                          check=False).stdout.strip():  # fmt: skip
        pytest.skip("alpha.bst is not installed (texlive-base): it was not run")
    text = export(list(shipped.library), "bibtex", ExportOptions(ascii=True))  # 8-bit bibtex
    (tmp_path / "refs.bib").write_text(text, encoding="utf-8")  # – stays UTF-8 (texenc.SAFE)
    (tmp_path / "doc.aux").write_text(
        "\\citation{*}\n\\bibstyle{alpha}\n\\bibdata{refs}\n", encoding="ascii"
    )
    subprocess.run(["bibtex", "doc"], cwd=tmp_path, capture_output=True, check=False, timeout=60)
    bbl = (tmp_path / "doc.bbl").read_text(encoding="latin-1")
    theirs = {
        key: label.replace("{\\etalchar{+}}", "+")
        for label, key in re.findall(r"\\bibitem\[([^\]]*)\]\{([^}]*)\}", bbl)
    }
    ours = {
        ref.key: ref.label
        for ref in views.format_citations(shipped, list(shipped.library), "alpha")
    }
    assert len(theirs) == len(ours) == 14

    # The a/b suffixes follow each tool's list order (bibtex sorts, cytobib keeps its own).
    assert {k: _no_suffix(v) for k, v in ours.items()} == {
        k: _no_suffix(v) for k, v in theirs.items()
    }
    assert sorted(ours.values()) == sorted(theirs.values())


def _no_suffix(label: str) -> str:
    return re.sub(r"(\d\d|^ano)[ab]$", r"\1", label)


# --- page ranges ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_page_ranges_export_as_double_hyphens(zotero: Project, fmt: str) -> None:
    """``1191--1203``, not ``1191{--}1203`` (1,135 page ranges before): a braced dash is not a
    range to biber."""
    out = export(list(zotero.library), fmt)
    pages = re.findall(r"^  pages +=\s\{(.*)\},$", out, re.MULTILINE)
    assert len(pages) == 1407
    assert [p for p in pages if "{" in p] == []
    assert sum("--" in p for p in pages) == 1135


@pytest.mark.parametrize("ascii", [False, True], ids=["utf-8", "ascii"])
def test_biber_reads_exported_page_ranges_as_ranges(
    shipped: Project, tmp_path: Path, ascii: bool
) -> None:
    """biber writes a range it recognises as ``207\\bibrangedash 217``, so biblatex prints
    "pp. 207–217"; of ``207{--}217`` it made ``207{\\bibrangedash }217``, a group biblatex's
    range test does not look into ("207–217", no "pp.")."""
    for tool in ("biber", "kpsewhich", "pdflatex"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed: the BibLaTeX export was not compiled")
    if not subprocess.run(["kpsewhich", "biblatex.sty"], capture_output=True, text=True,
                          check=False).stdout.strip():  # fmt: skip
        pytest.skip("biblatex.sty is not installed (texlive-bibtex-extra): not compiled")
    text = export(list(shipped.library), "biblatex", ExportOptions(ascii=ascii))
    (tmp_path / "refs.bib").write_text(text, encoding="utf-8")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[backend=biber]{biblatex}\n"
        "\\addbibresource{refs.bib}\n\\begin{document}\n\\nocite{*}\n\\printbibliography\n"
        "\\end{document}\n",
        encoding="ascii",
    )
    for args in (["pdflatex", "-interaction=nonstopmode", "doc.tex"], ["biber", "doc"]):
        subprocess.run(args, cwd=tmp_path, capture_output=True, check=False, timeout=120)
    bbl = (tmp_path / "doc.bbl").read_text(encoding="utf-8")
    pages = re.findall(r"\\field\{pages\}\{(.*)\}", bbl)
    assert len(pages) == 10
    ranges = [p for p in pages if "bibrangedash" in p]
    assert len(ranges) == 9  # one article number (349575) is a single page
    assert [p for p in ranges if "{\\bibrangedash" in p] == []  # braced: not a range
    assert "207\\bibrangedash 217" in pages
