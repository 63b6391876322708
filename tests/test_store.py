"""The one cache store (cytobib.store): round trips, salts, eviction, the folder rules, and a
cache that cannot be read or written never failing a command."""

from __future__ import annotations

import ast
import logging
import math
import os
import pickle
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CliResult
from crossref_server import CrossrefTestServer, require_fixtures
from cytobib import store
from cytobib.config import load_config
from cytobib.crossref.cache import Cache as CrossrefCache
from cytobib.store import keys

SRC = Path(__file__).resolve().parents[1] / "src"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
T = store.table("things", "v1")


class Clock:
    """Seconds since the epoch, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "store.sqlite3"


@pytest.fixture
def warnings_seen(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The cache's warning lines so far."""
    caplog.set_level(logging.WARNING, logger="cytobib.cache")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "cytobib.cache"]


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 == 1.0 == True, [1] != (1,) but only
    through ==; this also tells int, float and bool apart)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


# --- values ------------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(max_size=40)
)
hashables = st.recursive(
    st.booleans() | st.integers() | st.text(max_size=8) | st.binary(max_size=8),
    lambda inner: st.tuples(inner, inner),
    max_leaves=4,
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.dictionaries(hashables, inner, max_size=3)
    ),
    max_leaves=12,
).filter(lambda v: v is not None)


@given(values)
def test_codec_round_trips_json_values_tuples_and_bytes(value: Any) -> None:
    """decode(encode(v)) is v, types included: tuples stay tuples, bytes stay bytes, dict
    keys that are not strings keep their type, a dict that looks like a tag stays a dict."""
    assert same(store.decode(store.encode(value)), value)


@given(st.dictionaries(st.text(min_size=1).map(lambda s: "~" + s), values, max_size=1))
def test_dicts_that_look_like_tags_round_trip(value: dict[str, Any]) -> None:
    """{"~t": [...]} written by a caller is not mistaken for a tagged tuple."""
    assert same(store.decode(store.encode(value)), value)


@pytest.mark.parametrize("bad", [None, {1, 2}, object(), [1, {2}]])
def test_values_json_cannot_carry_are_refused(bad: Any) -> None:
    """None (the miss) and values without a JSON form are a TypeError, not a silent loss."""
    with pytest.raises(TypeError):
        store.encode(bad)


@given(st.lists(st.tuples(st.binary(min_size=1, max_size=20), values), max_size=8))
def test_put_then_get_from_a_new_store(tmp_path_factory: pytest.TempPathFactory,
                                       pairs: list[tuple[bytes, Any]]) -> None:  # fmt: skip
    """What one run keeps, the next run gets back, equal and of the same types."""
    path = tmp_path_factory.mktemp("rt") / "s.sqlite3"
    expected = dict(pairs)
    with store.Store(path) as s:
        s.put_many(T, expected)
    with store.Store(path) as s:
        found = s.get_many(T, [*expected, b"absent"])
    assert found.keys() == expected.keys()
    assert all(same(found[k], v) for k, v in expected.items())


def test_a_string_and_bytes_key_are_different_keys(db: Path) -> None:
    """Keys are kept as given: "k" and b"k" name two values."""
    with store.Store(db) as s:
        s.put(T, "k", "text")
        s.put(T, b"k", "bytes")
    with store.Store(db) as s:
        assert (s.get(T, "k"), s.get(T, b"k")) == ("text", "bytes")


def test_through_makes_a_value_once(db: Path) -> None:
    """`through` calls make() on a miss only, in this run and the next."""
    calls: list[int] = []

    def make() -> tuple[str, int]:
        calls.append(1)
        return ("made", len(calls))

    with store.Store(db) as s:
        assert s.through(T, b"k", make) == ("made", 1)
        assert s.through(T, b"k", make) == ("made", 1)
    with store.Store(db) as s:
        assert s.through(T, b"k", make) == ("made", 1)
    assert len(calls) == 1


def test_through_many_makes_only_the_missing_keys_in_one_call(db: Path) -> None:
    """A batch engine runs once, for the keys the store does not have."""
    with store.Store(db) as s:
        s.put_many(T, {b"a": "A", b"b": "B"})
    asked: list[list[Any]] = []

    def make(keys: list[Any]) -> dict[Any, str]:
        asked.append(keys)
        return {k: k.decode().upper() for k in keys}

    with store.Store(db) as s:
        got = s.through_many(T, [b"a", b"c", b"b", b"d", b"c"], make)
    assert asked == [[b"c", b"d"]]
    assert got == {b"a": "A", b"b": "B", b"c": "C", b"d": "D"}


