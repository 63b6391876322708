"""Notes and tags from an import -> the fields of a new annotation stub.

The summary comes from the notes (cytobib's own exported sections - summary, key claims,
caveats, agents - are read back into their fields); agents, cancers and reading status from
facet tags (``agent: …``, ``cancer: …``, ``status: read``), other tags as tags.
"""

from __future__ import annotations

import html.parser
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cytobib import annotations as ann
from cytobib import latex
from cytobib.exports import SECTION_TITLES
from cytobib.importer.incoming import STATUS_LINE

_TITLE_KINDS = {title.casefold(): kind for kind, title in SECTION_TITLES.items()}
_SECTION_LINE = re.compile(
    r"^(" + "|".join(re.escape(t) for t in SECTION_TITLES.values()) + r"):\s*(.*)$",
    re.IGNORECASE,
)
_CLAIM = re.compile(
    r"^(?P<text>.*?)"
    r"(?: \[(?P<meta>(?:evidence: |p\. |numbers: )[^\[\]]*)\])?"
    r"(?: “(?P<quote>.*)”)?$"
)
_AGENT = re.compile(r"^(?P<name>[^()]*?)(?: \((?P<meta>(?:role|dose|route): .*)\))?$")
_AGENT_META = re.compile(r"(role|dose|route): (.*?)(?=; (?:role|dose|route): |$)")


class _HTMLLines(html.parser.HTMLParser):
    """Simple HTML notes -> lines: headings become "Title:", list items "- item"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.heading = False

    def flush(self, suffix: str = "") -> None:
        text = re.sub(r"\s+", " ", "".join(self.current)).strip()
        if text:
            self.lines.append(text + suffix)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "div", "br", "ul", "ol", "blockquote", "tr") or re.fullmatch(
            r"h[1-6]", tag
        ):
            self.flush()
        if re.fullmatch(r"h[1-6]", tag):
            self.heading = True
        elif tag == "li":
            self.flush()
            self.current.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            text = re.sub(r"\s+", " ", "".join(self.current)).strip()
            self.current = []
            if text:
                self.lines.append(text if text.endswith(":") else text + ":")
            self.heading = False
        elif tag in ("p", "div", "li", "ul", "ol", "blockquote", "tr"):
            self.flush()

    def handle_data(self, data: str) -> None:
        self.current.append(data)


def note_lines(note: str, *, is_html: bool) -> list[str]:
    """One note as lines of plain text (HTML converted; LaTeX decoded line by line)."""
    if is_html or re.search(r"<(p|h[1-6]|ul|li|br|div)\b", note, re.IGNORECASE):
        parser = _HTMLLines()
        parser.feed(note)
        parser.close()
        parser.flush()
        return parser.lines
    # Blank lines are kept: they separate paragraphs (and Zotero's notes, merged from repeated
    # annote fields).
    return [latex.to_text(line) if line.strip() else "" for line in note.splitlines()]


@dataclass
class Draft:
    summary: list[str] = field(default_factory=list)
    claims: list[dict[str, str]] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    agents: list[dict[str, str]] = field(default_factory=list)
    cancers: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    status: str | None = None

    def empty(self) -> bool:
        parts = (self.summary, self.claims, self.caveats, self.agents, self.cancers, self.tags)
        return not any(parts) and self.status is None


def _claim(text: str) -> dict[str, str]:
    match = _CLAIM.match(text)
    assert match is not None  # every part of the pattern is optional
    out = {"text": match.group("text").strip() or text}
    for part in (match.group("meta") or "").split("; "):
        if part.startswith("evidence: ") and part[10:] in ann.EVIDENCE_LEVELS:
            out["evidence"] = part[10:]
        elif part.startswith("p. "):
            out["page"] = part[3:]
        elif part.startswith("numbers: "):
            out["numbers"] = part[9:]
    if match.group("quote"):
        out["quote"] = match.group("quote")
    return out


def _agent(text: str) -> dict[str, str]:
    match = _AGENT.match(text)
    if match is None or not match.group("name").strip():
        return {"name": text}
    out = {"name": match.group("name").strip()}
    for key, value in _AGENT_META.findall(match.group("meta") or ""):
        out[key] = value.strip()
    return out


def _add_item(draft: Draft, section: str, line: str) -> None:
    """A ``- item`` line of a list section; a line without the dash continues the last item."""
    item = line[2:].strip() if line.startswith("- ") else line
    continues = not line.startswith("- ")
    if section == "claims":
        if continues and draft.claims:
            draft.claims[-1]["text"] += " " + item
        else:
            draft.claims.append(_claim(item))
    elif section == "agents":
        if continues and draft.agents:
            draft.agents[-1]["name"] += " " + item
        else:
            draft.agents.append(_agent(item))
    elif continues and draft.caveats:
        draft.caveats[-1] += " " + item
    else:
        draft.caveats.append(item)


def draft_annotation(notes: Iterable[str], tags: Iterable[str], *, is_html: bool) -> Draft:
    """Notes and tags from an import -> annotation fields (see the module docstring)."""
    draft = Draft()
    for note in notes:
        _read_note(draft, note_lines(note, is_html=is_html))
    _read_tags(draft, tags)
    return draft


def _read_note(draft: Draft, lines: Iterable[str]) -> None:
    """One note's lines: summary paragraphs, then any titled sections cytobib exported."""
    section = "summary"
    paragraph: list[str] = []
    for raw_line in lines:
        if not raw_line:
            if paragraph:
                draft.summary.append(" ".join(paragraph))
                paragraph = []
            continue
        if STATUS_LINE.match(raw_line):
            continue  # cytobib's retraction line: the retraction check owns that flag
        heading = _SECTION_LINE.match(raw_line)
        line = raw_line
        if heading:
            section = _TITLE_KINDS[heading.group(1).casefold()]
            line = heading.group(2).strip()
            if not line:
                continue
        if section == "summary":
            paragraph.append(line)
        else:
            _add_item(draft, section, line)
    if paragraph:
        draft.summary.append(" ".join(paragraph))


