"""map_work: golden expectations for every recorded fixture, plus synthetic edge cases.

Goldens are written out by hand from the recordings in ``shared/fixtures/crossref`` (see
``PROVENANCE.md`` there). ``item-*`` files are objects cut from recorded lists; ``map_work``
takes a message, so they are used as they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossref_server import FIXTURES, load_fixture, require_fixtures
from cytobib.crossref.fields import ENTRY_TYPES, FIELD_RULES, MappedWork, map_work
from cytobib.crossref.markup import escape_latex, markup_to_text
from cytobib.model import UpdateStatus


def mapped(name: str) -> MappedWork:
    return map_work(load_fixture(name))


# -- golden fields for every single-work fixture ----------------------------------------------

GOLDEN: dict[str, tuple[str, dict[str, str]]] = {
    "item-acta-neurol-scand-no-authors.json": (
        "article",
        {
            "title": "Acute brachial plexus neuropathy as a presenting sign of peripheral nervous "
            "system involvement in paraproteinaemia",
            "journal": "Acta Neurologica Scandinavica",
            "year": "1997",
            "month": "may",
            "volume": "95",
            "number": "5",
            "pages": "319--320",
            "doi": "10.1111/j.1600-0404.1997.tb00218.x",
            "issn": "0001-6314, 1600-0404",
            "publisher": "Hindawi Limited",
        },
    ),
    "item-mathml-title-and-abstract.json": (
        "article",
        {
            "author": "Gao, Xiao-Yan and Khalil, Ahmed Mostafa",
            "title": "More on {Dα-Closed} Sets in Topological Spaces",
            "journal": "Journal of Mathematics",
            "year": "2021",
            "month": "apr",
            "volume": "2021",
            "pages": "1--9",
            "doi": "10.1155/2021/5525739",
            "issn": "2314-4629, 2314-4785",
            "publisher": "Hindawi Limited",
        },
    ),
    "item-plos-one-correction-notice-update-to.json": (
        "article",
        {
            "author": "Zhang, Zili and Liu, Qi and Leskov, Konstantin S. and Wu, Xiumei and "
            "Duan, Jie and Zhang, Gary L. and Hall, Mark and Rosenbaum, James T.",
            "title": "Correction: Roscovitine Suppresses {CD4+} {T} Cells and {T} Cell-Mediated "
            "Experimental Uveitis",
            "journal": "PLoS ONE",
            "year": "2013",
            "month": "dec",
            "volume": "8",
            "number": "12",
            "doi": "10.1371/annotation/a034fe32-c48c-4531-9e81-4947d5ac49d9",
            "issn": "1932-6203",
            "publisher": "Public Library of Science (PLoS)",
        },
    ),
    "item-retraction-notice-without-update-to.json": (
        "article",
        {
            "author": "{Research and Practice}, Gastroenterology",
            "title": "Retracted: Influence of Gastrectomy on Cortical and Cancellous Bones in Rats",
            "journal": "Gastroenterology Research and Practice",
            "year": "2020",
            "month": "oct",
            "volume": "2020",
            "pages": "1",
            "doi": "10.1155/2020/5109831",
            "issn": "1687-6121, 1687-630X",
            "publisher": "Hindawi Limited",
        },
    ),
    "work-book-chapter-isbn-nonascii-authors.json": (
        "incollection",
        {
            "author": "Bouchut, François and James, François",
            "title": "Differentiability with Respect to Initial Data for a Scalar Conservation Law",
            "booktitle": "Hyperbolic Problems: Theory, Numerics, Applications",
            "year": "1999",
            "pages": "113--118",
            "doi": "10.1007/978-3-0348-8720-5_13",
            "isbn": "9783034897426, 9783034887205",
            "publisher": "Birkhäuser Basel",
            "address": "Basel",
        },
    ),
    "work-esmo-open-oncology-trial-orcid-year-only.json": (
        "article",
        {
            "author": "Iwasa, Satoru and Okita, Natsuko and Kuchiba, Aya and Ogawa, Gakuto and "
            "Kawasaki, Mamiko and Nakamura, Kenichi and Shoji, Hirokazu and Honma, Yoshitaka and "
            "Takashima, Atsuo and Kato, Ken and Hamaguchi, Tetsuya and Boku, Narikazu and "
            "Yamada, Yasuhide",
            "title": "Phase {II} study of lenvatinib for metastatic colorectal cancer refractory "
            "to standard chemotherapy: the {LEMON} study ({NCCH1503})",
            "journal": "ESMO Open",
            "year": "2020",
            "volume": "5",
            "number": "4",
            "pages": "e000776",
            "doi": "10.1136/esmoopen-2020-000776",
            "issn": "2059-7029",
            "publisher": "Elsevier BV",
        },
    ),
    "work-front-genet-nonascii-no-issue-no-page.json": (
        "article",
        {
            "author": "Pánek, Josef and Modrák, Martin and Schwarz, Marek",
            "title": "An Algorithm for Template-Based Prediction of Secondary Structures of "
            "Individual {RNA} Sequences",
            "journal": "Frontiers in Genetics",
            "shortjournal": "Front. Genet.",
            "year": "2017",
            "month": "oct",
            "volume": "8",
            "doi": "10.3389/fgene.2017.00147",
            "issn": "1664-8021",
            "publisher": "Frontiers Media SA",
        },
    ),
    "work-int-j-oncol-minimal-family-only-author.json": (
        "article",
        {
            "author": "Stravopodis",
            "title": "Human bladder cancer cells undergo cisplatin-induced apoptosis that is "
            "associated with p53-dependent and p53-independent responses",
            "journal": "International Journal of Oncology",
            "shortjournal": "Int J Oncol",
            "year": "2009",
            "month": "jun",
            "doi": "10.3892/ijo_00000353",
            "issn": "1019-6439",
            "publisher": "Spandidos Publications",
        },
    ),
    "work-j-clin-pathol-html-title-structured-abstract.json": (
        "article",
        {
            "author": "Xu, Jun and Qu, Shoufang and Sun, Nan and Zhang, Wenxin and Zhang, Juanli "
            "and Song, Qingtao and Lin, Mufei and Gao, Wei and Zheng, Qiaosong and Han, Mipeng "
            "and Na, Chenglong and Xu, Ren and Chang, Xiaoyan and Yang, Xuexi and Huang, Jie",
            "title": r"Construction of a reference material panel for detecting "
            r"\textit{{KRAS}}/\textit{{NRAS}}/\textit{{EGFR}}/\textit{{BRAF}}/\textit{{MET}} "
            r"mutations in plasma {ctDNA}",
            "journal": "Journal of Clinical Pathology",
            "shortjournal": "J Clin Pathol",
            "year": "2021",
            "month": "may",
            "volume": "74",
            "number": "5",
            "pages": "314--320",
            "doi": "10.1136/jclinpath-2020-206745",
            "issn": "0021-9746, 1472-4146",
            "publisher": "BMJ",
        },
    ),
    "work-j-orthop-res-jats-abstract-print-vs-online.json": (
        "article",
        {
            "author": "Lieber, Richard L. and Jacks, Thomas M. and Mohler, Randall L. and "
            "Schleim, Klaus and Haven, Michelle and Cuizon, Denise and Gershuni, David H. and "
            "Lopez, Michael A. and Hora, Jr., Donald and Nargund, Ravi and Feeney, William and "
            "Hickey, Gerard J.",
            "title": "Growth hormone secretagogue increases muscle strength during "
            "remobilization after canine hindlimb immobilization",
            "journal": "Journal of Orthopaedic Research",
            "shortjournal": "Journal Orthopaedic Research",
            "year": "1997",
            "month": "jul",
            "volume": "15",
            "number": "4",
            "pages": "519--527",
            "doi": "10.1002/jor.1100150407",
            "issn": "0736-0266, 1554-527X",
            "publisher": "Wiley",
        },
    ),
    "work-neurobiol-aging-relation-has-review.json": (
        "article",
        {
            "author": "Lee, Hyun Ju and Lee, Jong Kil and Lee, Hyun and Carter, Janet E. and "
            "Chang, Jong Wook and Oh, Wonil and Yang, Yoon Sun and Suh, Jun-Gyo and Lee, "
            "Byoung-Hee and Jin, Hee Kyung and Bae, Jae-sung",
            "title": "Human umbilical cord blood-derived mesenchymal stem cells improve "
            "neuropathology and cognitive impairment in an Alzheimer's disease mouse model "
            "through modulation of neuroinflammation",
            "journal": "Neurobiology of Aging",
            "year": "2012",
            "month": "mar",
            "volume": "33",
            "number": "3",
            "pages": "588--602",
            "doi": "10.1016/j.neurobiolaging.2010.03.024",
            "issn": "0197-4580",
            "publisher": "Elsevier BV",
        },
    ),
    "work-plos-one-updated-by-correction.json": (
        "article",
        {
            "author": "Sadasivan, Shankar and Pond, Brooks B. and Pani, Amar K. and Qu, Chunxu "
            "and Jiao, Yun and Smeyne, Richard J.",
            "title": "Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of "
            "Microglia in the Basal Ganglia of Mice",
            "journal": "PLoS ONE",
            "year": "2012",
            "month": "mar",
            "volume": "7",
            "number": "3",
            "pages": "e33693",
            "doi": "10.1371/journal.pone.0033693",
            "issn": "1932-6203",
            "publisher": "Public Library of Science (PLoS)",
        },
    ),
    "work-proceedings-issued-null-date-parts.json": (
        "inproceedings",
        {
            "author": "Arya, V. and Turletti, T.",
            "title": "Accurate and explicit differentiation of wireless and congestion losses",
            "booktitle": "23rd International Conference on Distributed Computing Systems "
            "Workshops, 2003. Proceedings.",
            "pages": "877--882",
            "doi": "10.1109/icdcsw.2003.1203662",
            "publisher": "IEEE",
            "address": "Providence, Rhode Island, USA",
        },
    ),
    "work-retracted-lancet-wakefield.filtered.json": (
        "article",
        {
            "author": "Wakefield, AJ and Murch, SH and Anthony, A and Linnell, J and Casson, DM "
            "and Malik, M and Berelowitz, M and Dhillon, AP and Thomson, MA and Harvey, P and "
            "Valentine, A and Davies, SE and Walker-Smith, JA",
            "title": "{RETRACTED}: Ileal-lymphoid-nodular hyperplasia, non-specific colitis, and "
            "pervasive developmental disorder in children",
            "journal": "The Lancet",
            "year": "1998",
            "month": "feb",
            "volume": "351",
            "number": "9103",
            "pages": "637--641",
            "doi": "10.1016/s0140-6736(97)11096-0",
            "issn": "0140-6736",
            "publisher": "Elsevier BV",
        },
    ),
}

# Files the HTTP tests serve rather than map (error bodies and doi.org pages), and files
# checked below by their own tests.
SERVED_NOT_MAPPED = {
    "error-400-field-query-on-doi-route.json",
    "error-404-cursor-invalid.json",
    "error-404-work-not-found.txt",
    "error-429-reported-body.html",
    "cn-doi-org-404-doi-not-found.html",
}
CHECKED_ELSEWHERE = {
    "cn-csl-json-2026.json",
    "cn-bibtex-2022-multiline.bib",
    "cn-bibtex-2024-multi-author.bib",
    "cn-bibtex-2026.bib",
    "list-cursor-first-page.json",
    "list-query-bibliographic-with-filter.json",
    "list-query-rows2.json",
    "list-select-doi-title.json",
}


def test_every_fixture_file_has_an_expectation() -> None:
    """Each body in the fixtures folder is covered here or by the HTTP tests."""
    folder = require_fixtures()
    bodies = {p.name for p in folder.iterdir() if p.is_file()} - {"PROVENANCE.md"}
    bodies = {b for b in bodies if not b.endswith(".headers.json")}
    assert bodies == set(GOLDEN) | SERVED_NOT_MAPPED | CHECKED_ELSEWHERE


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_fields(name: str) -> None:
    """Entry type and every field except the abstract match the hand-written golden."""
    entry_type, fields = GOLDEN[name]
    work = mapped(name)
    assert work.entry_type == entry_type
    assert {k: v for k, v in work.fields.items() if k != "abstract"} == fields
    assert set(work.plain) >= set(work.fields)


# -- what the fixtures are there to show ------------------------------------------------------


def test_book_chapter_is_incollection_with_isbn_and_booktitle() -> None:
    """The Birkhäuser chapter: incollection, booktitle from container-title, ISBNs print first."""
    work = mapped("work-book-chapter-isbn-nonascii-authors.json")
    assert work.entry_type == "incollection"
    assert work.fields["booktitle"] == "Hyperbolic Problems: Theory, Numerics, Applications"
    assert work.fields["isbn"] == "9783034897426, 9783034887205"
    assert "journal" not in work.fields
    assert "shortjournal" not in work.fields
    assert "subtitle" not in work.plain  # subtitle: [] gives nothing
    assert work.authors == (("Bouchut", "François"), ("James", "François"))


def test_null_date_parts_give_no_year_and_no_month() -> None:
    """issued [[null]] and no other date: no year, no month, no crash."""
    work = mapped("work-proceedings-issued-null-date-parts.json")
    assert "year" not in work.fields
    assert "month" not in work.fields


def test_proceedings_paper_gets_booktitle_and_event_location() -> None:
    """proceedings-article → inproceedings; the event's location is the address."""
    work = mapped("work-proceedings-issued-null-date-parts.json")
    assert work.entry_type == "inproceedings"
    assert work.fields["address"] == "Providence, Rhode Island, USA"