def test_batch_get_of_many_keys(db: Path) -> None:
    """get_many returns every one of 3,000 values (more than one SQL batch)."""
    many = {store.key_of(n): (n, str(n)) for n in range(3000)}
    with store.Store(db) as s:
        s.put_many(T, many)
    with store.Store(db) as s:
        assert s.get_many(T, list(many)) == many


# --- salts -------------------------------------------------------------------------------------


def test_another_extra_salt_is_a_miss(db: Path) -> None:
    """A table made with other inputs (say another vocabulary) does not see the old values."""
    with store.Store(db) as s:
        s.put(store.table("render", "vocabulary 1"), b"k", "old")
    with store.Store(db) as s:
        assert s.get(store.table("render", "vocabulary 2"), b"k") is None
        assert s.get(store.table("render", "vocabulary 1"), b"k") == "old"


def test_a_plain_table_keeps_json_and_is_another_table(db: Path) -> None:
    """A plain table writes tuples as arrays (read back as lists) and is salted apart from the
    tagged table of the same name, so neither is read as the other."""
    value = {"rows": [("a", 1, (2, 3))], "~t": "kept as a key"}
    with store.Store(db) as s:
        s.put(store.table("rows", plain=True), b"k", value)
    with store.Store(db) as s:
        assert s.get(store.table("rows", plain=True), b"k") == {
            "rows": [["a", 1, [2, 3]]],
            "~t": "kept as a key",
        }
        assert s.get(store.table("rows"), b"k") is None


def test_other_code_is_a_miss_and_its_rows_go_at_the_first_write(db: Path) -> None:
    """Rows written by other cytobib code are never served, and the first write of this code
    deletes them all; a table that does not depend on the code keeps its rows."""
    old_code = store.Table("render", b"oldsalt!", b"oldcode!")
    answers = store.table("answers", code=False)
    with store.Store(db) as s:
        s.put_many(old_code, {store.key_of(n): "x" * 100 for n in range(50)})
        s.put(answers, b"doi", "kept")
    new_code = store.table("render")
    with store.Store(db) as s:
        assert s.get(new_code, store.key_of(1)) is None
        s.put(new_code, b"fresh", "new")
    with store.Store(db) as s:
        assert {t.name: t.entries for t in s.tables()} == {"answers": 1, "render": 1}
        assert s.get(answers, b"doi") == "kept"


def test_the_code_salt_covers_code_and_library_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A different version of a library that shapes output changes every table's salt."""
    before = store.table("t")
    store.code_salt.cache_clear()
    monkeypatch.setattr(keys, "_version", lambda name: "9.9" if name == "jinja2" else "1")
    try:
        assert store.table("t").salt != before.salt
    finally:
        store.code_salt.cache_clear()


def test_keys_are_length_prefixed() -> None:
    """key_of("ab", "c") and key_of("a", "bc") differ."""
    assert store.key_of("ab", "c") != store.key_of("a", "bc")
    assert store.key_of(b"x") == store.key_of("x")


# --- eviction ----------------------------------------------------------------------------------


def _live_bytes(path: Path) -> int:
    with sqlite3.connect(path) as con:
        return int(con.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0])


def test_eviction_keeps_the_newest_within_the_cap(db: Path) -> None:
    """Past the cap, the least recently used rows go first and the store ends under the cap."""
    clock = Clock()
    cap = 20_000
    for day in range(40):
        clock.now += 86_400
        with store.Store(db, max_bytes=cap, clock=clock) as s:
            s.put(T, f"day{day}".encode(), "x" * 900)
    assert _live_bytes(db) <= cap
    with store.Store(db, max_bytes=cap, clock=clock) as s:
        kept = s.get_many(T, [f"day{d}".encode() for d in range(40)])
    days = sorted(int(k[3:]) for k in kept)
    assert days == list(range(40 - len(days), 40))  # a suffix: the newest
    assert len(days) >= 15


