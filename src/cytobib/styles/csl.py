"""CSL styles through pandoc: the style rewritten for cytobib, items chunked, results cached.

Numeric labels are returned apart from the text: the citation number is removed from the
style's bibliography layout and numbers follow the caller's list order, so no renderer can
glue "1." to the first author. Pandoc's disambiguation is superlinear in the size of one run,
so references are rendered in chunks that never split a group of items that could be
ambiguous with each other, several chunks at a time.
"""

from __future__ import annotations

import functools
import html
import os
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cytobib import progress
from cytobib.errors import StyleError
from cytobib.styles.cache import RENDER_VERSION, ReferenceCache, canonical, sha
from cytobib.styles.pandoc import (
    NO_PANDOC_HINT,
    engine_version,
    pandoc_path,
    pandoc_version,
    run_pandoc,
)
from cytobib.styles.resolve import CSL_NS, NS, Output, StyleRef, parse_csl

#: Items per pandoc run for styles without disambiguation (start-up cost vs parallelism).
_CHUNK = 1000
#: Items per pandoc run when groups must stay together: disambiguation is superlinear.
_GROUP_CHUNK = 300


@dataclass(frozen=True)
class Prepared:
    """A CSL style rewritten for cytobib, plus what the rewriting found out about it."""

    full: bytes  # the style without citation number and author substitution
    plain: bytes  # the same without disambiguation, for items nothing can be confused with
    numeric: bool
    disambiguates: bool


def _reachable_macros(root: ET.Element, start: ET.Element) -> list[ET.Element]:
    macros = {m.get("name"): m for m in root.iter(f"{NS}macro")}
    seen: dict[str, ET.Element] = {}
    todo = [start]
    while todo:
        node = todo.pop()
        for el in node.iter():
            name = el.get("macro")
            if name and name not in seen and name in macros:
                seen[name] = macros[name]
                todo.append(macros[name])
    return list(seen.values())


def _drop_citation_number(scope: ET.Element) -> bool:
    """Remove the citation number from a layout; True if it was printed (not just a sort key)."""
    printed = False
    for parent in list(scope.iter()):
        for child in list(parent):
            if child.get("variable") == "citation-number":
                parent.remove(child)
                printed |= child.tag in (f"{NS}text", f"{NS}number")
    return printed


@functools.cache
def prepare(path: Path, digest: str) -> Prepared:
    """Rewrite a style: number and author substitution are cytobib's job, not the engine's.

    ``digest`` is part of the cache key so an edited file is read again.
    """
    del digest
    ET.register_namespace("", CSL_NS)
    root = parse_csl(path, path.name)
    bib = root.find(f"{NS}bibliography")
    if bib is None:
        raise StyleError(
            f"The style {path.stem!r} has no bibliography layout, so it cannot format a "
            "reading list.",
            hint="Choose a style that produces a reference list (for example vancouver or apa).",
        )
    numeric = False
    for scope in [bib, *_reachable_macros(root, bib)]:
        numeric |= _drop_citation_number(scope)
    for attr in (
        "second-field-align",
        "subsequent-author-substitute",
        "subsequent-author-substitute-rule",
    ):
        bib.attrib.pop(attr, None)
    citation = root.find(f"{NS}citation")
    dis_attrs = [
        a
        for a in (citation.attrib if citation is not None else {})
        if a.startswith("disambiguate-") or a == "givenname-disambiguation-rule"
    ]
    disambiguates = bool(dis_attrs) or any(el.get("disambiguate") for el in root.iter())
    full = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    if citation is not None:
        for attr in dis_attrs:
            citation.attrib.pop(attr)
    plain = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Prepared(full, plain, numeric, disambiguates)


def _group_key(item: Mapping[str, Any]) -> list[str]:
    """Keys under which two items could render the same short cite (so need each other).

    Disambiguation only ever changes items whose cites would otherwise read the same, and an
    author-date cite always shows the year: the first author (or, without one, the start of
    the title and the container) together with the year is enough.
    """
    issued = item.get("issued")
    year = ""
    if isinstance(issued, Mapping):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = str(parts[0][0])
        else:
            year = str(issued.get("literal") or issued.get("raw") or "")
    for role in ("author", "editor", "translator", "director", "composer"):
        names = item.get(role)
        if isinstance(names, list) and names and isinstance(names[0], Mapping):
            first = names[0]
            fam = str(first.get("family") or first.get("literal") or "").strip()
            if fam:
                return [f"n:{unicodedata.normalize('NFC', fam).casefold()}|{year}"]
    title = " ".join(str(item.get("title", "")).casefold().split()[:2])
    keys = [f"t:{title}|{year}"]
    container = str(item.get("container-title", "")).casefold().strip()
    if container:
        keys.append(f"c:{container}|{year}")
    return keys