def test_print_year_wins_for_online_first_articles() -> None:
    """J Clin Pathol: online 2020-08-17, print 2021-05, volume 74 → year 2021, month may."""
    work = mapped("work-j-clin-pathol-html-title-structured-abstract.json")
    assert (work.fields["year"], work.fields["month"]) == ("2021", "may")


def test_later_digitisation_does_not_move_the_year() -> None:
    """J Orthop Res: print 1997-07, online 2005 (digitised) → 1997, jul."""
    work = mapped("work-j-orthop-res-jats-abstract-print-vs-online.json")
    assert (work.fields["year"], work.fields["month"]) == ("1997", "jul")


def test_online_only_article_uses_issued() -> None:
    """PLOS ONE has only published-online: issued gives 2012, mar."""
    work = mapped("work-plos-one-updated-by-correction.json")
    assert (work.fields["year"], work.fields["month"]) == ("2012", "mar")


def test_year_only_date_gives_no_month() -> None:
    """ESMO Open [[2020]]: a year, no month."""
    work = mapped("work-esmo-open-oncology-trial-orcid-year-only.json")
    assert work.fields["year"] == "2020"
    assert "month" not in work.fields


def test_e_locator_page_and_article_number() -> None:
    """ESMO Open: page and article-number are both e000776 → pages e000776."""
    assert mapped("work-esmo-open-oncology-trial-orcid-year-only.json").fields["pages"] == "e000776"


