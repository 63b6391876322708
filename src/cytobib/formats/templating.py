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


def environment(target: str, escape: Callable[[str], str], root: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if root is not None and (root / "templates").is_dir():
        loaders.append(jinja2.FileSystemLoader(str(root / "templates")))
    loaders.append(jinja2.PackageLoader("cytobib", "templates"))

    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, Markup):
            return value
        return escape(str(value))

    if target == "html":
        env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
    else:
        # autoescape is HTML-only; here finalize escapes every value for the target instead.
        env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,  # noqa: S701
            finalize=finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
    return env


def item_context(item: Any, citation: Markup, vocabulary: Any) -> dict[str, Any]:
    """The variables an item template sees (documented in docs/templates.md)."""
    record = item.record
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
        "number": item.number,
        "label": item.reference.label,
        "citation": citation,
        "short": item.short,
        "doi": entry.doi,
        "url": f"https://doi.org/{entry.doi}" if entry.doi else entry.text("url"),
        "warning": item.warning,
        "note": item.note,
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
