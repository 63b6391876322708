"""Golden files for what `cytobib build` renders from the shipped library, per format and
for the styles biomedical reviewers ask for. Regenerate with CYTOBIB_UPDATE_GOLDEN=1 and
review the diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from cytobib import rendering, views
from cytobib.formats import registry
from cytobib.library import Project, open_project
from golden import assert_golden

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project() -> Project:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1763769600")  # 2025-11-22: a fixed date in outputs
        yield open_project(ROOT)


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1763769600")


@pytest.mark.parametrize("style", ["vancouver", "apa", "nature", "plain"])
def test_reading_list_markdown_per_style(project: Project, style: str) -> None:
    """The Markdown reading list in each style matches its golden file."""
    view = views.reading_list(project, style=style, group_by="agent")
    out = rendering.render(view, registry.get("md"), rendering.context(project))
    assert_golden(f"shipped_{style}.md", out)


@pytest.mark.parametrize("fmt", ["html", "tex", "txt"])
def test_reading_list_other_formats(project: Project, fmt: str) -> None:
    """The reading list in HTML, LaTeX and plain text (vancouver) matches its golden file."""
    view = views.reading_list(project, style="vancouver", group_by="agent")
    out = rendering.render(view, registry.get(fmt), rendering.context(project))
    assert isinstance(out, str)
    assert_golden(f"shipped_vancouver.{fmt}", out)
    if fmt == "txt":  # values are never broken inside a word (wordwrap once left "anti- EGFR")
        assert "anti-EGFR" in out and "anti- EGFR" not in out


@pytest.mark.parametrize("fmt", ["md", "csv", "html", "tex"])
def test_review_table_per_format(project: Project, fmt: str) -> None:
    """The per-agent review table matches its golden file."""
    table = views.review_table(project, style="vancouver", rows="agent")
    out = rendering.render(table, registry.get(fmt), rendering.context(project))
    assert isinstance(out, str)
    assert_golden(f"shipped_review-agent_vancouver.{fmt}", out)


@pytest.mark.parametrize("fmt", ["md", "svg"])
def test_evidence_map(project: Project, fmt: str) -> None:
    """The agents x cancers evidence map matches its golden file."""
    emap = views.evidence_map(project, style="vancouver")
    out = rendering.render(emap, registry.get(fmt), rendering.context(project))
    assert isinstance(out, str)
    assert_golden(f"shipped_evidence-map.{fmt}", out)


def test_titles_survive_every_style(project: Project) -> None:
    """IL-2 and IFN-λ are never lowercased, whichever style formats them."""
    for style in ("vancouver", "apa", "nature", "plain", "cell", "j-immunol", "ama"):
        refs = views.format_citations(project, list(project.library), style)
        text = " ".join(r.text for r in refs)
        assert "IL-2: The First" in text or "IL-2: the first" in text, style
        assert "IFN-λ" in text, style
        assert "il-2" not in text, style
