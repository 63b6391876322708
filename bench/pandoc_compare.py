"""Compare cytobib's formatted references with pandoc's own citeproc, entry by entry.

cytobib formats references with pandoc's citeproc, but not as a plain ``pandoc --citeproc``
would: it rewrites the style (no citation number, no author substitution), renders in chunks,
and builds the items itself (``cytobib.csl.to_csl``). This script measures what that changes
on a real library. It runs pandoc once over the whole library with the *original* style and
compares each entry's text (and, where the text agrees, its HTML) with what cytobib prints:

* ``--source csl-json`` (default): pandoc reads cytobib's CSL-JSON export (``cytobib
  export``), so only the adapter (style rewriting, chunking, engine-only data) can differ;
* ``--source bibtex``: pandoc reads the .bib file itself with its own BibTeX reader, so the
  two BibTeX-to-CSL mappings are compared too.

Each difference is put in a kind (an entry can show several); "unexplained" counts the entries
that still differ once every known kind is undone. docs/csl-engines.md explains each kind.

Run on demand (about a minute per style; APA's disambiguation over 1,445 entries is slow)::

    .venv/bin/python bench/pandoc_compare.py                  # the Zotero export, apa + vancouver
    .venv/bin/python bench/pandoc_compare.py --source bibtex
    .venv/bin/python bench/pandoc_compare.py --bib library.bib --style nature --examples 5
    .venv/bin/python bench/pandoc_compare.py --json out.json  # every difference, for review
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ZOTERO_BIB = HERE.parent.parent / "shared" / "data" / "gisurgonc-handbook-zotero.bib.gz"

sys.path.insert(0, str(HERE.parent / "src"))

from cytobib import views  # noqa: E402
from cytobib.exports import export  # noqa: E402
from cytobib.library import Project, open_project  # noqa: E402
from cytobib.styles import resolve_style  # noqa: E402
from cytobib.styles.pandoc import _references, pandoc_path  # noqa: E402


def pandoc_own(bibliography: Path, csl: Path, ids: list[str]) -> dict[str, tuple[str, str]]:
    """(text, HTML) per item id from one ``pandoc --citeproc`` run with the unchanged style."""
    binary = pandoc_path()
    if binary is None:
        raise SystemExit("pandoc not found (pip install pypandoc-binary)")
    doc = "---\nnocite: |\n  " + " ".join(f"@{i}" for i in ids) + "\n---\n"
    out = subprocess.run(
        [str(binary), "--from", "markdown", "--to", "json", "--citeproc", "--csl", str(csl),
         "--bibliography", str(bibliography), "--metadata", "link-bibliography=false"],
        input=doc, capture_output=True, text=True, encoding="utf-8", check=True,
    ).stdout  # fmt: skip
    return dict(_references(out, csl.stem))


_NUMBER = re.compile(r"^\d+\.\s+")  # the citation number, which cytobib returns apart
_DOI = re.compile(r"(10\.\d{4,9}/\S+)")
_PARTICLE = r"(?:van|de|der|den|la|von|del|da|di|le|do|dos|du|ten|te)"

# A kind: its name and a normaliser that undoes it on both sides (see explain()).
Kind = tuple[str, Callable[[str], str]]

KINDS: list[Kind] = [
    (
        "'and others' printed as the style's et al. (the CSL-JSON export has no marker)",
        lambda s: re.sub(r",? (?:&|and) [^.(]*(?= \(\d{4}\))|,? et al\.", "", s),
    ),
    (
        "DOI case (cytobib lower-cased DOIs before issue 14)",
        lambda s: _DOI.sub(lambda m: m.group().lower(), s),
    ),
    (
        "PMID/PMCID read from a PubMed or PMC URL (cytobib's mapping): no [Internet]",
        lambda s: re.sub(
            r"\.? Available from: \S+| \[Internet\]|"
            r" PubMed (?:Central )?PM(?:C)?ID: (?:PMC)?\d+\.?",
            "",
            s,
        ),
    ),
    (
        "access date (urldate: NLM's [cited ...], APA's Retrieved ...; cytobib before issue 14 "
        "dropped it)",
        lambda s: re.sub(r"\s*\[cited [^\]]*\]|(?<=Retrieved) [^,]*, \d{4}, from", "", s),
    ),
    (
        "pandoc's BibTeX reader capitalises the word after a colon, and title-cases journals",
        lambda s: "".join(
            part if _DOI.fullmatch(part) else part.casefold() for part in _DOI.split(s)
        ),
    ),
    (
        "name particles: BibTeX's von part is non-dropping in cytobib (as in Zotero), "
        "dropping in pandoc's BibTeX reader ('Wilk B van der')",
        lambda s: re.sub(rf"\b{_PARTICLE}\b\s*", "", s, flags=re.IGNORECASE),
    ),
    (
        "'and al, et' (an export's mangled et al.) read as a person 'al, et' by pandoc",
        lambda s: re.sub(r",? (?:&|and) al, et\.?|,? al E\b", "", s),
    ),
    (
        "dashes, quotes, '|': cytobib decodes every -- and ``'' (– “”); pandoc's BibTeX "
        "reader keeps some hyphens, re-quotes titles and drops '|'",
        lambda s: re.sub(r"[“”\"|]", "", s.replace("–", "-").replace("’", "'")),
    ),
]  # fmt: skip

_SQUASH = re.compile(r"[\s.,&]+")


def _agree(kinds: list[Kind], ours: str, theirs: str) -> bool:
    for _name, undo in kinds:
        ours, theirs = undo(ours), undo(theirs)
    return _SQUASH.sub(" ", ours).strip() == _SQUASH.sub(" ", theirs).strip()


def explain(ours: str, theirs: str) -> list[str]:
    """The kinds of difference between two texts; ["unexplained"] if they do not cover it.

    A smallest set of kinds that together explain the difference, preferring the earlier,
    more specific kinds (a lower-cased DOI is "DOI case", not "letter case").
    """
    if not _agree(KINDS, ours, theirs):
        return ["unexplained"]
    needed = list(KINDS)
    for kind in reversed(KINDS):
        rest = [k for k in needed if k is not kind]
        if _agree(rest, ours, theirs):
            needed = rest
    return [name for name, _undo in needed]


def _project(bib: Path, tmp: Path) -> Project:
    (tmp / "annotations").mkdir()
    if bib.suffix == ".gz":
        with gzip.open(bib, "rb") as src, (tmp / "library.bib").open("wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        shutil.copy(bib, tmp / "library.bib")
    (tmp / "cytobib.toml").write_text(
        '[library]\nbib = "library.bib"\nannotations = "annotations"\n', encoding="utf-8"
    )
    return open_project(tmp)


def compare(bib: Path, style_name: str, source: str) -> tuple[Counter[str], dict[str, Any]]:
    """Counts by kind, and the differing entries by kind (with both texts)."""
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        project = _project(bib, tmp)
        records = list(project.library)
        if source == "csl-json":
            bibliography = tmp / "export.json"
            bibliography.write_text(export(records, "csl-json"), encoding="utf-8")
        else:
            bibliography = tmp / "library.bib"
        ours = {
            ref.key: (ref.text, ref.html)
            for ref in views.format_citations(project, records, style_name)
        }
        style = resolve_style(style_name)
        assert style.path is not None
        theirs = pandoc_own(bibliography, style.path, [r.key for r in records])
    counts: Counter[str] = Counter()
    examples: dict[str, Any] = {}
    for key, (text, markup) in ours.items():
        other, other_html = (_NUMBER.sub("", t) for t in theirs.get(key, ("<missing>",) * 2))
        found = explain(text, other) if text != other else []
        if text == other and markup != other_html:
            found = ["same text, different HTML"]
        counts["entries"] += 1
        counts["differ"] += text != other or markup != other_html
        for kind in found:
            counts[kind] += 1
            examples.setdefault(kind, []).append({"key": key, "cytobib": text, "pandoc": other})
    return counts, examples


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bib", type=Path, default=ZOTERO_BIB)
    parser.add_argument("--source", choices=("csl-json", "bibtex"), default="csl-json")
    parser.add_argument("--style", action="append", help="style(s); default apa and vancouver")
    parser.add_argument("--examples", type=int, default=2, help="examples shown per kind")
    parser.add_argument("--json", type=Path, help="write every difference to this file")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    for style in args.style or ["apa", "vancouver"]:
        counts, examples = compare(args.bib, style, args.source)
        report[style] = {"counts": dict(counts), "differences": examples}
        print(f"== {style}, pandoc reading the {args.source}: {counts.pop('entries')} entries, "
              f"{counts.pop('differ')} differ")  # fmt: skip
        for kind, n in counts.most_common():
            print(f"{n:6d}  {kind}")
            for ex in examples.get(kind, [])[: args.examples]:
                print(f"          {ex['key']}\n            cytobib: {ex['cytobib']}"
                      f"\n            pandoc:  {ex['pandoc']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