def test_missing_volume_issue_and_pages_give_no_fields() -> None:
    """Int J Oncol has none of volume, issue, page: none are written."""
    work = mapped("work-int-j-oncol-minimal-family-only-author.json")
    assert not {"volume", "number", "pages"} & set(work.fields)


def test_family_only_author() -> None:
    """An author with only a family name is written as that name alone."""
    work = mapped("work-int-j-oncol-minimal-family-only-author.json")
    assert work.authors == (("Stravopodis", ""),)
    assert work.fields["author"] == "Stravopodis"


def test_no_authors_at_all() -> None:
    """A record without an author key maps without author field or error."""
    work = mapped("item-acta-neurol-scand-no-authors.json")
    assert work.authors == ()
    assert "author" not in work.fields


def test_journal_deposited_as_a_person_keeps_and_together() -> None:
    """Hindawi's family 'Research and Practice' is braced so BibTeX does not split on 'and'."""
    work = mapped("item-retraction-notice-without-update-to.json")
    assert work.fields["author"] == "{Research and Practice}, Gastroenterology"
    assert work.plain["author"] == "Research and Practice, Gastroenterology"


def test_name_suffix_goes_in_the_jr_part() -> None:
    """Hora, suffix Jr.: 'Hora, Jr., Donald' (BibTeX's von Last, Jr, First)."""
    work = mapped("work-j-orthop-res-jats-abstract-print-vs-online.json")
    assert "Hora, Jr., Donald" in work.fields["author"]
    assert ("Hora", "Donald") in work.authors


