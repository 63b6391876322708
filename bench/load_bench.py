"""How fast cytobib loads a library, against bibtexparser's bare parse (issue 2).

    .venv/bin/python bench/load_bench.py                    # all sets, best of 3
    .venv/bin/python bench/load_bench.py --sets mix-10k --repeat 5
    .venv/bin/python bench/load_bench.py --profile mix-10k  # cProfile of one cold load
    .venv/bin/python bench/load_bench.py --profile mix-10k --warm

For each derived set (bench/datasets.py builds them from ../shared/data):

- bare: ``bibtexparser.parse_string(text, parse_stack=[])``, the text already in memory: the
  baseline the issue set. cytobib splits well-formed files with its own copy of that
  splitter's rules (bibfile.scan._fast_split) and hands every other file to it;
- cold: ``cytobib.open_project`` with an empty cache dir (read, decode, parse, build entries,
  vocabulary, annotations, every offline check, write the parse cache);
- warm: the same in a new process with the cache filled by the cold run (parse cache hit);
- peak MB: the largest Python allocation during cold / warm (tracemalloc, separate runs,
  since tracing slows the timed runs down); RSS: the cold worker's max resident size.

Every number is the best of ``--repeat`` fresh worker processes, timed inside the worker after
imports (import time is reported on its own). Targets: cold within 1.2x of bare; warm below
0.3 s at 10k entries. Results also go to bench/results/load.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

import datasets  # noqa: E402 - bench/ is not a package; the path is set just above

TARGET_RATIO = 1.2
TARGET_WARM_S = 0.3


# --- the worker: one measurement per process ---------------------------------------------------


def _preimport() -> float:
    """Import what a load touches, so the timed part is the work, not module loading."""
    started = time.perf_counter()
    import bibtexparser.entrypoint
    import jsonschema
    import rapidfuzz.fuzz
    import rapidfuzz.process
    import yaml

    import cytobib.library

    del bibtexparser, jsonschema, rapidfuzz, yaml, cytobib  # imported for their side effect

    return time.perf_counter() - started


def worker(mode: str, bib: Path, project: Path) -> dict[str, Any]:
    import resource
    import tracemalloc

    out: dict[str, Any] = {"import_s": _preimport()}
    if mode == "bare":
        from bibtexparser.entrypoint import parse_string

        text = bib.read_text(encoding="utf-8")
        started = time.perf_counter()
        library = parse_string(text, parse_stack=[])
        out["seconds"] = time.perf_counter() - started
        out["entries"] = len(library.entries) + len(library.failed_blocks)
    else:
        from cytobib.library import open_project

        traced = mode.endswith("-mem")
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        project = open_project(project)
        out["seconds"] = time.perf_counter() - started
        if traced:
            out["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        out["entries"] = len(project.library)
        out["issues"] = len(project.library.issues)
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_worker(mode: str, bib: Path, project: Path, cache: Path) -> dict[str, Any]:
    env = dict(os.environ, CYTOBIB_CACHE_DIR=str(cache))
    env.pop("CYTOBIB_MAILTO", None)
    result = subprocess.run(
        [sys.executable, __file__, "--worker", mode, str(bib), str(project)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"worker {mode} {bib.name} failed:\n{result.stderr}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def make_project(folder: Path, bib: Path) -> Path:
    """A project whose cytobib.toml points at the set (absolute path), no annotations."""
    (folder / "annotations").mkdir(parents=True, exist_ok=True)
    (folder / "cytobib.toml").write_text(
        f'[library]\nbib = "{bib}"\nannotations = "annotations"\nmax_bib_mb = 64\n',
        encoding="utf-8",
    )
    return folder


# --- the driver --------------------------------------------------------------------------------


def measure(name: str, bib: Path, repeat: int, tmp: Path) -> dict[str, Any]:
    project = make_project(tmp / f"project-{name}", bib)
    bare = [run_worker("bare", bib, project, tmp / "unused") for _ in range(repeat)]
    cold, caches = [], []
    for i in range(repeat):
        cache = tmp / f"cache-{name}-{i}"  # a new, empty cache dir for every cold run
        caches.append(cache)
        cold.append(run_worker("open", bib, project, cache))
    warm = [run_worker("open", bib, project, caches[0]) for _ in range(repeat)]
    cold_mem = run_worker("open-mem", bib, project, tmp / f"cache-{name}-mem")
    warm_mem = run_worker("open-mem", bib, project, caches[0])
    runs = {"bare": bare, "cold": cold, "warm": warm}
    best = {k: min(r["seconds"] for r in v) for k, v in runs.items()}
    return {
        "set": name,
        "entries": cold[0]["entries"],
        "issues": cold[0]["issues"],
        "mb": bib.stat().st_size / 1e6,
        "bare_s": best["bare"],
        "cold_s": best["cold"],
        "warm_s": best["warm"],
        "ratio": best["cold"] / best["bare"],
        "cold_peak_mb": cold_mem["peak_mb"],
        "warm_peak_mb": warm_mem["peak_mb"],
        "cold_rss_mb": min(r["maxrss_mb"] for r in cold),
        "import_s": min(r["import_s"] for r in cold),
        "runs": {k: [r["seconds"] for r in v] for k, v in runs.items()},
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        "| set | entries | MB | bare parse s | cold s | cold/bare | warm s | "
        "peak MB cold | peak MB warm | RSS MB cold |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        flag = "" if r["ratio"] <= TARGET_RATIO else " ✗"
        warm_flag = "" if r["entries"] < 10000 or r["warm_s"] < TARGET_WARM_S else " ✗"
        print(
            f"| {r['set']} | {r['entries']:,} | {r['mb']:.2f} | {r['bare_s']:.2f} | "
            f"{r['cold_s']:.2f} | {r['ratio']:.2f}{flag} | {r['warm_s']:.3f}{warm_flag} | "
            f"{r['cold_peak_mb']:.0f} | {r['warm_peak_mb']:.0f} | {r['cold_rss_mb']:.0f} |"
        )
    imports = min(r["import_s"] for r in rows)
    print(
        f"\nbest of the repeats; imports (not in the times): {imports:.2f} s; targets: cold/bare "
        f"<= {TARGET_RATIO}, warm < {TARGET_WARM_S} s at 10k entries (✗ = missed)."
    )


def profile(name: str, bib: Path, tmp: Path, top: int, warm: bool) -> None:
    """cProfile one cold (empty cache dir) or warm open_project, in a fresh worker process."""
    cache = tmp / "profile-cache"
    project = make_project(tmp / f"profile-{name}", bib)
    if warm:
        run_worker("open", bib, project, cache)  # fills the cache
    env = dict(os.environ, CYTOBIB_CACHE_DIR=str(cache))
    env.pop("CYTOBIB_MAILTO", None)
    args = [sys.executable, __file__, "--profile-worker", str(project), str(top)]
    label = "warm" if warm else "cold"
    print(f"=== {name}: {label} open_project ===", flush=True)
    subprocess.run(args, env=env, check=True)


def profile_worker(project: Path, top: int) -> None:
    import cProfile
    import pstats

    _preimport()
    from cytobib.library import open_project

    profiler = cProfile.Profile()
    profiler.enable()
    open_project(project)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.strip_dirs()
    for order in ("tottime", "cumulative"):
        print(f"\n--- top {top} by {order} ---")
        stats.sort_stats(order).print_stats(top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sets", nargs="+", choices=datasets.SETS, default=list(datasets.SETS))
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per number (best)")
    ap.add_argument("--profile", choices=datasets.SETS, help="cProfile a cold load of one set")
    ap.add_argument("--top", type=int, default=25, help="rows of the profile to print")
    ap.add_argument("--warm", action="store_true", help="with --profile: profile a warm load")
    ap.add_argument("--worker", nargs=3, metavar=("MODE", "BIB", "PROJECT"), help=argparse.SUPPRESS)
    ap.add_argument("--profile-worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        mode, bib, project = args.worker
        print(json.dumps(worker(mode, Path(bib), Path(project))))
        return
    if args.profile_worker:
        profile_worker(Path(args.profile_worker[0]), int(args.profile_worker[1]))
        return
    paths = datasets.ensure()
    with tempfile.TemporaryDirectory(prefix="cytobib-bench-") as tmp:
        if args.profile:
            profile(args.profile, paths[args.profile], Path(tmp), args.top, args.warm)
            return
        rows = []
        for name in args.sets:
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            rows.append(measure(name, paths[name], args.repeat, Path(tmp)))
    print_table(rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
