"""The Zotero API as the sync needs it, on pyzotero, with pyzotero's data-losing habits fixed.

pyzotero (1.16) makes the requests; this module chooses which of its calls to trust
(``shared/docs/zotero-web-api.md`` §12):

* writes go through ``create_items`` (a POST of at most 50 objects, updates included), never
  ``update_items``: that one checks no answer body and returns True for a chunk the server
  refused. Every POST carries ``If-Unmodified-Since-Version`` (the library version), and the
  answer's four maps are read: each object's own version from ``successful[i].version``
  (doc §4: per-object versions since 2026-03), ``unchanged``, and ``failed`` with its code;
* a 429 never reaches ``create_items`` (which would parse its text body as JSON): the
  transport (:mod:`cytobib.zotero.transport`) waits and resends;
* list deletes pass the *library* version (``last_modified=``): pyzotero's default is the first
  item's version, which is stale whenever anything else changed;
* a 412 (someone else wrote) is :class:`Stale`, for the sync to re-read and merge; a 403 is
  :class:`~cytobib.errors.ZoteroAuthError`; the rest are :class:`~cytobib.errors.ZoteroError`
  with a message that names the library, never the key.

Reads: ``format=versions`` (no limit), ``/deleted``, objects by ``itemKey`` (50 per request,
the documented limit), children, and paged listings that follow ``Link`` (``Total-Results``
sizes the progress bar).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cytobib.crossref.ratelimit import Clock
from cytobib.errors import (
    UsageError,
    ZoteroAuthError,
    ZoteroBadResponse,
    ZoteroError,
    ZoteroUnavailable,
)
from cytobib.zotero.settings import ZoteroSettings
from cytobib.zotero.transport import PoliteTransport, TransportStats

BATCH = 50  # objects per write and keys per itemKey read (doc §§5-6)
PAGE = 100  # the largest page the API gives (doc §5)
Progress = Callable[[int], None]


class Stale(Exception):
    """412: the library (or an object) changed since the version sent; re-read and merge."""


@dataclass(frozen=True)
class Failure:
    """One object a write refused: its position in the batch, key, HTTP code and message."""

    index: int
    key: str | None
    code: int
    message: str


@dataclass(frozen=True)
class WriteResult:
    """A batch write's answer: saved objects (``successful``: index -> object data with its
    new version), ``unchanged`` (index -> key), ``failed``, and the new library version."""

    successful: Mapping[int, Mapping[str, Any]]
    unchanged: Mapping[int, str]
    failed: tuple[Failure, ...]
    version: int


@dataclass
class Snapshot:
    """What a read of the library found: its version, the objects changed since the version
    asked for (key -> version), and the keys deleted since."""

    version: int
    changed: dict[str, int] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)


class ZoteroClient:
    """One Zotero library through pyzotero (see the module docstring).

    Args:
        settings: library, local or Web API, base URL.
        key: the API key (None for the local API or a public library).
        transport: the httpx2 transport under pyzotero; a :class:`PoliteTransport` over a real
            connection by default (tests give one over the stand-in).
        clock: monotonic time and sleep for the default transport's pauses.
    """

    def __init__(
        self,
        settings: ZoteroSettings,
        key: str | None,
        *,
        transport: PoliteTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        from cytobib.zotero import require

        require()
        import httpx2
        from pyzotero import zotero

        self.settings = settings
        self.transport = transport or PoliteTransport(clock=clock)
        http = httpx2.Client(
            transport=self.transport,
            follow_redirects=False,
            timeout=httpx2.Timeout(30.0, connect=10.0),
            trust_env=not settings.local,  # the local API is on loopback: no proxy
        )
        self.zot = zotero.Zotero(
            settings.ident, settings.kind, key, local=settings.local, client=http
        )
        self.zot.endpoint = settings.url
        self.version: int | None = None
        """The library version of the last answer that carried one."""

    @property
    def stats(self) -> TransportStats:
        return self.transport.stats

    def close(self) -> None:
        http = self.zot.client
        if http is not None:
            http.close()

    # -- reads -------------------------------------------------------------------------------

    def snapshot(self, since: int | None) -> Snapshot:
        """The library version and the objects changed since ``since`` (all when None), with
        the deletions since (the local API has no ``/deleted``: none are listed there)."""
        with self._calling("list the library's versions"):
            found = self.zot.item_versions(**({"since": since} if since is not None else {}))
        version = self._version_seen()
        snap = Snapshot(version, {str(k): int(v) for k, v in dict(found).items()})
        if since is not None and version != since and not self.settings.local:
            with self._calling("list deleted items"):
                deleted = self.zot.deleted(since=since)
            snap.deleted = {str(k) for k in (deleted or {}).get("items", [])}
        return snap

    def fetch(self, keys: Sequence[str], progress: Progress | None = None) -> list[dict[str, Any]]:
        """Full objects by key, 50 per request (trashed ones excluded, as the API does)."""
        out: list[dict[str, Any]] = []
        for i in range(0, len(keys), BATCH):
            batch = list(keys[i : i + BATCH])
            with self._calling(f"read {len(batch)} items"):
                found = self.zot.items(itemKey=",".join(batch), limit=BATCH)
            out += _objects(found)
            self._version_seen()
            if progress is not None:
                progress(len(batch))
        return out

    def everything(self, progress: Progress | None = None) -> list[dict[str, Any]]:
        """Every object, page by page (``Link: rel="next"``); for the local API, whose
        versions are not the Web API's (doc §11)."""
        with self._calling("read the library"):
            page = self.zot.items(limit=PAGE)
            out = _objects(page)
            self.version = self._version_seen()
            if progress is not None:
                progress(len(out))
            while self.zot.links and self.zot.links.get("next"):
                page = self.zot.follow()
                out += _objects(page)
                if progress is not None:
                    progress(len(page or []))
        return out

    def library_version(self) -> int:
        """The library's version now (one small request)."""
        with self._calling("read the library version"):
            self.zot.last_modified_version()
        return self._version_seen()

    def total(self) -> int | None:
        """``Total-Results`` of the last listing (None if it had none)."""
        request = self.zot.request
        value = request.headers.get("total-results") if request is not None else None
        return int(value) if value and value.isdigit() else None

    def children(self, key: str) -> list[dict[str, Any]]:
        """An item's child notes and attachments."""
        with self._calling(f"read the notes of item {key}"):
            found = self.zot.children(key, limit=PAGE)
            out = _objects(found)
            while self.zot.links and self.zot.links.get("next"):
                out += _objects(self.zot.follow())
        return out

    def collections(self) -> list[dict[str, Any]]:
        """Every collection (paged)."""
        with self._calling("list collections"):
            return _objects(self.zot.everything(self.zot.collections(limit=PAGE)))

    # -- writes ------------------------------------------------------------------------------

    def write(self, objects: Sequence[Mapping[str, Any]], version: int) -> WriteResult:
        """POST at most 50 objects (new ones, or updates carrying ``key`` and ``version``)
        with ``If-Unmodified-Since-Version: version``.

        Raises:
            Stale: the library changed since ``version`` (412): nothing was written.
        """
        self._writable()
        if len(objects) > BATCH:
            raise ValueError(f"at most {BATCH} objects per write")
        payload = [dict(o) for o in objects]
        with self._calling(f"write {len(payload)} objects"):
            answer = self.zot.create_items(payload, last_modified=version)
        new_version = self._version_seen()
        if not isinstance(answer, dict):
            raise ZoteroBadResponse(
                f"Zotero's answer to a write to {self.settings.library} is not a result object.",
                hint="Check CYTOBIB_ZOTERO_URL points at the Zotero API.",
            )
        successful = {
            int(i): dict(obj.get("data", obj))
            for i, obj in (answer.get("successful") or {}).items()
            if isinstance(obj, dict)
        }
        if not successful and answer.get("success"):  # a v2-era answer: keys only
            successful = {
                int(i): {"key": k, "version": new_version} for i, k in answer["success"].items()
            }
        unchanged = {int(i): str(k) for i, k in (answer.get("unchanged") or {}).items()}
        failed = tuple(
            Failure(int(i), f.get("key"), int(f.get("code", 0)), str(f.get("message", "")))
            for i, f in (answer.get("failed") or {}).items()
            if isinstance(f, dict)
        )
        return WriteResult(successful, unchanged, failed, new_version)

    def delete(self, keys: Sequence[str], version: int) -> int:
        """Delete up to 50 items (and their children) if the library is still at ``version``;
        returns the new library version.

        Raises:
            Stale: the library changed since ``version``: nothing was deleted.
        """
        self._writable()
        if len(keys) > BATCH:
            raise ValueError(f"at most {BATCH} keys per delete")
        payload = [{"key": k} for k in keys]  # no item versions: only the library's counts
        with self._calling(f"delete {len(keys)} items"):
            self.zot.delete_item(payload, last_modified=version)
        return self._version_seen()

    def create_collection(self, name: str, version: int) -> str:
        """A new top-level collection; its key."""
        self._writable()
        with self._calling(f"create the collection {name!r}"):
            answer = self.zot.create_collections([{"name": name}], last_modified=version)
        self._version_seen()
        done = (answer or {}).get("successful", {}).get("0") or {}
        key = done.get("key") or (answer or {}).get("success", {}).get("0")
        if not key:
            raise ZoteroBadResponse(
                f"Zotero did not create the collection {name!r} in {self.settings.library}.",
                hint=f"Its answer: {json.dumps((answer or {}).get('failed', {}))[:200]}",
            )
        return str(key)

    # -- plumbing ----------------------------------------------------------------------------

    def _writable(self) -> None:
        """Zotero 7's local API answers only GET (doc §11): refuse before sending anything."""
        if self.settings.local:
            raise UsageError(
                "Zotero's local API is read-only: cytobib writes through the Web API.",
                hint="Drop --local to push (pull and status can read the local API).",
            )

    def _version_seen(self) -> int:
        request = self.zot.request
        value = request.headers.get("last-modified-version") if request is not None else None
        if value is None or not str(value).strip().isdigit():
            if self.version is not None:
                return self.version
            raise ZoteroBadResponse(
                f"Zotero's answer for {self.settings.library} has no Last-Modified-Version.",
                hint="Check CYTOBIB_ZOTERO_URL points at the Zotero API.",
            )
        self.version = int(value)
        return self.version

    @contextlib.contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        """pyzotero's exceptions as cytobib's, naming the library (never the key)."""
        import httpx2
        from pyzotero import errors as ze

        library = ("the local Zotero's " if self.settings.local else "") + self.settings.library
        try:
            yield
        except ZoteroError:
            raise
        except ze.PreConditionFailedError:
            raise Stale(what) from None
        except ze.UserNotAuthorisedError:
            raise ZoteroAuthError(
                f"Zotero refused to {what} in {library} (HTTP 403).",
                hint=_auth_hint(self.settings),
            ) from None
        except ze.ResourceNotFoundError:
            raise ZoteroError(
                f"Zotero has no library {library} (HTTP 404) when asked to {what}.",
                hint="Check [zotero] library in cytobib.toml (users/ID or groups/ID).",
            ) from None
        except (ze.TooManyRetriesError, ze.TooManyRequestsError):
            raise ZoteroUnavailable(
                f"Zotero kept rate-limiting the request to {what} in {library}.",
                hint="Try again later; what was written so far is recorded.",
            ) from None
        except ze.UnsupportedParamsError as exc:
            detail = _detail(exc)
            if self.settings.local and "does not support method" in detail:
                raise UsageError(
                    "Zotero's local API is read-only; it cannot " + what + ".",
                    hint="Push through the Web API (drop --local).",
                ) from None
            raise ZoteroBadResponse(
                f"Zotero refused to {what} in {library} (HTTP 400): {detail}.",
                hint="This looks like a bug in cytobib; please report it with this message.",
            ) from None
        except ze.PyZoteroError as exc:
            raise ZoteroBadResponse(
                f"Zotero refused to {what} in {library}: {_detail(exc)}.",
                hint="Try again later; if it persists, report it with this message.",
            ) from None
        except ValueError:  # a body that is not JSON
            raise ZoteroBadResponse(
                f"Zotero's answer when asked to {what} in {library} is not JSON.",
                hint="A proxy or a wrong CYTOBIB_ZOTERO_URL may be in the way.",
            ) from None
        except httpx2.HTTPError as exc:  # refused connections, bad URLs
            where = "the local Zotero (is Zotero running, with the local API on?)"
            raise ZoteroUnavailable(
                f"Could not reach {where if self.settings.local else 'Zotero'} to {what} "
                f"({type(exc).__name__}).",
                hint="Check the connection and CYTOBIB_ZOTERO_URL, then try again.",
            ) from None