def test_non_ascii_names_stay_utf8() -> None:
    """Pánek and Modrák are written as UTF-8, not LaTeX accents."""
    work = mapped("work-front-genet-nonascii-no-issue-no-page.json")
    assert work.authors[:2] == (("Pánek", "Josef"), ("Modrák", "Martin"))
    assert work.fields["author"].startswith("Pánek, Josef and Modrák, Martin")


def test_orcids_are_kept_in_plain() -> None:
    """ORCIDs (URL form, normalised to https) are listed in plain['orcid']."""
    work = mapped("work-esmo-open-oncology-trial-orcid-year-only.json")
    assert work.plain["orcid"] == (
        "Iwasa, Satoru: https://orcid.org/0000-0003-3863-9582; "
        "Yamada, Yasuhide: https://orcid.org/0000-0003-0692-8419"
    )
    assert work.orcids[0] == "https://orcid.org/0000-0003-3863-9582"
    assert "orcid" not in work.fields
    mathml = mapped("item-mathml-title-and-abstract.json")  # http://orcid.org upstream
    assert mathml.plain["orcid"] == "Khalil, Ahmed Mostafa: https://orcid.org/0000-0001-8553-2054"


def test_journal_handling_editor_is_not_a_bibtex_editor() -> None:
    """PLOS lists its academic editor; an @article gets no editor field, editors keeps it."""
    work = mapped("work-plos-one-updated-by-correction.json")
    assert "editor" not in work.fields
    assert work.editors == (("Borlongan", "Cesario V."),)


def test_shortjournal_only_when_different() -> None:
    """'Front. Genet.' is written; PLoS ONE's identical short title is not."""
    assert mapped("work-front-genet-nonascii-no-issue-no-page.json").fields["shortjournal"] == (
        "Front. Genet."
    )
    assert "shortjournal" not in mapped("work-plos-one-updated-by-correction.json").fields


def test_wakefield_is_retracted_with_source_retraction_watch() -> None:
    """updated-by from Retraction Watch: retracted, notice DOI, 2010-02-06; the correction too."""
    work = mapped("work-retracted-lancet-wakefield.filtered.json")
    assert work.update_status == UpdateStatus(
        kind="retracted",
        notice_doi="10.1016/s0140-6736(10)60175-4",
        source="retraction-watch",
        date="2010-02-06",
        notice_label="Retraction",
    )
    kinds = {(u.kind, u.source) for u in work.updates}
    assert kinds == {
        ("corrected", "retraction-watch"),
        ("retracted", "retraction-watch"),
        ("retracted", "title"),
    }
    assert work.doi == "10.1016/s0140-6736(97)11096-0"  # lower-cased as Crossref returns it


def test_hindawi_retracted_notice_is_flagged_by_its_title() -> None:
    """No update-to: the 'Retracted:' title prefix is the only signal."""
    status = mapped("item-retraction-notice-without-update-to.json").update_status
    assert status is not None
    assert (status.kind, status.source, status.notice_doi) == (
        "retracted",
        "title",
        "10.1155/2020/5109831",
    )


def test_plos_correction_from_publisher() -> None:
    """updated-by a correction (source publisher) → corrected, with notice DOI and date."""
    work = mapped("work-plos-one-updated-by-correction.json")
    assert work.update_status == UpdateStatus(
        kind="corrected",
        notice_doi="10.1371/annotation/c76da2c1-ccb8-4797-94c1-359d3ceceeda",
        source="publisher",
        date="2012-05-08",
        notice_label="Correction",
    )


def test_correction_notice_is_a_notice_pointing_at_its_target() -> None:
    """update-to on the PLOS notice: kind notice, the notice's own DOI, the corrected work."""
    status = mapped("item-plos-one-correction-notice-update-to.json").update_status
    assert status == UpdateStatus(
        kind="notice",
        notice_doi="10.1371/annotation/a034fe32-c48c-4531-9e81-4947d5ac49d9",
        source="publisher",
        date="2013-12-03",
        notice_label="Correction",
        target_doi="10.1371/journal.pone.0081154",
    )


@pytest.mark.parametrize(
    "name",
    [
        "item-acta-neurol-scand-no-authors.json",
        "work-book-chapter-isbn-nonascii-authors.json",
        "work-esmo-open-oncology-trial-orcid-year-only.json",
        "work-neurobiol-aging-relation-has-review.json",
    ],
)
def test_records_without_updates_have_no_status(name: str) -> None:
    """No updated-by, update-to or retraction title: update_status is None."""
    assert mapped(name).update_status is None


def test_mathml_title_is_clean_text() -> None:
    """The MathML in the title becomes 'Dα' in plain text; no tags survive anywhere."""
    work = mapped("item-mathml-title-and-abstract.json")
    assert work.plain["title"] == "More on Dα-Closed Sets in Topological Spaces"
    for value in (*work.fields.values(), *work.plain.values()):
        assert "<" not in value
        assert "mathvariant" not in value


def test_mathml_abstract_keeps_subscripts() -> None:
    r"""Inline formulas read 'Dα−R0' in plain text and 'Dα−R\textsubscript{0}' in LaTeX."""
    work = mapped("item-mathml-title-and-abstract.json")
    assert "separation axioms (i.e., Dα−R0 and Dα−R1)" in work.plain["abstract"]
    assert r"Dα−R\textsubscript{0} and Dα−R\textsubscript{1})" in work.fields["abstract"]
    assert "Dα-derived, Dα-border" in work.plain["abstract"]


