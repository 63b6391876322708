"""Zotero sync through its Web API: cytobib's notes and tags into a Zotero (group) library, and
items and note edits back, updated in place, never duplicated or overwritten.

Parts, each one thing:

* :mod:`~cytobib.zotero.settings`: the library (``users/ID``, ``groups/ID``), collection, URL
  and API key (``ZOTERO_API_KEY`` or the keyring; never written or printed);
* :mod:`~cytobib.zotero.transport`: the good citizen under pyzotero (one request in flight,
  ``Backoff``, ``Retry-After``, retries, bounded reads);
* :mod:`~cytobib.zotero.client`: the API calls the sync trusts, with pyzotero's data-losing
  habits fixed (per-object write results, 412s, list-delete versions);
* :mod:`~cytobib.zotero.mapping`: an entry and an item in the same flat terms, both ways;
* :mod:`~cytobib.zotero.match`: which item is which work (key, DOI, PMID, title+author+year);
* :mod:`~cytobib.zotero.notes`: cytobib's child note (:mod:`cytobib.zotero_note`) and the
  annotation file a co-author's edit changes;
* :mod:`~cytobib.zotero.state`: ``.cytobib/zotero.json``, identity and the merge base;
* :mod:`~cytobib.zotero.remote`: reading what changed since the last run;
* :mod:`~cytobib.zotero.push`, :mod:`~cytobib.zotero.pull`, :mod:`~cytobib.zotero.status`:
  the three commands.

The library functions are :func:`cytobib.zotero_push`, :func:`cytobib.zotero_pull` and
:func:`cytobib.zotero_status` (:mod:`cytobib.api`). API facts: ``shared/docs/zotero-web-api.md``.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cytobib.zotero.client import ZoteroClient
    from cytobib.zotero.pull import PullPlan, PullReport, plan_pull, pull
    from cytobib.zotero.push import FieldConflict, PushPlan, PushReport, plan_push, push
    from cytobib.zotero.settings import ZoteroSettings, api_key, zotero_settings
    from cytobib.zotero.status import StatusReport, status
    from cytobib.zotero.transport import PoliteTransport, TransportStats

# name -> module: loaded on first use, so that a missing pyzotero (or httpx2) is a clear
# UsageError from require(), not an ImportError while importing the package.
_NAMES = {
    "ZoteroClient": "client",
    "PullPlan": "pull",
    "PullReport": "pull",
    "plan_pull": "pull",
    "pull": "pull",
    "FieldConflict": "push",
    "PushPlan": "push",
    "PushReport": "push",
    "plan_push": "push",
    "push": "push",
    "ZoteroSettings": "settings",
    "api_key": "settings",
    "zotero_settings": "settings",
    "StatusReport": "status",
    "status": "status",
    "PoliteTransport": "transport",
    "TransportStats": "transport",
}


def require() -> None:
    """Check that pyzotero and its HTTP library can be imported.

    Raises:
        UsageError: they cannot; the hint says how to install them.
    """
    from cytobib.errors import UsageError

    missing = []
    for name in ("httpx2", "pyzotero"):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise UsageError(
            f"Zotero sync needs {' and '.join(missing)}, which cannot be imported.",
            hint="pyzotero pins bibtexparser < 2 while cytobib needs 2: install it without its "
            "dependencies, `pip install 'cytobib[zotero]' && pip install --no-deps "
            "'pyzotero>=1.16,<1.17'` (README, Zotero sync).",
        )


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'cytobib.zotero' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cytobib.zotero.{module}"), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """``push``, ``pull`` and ``status`` are functions here and modules below: importing the
    module (pull.py imports push.py) would otherwise make ``cytobib.zotero.push`` the module,
    and ``cytobib.zotero_push`` after a pull in one process failed ("'module' object is not
    callable"). The function wins: the module stays in ``sys.modules``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if _NAMES.get(name) == name and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "FieldConflict",
    "PoliteTransport",
    "PullPlan",
    "PullReport",
    "PushPlan",
    "PushReport",
    "StatusReport",
    "TransportStats",
    "ZoteroClient",
    "ZoteroSettings",
    "api_key",
    "plan_pull",
    "plan_push",
    "pull",
    "push",
    "require",
    "status",
    "zotero_settings",
]
