"""The fast splitter against its oracle, bibtexparser's own splitter.

bibfile.scan._fast_split reimplements bibtexparser's decisions for well-formed files and hands
everything else to bibtexparser. Whatever it accepts must parse exactly as bibtexparser's
blocks do: same entries (fields, spans, raw text, lines) and the same issues.
"""

from __future__ import annotations

import gzip

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REAL_LIBRARIES, real_bib_path
from cytobib import bibfile

REAL = REAL_LIBRARIES


def both(text: str) -> tuple[bibfile.ParsedBib, bibfile.ParsedBib, bool]:
    """(bibtexparser's parse, what parse() gives, whether the fast splitter took the file)."""
    source = bibfile.BibText("library.bib", text, "utf-8", "\n")
    try:
        bibfile.scan._fast_split(text)
    except bibfile.scan._Unusual:
        took_fast = False
    else:
        took_fast = True
    actual = bibfile.parse(source)
    original = bibfile.scan._fast_split

    def decline(text: str) -> list[bibfile.scan.Block]:
        raise bibfile.scan._Unusual

    bibfile.scan._fast_split = decline
    try:
        slow = bibfile.parse(source)
    finally:
        bibfile.scan._fast_split = original
    return slow, actual, took_fast


@pytest.mark.parametrize("name", REAL)
def test_real_libraries_take_the_fast_path_and_parse_identically(name: str) -> None:
    text = gzip.decompress(real_bib_path(name).read_bytes()).decode("utf-8")
    slow, actual, took_fast = both(text)
    assert took_fast, "the fast splitter declined a real, well-formed library"
    assert len(actual.entries) > 1000
    assert actual == slow


CASES = {
    "plain": "@article{k, title = {T}, year = 2020}\n",
    "nested braces": "@article{k, title = {The {IL-2} {{Treg}} story},}\n",
    "escaped braces": r"@misc{k, note = {a \{ b \} c}, title={x}}" + "\n",
    "backslash newline": "@misc{a, note = {line\\\n end}}\n\n@misc{b, title={later},\n x = y}\n",
    "quoted with braces": '@misc{k, title = "A {B} C", note = "say {"}hi{"}"}\n',
    "quote inside braces": '@misc{k, title = {5" floppy}}\n',
    "concatenation": '@string{j = "Nat"}\n@article{k, journal = j # " Med", month = jan}\n',
    "at in a value": "@misc{k, howpublished = {mail x@example.org}, note = {LeQua @ {CLEF}}}\n",
    "at at a line start": "@misc{k, note = {one\n  @misc{inner}}}\n@misc{j, title={T}}\n",
    "paren block": "@article(k, title = {T})\n",
    "paren block start in a value": "@misc{a, note = {one\n@book(x}, title={T}}\n"
    "@misc{b, title={U}}\n",
    "comment blocks": '@comment{ {x} }\n% text @ here\n@preamble{ "\\newcommand{\\x}{y}" }\n'
    "@misc{k, title={T}}\n",
    "implicit at": "see foo@misc{k, title={T}} done\n",
    "no fields": "@misc{lonely}\n@misc{k, title = {T}}\n",
    "duplicate field": "@misc{k, title = {A}, title = {B}, note={n}, note={m}}\n",
    "duplicate key": "@misc{k, title = {A}}\n@misc{k, title = {B}}\n@misc{K, title={C}}\n",
    "duplicate string": '@string{j = "A"}\n@string{j = "B"}\n@misc{k, journal = j}\n',
    "undefined macro": "@misc{k,\n  journal = nomacro,\n}\n",
    "unclosed entry": "@misc{a, title = {T}\n@misc{b, title = {U}}\n",
    "unclosed value": "@misc{a, title = {T\n@misc{b, title = {U}}\n",
    "no equals": "@misc{a, title {T}}\n",
    "dangling name": "@misc{a, title = {T}, junk}\n",
    "missing key": "@misc{, title = {T}}\n",
    "crlf": "@misc{a,\r\n  title = {T},\r\n}\r\n",
    "trailing text": "@misc{a, title={T}}\ntrailing",
    "eof in value": "@misc{a, title={T",
    "space before brace": "@misc  {a, title={T}}\n@Article\t{b, TITLE={U}}\n",
    "empty value": '@misc{a, title = {}, note = "", year = }\n',
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_tricky_inputs_parse_as_bibtexparser_parses_them(text: str) -> None:
    slow, actual, _ = both(text)
    assert actual == slow


def test_the_fast_path_declines_what_only_bibtexparser_handles() -> None:
    for name in (
        "paren block",
        "paren block start in a value",
        "at at a line start",
        "unclosed entry",
        "no equals",
    ):
        assert not both(CASES[name])[2], name
    for name in ("plain", "backslash newline", "duplicate field", "concatenation"):
        assert both(CASES[name])[2], name


def test_repeated_key_with_the_same_case_is_reported_not_dropped() -> None:
    slow, actual, _ = both(CASES["duplicate key"])
    assert actual == slow
    assert [e.fields["title"] for e in slow.entries] == ["A"]
    dup = [i for i in slow.issues if i.code == "duplicate-key"]
    assert [(i.key, i.location.line if i.location else None) for i in dup] == [("k", 2), ("K", 3)]


def test_field_lines_follow_bibtexparser_counting() -> None:
    text = "@misc{a,\n  title = {x\\\n y},\n  title = {z},\n  journal = undefined}\n"
    slow, actual, _ = both(text)
    assert actual == slow
    lines = {i.code: i.location.line for i in slow.issues if i.location}
    # bibtexparser does not count a newline right after a backslash; both agree on that.
    assert lines == {"duplicate-field": 3, "undefined-macro": 4}


TOKENS = [
    "@article{", "@misc  {", "@string{", "@comment{", "@preamble{", "@book(", "@", "k1", "k2",
    ",", " ", "\n", "\t", "=", " = ", "title", "note", "{", "}", "{{", "}}", '"', '{"}', "#",
    "\\", "\\{", "\\}", "\\\n", "(", ")", "jan", "x@y", "@x{", "IL-2", "λ", "%", "\r\n",
    "\n@book(", "\n@misc{", "\n  @x{",
]  # fmt: skip


@st.composite
def bibtexish(draw: st.DrawFn) -> str:
    """Token soup, half the time inside an entry's value so the fast path meets it."""
    soup = "".join(draw(st.lists(st.sampled_from(TOKENS), max_size=60)))
    if draw(st.booleans()):
        return f"@misc{{k, note = {{{soup}}}, title = {{T}}}}\n@misc{{after, title = {{U}}}}\n"
    return soup


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(bibtexish())
def test_fast_and_bibtexparser_agree_on_any_text(text: str) -> None:
    slow, actual, _ = both(text)
    assert actual == slow


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["title", "note", "journal", "year"]),
            st.text(alphabet='ab {}"\\@,=#\n', max_size=20),
        ),
        max_size=6,
    )
)
def test_agreement_on_entries_with_arbitrary_values(fields: list[tuple[str, str]]) -> None:
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    text = f"@article{{k,\n{body}\n}}\n@misc{{after, title = {{T}}}}\n"
    slow, actual, _ = both(text)
    assert actual == slow
