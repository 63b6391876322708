"""The `cytobib-annotated` pybtex style, found through pybtex's plugin entry points."""

from __future__ import annotations

from pathlib import Path

import pytest
from pybtex.database import parse_string
from pybtex.plugin import find_plugin

BIB = r"""
@article{rosenberg2014il2,
  author = {Rosenberg, Steven A.},
  title = {IL-2: The First Effective Immunotherapy for Human Cancer in T cells},
  journal = {J Immunol}, year = 2014, volume = 192, pages = {5451--5458},
  annote = {Field note: high-dose IL-2 gives durable responses.}
}
"""


def render(style_name: str, bib: str = BIB) -> str:
    style = find_plugin("pybtex.style.formatting", style_name)()
    data = parse_string(bib, "bibtex")
    formatted = style.format_bibliography(data)
    backend = find_plugin("pybtex.backends", "text")()
    return "\n".join(e.text.render(backend) for e in formatted)


def test_plugin_is_registered_and_prints_annote(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Outside a cytobib project the entry's annote field is printed under the reference."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CYTOBIB_PROJECT", raising=False)
    out = render("cytobib-annotated")
    assert "Notes:" in out and "durable responses" in out


def test_titles_are_not_lowercased(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Where plain unsrt writes "il-2" and "t cells", the annotated style keeps IL-2, T cells."""
    monkeypatch.chdir(tmp_path)
    assert "il-2" in render("unsrt").lower() and "IL-2" not in render("unsrt").split("Immuno")[0]
    out = render("cytobib-annotated")
    assert "IL-2" in out and "T cells" in out


def test_a_title_with_some_braces_keeps_its_other_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One braced word used to leave the rest unprotected: "{IL-2} ... T cells" printed
    "t cells". Protection goes word by word, as in the reading list's pybtex styles."""
    monkeypatch.chdir(tmp_path)
    bib = BIB.replace("title = {IL-2:", "title = {{IL-2}:").replace("Cancer in", "Cancer, IFN-λ in")
    out = render("cytobib-annotated", bib)
    assert "IL-2" in out and "T cells" in out and "IFN-λ" in out


def test_project_annotations_win(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside the cytobib repository, the YAML annotation's summary and claims are printed."""
    root = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("CYTOBIB_PROJECT", str(root))
    out = render("cytobib-annotated")
    assert "Field note" not in out
    assert "•" in out


def test_math_in_a_title_stays_one_protected_group() -> None:
    """Splitting `$... = 3$` at its spaces braced half a formula: pdflatex failed."""
    from cytobib.styles import protect_title

    assert protect_title(r"The $\mathrm{IC}_{50} = 3$ Threshold") == (
        r"{The} {$\mathrm{IC}_{50} = 3$} {Threshold}"
    )
    assert (
        protect_title(r"Costs of 5\$ and $x$ in T cells")
        == r"{Costs} of {5\$} and $x$ in {T} cells"
    )
