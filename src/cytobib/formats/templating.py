"""Jinja2 templates for the layout of an item, overridable per project.

A project can copy any file from ``cytobib/templates/`` into ``<project>/templates/`` and edit
it (docs/templates.md lists the variables). Every ``{{ value }}`` is escaped for the target
format by the environment's ``finalize`` (HTML uses autoescape), so a user's template cannot
let a title or note inject markup; values already rendered for the target are ``Markup``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

# What ``getattr`` finds on a plain dict: any other ``{{ d.name }}`` is the item ``d["name"]``.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """An environment that looks up ``{{ claim.text }}`` on a plain dict without first
    raising and catching an AttributeError, as the base class does (the result is the same)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except LookupError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def environment(target: str, escape: Callable[[str], str], root: Path | None) -> jinja2.Environment:
    """An environment for one render: ``escape`` is applied to every value that is not
    ``Markup``, and its results are remembered for the life of the environment (a reading
    list repeats agent labels, evidence levels and, for works in several groups, whole
    annotations), so ``escape`` must be a pure function of its argument."""
    loaders: list[jinja2.BaseLoader] = []
    if root is not None and (root / "templates").is_dir():
        loaders.append(jinja2.FileSystemLoader(str(root / "templates")))
    loaders.append(jinja2.PackageLoader("cytobib", "templates"))

    escaped: dict[str, str] = {}

    def finalize(value: Any) -> Any:
        if type(value) is str:  # not Markup, a str subclass
            try:
                return escaped[value]
            except KeyError:
                result = escaped[value] = escape(value)
                return result
        if value is None:
            return ""
        if isinstance(value, Markup):
            return value
        return escape(str(value))

    if target == "html":
        env = _Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
    else:
        # autoescape is HTML-only; here finalize escapes every value for the target instead.
        env = _Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,
            finalize=finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
    return env


def item_context(
    item: Any,
    citation: Markup,
    vocabulary: Any,
    works: dict[int, tuple[Any, dict[str, Any]]] | None = None,
    clean: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """The variables an item template sees (documented in docs/templates.md).

    ``works``, one empty dict per render, keeps what depends on the work alone for the next
    item of the same work (a work can sit in several groups); that part is then shared, so
    a template must not modify the lists and dicts it is given. ``clean``, if given, is
    applied to each variable's value (once per work for the shared part).
    """
    record = item.record
    cached = works.get(id(record)) if works is not None else None
    if cached is not None and cached[0] is record:
        work = cached[1]
    else:
        work = _work_context(record, vocabulary)
        if clean is not None:
            work = {name: clean(value) for name, value in work.items()}
        if works is not None:
            works[id(record)] = (record, work)
    number, label, short, warning, note = (
        item.number,
        item.reference.label,
        item.short,
        item.warning,
        item.note,
    )
    if clean is not None:
        number, label, citation = clean(number), clean(label), clean(citation)
        short, warning, note = clean(short), clean(warning), clean(note)
    return {
        "key": work["key"],
        "number": number,
        "label": label,
        "citation": citation,
        "short": short,
        "doi": work["doi"],
        "url": work["url"],
        "warning": warning,
        "note": note,
        "summary": work["summary"],
        "claims": work["claims"],
        "caveats": work["caveats"],
        "agents": work["agents"],
        "cancers": work["cancers"],
        "tags": work["tags"],
        "status": work["status"],
        "study_type": work["study_type"],
        "abstract": work["abstract"],
        "annotated": work["annotated"],
    }


def _work_context(record: Any, vocabulary: Any) -> dict[str, Any]:
    """The part of ``item_context`` that depends on the work (record) alone."""
    ann = record.annotation
    entry = record.entry
    agents = []
    if ann is not None:
        for use in ann.agents:
            agent = vocabulary.agents.get(use.id)
            agents.append(
                {
                    "id": use.id,
                    "label": agent.label if agent else use.name,
                    "role": use.role or "",
                    "dose": use.dose or "",
                    "route": use.route or "",
                }
            )
    return {
        "key": record.key,
        "doi": entry.doi,
        "url": f"https://doi.org/{entry.doi}" if entry.doi else entry.text("url"),
        "summary": ann.summary if ann else "",
        "claims": [
            {
                "text": c.text,
                "evidence": c.evidence or "",
                "numbers": c.numbers or "",
                "page": c.page or "",
                "quote": c.quote or "",
            }
            for c in (ann.claims if ann else ())
        ],
        "caveats": list(ann.caveats) if ann else [],
        "agents": agents,
        "cancers": list(ann.cancers) if ann else [],
        "tags": list(ann.tags) if ann else [],
        "status": (ann.status or "") if ann else "",
        "study_type": (ann.study_type or "") if ann else "",
        "abstract": entry.text("abstract"),
        "annotated": ann is not None,
    }
