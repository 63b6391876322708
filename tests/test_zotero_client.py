"""The Zotero client over pyzotero's real HTTP path, against the stand-in on 127.0.0.1: the
transport's pacing (Backoff, Retry-After, 429/503, one in flight, bounded reads) and the
pyzotero calls that would lose data if trusted blindly (shared/docs/zotero-web-api.md §12).

Each pyzotero behaviour is first shown on pyzotero alone (the test that fails without
cytobib's handling), then survived through cytobib's client."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("pyzotero", reason="Zotero sync needs pyzotero (README: Zotero sync)")

import httpx2
from pyzotero import zotero

from cytobib import net
from cytobib.errors import (
    UsageError,
    ZoteroAuthError,
    ZoteroBadResponse,
    ZoteroUnavailable,
)
from cytobib.zotero.client import Stale
from zotero_api_server import FakeClock, Trouble, ZoteroStandIn, client_for, running

KEY = "K" * 24


@pytest.fixture
def server() -> Any:
    with running() as srv:
        srv.library("groups/123", key=KEY)
        yield srv


def _plain_pyzotero(server: ZoteroStandIn) -> Any:
    """pyzotero as its users make it, pointed at the stand-in (its own sleeps shortened)."""
    zot = zotero.Zotero("123", "group", KEY)
    zot.endpoint = server.url
    return zot


def _article(key: str, title: str = "A title") -> dict[str, Any]:
    return {"key": key, "itemType": "journalArticle", "title": title}


# --- the transport -----------------------------------------------------------------------------


def test_retry_after_on_429_is_waited_then_the_request_resent(server: ZoteroStandIn) -> None:
    """A 429 with Retry-After: 7 is waited (at least 7 s) and the same read sent again."""
    clock = FakeClock()
    server.trouble.append(Trouble("GET", "/items$", 429, {"Retry-After": "7"}))
    client = client_for(server, clock=clock)
    snap = client.snapshot(None)
    assert snap.version == 0
    assert clock.sleeps[0] >= 7
    assert [h.status for h in server.hits] == [429, 200]


def test_backoff_on_a_success_pauses_the_next_request(server: ZoteroStandIn) -> None:
    """Backoff: 30 on a 200 is honoured before the next request, not by failing this one."""
    clock = FakeClock()
    server.trouble.append(Trouble("GET", "/items$", None, {"Backoff": "30"}))
    client = client_for(server, clock=clock)
    client.snapshot(None)
    assert clock.sleeps == []
    client.snapshot(None)
    assert clock.sleeps == [30.0]


def test_backoff_header_never_reaches_pyzotero(server: ZoteroStandIn) -> None:
    """The transport consumes Backoff: pyzotero, which would sleep on it with the real clock,
    sees no pause to take."""
    server.trouble.append(Trouble("GET", "/items$", None, {"Backoff": "3600"}))
    client = client_for(server)
    client.snapshot(None)
    assert client.zot.backoff_until == 0.0
    assert "backoff" not in client.zot.request.headers


def test_503_with_retry_after_is_retried(server: ZoteroStandIn) -> None:
    """503 + Retry-After is waited like a 429."""
    clock = FakeClock()
    server.trouble.append(Trouble("*", "/items", 503, {"Retry-After": "2"}, times=2))
    client = client_for(server, clock=clock)
    client.snapshot(None)
    assert clock.sleeps[:2] == [2.0, 2.0]


def test_endless_429_ends_in_zotero_unavailable(server: ZoteroStandIn) -> None:
    """After max_attempts the run stops with a typed error, never a traceback."""
    server.trouble.append(Trouble("*", "", 429, {"Retry-After": "1"}, times=100))
    client = client_for(server, max_attempts=3)
    with pytest.raises(ZoteroUnavailable, match="3 attempts"):
        client.snapshot(None)
    assert len(server.hits) == 3


def test_a_retry_after_beyond_the_limit_is_not_waited(server: ZoteroStandIn) -> None:
    """A server asking for an hour makes the command stop and say so."""
    clock = FakeClock()
    server.trouble.append(Trouble("*", "", 429, {"Retry-After": "3600"}, times=5))
    client = client_for(server, clock=clock, max_wait=600)
    with pytest.raises(ZoteroUnavailable, match="3600"):
        client.snapshot(None)
    assert clock.sleeps == []


def test_answers_are_read_within_the_size_cap(server: ZoteroStandIn) -> None:
    """An answer larger than the cap is refused, not read into memory."""
    lib = server.libraries["groups/123"]
    for i in range(30):
        lib.put(_article(f"AAAA{i:04d}".replace("0", "2").replace("1", "3"), "x" * 2000))
    client = client_for(server, bounds=net.Bounds(max_bytes=10_000))
    with pytest.raises(ZoteroBadResponse, match="larger than"):
        client.everything()


def test_one_request_in_flight(server: ZoteroStandIn) -> None:
    """Even many threads sharing one client never have two requests on the wire."""
    import threading

    server.latency = 0.02
    client = client_for(server)
    threads = [threading.Thread(target=client.transport.handle_request, args=(
        httpx2.Request("GET", server.url + "/groups/123/items?format=versions",
                       headers={"Zotero-API-Key": KEY}),
    )) for _ in range(6)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.max_in_flight == 1
    assert client.stats.requests == 6


# --- pyzotero's behaviours, and cytobib's client ---------------------------------------------


def test_pyzotero_create_items_does_not_survive_a_429(server: ZoteroStandIn) -> None:
    """pyzotero alone: create_items after a 429 parses the text body as JSON and fails."""
    server.trouble.append(Trouble("POST", "/items$", 429, {"Retry-After": "0"}))
    with pytest.raises(json.JSONDecodeError):
        _plain_pyzotero(server).create_items([_article("ABCD2345")], last_modified=0)
    assert not server.libraries["groups/123"].objects


def test_create_survives_a_429_and_writes_once(server: ZoteroStandIn) -> None:
    """cytobib's write: the 429 is waited, the POST resent, the item exists exactly once."""
    server.trouble.append(Trouble("POST", "/items$", 429, {"Retry-After": "1"}))
    result = client_for(server).write([_article("ABCD2345")], 0)
    assert list(result.successful) == [0]
    assert list(server.libraries["groups/123"].objects) == ["ABCD2345"]


