"""A local stand-in of the Zotero Web API v3 (and Zotero 7's read-only local API) on 127.0.0.1.

It holds libraries in memory and answers the subset cytobib's sync uses over real HTTP, so that
pyzotero's own HTTP path (httpx2) and cytobib's transport run for real. The shapes follow the
recorded responses in ``../shared/fixtures/zotero-api/`` (PROVENANCE.md there) and the facts in
``../shared/docs/zotero-web-api.md`` (sections named below as "doc §n"):

* objects as ``{key, version, library, links, meta, data}`` (papers-mcp-item.json), write
  results with all four maps ``successful``/``success``/``unchanged``/``failed``
  (web-library-test-user-add-new-item.json), per-object versions in a batch (doc §4: each
  object of a POST gets its own consecutive version, ``Last-Modified-Version`` the highest);
* ``format=versions`` and ``format=keys`` without a limit, ``since=``, ``itemKey=``,
  ``If-Modified-Since-Version`` (304), ``limit`` (1-100, default 25) and ``start`` with
  ``Link`` (first/prev/next/last) and ``Total-Results`` (doc §5);
* ``POST /items`` (at most 50 objects, else 413; library version in
  ``If-Unmodified-Since-Version`` or a ``version`` per object, else 428 per object; a stale
  header is a whole-request 412, a stale object version a per-object 412; PATCH semantics),
  ``PATCH /items/<key>``, ``DELETE /items?itemKey=`` with the *library* version, ``/deleted``
  (400 without ``since``), ``/items/<key>/children``, collections (doc §§6-8);
* 403 for a missing or bad key (doc §2), and scripted trouble: 429 with ``Retry-After``, 503,
  a ``Backoff`` header on a success, a co-author's write just before a request (the cause of
  real 412s), latency per request (doc §9);
* the local API under ``/api`` (doc §11): no key, GET only (other methods: 400 "Endpoint does
  not support method"), no ``/deleted`` route, the user library as ``users/0``.

Nothing here was recorded with headers (PROVENANCE.md: "Bodies only"): every header is built
from the doc's facts. Item field sets: ``journalArticle`` from papers-mcp-item.json (schema 41:
``citationKey``, ``PMID``, ``PMCID``), ``note`` from web-library-new-item-note.json; other item
types are accepted with any of the common fields, since no template of them was recorded.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "zotero-api"
KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"  # doc §3
MAX_WRITE = 50  # doc §6
MAX_LIMIT = 100  # doc §5
COMMON_FIELDS = frozenset(
    {
        "title", "abstractNote", "date", "url", "accessDate", "language", "shortTitle",
        "extra", "rights", "archive", "archiveLocation", "libraryCatalog", "callNumber",
        "publisher", "place", "volume", "issue", "pages", "series", "seriesTitle", "seriesText",
        "edition", "ISBN", "ISSN", "DOI", "bookTitle", "proceedingsTitle", "conferenceName",
        "university", "thesisType", "institution", "reportNumber", "reportType", "websiteTitle",
        "websiteType", "numberOfVolumes", "numPages", "journalAbbreviation", "publicationTitle",
        "manuscriptType", "genre", "number", "section", "citationKey", "PMID", "PMCID",
    }
)  # fmt: skip
BOOKKEEPING = frozenset(
    {"key", "version", "itemType", "creators", "tags", "collections", "relations", "dateAdded",
     "dateModified", "deleted", "parentItem", "inPublications"}
)  # fmt: skip


def require_fixtures() -> Path:
    """The recorded responses, or skip: the stand-in copies their shapes."""
    if not FIXTURES.is_dir():
        pytest.skip(f"Zotero API fixtures not found at {FIXTURES} (../shared beside the repo)")
    return FIXTURES


def recorded(name: str) -> Any:
    """One recorded response body (JSON)."""
    return json.loads((require_fixtures() / name).read_text(encoding="utf-8"))


def _field_sets() -> dict[str, frozenset[str]]:
    article = recorded("papers-mcp-item.json")["data"]
    note = recorded("web-library-new-item-note.json")
    return {
        "journalArticle": frozenset(article) - BOOKKEEPING,
        "note": frozenset(note) - BOOKKEEPING,
    }


def new_key() -> str:
    """A Zotero object key (doc §3)."""
    return "".join(secrets.choice(KEY_CHARS) for _ in range(8))


@dataclass
class Library:
    """One Zotero library held in memory: objects by key, each with its own version."""

    kind: str  # "user" | "group"
    ident: int
    name: str
    version: int = 0
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> data
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)  # key -> library version of deletion

    @property
    def prefix(self) -> str:
        return f"{self.kind}s/{self.ident}"

    # -- what a co-author or a test does directly ---------------------------------------------

    def bump(self) -> int:
        self.version += 1
        return self.version

    def put(self, data: dict[str, Any]) -> dict[str, Any]:
        """Store (create or replace) one object as a client would have; returns its data."""
        data = copy.deepcopy(data)
        data.setdefault("key", new_key())
        data["version"] = self.bump()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        data.setdefault("dateAdded", now)
        data["dateModified"] = now
        data.setdefault("tags", [])
        data.setdefault("relations", {})
        if data.get("itemType") != "note" and "parentItem" not in data:
            data.setdefault("collections", [])
        self.objects[data["key"]] = data
        self.deleted.pop(data["key"], None)
        return data

    def edit(self, key: str, **changes: Any) -> dict[str, Any]:
        """A co-author's edit of one object (new version)."""
        data = copy.deepcopy(self.objects[key])
        data.update(changes)
        return self.put(data)

    def remove(self, key: str) -> None:
        """Delete an object and its children, as the server does (doc §8)."""
        version = self.bump()
        for k in [key, *(k for k, d in self.objects.items() if d.get("parentItem") == key)]:
            if self.objects.pop(k, None) is not None:
                self.deleted[k] = version

    def children(self, key: str) -> list[dict[str, Any]]:
        return [d for d in self.objects.values() if d.get("parentItem") == key]

    def top(self) -> list[dict[str, Any]]:
        return [d for d in self.objects.values() if "parentItem" not in d]

    def notes(self) -> list[dict[str, Any]]:
        return [d for d in self.objects.values() if d.get("itemType") == "note"]


