"""The fast paths of LaTeX decoding and name splitting give exactly what the slow paths give."""

from __future__ import annotations

import gzip
import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import REAL_LIBRARIES, real_bib_path
from cytobib import bibfile, latex
from cytobib.model import _parse_names_bibtex, parse_names


class _ReferenceDecoder(latex._Decoder):
    """The scanner as it was before it copied plain runs in one piece: one character a turn."""

    def until(self, closer: str | None) -> str:
        src = self.src
        out: list[str] = []
        while self.pos < len(src):
            ch = src[self.pos]
            if closer is not None and ch == closer:
                self.pos += 1
                return "".join(out)
            if ch == "\\":
                out.append(self.command())
            elif ch == "{":
                self.pos += 1
                out.append(self.until("}"))
            elif ch == "}":
                self.pos += 1
            elif ch == "$":
                self.pos += 1
                if src.startswith("$", self.pos):
                    self.pos += 1
                self.math = not self.math
            elif ch == "~":
                self.pos += 1
                out.append(" ")
            elif ch == "-" and not self.math:
                if src.startswith("---", self.pos):
                    out.append("—")
                    self.pos += 3
                elif src.startswith("--", self.pos):
                    out.append("–")
                    self.pos += 2
                else:
                    out.append("-")
                    self.pos += 1
            elif ch == "`" and src.startswith("``", self.pos):
                out.append("“")
                self.pos += 2
            elif ch == "'" and src.startswith("''", self.pos):
                out.append("”")
                self.pos += 2
            elif self.math and ch in "^_":
                self.pos += 1
                arg = self.argument()
                table = latex._SUPERSCRIPT if ch == "^" else latex._SUBSCRIPT
                out.append(arg.translate(table))
            else:
                out.append(ch)
                self.pos += 1
        return "".join(out)


def _reference_to_text(value: str) -> str:
    """The slow path as it was: scan every value, NFC, collapse whitespace with a regex."""
    out = unicodedata.normalize("NFC", _ReferenceDecoder(value).run())
    return re.sub(r"\s+", " ", out).strip()


# TeX pieces, whitespace of every kind and combining marks, between arbitrary characters.
_TEX_PIECES = ["--", "---", "-", "``", "''", "`", "'", "{", "}", "\\", "$", "$$", "~", "^", "_"]
_TEX_PIECES += ["\\'e", '\\"{u}', "\\textit{", "\\alpha", "\\%", "\\ ", "\\\\", "x^2", "a_{1}"]
_TEX_PIECES += [" ", "  ", "\t", "\n", "\r\n", "\xa0", "\u2009", "\u2000", "\x1c", "\x85"]
_TEX_PIECES += ["e\u0301", "\u0308", "A\u030a", "\u212b", "é", "λ", "IL-2"]
_tex_piece = st.one_of(st.sampled_from(_TEX_PIECES), st.text(max_size=6))
tex_text = st.lists(_tex_piece, max_size=14).map("".join)


@given(tex_text)
@example("plain words, no markup")
@example("  spaced\tout\n")
@example("e\u0301t\u00e9")
@example("it's a -- test")
def test_to_text_matches_the_slow_path(value: str) -> None:
    expected = _reference_to_text(value)
    assert latex._decode(value) == expected
    assert latex.to_text(value) == expected


# Name lists: words of every case, particles, separators of bibtexparser's kinds and the
# characters that send a list or a name down the bibtexparser path.
_NAME_PIECES = [" and ", " AND ", " And ", " aNd ", "\tand\n", " and", "and ", "and", "anda"]
_NAME_PIECES += [" a ", " an ", ", ", ", , "]
_NAME_PIECES += [" ", "  ", ",", ", ", ",,", "~", "\t", "\n", "\r", "\xa0", "\u2003"]
_NAME_PIECES += ["Smith", "J.", "Jean-Paul", "van", "de la", "von", "Jr", "III", "others"]
_NAME_PIECES += ["ǅemal", "李", "3M", "o'Neil", "$x$", "--", "{", "}", "\\", '{\\"u}']
_NAME_PIECES += ["{World Health Organization}", 'M{\\"u}ller']
_name_piece = st.one_of(st.sampled_from(_NAME_PIECES), st.text(max_size=4))
name_lists = st.lists(_name_piece, max_size=16).map("".join)


@given(name_lists)
@example("Smith, John and van der Berg, Jr., Hans and Ludwig van Beethoven and others")
@example("de la Fontaine, Jean and Anne-Marie Dupont and jean de la fontaine")
@example("A, B, C, D, E and , X and X, and ,")
@example("Smith~Jones and  and Doe")
@example("Smith, John And Doe, Jane")
@example("Smith, Jr, John, Paul")
def test_parse_names_matches_bibtexparser(value: str) -> None:
    assert parse_names(value) == _parse_names_bibtex(value)


@pytest.mark.parametrize("name", REAL_LIBRARIES)
def test_parse_names_matches_bibtexparser_on_real_libraries(name: str) -> None:
    """Every author and editor list of the real libraries in ../shared/data."""
    text = gzip.decompress(real_bib_path(name).read_bytes()).decode("utf-8")
    entries = bibfile.parse(bibfile.decode_bytes(text.encode("utf-8"), name)).entries
    lists = {e.fields[f] for e in entries for f in ("author", "editor") if e.fields.get(f)}
    assert len(lists) > 500
    assert [v for v in lists if parse_names(v) != _parse_names_bibtex(v)] == []
