"""Terminal escape sequences in text from outside: one pattern for every place that removes them.

A title from Crossref, PubMed or Zotero may carry ``ESC [31m`` or an OSC string that rewrites a
terminal's title bar. Printing (``formats.escape.terminal_text``) and storing
(``bibfile.door``) both remove the whole sequence, so that neither the terminal nor
library.bib is left with its printable remains (``[31m``).
"""

from __future__ import annotations

import re

# CSI ... final byte, OSC/DCS/APC/PM/SOS strings up to BEL or ST (0x07, ESC \, 0x9c; one with
# no terminator ends at the line's end, so the lines after it stay), and the two-byte ESC forms.
ESCAPE_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x90\x9d\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)

_STARTS = ("\x1b", "\x9b", "\x90", "\x9d", "\x9e", "\x9f")


def without_escape_sequences(text: str) -> str:
    """``text`` with every terminal escape sequence removed, whole."""
    if not any(c in text for c in _STARTS):
        return text
    return ESCAPE_SEQUENCES.sub("", text)
