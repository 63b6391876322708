"""Annotation drafts from NLM's indexing of a work: MeSH, publication types and the abstract.

:func:`draft` is pure: a :class:`~cytobib.pubmed.records.PubMedRecord` and the vocabulary in,
:class:`Suggestion` values out, each with its evidence (the MeSH term, publication type or
sentence it came from), so a reader can judge it in a second. The rules:

* **agents**: a MeSH descriptor or a substance of the ``ChemicalList`` whose UI is an agent's
  ``identifiers.mesh``, or whose name is one of the vocabulary's synonyms ("Interleukin-2" ->
  aldesleukin). An agent whose MeSH id is its *target* (antibody classes: "Programmed Cell
  Death 1 Receptor" -> anti-PD-1) needs the qualifier "antagonists & inhibitors", so a paper
  on PD-1 biology does not become a checkpoint-inhibitor paper; "X/antagonists & inhibitors"
  names the agent "X inhibitors" when the vocabulary has one ("Janus Kinases" -> JAK
  inhibitors). Role ``primary`` when MeSH marks the heading as a major topic. Agents named in
  the title are suggested too, with the title as evidence (role ``primary``), and agents named
  in the abstract, with the sentence as evidence (no role: a name in passing is no study arm).
* **cancers**: MeSH descriptors (by UI or name: "Carcinoma, Renal Cell", "Melanoma", or a
  name inside it: "Triple Negative Breast Neoplasms" -> breast cancer) and cancers named in
  the title or the abstract, through the cancer vocabulary.
* Names in text: a short acronym counts only written as one ("All patients" is not ALL), and
  a name followed by "receptor" is not the agent (the IL-2 receptor is not IL-2).
* **study type** from publication types first (Meta-Analysis, Systematic Review, Review,
  Clinical Trial*/Randomized Controlled Trial, Case Reports, Observational Study, Editorial,
  News...; a Review also typed as a trial is a review, as NLM long typed reviews of trials),
  then MeSH check tags and study designs: Animals (or Mice, Rats) without a clinical
  type -> preclinical; cell lines without animals -> in-vitro; cohort, retrospective,
  prospective and case-control studies -> observational. The evidence level of claims follows
  from it (clinical-trial, review, preclinical-in-vivo...).
* **claims**: sentences of the abstract that report numbers (patients, response rates,
  survival, doses), quoted whole, with the numbers listed, marked ``source: abstract``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cytobib.pubmed.records import PubMedRecord
from cytobib.vocabulary import Vocabulary, normalize

__all__ = ["FIELDS", "Suggestion", "draft", "evidence_level", "study_type"]

FIELDS = ("agents", "cancers", "study_type", "claims")
"""The annotation fields suggest may fill, in the order they are written."""

_TARGET_CLASSES = frozenset({"immune-checkpoint-inhibitor", "monoclonal-antibody"})
_BLOCKING = "antagonists & inhibitors"

_TYPE_RULES: tuple[tuple[str, str], ...] = (
    ("meta-analysis", "meta-analysis"),
    ("systematic review", "systematic-review"),
    ("randomized controlled trial", "clinical-trial"),
    ("clinical trial", "clinical-trial"),
    ("controlled clinical trial", "clinical-trial"),
    ("case reports", "case-report"),
    ("observational study", "observational"),
    ("review", "review"),
    ("editorial", "editorial"),
    ("news", "news"),
    ("comment", "perspective"),
    ("letter", "perspective"),
)
_ANIMALS = frozenset({"animals", "mice", "rats", "mice, inbred c57bl", "mice, inbred balb c"})
_CELLS = frozenset({"cell line, tumor", "cells, cultured", "in vitro techniques", "cell line"})
_OBSERVATIONAL = frozenset(
    {"retrospective studies", "cohort studies", "prospective studies", "case-control studies"}
)
_EVIDENCE = {
    "meta-analysis": "meta-analysis",
    "systematic-review": "meta-analysis",
    "clinical-trial": "clinical-trial",
    "observational": "observational",
    "case-report": "case-report",
    "preclinical": "preclinical-in-vivo",
    "in-vitro": "in-vitro",
    "review": "review",
    "editorial": "expert-opinion",
    "perspective": "expert-opinion",
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
_NUMBER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("patients", re.compile(r"\b(\d[\d,]*)\s+(?:evaluable\s+|eligible\s+|consecutive\s+)?"
                            r"(?:patients|participants|subjects|individuals)\b", re.I)),
    ("n", re.compile(r"\bn\s*=\s*(\d[\d,]*)", re.I)),
    ("rate", re.compile(r"\b((?:overall |objective |complete |partial )?response rates?|"
                        r"ORR|CR rate)\b[^.;]*?(\d+(?:\.\d+)?\s*%)", re.I)),
    ("survival", re.compile(r"\b(median (?:overall |progression-free |disease-free |"
                            r"recurrence-free )?survival|(?:OS|PFS))\b[^.;]*?"
                            r"(\d+(?:\.\d+)?\s*(?:months?|years?|weeks?))", re.I)),
    ("hazard", re.compile(r"\b(hazard ratio|HR)\b[^.;]*?(\d+\.\d+)", re.I)),
    ("dose", re.compile(r"\b(\d+(?:\.\d+)?\s*(?:x\s*10\^?\d+\s*)?(?:MIU|IU|mg|µg|μg|U|MU)"
                        r"(?:/(?:m2|m\(2\)|kg|day|d))+)", re.I)),
)  # fmt: skip


@dataclass(frozen=True)
class Suggestion:
    """One drafted value of an annotation field, with the evidence it rests on."""

    field: str  # agents | cancers | study_type | claims
    value: Any  # {"name", "role"?} | cancer id | study type | {"text", "evidence", ...}
    evidence: str

    @property
    def label(self) -> str:
        """The value as a short line (for printing)."""
        if self.field == "agents":
            role = self.value.get("role")
            return str(self.value["name"]) + (f" ({role})" if role else "")
        if self.field == "claims":
            return str(self.value.get("numbers") or self.value["text"][:60])
        return str(self.value)


def study_type(record: PubMedRecord) -> tuple[str, str] | None:
    """(study type, evidence) from publication types, then MeSH check tags and designs."""
    types = [name.casefold() for name in record.type_names]
    for needle, kind in _TYPE_RULES:
        for name, original in zip(types, record.type_names, strict=True):
            if name == needle or (needle == "clinical trial" and name.startswith(needle)):
                if kind == "clinical-trial" and "review" in types:
                    # NLM long typed reviews of trials as trials too: such a work is a review.
                    return "review", f"publication type Review (beside {original})"
                return kind, f"publication type {original}"
    mesh = {h.descriptor.casefold(): h.descriptor for h in record.mesh}
    animals = sorted(mesh[m] for m in _ANIMALS & mesh.keys())
    if animals:
        return "preclinical", f"MeSH {', '.join(animals)}" + (
            "" if "humans" in mesh else " (no Humans)"
        )
    cells = sorted(mesh[m] for m in _CELLS & mesh.keys())
    if cells:
        return "in-vitro", f"MeSH {', '.join(cells)}"
    designs = sorted(mesh[m] for m in _OBSERVATIONAL & mesh.keys())
    if designs:
        return "observational", f"MeSH {', '.join(designs)}"
    return None


def evidence_level(kind: str | None) -> str | None:
    """The claims' evidence level for a study type (None: no level follows)."""
    return _EVIDENCE.get(kind or "")


