"""Offline checks: every issue code in checks.CODES, what triggers it and what must not."""

from __future__ import annotations

import errno
import os
import pathlib
from collections.abc import Callable
from pathlib import Path

import pytest

from cytobib import bibfile, checks, open_project
from cytobib.model import Issue, Record, Severity

ONLINE_CODES = {"doi-not-found", "doi-mismatch", "no-mailto"}
"""Produced only by `check --online` (tested with the local Crossref server elsewhere)."""

GOOD = "author = {A, B}, journal = {J}, year = 2020"


def run_checks(bib: str, this_year: int = 2026) -> list[Issue]:
    """Parse a library and run the offline checks (no annotations: all are missing)."""
    parsed = bibfile.parse(bibfile.decode_bytes(bib.encode("utf-8"), "library.bib"))
    records = [Record(e) for e in parsed.entries]
    return [*parsed.issues, *checks.run(records, "library.bib", this_year=this_year)]


def found(issues: list[Issue], code: str) -> list[Issue]:
    return [i for i in issues if i.code == code]


def keys(issues: list[Issue], code: str) -> list[str | None]:
    return [i.key for i in issues if i.code == code]


# --- every offline code, produced end to end through open_project ------------------------------

# code -> (library.bib, annotations, key of the issue). Adding a code to checks.CODES without
# an example here makes test_every_offline_code_has_an_example fail.
EXAMPLES: dict[str, tuple[str | bytes, dict[str, str | bytes], str | None]] = {
    "parse-error": ("@article{a,\n  title = {unclosed\n", {}, "a"),
    "missing-key": (f"@article{{, title = {{T}}, {GOOD}}}\n", {}, None),
    "duplicate-key": (f"@article{{a, title={{T}}, {GOOD}}}\n@article{{A, title={{U}}}}\n", {}, "A"),
    "duplicate-field": ("@misc{a, title = {T}, title = {U}}\n", {}, "a"),
    "undefined-macro": ("@misc{a, title = {T}, publisher = Nowhere}\n", {}, "a"),
    "legacy-encoding": ("@misc{a, title = {Café}}\n".encode("cp1252"), {}, None),
    "unsafe-key": ("@misc{../x, title = {T}}\n", {}, "../x"),
    "macro-too-long": (
        '@string{a0 = "xxxxxxxx"}\n'
        + "".join(f"@string{{a{i} = a{i - 1} # a{i - 1}}}\n" for i in range(1, 17))
        + "@misc{a, title = a16 # a16 # a16}\n",  # 3 x 512 KB
        {},
        "a",
    ),
    "bad-braces": ('@misc{a, title = "a } b"}\n', {}, "a"),
    "suspicious-key": ("@misc{sm\u0456th, title = {T}}\n", {}, "sm\u0456th"),
    "annotation-outside-project": ("@misc{a, title = {T}}\n", {}, "a"),
    "annotation-not-a-file": ("@misc{a, title = {T}}\n", {}, "a"),
    "missing-field": ("@article{a, title = {T}}\n", {}, "a"),
    "bad-doi": ("@misc{a, title = {T}, doi = {10.abc/x}}\n", {}, "a"),
    "bad-issn": ("@misc{a, title = {T}, issn = {1234-5678}}\n", {}, "a"),
    "bad-year": ("@misc{a, title = {T}, year = {20x4}}\n", {}, "a"),
    "bad-pages": ("@misc{a, title = {T}, pages = {402--6; discussion 406--7}}\n", {}, "a"),
    "duplicate-doi": (
        "@misc{a, title = {T}, doi = {10.1/x}}\n@misc{b, title = {U}, doi = {10.1/X}}\n",
        {},
        "b",
    ),
    "near-duplicate-title": (
        "@misc{a, title = {Interleukin-2 in metastatic melanoma}}\n"
        "@misc{b, title = {Interleukin-2 in metastatic melanoma.}}\n",
        {},
        "b",
    ),
    "retracted": (
        "@misc{a, title = {T}, update-status = {retracted; 10.1016/x; retraction-watch; "
        "2010-02-02}}\n",
        {},
        "a",
    ),
    "expression-of-concern": (
        "@misc{a, title = {T}, update-status = {concern; 10.1/n; publisher}}\n",
        {},
        "a",
    ),
    "corrected": ("@misc{a, title = {T}, update-status = {corrected; 10.1/n}}\n", {}, "a"),
    "missing-annotation": ("@misc{a, title = {T}}\n", {}, "a"),
    "orphan-annotation": ("@misc{a, title = {T}}\n", {"a": "", "gone": "summary: x\n"}, "gone"),
    "annotation-yaml": ("@misc{a, title = {T}}\n", {"a": "summary: [unclosed\n"}, "a"),
    "annotation-encoding": ("@misc{a, title = {T}}\n", {"a": b"summary: \xff\n"}, "a"),
    "annotation-not-mapping": ("@misc{a, title = {T}}\n", {"a": "- x\n"}, "a"),
    "annotation-schema": ("@misc{a, title = {T}}\n", {"a": "priority: 9\n"}, "a"),
    "annotation-unreadable": ("@misc{a, title = {T}}\n", {"a": "summary: x\n"}, "a"),
    "unknown-agent": ("@misc{a, title = {T}}\n", {"a": "agents:\n  - name: zzzmab\n"}, "a"),
    "unknown-cancer": ("@misc{a, title = {T}}\n", {"a": "cancers: [zzz carcinoma]\n"}, "a"),
    "dangling-related": ("@misc{a, title = {T}}\n", {"a": "related: [nobody]\n"}, "a"),
}


