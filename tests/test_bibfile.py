"""Reading library.bib: encodings, macros, LaTeX, names, repeated fields, the parse cache,
and the real libraries in ../shared/data."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cytobib import bibfile, caching, store
from cytobib.errors import BibFileError
from cytobib.model import Issue, Location, Severity, parse_names


def parse(data: bytes | str, name: str = "lib.bib") -> bibfile.ParsedBib:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return bibfile.parse(bibfile.decode_bytes(raw, name))


def codes(issues: tuple[Issue, ...]) -> list[str]:
    return [i.code for i in issues]


# --- encodings ---------------------------------------------------------------------------------


def test_reads_utf8() -> None:
    """A UTF-8 file is read as UTF-8 with its accented letters intact."""
    parsed = parse("@article{a,\n  title = {Café au lait},\n}\n")
    assert parsed.source.encoding == "utf-8"
    assert parsed.entries[0].fields["title"] == "Café au lait"


def test_reads_utf8_with_bom() -> None:
    """A byte-order mark is remembered but is not part of the first entry."""
    parsed = parse(b"\xef\xbb\xbf@article{a,\n  title = {Caf\xc3\xa9},\n}\n")
    assert parsed.source.encoding == "utf-8-sig"
    assert [e.key for e in parsed.entries] == ["a"]
    assert parsed.entries[0].fields["title"] == "Café"
    assert parsed.issues == ()


def test_reads_crlf() -> None:
    """CRLF files are detected as such and their values carry no stray carriage returns."""
    parsed = parse(
        b"@article{a,\r\n  title = {X},\r\n}\r\n\r\n@article{b,\r\n  year = 2000,\r\n}\r\n"
    )
    assert parsed.source.newline == "\r\n"
    assert parsed.entries[0].fields["title"] == "X"
    assert parsed.entries[1].fields["year"] == "2000"
    assert parsed.entries[1].line == 5


def test_reads_legacy_cp1252_with_warning() -> None:
    """A latin-1 (cp1252) file is read with a legacy-encoding warning, text not mangled."""
    data = "@article{a,\n  title = {Café – naïve},\n}\n".encode("cp1252")
    parsed = parse(data)
    assert parsed.source.encoding == "cp1252"
    assert parsed.entries[0].fields["title"] == "Café – naïve"
    (issue,) = parsed.issues
    assert (issue.code, issue.severity) == ("legacy-encoding", Severity.WARNING)
    assert issue.location is not None
    assert issue.location.line == 2


def test_invalid_utf8_names_file_and_line() -> None:
    """A mostly-UTF-8 file with one bad byte is an error naming file:line, not a latin-1 read."""
    data = b"@article{a,\n  title = {Caf\xc3\xa9},\n}\n@article{b,\n  title = {bad \xe9 byte},\n}\n"
    with pytest.raises(BibFileError, match=r"^lib\.bib:5: invalid UTF-8") as info:
        parse(data)
    assert info.value.hint


def test_nul_bytes_are_refused() -> None:
    """A file with NUL bytes is reported as binary, with the line of the first NUL."""
    with pytest.raises(BibFileError, match=r"lib\.bib:2: .*NUL"):
        parse(b"@article{a,\n  title = {X\x00},\n}\n")


def test_empty_file_has_no_entries() -> None:
    """An empty file is a valid, empty library."""
    parsed = parse(b"")
    assert parsed.entries == ()
    assert parsed.issues == ()


def test_read_text_missing_file(tmp_path: Path) -> None:
    """A missing file is a BibFileError whose hint points at `cytobib init`."""
    with pytest.raises(BibFileError, match="does not exist") as info:
        bibfile.read_text(tmp_path / "library.bib")
    assert "cytobib init" in (info.value.hint or "")


def test_read_text_directory(tmp_path: Path) -> None:
    """A folder given as the library is a BibFileError, not an IsADirectoryError."""
    with pytest.raises(BibFileError, match="is a folder"):
        bibfile.read_text(tmp_path)


def test_read_text_too_large(tmp_path: Path) -> None:
    """A file over the size limit is refused before it is read, naming the setting to raise."""
    path = tmp_path / "big.bib"
    path.write_bytes(b"%" * 3000 + b"\n")
    with pytest.raises(BibFileError, match="more than the") as info:
        bibfile.read_text(path, max_bytes=2000)
    assert "max_bib_mb" in (info.value.hint or "")


# --- macros ------------------------------------------------------------------------------------


def test_string_macro_expands() -> None:
    """A journal given as an @string macro is expanded to its text."""
    parsed = parse('@string{NAR = "Nucl. Acids Res."}\n@article{a, journal = NAR, year = 1984}\n')
    assert parsed.entries[0].fields["journal"] == "Nucl. Acids Res."
    assert parsed.strings["nar"] == "Nucl. Acids Res."


def test_string_macro_is_case_insensitive() -> None:
    """Macro names match regardless of case, as in BibTeX."""
    parsed = parse('@String{JMB = "J. Mol. Biol."}\n@article{a, journal = jmb}\n')
    assert parsed.entries[0].fields["journal"] == "J. Mol. Biol."


def test_concatenation_joins_parts() -> None:
    """`#` joins macros, quoted and braced parts, also inside @string definitions."""
    parsed = parse(
        '@string{j = "Nucl."}\n@string{k = j # " Acids"}\n'
        '@article{a, journal = k # { Res.} # " (Oxford)"}\n'
    )
    assert parsed.entries[0].fields["journal"] == "Nucl. Acids Res. (Oxford)"


def test_undefined_macro_warns() -> None:
    """An undefined macro stands for its own name, with an undefined-macro warning."""
    parsed = parse("@article{a,\n  journal = Bioinformatics,\n}\n")
    assert parsed.entries[0].fields["journal"] == "Bioinformatics"
    (issue,) = parsed.issues
    assert (issue.code, issue.key, issue.severity) == ("undefined-macro", "a", Severity.WARNING)
    assert issue.location is not None
    assert issue.location.line == 2


def test_month_macros_are_predefined() -> None:
    """The twelve month macros need no @string and give a month number."""
    parsed = parse("@article{a, month = feb}\n@article{b, month = {September}}\n")
    assert parsed.issues == ()
    assert parsed.entries[0].fields["month"] == "feb"
    assert [e.month for e in parsed.entries] == [2, 9]


def test_bare_numbers_are_values() -> None:
    """Bare numbers are values, not macros."""
    parsed = parse("@article{a, year = 1984, volume = 12}\n")
    assert dict(parsed.entries[0].fields) == {"year": "1984", "volume": "12"}
    assert parsed.issues == ()


def test_preamble_and_comments_are_not_entries() -> None:
    """@preamble, @comment and free text are skipped without issues; later lines stay right."""
    parsed = parse(
        '@preamble{"\\newcommand{\\noopsort}[1]{}"}\n@comment{old entry}\n'
        "Some free text.\n@article{a, title = {T}}\n"
    )
    assert [(e.key, e.line) for e in parsed.entries] == [("a", 4)]
    assert parsed.issues == ()


@st.composite
def _braced_values(draw: st.DrawFn) -> str:
    """Balanced brace text without backslashes (how BibTeX delimits a value)."""
    parts = draw(
        st.lists(
            st.one_of(
                st.text(st.characters(exclude_characters='{}\\"', codec="utf-8"), max_size=8),
                st.builds(lambda t: "{" + t + "}", st.text(st.sampled_from('ab #"'), max_size=5)),
            ),
            max_size=6,
        )
    )
    return "".join(parts)


@given(_braced_values())
def test_resolve_value_braced(value: str) -> None:
    """A braced value resolves to exactly its inside, whatever `#`, quotes or braces it holds."""
    assert bibfile.resolve_value("{" + value + "}", {}) == (value, [])


@given(_braced_values())
def test_resolve_value_quoted(value: str) -> None:
    """A quoted value (no quote at brace depth 0 inside) resolves to exactly its inside."""
    depth = 0
    for ch in value:  # a '"' at brace depth 0 would end a quoted value: not a valid input
        depth += ch == "{"
        depth -= ch == "}"
        assume(not (ch == '"' and depth == 0))
    assert bibfile.resolve_value(' "' + value + '" ', {}) == (value, [])


@given(st.lists(_braced_values(), min_size=1, max_size=4))
def test_resolve_value_concatenation(parts: list[str]) -> None:
    """Braced parts joined with `#` and a macro resolve to the parts' concatenation."""
    raw = " # ".join(["m", *("{" + p + "}" for p in parts)])
    text, missing = bibfile.resolve_value(raw, {"m": "M:"})
    assert missing == []
    assert text == "M:" + "".join(parts)