def test_a_value_read_again_is_kept_over_an_unused_newer_one(db: Path) -> None:
    """Reading a row marks it used, so it outlives rows written after it but not read."""
    clock = Clock()
    cap = 10_000
    with store.Store(db, max_bytes=cap, clock=clock) as s:
        s.put(T, b"old", "x" * 900)
    for n in range(5):
        clock.now += 86_400
        with store.Store(db, max_bytes=cap, clock=clock) as s:
            s.put(T, f"mid{n}".encode(), "x" * 900)
    clock.now += 86_400
    with store.Store(db, max_bytes=cap, clock=clock) as s:
        assert s.get(T, b"old") is not None  # used today
    for n in range(8):
        clock.now += 60
        with store.Store(db, max_bytes=cap, clock=clock) as s:
            s.put(T, f"new{n}".encode(), "x" * 900)
    with store.Store(db, max_bytes=cap, clock=clock) as s:
        assert s.get(T, b"old") is not None
        assert s.get(T, b"mid0") is None


def test_a_run_that_changes_nothing_writes_nothing(db: Path) -> None:
    """Reading values used within the hour leaves the file as it was."""
    with store.Store(db) as s:
        s.put_many(T, {store.key_of(n): n for n in range(100)})
    before = (db.stat().st_size, db.read_bytes())
    with store.Store(db) as s:
        assert len(s.get_many(T, [store.key_of(n) for n in range(100)])) == 100
    assert (db.stat().st_size, db.read_bytes()) == before
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0


# --- the folder rules --------------------------------------------------------------------------


@pytest.fixture
def cache_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache-root"
    monkeypatch.setenv("CYTOBIB_CACHE_DIR", str(root))
    monkeypatch.delenv("CYTOBIB_NO_CACHE", raising=False)
    return root


def test_folders_are_0700_and_files_0600(cache_env: Path, tmp_path: Path) -> None:
    """The cache folder, the store folder and every file of the store are private."""
    with store.open_store(tmp_path) as s:
        s.put(T, b"k", "v")
        s.flush()
        files = sorted(s.path.parent.iterdir()) if s.path else []
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
    assert stat.S_IMODE(cache_env.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache_env / "store").stat().st_mode) == 0o700
    assert modes and set(modes.values()) == {0o600}, modes
    assert any(name.endswith("-wal") for name in modes)  # the companions too


def test_an_old_store_folder_is_made_private(cache_env: Path, tmp_path: Path) -> None:
    """A store folder an older run made 0755 is tightened, not refused (it is ours)."""
    (cache_env / "store").mkdir(parents=True, mode=0o755)
    (cache_env / "store").chmod(0o755)
    with store.open_store(tmp_path) as s:
        assert s.enabled
    assert stat.S_IMODE((cache_env / "store").stat().st_mode) == 0o700


@pytest.mark.parametrize("bits", [0o002, 0o020])
def test_a_folder_others_may_write_is_refused(
    cache_env: Path, tmp_path: Path, bits: int, warnings_seen: Callable[[], list[str]]
) -> None:
    """A cache folder writable by group or others is not used: one warning, nothing read or
    written, and the values are made as if there were no cache."""
    cache_env.mkdir(mode=0o700)
    cache_env.chmod(0o700 | bits)
    with store.open_store(tmp_path) as s:
        assert not s.enabled
        assert s.through(T, b"k", lambda: "made") == "made"
        assert s.get(T, b"k") is None
    assert not (cache_env / "store").exists()
    assert len(warnings_seen()) == 1
    assert "writable by other users" in warnings_seen()[0]


@pytest.mark.skipif(not IS_ROOT, reason="chown needs root (see the getuid test below)")
def test_a_folder_of_another_user_is_refused(
    cache_env: Path, tmp_path: Path, warnings_seen: Callable[[], list[str]]
) -> None:
    """A cache folder that really belongs to another uid is not used."""
    cache_env.mkdir(mode=0o700)
    os.chown(cache_env, 12345, 12345)
    with store.open_store(tmp_path) as s:
        assert not s.enabled
    assert "belongs to another user (uid 12345)" in warnings_seen()[0]


def test_ownership_is_checked_against_the_running_user(
    cache_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    warnings_seen: Callable[[], list[str]],
) -> None:  # fmt: skip
    """The same refusal seen from the other side: the folder is ours, we pretend to be
    someone else (the check compares st_uid with os.getuid())."""
    cache_env.mkdir(mode=0o700)
    monkeypatch.setattr(os, "getuid", lambda: cache_env.stat().st_uid + 1)
    with store.open_store(tmp_path) as s:
        assert not s.enabled
    assert "belongs to another user" in warnings_seen()[0]


