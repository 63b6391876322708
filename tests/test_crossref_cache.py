"""Cache: keys, TTLs decided at read time, modes, persistence and thread safety."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from cytobib.crossref.cache import DAY, Cache, default_cache_dir, search_key, work_key
from cytobib.errors import CrossrefError


class WallClock:
    """A settable wall clock for expiry tests."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def cache(tmp_path: Path, clock: WallClock) -> Cache:
    return Cache(tmp_path, clock=clock)


def test_work_keys_are_normalised_dois() -> None:
    """Any spelling of a DOI gives the same key, lower-cased."""
    assert work_key("https://doi.org/10.1016/S0140-6736(97)11096-0") == (
        "works/10.1016/s0140-6736(97)11096-0"
    )
    assert work_key("doi:10.1016/S0140-6736(97)11096-0") == work_key(
        "10.1016/s0140-6736(97)11096-0"
    )


def test_search_keys_ignore_case_and_spacing() -> None:
    """Queries differing only in case and whitespace share a key; rows matters."""
    assert search_key("IL-2  therapy\n melanoma", 2) == search_key("il-2 therapy melanoma", 2)
    assert search_key("x", 2) != search_key("x", 5)


def test_store_then_get_round_trips(cache: Cache) -> None:
    """A stored answer comes back with its status, body and fetch time."""
    cache.store("works/10.1/x", 200, b'{"a": 1}')
    hit = cache.get("works/10.1/x")
    assert hit is not None
    assert (hit.status, hit.body, hit.fresh) == (200, b'{"a": 1}', True)


def test_works_expire_after_thirty_days(cache: Cache, clock: WallClock) -> None:
    """A work is fresh for 30 days, then normal mode ignores it."""
    cache.store("works/10.1/x", 200, b"{}")
    clock.now += 29 * DAY
    assert cache.get("works/10.1/x") is not None
    clock.now += 2 * DAY
    assert cache.get("works/10.1/x") is None
    assert cache.lookup("works/10.1/x") is not None  # still stored, just stale


def test_not_found_expires_after_one_day(cache: Cache, clock: WallClock) -> None:
    """A 404 is remembered for a day only: the DOI may be registered soon."""
    cache.store("works/10.1/missing", 404, b"Resource not found.")
    clock.now += 0.9 * DAY
    assert cache.get("works/10.1/missing") is not None
    clock.now += 0.2 * DAY
    assert cache.get("works/10.1/missing") is None


def test_records_with_updates_are_rechecked_after_seven_days(
    cache: Cache, clock: WallClock
) -> None:
    """A record carrying updated-by/update-to goes stale after 7 days, not 30."""
    cache.store("works/10.1/updated", 200, b"{}", has_updates=True)
    clock.now += 6 * DAY
    assert cache.get("works/10.1/updated") is not None
    clock.now += 2 * DAY
    assert cache.get("works/10.1/updated") is None


def test_ttl_changes_apply_to_rows_already_stored(tmp_path: Path, clock: WallClock) -> None:
    """Freshness is decided when reading, so a shorter TTL takes effect at once."""
    Cache(tmp_path, clock=clock).store("works/10.1/x", 200, b"{}")
    clock.now += 2 * DAY
    assert Cache(tmp_path, clock=clock, ttl=DAY).get("works/10.1/x") is None


def test_refresh_mode_ignores_rows(tmp_path: Path, clock: WallClock) -> None:
    """In refresh mode nothing is read back, even a fresh row."""
    Cache(tmp_path, clock=clock).store("works/10.1/x", 200, b"{}")
    assert Cache(tmp_path, clock=clock, mode="refresh").get("works/10.1/x") is None


def test_offline_mode_serves_stale_rows(tmp_path: Path, clock: WallClock) -> None:
    """Offline, any stored answer is better than none, however old."""
    Cache(tmp_path, clock=clock).store("works/10.1/x", 200, b"{}")
    clock.now += 365 * DAY
    hit = Cache(tmp_path, clock=clock, mode="offline").get("works/10.1/x")
    assert hit is not None
    assert not hit.fresh


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    """A typo in the mode fails loudly."""
    with pytest.raises(ValueError, match="offline"):
        Cache(tmp_path, mode="ofline")  # type: ignore[arg-type]


def test_answers_persist_across_instances(tmp_path: Path) -> None:
    """The file in the directory keeps answers for the next run."""
    first = Cache(tmp_path)
    first.store("works/10.1/x", 200, b"body")
    first.close()
    assert Cache(tmp_path).get("works/10.1/x") is not None
    assert (tmp_path / "crossref.sqlite3").exists()


def test_environment_variable_chooses_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CYTOBIB_CACHE_DIR overrides the platform cache directory."""
    monkeypatch.setenv("CYTOBIB_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"
    assert Cache().path == tmp_path / "elsewhere" / "crossref.sqlite3"


def test_default_directory_is_the_platform_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the variable the directory is platformdirs' user cache dir for cytobib."""
    from platformdirs import user_cache_dir

    monkeypatch.delenv("CYTOBIB_CACHE_DIR", raising=False)
    assert default_cache_dir() == Path(user_cache_dir("cytobib"))


def test_constructor_argument_beats_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An explicit directory wins over CYTOBIB_CACHE_DIR."""
    monkeypatch.setenv("CYTOBIB_CACHE_DIR", str(tmp_path / "env"))
    assert Cache(tmp_path / "arg").directory == tmp_path / "arg"


def test_concurrent_threads_can_read_and_write(cache: Cache) -> None:
    """Ten threads writing and reading 50 rows each finish without errors or losses."""
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(50):
                key = f"works/10.1/{n}-{i}"
                cache.store(key, 200, str(i).encode())
                assert cache.get(key) is not None
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) == 500


def _interrupted_write(conn: sqlite3.Connection) -> None:
    with conn:  # the same transaction shape as Cache.store
        conn.execute("UPDATE responses SET body = ? WHERE key = ?", (b"half", "works/10.1/x"))
        raise KeyboardInterrupt


def test_an_interrupted_write_leaves_the_old_row(cache: Cache) -> None:
    """A KeyboardInterrupt inside a write's transaction rolls it back: old row intact."""
    cache.store("works/10.1/x", 200, b"old")
    with pytest.raises(KeyboardInterrupt):
        _interrupted_write(cache._conn())
    hit = cache.get("works/10.1/x")
    assert hit is not None
    assert hit.body == b"old"


def test_a_corrupt_file_is_reported_with_a_fix(tmp_path: Path) -> None:
    """A cache file that is not SQLite raises CrossrefError saying to delete it."""
    (tmp_path / "crossref.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(CrossrefError) as info:
        Cache(tmp_path)
    assert info.value.hint is not None
    assert "Delete" in info.value.hint


def test_the_schema_is_plain_sqlite(cache: Cache) -> None:
    """Rows hold key, status, body, fetched_at and has_updates (readable by any tool)."""
    cache.store("works/10.1/x", 200, b"{}", has_updates=True)
    with sqlite3.connect(cache.path) as conn:
        row = conn.execute("SELECT key, status, has_updates FROM responses").fetchone()
    assert row == ("works/10.1/x", 200, 1)