def test_html_title_keeps_italics_and_loses_layout_whitespace() -> None:
    """<i>KRAS</i> with newlines around slashes → KRAS/NRAS/...; LaTeX keeps \\textit."""
    work = mapped("work-j-clin-pathol-html-title-structured-abstract.json")
    assert work.plain["title"] == (
        "Construction of a reference material panel for detecting KRAS/NRAS/EGFR/BRAF/MET "
        "mutations in plasma ctDNA"
    )


def test_structured_jats_abstract_runs_section_titles_in() -> None:
    """jats:sec titles become 'Background: ...'; jats:italic becomes \\textit; % escaped."""
    work = mapped("work-j-clin-pathol-html-title-structured-abstract.json")
    plain = work.plain["abstract"]
    assert plain.startswith("Background: The absence of high-quality next-generation sequencing")
    assert " Objective: This study aimed" in plain
    assert " Conclusion: RM for a KRAS/NRAS/EGFR/BRAF/MET mutation panel" in plain
    assert r"oncogene (\textit{KRAS})/neuroblastoma" in work.fields["abstract"]
    assert r"at 10\% concentration" in work.fields["abstract"]
    assert "\n" not in plain


def test_jats_abstract_drops_the_generic_heading_and_decodes_entities() -> None:
    """'<jats:title>Abstract</jats:title>' is dropped; &lt; becomes '<'; ° and ‐ stay."""
    work = mapped("work-j-orthop-res-jats-abstract-print-vs-online.json")
    plain = work.plain["abstract"]
    assert plain.startswith("Twenty‐two beagles were divided")
    assert "(p < 0.001)" in plain
    assert "105° of knee flexion" in plain
    assert r"about 60\% (p < 0.001)" in work.fields["abstract"]


def test_empty_jats_abstract_gives_no_field() -> None:
    """Hindawi's '<jats:p />' abstract is empty: no abstract field."""
    assert "abstract" not in mapped("item-retraction-notice-without-update-to.json").fields


def test_csl_json_of_frank_agrees_with_crossrefs_own_bibtex() -> None:
    """The CSL-JSON transform maps to the values of Crossref's 2022 and 2026 BibTeX."""
    folder = require_fixtures()
    work = map_work(load_fixture("cn-csl-json-2026.json"))
    old = (folder / "cn-bibtex-2022-multiline.bib").read_text(encoding="utf-8")
    new = (folder / "cn-bibtex-2026.bib").read_text(encoding="utf-8")
    assert work.entry_type == "article"
    for field in ("volume", "number", "pages", "month", "doi", "journal"):
        assert f"{field} = {{{work.fields[field]}}}" in old
    assert f"year = {work.fields['year']}" in old
    assert f"pages={{{work.plain['pages']}}}" in new  # 2026 uses an en dash
    assert f"author={{{work.fields['author']}}}" in new
    assert work.plain["subtitle"].startswith("New data and interpretations")


def test_2024_multi_author_bibtex_joins_names_like_the_mapping() -> None:
    """Crossref's 2024 BibTeX joins 'Family, Given' with ' and ', as map_work does."""
    text = (require_fixtures() / "cn-bibtex-2024-multi-author.bib").read_text(encoding="utf-8")
    message = {
        "DOI": "10.1139/cjc-2022-0282",
        "type": "journal-article",
        "author": [
            {"given": "Hana", "family": "Zupan"},
            {"given": "Frederick", "family": "Heinz"},
            {"given": "Bettina G.", "family": "Keller"},
        ],
    }
    assert f"author={{{map_work(message).fields['author']}}}" in text


# -- lists: every item maps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "list-cursor-first-page.json",
        "list-query-bibliographic-with-filter.json",
        "list-query-rows2.json",
        "list-select-doi-title.json",
    ],
)
def test_every_list_item_maps_to_balanced_values(name: str) -> None:
    """All items of every recorded list map; every value has balanced braces, no tags."""
    items = load_fixture(name)["message"]["items"]
    assert items
    for item in items:
        work = map_work(item)
        assert work.fields["doi"] == item["DOI"].lower()
        for value in work.fields.values():
            assert balanced(value), value
            assert "<jats" not in value
            assert "<i>" not in value


def test_list_item_types_map_as_documented() -> None:
    """Cursor page: chapters → incollection, reference-entry → incollection, dataset → misc."""
    items = {
        i["DOI"]: map_work(i)
        for i in load_fixture("list-cursor-first-page.json")["message"]["items"]
    }
    assert items["10.1007/springerreference_66110"].entry_type == "incollection"
    assert items["10.1109/afrcon.2009.5308146"].fields["booktitle"] == "{AFRICON} 2009"
    assert items["10.1109/afrcon.2009.5308146"].fields["address"] == "Nairobi, Kenya"
    dataset = items["10.32614/cran.package.diffviewer"]
    assert dataset.entry_type == "misc"
    assert dataset.fields["note"] == "Dataset"
    assert dataset.fields["howpublished"] == "Comprehensive R Archive Network"


def test_posted_content_is_misc_with_a_note() -> None:
    """The Rogue Scholar blog post (posted-content, subtype other) is misc, 'Posted content'."""
    items = load_fixture("list-cursor-first-page.json")["message"]["items"]
    post = map_work(next(i for i in items if i["type"] == "posted-content"))
    assert post.entry_type == "misc"
    assert post.fields["note"] == "Posted content"
    assert post.fields["howpublished"] == "Front Matter"
    assert post.fields["year"] == "2008"
    assert post.orcids == ("https://orcid.org/0000-0001-7542-0286",)


def test_select_items_with_only_doi_and_title() -> None:
    """A `select=DOI,title` item has no type: misc with just title and doi."""
    item = load_fixture("list-select-doi-title.json")["message"]["items"][0]
    work = map_work(item)
    assert work.entry_type == "misc"
    assert work.fields == {
        "title": "Communicating Ecology",
        "doi": "10.1093/obo/9780199830060-0238",
    }


