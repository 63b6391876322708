"""What cytobib prints on a terminal carries no escape sequence, control or bidi character."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from cytobib.formats.escape import terminal_text

UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
PIECES = st.sampled_from(
    ["\x1b[31m", "\x1b]0;title\x07", "\x1b]8;;http://x\x1b\\", "\x9b2J", "\x1b", "\u202e", "\n"]
)


@given(st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=20).map("".join))
def test_nothing_unsafe_is_left(text: str) -> None:
    """Whatever the input, the output holds no control, escape or text-direction character,
    and printable text is kept."""
    out = terminal_text(text)
    assert not UNSAFE.search(out)
    assert terminal_text(out) == out


@given(st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cf", "Cs", "Zl", "Zp"])))
def test_printable_text_is_untouched(text: str) -> None:
    assert terminal_text(text) == text


def test_sequences_go_with_their_parameters() -> None:
    """An OSC title sequence or a colour code goes whole, not just its ESC byte."""
    assert terminal_text("a\x1b]0;owned\x07b") == "ab"
    assert terminal_text("red \x1b[31mtext\x1b[0m") == "red text"
    assert terminal_text("tab\tand\nnewline") == "tab\tand\nnewline"


def test_commands_print_only_through_the_one_door() -> None:
    """No command module calls print() or writes sys.stdout/stderr itself: everything goes
    through cli/_output.py, which cleans it for the terminal."""
    from pathlib import Path

    import cytobib.cli

    folder = Path(cytobib.cli.__file__).parent
    offenders = [
        f"{path.name}:{n}"
        for path in sorted(folder.glob("*.py"))
        if path.name != "_output.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<![.\w])print\(|sys\.(stdout|stderr)\.(write|buffer)", line)
    ]
    assert offenders == []


def test_an_escape_sequence_without_terminator_hides_only_its_own_line() -> None:
    """An OSC string that never ends (a cut-off title) is removed up to its line's end; the
    lines after it are still printed."""
    from cytobib.formats.escape import terminal_text

    assert terminal_text("a\x1b]0;owned title\nnext line") == "a\nnext line"
    assert terminal_text("a\x90q payload\nnext") == "a\nnext"
