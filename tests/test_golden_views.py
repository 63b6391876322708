"""Golden files of the views rendered from a small hostile library (tests/data/views/): what
a reader gets in each format and in the styles reviewers ask for, reviewable by eye.

The library puts markup, LaTeX specials, non-ASCII and right-to-left text, a long author list,
empty and missing fields, a retracted work and agents the vocabulary does not know into every
view. After an intended change, regenerate with ``CYTOBIB_UPDATE_GOLDEN=1 pytest
tests/test_golden_views.py`` and read the diff. The shipped library is checked by meaning, not
by snapshot (tests/test_shipped_views.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cytobib import rendering, views
from cytobib.formats import registry
from cytobib.library import Project, open_project
from golden import assert_golden

DATA = Path(__file__).parent / "data" / "views"
EPOCH = "1763769600"  # 2025-11-22: a fixed date in outputs


@pytest.fixture(scope="module")
def project() -> Iterator[Project]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        yield open_project(DATA, store=None)


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _render(project: Project, view: object, fmt: str) -> str:
    out = rendering.render(view, registry.get(fmt), rendering.context(project))
    assert isinstance(out, str)
    return out


@pytest.mark.parametrize("style", ["vancouver", "apa", "nature", "plain"])
def test_reading_list_markdown_per_style(project: Project, style: str) -> None:
    """The Markdown reading list in each style matches its golden file."""
    view = views.reading_list(project, style=style, group_by="agent")
    assert_golden(f"hostile_{style}.md", _render(project, view, "md"))


@pytest.mark.parametrize("fmt", ["html", "tex", "txt"])
def test_reading_list_other_formats(project: Project, fmt: str) -> None:
    """The reading list in HTML, LaTeX and plain text (vancouver), every section shown."""
    view = views.reading_list(project, style="vancouver", group_by="agent", sections=views.SECTIONS)
    assert_golden(f"hostile_vancouver.{fmt}", _render(project, view, fmt))


@pytest.mark.parametrize("fmt", ["md", "csv", "html", "tex"])
def test_review_table_per_format(project: Project, fmt: str) -> None:
    """The review table, one row per agent and work, every column."""
    table = views.review_table(
        project, style="vancouver", rows="agent", columns=list(views.COLUMNS)
    )
    assert_golden(f"hostile_review-agent_vancouver.{fmt}", _render(project, table, fmt))


@pytest.mark.parametrize("fmt", ["md", "svg"])
def test_evidence_map(project: Project, fmt: str) -> None:
    """The agents x cancers evidence map."""
    emap = views.evidence_map(project, style="vancouver")
    assert_golden(f"hostile_evidence-map.{fmt}", _render(project, emap, fmt))


URL = "https://www.who.int/publications/i/item/who_il2~2020%20guide"


@pytest.mark.parametrize(
    ("fmt", "link"),
    [
        ("md", f"]({URL})"),
        ("html", f'href="{URL}"'),
        ("tex", "\\href{" + URL.replace("%", "\\%") + "}"),
    ],
)
def test_a_url_keeps_its_tilde(project: Project, fmt: str, link: str) -> None:
    """A '~' in a URL is a tilde, not BibTeX's tie: the link goes where the entry says (it
    went to ``who_il2%202020%20guide``)."""
    view = views.reading_list(project, style="vancouver", group_by=None)
    out = _render(project, view, fmt)
    assert link in out
    assert "who_il2%202020" not in out and "who_il2 2020" not in out
