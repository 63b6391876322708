"""Precision and recall of `cytobib suggest` on the labelled set in tests/data/suggest/.

Used by tests/test_suggest_quality.py (which keeps the numbers from regressing) and runnable
on its own to print the table in docs/suggest.md: ``python tests/suggest_eval.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cytobib.drafts import draft
from cytobib.pubmed.records import MeshHeading, PubMedRecord, Qualifier, Section, parse_efetch
from cytobib.vocabulary import Vocabulary, build

LABELLED = Path(__file__).with_name("data") / "suggest" / "labelled.yaml"
SHIPPED = LABELLED.with_name("shipped.yaml")
ANNOTATIONS = Path(__file__).resolve().parents[1] / "annotations"
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "pubmed"
FIELDS = ("agents", "cancers", "study_type")


def _heading(text: str) -> MeshHeading:
    """ "Interleukin-2/administration & dosage/therapeutic use*" as PubMed pages list it."""
    name, *qualifiers = text.split("/")
    major = name.endswith("*")
    return MeshHeading(
        name.rstrip("*"),
        major=major,
        qualifiers=tuple(Qualifier(q.rstrip("*"), major=q.endswith("*")) for q in qualifiers),
    )


def record_of(item: dict[str, Any]) -> PubMedRecord:
    """The PubMed record a labelled item stands for (parsed from the fixture, or rebuilt
    from the indexing its page lists, with the names its abstract uses as the abstract)."""
    if item["source"] == "fixture":
        return parse_efetch((FIXTURES / item["file"]).read_bytes()).records[item["pmid"]]
    return PubMedRecord(
        pmid=item["pmid"],
        title=item["title"],
        publication_types=tuple(("", t) for t in item.get("publication_types", [])),
        mesh=tuple(_heading(m) for m in item.get("mesh", [])),
        chemicals=tuple(("", s) for s in item.get("substances", [])),
        abstract=tuple(Section(name) for name in item.get("abstract_names", [])),
    )


@dataclass
class Score:
    """Counts for one field: true positives, false positives, false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def evaluate(vocabulary: Vocabulary | None = None) -> tuple[dict[str, Score], int]:
    """Scores per field over the labelled set, and the number of records."""
    vocabulary = vocabulary or build()
    items = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["records"]
    scores = {f: Score() for f in FIELDS}
    for item in items:
        suggestions = draft(record_of(item), vocabulary)
        for field in FIELDS:
            got = {s.value["name"] if field == "agents" else s.value
                   for s in suggestions if s.field == field}  # fmt: skip
            label = item[field]
            want = set(label) if isinstance(label, list) else {label}
            score = scores[field]
            score.tp += len(got & want)
            score.fp += len(got - want)
            score.fn += len(want - got)
    return scores, len(items)


def shipped_agreement(
    vocabulary: Vocabulary | None = None,
) -> list[tuple[str, str, set[str], set[str]]]:
    """(key, field, drafted, hand-written) for the shipped works PubMed records were read for."""
    vocabulary = vocabulary or build()
    rows = []
    for item in yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))["records"]:
        note = yaml.safe_load((ANNOTATIONS / f"{item['key']}.yaml").read_text(encoding="utf-8"))
        suggestions = draft(record_of(item), vocabulary)
        for field in FIELDS:
            got = {s.value["name"] if field == "agents" else s.value
                   for s in suggestions if s.field == field}  # fmt: skip
            value = note.get(field)
            if field == "agents":
                want = {a["name"] for a in value or []}
            elif field == "cancers":
                want = {vocabulary.cancers.canonical(c) or c for c in value or []}
            else:
                want = {value} if value else set()
            rows.append((item["key"], field, got, want))
    return rows


if __name__ == "__main__":
    table, count = evaluate()
    print(f"{count} records")
    print("| field | precision | recall | TP | FP | FN |")
    print("|---|--:|--:|--:|--:|--:|")
    for name, s in table.items():
        print(f"| {name} | {s.precision:.2f} | {s.recall:.2f} | {s.tp} | {s.fp} | {s.fn} |")
    print()
    print("| shipped work | field | drafted | hand-written |")
    print("|---|---|---|---|")
    for key, field, got, want in shipped_agreement():
        print(f"| {key} | {field} | {', '.join(sorted(got))} | {', '.join(sorted(want))} |")