# --- LaTeX and names ---------------------------------------------------------------------------


def test_title_decodes_latex() -> None:
    """Entry.title decodes accents, math Greek and dashes; the raw field keeps the LaTeX."""
    parsed = parse(r"@article{a, title = {$\lambda$ phage -- caf\'e {\"u}ber {IL-2}}}" + "\n")
    entry = parsed.entries[0]
    assert entry.title == "λ phage – café über IL-2"
    assert entry.fields["title"] == r"$\lambda$ phage -- caf\'e {\"u}ber {IL-2}"


def test_text_decodes_any_field() -> None:
    """Entry.text decodes any field for display."""
    parsed = parse(r"@article{a, journal = {Acta Chir. {\O}sterr.}}" + "\n")
    assert parsed.entries[0].text("journal") == "Acta Chir. Østerr."


def test_corporate_author() -> None:
    """A braced author is one corporate name, not split into given and family."""
    (person,) = parse_names("{World Health Organization}")
    assert person.corporate
    assert person.last == "World Health Organization"


def test_von_jr_given_name() -> None:
    """'von Last, Jr, First' splits into all four parts."""
    (person,) = parse_names("van der Berg, Jr., Hans")
    assert (person.von, person.family, person.jr, person.given) == (
        "van der",
        "Berg",
        "Jr.",
        "Hans",
    )
    assert person.last == "van der Berg"


