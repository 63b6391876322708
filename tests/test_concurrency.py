"""Writes that lose nothing: real processes at once, an editor saving mid-write, links,
owners and the temp files a killed run leaves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import pytest

from crossref_server import CrossrefTestServer
from cytobib import bibfile
from cytobib.bibfile import atomic as bibwrite

BIB = "% library\n@article{kept1999,\n  title = {Kept},\n  year = 1999,\n}\n"


@pytest.fixture
def server() -> Iterator[CrossrefTestServer]:
    srv = CrossrefTestServer(latency=0.05).start()
    yield srv
    srv.stop()


def keys(path: Path) -> list[str]:
    return [e.key for e in bibtexparser.parse_string(path.read_text("utf-8")).entries]


def _add(root: Path, doi: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cytobib", "add", "-C", str(root), doi],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_parallel_adds_lose_nothing(make_project, server, tmp_path) -> None:
    """20 rounds of two `cytobib add` processes at once: both entries are there every time
    (before the lock, one was lost 1-3 times in 30)."""
    env = {**os.environ, "CYTOBIB_CROSSREF_URL": server.url, "CYTOBIB_NO_CACHE": "1"}
    env["CYTOBIB_CACHE_DIR"] = str(tmp_path / "cache")
    root = make_project(BIB)
    bib = root / "library.bib"
    for round_ in range(20):
        one, two = f"10.5555/r{round_}-a", f"10.5555/r{round_}-b"
        procs = [_add(root, one, env), _add(root, two, env)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        text = bib.read_text("utf-8")
        assert one in text and two in text, f"round {round_}: {outs}"
    assert len(keys(bib)) == 41
    assert text.startswith(BIB.rstrip("\n"))


def test_editor_save_between_read_and_rename_is_kept(make_project, monkeypatch) -> None:
    """An editor saves library.bib after the writer read it and before it renames: the save
    is kept and the planned change is applied on top of it."""
    root = make_project(BIB)
    bib = root / "library.bib"
    source = bibfile.read_text(bib)
    entry = bibfile.parse(source).entries[0]
    edits = bibfile.Edits(
        fields=(bibfile.FieldEdit("kept1999", {"note": None}, {"note": "from cytobib"}),)
    )
    real = bibwrite._remove_stale_temps
    saved: list[bool] = []

    def editor_saves(path: Path) -> None:
        if not saved:  # the first attempt: after reading, before the rename
            bib.write_text(BIB + "\n@misc{typed,\n  title = {Typed meanwhile},\n}\n", "utf-8")
            saved.append(True)
        real(path)

    monkeypatch.setattr(bibwrite, "_remove_stale_temps", editor_saves)
    planned = bibfile.apply_changes(
        source, [bibfile.Change(entry.span, bibfile.edit_fields(entry.raw, {"note": "x"}))]
    )
    bibfile.update(source, edits, root=root, planned=planned)
    text = bib.read_text("utf-8")
    assert "Typed meanwhile" in text and "from cytobib" in text
    assert keys(bib) == ["kept1999", "typed"]


def test_symlinked_library_is_written_through_the_link(make_project, cli, server, monkeypatch):
    """library.bib as a link to a file elsewhere: the target gets the change, the link stays
    a link (it was replaced by a regular file)."""
    monkeypatch.setenv("CYTOBIB_CROSSREF_URL", server.url)
    root = make_project("")
    real = root.parent / "real.bib"
    real.write_text(BIB, encoding="utf-8")
    (root / "library.bib").unlink()
    (root / "library.bib").symlink_to(real)
    assert cli("add", "-C", root, "10.5555/linked").code == 0
    assert (root / "library.bib").is_symlink()
    assert "10.5555/linked" in real.read_text("utf-8")


def test_hard_linked_library_is_not_split(make_project, cli, server, monkeypatch):
    """A hard-linked library.bib is not silently replaced (the other name would keep the
    old text): exit 5, both names unchanged, and the message says what to do."""
    monkeypatch.setenv("CYTOBIB_CROSSREF_URL", server.url)
    root = make_project(BIB)
    other = root.parent / "other-name.bib"
    os.link(root / "library.bib", other)
    result = cli("add", "-C", root, "10.5555/hard")
    assert result.code == 5, result.output
    assert "hard link" in result.err
    assert other.read_text("utf-8") == BIB == (root / "library.bib").read_text("utf-8")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_owner_group_and_mode_are_kept(tmp_path) -> None:
    path = tmp_path / "library.bib"
    path.write_text(BIB, encoding="utf-8")
    os.chown(path, 65534, 65534)
    os.chmod(path, 0o640)
    bibfile.atomic_write_bytes(path, b"new\n")
    st = path.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (65534, 65534, 0o640)


def test_stale_temp_files_are_cleared(tmp_path) -> None:
    """A temp file a killed run left (older than any write takes) is removed by the next
    write; a fresh one (another write under way) is left alone."""
    path = tmp_path / "library.bib"
    path.write_text(BIB, encoding="utf-8")
    stale = tmp_path / ".library.bib.abc123.tmp"
    fresh = tmp_path / ".library.bib.def456.tmp"
    stale.write_text("half")
    fresh.write_text("half")
    old = time.time() - bibwrite.STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    bibfile.atomic_write_bytes(path, b"new\n")
    assert not stale.exists() and fresh.exists()


def test_kill_9_mid_write_leaves_the_old_file(make_project, tmp_path) -> None:
    """A writer killed between writing its temp file and the rename leaves library.bib as
    it was (and a temp file that the next write clears once stale)."""
    root = make_project(BIB)
    code = f"""
import os, signal
from pathlib import Path
from cytobib.bibfile import atomic as write
real_replace = os.replace
def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)
os.replace = die
write.atomic_write_bytes(Path({str(root / "library.bib")!r}), b"half a library")
"""
    proc = subprocess.run([sys.executable, "-c", code], check=False)
    assert proc.returncode == -9
    assert (root / "library.bib").read_text("utf-8") == BIB
    assert list(root.glob(".library.bib.*.tmp"))
