"""How fast `cytobib reading-list` is end to end on 10k annotated entries (issue 5).

    .venv/bin/python bench/reading_list_bench.py                  # all projects, 2 styles
    .venv/bin/python bench/reading_list_bench.py --projects distinct --styles apa --repeat 3

Three projects, with generated annotations (bench/export_bench.py writes
them: summary, claims, caveats, agents, cancers, tags, status), built once under
bench/_generated/ (git-ignored):

- ``distinct``: ``mix-10k``, 10,000 different real works (the oncology Zotero export, a
  lab's hand-kept bibliography and RFCs; 6 MB), the realistic case;
- ``sparse``: the same 10,000 works with an annotation on every tenth (1,000), as a large
  library with a reviewed subset looks;
- ``replica``: ``biox7-10k``, the 1,445-entry Zotero export with abstracts seven times
  (10,115 entries, 25 MB): every work has six twins with the same authors, year and title,
  so in author-date styles every item needs a year suffix, the worst case for the engine.

Each cell runs the real command, ``cytobib reading-list --style S -o FILE`` (Markdown, grouped
by agent, default sections), in a new process, and reports wall seconds and the
process's peak RSS:

- cold: empty cache folder (parsed library and annotations, formatted references, derived
  values, rendered items);
- warm: the same command again, nothing changed (the last output is reused);
- one edit: one annotation file changed, then the command again (everything else cached).

Targets (issue 5): cold under 10 s and warm under 1 s at 10k entries. Results also go to
bench/results/reading_list.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

import datasets  # noqa: E402 - bench/ is not a package; the path is set just above
import export_bench  # noqa: E402

CYTOBIB = Path(sys.executable).with_name("cytobib")


def ensure_distinct(every: int = 1) -> Path:
    """bench/_generated/rl-mix-10k: the 10k distinct works, each with an annotation (with
    ``every`` > 1: only every so many works have one)."""
    project = HERE / "_generated" / ("rl-mix-10k" if every == 1 else f"rl-mix-10k-1in{every}")
    marker = project / ".complete"
    if marker.exists():
        return project
    sys.path.insert(0, str(REPO / "src"))
    from cytobib import bibfile
    from cytobib.annotations import is_safe_key

    bib = datasets.ensure()["mix-10k"]
    notes = project / "annotations"
    notes.mkdir(parents=True, exist_ok=True)
    (project / "cytobib.toml").write_text(
        f'[library]\nbib = "{bib.resolve().as_posix()}"\nannotations = "annotations"\n'
    )
    rng = random.Random(11)
    for n, entry in enumerate(bibfile.parse(bibfile.read_text(bib)).entries):
        if is_safe_key(entry.key) and n % every == 0:
            text = export_bench.annotation_yaml(rng)
            (notes / f"{entry.key}.yaml").write_text(text, encoding="utf-8")
    marker.write_text("ok\n")
    return project


PROJECTS = {
    "distinct": ensure_distinct,
    "sparse": lambda: ensure_distinct(10),
    "replica": export_bench.ensure_project,
}


def run(project: Path, style: str, cache: Path, out: Path) -> tuple[float, float, float]:
    """One `cytobib reading-list` run: (wall seconds, peak RSS MB of that process, CPU
    seconds of the process and the children it waited for: pandoc, forked workers).

    The peak is the process's own (wait4), not RUSAGE_CHILDREN's maximum over every child so
    far. pandoc runs are children of cytobib and are not included.
    """
    env = {"CYTOBIB_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "HOME": str(cache)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(CYTOBIB), "reading-list", "--style", style, "-o", str(out)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"cytobib failed ({code}): {err[-2000:].decode(errors='replace')}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def measure(name: str, style: str, repeat: int) -> dict[str, Any]:
    project = PROJECTS[name]()
    notes = sorted((project / "annotations").glob("*.yaml"))
    victim = notes[len(notes) // 2]
    original = victim.read_bytes()
    cold: list[float] = []
    warm: list[float] = []
    edit: list[float] = []
    cpu: dict[str, list[float]] = {"cold": [], "warm": [], "one_edit": []}
    peak = 0.0
    try:
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="cytobib-rl-") as tmp:
                cache, out = Path(tmp) / "cache", Path(tmp) / "list.md"
                seconds, rss, used = run(project, style, cache, out)
                cold.append(seconds)
                cpu["cold"].append(used)
                peak = max(peak, rss)
                seconds, _, used = run(project, style, cache, out)
                warm.append(seconds)
                cpu["warm"].append(used)
                # A change of content, not just of bytes: the file is parsed and checked anew.
                victim.write_bytes(original + b"x-bench-edit: 1\n")
                seconds, _, used = run(project, style, cache, out)
                edit.append(seconds)
                cpu["one_edit"].append(used)
                victim.write_bytes(original)
                # A file changed within 2 s of a run is not trusted by its stat (the
                # racy-clean rule of cytobib.uptodate): wait, so that the next warm run
                # measures reuse, not a fresh run.
                time.sleep(2.1)
                size = out.stat().st_size / 1e6
    finally:
        if victim.read_bytes() != original:  # a needless rewrite would make it "too new"
            victim.write_bytes(original)
    return {
        "project": name,
        "style": style,
        "cold_s": min(cold),
        "warm_s": min(warm),
        "one_edit_s": min(edit),
        "runs": {"cold": cold, "warm": warm, "one_edit": edit},
        "cpu_s": {name: min(values) for name, values in cpu.items()},
        "load": os.getloadavg()[0],
        "peak_rss_mb": peak,
        "output_mb": size,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--projects", nargs="+", default=list(PROJECTS), choices=list(PROJECTS))
    ap.add_argument("--styles", nargs="+", default=["vancouver", "apa"])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    rows = []
    for name in args.projects:
        for style in args.styles:
            print(f"measuring {name} / {style} ...", flush=True)
            rows.append(measure(name, style, args.repeat))
    print(
        "\n| project | style | cold s | warm s | one edit s | CPU s cold / warm / edit "
        "| peak RSS MB | output MB | load |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        cold = f"{r['cold_s']:.1f}" + (" ✗" if r["cold_s"] >= 10 else "")
        warm = f"{r['warm_s']:.2f}" + (" ✗" if r["warm_s"] >= 1 else "")
        used = " / ".join(f"{r['cpu_s'][k]:.2f}" for k in ("cold", "warm", "one_edit"))
        print(
            f"| {r['project']} | {r['style']} | {cold} | {warm} | {r['one_edit_s']:.2f} "
            f"| {used} | {r['peak_rss_mb']:.0f} | {r['output_mb']:.1f} | {r['load']:.1f} |"
        )
    print("\nbest of the repeats; targets: cold < 10 s, warm < 1 s (✗ = missed)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reading_list.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