def test_peerj_italic_title_from_the_bibliographic_query() -> None:
    """An <i> species name in a PeerJ title becomes \\textit{} with no stray spaces."""
    items = load_fixture("list-query-bibliographic-with-filter.json")["message"]["items"]
    item = next(i for i in items if i["DOI"] == "10.7717/peerj.14688")
    work = map_work(item)
    assert r"threadfin fish, \textit{Eleutheronema tetradactylum,} and its" in work.fields["title"]
    assert "fish, Eleutheronema tetradactylum, and its diet" in work.plain["title"]


# -- synthetic cases ---------------------------------------------------------------------------


def work_of(**message: Any) -> MappedWork:
    message.setdefault("DOI", "10.5555/synthetic")
    message.setdefault("type", "journal-article")
    return map_work(message)


@pytest.mark.parametrize(
    ("title", "latex"),
    [
        ("IL-2 therapy", "{IL-2} therapy"),
        ("IFN-λ in hepatitis", "{IFN-λ} in hepatitis"),
        ("Regulatory T cells and B cells", "Regulatory {T} cells and {B} cells"),
        ("mRNA vaccines", "{mRNA} vaccines"),
        ("TGF-β blockade", "{TGF-β} blockade"),
        ("Th17 cells", "{Th17} cells"),
        ("A new model", "A new model"),
        ("Vitamin A levels", "Vitamin {A} levels"),
        ("The CD8+ response (PD-1)", "The {CD8+} response ({PD-1})"),
        ("p53-dependent apoptosis", "p53-dependent apoptosis"),
        ("Cell-Mediated Immunity", "Cell-Mediated Immunity"),
        ("α-Synuclein", "{α-Synuclein}"),
    ],
)
def test_title_protection(title: str, latex: str) -> None:
    """Acronyms, mixed case, Greek and single capitals are braced; ordinary words are not."""
    assert work_of(title=[title]).fields["title"] == latex


@pytest.mark.parametrize(
    ("title", "latex", "plain"),
    [
        ("Ca<sup>2+</sup> flux", r"{Ca}\textsuperscript{2+} flux", "Ca2+ flux"),
        ("H<sub>2</sub>O", r"{H}\textsubscript{2}{O}", "H2O"),
        ("<scp>Sars</scp>‐CoV‐2", r"\textsc{{Sars}}{‐CoV‐2}", "Sars‐CoV‐2"),
        ("<i>KRAS</i>-mutant", r"\textit{{KRAS}}{-mutant}", "KRAS-mutant"),
        ("<b>Bold</b> claims", r"\textbf{Bold} claims", "Bold claims"),
        (
            '<span style="font-variant:small-caps;">Nk</span> cells',
            r"\textsc{Nk} cells",
            "Nk cells",
        ),
        ("<mml:math><mml:mi>κ</mml:mi></mml:math>B", "{κB}", "κB"),
        ("Tom &amp; Jerry &lt;3", r"Tom \& Jerry <3", "Tom & Jerry <3"),
        (
            "100% of $5 #1 a_b {x} ~ ^ \\",
            r"100\% of \$5 \#1 a\_b \textbraceleft{}x\textbraceright{} "
            r"\textasciitilde{} \textasciicircum{} \textbackslash{}",
            "100% of $5 #1 a_b {x} ~ ^ \\",
        ),
    ],
)
def test_title_markup_and_specials(title: str, latex: str, plain: str) -> None:
    """Inline markup keeps its meaning as LaTeX commands; specials are escaped."""
    work = work_of(title=[title])
    assert work.fields["title"] == latex
    assert work.plain["title"] == plain


def test_organisation_authors_are_braced() -> None:
    """An organisation (`name`) is one braced unit, escaped inside."""
    work = work_of(
        author=[
            {"family": "Smith", "given": "Ann"},
            {"name": "The Cancer Genome Atlas Research Network"},
            {"name": "R&D Group"},
            {"given": "Madonna"},
            {"affiliation": []},
        ]
    )
    assert work.fields["author"] == (
        r"Smith, Ann and {The Cancer Genome Atlas Research Network} and {R\&D Group} and Madonna"
    )
    assert work.authors == (
        ("Smith", "Ann"),
        "The Cancer Genome Atlas Research Network",
        "R&D Group",
        ("Madonna", ""),
    )
    assert work.plain["author"] == (
        "Smith, Ann and The Cancer Genome Atlas Research Network and R&D Group and Madonna"
    )


def test_editors_of_a_book_chapter_are_written() -> None:
    """incollection gets editor; an editor that is an organisation is braced."""
    work = work_of(type="book-chapter", editor=[{"family": "Doe", "given": "J."}, {"name": "WHO"}])
    assert work.fields["editor"] == "Doe, J. and {WHO}"


def test_preprint_is_misc_with_note_preprint() -> None:
    """posted-content/preprint (bioRxiv shape) → misc, note Preprint, howpublished bioRxiv."""
    work = work_of(
        type="posted-content",
        subtype="preprint",
        institution=[{"name": "bioRxiv"}],
        publisher="Cold Spring Harbor Laboratory",
        posted={"date-parts": [[2024, 2, 1]]},
        issued={"date-parts": [[2024, 2, 1]]},
    )
    assert work.entry_type == "misc"
    assert (work.fields["note"], work.fields["howpublished"]) == ("Preprint", "bioRxiv")
    assert (work.fields["year"], work.fields["month"]) == ("2024", "feb")


