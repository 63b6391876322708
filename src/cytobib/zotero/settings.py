"""Where to sync: the library, the collection, the API and the key.

The library and collection are project settings (``[zotero]`` in cytobib.toml), overridable per
call; the base URL and the key differ per person and come from the environment. The key is
read from ``ZOTERO_API_KEY``, else from the operating system's keyring when the ``keyring``
package is installed (service ``cytobib``, user ``zotero``); it is never written to a file or
printed, and only pyzotero's ``Authorization`` header carries it.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from cytobib.config import Config
from cytobib.errors import ConfigError, UsageError, Where, ZoteroAuthError

WEB_URL = "https://api.zotero.org"
LOCAL_URL = "http://127.0.0.1:23119/api"  # Zotero 7's local API (read-only)
URL_ENV = "CYTOBIB_ZOTERO_URL"
LOCAL_URL_ENV = "CYTOBIB_ZOTERO_LOCAL_URL"
KEY_ENV = "ZOTERO_API_KEY"
KEYRING_SERVICE = "cytobib"
KEYRING_USER = "zotero"

_LIBRARY = re.compile(r"(users|groups)/(\d+)")


@dataclass(frozen=True)
class ZoteroSettings:
    """One sync target: ``library`` is ``users/ID`` or ``groups/ID``; ``local`` reads Zotero
    7's local API (the user library is ``users/0`` there) instead of the Web API."""

    library: str
    collection: str | None = None
    local: bool = False
    url: str = WEB_URL

    @property
    def kind(self) -> str:
        """``user`` or ``group``, as pyzotero names them."""
        return self.library.split("/")[0].removesuffix("s")

    @property
    def ident(self) -> str:
        """The library's ID in requests (0 for the user library of the local API)."""
        if self.local and self.kind == "user":
            return "0"
        return self.library.split("/")[1]


def zotero_settings(
    config: Config,
    *,
    library: str | None = None,
    collection: str | None = None,
    local: bool = False,
) -> ZoteroSettings:
    """The project's ``[zotero]`` settings with the options given to this call.

    Raises:
        ConfigError: ``[zotero]`` in cytobib.toml is not a table of strings.
        UsageError: no library is set, or it is not ``users/ID`` or ``groups/ID``.
    """
    table = _table(config)
    shown = str(config.path or "cytobib.toml")
    library = library or _string(table, "library", shown)
    if collection is None:
        collection = _string(table, "collection", shown) or None
    if not library:
        raise UsageError(
            "No Zotero library is set.",
            hint='Add [zotero] library = "groups/123" (or "users/456") to cytobib.toml, or '
            "give --library. Your user ID is on zotero.org/settings/keys; group IDs are in "
            "the group's URL.",
        )
    if not _LIBRARY.fullmatch(library.strip()):
        raise UsageError(
            f"The Zotero library {library!r} is not users/ID or groups/ID.",
            hint='Write it as "users/123456" or "groups/123" (numbers, not names).',
        )
    env = LOCAL_URL_ENV if local else URL_ENV
    url = os.environ.get(env, "").strip() or (LOCAL_URL if local else WEB_URL)
    if not re.match(r"^https?://[^/\s]+", url):
        raise UsageError(f"{env} is not an http(s) URL.", hint=f"Unset {env} to use {url}.")
    return ZoteroSettings(library.strip(), (collection or "").strip() or None, local, url)


def api_key(*, required: bool) -> str | None:
    """The Zotero API key: ``ZOTERO_API_KEY``, else the OS keyring (if ``keyring`` is
    installed). Never printed; pass it only to the client.

    Raises:
        ZoteroAuthError: ``required`` and no key was found.
    """
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        key = _from_keyring() or ""
    if not key and required:
        raise ZoteroAuthError(
            "No Zotero API key was found.",
            hint=f"Create one with write access at zotero.org/settings/keys and set {KEY_ENV} "
            f"(or store it with `keyring set {KEYRING_SERVICE} {KEYRING_USER}`).",
        )
    return key or None


def _from_keyring() -> str | None:
    try:
        import keyring
    except ImportError:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception:  # a keyring backend may fail in many ways: no key from it, then
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _table(config: Config) -> dict[str, Any]:
    """``[zotero]`` of cytobib.toml (read here: the settings of one command)."""
    if config.path is None:
        return {}
    try:
        data = tomllib.loads(config.path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}  # load_config reported the file's own problem already
    table = data.get("zotero", {})
    if not isinstance(table, dict):
        raise ConfigError(
            "[zotero] must be a table.", where=Where(str(config.path)), hint="Write [zotero]."
        )
    return table


def _string(table: dict[str, Any], name: str, shown: str) -> str:
    value = table.get(name, "")
    if not isinstance(value, str):
        raise ConfigError(
            f"[zotero] {name} must be a string, not {type(value).__name__}.",
            where=Where(shown),
            hint=f'Write {name} = "...".',
        )
    return value
