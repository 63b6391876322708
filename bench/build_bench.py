"""How fast `cytobib build` is on the 1,445-entry library (issue 15: warm "well under 0.5 s").

    .venv/bin/python bench/build_bench.py                  # best of 3
    .venv/bin/python bench/build_bench.py --repeat 5

The project is bench/_generated/tables-1445 (bench/table_bench.py makes it: the Zotero export
in ../shared/data, every work with a generated annotation, 1 % marked retracted). Each cell
runs the real command, ``cytobib build -o DIR`` with the project's formats (reading list in
Markdown and HTML, review table in Markdown, CSV and XLSX, evidence map, four exports), in a
new process, and reports wall and CPU seconds (the machine is shared: CPU time is what the
command itself cost):

- cold: empty cache folder;
- warm: the same command again, nothing changed;
- one edit: one annotation's content changed, then the command again.

Run it with another checkout's interpreter to measure that checkout (the ``cytobib`` script
beside ``sys.executable`` is run). Results also go to bench/results/build.json.
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

import table_bench  # noqa: E402 - bench/ is not a package; the path is set just above

CYTOBIB = Path(sys.executable).with_name("cytobib")


def run(project: Path, cache: Path, out: Path) -> tuple[float, float]:
    """One `cytobib build`: (wall seconds, CPU seconds of the process and its children)."""
    env = {"CYTOBIB_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "HOME": str(cache)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(CYTOBIB), "build", "-o", str(out)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"cytobib failed: {err[-2000:].decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(repeat: int) -> dict[str, Any]:
    project = table_bench.generate(1445)
    notes = sorted((project / "annotations").glob("*.yaml"))
    victim = notes[len(notes) // 2]
    original = victim.read_bytes()
    time.sleep(2.1)  # files just generated are within the racy-clean window of output reuse
    cells: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "one_edit": []}
    try:
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="cytobib-build-") as tmp:
                cache, out = Path(tmp) / "cache", Path(tmp) / "build"
                cells["cold"].append(run(project, cache, out))
                time.sleep(2.1)
                cells["warm"].append(run(project, cache, out))
                victim.write_bytes(original + b"x-bench-edit: 1\n")
                cells["one_edit"].append(run(project, cache, out))
                victim.write_bytes(original)
                time.sleep(2.1)
    finally:
        if victim.read_bytes() != original:
            victim.write_bytes(original)
    return {
        name: {"wall_s": min(w for w, _ in runs), "cpu_s": min(c for _, c in runs), "runs": runs}
        for name, runs in cells.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    result = measure(args.repeat)
    print("| build, 1,445 works | wall s | CPU s |")
    print("|---|--:|--:|")
    for name, cell in result.items():
        print(f"| {name.replace('_', ' ')} | {cell['wall_s']:.2f} | {cell['cpu_s']:.2f} |")
    print(f"\nbest of {args.repeat}; load average {os.getloadavg()[0]:.1f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "build.json").write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
