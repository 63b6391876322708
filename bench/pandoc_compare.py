"""Compare cytobib's formatted references with pandoc's own citeproc, entry by entry.

cytobib formats references with pandoc's citeproc, but not as a plain ``pandoc --citeproc``
would: it rewrites the style (no citation number, no author substitution), renders in chunks,
and builds the items itself (``cytobib.csl.to_csl``). This script measures what that changes
on a real library: it exports the library as CSL-JSON (``cytobib export``), runs pandoc once
over the whole export with the *original* style, and compares each entry's text with what
cytobib prints for it. Every difference is put in a kind; docs/csl-engines.md explains each.

Run on demand (about a minute; APA's disambiguation over 1,445 entries in one run is slow)::

    .venv/bin/python bench/pandoc_compare.py                 # the Zotero export, apa + vancouver
    .venv/bin/python bench/pandoc_compare.py --bib other.bib --style nature --examples 5
    .venv/bin/python bench/pandoc_compare.py --json out.json # every difference, for review
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
from cytobib.library import open_project  # noqa: E402
from cytobib.styles import resolve_style  # noqa: E402
from cytobib.styles.pandoc import _references, pandoc_path  # noqa: E402


def pandoc_own(items_json: str, csl: Path, ids: list[str]) -> dict[str, tuple[str, str]]:
    """(text, HTML) per item id from one ``pandoc --citeproc`` run with the unchanged style."""
    binary = pandoc_path()
    if binary is None:
        raise SystemExit("pandoc not found (pip install pypandoc-binary)")
    with tempfile.TemporaryDirectory() as tmp:
        bib = Path(tmp) / "refs.json"
        bib.write_text(items_json, encoding="utf-8")
        doc = "---\nnocite: |\n  " + " ".join(f"@{i}" for i in ids) + "\n---\n"
        out = subprocess.run(
            [str(binary), "--from", "markdown", "--to", "json", "--citeproc", "--csl", str(csl),
             "--bibliography", str(bib), "--metadata", "link-bibliography=false"],
            input=doc, capture_output=True, text=True, encoding="utf-8", check=True,
        ).stdout  # fmt: skip
    return dict(_references(out, csl.stem))


_NUMBER = re.compile(r"^\d+\.\s+")  # the citation number cytobib returns apart
_YEAR_SUFFIX = re.compile(r"\b((?:1[5-9]|20)\d\d)[a-z]\b")


def _names_part(text: str) -> str:
    return text.split(". ", 1)[0] if ". " in text else text


# Each kind: (name, test(ours, theirs, item)). The first that matches names the difference.
Kind = tuple[str, Callable[[str, str, dict[str, Any]], bool]]


def _kinds() -> list[Kind]:
    def et_al(ours: str, theirs: str, item: dict[str, Any]) -> bool:
        return "et al" in ours and "et al" not in theirs

    def pmid_from_url(ours: str, theirs: str, item: dict[str, Any]) -> bool:
        return "PMID" in ours and "PMID" not in theirs and "pubmed" in item.get("URL", "")

    def pmcid_from_url(ours: str, theirs: str, item: dict[str, Any]) -> bool:
        return "PMCID" in ours and "PMCID" not in theirs and "/pmc/" in item.get("URL", "")

    def year_suffix(ours: str, theirs: str, item: dict[str, Any]) -> bool:
        return _YEAR_SUFFIX.sub(r"\1", ours) == _YEAR_SUFFIX.sub(r"\1", theirs)

    def case_only(ours: str, theirs: str, item: dict[str, Any]) -> bool:
        return ours.casefold() == theirs.casefold()

    return [
        ("year suffix (a/b) assigned in list order, not the style's sort order", year_suffix),
        ("'and others' printed as et al.", et_al),
        ("PMID read from a PubMed URL", pmid_from_url),
        ("PMCID read from a PMC URL", pmcid_from_url),
        ("letter case only", case_only),
    ]


def compare(bib: Path, style_name: str) -> tuple[Counter[str], dict[str, list[dict[str, str]]]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "annotations").mkdir()
        if bib.suffix == ".gz":
            with gzip.open(bib, "rb") as src, (root / "library.bib").open("wb") as dst:
                shutil.copyfileobj(src, dst)
        else:
            shutil.copy(bib, root / "library.bib")
        (root / "cytobib.toml").write_text(
            '[library]\nbib = "library.bib"\nannotations = "annotations"\n', encoding="utf-8"
        )
        project = open_project(root)
        records = list(project.library)
        exported = export(records, "csl-json")
        items = {it["id"]: it for it in json.loads(exported)}
        ours = {
            ref.key: (ref.text, ref.html)
            for ref in views.format_citations(project, records, style_name)
        }
        style = resolve_style(style_name)
        assert style.path is not None
        theirs = pandoc_own(exported, style.path, [r.key for r in records])
    counts: Counter[str] = Counter()
    examples: dict[str, list[dict[str, str]]] = {}
    kinds = _kinds()
    for key, (mine, mine_html) in ours.items():
        other, other_html = theirs.get(key, ("<missing>", "<missing>"))
        other, other_html = _NUMBER.sub("", other), _NUMBER.sub("", other_html)
        if mine == other:
            # Same text: the markup (italics, small caps) must agree too.
            kind = "same" if mine_html == other_html else "same text, different HTML"
            counts[kind] += 1
            if kind != "same":
                examples.setdefault(kind, []).append(
                    {"key": key, "cytobib": mine_html, "pandoc": other_html}
                )
            continue
        kind = next((name for name, test in kinds if test(mine, other, items[key])), "other")
        counts[kind] += 1
        examples.setdefault(kind, []).append({"key": key, "cytobib": mine, "pandoc": other})
    return counts, examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bib", type=Path, default=ZOTERO_BIB)
    parser.add_argument("--style", action="append", help="style(s); default apa and vancouver")
    parser.add_argument("--examples", type=int, default=2, help="examples shown per kind")
    parser.add_argument("--json", type=Path, help="write every difference to this file")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    for style in args.style or ["apa", "vancouver"]:
        counts, examples = compare(args.bib, style)
        report[style] = {"counts": dict(counts), "differences": examples}
        print(f"== {style}: {sum(counts.values())} entries")
        for kind, n in counts.most_common():
            print(f"{n:6d}  {kind}")
            for ex in examples.get(kind, [])[: args.examples]:
                print(f"          {ex['key']}\n            cytobib: {ex['cytobib']}"
                      f"\n            pandoc:  {ex['pandoc']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
