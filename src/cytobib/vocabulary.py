"""The vocabulary: canonical agents and cancers, their synonyms, classes and identifiers.

Annotations may name an agent or a cancer by its id or any synonym ("IL-2", "Proleukin",
"IFN-α"; "oesophageal cancer", "Esophageal Neoplasms"); everything downstream sees the canonical
id. The packaged lists (``data/agents.yaml`` and ``data/cancers.yaml``, documented in
docs/agents.md and docs/cancers.md) are extended per project from ``[[agents]]`` and
``[[cancers]]`` tables in cytobib.toml or YAML files named by ``agents_file`` and
``cancers_file``; an entry with an existing id adds synonyms to it. Both kinds share one
normalisation, one synonym index (``Terms``) and one "did you mean".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import yaml

from cytobib.errors import ConfigError, Where

_GREEK_NAMES = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "µ": "mu", "ω": "omega", "τ": "tau",
}  # fmt: skip


@lru_cache(maxsize=8192)
def normalize(name: str) -> str:
    """Matching form of a name: case, spaces, hyphens, slashes ignored; Greek letters spelled.

    "IFN-α" == "ifn alpha" == "IFNalpha"; "IL-2" == "il2"; "TNF-α" == "tnf alpha".
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = "".join(_GREEK_NAMES.get(ch, ch) for ch in text)
    text = text.replace("alfa", "alpha")
    return re.sub(r"[^0-9a-z+]", "", text)


@dataclass(frozen=True)
class Agent:
    """One canonical agent."""

    id: str
    label: str
    agent_class: str
    parent: str | None = None
    targets: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    identifiers: Mapping[str, str] = field(default_factory=dict)
    note: str = ""

    @property
    def term_class(self) -> str:
        return self.agent_class


@dataclass(frozen=True)
class Cancer:
    """One canonical cancer, or an umbrella term such as "solid tumours"."""

    id: str
    label: str
    cancer_class: str  # solid | haematological
    site: str = ""
    parent: str | None = None
    synonyms: tuple[str, ...] = ()
    identifiers: Mapping[str, str] = field(default_factory=dict)
    note: str = ""

    @property
    def term_class(self) -> str:
        return self.cancer_class


class Term(Protocol):
    """What the synonym index needs of a term (an Agent or a Cancer)."""

    @property
    def id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def synonyms(self) -> tuple[str, ...]: ...
    @property
    def term_class(self) -> str: ...


T = TypeVar("T", bound=Term)


@dataclass(frozen=True)
class Terms(Generic[T]):
    """One kind of canonical term by id, with its synonym index: the one implementation of
    matching, broader terms and "did you mean" that agents and cancers share."""

    terms: Mapping[str, T]
    classes: Mapping[str, str]
    index: Mapping[str, str]  # normalised name -> id

    def canonical(self, name: str) -> str | None:
        return self.index.get(normalize(name))

    def label_of(self, term_id: str) -> str:
        """The term's label, or the id itself for a name the vocabulary does not know."""
        term = self.terms.get(term_id)
        return term.label if term else term_id

    def labels(self, term_ids: Iterable[str]) -> tuple[str, ...]:
        """Labels of the given ids, each once, in order."""
        return tuple(dict.fromkeys(self.label_of(t) for t in term_ids))

    def class_of(self, term_id: str) -> str | None:
        term = self.terms.get(term_id)
        return term.term_class if term else None

    def class_label(self, class_id: str) -> str:
        return self.classes.get(class_id, class_id)

    def ancestors(self, term_id: str) -> list[str]:
        """The term and its broader terms (pembrolizumab -> anti-pd-1), nearest first."""
        out: list[str] = []
        current: str | None = term_id
        while current and current not in out:
            out.append(current)
            term = self.terms.get(current)
            current = term.parent if term else None
        return out

    def matches(self, term_id: str, query: str) -> bool:
        """True if ``query`` (any synonym) names this term or one of its broader terms."""
        wanted = self.canonical(query) or normalize(query)
        return wanted in self.ancestors(term_id) or normalize(term_id) == normalize(query)

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        from rapidfuzz import fuzz, process

        choices = list(self.index)
        found = process.extract(normalize(name), choices, scorer=fuzz.ratio, limit=limit * 3)
        out: list[str] = []
        for choice, score, _ in found:
            term_id = self.index[choice]
            if score >= 60 and term_id not in out:
                out.append(term_id)
        return out[:limit]


@dataclass(frozen=True)
class Vocabulary(Terms[Agent]):
    """The agent vocabulary (its own terms, as before cancers existed) and the cancers."""

    cancers: Terms[Cancer] = field(default_factory=lambda: Terms({}, {}, {}))

    @property
    def agents(self) -> Mapping[str, Agent]:
        return self.terms


@dataclass(frozen=True, eq=False)  # identity: a key of the packaged-data cache
class _Kind(Generic[T]):
    """How one kind of term is read: its YAML/TOML key, packaged file and fields."""

    name: str  # "agent": the unknown-agent code, messages
    plural: str  # "agents": the list key in YAML, the [[agents]] table, docs/agents.md
    make: Callable[[Mapping[str, Any], str], T]  # raw mapping (with an id) -> term
    overridable: Mapping[str, str]  # keys a project entry may change -> attribute
    example: str

    @property
    def packaged(self) -> str:
        return f"data/{self.plural}.yaml"


