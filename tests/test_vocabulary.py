"""The agent vocabulary: synonym matching, project extensions, hierarchy, packaged data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from cytobib import open_project
from cytobib import vocabulary as voc
from cytobib.errors import ConfigError
from cytobib.vocabulary import Vocabulary, build, normalize


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return build()


@pytest.mark.parametrize(
    ("a", "b"),
    [("IFN-α", "ifn alpha"), ("IFN-α", "IFNalpha"), ("IL-2", "il2"), ("TNF-α", "tnf alfa")],
)
def test_normalize_equates_spellings(a: str, b: str) -> None:
    """Case, hyphens, spaces and Greek letters versus their names do not matter."""
    assert normalize(a) == normalize(b)


def test_normalize_keeps_plus() -> None:
    """A plus sign is significant (CD4+ is not CD4)."""
    assert normalize("CD4+") != normalize("CD4")


@pytest.mark.parametrize(
    ("name", "agent_id"),
    [
        ("IL-2", "aldesleukin"),
        ("Proleukin", "aldesleukin"),
        ("interleukin 2", "aldesleukin"),
        ("IFN-α", "interferon-alpha"),
        ("interferon alfa", "interferon-alpha"),
        ("Keytruda", "pembrolizumab"),
        ("aldesleukin", "aldesleukin"),
    ],
)
def test_canonical_resolves_synonyms(vocabulary: Vocabulary, name: str, agent_id: str) -> None:
    """Any synonym, label or id resolves to the canonical id."""
    assert vocabulary.canonical(name) == agent_id


def test_canonical_unknown_is_none(vocabulary: Vocabulary) -> None:
    """A name the vocabulary does not know resolves to None."""
    assert vocabulary.canonical("unobtainium") is None


def test_suggest_finds_typo(vocabulary: Vocabulary) -> None:
    """A misspelt agent gets the intended agent as the first suggestion."""
    assert vocabulary.suggest("pembrolizumob")[0] == "pembrolizumab"


def test_suggest_nothing_for_nonsense(vocabulary: Vocabulary) -> None:
    """A name unlike any agent gets no suggestions."""
    assert vocabulary.suggest("qqqqqqqqqq") == []


def test_ancestors(vocabulary: Vocabulary) -> None:
    """An agent's ancestors run from itself to its broadest class of drug."""
    assert vocabulary.ancestors("pembrolizumab") == ["pembrolizumab", "anti-pd-1"]


def test_matches_broader_agent(vocabulary: Vocabulary) -> None:
    """A query for a drug class matches a drug of that class, by any synonym."""
    assert vocabulary.matches("pembrolizumab", "PD-1 inhibitors")


def test_matches_not_narrower_agent(vocabulary: Vocabulary) -> None:
    """A query for one drug does not match its broader class."""
    assert not vocabulary.matches("anti-pd-1", "pembrolizumab")


def test_project_agent_is_added() -> None:
    """An [[agents]] entry with a new id becomes a resolvable agent."""
    vocabulary = build([{"id": "bempegaldesleukin", "label": "Bempeg", "synonyms": ["NKTR-214"]}])
    assert vocabulary.canonical("nktr 214") == "bempegaldesleukin"


def test_project_agent_extends_existing() -> None:
    """An [[agents]] entry with an existing id adds synonyms and keeps the packaged ones."""
    vocabulary = build([{"id": "aldesleukin", "synonyms": ["my IL-2 brand"]}])
    assert vocabulary.canonical("my IL-2 brand") == "aldesleukin"
    assert vocabulary.canonical("Proleukin") == "aldesleukin"


def test_id_wins_over_other_synonym() -> None:
    """An agent's id is never captured by another agent's synonym."""
    vocabulary = build([{"id": "x-drug", "synonyms": ["aldesleukin"]}])
    assert vocabulary.canonical("aldesleukin") == "aldesleukin"


def test_agent_without_id_is_config_error() -> None:
    """A project agent without an id is a ConfigError naming where it came from."""
    with pytest.raises(ConfigError, match="no 'id'") as info:
        build([{"label": "Nameless"}])
    assert "cytobib.toml" in str(info.value)


def test_agents_file_extends(tmp_path: Path) -> None:
    """agents_file adds agents (and classes) from a YAML file."""
    path = tmp_path / "agents.yaml"
    path.write_text(
        "classes:\n  vaccine: Vaccine\nagents:\n  - id: gp100\n    class: vaccine\n",
        encoding="utf-8",
    )
    vocabulary = build(extra_file=path)
    assert vocabulary.class_of("gp100") == "vaccine"
    assert vocabulary.class_label("vaccine") == "Vaccine"


def test_agents_file_unreadable_is_config_error(tmp_path: Path) -> None:
    """A missing agents file is a ConfigError, not an OSError."""
    with pytest.raises(ConfigError, match="Cannot read the agents file"):
        build(extra_file=tmp_path / "missing.yaml")


def test_toml_agents_reach_annotations(make_project: Callable[..., Path]) -> None:
    """An agent declared in cytobib.toml resolves inside annotations without a warning."""
    root = make_project(
        "@misc{k, title = {T}}\n",
        {"k": "agents:\n  - name: NKTR-214\n"},
        extra_toml='\n[[agents]]\nid = "bempegaldesleukin"\nsynonyms = ["NKTR-214"]\n',
    )
    library = open_project(root).library
    record = library.get("k")
    assert record is not None
    assert record.annotation is not None
    assert record.annotation.agents[0].id == "bempegaldesleukin"
    assert "unknown-agent" not in {i.code for i in library.issues}


# --- the packaged data -------------------------------------------------------------------------


def test_packaged_synonyms_are_unambiguous() -> None:
    """No normalised name in the packaged vocabulary belongs to two agents."""
    agents, _ = voc._packaged()
    owners: dict[str, set[str]] = defaultdict(set)
    for agent in agents:
        for name in (agent.id, agent.label, *agent.synonyms):
            owners[normalize(name)].add(agent.id)
    assert {name: ids for name, ids in owners.items() if len(ids) > 1} == {}


def test_packaged_parents_exist(vocabulary: Vocabulary) -> None:
    """Every parent named in the packaged vocabulary is itself an agent."""
    assert {a.parent for a in vocabulary.agents.values() if a.parent} <= set(vocabulary.agents)


def test_packaged_classes_are_declared(vocabulary: Vocabulary) -> None:
    """Every agent's class has a human label in the classes table."""
    assert {a.agent_class for a in vocabulary.agents.values()} <= set(vocabulary.classes)
