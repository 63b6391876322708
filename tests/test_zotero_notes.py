"""cytobib's note in Zotero and the annotation file a co-author's edit changes
(cytobib.zotero.notes): the smallest edit of the YAML, and nothing written that does not pass
the schema or would change a field the note does not carry."""

from __future__ import annotations

import pytest
import yaml

from cytobib.zotero import notes

FILE = """\
# yaml-language-server: $schema=../.cytobib/annotation.schema.json
# smith2020: a title
summary: >-
  A summary folded
  over two lines.
status: to-read    # to-read | skimmed | read
priority: 3
targets: [IL-2 pathway, PD-1]
claims:
  - text: First claim.
    evidence: review
    quote: "Quoted, kept as written."
  - text: Second claim.
    evidence: in-vitro
x-mine: {kept: true}   # the reader's own field
tags: [a, b]
"""


def _data(text: str) -> dict[str, object]:
    return dict(yaml.safe_load(text))


def test_one_changed_item_is_the_only_change() -> None:
    """A changed claim rewrites that claim's lines only; the other claim, its quoting and every
    other line stay byte for byte."""
    before = _data(FILE)
    after = {
        **before,
        "claims": [before["claims"][0], {"text": "Second claim, revised.", "evidence": "in-vitro"}],
    }  # type: ignore[index]
    out = notes.updated_annotation(FILE, before, after)
    diff = [(a, b) for a, b in zip(FILE.splitlines(), out.splitlines(), strict=True) if a != b]
    assert diff == [("  - text: Second claim.", "  - text: Second claim, revised.")]


def test_flow_lists_stay_flow_and_scalars_are_replaced() -> None:
    """targets written as [a, b] stay so; a scalar's line is replaced (its comment with it)."""
    before = _data(FILE)
    after = {**before, "targets": ["IL-2 pathway", "PD-L1"], "status": "read"}
    out = notes.updated_annotation(FILE, before, after)
    assert "targets: [IL-2 pathway, PD-L1]\n" in out
    assert "status: read\n" in out
    assert out.count("\n") == FILE.count("\n")


def test_fields_added_and_removed_others_untouched() -> None:
    """A field the note adds is appended; one it drops is removed; x- fields and comments
    stay."""
    before = _data(FILE)
    after = {k: v for k, v in before.items() if k != "tags"}
    after["cancers"] = ["melanoma"]
    out = notes.updated_annotation(FILE, before, after)
    assert "tags:" not in out
    assert out.endswith("cancers:\n  - melanoma\n")
    assert "x-mine: {kept: true}   # the reader's own field\n" in out
    assert out.startswith(FILE.split("status:", 1)[0])


def test_a_result_that_fails_the_schema_is_refused() -> None:
    """Nothing is written from data the schema rejects."""
    before = _data(FILE)
    with pytest.raises(ValueError, match=r"maximum|9"):
        notes.updated_annotation(FILE, before, {**before, "priority": 9})


def test_note_digest_ignores_zotero_rewrapping() -> None:
    """The same note re-wrapped by Zotero's editor is the same content; a changed word is not."""
    from cytobib.model import Entry, Record

    record = Record(Entry("k", "article", {"title": "T"}, 1))
    html = notes.note_html(record)
    wrapped = f'<div data-schema-version="8">{html}</div>'
    assert notes.content_digest(wrapped) == notes.content_digest(html)
    assert notes.read_note(wrapped) is not None
    assert notes.content_digest(html.replace("Cite key: k", "Cite key: j")) != notes.content_digest(
        html
    )
