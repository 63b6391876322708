"""What each of cytobib's caches gains: a reading list of 10k works with caches switched off
one at a time (issue 15, "Keep only the caches whose gain you measure").

    .venv/bin/python bench/cache_bench.py                         # sparse project, vancouver
    .venv/bin/python bench/cache_bench.py --projects sparse distinct --repeat 2
    .venv/bin/python bench/cache_bench.py --configs all none refs-only

Each cell runs ``cytobib reading-list --style S -o FILE`` in a new process (as
bench/reading_list_bench.py does) through a small worker that first switches some caches off
by replacing their wrappers in ``cytobib.caching`` with plain calls of the steps (the code
under test is not changed otherwise):

- ``parse``: the parse of library.bib and its checks (``caching.around_parse``);
- ``annotations``: parsed annotation files (``caching.around_annotations``);
- ``memo``: the values derived per entry (author sort keys, CSL-JSON items);
- ``references``: the formatted references (``caching.ReferenceStore``, ``reference_list``);
- ``rendered``: the rendered items of the text formats (``caching.rendered_items``);
- ``output``: output reuse (``outputs.recall``/``remember``).

For each configuration: cold (empty cache folder), warm (the same command again, nothing
changed) and one edit (one annotation's content changed, then the command again). The store's
size after the cold run is reported too. Results also go to
bench/results/cache.json.

With ``--steps``, each configuration instead times the steps of a warm reading list inside
one process, imports excluded (load = ``open_project``; view = select, number and format the
references; render = Markdown through the templates), best of ``--repeat`` runs after one run
that fills the cache: bench/results/cache_steps.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

CACHES = ("parse", "annotations", "memo", "references", "rendered", "output")

CONFIGS: dict[str, tuple[str, ...]] = {  # name -> caches switched OFF
    "all": (),
    "none": CACHES,
    "refs-only": ("parse", "annotations", "memo", "rendered", "output"),
    **{f"no-{c}": (c,) for c in CACHES},
    **{f"no-output-{c}": ("output", c) for c in CACHES if c != "output"},
}


# --- the worker: switch caches off, then run the real CLI ------------------------------------


def disable(off: set[str]) -> None:
    """Replace the wrappers of cytobib.caching (and output reuse) that serve each cache by
    plain calls of their steps."""
    from cytobib import caching, outputs
    from cytobib.formats.templating import render_items

    if "parse" in off:
        caching.around_parse = lambda store: lambda data, source, step: step(source)  # type: ignore[assignment]
    if "annotations" in off:
        caching.around_annotations = lambda store, vocabulary: lambda files, step: step(files)  # type: ignore[assignment]
    if "memo" in off:

        def per_entry(store: Any, name: str, records: Any, make: Any, *args: Any, **kw: Any) -> Any:
            return [make(r) for r in records]

        caching.per_entry = per_entry  # type: ignore[assignment]
    if "references" in off:
        caching.ReferenceStore.get = lambda self, keys: {}  # type: ignore[method-assign]
        caching.ReferenceStore.put = lambda self, rows: None  # type: ignore[method-assign]
        caching.reference_list = lambda store, parts, records, make: make()  # type: ignore[assignment]
    if "rendered" in off:
        caching.rendered_items = lambda store, root, vocabulary: render_items  # type: ignore[assignment]
    if "output" in off:
        outputs.recall = lambda store, inputs, key: None  # type: ignore[assignment]
        outputs.remember = lambda store, inputs, key, output: None  # type: ignore[assignment]


def worker(off: str, argv: list[str]) -> None:
    disable({c for c in off.split(",") if c})
    if argv[0] == "steps":
        steps(argv[1])
        return
    from cytobib.cli import run

    sys.exit(run(argv))


def steps(style: str) -> None:
    """Time the steps of a reading list in this process (imports excluded): load, view
    (select, number, format references), render (Markdown through the templates)."""
    import cytobib.formats.markdown  # noqa: F401 - imported here, not inside the timing
    from cytobib import rendering, views
    from cytobib.formats import registry
    from cytobib.library import open_project, settings

    fmt = registry.get("md")
    config = settings()
    times = {}
    t0 = time.perf_counter()
    proj = open_project(config=config)
    times["load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    view = views.reading_list(proj, style=style, group_by=config.group_by)
    times["view_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rendering.render(view, fmt, rendering.context(proj))
    times["render_s"] = time.perf_counter() - t0
    print(json.dumps(times))


# --- the driver ------------------------------------------------------------------------------


def run_once(project: Path, off: tuple[str, ...], style: str, cache: Path, out: Path) -> float:
    env = {"CYTOBIB_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "HOME": str(cache)}
    argv = ["reading-list", "--style", style, "-o", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", ",".join(off), "--", *argv],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"cytobib failed ({proc.returncode}): {proc.stderr[-2000:]!r}")
    return wall


def run_steps(project: Path, off: tuple[str, ...], style: str, cache: Path) -> dict[str, float]:
    env = {"CYTOBIB_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "HOME": str(cache)}
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", ",".join(off), "--", "steps", style],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"steps failed: {proc.stderr[-2000:]}")
    times: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return times


def measure_steps(project: Path, config: str, style: str, repeat: int) -> dict[str, Any]:
    """Warm step times with ``config``'s caches off (the cache filled by a first run)."""
    off = CONFIGS[config]
    runs = []
    with tempfile.TemporaryDirectory(prefix="cytobib-cb-") as tmp:
        cache = Path(tmp) / "cache"
        run_steps(project, off, style, cache)
        time.sleep(2.1)
        runs = [run_steps(project, off, style, cache) for _ in range(repeat)]
    best = {k: min(r[k] for r in runs) for k in runs[0]}
    return {"project": project.name, "config": config, "off": list(off), **best}