def _agents(record: PubMedRecord, vocabulary: Vocabulary) -> list[Suggestion]:
    by_mesh: dict[str, str] = {}
    for agent in vocabulary.agents.values():
        ui = agent.identifiers.get("mesh")
        if ui:
            by_mesh.setdefault(ui, agent.id)
    found: dict[str, Suggestion] = {}

    def offer(agent_id: str, major: bool, evidence: str) -> None:
        role = "primary" if major else None
        old = found.get(agent_id)
        if old is None or (role and not old.value.get("role")):
            value = {"name": agent_id, **({"role": role} if role else {})}
            found[agent_id] = Suggestion("agents", value, evidence)

    for heading in record.mesh:
        agent_id = vocabulary.canonical(heading.descriptor)
        via_target = False
        if agent_id is None and heading.ui in by_mesh:
            agent_id = by_mesh[heading.ui]
            via_target = vocabulary.agents[agent_id].agent_class in _TARGET_CLASSES
        blocked = any(q.name == _BLOCKING for q in heading.qualifiers)
        if agent_id is None and blocked:  # "Janus Kinases/antagonists & inhibitors"
            agent_id = vocabulary.canonical(re.sub(r"s$", "", heading.descriptor) + " inhibitors")
        if agent_id is None:
            continue
        if via_target and not blocked:
            continue
        offer(agent_id, heading.major_topic, f"MeSH {heading.show()}")
    for ui, name in record.chemicals:
        agent_id = vocabulary.canonical(name) or (by_mesh.get(ui) if ui.startswith("C") else None)
        if agent_id is not None:
            offer(agent_id, False, f"substance {name}")
    for agent_id, name in _named_in(record.title, vocabulary.index):
        offer(agent_id, True, f'title: "{_short(record.title)}" ({name})')
    for agent_id, name, sentence in _named_in_abstract(record, vocabulary.index):
        offer(agent_id, False, f'abstract: "{_short(sentence)}" ({name})')
    return list(found.values())