def test_pyzotero_update_items_reports_a_refused_chunk_as_success(server: ZoteroStandIn) -> None:
    """pyzotero alone: update_items returns True though the server refused the chunk."""
    lib = server.libraries["groups/123"]
    lib.put(_article("ABCD2345", "old"))
    server.trouble.append(Trouble("POST", "/items/?$", 429, {"Retry-After": "0"}))
    zot = _plain_pyzotero(server)
    item = {"key": "ABCD2345", "version": lib.version, "title": "new"}
    assert zot.update_items([item]) is True
    assert lib.objects["ABCD2345"]["title"] == "old"  # the update was lost


def test_update_through_write_is_applied_and_each_version_kept(server: ZoteroStandIn) -> None:
    """cytobib's update: sent again after the 429, applied, and every object's own version
    comes back (the server numbers each object of a batch)."""
    lib = server.libraries["groups/123"]
    lib.put(_article("ABCD2345", "old"))
    lib.put(_article("ABCD2346", "old too"))
    server.trouble.append(Trouble("POST", "/items$", 429, {"Retry-After": "0"}))
    client = client_for(server)
    result = client.write(
        [
            {"key": "ABCD2345", "version": 1, "title": "new"},
            {"key": "ABCD2346", "version": 2, "title": "new too"},
        ],
        lib.version,
    )
    assert lib.objects["ABCD2345"]["title"] == "new"
    versions = [result.successful[i]["version"] for i in (0, 1)]
    assert versions == [3, 4]
    assert result.version == 4