def ambiguity_groups(items: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """Connected components of items sharing a group key, each in list order."""
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, item in enumerate(items):
        for key in _group_key(item):
            if key in owner:
                a, b = find(i), find(owner[key])
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[key] = i
    comps: dict[int, list[int]] = {}
    for i in range(len(items)):
        comps.setdefault(find(i), []).append(i)
    return list(comps.values())


def _chunks(groups: list[list[int]], size: int) -> Iterator[list[int]]:
    """Pack whole groups into runs of about ``size`` items, never splitting a group."""
    current: list[int] = []
    for group in sorted(groups, key=len, reverse=True):
        if current and len(current) + len(group) > size:
            yield current
            current = []
        current.extend(group)
    if current:
        yield current


def render_csl(
    items: Sequence[Mapping[str, Any]],
    style: StyleRef,
    prepared: Prepared,
    plan: list[tuple[bool, list[int]]],
) -> dict[int, tuple[str, str]]:
    """Run the engine on the planned chunks (full style or not) in parallel threads."""
    binary = pandoc_path()
    if binary is None:
        raise StyleError("The CSL engine (pandoc) is not installed.", hint=NO_PANDOC_HINT)
    pandoc_version(binary)

    def run(task: tuple[bool, list[int]]) -> list[tuple[int, tuple[str, str]]]:
        use_full, indices = task
        batch = [_engine_item(items[i], f"c{n:06d}") for n, i in enumerate(indices)]
        xml = prepared.full if use_full else prepared.plain
        return list(zip(indices, run_pandoc(binary, xml, batch, style.name), strict=True))

    workers = max(1, min(len(plan), os.cpu_count() or 1, 4))
    results: dict[int, tuple[str, str]] = {}
    with progress.task("Formatting references", sum(len(i) for _, i in plan)) as shown:
        if workers == 1:
            for task in plan:
                results.update(run(task))
                shown.advance(len(task[1]))
            return results
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for part in pool.map(run, plan):
                results.update(part)
                shown.advance(len(part))
    return results


def _engine_item(item: Mapping[str, Any], ident: str) -> dict[str, Any]:
    out = dict(item)
    out["id"] = ident
    out.setdefault("type", "document")
    return out


def style_path(style: StyleRef) -> Path:
    if style.path is None:
        raise StyleError(f"The style {style.name!r} has no CSL file.")
    return style.path


def cached_engine_version(cache: ReferenceCache) -> str:
    """The engine version, remembered per binary (path, size, mtime) so warm runs spawn nothing."""
    path = pandoc_path()
    if path is None:
        raise StyleError("The CSL engine (pandoc) is not installed.", hint=NO_PANDOC_HINT)
    try:
        st = path.stat()
    except OSError as exc:
        raise StyleError(f"Cannot run pandoc at {path}.", hint=NO_PANDOC_HINT) from exc
    stamp = f"engine:{path}:{st.st_size}:{st.st_mtime_ns}"
    known = cache.meta_get(stamp)
    if known is not None:
        return known
    version = engine_version()
    cache.meta_put(stamp, version)
    return version


def format_csl(
    items: Sequence[Mapping[str, Any]], style: StyleRef, output: Output, cache: ReferenceCache
) -> list[tuple[str, str, str]]:
    """(text, html, "") per item: from the cache, else from the engine (and then cached)."""
    prepared = prepare(style_path(style), style.digest)
    base = (style.name, style.digest, cached_engine_version(cache), RENDER_VERSION, output)
    groups = ambiguity_groups(items) if prepared.disambiguates else [[i] for i in range(len(items))]
    cache_keys = _cache_keys(items, groups, base)
    hits = cache.get(cache_keys)
    if len(hits) == len(set(cache_keys)):
        return [hits[k] for k in cache_keys]
    needed = [g for g in groups if any(cache_keys[i] not in hits for i in g)]
    rendered = render_csl(items, style, prepared, _plan(needed))
    fresh: list[tuple[str, str, str, str]] = []
    for i, (text, markup) in rendered.items():
        body = (text, markup if output == "html" else html.escape(text, quote=False), "")
        hits[cache_keys[i]] = body
        fresh.append((cache_keys[i], *body))
    cache.put(fresh)
    return [hits[k] for k in cache_keys]


def _cache_keys(
    items: Sequence[Mapping[str, Any]], groups: Sequence[list[int]], base: tuple[str, ...]
) -> list[str]:
    """Per item: the style and engine (``base``), its content and, in a group, the group."""
    item_hashes = [sha(canonical({k: v for k, v in it.items() if k != "id"})) for it in items]
    context = [""] * len(items)
    for group in groups:
        if len(group) > 1:
            # The group's members and each item's place in it: two identical items (one work
            # under two keys) get different year suffixes, so they need different cache keys.
            ctx = sha(*(item_hashes[i] for i in group))
            for place, i in enumerate(group):
                context[i] = f"{ctx}:{place}"
    return [sha(*base, item_hashes[i], context[i]) for i in range(len(items))]


def _plan(groups: Sequence[list[int]]) -> list[tuple[bool, list[int]]]:
    """Engine runs: (use the full, disambiguating style?, item indices)."""
    singles = [g for g in groups if len(g) == 1]
    shared = [g for g in groups if len(g) > 1]
    # Slow (disambiguating) runs first, so the threads finish together.
    plan = [(True, c) for c in _chunks(shared, _GROUP_CHUNK)]
    return plan + [(False, c) for c in _chunks(singles, _CHUNK)]