def test_first_von_last_name() -> None:
    """'First von Last' recognises the lower-case particle."""
    (person,) = parse_names("Ludwig van Beethoven")
    assert (person.given, person.von, person.family) == ("Ludwig", "van", "Beethoven")


def test_name_list_with_others() -> None:
    """An and-separated list keeps order, decodes accents and keeps 'others'."""
    people = parse_names(r"M{\"u}ller, Anna and {World Health Organization} and others")
    assert [p.last for p in people] == ["Müller", "World Health Organization", "others"]
    assert people[0].initials == "A"


# --- repeated fields, keys ---------------------------------------------------------------------


def test_repeated_annote_is_merged() -> None:
    """Zotero's repeated annote fields are merged into one value without an issue."""
    parsed = parse("@article{a,\n  annote = {one},\n  annote = {two},\n}\n")
    assert parsed.entries[0].fields["annote"] == "one\n\ntwo"
    assert parsed.issues == ()


def test_repeated_field_is_duplicate_field_error() -> None:
    """Another repeated field is a duplicate-field error at the second occurrence; first wins."""
    parsed = parse("@article{a,\n  title = {First},\n  title = {Second},\n}\n")
    assert parsed.entries[0].fields["title"] == "First"
    (issue,) = parsed.issues
    assert (issue.code, issue.severity, issue.key) == ("duplicate-field", Severity.ERROR, "a")
    assert issue.location is not None
    assert issue.location.line == 3


def test_missing_key_is_reported() -> None:
    """An entry without a citation key is a missing-key error and is left out."""
    parsed = parse("@article{a, title={x}}\n@article{, title = {no key}}\n")
    assert [e.key for e in parsed.entries] == ["a"]
    assert codes(parsed.issues) == ["missing-key"]
    assert parsed.issues[0].location is not None
    assert parsed.issues[0].location.line == 2


def test_duplicate_key_ignores_case() -> None:
    """Keys differing only in case clash (annotation file names would)."""
    parsed = parse("@article{Smith2020, title={x}}\n@article{smith2020, title={y}}\n")
    assert [e.key for e in parsed.entries] == ["Smith2020"]
    assert codes(parsed.issues) == ["duplicate-key"]
    assert "line 1" in parsed.issues[0].message


def test_unclosed_entry_is_parse_error_and_rest_is_read() -> None:
    """An entry missing its closing brace is a parse-error; the entries after it still load."""
    parsed = parse("@article{a,\n  title = {unclosed,\n\n@article{b, title = {ok}}\n")
    assert [e.key for e in parsed.entries] == ["b"]
    (issue,) = parsed.issues
    assert issue.code == "parse-error"
    assert issue.location is not None
    assert issue.location.line == 1
    assert "`}`" in (issue.hint or "")


def test_span_matches_raw() -> None:
    """Each entry's span locates its exact raw text in the decoded file."""
    text = "% header\n@article{a, title={x}}\n\n@book{b,\n  title = {y},\n}\n"
    parsed = parse(text)
    for entry in parsed.entries:
        assert text[entry.span[0] : entry.span[1]] == entry.raw
        assert entry.raw.startswith("@")


# --- the parse cache ---------------------------------------------------------------------------


def test_load_caches_parse(tmp_path: Path) -> None:
    """A second load of unchanged bytes is served from the parse cache with identical
    entries (their raw text included) and the checker's issues."""
    bib = tmp_path / "library.bib"
    bib.write_text("@article{a, title = {T}}\n@article{a, title = {U}}\n", encoding="utf-8")
    db = tmp_path / "cache" / "store.sqlite3"
    calls = []

    def checker(parsed: bibfile.ParsedBib) -> list[Issue]:
        calls.append(parsed)
        return [Issue(Severity.INFO, "seen", "Checked.", "a", Location("library.bib", 1))]

    with store.Store(db) as kept:
        first, found = bibfile.load(bib, checker=checker, around=caching.around_parse(kept))
    with store.Store(db) as kept:
        second, again = bibfile.load(bib, checker=checker, around=caching.around_parse(kept))
        assert {t.name: t.entries for t in kept.tables()} == {"parse": 1}
    assert second.entries == first.entries
    assert [e.raw for e in second.entries] == [e.raw for e in first.entries]
    assert second.issues == first.issues and any(i.code == "duplicate-key" for i in first.issues)
    assert again == found
    assert len(calls) == 1  # the bib-only checks are cached with the parse


