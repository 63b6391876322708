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

from cytobib.zotero.client import ZoteroClient
from cytobib.zotero.pull import PullPlan, PullReport, plan_pull, pull
from cytobib.zotero.push import FieldConflict, PushPlan, PushReport, plan_push, push
from cytobib.zotero.settings import ZoteroSettings, api_key, zotero_settings
from cytobib.zotero.status import StatusReport, status
from cytobib.zotero.transport import PoliteTransport, TransportStats

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
    "status",
    "zotero_settings",
]