def test_a_store_file_others_may_write_is_refused(
    cache_env: Path, tmp_path: Path, warnings_seen: Callable[[], list[str]]
) -> None:
    """A store file someone made writable by others is never opened."""
    with store.open_store(tmp_path) as s:
        s.put(T, b"k", "v")
        path = s.path
    assert path is not None
    path.chmod(0o666)
    with store.open_store(tmp_path) as s:
        assert not s.enabled
        assert s.get(T, b"k") is None
    assert "writable by other users" in warnings_seen()[0]


def test_a_symlink_in_place_of_the_store_file_is_refused(
    cache_env: Path, tmp_path: Path, warnings_seen: Callable[[], list[str]]
) -> None:
    """The store file must be a regular file: a symlink planted there is not followed."""
    target = tmp_path / "elsewhere.sqlite3"
    target.write_bytes(b"")
    path = store.store_path(tmp_path)
    path.parent.mkdir(parents=True, mode=0o700)
    cache_env.chmod(0o700)
    path.symlink_to(target)
    with store.open_store(tmp_path) as s:
        assert not s.enabled
    assert target.read_bytes() == b""
    assert "not a regular file" in warnings_seen()[0]


def test_a_poisoned_pickle_never_runs(
    cache_env: Path, tmp_path: Path, warnings_seen: Callable[[], list[str]]
) -> None:
    """A pickle that would run a command, planted as the store file or as a value in it, is
    only ever data: the marker file it would create never appears."""
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, (f"touch {marker}",))

    poison = pickle.dumps(Payload())
    path = store.store_path(tmp_path)
    path.parent.mkdir(parents=True, mode=0o700)
    cache_env.chmod(0o700)
    path.write_bytes(poison)  # the whole file
    path.chmod(0o600)
    with store.open_store(tmp_path) as s:
        assert s.enabled  # damaged: replaced by a new, empty store
        assert s.get(T, b"k") is None
        s.put(T, b"k", "v")
    with sqlite3.connect(path) as con:  # a row whose value is the pickle
        con.execute("UPDATE entries SET value = ?", (poison,))
    with store.open_store(tmp_path) as s:
        assert s.get(T, b"k") is None  # not JSON: a miss
    assert not marker.exists()
    assert any("damaged" in w for w in warnings_seen())


def test_cytobib_cannot_unpickle() -> None:
    """No module of cytobib imports one that loads code from data (pickle, marshal, shelve)."""
    imported = set()
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in (SRC / "cytobib").rglob("*.py")]
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert not imported & {"pickle", "marshal", "shelve", "dill", "cloudpickle"}


def test_tilde_in_the_cache_dir_is_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CYTOBIB_CACHE_DIR='~/x' means $HOME/x for the store, the settings and Crossref; no
    folder named '~' appears in the working directory."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CYTOBIB_CACHE_DIR", "~/x")
    monkeypatch.chdir(work)
    assert store.cache_root() == home / "x"
    assert load_config(start=work).cache_dir == home / "x"
    with store.open_store(work) as s:
        s.put(T, b"k", "v")
    with CrossrefCache(load_config(start=work).cache_dir / "crossref") as answers:
        answers.store("works/10.1/x", 200, b"{}")
    assert (home / "x" / "store").is_dir()
    assert (home / "x" / "crossref" / "crossref.sqlite3").is_file()
    assert not (work / "~").exists()