def test_load_reparses_after_edit(tmp_path: Path) -> None:
    """Changing the file's bytes invalidates the cached parse."""
    bib = tmp_path / "library.bib"
    db = tmp_path / "cache" / "store.sqlite3"
    bib.write_text("@article{a, title = {Old}}\n", encoding="utf-8")
    with store.Store(db) as kept:
        bibfile.load(bib, around=caching.around_parse(kept))
    bib.write_text("@article{a, title = {New}}\n", encoding="utf-8")
    with store.Store(db) as kept:
        parsed, _ = bibfile.load(bib, around=caching.around_parse(kept))
    assert parsed.entries[0].fields["title"] == "New"


def test_load_ignores_corrupt_cache(tmp_path: Path) -> None:
    """A kept parse of another shape is ignored and the library is parsed again."""
    bib = tmp_path / "library.bib"
    db = tmp_path / "cache" / "store.sqlite3"
    bib.write_text("@article{a, title = {T}}\n", encoding="utf-8")
    with store.Store(db) as kept:
        bibfile.load(bib, around=caching.around_parse(kept))
    with sqlite3.connect(db) as con:
        con.execute("UPDATE entries SET value = ?", (b'[[["a"]], {}, [], []]',))
    with store.Store(db) as kept:
        parsed, _ = bibfile.load(bib, around=caching.around_parse(kept))
    assert parsed.entries[0].key == "a"


# --- the real libraries ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zotero(real_text: Callable[[str], bytes]) -> bibfile.ParsedBib:
    """The real Zotero export, parsed once for this module."""
    return parse(real_text("gisurgonc-handbook-zotero.bib"), "zotero.bib")


@pytest.mark.slow
def test_real_zotero_export_parses(zotero: bibfile.ParsedBib) -> None:
    """The 1,445-entry Zotero export loads completely, without a single issue."""
    assert len(zotero.entries) == 1445
    assert zotero.issues == ()


@pytest.mark.slow
def test_real_zotero_repeated_annotes_merged(zotero: bibfile.ParsedBib) -> None:
    """The two Zotero entries with repeated annote fields keep every note."""
    merged = 0
    for entry in zotero.entries:
        layout = bibfile.scan_fields(entry.raw)
        notes = [
            entry.raw[f.value_start + 1 : f.value_end - 1]
            for f in layout.fields
            if f.name == "annote"
        ]
        if len(notes) > 1:
            merged += 1
            assert all(note.strip() in entry.fields["annote"] for note in notes)
    assert merged == 2


@pytest.mark.slow
def test_real_zotero_spans_match_raw(zotero: bibfile.ParsedBib) -> None:
    """Every entry's span in the real export points at exactly its raw text."""
    text = zotero.source.text
    assert all(text[e.span[0] : e.span[1]] == e.raw for e in zotero.entries)


@pytest.mark.slow
def test_real_zotero_scan_fields_agrees_with_parser(zotero: bibfile.ParsedBib) -> None:
    """The writer's field scanner finds exactly the fields the parser found, in every entry."""
    for entry in zotero.entries:
        assert {f.name for f in bibfile.scan_fields(entry.raw).fields} == set(entry.fields)


@pytest.fixture(scope="module")
def lab(real_text: Callable[[str], bytes]) -> bibfile.ParsedBib:
    """The real lab file (hand-kept, @string macros, quoted values), parsed once."""
    return parse(real_text("eddyrivaslab-master.bib"), "master.bib")


@pytest.mark.slow
def test_real_lab_file_parses(lab: bibfile.ParsedBib) -> None:
    """All 2,741 entries of the lab file load and its 52 macros are defined."""
    assert len(lab.entries) == 2741
    assert len(lab.strings) == 52 + 12  # its macros plus the month names


@pytest.mark.slow
def test_real_lab_file_expands_macros(lab: bibfile.ParsedBib) -> None:
    """A journal given as a macro of the lab file is expanded."""
    by_key = {e.key: e for e in lab.entries}
    assert by_key["AWM-84a"].fields["journal"] == "Nucl. Acids Res."


@pytest.mark.slow
def test_real_lab_file_undefined_macros(lab: bibfile.ParsedBib) -> None:
    """The macros the lab file uses but never defines are reported by name."""
    undefined = {i.message.split("'")[1] for i in lab.issues if i.code == "undefined-macro"}
    assert {"Bioinformatics", "EMBOJ"} <= undefined


@pytest.mark.slow
def test_real_lab_file_issue_kinds(lab: bibfile.ParsedBib) -> None:
    """Besides undefined macros, the lab file's only problem is its one repeated field."""
    counts = Counter(codes(lab.issues))
    assert set(counts) == {"undefined-macro", "duplicate-field"}
    assert counts["duplicate-field"] == 1