def test_every_offline_code_has_an_example() -> None:
    """Each code in checks.CODES not tied to --online has an example below."""
    assert set(checks.CODES) - ONLINE_CODES == set(EXAMPLES)


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_code_is_produced(
    code: str,
    make_project: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading the example library reports the code, for the right key, at its documented
    severity."""
    bib, annotations, key = EXAMPLES[code]
    root = make_project(bib, annotations)
    if code == "annotation-unreadable":
        _make_unreadable(monkeypatch, root / "annotations" / "a.yaml")
    if code == "annotation-outside-project":
        outside = root.parent / "secret.yaml"
        outside.write_text("summary: a secret from outside the project\n", encoding="utf-8")
        (root / "annotations" / "a.yaml").symlink_to(outside)
    if code == "annotation-not-a-file":
        os.mkfifo(root / "annotations" / "a.yaml")
    issues = found(list(open_project(root).library.issues), code)
    assert issues, f"{code} was not reported"
    assert issues[0].key == key
    assert issues[0].severity == checks.CODES[code][0]
    assert issues[0].location is not None


def _make_unreadable(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """Simulate EACCES on one file (chmod 000 does not stop root, who may run the tests)."""
    original = pathlib.Path.read_bytes

    def read_bytes(self: pathlib.Path) -> bytes:
        if self.resolve() == target.resolve():
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)


# --- the details of each check -----------------------------------------------------------------


def test_duplicate_doi_ignores_prefix_and_case() -> None:
    """DOIs equal up to case and a resolver prefix are duplicates, reported on the second."""
    issues = run_checks(
        "@misc{a, title = {T}, doi = {10.1000/ABC}}\n"
        "@misc{b, title = {U}, doi = {https://doi.org/10.1000/abc}}\n"
    )
    (issue,) = found(issues, "duplicate-doi")
    assert issue.key == "b"
    assert "'a' (line 1)" in issue.message


def test_near_duplicate_title_ignores_case_and_punctuation() -> None:
    """Titles differing only in case, braces and punctuation are near duplicates."""
    issues = run_checks(
        "@misc{a, title = {{IL-2} therapy: a review of metastatic melanoma}, year = 2014}\n"
        "@misc{b, title = {IL-2 Therapy - A Review of Metastatic Melanoma.}, year = 2014}\n"
    )
    assert keys(issues, "near-duplicate-title") == ["b"]


def test_near_duplicate_title_not_for_numbered_titles() -> None:
    """RFC-like titles differing only in a number are different works."""
    issues = run_checks(
        "@misc{rfc1, title = {Host Software Protocol, Part 1}, year = 1969}\n"
        "@misc{rfc2, title = {Host Software Protocol, Part 2}, year = 1969}\n"
    )
    assert found(issues, "near-duplicate-title") == []


def test_near_duplicate_title_not_for_report_numbers() -> None:
    """Technical reports with the same title but different numbers are different works."""
    issues = run_checks(
        "@techreport{r1, title = {Host Software}, institution = {IETF}, number = {1}}\n"
        "@techreport{r2, title = {Host Software}, institution = {IETF}, number = {2}}\n"
    )
    assert found(issues, "near-duplicate-title") == []


def test_near_duplicate_title_not_for_different_dois() -> None:
    """Same title with two different DOIs (erratum, reprint) is not flagged."""
    issues = run_checks(
        "@misc{a, title = {Interleukin-2 in metastatic melanoma}, doi = {10.1/a}}\n"
        "@misc{b, title = {Interleukin-2 in metastatic melanoma}, doi = {10.1/b}}\n"
    )
    assert found(issues, "near-duplicate-title") == []


def test_near_duplicate_title_not_years_apart() -> None:
    """Same title years apart (a series, a new edition) is not flagged."""
    issues = run_checks(
        "@misc{a, title = {Cancer immunotherapy annual update}, year = 2010}\n"
        "@misc{b, title = {Cancer immunotherapy annual update}, year = 2015}\n"
    )
    assert found(issues, "near-duplicate-title") == []


def test_missing_field_names_the_fields() -> None:
    """An article without journal names both accepted alternatives."""
    issues = run_checks("@article{a, author = {A}, title = {T}, year = 2020}\n")
    (issue,) = found(issues, "missing-field")
    assert "journal or journaltitle" in issue.message


def test_missing_field_accepts_alternatives() -> None:
    """journaltitle stands for journal and date for year (BibLaTeX)."""
    issues = run_checks("@article{a, author = {A}, title = {T}, journaltitle = {J}, date = 2020}\n")
    assert found(issues, "missing-field") == []


def test_unknown_type_has_no_required_fields() -> None:
    """An entry type without requirements (misc) never gets missing-field."""
    assert found(run_checks("@misc{a}\n"), "missing-field") == []


@pytest.mark.parametrize(
    "doi", ["10.1000/abc", "https://doi.org/10.1000/ABC", "doi:10.1093/ofid/ofaa055"]
)
def test_good_doi_accepted(doi: str) -> None:
    """DOIs with or without a resolver prefix are accepted."""
    assert found(run_checks(f"@misc{{a, doi = {{{doi}}}}}\n"), "bad-doi") == []


@pytest.mark.parametrize("doi", ["10.abc/x", "10.1000/a b", "1000/abc", "www.example.org"])
def test_bad_doi_flagged(doi: str) -> None:
    """Malformed DOIs are bad-doi errors."""
    assert keys(run_checks(f"@misc{{a, doi = {{{doi}}}}}\n"), "bad-doi") == ["a"]


@pytest.mark.parametrize("issn", ["0378-5955", "1050-124X", "1050-124x", "03785955"])
def test_issn_ok_accepts_valid(issn: str) -> None:
    """Valid ISSNs pass the check digit, including an X check digit."""
    assert checks.issn_ok(issn)


@pytest.mark.parametrize("issn", ["1234-5678", "1050-1240", "0378-595", "abcd-efgh"])
def test_issn_ok_rejects_invalid(issn: str) -> None:
    """A wrong check digit or a malformed number fails."""
    assert not checks.issn_ok(issn)


def test_zotero_issn_list_accepted() -> None:
    """Zotero's "NNNN-NNNN (Print) NNNN-NNNN (Linking)" form is checked number by number."""
    issues = run_checks("@misc{a, issn = {0003-1348 (Print) 0003-1348 (Linking)}}\n")
    assert found(issues, "bad-issn") == []


def test_bad_issn_names_the_bad_number() -> None:
    """Only the failing number of a list is reported."""
    issues = run_checks("@misc{a, issn = {0378-5955, 1234-5678}}\n")
    (issue,) = found(issues, "bad-issn")
    assert "1234-5678" in issue.message
    assert "0378-5955" not in issue.message


@pytest.mark.parametrize("year", ["20x4", "1399", "2028", "2014a", "14"])
def test_bad_year_flagged(year: str) -> None:
    """Years that are not four digits in 1400..next year are flagged."""
    assert keys(run_checks(f"@misc{{a, year = {{{year}}}}}\n", this_year=2026), "bad-year") == ["a"]


def test_next_year_is_plausible() -> None:
    """Next year's issues (online-first papers) are not flagged."""
    assert found(run_checks("@misc{a, year = 2027}\n", this_year=2026), "bad-year") == []


@pytest.mark.parametrize(
    "pages", ["207--217", "1-10", "e33693", "doaa055", "xii--xv", "S1--S12", "823--8", "55+"]
)
def test_good_pages_accepted(pages: str) -> None:
    """Page ranges, e-locators and roman numerals are accepted."""
    assert found(run_checks(f"@misc{{a, pages = {{{pages}}}}}\n"), "bad-pages") == []


@pytest.mark.parametrize("pages", ["402--6; discussion 406--7", "pp. 1 2", "1--2--3"])
def test_bad_pages_flagged(pages: str) -> None:
    """Page values with commentary or stray words are flagged."""
    assert keys(run_checks(f"@misc{{a, pages = {{{pages}}}}}\n"), "bad-pages") == ["a"]


def test_retracted_names_notice() -> None:
    """A retracted work is an error naming the notice DOI and the source."""
    issues = run_checks(
        "@article{a, update-status = {retracted; 10.1016/x; retraction-watch; 2010-02-02}}\n"
    )
    (issue,) = found(issues, "retracted")
    assert issue.severity == Severity.ERROR
    assert "RETRACTED (notice 10.1016/x), reported by retraction-watch" in issue.message


def test_parse_error_message_is_clear() -> None:
    """An unclosed entry's parse-error says the file ended and how to fix it."""
    (issue,) = found(run_checks("@article{a,\n  title = {unclosed,\n"), "parse-error")
    assert "end of file" in issue.message
    assert "kept in the file unchanged" in issue.message
    assert "`{` needs a `}`" in (issue.hint or "")


def test_missing_annotation_is_info() -> None:
    """An entry without annotation is only info, with the command that creates one."""
    (issue,) = found(run_checks("@misc{a}\n"), "missing-annotation")
    assert issue.severity == Severity.INFO
    assert "cytobib annotate a" in (issue.hint or "")


def test_broken_annotation_is_not_missing(make_project: Callable[..., Path]) -> None:
    """An entry whose annotation file exists but cannot be loaded is not told to create one."""
    root = make_project("@misc{a, title = {T}}\n", {"a": "- not a mapping\n"})
    codes = [i.code for i in open_project(root).library.issues]
    assert "annotation-not-mapping" in codes
    assert "missing-annotation" not in codes


def test_unsafe_key_gets_no_missing_annotation() -> None:
    """An unsafe key is an error and is not also told to create an annotation."""
    issues = run_checks("@misc{a/b}\n")
    assert keys(issues, "unsafe-key") == ["a/b"]
    assert found(issues, "missing-annotation") == []


def test_clean_entry_has_only_missing_annotation() -> None:
    """A complete, well-formed article produces no issue other than its missing annotation."""
    issues = run_checks(
        "@article{a, author = {Rosenberg, S. A.}, title = {IL-2: the first effective "
        "immunotherapy}, journal = {J Immunol}, year = 2014, volume = 192, pages = "
        "{5451--5458}, doi = {10.4049/jimmunol.1490019}, issn = {0022-1767}}\n"
    )
    assert [i.code for i in issues] == ["missing-annotation"]


def test_issue_locations_point_at_entry_lines() -> None:
    """Entry-level issues carry the entry's line in library.bib."""
    issues = run_checks("% c\n\n@misc{a, year = 99}\n")
    (issue,) = found(issues, "bad-year")
    assert issue.location is not None
    assert (issue.location.path, issue.location.line) == ("library.bib", 3)


# --- the real libraries ------------------------------------------------------------------------


def _real_issues(real_text: Callable[[str], bytes], name: str) -> list[Issue]:
    return run_checks(real_text(name).decode("utf-8"))


@pytest.mark.slow
def test_real_rfc_titles_are_not_near_duplicates(real_text: Callable[[str], bytes]) -> None:
    """The 8,639 RFCs (many titles differing only in a number) give no near-duplicate-title."""
    issues = _real_issues(real_text, "autinerd-rfcbib-rfc.bib")
    assert found(issues, "near-duplicate-title") == []


@pytest.mark.slow
def test_real_zotero_known_defects(real_text: Callable[[str], bytes]) -> None:
    """The Zotero export's documented defects are found: key 717 has no author, and pages
    with commentary ("402--6; discussion 406--7") are bad-pages."""
    issues = _real_issues(real_text, "gisurgonc-handbook-zotero.bib")
    assert any(i.key == "717" and "no author" in i.message for i in found(issues, "missing-field"))
    assert any("discussion" in i.message for i in found(issues, "bad-pages"))