def _cancers(record: PubMedRecord, vocabulary: Vocabulary) -> list[Suggestion]:
    cancers = vocabulary.cancers
    by_mesh = {
        c.identifiers["mesh"]: c.id for c in cancers.terms.values() if c.identifiers.get("mesh")
    }
    found: dict[str, Suggestion] = {}
    for heading in record.mesh:
        cancer_id = by_mesh.get(heading.ui) or cancers.canonical(heading.descriptor)
        if cancer_id is None:  # "Triple Negative Breast Neoplasms": the cancer it names
            cancer_id = next((c for c, _ in _named_in(heading.descriptor, cancers.index)), None)
        if cancer_id is not None and cancer_id not in found:
            found[cancer_id] = Suggestion("cancers", cancer_id, f"MeSH {heading.show()}")
    for cancer_id, name in _named_in(record.title, cancers.index):
        if cancer_id not in found:
            found[cancer_id] = Suggestion(
                "cancers", cancer_id, f'title: "{_short(record.title)}" ({name})'
            )
    for cancer_id, name, sentence in _named_in_abstract(record, cancers.index):
        if cancer_id not in found:
            found[cancer_id] = Suggestion(
                "cancers", cancer_id, f'abstract: "{_short(sentence)}" ({name})'
            )
    # A broader cancer whose narrower one is suggested too adds nothing.
    for cancer_id in list(found):
        if any(cancer_id in cancers.ancestors(other)[1:] for other in found if other != cancer_id):
            del found[cancer_id]
    return list(found.values())


_WORD = re.compile(r"[\w\u0370-\u03ff+]+(?:[-/][\w\u0370-\u03ff+]+)*")


def _named_in(text: str, index: Any) -> Iterable[tuple[str, str]]:
    """(id, words) for each vocabulary name spelled out in ``text``: runs of 1-5 words whose
    normalised form is a synonym; the longest run wins, ids once."""
    words = _WORD.findall(text)
    seen: set[str] = set()
    i = 0
    while i < len(words):
        for size in range(min(5, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + size])
            key = normalize(phrase)
            if len(key) >= 3 and key in index and _names(phrase, words[i + size : i + size + 1]):
                term = index[key]
                if term not in seen:
                    seen.add(term)
                    yield term, phrase
                i += size - 1
                break
        i += 1


_RECEPTOR = frozenset({"receptor", "receptors"})


def _names(phrase: str, after: list[str]) -> bool:
    """False for a match that is not the agent or cancer: a short acronym spelled as an
    ordinary word ("All" is not ALL), or a name followed by "receptor" (the IL-2 receptor is
    not IL-2)."""
    if phrase.isalpha() and len(phrase) <= 4 and (phrase.islower() or phrase.istitle()):
        return False
    return not (after and after[0].casefold() in _RECEPTOR)


def _named_in_abstract(record: PubMedRecord, index: Any) -> Iterable[tuple[str, str, str]]:
    """(id, words, sentence) for each vocabulary name in the abstract, first sentence wins."""
    seen: set[str] = set()
    for section in record.abstract:
        for sentence in _SENTENCE.split(section.text):
            for term, phrase in _named_in(sentence, index):
                if term not in seen:
                    seen.add(term)
                    yield term, phrase, sentence.strip()


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _claims(record: PubMedRecord, evidence: str | None) -> list[Suggestion]:
    out = []
    for section in record.abstract:
        for sentence in _SENTENCE.split(section.text):
            numbers = []
            for label, pattern in _NUMBER_PATTERNS:
                for match in pattern.finditer(sentence):
                    groups = [g for g in match.groups() if g]
                    text = " ".join(groups) if label not in ("patients", "n") else f"n={groups[0]}"
                    if text not in numbers:
                        numbers.append(text)
            if not numbers:
                continue
            claim: dict[str, str] = {"text": sentence.strip()}
            if evidence:
                claim["evidence"] = evidence
            claim.update({"numbers": "; ".join(numbers), "quote": sentence.strip()})
            claim["source"] = "abstract"
            where = f" ({section.label})" if section.label else ""
            out.append(Suggestion("claims", claim, f'abstract{where}: "{_short(sentence)}"'))
    return out


def draft(record: PubMedRecord, vocabulary: Vocabulary) -> tuple[Suggestion, ...]:
    """Every suggestion for one work, in :data:`FIELDS` order."""
    out: list[Suggestion] = []
    out += _agents(record, vocabulary)
    out += _cancers(record, vocabulary)
    kind = study_type(record)
    if kind is not None:
        out.append(Suggestion("study_type", kind[0], kind[1]))
    out += _claims(record, evidence_level(kind[0] if kind else None))
    return tuple(out)