def _read_tags(draft: Draft, tags: Iterable[str]) -> None:
    """Facet tags to agents, cancers and status; other tags kept as tags."""
    named = {a["name"].casefold() for a in draft.agents}
    for tag in tags:
        _read_tag(draft, named, tag)


def _read_tag(draft: Draft, named: set[str], tag: str) -> None:
    facet, sep, value = tag.partition(":")
    facet, value = facet.strip().lower(), value.strip()
    if sep and value and facet == "agent":
        if value.casefold() not in named:
            draft.agents.append({"name": value})
            named.add(value.casefold())
    elif sep and value and facet == "cancer":
        draft.cancers.append(value)
    elif sep and value and facet == "status":
        if value in ann.STATUSES:
            draft.status = value
        # retracted/corrected: the retraction check owns that flag, never an import
    elif sep and facet == "evidence":
        pass  # derived from the claims' evidence on export
    elif tag.strip() and tag.strip() not in draft.tags:
        draft.tags.append(tag.strip())


def _yaml_dumper() -> type:
    class Dumper(yaml.SafeDumper):
        """Multi-line text as a literal block (``|``), as people write it by hand."""

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return Dumper


_Dumper = _yaml_dumper()


def stub_yaml(key: str, title: str, draft: Draft, source: str, schema_ref: str) -> str:
    """The annotation file for a draft: schema line, a comment, then the fields."""
    data: dict[str, Any] = {}
    if draft.summary:
        data["summary"] = "\n\n".join(draft.summary)
    data["status"] = draft.status or "to-read"
    for name in ("agents", "cancers", "claims", "caveats", "tags"):
        value = getattr(draft, name)
        if value:
            data[name] = value
    problems = list(ann._validator().iter_errors(data))
    if problems:  # cannot happen for drafts built above; never write an invalid file
        raise ValueError(f"invalid annotation draft for {key}: {problems[0].message}")
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96)
    head = [
        ann.SCHEMA_COMMENT.format(ref=schema_ref),
        f"# {key}: {' '.join(title.split())[:90]}",
        f"# Written by `cytobib import` from {Path(source).name}: check and complete.",
    ]
    return "\n".join(head) + "\n" + body