def test_no_cache_turns_the_store_off_and_creates_nothing(
    cache_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CYTOBIB_NO_CACHE=1: no folder, no file, every lookup a miss (also for Crossref)."""
    monkeypatch.setenv("CYTOBIB_NO_CACHE", "1")
    with store.open_store(tmp_path) as s:
        assert not s.enabled
        s.put(T, b"k", "v")
        assert s.get(T, b"k") is None
    with CrossrefCache(cache_env / "crossref") as answers:
        answers.store("works/10.1/x", 200, b"{}")
        assert answers.get("works/10.1/x") is None
    assert not cache_env.exists()


@pytest.mark.parametrize(("value", "off"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_no_cache_values(monkeypatch: pytest.MonkeyPatch, value: str, off: bool) -> None:
    """Any value but '', 0, false, no, off means off."""
    monkeypatch.setenv("CYTOBIB_NO_CACHE", value)
    assert store.disabled() is off


def test_resolve_maps_the_api_argument(cache_env: Path, tmp_path: Path) -> None:
    """open_project(store=...): DEFAULT opens the project's store, None keeps nothing, a
    Store is used as given."""
    assert store.resolve(None, tmp_path) is store.NO_STORE
    mine = store.Store(tmp_path / "mine.sqlite3")
    assert store.resolve(mine, tmp_path) is mine
    with store.resolve(store.DEFAULT, tmp_path) as opened:
        assert opened.path == store.store_path(tmp_path)
    with pytest.raises(TypeError):
        store.resolve("yes", tmp_path)
    mine.close()


# --- failures never fail a command ------------------------------------------------------------


def _run(code: str, *, env: dict[str, str] | None = None, user: int | None = None,
         fsize: int | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run ``code`` in a new Python process (as ``user``, or with a file size limit)."""
    prelude = "import os, resource, signal, sys\n"
    if fsize is not None:
        prelude += "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        prelude += f"resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize}))\n"
    if user is not None:  # what the run needs is loaded first: root's Python is not theirs
        prelude += "import pathlib, json, sqlite3, cytobib.store, cytobib.crossref.cache\n"
        prelude += "cytobib.store.code_salt()\n"
        prelude += f"os.setgid({user}); os.setuid({user})\n"
    full_env = {**os.environ, "PYTHONPATH": str(SRC.parent), **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PUT_AND_GET = """
    from pathlib import Path
    from cytobib import store
    T = store.table("things", "v1")
    with store.open_store(Path.cwd()) as s:
        value = s.through(T, b"big", lambda: "x" * 3_000_000)
        assert len(value) == 3_000_000
    print("ok")
"""


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[tuple[Path, int | None]]:
    """A folder that is its user's but read-only to them, and that user (as root, whom no
    mode stops: nobody, run in a child process)."""
    if not IS_ROOT:
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o500)
        yield folder, None
        folder.chmod(0o700)
        return
    outside = Path(tempfile.mkdtemp())  # pytest's own tmp folders are root's 0700
    outside.chmod(0o755)
    folder = outside / "read-only"
    folder.mkdir(mode=0o500)
    os.chown(folder, 65534, 65534)
    yield folder, 65534
    shutil.rmtree(outside)


def test_an_unwritable_cache_folder_warns_once_and_the_command_works(
    read_only_folder: tuple[Path, int | None],
) -> None:
    """A cache folder the user may not write: one warning line, the run succeeds."""
    root, user = read_only_folder
    proc = _run(PUT_AND_GET, env={"CYTOBIB_CACHE_DIR": str(root)}, user=user)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning: the cache is off"), lines
    assert list(root.iterdir()) == []


def test_crossref_answers_in_a_read_only_folder_warn_once(
    read_only_folder: tuple[Path, int | None],
) -> None:
    """The Crossref cache in a folder the user may not write: no answer kept, nothing fails,
    one warning line (before: a CrossrefError calling the database unusable)."""
    root, user = read_only_folder
    code = f"""
        from cytobib.crossref.cache import Cache
        with Cache({str(root)!r}) as answers:
            answers.store("works/10.1/x", 200, b"{{}}")
            assert answers.get("works/10.1/x") is None
        print("ok")
    """
    proc = _run(code, user=user)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Crossref answers are not cached" in lines[0], lines


@pytest.mark.skipif(not hasattr(os, "setuid"), reason="needs POSIX file size limits")
def test_a_full_disk_never_fails_the_command(tmp_path: Path) -> None:
    """Writes that hit the file size limit (as a full disk would) are dropped with a
    warning; the run succeeds."""
    root = tmp_path / "cache"
    proc = _run(PUT_AND_GET, env={"CYTOBIB_CACHE_DIR": str(root)}, fsize=200_000)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    assert "warning: the cache is off for this run" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "damage",
    [
        b"not a database at all, just text\n" * 100,
        b"SQLite format 3\x00" + b"\xff" * 5000,
        b"",
    ],
    ids=["garbage", "bad-header", "empty"],
)
def test_a_damaged_store_file_is_replaced(
    db: Path, damage: bytes, warnings_seen: Callable[[], list[str]]
) -> None:
    """A store file that is not a usable database is replaced by a new one, with a warning
    (an empty file is simply a new database)."""
    db.parent.mkdir(mode=0o700)
    db.write_bytes(damage)
    db.chmod(0o600)
    with store.Store(db) as s:
        assert s.enabled
        assert s.get(T, b"k") is None
        s.put(T, b"k", ("v", 1))
    with store.Store(db) as s:
        assert s.get(T, b"k") == ("v", 1)
    assert bool(damage) == any("damaged" in w for w in warnings_seen())


