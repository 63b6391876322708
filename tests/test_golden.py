"""The golden-file helper every rendering test can use."""

from __future__ import annotations

from pathlib import Path

import pytest

from golden import UPDATE_ENV, assert_golden


def test_equal_text_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Output equal to the golden file passes silently."""
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    (tmp_path / "a.md").write_text("# A\n", encoding="utf-8")
    assert_golden("a.md", "# A\n", directory=tmp_path)


def test_different_text_fails_with_a_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change fails and shows the changed lines."""
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    (tmp_path / "a.md").write_text("# A\nold\n", encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)-old.*\+new"):
        assert_golden("a.md", "# A\nnew\n", directory=tmp_path)


def test_missing_file_fails_with_how_to_create_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A golden file that does not exist yet is a failure naming the variable to set."""
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    with pytest.raises(pytest.fail.Exception, match=UPDATE_ENV):
        assert_golden("new.html", "<p>x</p>", directory=tmp_path)


def test_update_mode_writes_text_and_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With CYTOBIB_UPDATE_GOLDEN=1 the files are (re)written, then compare equal."""
    monkeypatch.setenv(UPDATE_ENV, "1")
    assert_golden("sub/a.md", "é\n", directory=tmp_path)
    assert_golden("b.docx", b"PK\x03\x04", directory=tmp_path)
    assert (tmp_path / "sub" / "a.md").read_bytes() == "é\n".encode()
    monkeypatch.delenv(UPDATE_ENV)
    assert_golden("sub/a.md", "é\n", directory=tmp_path)
    with pytest.raises(pytest.fail.Exception, match="bytes differ"):
        assert_golden("b.docx", b"PK\x03\x05", directory=tmp_path)
