"""How fast cytobib exports and imports a library, and at what memory, beside bibtexparser's
parse of the same file.

    .venv/bin/python bench/export_bench.py                       # both libraries, best of 3
    .venv/bin/python bench/export_bench.py --repeat 1 --formats ris bibtex
    .venv/bin/python bench/export_bench.py --import               # also: import each export
    .venv/bin/python bench/export_bench.py --library zotero       # only the Zotero export

Two libraries (bench/datasets.py builds both from ../shared/data):

- ``10k``: ``biox7-10k`` (the Zotero export with abstracts 7 times, 10,115 entries, 25 MB)
  with a generated annotation for every entry (summary, 2-4 claims with evidence, caveats,
  agents from the vocabulary, cancers, tags, reading status), written once into
  bench/_generated/export-10k/ (git-ignored);
- ``zotero``: ``bio-full``, the 1,445-entry Zotero export itself (notes as Zotero wrote them,
  no annotations), in bench/_generated/export-zotero/.

Each measurement runs in a fresh worker process that loads the project (timed on its own,
not part of the export):

- parse s: bibtexparser v2 ``parse_string`` of library.bib (its default middlewares), the
  yardstick; for an import, of the file imported (rispy ``loads`` for RIS beside it);
- export s: ``exporter.render(records, options)`` with ``--notes full`` and every tag facet;
- import s (``--import``): ``plan_import`` of that export into an empty library (read, match,
  merge plan, new keys, annotations rebuilt from the notes, the check that the result
  parses), nothing written. CSL-JSON is not importable;
- x parse: the step's time over the yardstick's, both timed in the same worker one after the
  other (on a shared machine the load changes between workers; within one it changes less);
- traced MB: the peak of Python allocations during that one step (tracemalloc, a separate
  run, since tracing slows it down); RSS MB: the worker's maximum resident size.

Times are the best of ``--repeat`` workers. Results also go to bench/results/export.json
(git-ignored). Run it against another checkout's code with ``PYTHONPATH=<checkout>/src``.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PROJECTS = {
    "10k": HERE / "_generated" / "export-10k",
    "zotero": HERE / "_generated" / "export-zotero",
}
SOURCES = {"10k": "biox7-10k", "zotero": "bio-full"}
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


def ensure_project(library: str, force: bool = False) -> Path:
    """bench/_generated/export-<library>: cytobib.toml, the library and (10k) annotations."""
    bib = datasets.ensure()[SOURCES[library]]
    project = PROJECTS[library]
    marker = project / ".complete"
    if marker.exists() and not force:
        return project
    notes = project / "annotations"
    notes.mkdir(parents=True, exist_ok=True)
    (project / "cytobib.toml").write_text(
        f'[library]\nbib = "{bib.resolve().as_posix()}"\nannotations = "annotations"\n'
    )
    if library == "10k":
        from cytobib import bibfile
        from cytobib.annotations import is_safe_key

        rng = random.Random(7)
        parsed = bibfile.parse(bibfile.read_text(bib))
        for entry in parsed.entries:
            if is_safe_key(entry.key):
                (notes / f"{entry.key}.yaml").write_text(annotation_yaml(rng), encoding="utf-8")
    marker.write_text("ok\n")
    return project


# --- the worker: one measurement per process ------------------------------------------------


def _measure(step: Callable[[], Any], trace: bool) -> tuple[float, float | None, Any]:
    """(seconds, traced peak MB or None, result) of one call."""
    if trace:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - started
    peak = None
    if trace:
        import tracemalloc

        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return seconds, peak, result


def _bibtexparser(text: str) -> Callable[[], Any]:
    import bibtexparser

    return lambda: bibtexparser.parse_string(text)


def _rispy(text: str) -> Callable[[], Any]:
    import rispy

    plain = text.replace("\r\n", "\n")
    return lambda: rispy.loads(plain, skip_unknown_tags=False, delimiter_tags_mapping={})


def worker(library: str, step: str, fmt: str, trace: bool) -> dict[str, Any]:
    """One step: ``parse`` (library.bib), ``export`` (fmt), ``import`` / ``parse-export``
    (of the fmt export)."""
    from cytobib.library import open_project

    project_dir = PROJECTS[library]
    started = time.perf_counter()
    project = open_project(project_dir)  # the parse cache is on, as for the CLI
    load_s = time.perf_counter() - started
    records = list(project.library)
    out: dict[str, Any] = {"library": library, "step": step, "format": fmt,
                           "entries": len(records), "load_s": round(load_s, 3)}  # fmt: skip
    library_text = Path(project.config.bib).read_text(encoding="utf-8")
    if step == "parse":
        seconds, peak, _ = _measure(_bibtexparser(library_text), trace)
        yardstick = seconds
    else:
        from cytobib.exports import ExportOptions, find_exporter

        exporter = find_exporter(fmt)
        if step == "export":
            seconds, peak, text = _measure(lambda: exporter.render(records, ExportOptions()), trace)
            out["output_mb"] = round(len(text.encode("utf-8")) / 2**20, 2)
            yardstick = _measure(_bibtexparser(library_text), False)[0]
        else:
            text = exporter.render(records, ExportOptions())
            parse = _rispy(text) if fmt == "ris" else _bibtexparser(text)
            if step == "parse-export":
                seconds, peak, _ = _measure(parse, trace)
                yardstick = seconds
            else:
                seconds, peak, plan = _import(fmt, text, trace)
                out["added"] = len(plan.added)
                out["annotations"] = len(plan.stubs)
                yardstick = _measure(parse, False)[0]
    out["seconds"] = round(seconds, 3)
    out["x_parse"] = round(seconds / yardstick, 2)
    if peak is not None:
        out["traced_mb"] = round(peak, 1)
    out["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _import(fmt: str, text: str, trace: bool) -> tuple[float, float | None, Any]:
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
        project = open_project(root, store=None)
        return _measure(lambda: plan_import(project, source), trace)


def run_worker(library: str, step: str, fmt: str, trace: bool) -> dict[str, Any]:
    args = [sys.executable, __file__, "--worker", step, "--library", library, "--formats", fmt]
    if trace:
        args.append("--trace")
    cache = PROJECTS[library] / ".cache"
    env = dict(os.environ, PYTHONHASHSEED="0", CYTOBIB_CACHE_DIR=str(cache))
    result = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        sys.exit(f"worker {library} {step} {fmt} failed:\n{result.stderr}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def best(library: str, step: str, fmt: str, repeat: int) -> dict[str, Any]:
    """The fastest of ``repeat`` workers, with the traced peak of one more."""
    runs = [run_worker(library, step, fmt, False) for _ in range(repeat)]
    row = min(runs, key=lambda r: r["seconds"])
    row["x_parse"] = min(r["x_parse"] for r in runs)
    row["rss_mb"] = max(r["rss_mb"] for r in runs)
    row["traced_mb"] = run_worker(library, step, fmt, True)["traced_mb"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", nargs="+", default=list(PROJECTS), choices=list(PROJECTS))
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--import", dest="do_import", action="store_true")
    parser.add_argument("--force", action="store_true", help="regenerate the projects")
    parser.add_argument("--worker", choices=("parse", "export", "import", "parse-export"),
                        help=argparse.SUPPRESS)  # fmt: skip
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.library[0], args.worker, args.formats[0], args.trace)))
        return
    rows = []
    for library in args.library:
        ensure_project(library, args.force)
        rows.append(best(library, "parse", "bibtex", args.repeat))
        for fmt in args.formats:
            rows.append(best(library, "export", fmt, args.repeat))
            if args.do_import and fmt in IMPORTABLE:
                rows.append(best(library, "parse-export", fmt, args.repeat))
                rows.append(best(library, "import", fmt, args.repeat))
    print(f"{'library':8} {'step':24} {'format':9} {'entries':>7} {'seconds':>8} "
          f"{'x parse':>8} {'traced MB':>10} {'RSS MB':>7}  notes")  # fmt: skip
    for r in rows:
        step = {"parse": "parse library.bib", "parse-export": "parse export"}.get(
            r["step"], r["step"]
        )
        if r["step"] == "parse-export":
            step += " (rispy)" if r["format"] == "ris" else " (bibtexp.)"
        notes = f"{r['output_mb']} MB out" if "output_mb" in r else ""
        if "added" in r:
            notes = f"{r['added']} added, {r['annotations']} annotations"
        head = f"{r['library']:8} {step:24} {r['format']:9} {r['entries']:>7} {r['seconds']:>8.2f} "
        print(head + f"{r['x_parse']:>8.2f} {r['traced_mb']:>10.1f} {r['rss_mb']:>7.0f}  {notes}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "export.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
