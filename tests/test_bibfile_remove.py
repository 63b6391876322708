"""bibfile.Edits.removed (added for `cytobib zotero pull --prune`): entries deleted through
bibfile.update, re-applied to a file changed since the plan, with the entry-count check."""

from __future__ import annotations

from pathlib import Path

from cytobib import bibfile

TWO = """% a comment that stays
@article{a2020, title = {A}, year = 2020}

@article{b2021, title = {B}, year = 2021}
"""


def test_removed_entry_goes_and_everything_else_stays(tmp_path: Path) -> None:
    """The entry and the rest of its line go; the comment and the other entry stay as they
    were."""
    path = tmp_path / "library.bib"
    path.write_text(TWO, encoding="utf-8")
    written = bibfile.update(
        bibfile.read_text(path), bibfile.Edits(removed=("a2020",)), root=tmp_path
    )
    assert (
        path.read_text(encoding="utf-8")
        == "% a comment that stays\n\n@article{b2021, title = {B}, year = 2021}\n"
    )
    assert written.removed == ("a2020",)


def test_removal_reapplied_to_a_file_changed_meanwhile(tmp_path: Path) -> None:
    """The plan was made on the old file; an entry was added meanwhile: the removal still
    applies, the new entry stays, and an entry already gone is left gone."""
    path = tmp_path / "library.bib"
    path.write_text(TWO, encoding="utf-8")
    src = bibfile.read_text(path)
    path.write_text(TWO + "\n@misc{c2022, title = {C}}\n", encoding="utf-8")
    edits = bibfile.Edits(removed=("b2021", "gone1999"))
    written = bibfile.update(src, edits, root=tmp_path, planned="(stale plan)")
    text = path.read_text(encoding="utf-8")
    assert "b2021" not in text and "a2020" in text and "c2022" in text
    assert written.removed == ("b2021",)
    assert [e.key for e in bibfile.parse(bibfile.read_text(path)).entries] == ["a2020", "c2022"]


def test_removal_and_field_edit_of_one_entry_do_not_overlap(tmp_path: Path) -> None:
    """An entry both edited and removed is removed (no overlapping splice)."""
    path = tmp_path / "library.bib"
    path.write_text(TWO, encoding="utf-8")
    edits = bibfile.Edits(
        fields=(bibfile.FieldEdit("a2020", {"year": "2020"}, {"year": "2019"}),), removed=("a2020",)
    )
    bibfile.update(bibfile.read_text(path), edits, root=tmp_path)
    assert "a2020" not in path.read_text(encoding="utf-8")