def sizes(cache: Path) -> dict[str, int]:
    """Bytes under each top-level folder of the cache (one per mechanism)."""
    out: dict[str, int] = {}
    for sub in sorted(cache.iterdir()) if cache.is_dir() else []:
        out[sub.name] = sum(p.stat().st_size for p in sub.rglob("*") if p.is_file())
    return out


def measure(project: Path, config: str, style: str, repeat: int) -> dict[str, Any]:
    off = CONFIGS[config]
    notes = sorted((project / "annotations").glob("*.yaml"))
    victim = notes[len(notes) // 2]
    original = victim.read_bytes()
    cold: list[float] = []
    warm: list[float] = []
    edit: list[float] = []
    size: dict[str, int] = {}
    try:
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="cytobib-cb-") as tmp:
                cache, out = Path(tmp) / "cache", Path(tmp) / "list.md"
                cold.append(run_once(project, off, style, cache, out))
                size = sizes(cache)
                time.sleep(2.1)  # the racy-clean window of outputs.settled
                warm.append(run_once(project, off, style, cache, out))
                victim.write_bytes(original + b"x-bench-edit: 1\n")
                edit.append(run_once(project, off, style, cache, out))
                victim.write_bytes(original)
                time.sleep(2.1)
    finally:
        if victim.read_bytes() != original:
            victim.write_bytes(original)
    return {
        "project": project.name,
        "config": config,
        "off": list(off),
        "style": style,
        "cold_s": min(cold),
        "warm_s": min(warm),
        "one_edit_s": min(edit),
        "runs": {"cold": cold, "warm": warm, "one_edit": edit},
        "cache_bytes": size,
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[sys.argv.index("--") + 1 :])
        return
    import reading_list_bench

    projects = {
        "distinct": reading_list_bench.ensure_distinct,
        "sparse": lambda: reading_list_bench.ensure_distinct(10),
    }
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--projects", nargs="+", default=["sparse"], choices=list(projects))
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--style", default="vancouver")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--steps", action="store_true", help="time load/view/render in-process")
    args = ap.parse_args()
    if args.steps:
        step_rows = []
        for name in args.projects:
            project = projects[name]()
            for config in args.configs:
                print(f"steps {name} / {config} ...", flush=True)
                step_rows.append(measure_steps(project, config, args.style, args.repeat))
        print("\n| project | caches off | load s | view s | render s |")
        print("|---|---|--:|--:|--:|")
        for r in step_rows:
            print(
                f"| {r['project']} | {','.join(r['off']) or '-'} | {r['load_s']:.3f} "
                f"| {r['view_s']:.3f} | {r['render_s']:.3f} |"
            )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "cache_steps.json").write_text(json.dumps(step_rows, indent=1))
        return
    rows = []
    for name in args.projects:
        project = projects[name]()
        time.sleep(2.1)  # files just generated are within the racy-clean window
        for config in args.configs:
            print(f"measuring {name} / {config} ...", flush=True)
            rows.append(measure(project, config, args.style, args.repeat))
            r = rows[-1]
            print(f"  cold {r['cold_s']:.2f}  warm {r['warm_s']:.2f}  edit {r['one_edit_s']:.2f}")
    print("\n| project | caches off | cold s | warm s | one edit s | cache MB |")
    print("|---|---|--:|--:|--:|--:|")
    for r in rows:
        mb = sum(r["cache_bytes"].values()) / 1e6
        print(
            f"| {r['project']} | {','.join(r['off']) or '-'} | {r['cold_s']:.2f} "
            f"| {r['warm_s']:.2f} | {r['one_edit_s']:.2f} | {mb:.1f} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cache.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
