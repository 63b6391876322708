"""The store's own cost (cytobib.store); its codec against pickle, the format of the caches it
replaced (their table comparison is in docs/caching.md, "The store's own cost").

    .venv/bin/python bench/store_bench.py            # best of 5
    .venv/bin/python bench/store_bench.py --repeat 9

Three workloads, sized like a 10k reading list grouped by agent:

- small: 20,000 small values (an author sort key: a tuple of two strings and an int);
- items: 20,000 rendered items (~1.5 KB of Markdown each, as ``str``);
- parse: one value holding 10,000 parsed entries (key, type, fields dict, line, span), the
  shape of the parse cache, as one row.

For each: writing a fresh table (put + close), and reading every value back from a warm file
in a new ``Store`` (open, batch get, close; nothing is written), plus the codec
alone (``store.encode``/``decode`` against ``pickle.dumps``/``loads``). Results also go to
bench/results/store.json.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import string
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent / "src"))

from cytobib import store  # noqa: E402 - the path is set just above


def _words(rng: random.Random, n: int) -> str:
    return " ".join(
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 10))) for _ in range(n)
    )


def workloads() -> dict[str, dict[bytes, Any]]:
    rng = random.Random(5)
    keys = [store.key_of("item", n) for n in range(20_000)]
    small = {k: (_words(rng, 2), _words(rng, 6), rng.randint(1950, 2025)) for k in keys}
    items = {k: "1. " + _words(rng, 230)[:1500] + "\n" for k in keys}
    entries = [
        (
            f"key{n}",
            "article",
            {f: _words(rng, 8) for f in ("author", "title", "journal", "year", "doi", "pages")},
            n * 9 + 1,
            (n * 600, n * 600 + 580),
        )
        for n in range(10_000)
    ]
    return {"small": small, "items": items, "parse": {store.key_of("bib"): entries}}


def best(repeat: int, run: Callable[[], Any]) -> float:
    """The least CPU time of this process over ``repeat`` runs: on a shared machine, wall
    time measures the neighbours (everything here is CPU-bound: the files are in the page
    cache and WAL commits do not fsync)."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return min(times)


def measure(name: str, values: dict[bytes, Any], repeat: int, tmp: Path) -> dict[str, Any]:
    tbl = store.table(name)
    keys = list(values)
    db = tmp / f"{name}.sqlite3"

    def store_write() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        with store.Store(db) as s:
            s.put_many(tbl, values)

    def store_read() -> None:
        with store.Store(db) as s:
            found = s.get_many(tbl, keys)
        assert len(found) == len(keys)

    raws = [store.encode(v) for v in values.values()]
    pickles = [pickle.dumps(v, protocol=5) for v in values.values()]
    return {
        "workload": name,
        "values": len(values),
        "store_write_s": best(repeat, store_write),
        "store_read_s": best(repeat, store_read),
        "encode_s": best(repeat, lambda: [store.encode(v) for v in values.values()]),
        "decode_s": best(repeat, lambda: [store.decode(r) for r in raws]),
        "pickle_dumps_s": best(repeat, lambda: [pickle.dumps(v, 5) for v in values.values()]),
        "pickle_loads_s": best(repeat, lambda: [pickle.loads(p) for p in pickles]),
        "store_mb": db.stat().st_size / 1e6,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cytobib-store-") as tmp:
        for name, values in workloads().items():
            rows.append(measure(name, values, args.repeat, Path(tmp)))
    cols = [
        ("workload", "{}"), ("store_write_s", "{:.3f}"), ("store_read_s", "{:.3f}"),
        ("encode_s", "{:.3f}"), ("decode_s", "{:.3f}"), ("pickle_dumps_s", "{:.3f}"),
        ("pickle_loads_s", "{:.3f}"), ("store_mb", "{:.1f}"),
    ]  # fmt: skip
    print("| " + " | ".join(c for c, _ in cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f.format(r[c]) for c, f in cols) + " |")
    print(f"\nbest of {args.repeat}; CPU seconds for all values of the workload")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "store.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
