"""How fast `cytobib list` is on 10k entries (issue 14: "fast on 10k").

    .venv/bin/python bench/list_bench.py                    # every project and query
    .venv/bin/python bench/list_bench.py --projects sparse --repeat 5

The projects are those of bench/reading_list_bench.py (built once under bench/_generated/):
``sparse`` (mix-10k, 10,000 distinct works, 1,000 annotated), ``distinct`` (the same works,
each annotated) and ``replica`` (biox7-10k: 10,115 entries with their abstracts, 25 MB, the
most text to search). Each cell runs the real command in a new process, stdout to a file:

- plain: ``cytobib list`` (the table, sorted by author);
- search: ``cytobib list --search IL-2`` (full text: title, abstract, keywords, notes);
- regex: ``cytobib list --where 'text ~ "interleukin.?2"'``;
- newest: ``cytobib list --sort -year --format json``.

Cold is an empty cache folder (the library is parsed and every annotation read); warm is the
same command again. Results also go to bench/results/list.json.
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

import reading_list_bench  # noqa: E402 - bench/ is not a package; the path is set just above

CYTOBIB = Path(sys.executable).with_name("cytobib")
QUERIES: dict[str, list[str]] = {
    "plain": [],
    "search": ["--search", "IL-2"],
    "regex": ["--where", 'text ~ "interleukin.?2"'],
    "newest": ["--sort", "-year", "--format", "json"],
}


def run(project: Path, args: list[str], cache: Path, out: Path) -> tuple[float, float, int]:
    """One `cytobib list` run: (wall seconds, CPU seconds, lines written). CPU time (user +
    system, from wait4) is reported too: on a shared machine it varies far less."""
    env = {"CYTOBIB_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "HOME": str(cache)}
    t0 = time.perf_counter()
    with out.open("wb") as fh:
        proc = subprocess.Popen(
            [str(CYTOBIB), "list", "--keep-going", *args],
            cwd=project, env=env, stdout=fh, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"cytobib failed: {err[-2000:].decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime, out.read_bytes().count(b"\n")


def measure(name: str, query: str, repeat: int) -> dict[str, Any]:
    project = reading_list_bench.PROJECTS[name]()
    cold: list[tuple[float, float]] = []
    warm: list[tuple[float, float]] = []
    lines = 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="cytobib-list-") as tmp:
            cache, out = Path(tmp) / "cache", Path(tmp) / "out.txt"
            wall, cpu, lines = run(project, QUERIES[query], cache, out)
            cold.append((wall, cpu))
            warm.append(run(project, QUERIES[query], cache, out)[:2])
    return {"project": name, "query": query, "cold_s": min(w for w, _ in cold),
            "cold_cpu_s": min(c for _, c in cold), "warm_s": min(w for w, _ in warm),
            "warm_cpu_s": min(c for _, c in warm), "lines": lines,
            "runs": {"cold": cold, "warm": warm}}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    choices = list(reading_list_bench.PROJECTS)
    ap.add_argument("--projects", nargs="+", default=choices, choices=choices)
    ap.add_argument("--queries", nargs="+", default=list(QUERIES), choices=list(QUERIES))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for name in args.projects:
        for query in args.queries:
            print(f"measuring {name} / {query} ...", flush=True)
            rows.append(measure(name, query, args.repeat))
    print("\n| project | query | cold s (CPU) | warm s (CPU) | lines out |")
    print("|---|---|--:|--:|--:|")
    for r in rows:
        print(
            f"| {r['project']} | {r['query']} | {r['cold_s']:.2f} ({r['cold_cpu_s']:.2f}) "
            f"| {r['warm_s']:.2f} ({r['warm_cpu_s']:.2f}) | {r['lines']:,} |"
        )
    print("\nbest of the repeats (new process each, stdout to a file); wall (CPU) seconds")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "list.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
