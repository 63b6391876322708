"""The agent vocabulary: canonical agents, their synonyms, classes and identifiers.

Annotations may name an agent by its id or any synonym ("IL-2", "Proleukin", "IFN-α");
everything downstream sees the canonical id. The packaged list (``data/agents.yaml``, documented
in docs/agents.md) is extended per project from ``[[agents]]`` tables in cytobib.toml or a YAML
file named by ``agents_file``; an entry with an existing id adds synonyms to it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class Vocabulary:
    """Agents by id, with a synonym index; built once per load."""

    agents: Mapping[str, Agent]
    classes: Mapping[str, str]
    index: Mapping[str, str]  # normalised name -> id

    def canonical(self, name: str) -> str | None:
        return self.index.get(normalize(name))

    def class_of(self, agent_id: str) -> str | None:
        agent = self.agents.get(agent_id)
        return agent.agent_class if agent else None

    def class_label(self, class_id: str) -> str:
        return self.classes.get(class_id, class_id)

    def ancestors(self, agent_id: str) -> list[str]:
        """The agent and its broader agents (pembrolizumab -> anti-pd-1), nearest first."""
        out: list[str] = []
        current: str | None = agent_id
        while current and current not in out:
            out.append(current)
            agent = self.agents.get(current)
            current = agent.parent if agent else None
        return out

    def matches(self, agent_id: str, query: str) -> bool:
        """True if ``query`` (any synonym) names this agent or one of its broader agents."""
        wanted = self.canonical(query) or normalize(query)
        return wanted in self.ancestors(agent_id) or normalize(agent_id) == normalize(query)

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        from rapidfuzz import fuzz, process

        choices = list(self.index)
        found = process.extract(normalize(name), choices, scorer=fuzz.ratio, limit=limit * 3)
        out: list[str] = []
        for choice, score, _ in found:
            agent_id = self.index[choice]
            if score >= 60 and agent_id not in out:
                out.append(agent_id)
        return out[:limit]


def _as_agent(raw: Mapping[str, Any], where: str) -> Agent:
    if not isinstance(raw.get("id"), str) or not raw["id"].strip():
        raise ConfigError(
            "An agent in the vocabulary has no 'id'.",
            where=Where(where),
            hint='Give each agent an id, e.g. id = "aldesleukin".',
        )
    ids = raw.get("identifiers") or {}
    return Agent(
        id=raw["id"].strip(),
        label=str(raw.get("label") or raw["id"]),
        agent_class=str(raw.get("class") or "other"),
        parent=raw.get("parent") or None,
        targets=tuple(str(t) for t in raw.get("targets") or ()),
        synonyms=tuple(str(s) for s in raw.get("synonyms") or ()),
        identifiers={k: str(v) for k, v in ids.items() if v},
        note=str(raw.get("note") or ""),
    )


def _safe_load(text: str) -> Any:
    """Safe loading with libyaml when available (10x faster than the pure-Python loader)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


@lru_cache(maxsize=1)
def _packaged() -> tuple[tuple[Agent, ...], tuple[tuple[str, str], ...]]:
    text = resources.files("cytobib").joinpath("data/agents.yaml").read_text(encoding="utf-8")
    data = _safe_load(text) or {}
    agents = tuple(_as_agent(a, "cytobib/data/agents.yaml") for a in data.get("agents", []))
    classes = tuple((str(k), str(v)) for k, v in (data.get("classes") or {}).items())
    return agents, classes


def build(extra: Iterable[Mapping[str, Any]] = (), *, extra_file: Path | None = None) -> Vocabulary:
    """The packaged vocabulary plus the project's own agents."""
    agents_list, classes_list = _packaged()
    agents: dict[str, Agent] = {a.id: a for a in agents_list}
    classes = dict(classes_list)
    user: list[tuple[Mapping[str, Any], str]] = [(a, "cytobib.toml [[agents]]") for a in extra]
    if extra_file is not None:
        try:
            data = _safe_load(extra_file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(
                f"Cannot read the agents file: {exc}.",
                where=Where(str(extra_file)),
                hint="Check agents_file in cytobib.toml.",
            ) from None
        items = data.get("agents", []) if isinstance(data, dict) else data
        if isinstance(data, dict):
            classes.update({str(k): str(v) for k, v in (data.get("classes") or {}).items()})
        user += [(a, str(extra_file)) for a in items if isinstance(a, dict)]
    for raw, where in user:
        agent = _as_agent(raw, where)
        if agent.id in agents:
            old = agents[agent.id]
            merged_syn = tuple(dict.fromkeys(old.synonyms + agent.synonyms))
            agents[agent.id] = replace(
                old,
                synonyms=merged_syn,
                label=str(raw.get("label") or old.label),
                agent_class=str(raw.get("class") or old.agent_class),
                parent=raw.get("parent") or old.parent,
            )
        else:
            agents[agent.id] = agent
    index: dict[str, str] = {}
    for agent in agents.values():
        for name in (agent.id, agent.label, *agent.synonyms):
            index.setdefault(normalize(name), agent.id)
    # Ids always win over a synonym of another agent.
    for agent in agents.values():
        index[normalize(agent.id)] = agent.id
    return Vocabulary(agents, classes, index)