@dataclass
class Hit:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int = 0
    body: Any = None


@dataclass
class Trouble:
    """Scripted trouble for requests whose method and path match: ``status`` (429, 503...)
    instead of the answer, or extra ``headers`` (``Backoff``) on the real answer; ``times``
    requests are affected (then the rule is spent)."""

    method: str = "*"
    path: str = ""  # a regular expression searched in the path (prefix stripped)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and self.method in ("*", method)
            and re.search(self.path, path) is not None
        )


@dataclass
class Before:
    """Something another client does just before a matching request is handled (a co-author's
    write: the cause of a real 412)."""

    method: str
    path: str
    action: Callable[[Library], None]
    times: int = 1


class ZoteroStandIn:
    """The server. ``libraries`` by prefix (``users/1``, ``groups/123``); ``keys`` maps an API
    key to the prefixes it may write; ``local`` names the library the local API serves."""

    def __init__(self, *, latency: float = 0.0) -> None:
        require_fixtures()
        self.fields = _field_sets()
        self.libraries: dict[str, Library] = {}
        self.keys: dict[str, set[str]] = {}
        self.local: str | None = None
        self.latency = latency
        self.trouble: list[Trouble] = []
        self.before: list[Before] = []
        self.hits: list[Hit] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None

    # -- set-up -----------------------------------------------------------------------------

    def library(
        self, prefix: str, *, name: str = "cytobib test", key: str | None = None
    ) -> Library:
        kind, ident = prefix.split("/")
        lib = Library(kind.rstrip("s"), int(ident), name)
        self.libraries[prefix] = lib
        if key is not None:
            self.keys.setdefault(key, set()).add(prefix)
        return lib

    def start(self) -> ZoteroStandIn:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- what tests read --------------------------------------------------------------------

    def writes(self) -> list[Hit]:
        """Requests that asked to change something (answered or not)."""
        return [h for h in self.hits if h.method in ("POST", "PATCH", "PUT", "DELETE")]

    def reset_log(self) -> None:
        with self.lock:
            self.hits.clear()

    # -- handling ---------------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        hit = Hit(method, parts.path, parse_qs(parts.query, keep_blank_values=True), headers)
        with self.lock:
            self.hits.append(hit)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            with self.lock:  # answers are serialised under the lock: no copies needed
                status, out_headers, payload = self._route(hit, body)
                hit.status = status
                hit.body = payload
                if payload is None or isinstance(payload, bytes):
                    data = payload or b""
                else:
                    data = json.dumps(payload).encode()
                    out_headers.setdefault("Content-Type", "application/json")
            return status, out_headers, data
        finally:
            with self.lock:
                self.in_flight -= 1

    def _route(self, hit: Hit, body: bytes) -> tuple[int, dict[str, str], Any]:
        path = hit.path
        local = path.startswith("/api/") or path == "/api"
        if local:
            path = path[len("/api") :]
        for rule in self.trouble:
            if rule.status is not None and rule.matches(hit.method, path):
                rule.times -= 1
                headers = {"Zotero-API-Version": "3", **rule.headers}
                return (
                    rule.status,
                    headers,
                    b"Too many requests" if rule.status == 429 else b"Service unavailable",
                )
        for step in self.before:
            match = (
                step.times > 0 and step.method in ("*", hit.method) and re.search(step.path, path)
            )
            if match:
                lib = self._library_of(path, local)
                if lib is not None:
                    step.times -= 1
                    step.action(lib)
        status, headers, payload = self._answer(hit, path, body, local)
        headers = {"Zotero-API-Version": "3", **headers}
        for rule in self.trouble:
            if rule.status is None and rule.matches(hit.method, path):
                rule.times -= 1
                headers.update(rule.headers)
        return status, headers, payload

    def _library_of(self, path: str, local: bool) -> Library | None:
        found = re.match(r"^/(users|groups)/(\d+)", path)
        if not found:
            return None
        prefix = f"{found.group(1)}/{found.group(2)}"
        if local and prefix == "users/0" and self.local:
            return self.libraries.get(self.local)
        return self.libraries.get(prefix)

    def _answer(
        self, hit: Hit, path: str, body: bytes, local: bool
    ) -> tuple[int, dict[str, str], Any]:
        if path == "/itemFields":
            fields = recorded("pyzotero-item_fields.json")
            extra = [{"field": f, "localized": f} for f in ("citationKey", "PMID", "PMCID")]
            return 200, {}, fields + extra
        lib = self._library_of(path, local)
        if lib is None:
            return 404, {}, b"Not found"
        if local:
            if hit.method != "GET":
                return 400, {}, b"Endpoint does not support method"
        else:
            key = hit.headers.get("zotero-api-key") or hit.headers.get(
                "authorization", ""
            ).removeprefix("Bearer ")
            if lib.prefix not in self.keys.get(key, set()):
                return 403, {}, b"Forbidden"
        rest = path[len("/" + path.split("/")[1] + "/" + path.split("/")[2]) :]
        handler = {
            "GET": self._get,
            "POST": self._post,
            "PATCH": self._patch,
            "DELETE": self._delete,
        }.get(hit.method)
        if handler is None:
            return 405, {}, b"Method not allowed"
        return handler(lib, rest, hit, body, local)

    # -- reads ------------------------------------------------------------------------------

    def _get(
        self, lib: Library, rest: str, hit: Hit, body: bytes, local: bool
    ) -> tuple[int, dict[str, str], Any]:
        q = {k: v[-1] for k, v in hit.query.items()}
        version = {"Last-Modified-Version": str(lib.version)}
        if rest == "/deleted":
            if local:
                return 404, {}, b"Not found"
            if "since" not in q:
                return 400, {}, b"'since' parameter must be provided"
            since = int(q["since"])
            items = sorted(k for k, v in lib.deleted.items() if v > since)
            return (
                200,
                version,
                {"collections": [], "items": items, "searches": [], "tags": [], "settings": []},
            )
        if rest in ("/collections", "/collections/top"):
            rows = sorted(lib.collections.values(), key=lambda c: c["key"])
            return self._page(lib, hit, q, [self._collection(lib, c) for c in rows])
        single = re.fullmatch(r"/items/([A-Z0-9]{8})", rest)
        if single:
            data = lib.objects.get(single.group(1))
            if data is None:
                return 404, {}, b"Not found"
            return 200, version, self._envelope(lib, data)
        children = re.fullmatch(r"/items/([A-Z0-9]{8})/children", rest)
        coll = re.fullmatch(r"/collections/([A-Z0-9]{8})/items(/top)?", rest)
        if children:
            rows = lib.children(children.group(1))
        elif coll:
            rows = [d for d in lib.objects.values() if coll.group(1) in d.get("collections", ())]
            if coll.group(2):
                rows = [d for d in rows if "parentItem" not in d]
        elif rest in ("/items", "/items/top"):
            rows = lib.top() if rest == "/items/top" else list(lib.objects.values())
        else:
            return 404, {}, b"Not found"
        if not q.get("includeTrashed"):
            rows = [d for d in rows if not d.get("deleted")]
        if "since" in q:
            rows = [d for d in rows if d["version"] > int(q["since"])]
        if "itemKey" in q:
            keys = [k for k in q["itemKey"].split(",") if k]
            if len(keys) > MAX_LIMIT:
                return 400, {}, b"Too many keys"
            rows = [d for d in rows if d["key"] in keys]
        since_header = hit.headers.get("if-modified-since-version")
        if since_header is not None and lib.version <= int(since_header):
            return 304, version, None
        fmt = q.get("format", "json")
        rows.sort(key=lambda d: (d.get("dateModified", ""), d["key"]))
        if fmt == "versions":
            return (
                200,
                {**version, "Total-Results": str(len(rows))},
                {d["key"]: d["version"] for d in rows},
            )
        if fmt == "keys":
            text = "".join(d["key"] + "\n" for d in rows)
            return 200, {**version, "Content-Type": "text/plain"}, text.encode()
        return self._page(lib, hit, q, [self._envelope(lib, d) for d in rows])

    def _page(
        self, lib: Library, hit: Hit, q: dict[str, str], rows: list[Any]
    ) -> tuple[int, dict[str, str], Any]:
        limit = min(max(int(q.get("limit", 25) or 25), 1), MAX_LIMIT)
        start = int(q.get("start", 0) or 0)
        headers = {"Last-Modified-Version": str(lib.version), "Total-Results": str(len(rows))}
        links = []

        def link(rel: str, at: int) -> None:
            query = {**q, "start": str(at), "limit": str(limit)}
            links.append(f'<{self.url}{hit.path}?{urlencode(query)}>; rel="{rel}"')

        if len(rows) > limit:
            link("first", 0)
            if start > 0:
                link("prev", max(start - limit, 0))
            if start + limit < len(rows):
                link("next", start + limit)
            link("last", (len(rows) - 1) // limit * limit)
        if links:
            headers["Link"] = ", ".join(links)
        return 200, headers, rows[start : start + limit]

    def _envelope(self, lib: Library, data: dict[str, Any]) -> dict[str, Any]:
        """An object as the API sends it (papers-mcp-item.json, web-library-...-note.json)."""
        base = f"https://api.zotero.org/{lib.prefix}/items/{data['key']}"
        out: dict[str, Any] = {
            "key": data["key"],
            "version": data["version"],
            "library": {
                "type": lib.kind,
                "id": lib.ident,
                "name": lib.name,
                "links": {
                    "alternate": {
                        "href": f"https://www.zotero.org/{lib.prefix}",
                        "type": "text/html",
                    }
                },
            },
            "links": {
                "self": {"href": base, "type": "application/json"},
                "alternate": {"href": base.replace("api.", "www."), "type": "text/html"},
            },
            "meta": {"numChildren": len(lib.children(data["key"]))},
            "data": dict(data),
        }
        if "parentItem" in data:
            out["links"]["up"] = {
                "href": f"https://api.zotero.org/{lib.prefix}/items/{data['parentItem']}",
                "type": "application/json",
            }
        creators = data.get("creators") or []
        if creators:
            names = [c.get("lastName") or c.get("name", "") for c in creators]
            out["meta"]["creatorSummary"] = names[0] + (
                " et al." if len(names) > 2 else f" and {names[1]}" if len(names) == 2 else ""
            )
        year = re.search(r"\d{4}(-\d{2})?", str(data.get("date", "")))
        if year:
            out["meta"]["parsedDate"] = year.group()
        return out

    def _collection(self, lib: Library, data: dict[str, Any]) -> dict[str, Any]:
        """A collection as pyzotero-collection_doc.json has it."""
        return {
            "key": data["key"],
            "version": data["version"],
            "library": {"type": lib.kind, "id": lib.ident, "name": lib.name},
            "meta": {
                "numCollections": 0,
                "numItems": sum(
                    1 for d in lib.objects.values() if data["key"] in d.get("collections", ())
                ),
            },
            "data": copy.deepcopy(data),
        }

    # -- writes -----------------------------------------------------------------------------

    def _precondition(self, lib: Library, hit: Hit) -> tuple[int, dict[str, str], Any] | None:
        expected = hit.headers.get("if-unmodified-since-version")
        if expected is not None and int(expected) != lib.version:
            return (
                412,
                {"Last-Modified-Version": str(lib.version)},
                (
                    "Library has been modified since specified version "
                    f"(expected {expected}, found {lib.version})"
                ).encode(),
            )
        return None

    def _post(
        self, lib: Library, rest: str, hit: Hit, body: bytes, local: bool
    ) -> tuple[int, dict[str, str], Any]:
        try:
            objects = json.loads(body)
        except ValueError:
            return 400, {}, b"Invalid JSON"
        if not isinstance(objects, list):
            return 400, {}, b"Uploaded data must be a JSON array"
        if len(objects) > MAX_WRITE:
            return 413, {}, f"Cannot add more than {MAX_WRITE} items at a time".encode()
        stale = self._precondition(lib, hit)
        if stale is not None:
            return stale
        header = hit.headers.get("if-unmodified-since-version")
        if rest == "/collections":
            result = _Result()
            for i, obj in enumerate(objects):
                key = obj.get("key") or new_key()
                data = {
                    "key": key,
                    "name": obj["name"],
                    "parentCollection": obj.get("parentCollection", False),
                    "relations": {},
                }
                data["version"] = lib.bump()
                lib.collections[key] = data
                result.ok(i, self._collection(lib, data))
            return 200, {"Last-Modified-Version": str(lib.version)}, result.body()
        if rest != "/items":
            return 404, {}, b"Not found"
        result = _Result()
        for i, obj in enumerate(objects):
            problem = self._object_problem(lib, obj, header is not None)
            if problem is not None:
                result.fail(i, obj.get("key"), *problem)
                continue
            key = obj.get("key") or new_key()
            old = lib.objects.get(key)
            merged = copy.deepcopy(old) if old else {}
            merged.update({k: v for k, v in obj.items() if k != "version"})
            merged["key"] = key
            if old is not None and all(
                old.get(k) == v for k, v in obj.items() if k not in ("version", "key")
            ):
                result.unchanged[str(i)] = key
                continue
            result.ok(i, self._envelope(lib, lib.put(merged)))
        return 200, {"Last-Modified-Version": str(lib.version)}, result.body()

    def _object_problem(self, lib: Library, obj: Any, versioned: bool) -> tuple[int, str] | None:
        if not isinstance(obj, dict):
            return 400, "Object must be a JSON object"
        key = obj.get("key")
        if key is not None and not re.fullmatch(f"[{KEY_CHARS}]{{8}}", str(key)):
            return 400, f"'{key}' is not a valid item key"
        old = lib.objects.get(key) if key else None
        version = obj.get("version")
        if old is not None:
            if version is None and not versioned:
                return (
                    428,
                    "Either If-Unmodified-Since-Version or 'version' property must be "
                    "provided for key-based writes",
                )
            if version is not None and int(version) != old["version"]:
                return (
                    412,
                    "Item has been modified since specified version "
                    f"(expected {version}, found {old['version']})",
                )
        elif version not in (None, 0):
            return 404, "Item doesn't exist (to create, use version 0 instead)"
        kind = obj.get("itemType", old.get("itemType") if old else None)
        if kind is None:
            return 400, "'itemType' property not provided"
        allowed = self.fields.get(kind, COMMON_FIELDS)
        for name in obj:
            if (
                name not in BOOKKEEPING
                and name not in allowed
                and not (kind == "note" and name == "note")
            ):
                return 400, f"'{name}' is not a valid field for type '{kind}'"
        parent = obj.get("parentItem")
        if parent and parent not in lib.objects:
            return 409, f"Parent item {parent} not found"
        if parent and obj.get("collections"):
            return 400, "Child items cannot be assigned to collections"
        for coll in obj.get("collections", ()):
            if coll not in lib.collections:
                return 409, f"Collection {coll} not found"
        if len(str(obj.get("note", ""))) > 500_000:
            return 413, "Note too long"
        for tag in obj.get("tags", ()):
            if len(tag.get("tag", "")) > 255:
                return 413, f"Tag '{tag['tag'][:20]}…' too long"
        return None

    def _patch(
        self, lib: Library, rest: str, hit: Hit, body: bytes, local: bool
    ) -> tuple[int, dict[str, str], Any]:
        single = re.fullmatch(r"/items/([A-Z0-9]{8})", rest)
        if not single:
            return 404, {}, b"Not found"
        old = lib.objects.get(single.group(1))
        if old is None:
            return 404, {}, b"Not found"
        changes = json.loads(body)
        expected = hit.headers.get("if-unmodified-since-version") or changes.get("version")
        if expected is None:
            return 428, {}, b"If-Unmodified-Since-Version not provided"
        if int(expected) != old["version"]:
            return (
                412,
                {"Last-Modified-Version": str(lib.version)},
                b"Item has been modified since specified version",
            )
        merged = {**old, **{k: v for k, v in changes.items() if k != "version"}}
        lib.put(merged)
        return 204, {"Last-Modified-Version": str(lib.version)}, None

    def _delete(
        self, lib: Library, rest: str, hit: Hit, body: bytes, local: bool
    ) -> tuple[int, dict[str, str], Any]:
        if rest != "/items":
            return 404, {}, b"Not found"
        if "if-unmodified-since-version" not in hit.headers:
            return 428, {}, b"If-Unmodified-Since-Version not provided"
        stale = self._precondition(lib, hit)
        if stale is not None:
            return stale
        keys = [k for k in hit.query.get("itemKey", [""])[-1].split(",") if k]
        if len(keys) > MAX_WRITE:
            return 413, {}, b"Too many keys"
        version = lib.bump()
        for key in keys:
            for k in [key, *(d["key"] for d in lib.children(key))]:
                if lib.objects.pop(k, None) is not None:
                    lib.deleted[k] = version
        return 204, {"Last-Modified-Version": str(lib.version)}, None


class _Result:
    """A write result with all four maps (web-library-test-user-add-new-item.json)."""

    def __init__(self) -> None:
        self.successful: dict[str, Any] = {}
        self.success: dict[str, str] = {}
        self.unchanged: dict[str, str] = {}
        self.failed: dict[str, Any] = {}

    def ok(self, i: int, envelope: dict[str, Any]) -> None:
        self.successful[str(i)] = envelope
        self.success[str(i)] = envelope["key"]

    def fail(self, i: int, key: str | None, code: int, message: str) -> None:
        entry: dict[str, Any] = {"code": code, "message": message}
        if key:
            entry = {"key": key, **entry}
        self.failed[str(i)] = entry

    def body(self) -> dict[str, Any]:
        return {
            "successful": self.successful,
            "success": self.success,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }


def _handler(server: ZoteroStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out, data = server.handle(self.command, self.path, headers, body)
            self.send_response(status)
            for name, value in out.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data and self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    return Handler


@contextmanager
def running(**options: Any) -> Iterator[ZoteroStandIn]:
    """A started stand-in (skips the test when the recorded responses are missing)."""
    server = ZoteroStandIn(**options).start()
    try:
        yield server
    finally:
        server.stop()


class FakeClock:
    """Monotonic time that moves only when slept on: every wait is recorded, none is slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


def client_for(
    server: ZoteroStandIn,
    library: str = "groups/123",
    key: str | None = "K" * 24,
    *,
    clock: FakeClock | None = None,
    local: bool = False,
    **transport: Any,
) -> Any:
    """A cytobib ZoteroClient over pyzotero's real HTTP path, pointed at the stand-in."""
    from cytobib.zotero import PoliteTransport, ZoteroClient, ZoteroSettings

    url = server.url + ("/api" if local else "")
    settings = ZoteroSettings(library, local=local, url=url)
    polite = PoliteTransport(clock=clock or FakeClock(), **transport)
    return ZoteroClient(settings, key, transport=polite)
