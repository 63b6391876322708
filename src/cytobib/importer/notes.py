"""Notes and tags from an import -> the annotation and the entry's ``keywords``.

The annotation is cytobib's note on the work, rebuilt exactly (:func:`cytobib.zotero_note.read`);
other notes are the reader's own words and become summary paragraphs. Tags are the entry's
keywords, as Zotero keeps them (one per tag, case kept), except the tags cytobib makes from an
annotation (``agent: …``, ``evidence: …``, its own tags), which come back with the note. A work
without notes gets no annotation, and nothing is invented for it (no reading status).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from cytobib import annotations as ann
from cytobib import latex, zotero_note
from cytobib.model import Annotation
from cytobib.zotero_note import NoteContent

_FACETS = ("agent:", "cancer:", "evidence:", "status:")


def annotation_data(note: NoteContent | None, free: Sequence[str]) -> dict[str, Any] | None:
    """The annotation a work's notes make (YAML-ready), or None when they make none: cytobib's
    note rebuilt, the other notes after its summary as paragraphs of their own."""
    data = dict(note.annotation) if note is not None and note.annotation is not None else {}
    paragraphs = [" ".join(line.strip() for line in text.split("\n")) for text in free]
    if paragraphs:
        summary = [data.pop("summary")] if data.get("summary") else []
        data = {"summary": "\n\n".join(summary + paragraphs), **data}
    return data or None


def keywords(tags: Sequence[str], note: NoteContent | None) -> list[str]:
    """The entry's keywords from the tags a file lists and cytobib's note on the work.

    Without the note every tag is a keyword. With it, the tags cytobib made from the annotation
    are left out, and the note's keyword list restores what the route lost: every keyword when
    the file has no tags at all (Zotero keeps none from CSL-JSON), and keywords holding a
    comma that Zotero's BibTeX export split in two.
    """
    tags = [t for t in tags if t.strip() and not t.lower().startswith("status: retracted")]
    if note is None:
        return list(dict.fromkeys(tags))
    listed = list(note.keywords or ())
    ann_tags = set((note.annotation or {}).get("tags", ()))
    if not tags:
        return listed
    tags = _rejoin(tags, [*listed, *ann_tags])
    kept = [t for t in tags if t in listed or not (t.lower().startswith(_FACETS) or t in ann_tags)]
    order = {k: i for i, k in enumerate(listed)}
    return sorted(dict.fromkeys(kept), key=lambda t: (order.get(t, len(order)), kept.index(t)))


def _rejoin(tags: list[str], known: Sequence[str]) -> list[str]:
    """Tags split at a comma by a route (Zotero's BibTeX export) joined back where the pieces
    in a row make a known keyword (``Muscle`` + ``Skeletal`` -> ``Muscle, Skeletal``)."""
    joined = {k for k in known if "," in k or ";" in k}
    if not joined:
        return tags
    out: list[str] = []
    i = 0
    while i < len(tags):
        for j in range(len(tags), i + 1, -1):
            for sep in (", ", "; "):
                if sep.join(tags[i:j]) in joined:
                    out.append(sep.join(tags[i:j]))
                    i = j
                    break
            else:
                continue
            break
        else:
            out.append(tags[i])
            i += 1
    return out


def render_keywords(tags: Sequence[str]) -> str:
    """Tags as a library.bib ``keywords`` value: comma-separated, LaTeX-escaped, a tag holding
    ``,`` or ``;`` braced so that it stays one tag."""
    return ", ".join(
        "{" + latex.escape(t) + "}" if "," in t or ";" in t else latex.escape(t) for t in tags
    )


def note_of(annotation: Annotation) -> NoteContent | None:
    """What cytobib's note says of an existing annotation (to compare with one imported)."""
    from cytobib.model import Entry, Record

    entry = Entry(annotation.key, "misc", {}, 0)
    return zotero_note.read(zotero_note.to_lines(zotero_note.blocks(Record(entry, annotation))))


def same_annotation(existing: Annotation, data: Mapping[str, Any]) -> bool:
    """True when an annotation file already says what the imported notes say (the fields the
    note carries; ``x-`` fields of the file are not compared)."""
    current = note_of(existing)
    return current is not None and dict(current.annotation or {}) == dict(data)


def _yaml_dumper() -> type:
    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: ~10x faster

    class Dumper(base):  # type: ignore[valid-type,misc]
        """Multi-line text as a literal block (``|``), as people write it by hand."""

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return Dumper


_Dumper = _yaml_dumper()


def stub_yaml(key: str, title: str, data: Mapping[str, Any], source: str, schema_ref: str) -> str:
    """The annotation file for imported notes: schema line, a comment, then the fields.

    Raises:
        ValueError: the data does not pass the annotation schema (never for data the note
            reader builds, which keeps only valid values).
    """
    problems = [] if ann._is_valid()(dict(data)) else list(ann._validator().iter_errors(dict(data)))
    if problems:
        raise ValueError(f"invalid annotation for {key}: {problems[0].message}")
    body = yaml.dump(dict(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96)
    head = [
        ann.SCHEMA_COMMENT.format(ref=schema_ref),
        f"# {key}: {' '.join(title.split())[:90]}",
        f"# Written by `cytobib import` from {Path(source).name}.",
    ]
    return "\n".join(head) + "\n" + body