def _auth_hint(settings: ZoteroSettings) -> str:
    if settings.local:
        return "Turn on Settings > Advanced > 'Allow other applications ... to communicate'."
    return (
        "Check ZOTERO_API_KEY: the key must allow reading (and, to push, writing) "
        f"{settings.library} (zotero.org/settings/keys)."
    )


def _detail(exc: Exception) -> str:
    """The server's words from a pyzotero message (its lines: Code, URL, Method, Response)."""
    text = str(exc)
    lines = [ln for ln in text.splitlines() if ln.startswith(("Code:", "Response:"))]
    return " ".join(lines)[:300] or type(exc).__name__


def _objects(found: Any) -> list[dict[str, Any]]:
    if not isinstance(found, list):
        raise ZoteroBadResponse(
            "Zotero's answer is not a list of objects.",
            hint="Check CYTOBIB_ZOTERO_URL points at the Zotero API.",
        )
    return [
        {**o, "data": _data(o["data"])}
        for o in found
        if isinstance(o, dict) and isinstance(o.get("key"), str) and isinstance(o.get("data"), dict)
    ]


def _data(data: dict[str, Any]) -> dict[str, Any]:
    """An object's data with the shapes the sync reads, whatever the server sent: a list of
    ``{"tag": str}`` tags, a list of creator objects, a list of collection keys, an integer
    version. What has another shape is dropped, so a damaged or hostile item is read as far
    as it can be instead of ending the run with a crash."""
    out = dict(data)
    tags, creators, collections = data.get("tags"), data.get("creators"), data.get("collections")
    if "tags" in data:
        tags = tags if isinstance(tags, list) else []
        out["tags"] = [t for t in tags if isinstance(t, dict) and isinstance(t.get("tag"), str)]
    if "creators" in data:
        creators = creators if isinstance(creators, list) else []
        out["creators"] = [c for c in creators if isinstance(c, dict)]
    if "collections" in data:
        collections = collections if isinstance(collections, list) else []
        out["collections"] = [c for c in collections if isinstance(c, str)]
    version = data.get("version", 0)
    if "version" in data and (not isinstance(version, int) or isinstance(version, bool)):
        out["version"] = 0
    for name in ("key", "parentItem", "itemType", "note"):
        if name in data and not isinstance(data[name], str):
            del out[name]
    return out
