"""How fast cytobib exports (and imports) a 10k-entry annotated library, and at what memory.

    .venv/bin/python bench/export_bench.py                 # all formats, best of 3
    .venv/bin/python bench/export_bench.py --repeat 1 --formats ris bibtex
    .venv/bin/python bench/export_bench.py --import        # also: import each export into
                                                           # an empty library (plan only)

The library is ``biox7-10k`` (bench/datasets.py builds it from ../shared/data: the Zotero
export of 1,445 entries with abstracts, 7 times, 10,115 entries, 25 MB) with a generated
annotation for every entry (summary, 2-4 claims with evidence, caveats, agents from the
vocabulary, cancers, tags, reading status), written once into bench/_generated/export-10k/
(git-ignored).

Each measurement runs in a fresh worker process that loads the project (timed on its own,
not part of the export) and then renders with ``--notes full`` and every tag facet:

- seconds: wall time of ``exporter.render(records, options)``, best of ``--repeat`` workers;
- traced MB: the peak of Python allocations during the render (tracemalloc, a separate run,
  since tracing slows rendering down);
- RSS MB: the worker's maximum resident size (load + render);
- output MB: the size of the exported file in UTF-8;
- import s (with ``--import``): ``plan_import`` of that export into an empty library (read,
  match, merge plan, new keys, annotation stubs, the check that the result parses), nothing
  written. CSL-JSON is not importable.

Results also go to bench/results/export.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PROJECT = HERE / "_generated" / "export-10k"
sys.path.insert(0, str(HERE))

import datasets  # noqa: E402 - bench/ is not a package; the path is set just above

FORMATS = ("bibtex", "biblatex", "csl-json", "ris")
SUFFIX = {"bibtex": ".bib", "biblatex": ".bib", "csl-json": ".json", "ris": ".ris"}
IMPORTABLE = ("bibtex", "biblatex", "ris")  # `cytobib import` reads BibTeX and RIS

# --- the generated annotations -------------------------------------------------------------

AGENTS = ("aldesleukin", "interferon-alpha", "interferon-lambda", "pembrolizumab",
          "nivolumab", "ipilimumab", "tnf-alpha", "til", "bevacizumab", "fluorouracil")  # fmt: skip
CANCERS = ("melanoma", "renal cell carcinoma", "colorectal cancer", "gastric cancer",
           "oesophageal cancer", "pancreatic cancer")  # fmt: skip
EVIDENCE = ("meta-analysis", "clinical-trial", "observational", "case-report",
            "preclinical-in-vivo", "in-vitro", "review")  # fmt: skip
WORDS = ("tumour", "response", "IL-2", "T cells", "toxicity", "survival", "50% of patients",
         "dose & schedule", "<10 mg/kg>", "{braces}", "IFN-λ", "TNF-α", "Müller", "resection",
         "anastomotic leak", "regulatory T cells", "phase II", "median follow-up")  # fmt: skip


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def annotation_yaml(rng: random.Random) -> str:
    """One plausible annotation (a few hundred words), as YAML."""
    import yaml

    data = {
        "summary": " ".join(_sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(2, 5))),
        "status": rng.choice(("to-read", "skimmed", "read")),
        "priority": rng.randint(1, 5),
        "agents": [
            {"name": a, "role": rng.choice(("primary", "combination", "comparator"))}
            for a in rng.sample(AGENTS, rng.randint(1, 3))
        ],
        "cancers": rng.sample(CANCERS, rng.randint(0, 2)),
        "claims": [
            {
                "text": _sentence(rng, rng.randint(6, 16)),
                "evidence": rng.choice(EVIDENCE),
                "page": str(rng.randint(1, 300)),
            }
            for _ in range(rng.randint(2, 4))
        ],
        "caveats": [_sentence(rng, rng.randint(5, 12)) for _ in range(rng.randint(0, 3))],
        "tags": rng.sample(
            ("surgery", "immunotherapy", "review-2026", "key paper", "Tregs"), rng.randint(0, 3)
        ),
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def ensure_project(force: bool = False) -> Path:
    """bench/_generated/export-10k: cytobib.toml, the 10k library and 10k annotations."""
    bib = datasets.ensure()["biox7-10k"]
    marker = PROJECT / ".complete"
    if marker.exists() and not force:
        return PROJECT
    from cytobib import bibfile

    notes = PROJECT / "annotations"
    notes.mkdir(parents=True, exist_ok=True)
    (PROJECT / "cytobib.toml").write_text(
        f'[library]\nbib = "{bib.resolve().as_posix()}"\nannotations = "annotations"\n'
    )
    rng = random.Random(7)
    parsed = bibfile.parse(bibfile.read_text(bib))
    from cytobib.annotations import is_safe_key

    for entry in parsed.entries:
        if is_safe_key(entry.key):
            (notes / f"{entry.key}.yaml").write_text(annotation_yaml(rng), encoding="utf-8")
    marker.write_text("ok\n")
    return PROJECT


# --- the worker: one measurement per process ------------------------------------------------


def worker(fmt: str, trace: bool, do_import: bool) -> dict[str, Any]:
    from cytobib.exports import ExportOptions, find_exporter
    from cytobib.library import open_project

    started = time.perf_counter()
    project = open_project(PROJECT)  # the parse cache is on, as for the CLI
    load_s = time.perf_counter() - started
    records = list(project.library)
    annotated = sum(1 for r in records if r.annotation is not None)
    exporter = find_exporter(fmt)
    options = ExportOptions()
    if trace:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    text = exporter.render(records, options)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {
        "format": fmt,
        "entries": len(records),
        "annotated": annotated,
        "load_s": round(load_s, 3),
        "seconds": round(seconds, 3),
        "output_mb": round(len(text.encode("utf-8")) / 2**20, 2),
    }
    if trace:
        import tracemalloc

        out["traced_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    if do_import:
        out.update(_import(fmt, text))
    out["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _import(fmt: str, text: str) -> dict[str, Any]:
    """Plan the import of the export into an empty library (nothing is written)."""
    from cytobib.importer import plan_import
    from cytobib.library import open_project

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "cytobib.toml").write_text('[library]\nbib = "library.bib"\n')
        (root / "library.bib").write_text("")
        (root / "annotations").mkdir()
        source = root / f"export{SUFFIX[fmt]}"
        source.write_bytes(text.encode("utf-8"))
        started = time.perf_counter()
        plan = plan_import(open_project(root, store=None), source)
        seconds = time.perf_counter() - started
    return {"import_s": round(seconds, 2), "import_added": len(plan.added),
            "import_stubs": len(plan.stubs)}  # fmt: skip


def run_worker(fmt: str, trace: bool, do_import: bool) -> dict[str, Any]:
    args = [sys.executable, __file__, "--worker", fmt]
    if trace:
        args.append("--trace")
    if do_import:
        args.append("--import")
    env = dict(os.environ, PYTHONHASHSEED="0", CYTOBIB_CACHE_DIR=str(PROJECT / ".cache"))
    result = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        sys.exit(f"worker {fmt} failed:\n{result.stderr}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--import", dest="do_import", action="store_true")
    parser.add_argument("--force", action="store_true", help="regenerate the annotations")
    parser.add_argument("--worker", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.trace, args.do_import)))
        return
    ensure_project(args.force)
    rows = []
    for fmt in args.formats:
        runs = [run_worker(fmt, False, False) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        best["rss_mb"] = max(r["rss_mb"] for r in runs)
        best["traced_mb"] = run_worker(fmt, True, False)["traced_mb"]
        if args.do_import and fmt in IMPORTABLE:
            best.update({k: v for k, v in run_worker(fmt, False, True).items()
                         if k.startswith("import")})  # fmt: skip
        rows.append(best)
    header = f"{'format':10} {'entries':>8} {'annotated':>9} {'load s':>7} {'export s':>9} "
    header += f"{'traced MB':>10} {'RSS MB':>7} {'out MB':>7}"
    if args.do_import:
        header += f" {'import s':>9}"
    print(header)
    for r in rows:
        line = f"{r['format']:10} {r['entries']:>8} {r['annotated']:>9} {r['load_s']:>7.2f} "
        line += f"{r['seconds']:>9.2f} {r['traced_mb']:>10.1f} {r['rss_mb']:>7.0f} "
        line += f"{r['output_mb']:>7.1f}"
        if args.do_import:
            line += f" {r['import_s']:>9.2f}" if "import_s" in r else f" {'-':>9}"
        print(line)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "export.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
