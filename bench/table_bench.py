"""Review tables and evidence maps at 10,000 works: build time, render time and memory per format.

Run on demand, in the project venv::

    .venv/bin/python bench/table_bench.py                 # 10,000 works
    .venv/bin/python bench/table_bench.py --entries 2000  # quicker
    .venv/bin/python bench/table_bench.py --engine        # real citation engine (cytobib.styles)
    .venv/bin/python bench/table_bench.py --formats csv,xlsx

The library is the Zotero export in ../shared/data (1,445 entries) replicated with suffixed keys
(-r1, -r2, ...) up to --entries, each work with a generated annotation (agents named by id or
by a synonym, cancers, claims with evidence levels, caveats) and 1 % marked retracted. It is
written into bench/_generated/tables-N/ (git-ignored) once and reused.

Unless --engine is given, the citation engine is replaced by a plain "Authors. Title. Journal.
Year." stand-in (``views.default_formatter`` is patched): the table's citation column never
uses the engine, and only the References sheet / appended references show its text.

Each view and each render is timed in a plain run (best of --repeat), then run once more under
tracemalloc for its peak of Python allocations above what was live before it (xlsxwriter's
constant_memory temporary files are on disk and not counted). Formats whose module does not
exist yet are listed as missing.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import random
import re
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GENERATED = HERE / "_generated"
ZOTERO_BIB = REPO.parent / "shared" / "data" / "gisurgonc-handbook-zotero.bib.gz"

TABLE_FORMATS = ("md", "csv", "tsv", "xlsx", "html", "tex", "docx")
MAP_FORMATS = ("md", "csv", "tsv", "xlsx", "svg", "png", "html", "tex", "docx")
CANCERS = (
    "melanoma", "renal cell carcinoma", "colorectal cancer", "non-small cell lung cancer",
    "breast cancer", "hepatocellular carcinoma", "gastric cancer", "pancreatic cancer",
    "oesophageal cancer", "ovarian cancer", "glioblastoma", "acute myeloid leukaemia",
    "multiple myeloma", "lymphoma", "bladder cancer", "prostate cancer", "head and neck cancer",
    "sarcoma", "mesothelioma", "neuroblastoma",
)  # fmt: skip
EVIDENCE = ("meta-analysis", "clinical-trial", "observational", "case-report",
            "preclinical-in-vivo", "in-vitro", "review", "expert-opinion")  # fmt: skip
STUDY_TYPES = ("review", "clinical-trial", "observational", "preclinical", "in-vitro",
               "case-report", "meta-analysis")  # fmt: skip
WORDS = (
    "response", "toxicity", "survival", "dose", "regulatory T cells", "NK cells", "cytokine",
    "tumour", "infiltration", "expansion", "remission", "progression", "biomarker", "signal",
    "combination", "adjuvant", "resistance", "metastatic", "phase II", "cohort",
)  # fmt: skip
RETRACTION = "retracted; 10.5555/notice.{n}; Retraction Watch; 2021-03-01"


# --- data --------------------------------------------------------------------------------------


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _annotation(rng: random.Random, names: Sequence[str]) -> str:
    lines = [f"summary: {_yaml_str(_sentence(rng, rng.randint(12, 40)))}",
             f"study_type: {rng.choice(STUDY_TYPES)}", "agents:"]  # fmt: skip
    for name in rng.sample(list(names), rng.randint(1, 3)):
        lines.append(f"  - name: {_yaml_str(name)}")
        if rng.random() < 0.5:
            lines.append(f"    role: {rng.choice(('primary', 'combination', 'comparator'))}")
    cancers = rng.sample(CANCERS, rng.randint(0, 3))
    lines.append("cancers: [" + ", ".join(_yaml_str(c) for c in cancers) + "]")
    lines.append("claims:")
    for _ in range(rng.randint(1, 4)):
        lines.append(f"  - text: {_yaml_str(_sentence(rng, rng.randint(8, 30)))}")
        lines.append(f"    evidence: {rng.choice(EVIDENCE)}")
    caveats = [_sentence(rng, rng.randint(6, 20)) for _ in range(rng.randint(0, 3))]
    lines.append("caveats: [" + ", ".join(_yaml_str(c) for c in caveats) + "]")
    return "\n".join(lines) + "\n"


def generate(entries: int) -> Path:
    """bench/_generated/tables-N: cytobib.toml, library.bib, annotations/ (made once)."""
    root = GENERATED / f"tables-{entries}"
    done = root / ".complete"
    if done.exists():
        return root
    from cytobib.vocabulary import build

    vocab = build()
    # Name agents as annotators do: by id, label-like synonyms ("IL-2", "Proleukin"), mixed.
    names = [a.id for a in vocab.agents.values()]
    names += [s for a in vocab.agents.values() for s in a.synonyms[:2]]
    text = gzip.decompress(ZOTERO_BIB.read_bytes()).decode("utf-8")
    blocks = [b for b in re.split(r"\n(?=@)", text) if b.lstrip().startswith("@")]
    head = re.compile(r"^(\s*@\w+\{)([^,\s]+),")
    rng = random.Random(20261122)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    out: list[str] = []
    n = 0
    copy = 0
    while n < entries:
        for block in blocks:
            if n >= entries:
                break
            match = head.match(block)
            if match is None:
                continue
            key = match.group(2) + (f"-r{copy}" if copy else "")
            extra = ""
            if rng.random() < 0.01:
                extra = f"\n\tupdate-status = {{{RETRACTION.format(n=n)}}},"
            out.append(head.sub(lambda m, k=key, x=extra: f"{m.group(1)}{k},{x}", block, 1))
            (root / "annotations" / f"{key}.yaml").write_text(
                _annotation(rng, names), encoding="utf-8"
            )
            n += 1
        copy += 1
    (root / "library.bib").write_text("\n\n".join(out) + "\n", encoding="utf-8")
    (root / "cytobib.toml").write_text(
        '[library]\nbib = "library.bib"\nannotations = "annotations"\nmax_bib_mb = 256\n',
        encoding="utf-8",
    )
    done.write_text("ok\n")
    return root


# --- measuring ---------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak(fn: Callable[[], Any]) -> float:
    """Peak MiB of Python allocations while ``fn`` runs, above what was live before."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    fn()
    top = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (top - base) / 2**20