@pytest.mark.parametrize(
    ("crossref_type", "entry_type"),
    [
        ("report", "techreport"),
        ("dissertation", "phdthesis"),
        ("book", "book"),
        ("edited-book", "book"),
        ("proceedings-article", "inproceedings"),
        ("peer-review", "misc"),
        ("component", "misc"),
        ("something-new", "misc"),
    ],
)
def test_entry_types(crossref_type: str, entry_type: str) -> None:
    """Crossref types map per ENTRY_TYPES; unknown types are misc."""
    assert work_of(type=crossref_type).entry_type == entry_type


def test_report_and_thesis_get_institution_and_school() -> None:
    """techreport: institution; phdthesis: school (institution name, else publisher)."""
    report = work_of(type="report", publisher="NCI", institution=[{"name": "NIH"}])
    thesis = work_of(type="dissertation", publisher="Karolinska Institutet")
    assert report.fields["institution"] == "NIH"
    assert thesis.fields["school"] == "Karolinska Institutet"


def test_inproceedings_booktitle_falls_back_to_the_event_name() -> None:
    """Without container-title, the event name is the booktitle."""
    work = work_of(type="proceedings-article", event={"name": "ASCO 2024"})
    assert work.fields["booktitle"] == "{ASCO} 2024"


@pytest.mark.parametrize(
    ("page", "latex", "plain"),
    [
        ("519-527", "519--527", "519–527"),
        ("635–641", "635--641", "635–641"),
        ("1-1", "1", "1"),
        ("e33693", "e33693", "e33693"),
        ("973", "973", "973"),
        ("4293-4304.e5", "4293--4304.e5", "4293–4304.e5"),
        ("1-5, 7-9", "1--5, 7--9", "1–5, 7–9"),
        ("S12 - S14", "S12--S14", "S12–S14"),
    ],
)
def test_page_ranges(page: str, latex: str, plain: str) -> None:
    """Ranges get '--' (en dash in plain); a one-page range collapses; e-locators stay."""
    work = work_of(page=page)
    assert (work.fields["pages"], work.plain["pages"]) == (latex, plain)


def test_article_number_when_no_page() -> None:
    """A record with only article-number writes it as pages."""
    assert work_of(**{"article-number": "104512"}).fields["pages"] == "104512"


@pytest.mark.parametrize(
    ("dates", "year", "month"),
    [
        ({"issued": {"date-parts": [[2020, 5, 3]]}}, "2020", "may"),
        ({"issued": {"date-parts": [["2020", "5"]]}}, "2020", "may"),
        ({"issued": {"date-parts": [[2020, 13]]}}, "2020", None),
        ({"issued": {"date-parts": [[None]]}}, None, None),
        ({"issued": {"date-parts": []}}, None, None),
        ({}, None, None),
        (
            {"issued": {"date-parts": [[None]]}, "published-online": {"date-parts": [[2019, 1]]}},
            "2019",
            "jan",
        ),
        (
            {"published-print": {"date-parts": [[2021]]}, "issued": {"date-parts": [[2020, 8]]}},
            "2021",
            None,
        ),
    ],
)
def test_dates(dates: dict[str, Any], year: str | None, month: str | None) -> None:
    """Year and month come from one date; junk is skipped; month only with a year."""
    work = work_of(**dates)
    assert work.fields.get("year") == year
    assert work.fields.get("month") == month


def test_chapter_uses_issued_not_print() -> None:
    """Only articles prefer published-print; a chapter uses issued."""
    work = work_of(
        type="book-chapter",
        issued={"date-parts": [[2019, 11]]},
        **{"published-print": {"date-parts": [[2020]]}},
    )
    assert work.fields["year"] == "2019"


def test_url_only_for_works_without_doi() -> None:
    """The DOI is the link; a record without DOI gets its resource URL."""
    assert "url" not in work_of(URL="https://doi.org/10.5555/synthetic").fields
    message = {
        "type": "report",
        "title": ["T"],
        "resource": {"primary": {"URL": "https://example.org/a_b%20c"}},
    }
    work = map_work(message)
    assert work.fields["url"] == "https://example.org/a_b%20c"
    assert work.doi is None
    assert "doi" not in work.fields


def test_doi_field_is_verbatim() -> None:
    """DOI underscores are not escaped (biblatex reads doi verbatim); braces %-encoded."""
    assert work_of(DOI="10.3892/IJO_00000353").fields["doi"] == "10.3892/ijo_00000353"
    assert work_of(DOI="10.5555/a{b").fields["doi"] == "10.5555/a%7Bb"


def test_no_pmid_ever() -> None:
    """Crossref has no PMIDs, so the mapping never writes one."""
    assert all(rule.field != "pmid" for rule in FIELD_RULES)


@pytest.mark.parametrize(
    ("update_type", "kind"),
    [
        ("retraction", "retracted"),
        ("withdrawal", "retracted"),
        ("removal", "retracted"),
        ("partial_retraction", "retracted"),
        ("expression_of_concern", "concern"),
        ("expression-of-concern", "concern"),
        ("correction", "corrected"),
        ("erratum", "corrected"),
        ("new_version", "corrected"),
        ("addendum", "corrected"),
    ],
)
def test_update_types(update_type: str, kind: str) -> None:
    """updated-by types map to retracted / concern / corrected (open set → corrected)."""
    status = work_of(**{"updated-by": [{"type": update_type, "DOI": "10.5555/N"}]}).update_status
    assert status is not None
    assert status.kind == kind
    assert status.notice_doi == "10.5555/n"
    assert status.source == "publisher"