def test_a_stale_object_is_a_failure_not_a_success(server: ZoteroStandIn) -> None:
    """An object whose version is stale fails alone (412 in ``failed``); the others are saved."""
    lib = server.libraries["groups/123"]
    lib.put(_article("ABCD2345"))
    lib.put(_article("ABCD2346"))
    lib.edit("ABCD2345", title="a co-author's")
    result = client_for(server).write(
        [
            {"key": "ABCD2345", "version": 1, "title": "ours"},
            {"key": "ABCD2346", "version": 2, "title": "ours"},
        ],
        lib.version,
    )
    assert [f.code for f in result.failed] == [412]
    assert lib.objects["ABCD2345"]["title"] == "a co-author's"
    assert lib.objects["ABCD2346"]["title"] == "ours"


def test_a_stale_library_version_is_stale(server: ZoteroStandIn) -> None:
    """If-Unmodified-Since-Version on every write: an old library version writes nothing."""
    lib = server.libraries["groups/123"]
    lib.put(_article("ABCD2345"))
    with pytest.raises(Stale):
        client_for(server).write([_article("ABCD2346")], 0)
    assert set(lib.objects) == {"ABCD2345"}
    assert server.hits[-1].headers["if-unmodified-since-version"] == "0"


def test_pyzotero_list_delete_sends_the_first_items_version(server: ZoteroStandIn) -> None:
    """pyzotero alone: delete_item(list) sends item 1's version as the library's: 412."""
    lib = server.libraries["groups/123"]
    first = lib.put(_article("ABCD2345"))
    second = lib.put(_article("ABCD2346"))
    zot = _plain_pyzotero(server)
    with pytest.raises(zotero.ze.PreConditionFailedError):
        zot.delete_item([first, second])
    assert set(lib.objects) == {"ABCD2345", "ABCD2346"}


def test_list_delete_sends_the_library_version(server: ZoteroStandIn) -> None:
    """cytobib's delete: the library version, so the same delete succeeds."""
    lib = server.libraries["groups/123"]
    lib.put(_article("ABCD2345"))
    lib.put(_article("ABCD2346"))
    client = client_for(server)
    version = client.delete(["ABCD2345", "ABCD2346"], lib.version)
    assert not lib.objects
    assert version == lib.version


def test_bad_key_is_an_auth_error_naming_the_library_not_the_key(server: ZoteroStandIn) -> None:
    """403: ZoteroAuthError with a hint; the key appears nowhere in it."""
    secret = "SECRET" + "x" * 18
    with pytest.raises(ZoteroAuthError) as info:
        client_for(server, key=secret).snapshot(None)
    text = f"{info.value} {info.value.hint}"
    assert "groups/123" in text and "ZOTERO_API_KEY" in text
    assert secret not in text


def test_pagination_follows_link_and_reads_total_results(server: ZoteroStandIn) -> None:
    """A listing longer than a page is read to the end through Link rel="next"."""
    lib = server.libraries["groups/123"]
    for i in range(230):
        key = "".join("23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"[(i >> s) % 33] for s in (0, 5, 10, 15))
        lib.collections["COLL" + key] = {"key": "COLL" + key, "name": f"c{i}", "version": 1}
    client = client_for(server)
    assert len(client.collections()) == 230
    pages = [h for h in server.hits if h.path.endswith("/collections")]
    assert len(pages) == 3
    assert client.total() == 230


def test_local_api_reads_pages_and_refuses_writes(server: ZoteroStandIn) -> None:
    """--local: the user library is users/0, read page by page without a key; a write is
    refused by the local API and reported as a usage error."""
    server.library("users/475425")
    server.local = "users/475425"
    lib = server.libraries["users/475425"]
    for i in range(150):
        lib.put(_article(None or f"LAAA{i:04d}".replace("0", "A").replace("1", "B"), f"t{i}"))
    client = client_for(server, "users/475425", key=None, local=True)
    objects = client.everything()
    assert len(objects) == 150
    assert all(h.path.startswith("/api/users/0/") for h in server.hits)
    with pytest.raises(UsageError, match="read-only"):
        client.write([_article("ABCD2345")], lib.version)
    assert all(h.method == "GET" for h in server.hits)
