"""Where a sync goes (cytobib.zotero.settings): [zotero] in cytobib.toml, the options that
override it, the URLs from the environment, and the key from ZOTERO_API_KEY or the keyring
only."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from cytobib.errors import ConfigError, UsageError, ZoteroAuthError
from cytobib.library import settings as project_settings
from cytobib.zotero.settings import LOCAL_URL, WEB_URL, api_key, zotero_settings


def _config(make_project: Callable[..., Path], extra: str = "") -> object:
    return project_settings(make_project("", extra_toml=extra))


def test_library_and_collection_from_the_project(make_project: Callable[..., Path]) -> None:
    """[zotero] library and collection are read; options given to the call win."""
    config = _config(make_project, '[zotero]\nlibrary = "groups/123"\ncollection = "IL-2"\n')
    found = zotero_settings(config)  # type: ignore[arg-type]
    assert (found.library, found.collection, found.url) == ("groups/123", "IL-2", WEB_URL)
    assert (found.kind, found.ident) == ("group", "123")
    other = zotero_settings(config, library="users/9", collection="")  # type: ignore[arg-type]
    assert (other.library, other.collection, other.kind) == ("users/9", None, "user")


def test_a_library_is_required_and_must_be_an_id(make_project: Callable[..., Path]) -> None:
    """No library anywhere, or a name instead of an ID, is a usage error with the fix."""
    config = _config(make_project)
    with pytest.raises(UsageError, match="No Zotero library") as info:
        zotero_settings(config)  # type: ignore[arg-type]
    assert 'library = "groups/123"' in (info.value.hint or "")
    with pytest.raises(UsageError, match="users/ID or groups/ID"):
        zotero_settings(config, library="groups/my-team")  # type: ignore[arg-type]


def test_a_bad_zotero_table_is_a_config_error(make_project: Callable[..., Path]) -> None:
    """library = 123 (a number) names the file and says how to write it."""
    config = _config(make_project, "[zotero]\nlibrary = 123\n")
    with pytest.raises(ConfigError, match="must be a string"):
        zotero_settings(config)  # type: ignore[arg-type]


def test_urls_from_the_environment_and_the_local_api(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CYTOBIB_ZOTERO_URL moves the Web API; --local uses the desktop's local API, where the
    user library is users/0; a URL that is not http(s) is refused."""
    config = _config(make_project, '[zotero]\nlibrary = "users/42"\n')
    monkeypatch.setenv("CYTOBIB_ZOTERO_URL", "http://127.0.0.1:9/")
    assert zotero_settings(config).url == "http://127.0.0.1:9/"  # type: ignore[arg-type]
    local = zotero_settings(config, local=True)  # type: ignore[arg-type]
    assert (local.url, local.ident) == (LOCAL_URL, "0")
    monkeypatch.setenv("CYTOBIB_ZOTERO_URL", "file:///etc/passwd")
    with pytest.raises(UsageError, match="CYTOBIB_ZOTERO_URL"):
        zotero_settings(config)  # type: ignore[arg-type]


def test_key_from_the_environment_then_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """ZOTERO_API_KEY first (spaces stripped); else the keyring when it is installed; else,
    when required, an auth error saying where to put one."""
    monkeypatch.setenv("ZOTERO_API_KEY", "  abc123  \n")
    assert api_key(required=True) == "abc123"
    monkeypatch.delenv("ZOTERO_API_KEY")
    asked = []
    fake = types.ModuleType("keyring")
    fake.get_password = lambda service, user: asked.append((service, user)) or "from-keyring"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", fake)
    assert api_key(required=True) == "from-keyring"
    assert asked == [("cytobib", "zotero")]
    monkeypatch.setitem(sys.modules, "keyring", None)
    assert api_key(required=False) is None
    with pytest.raises(ZoteroAuthError, match="No Zotero API key") as info:
        api_key(required=True)
    assert "ZOTERO_API_KEY" in (info.value.hint or "")