def _strs(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(str(s) for s in raw.get(key) or ())


def _ids(raw: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (raw.get("identifiers") or {}).items() if v}


def _make_agent(raw: Mapping[str, Any], term_id: str) -> Agent:
    return Agent(
        id=term_id,
        label=str(raw.get("label") or term_id),
        agent_class=str(raw.get("class") or "other"),
        parent=raw.get("parent") or None,
        targets=_strs(raw, "targets"),
        synonyms=_strs(raw, "synonyms"),
        identifiers=_ids(raw),
        note=str(raw.get("note") or ""),
    )


def _make_cancer(raw: Mapping[str, Any], term_id: str) -> Cancer:
    return Cancer(
        id=term_id,
        label=str(raw.get("label") or term_id),
        cancer_class=str(raw.get("class") or "other"),
        site=str(raw.get("site") or ""),
        parent=raw.get("parent") or None,
        synonyms=_strs(raw, "synonyms"),
        identifiers=_ids(raw),
        note=str(raw.get("note") or ""),
    )


AGENTS = _Kind[Agent](
    "agent",
    "agents",
    _make_agent,
    {"label": "label", "class": "agent_class", "parent": "parent"},
    'id = "aldesleukin"',
)
CANCERS = _Kind[Cancer](
    "cancer",
    "cancers",
    _make_cancer,
    {"label": "label", "class": "cancer_class", "parent": "parent", "site": "site"},
    'id = "renal-cell-carcinoma"',
)


def _as_term(kind: _Kind[T], raw: Mapping[str, Any], where: str) -> T:
    term_id = raw.get("id")
    if not isinstance(term_id, str) or not term_id.strip():
        raise ConfigError(
            f"One of the {kind.plural} in the vocabulary has no 'id'.",
            where=Where(where),
            hint=f"Give each {kind.name} an id, e.g. {kind.example}.",
        )
    return kind.make(raw, term_id.strip())


def _safe_load(text: str) -> Any:
    """Safe loading with libyaml when available (10x faster than the pure-Python loader)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


@lru_cache(maxsize=4)
def _packaged(kind: _Kind[Any] = AGENTS) -> tuple[tuple[Any, ...], tuple[tuple[str, str], ...]]:
    """The packaged terms and classes of a kind (agents unless told)."""
    text = resources.files("cytobib").joinpath(kind.packaged).read_text(encoding="utf-8")
    data = _safe_load(text) or {}
    where = f"cytobib/{kind.packaged}"
    terms = tuple(_as_term(kind, raw, where) for raw in data.get(kind.plural, []))
    classes = tuple((str(k), str(v)) for k, v in (data.get("classes") or {}).items())
    return terms, classes


def _build_terms(
    kind: _Kind[T], extra: Iterable[Mapping[str, Any]], extra_file: Path | None
) -> Terms[T]:
    """The packaged terms of a kind plus the project's own, indexed by every name."""
    packaged, packaged_classes = _packaged(kind)
    terms: dict[str, T] = {t.id: t for t in packaged}
    classes = dict(packaged_classes)
    user: list[tuple[Mapping[str, Any], str]] = [
        (raw, f"cytobib.toml [[{kind.plural}]]") for raw in extra
    ]
    if extra_file is not None:
        try:
            data = _safe_load(extra_file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(
                f"Cannot read the {kind.plural} file: {exc}.",
                where=Where(str(extra_file)),
                hint=f"Check {kind.plural}_file in cytobib.toml.",
            ) from None
        items = data.get(kind.plural, []) if isinstance(data, dict) else data
        if isinstance(data, dict):
            classes.update({str(k): str(v) for k, v in (data.get("classes") or {}).items()})
        user += [(raw, str(extra_file)) for raw in items if isinstance(raw, dict)]
    for raw, where in user:
        term = _as_term(kind, raw, where)
        old = terms.get(term.id)
        if old is None:
            terms[term.id] = term
            continue
        # An existing id: synonyms are added; label, class, parent (and site) may be changed.
        changes: dict[str, Any] = {
            attr: getattr(term, attr) for key, attr in kind.overridable.items() if raw.get(key)
        }
        synonyms = tuple(dict.fromkeys(old.synonyms + term.synonyms))
        terms[term.id] = replace(old, synonyms=synonyms, **changes)  # type: ignore[type-var]
    index: dict[str, str] = {}
    for term in terms.values():
        for name in (term.id, term.label, *term.synonyms):
            index.setdefault(normalize(name), term.id)
    # Ids always win over a synonym of another term.
    for term in terms.values():
        index[normalize(term.id)] = term.id
    return Terms(terms, classes, index)


def build(
    extra: Iterable[Mapping[str, Any]] = (),
    *,
    extra_file: Path | None = None,
    cancers: Iterable[Mapping[str, Any]] = (),
    cancers_file: Path | None = None,
) -> Vocabulary:
    """The packaged vocabulary plus the project's own agents (``extra``, ``extra_file``) and
    cancers (``cancers``, ``cancers_file``)."""
    agents = _build_terms(AGENTS, extra, extra_file)
    return Vocabulary(
        agents.terms, agents.classes, agents.index, _build_terms(CANCERS, cancers, cancers_file)
    )
