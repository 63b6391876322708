"""The one door into library.bib: whatever string arrives, the written field re-parses to
exactly the door's value, with every reader's rules, and the file keeps its entries."""

from __future__ import annotations

import bibtexparser
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cytobib import bibfile, latex
from cytobib.bibfile import door as bibdoor

PAYLOADS = [
    '}}@preamble{"\\input{/etc/hostname}"}@comment{',
    '"}, title = {pwned',
    "unbalanced { brace",
    "unbalanced } brace",
    "\n@misc{injected, title = {x}}\n",
    "\n  @string{x = {y}}",
    "a \\ backslash at the end \\",
    "escaped \\} brace and \\{ another",
    "NUL \x00 bell \x07 escape \x1b[31m",
    "\\\\{line break then a group}",
]

# Text with every character that matters to the readers, plus arbitrary Unicode.
SPECIAL = st.sampled_from([*'{}\\@"#%,=\n\r\t ~$^_&', "\n@misc{", "\\{", "\\}", "^^5c"])
VALUES = st.lists(st.one_of(SPECIAL, st.text(max_size=5)), max_size=30).map("".join)


def written(value: str) -> str:
    """A two-entry file whose first entry's title is ``value`` through the door."""
    safe = bibdoor.field_value(value, key="k", field="title")
    first = bibfile.render_entry("misc", "k", [("title", safe), ("year", "2020")])
    return first + "\n\n@misc{after,\n  title = {After},\n}\n"


def bibtex_field_end(text: str, start: int) -> int:
    """Where classic bibtex ends a braced value opened at ``start``: it counts every brace."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def check_roundtrip(value: str) -> None:
    safe = bibdoor.field_value(value, key="k", field="title")
    text = written(value)
    # bibtexparser v2 (what cytobib's reader follows)
    library = bibtexparser.parse_string(text)
    assert [e.key for e in library.entries] == ["k", "after"]
    assert not library.failed_blocks and not library.preambles and not library.strings
    assert library.entries[0]["title"] == safe
    # cytobib's own reader
    parsed = bibfile.parse(bibfile.decode_bytes(text.encode("utf-8"), "t.bib"))
    assert [e.key for e in parsed.entries] == ["k", "after"]
    assert parsed.entries[0].fields["title"] == safe
    assert not parsed.issues
    # classic bibtex: the value ends where cytobib put its closing brace
    opening = text.index("title = ") + len("title = ")
    if text[opening] == "{":  # digits and month names are written bare
        assert bibtex_field_end(text, opening) == opening + len(safe) + 1
    # the door is idempotent: a value written once is written the same way again
    assert bibdoor.field_value(safe, key="k", field="title") == safe


@pytest.mark.parametrize("value", PAYLOADS)
def test_payloads_stay_values(value: str) -> None:
    """The injection payloads of issue 12 stay inside their field for every reader."""
    check_roundtrip(value)


@given(VALUES)
@example("}" * 3 + "{" * 2)
@example("\\" * 5 + "{")
def test_any_value_round_trips(value: str) -> None:
    """Any string: written, re-parsed by bibtexparser, cytobib and bibtex's brace rule, it is
    the door's value, in its own field, with the other entry intact."""
    check_roundtrip(value)


@given(st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), max_size=60))
def test_escaped_text_reads_back_as_the_same_text(text: str) -> None:
    """Plain text escaped for LaTeX and passed through the door decodes to the same text."""
    safe = bibdoor.field_value(latex.escape(text), key="k", field="title")
    assert latex.to_text(safe) == latex.to_text(latex.escape(text))


def test_oversized_field_is_refused() -> None:
    """A 70 MB abstract is refused with a message naming the work and the field."""
    with pytest.raises(bibdoor.UnsafeValueError, match="abstract of 'smith2020'"):
        bibdoor.field_value("a" * (bibdoor.MAX_FIELD_CHARS + 1), key="smith2020", field="abstract")


def test_oversized_entry_is_refused() -> None:
    """Many large fields together over the entry cap: refused as a whole."""
    fields = [(f"x{i}", "a" * 200_000) for i in range(6)]
    with pytest.raises(bibdoor.UnsafeValueError, match="entry 'k'"):
        bibdoor.entry_values("k", fields)


@pytest.mark.parametrize("name", ["ti tle", "1st", "a{b}", "x=y", ""])
def test_bad_field_names_are_refused(name: str) -> None:
    with pytest.raises(bibdoor.UnsafeValueError, match="not a BibTeX field name"):
        bibdoor.entry_values("k", [(name, "v")])


@pytest.mark.parametrize("key", ["a b", "a,b", "a}b", "a{b", "", "a\x00b", 'a"b'])
def test_bad_keys_are_refused(key: str) -> None:
    with pytest.raises(bibdoor.UnsafeValueError, match="cannot be written as a citation key"):
        bibdoor.check_key(key)


def test_file_commands_do_not_run() -> None:
    """\\input and friends in a value from outside print as text instead of running."""
    safe = bibdoor.field_value("see \\input{/etc/hostname}", key="k", field="title")
    assert "\\input" not in safe
    assert latex.to_text(safe).startswith("see \\input")


def test_terminal_escape_sequences_are_removed_whole() -> None:
    """A title from outside with ``ESC [31m`` keeps no ``[31m`` in library.bib, and its key
    no ``31m`` (the sequence goes whole, not only its ESC)."""
    from cytobib.bibfile import door
    from cytobib.citekey import base_key

    title = "pwned\x1b[31mred\x1b[0m and \x1b]0;title\x07more"
    assert door.field_value(title, key="k", field="title") == "pwnedred and more"
    assert base_key("B\x1b[1mx", 2020, title) == "bx2020pwnedred"