class PlainCitations:
    """Stand-in for the reference formatter: "Authors. Title. Journal. Year." without markup."""

    def references(self, records: Sequence[Any], style: str) -> list[Any]:
        import html

        from cytobib.views import Reference

        out = []
        for n, r in enumerate(records, start=1):
            e = r.entry
            names = ", ".join(f"{p.last} {p.initials}" for p in e.authors[:6])
            text = f"{names}. {e.title}. {e.container}. {e.year or ''}."
            out.append(Reference(r.key, str(n), text, html.escape(text)))
        return out

    def author_keys(self, records: Sequence[Any]) -> list[Any]:
        from cytobib.citing import author_key

        return [author_key(r) for r in records]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--engine", action="store_true", help="use cytobib.styles, not a stand-in")
    parser.add_argument("--formats", help="comma-separated subset, e.g. csv,xlsx (default: all)")
    args = parser.parse_args(argv)

    from cytobib import rendering, views
    from cytobib.formats import registry
    from cytobib.formats import xlsx as xlsx_module
    from cytobib.library import open_project

    t0 = time.perf_counter()
    root = generate(args.entries)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    project = open_project(root, store=None)
    load_s = time.perf_counter() - t0
    annotated = sum(1 for r in project.library if r.annotation)
    print(
        f"# {len(project.library)} works ({annotated} annotated), generated/reused in "
        f"{gen_s:.1f} s, loaded in {load_s:.1f} s (not part of the figures below)"
    )
    if not args.engine:
        views.default_formatter = lambda project: PlainCitations()  # type: ignore[assignment]
        print("# citation engine: plain stand-in (views.default_formatter patched)")
    ctx = rendering.context(project)

    builders: dict[str, Callable[[], Any]] = {
        "table --rows paper": lambda: views.review_table(project, rows="paper"),
        "table --rows agent": lambda: views.review_table(project, rows="agent"),
        "evidence map (cancer)": lambda: views.evidence_map(project),
    }
    print()
    print("| view | format | note | seconds | peak MiB | output MiB |")
    print("|---|---|---|---:|---:|---:|", flush=True)

    def report(label: str, name: str, note: str, seconds: float, mib: float, nbytes: int) -> None:
        out_mib = f"{nbytes / 2**20:.2f}" if nbytes else ""
        shown = (f"{seconds:.2f}", f"{mib:.1f}") if seconds == seconds else ("", "")  # NaN
        print(f"| {label} | {name} | {note} | {shown[0]} | {shown[1]} | {out_mib} |", flush=True)

    built: dict[str, Any] = {}
    for label, build in builders.items():
        seconds, view = timed(build, args.repeat)
        built[label] = view
        shape = (f"{len(view.rows)} rows" if isinstance(view, views.Table)
                 else f"{len(view.rows)} x {len(view.cols)}")  # fmt: skip
        report(label, "(build view)", shape, seconds, peak(build), 0)

    limit = xlsx_module.CONSTANT_MEMORY_ROWS

    def xlsx_rows(view: Any) -> int:
        """The row count XlsxFormat compares with CONSTANT_MEMORY_ROWS."""
        if isinstance(view, views.Table):
            return len(view.rows) + len(view.references)
        return 2 * len(view.rows) + len(view.references)

    def variants(label: str, view: Any) -> list[tuple[str, str, Any, int]]:
        """(name, note, format, xlsx threshold to use) for every format of this view."""
        names: tuple[str, ...] = MAP_FORMATS if label.startswith("evidence") else TABLE_FORMATS
        if args.formats:
            names = tuple(n for n in names if n in args.formats.split(","))
        out: list[tuple[str, str, Any, int]] = []
        for name in names:
            try:
                fmt = registry.get(name)
            except (ImportError, AttributeError):
                out.append((name, "module missing", None, limit))
                continue
            if name == "xlsx":
                streamed = xlsx_rows(view) >= limit
                out.append(("xlsx in_memory", "" if streamed else "default", fmt, 10**9))
                out.append(("xlsx constant_memory", "default" if streamed else "", fmt, 0))
            else:
                out.append((name, "", fmt, limit))
        return out

    for label, view in built.items():
        for name, note, fmt, threshold in variants(label, view):
            if fmt is None:
                report(label, name, note, float("nan"), float("nan"), 0)
                continue
            xlsx_module.CONSTANT_MEMORY_ROWS = threshold

            def run(f: Any = fmt, v: Any = view) -> str | bytes:
                return rendering.render(v, f, ctx)

            try:
                seconds, data = timed(run, args.repeat)
                mib = peak(run)
            except Exception as exc:  # a format another engineer is still writing
                error = f"error: {type(exc).__name__}: {exc}"[:60]
                report(label, name, error, float("nan"), float("nan"), 0)
                continue
            nbytes = len(data.encode("utf-8") if isinstance(data, str) else data)
            report(label, name, note, seconds, mib, nbytes)
    xlsx_module.CONSTANT_MEMORY_ROWS = limit

    return 0


if __name__ == "__main__":
    sys.exit(main())