def test_a_truncated_store_file_is_a_miss_not_a_failure(
    db: Path, warnings_seen: Callable[[], list[str]]
) -> None:
    """A store cut short in the middle (its pages lost) still answers: misses, no error."""
    with store.Store(db) as s:
        s.put_many(T, {store.key_of(n): "x" * 2000 for n in range(500)})
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])
    with store.Store(db) as s:
        found = s.get_many(T, [store.key_of(n) for n in range(500)])
        s.put(T, b"new", "value")
    assert len(found) < 500
    assert warnings_seen()  # said once that it is damaged or off


def test_damaged_rows_are_misses(db: Path) -> None:
    """A row whose value is not what the codec wrote is a miss for that key only."""
    with store.Store(db) as s:
        s.put_many(T, {b"good": ("ok",), b"bad": ("x",), b"deep": ("y",)})
    with sqlite3.connect(db) as con:
        con.execute("UPDATE entries SET value = x'7b227e74223a357d' WHERE key = x'626164'")
        con.execute("UPDATE entries SET value = ? WHERE key = x'64656570'", (b"[" * 100_000,))
    with store.Store(db) as s:
        assert s.get_many(T, [b"good", b"bad", b"deep"]) == {b"good": ("ok",)}


HOLD_LOCK = """
    import sqlite3, sys, time
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    if sys.argv[2] == "exclusive":
        con.execute("PRAGMA locking_mode = EXCLUSIVE")
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('lock', 1)")
    print("locked", flush=True)
    time.sleep(float(sys.argv[3]))
    con.execute("COMMIT")
"""


@pytest.fixture
def lock_holder(db: Path) -> Iterator[Callable[[str, float], None]]:
    """``hold(mode, seconds)``: a second process holding the store's write lock."""
    procs: list[subprocess.Popen[str]] = []

    def hold(mode: str, seconds: float) -> None:
        proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(HOLD_LOCK), str(db), mode, str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"

    yield hold
    for proc in procs:
        proc.kill()
        proc.wait()


def test_a_second_process_writing_does_not_block_reads_or_fail_writes(
    db: Path, lock_holder: Callable[[str, float], None]
) -> None:
    """While another process holds the write lock, reads are served (WAL) and this run's
    writes are given up after the busy timeout: no exception, no waiting forever."""
    with store.Store(db) as s:
        s.put(T, b"k", "v")
    lock_holder("normal", 30)
    started = time.monotonic()
    with store.Store(db, busy_ms=200) as s:
        assert s.get(T, b"k") == "v"
        s.put(T, b"other", "w")
    assert time.monotonic() - started < 10
    with store.Store(db) as s:
        assert s.get(T, b"other") is None  # not written, and nothing failed


def test_an_exclusively_locked_store_is_off_for_the_run(
    db: Path, lock_holder: Callable[[str, float], None], warnings_seen: Callable[[], list[str]]
) -> None:
    """A store another process holds exclusively cannot even be read: the run goes on without
    it, with one warning."""
    with store.Store(db) as s:
        s.put(T, b"k", "v")
    lock_holder("exclusive", 30)
    with store.Store(db, busy_ms=200) as s:
        assert not s.enabled
        assert s.through(T, b"k", lambda: "made") == "made"
        s.put(T, b"x", "y")
    assert len(warnings_seen()) == 1
    assert "database is locked" in warnings_seen()[0]


WRITER = """
    import sys
    from pathlib import Path
    from cytobib import store
    T = store.table("things", "v1")
    me = int(sys.argv[1])
    for round in range(15):
        with store.Store(Path(sys.argv[2])) as s:
            s.get_many(T, [store.key_of(n) for n in range(300)])
            s.put_many(T, {store.key_of(n): ("value", n) for n in range(me * 50, me * 50 + 150)})
    print("done")
"""


def test_two_processes_writing_at_once_do_not_corrupt_it(db: Path) -> None:
    """Four processes reading and writing overlapping keys at the same time: the file stays
    sound and every row holds the value its key was written with."""
    db.parent.mkdir(mode=0o700)
    env = {**os.environ, "PYTHONPATH": str(SRC.parent)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WRITER), str(n), str(db)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "done"
        assert "warning" not in err
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with store.Store(db) as s:
        found = s.get_many(T, [store.key_of(n) for n in range(300)])
    assert found == {store.key_of(n): ("value", n) for n in range(300)}


# --- the Crossref answers follow the same folder rules ------------------------------------------