def test_most_severe_update_wins() -> None:
    """A concern and a later correction: concern is reported (more severe)."""
    work = work_of(
        **{
            "updated-by": [
                {
                    "type": "expression_of_concern",
                    "DOI": "10.5555/a",
                    "updated": {"date-parts": [[2020, 1, 2]]},
                },
                {"type": "correction", "DOI": "10.5555/b", "updated": {"date-parts": [[2021, 1]]}},
            ]
        }
    )
    assert work.update_status is not None
    assert (work.update_status.kind, work.update_status.date) == ("concern", "2020-01-02")
    assert len(work.updates) == 2


@pytest.mark.parametrize(
    ("title", "flagged"),
    [
        ("RETRACTED: X", True),
        ("Retracted: X", True),
        ("Retraction: X", True),
        ("Retraction Note: X", True),
        ("WITHDRAWN: X", True),
        ("Retracting the claim", False),
        ("Correction: X", False),
    ],
)
def test_title_prefixes(title: str, flagged: bool) -> None:
    """Retraction title prefixes flag a record as retracted (source 'title')."""
    status = work_of(title=[title]).update_status
    assert (status is not None and status.kind == "retracted") is flagged


def test_envelopes_and_csl_strings_are_accepted() -> None:
    """A whole {"message": ...} envelope, and CSL-style string titles, map too."""
    envelope = {
        "status": "ok",
        "message-type": "work",
        "message": {
            "DOI": "10.5555/e",
            "title": "A string title",
            "type": "journal-article",
            "container-title": "J",
        },
    }
    work = map_work(envelope)
    assert (work.fields["title"], work.fields["journal"]) == ("A string title", "J")


def test_entry_types_table_is_declarative() -> None:
    """The type table and field rules are plain data that can be listed in docs."""
    assert ENTRY_TYPES["journal-article"] == "article"
    assert [r.field for r in FIELD_RULES][:3] == ["author", "editor", "title"]


def test_markup_to_text_is_forgiving() -> None:
    """Unclosed tags, stray '<' and unknown tags never raise."""
    assert markup_to_text("p < 0.05 and <i>unclosed") == "p < 0.05 and unclosed"
    assert markup_to_text("a</b>c") == "ac"
    assert markup_to_text("<br>line<br/>break") == "line break"


# -- properties ---------------------------------------------------------------------------------


def balanced(value: str) -> bool:
    depth = 0
    for ch in value:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


_ESCAPES = re.compile(
    r"\\(?:textbackslash|textbraceleft|textbraceright|textasciitilde|textasciicircum)\{\}"
    r"|\\[&%$#_]"
    r"|\\text(?:it|bf|sc|subscript|superscript)(?=\{)"
)
_PLACEHOLDER = {
    r"\textbackslash{}": "\x00",
    r"\textbraceleft{}": "\x01",
    r"\textbraceright{}": "\x02",
    r"\textasciitilde{}": "\x03",
    r"\textasciicircum{}": "\x04",
}
_RESTORE = {"\x00": "\\", "\x01": "{", "\x02": "}", "\x03": "~", "\x04": "^"}


def unlatex(value: str) -> str:
    """Undo map_work's LaTeX: commands and protective braces removed, escapes restored."""
    value = re.sub(r"\\text(?:it|bf|sc|subscript|superscript)\{", "{", value)
    for escape, mark in _PLACEHOLDER.items():
        value = value.replace(escape, mark)
    value = re.sub(r"\\([&%$#_])", lambda m: "\x05" + m.group(1), value)
    value = value.replace("{", "").replace("}", "").replace("\x05", "")
    return "".join(_RESTORE.get(ch, ch) for ch in value)


@given(st.text(max_size=80))
def test_property_any_title_survives(text: str) -> None:
    """Any string as a title: balanced braces, no bare specials, LaTeX undoes to plain."""
    work = work_of(title=[text], **{"container-title": [text]})
    for field in ("title", "journal"):
        if field not in work.fields:
            assert not markup_to_text(text).strip()
            continue
        latex = work.fields[field]
        assert balanced(latex)
        assert not re.search(r"[&%$#_^~\\]", _ESCAPES.sub("", latex))
        assert unlatex(latex) == work.plain[field]


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=40))
def test_property_any_names_survive(family: str, given_name: str, org: str) -> None:
    """Any family, given or organisation name gives a balanced author value."""
    work = work_of(author=[{"family": family, "given": given_name}, {"name": org}])
    value = work.fields.get("author", "")
    assert balanced(value)
    assert not re.search(r"[&%$#_^~\\]", _ESCAPES.sub("", value))


@given(st.text(max_size=60))
def test_property_escape_latex_round_trips(text: str) -> None:
    """escape_latex is reversible and always balanced (terminal escape sequences and
    control characters aside)."""
    from cytobib.controls import without_escape_sequences

    escaped = escape_latex(text)
    assert balanced(escaped)
    expected = "".join(
        " " if ch.isspace() else ch
        for ch in without_escape_sequences(text)
        if ch.isspace() or not _is_control(ch)
    )
    assert unlatex(escaped) == expected


def _is_control(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")


def test_fixture_folder_is_beside_the_repository() -> None:
    """The fixtures are found through a path relative to the tests, not a fixed one."""
    assert Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "crossref" == FIXTURES


def test_golden_json_is_stable_under_reserialisation() -> None:
    """Mapping the re-serialised JSON gives the same result (no dependence on key order)."""
    message = load_fixture("work-plos-one-updated-by-correction.json")["message"]
    shuffled = json.loads(json.dumps(dict(reversed(list(message.items())))))
    assert map_work(shuffled) == map_work(message)