def test_crossref_answers_are_private(tmp_path: Path) -> None:
    """The Crossref cache's folder is made 0700 and its file 0600."""
    folder = tmp_path / "answers" / "crossref"
    with CrossrefCache(folder) as answers:
        answers.store("works/10.1/x", 200, b"{}")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "crossref.sqlite3").stat().st_mode) == 0o600


def test_crossref_answers_in_a_folder_others_may_write_are_not_used(
    tmp_path: Path, warnings_seen: Callable[[], list[str]]
) -> None:
    """A Crossref cache folder writable by others is neither read nor written."""
    folder = tmp_path / "crossref"
    with CrossrefCache(folder) as answers:
        answers.store("works/10.1/x", 200, b"{}")
    folder.chmod(0o777)
    with CrossrefCache(folder) as answers:
        assert answers.get("works/10.1/x") is None
        answers.store("works/10.1/y", 200, b"{}")
    folder.chmod(0o700)
    with CrossrefCache(folder) as answers:
        assert answers.keys() == ["works/10.1/x"]
    assert len(warnings_seen()) == 1


def test_add_works_when_the_cache_folder_cannot_be_made(
    make_project: Callable[..., Path], cli: Callable[..., CliResult],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """`cytobib add` with CYTOBIB_CACHE_DIR naming a file (no folder can be made there):
    the work is added, with one warning line, not an internal error (exit 70 before)."""
    server = CrossrefTestServer(require_fixtures()).start()
    try:
        monkeypatch.setenv("CYTOBIB_CROSSREF_URL", server.url)
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file")
        monkeypatch.setenv("CYTOBIB_CACHE_DIR", str(blocker))
        root = make_project("")
        result = cli("add", "-C", root, "10.3892/ijo_00000353")
    finally:
        server.stop()
    assert result.code == 0, result.output
    assert "added stravopodis2009human" in result.out
    assert blocker.read_text() == "a file"


# --- stores of other projects, info and clear --------------------------------------------------


def test_stores_of_projects_unused_for_months_are_deleted(cache_env: Path, tmp_path: Path) -> None:
    """Opening a store deletes other projects' stores not opened for 90 days, only those."""
    (tmp_path / "old").mkdir()
    (tmp_path / "recent").mkdir()
    for name in ("old", "recent"):
        with store.open_store(tmp_path / name) as s:
            s.put(T, b"k", "v")
    old = store.store_path(tmp_path / "old")
    past = time.time() - 100 * 86_400
    os.utime(old, (past, past))
    with store.open_store(tmp_path):
        pass
    assert not old.exists()
    assert store.store_path(tmp_path / "recent").exists()


def test_cache_info_and_clear(
    cache_env: Path, make_project: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """`cache info` names the folder and each table's entries; `cache clear` deletes this
    project's store only; `--all` every store, the Crossref answers and older cache files,
    and nothing else in the folder."""
    project = make_project("")
    other = make_project("", folder="other")
    with store.open_store(project) as s:
        s.put_many(store.table("references"), {store.key_of(n): "ref" for n in range(3)})
        s.put(store.table("rendered"), b"k", "item")
    with store.open_store(other) as s:
        s.put(T, b"k", "v")
    legacy = cache_env / "parse" / "0123.pickle"
    legacy.parent.mkdir()
    legacy.write_bytes(b"old")
    keep = [cache_env / "notes.txt", cache_env / "annotations" / "mine.yaml"]
    for path in keep:
        path.parent.mkdir(exist_ok=True)
        path.write_text("not ours")
    with CrossrefCache(cache_env / "crossref") as answers:
        answers.store("works/10.1/x", 200, b"{}")

    shown = cli("cache", "info", "-C", project)
    assert shown.code == 0, shown.output
    assert str(cache_env) in shown.out
    assert "caching:        on" in shown.out
    assert "references" in shown.out and "rendered" in shown.out
    assert "other projects: 1 stores" in shown.out
    assert "older caches:   1 files" in shown.out

    cleared = cli("cache", "clear", "-C", project)
    assert cleared.code == 0, cleared.output
    assert not store.store_path(project).exists()
    assert store.store_path(other).exists()

    everything = cli("cache", "clear", "--all", "-C", project)
    assert everything.code == 0, everything.output
    assert not store.store_path(other).exists()
    assert not legacy.exists()
    assert not (cache_env / "crossref" / "crossref.sqlite3").exists()
    assert all(path.read_text() == "not ours" for path in keep)


def test_no_cache_option_lasts_one_run(
    cache_env: Path, make_project: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """`cytobib --no-cache` turns caching off for that command only."""
    project = make_project("")
    assert "caching:        off" in cli("--no-cache", "cache", "info", "-C", project).out
    assert os.environ.get("CYTOBIB_NO_CACHE") is None
    assert "caching:        on" in cli("cache", "info", "-C", project).out


NOTE = (
    "summary: A note.\nagents:\n  - name: aldesleukin\n"  # valid: an invalid one stops the commands
)
BIB_ONE = """@article{rosenberg1985il2,
  author = {Rosenberg, S. A.},
  title = {IL-2},
  journal = {N Engl J Med},
  year = {1985},
}
"""


@pytest.mark.parametrize("switch", ["--no-cache", "CYTOBIB_NO_CACHE=1"])
def test_the_switch_keeps_every_cache_empty(
    make_project: Callable[..., Path], tmp_path: Path, switch: str
) -> None:
    """With the switch, a reading list and a build leave nothing in the cache folder (the
    older caches included), and nothing behind in the temporary folder either; without it,
    they fill the folder."""
    project = make_project(BIB_ONE, {"rosenberg1985il2": NOTE})
    cache, scratch = tmp_path / "cache", tmp_path / "scratch"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYTOBIB_")}
    env.update(PYTHONPATH=str(SRC), CYTOBIB_CACHE_DIR=str(cache), TMPDIR=str(scratch))
    before = [switch] if switch.startswith("--") else []
    if not before:
        env["CYTOBIB_NO_CACHE"] = "1"

    def cytobib(*args: str) -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "cytobib", *args],
            cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr

    cytobib(*before, "reading-list", "--style", "plain", "-o", "list.md")
    cytobib(*before, "build", "--style", "plain")
    assert (project / "list.md").is_file()
    assert not cache.exists()
    assert list(scratch.iterdir()) == []
    env.pop("CYTOBIB_NO_CACHE", None)
    cytobib("reading-list", "--style", "plain", "-o", "list.md")
    assert any(p.is_file() for p in cache.rglob("*"))


def test_cache_info_creates_nothing(
    cache_env: Path, make_project: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """Looking at the cache does not make one."""
    assert cli("cache", "info", "-C", make_project("")).code == 0
    assert not cache_env.exists()


# --- the test suite itself --------------------------------------------------------------------

PROBE = """
    from pathlib import Path

    import pytest

    from cytobib.library import open_project


    @pytest.fixture(scope="module")
    def loaded(tmp_path_factory):
        root = tmp_path_factory.mktemp("probe")
        (root / "annotations").mkdir()
        (root / "cytobib.toml").write_text('[library]\\nbib = "library.bib"\\n')
        (root / "library.bib").write_text("@article{a, title={T}, year={2020}}\\n")
        (root / "annotations" / "a.yaml").write_text("summary: s\\n")
        return open_project(root)


    def test_probe(loaded):
        assert len(loaded.library) == 1
"""


def test_the_suite_never_writes_the_users_cache_folder(tmp_path: Path) -> None:
    """A module-scoped fixture that loads a project (so writes caches) runs under this suite's
    conftest with HOME pointed at an empty folder: nothing appears in that user's cache."""
    tests = tmp_path / "suite"
    tests.mkdir()
    conftest = Path(__file__).with_name("conftest.py").read_text(encoding="utf-8")
    (tests / "conftest.py").write_text(conftest, encoding="utf-8")
    (tests / "test_probe.py").write_text(textwrap.dedent(PROBE), encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CYTOBIB_", "XDG_"))}
    env.update(HOME=str(home), PYTHONPATH=str(SRC.parent))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert written == [], f"the suite wrote into the user's home: {written}"


# --- the size cap from the environment ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cap"),
    [
        ("64", 64_000_000),
        ("0.5", 500_000),
        ("-5", 1),
        ("abc", store.DEFAULT_MAX_BYTES),
        ("nan", store.DEFAULT_MAX_BYTES),
        ("inf", store.DEFAULT_MAX_BYTES),
        ("-inf", store.DEFAULT_MAX_BYTES),
        ("1e400", store.DEFAULT_MAX_BYTES),
    ],
)
def test_the_cap_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, cap: int
) -> None:
    """CYTOBIB_CACHE_MAX_MB=inf ended every command with exit 70 (int(inf) raises
    OverflowError, not ValueError): a value that is not a finite number is the default."""
    monkeypatch.setenv("CYTOBIB_CACHE_MAX_MB", value)
    assert store.cap_bytes() == cap
