"""Push and pull of 1,000 works against the Zotero API stand-in with 100 ms latency: requests
used and seconds, beside the fewest requests the API's limits allow.

    .venv/bin/python bench/zotero_bench.py                  # 1,000 works, 100 ms
    .venv/bin/python bench/zotero_bench.py --works 200 --latency 0.05

The works are ``bio-1k`` (bench/datasets.py: the first 1,000 entries of the real Zotero export in
../shared/data) with a generated annotation each (bench/export_bench.py's generator), written
once into bench/_generated/zotero-1k/. The server is tests/zotero_api_server.py (real HTTP on
127.0.0.1, one thread per request) sleeping ``--latency`` seconds before each answer; the client
is cytobib's, through pyzotero, on the real clock. Steps:

1. push into an empty group library (every item and its cytobib note created);
2. push again (nothing changed);
3. pull into a second, empty project (the co-author's first pull: every work new);
4. 10 notes edited in Zotero, then pull in the first project (incremental);
5. 10 annotations edited in cytobib, then push (incremental).

The floor is what the documented limits allow at best (``shared/docs/zotero-web-api.md``):
objects / 50 per POST (doc §6); for reads, one ``format=versions`` list (no limit) and the
changed objects by ``itemKey``, 50 per request (doc §5; the server accepts 100). Results also go
to bench/results/zotero.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

import datasets  # noqa: E402
from export_bench import annotation_yaml  # noqa: E402

PROJECT = datasets.GENERATED / "zotero-1k"
RESULTS = HERE / "results" / "zotero.json"
GROUP = "groups/4242"
KEY = "B" * 24


def ensure_project(works: int) -> Path:
    """bench/_generated/zotero-1k: the first ``works`` entries of bio-1k, annotated."""
    from cytobib import bibfile
    from cytobib.annotations import is_safe_key

    root = PROJECT.with_name(f"zotero-{works}")
    marker = root / ".complete"
    if marker.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    notes = root / "annotations"
    notes.mkdir(parents=True)
    source = datasets.ensure()["bio-1k"]
    parsed = bibfile.parse(bibfile.read_text(source))
    entries = [e for e in parsed.entries if is_safe_key(e.key)][:works]
    text = "\n\n".join(e.raw for e in entries) + "\n"
    (root / "library.bib").write_text(text, encoding="utf-8")
    (root / "cytobib.toml").write_text(
        f'[library]\nbib = "library.bib"\nannotations = "annotations"\n\n'
        f'[zotero]\nlibrary = "{GROUP}"\n',
        encoding="utf-8",
    )
    rng = random.Random(18)
    for e in entries:
        (notes / f"{e.key}.yaml").write_text(annotation_yaml(rng), encoding="utf-8")
    marker.write_text("", encoding="utf-8")
    return root


def run(step: str, call: Any, server: Any, client: Any) -> dict[str, Any]:
    server.reset_log()
    started = time.perf_counter()
    report = call(client)
    seconds = time.perf_counter() - started
    stats = client.stats
    return {
        "step": step,
        "seconds": round(seconds, 2),
        "requests": stats.requests,
        "by_method": dict(stats.by_method),
        "report": report,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()

    import cytobib
    from cytobib.library import open_project
    from cytobib.zotero import PoliteTransport, ZoteroClient, ZoteroSettings
    from zotero_api_server import running

    base = ensure_project(args.works)
    work = datasets.GENERATED / "zotero-run"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base, work / "a")
    (work / "b").mkdir()
    (work / "b" / "library.bib").write_text("", encoding="utf-8")
    (work / "b" / "cytobib.toml").write_text(f'[zotero]\nlibrary = "{GROUP}"\n', encoding="utf-8")
    works = len(open_project(work / "a").library)
    rows = []
    with running(latency=args.latency) as server:
        server.library(GROUP, key=KEY)
        lib = server.libraries[GROUP]

        def client() -> Any:
            settings = ZoteroSettings(GROUP, url=server.url)
            return ZoteroClient(settings, KEY, transport=PoliteTransport())

        def push(root: Path) -> Any:
            return lambda c: cytobib.zotero_push(open_project(root), client=c)

        def pull(root: Path) -> Any:
            return lambda c: cytobib.zotero_pull(open_project(root), client=c)

        rows.append(run("push, empty library", push(work / "a"), server, client()))
        objects = 2 * works
        rows[-1]["floor"] = 1 + math.ceil(objects / 50)
        rows.append(run("push again, no change", push(work / "a"), server, client()))
        rows[-1]["floor"] = 1
        rows.append(run("pull into an empty project", pull(work / "b"), server, client()))
        rows[-1]["floor"] = 1 + math.ceil(objects / 50)
        edited = sorted(n["key"] for n in lib.notes())[:10]
        for key in edited:
            lib.edit(key, note=lib.objects[key]["note"].replace("Summary: ", "Summary: Edited. "))
        rows.append(run("pull, 10 notes edited in Zotero", pull(work / "a"), server, client()))
        rows[-1]["floor"] = 2 + 1  # versions, deleted, one itemKey read
        for path in sorted((work / "a" / "annotations").glob("*.yaml"))[-10:]:
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("priority: ", "priority: 1\n#", 1), encoding="utf-8")
        rows.append(run("push, 10 annotations edited", push(work / "a"), server, client()))
        rows[-1]["floor"] = 1 + 1  # versions, one POST of 10 notes
    added = len(rows[2]["report"].plan.added)
    print(f"{works} works, {args.latency * 1000:.0f} ms latency per request, 1 in flight")
    print(f"{'step':<34} {'requests':>8} {'floor':>6} {'writes':>7} {'seconds':>8}")
    for row in rows:
        writes = sum(n for m, n in row["by_method"].items() if m != "GET")
        print(f"{row['step']:<34} {row['requests']:>8} {row['floor']:>6} {writes:>7} "
              f"{row['seconds']:>8.1f}")  # fmt: skip
    print(f"pull into an empty project added {added} entries")
    print(f"Zotero now holds {len(lib.top())} items and {len(lib.notes())} notes")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out = [{k: v for k, v in r.items() if k != "report"} for r in rows]
    RESULTS.write_text(
        json.dumps({"works": works, "latency": args.latency, "rows": out}, indent=1) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
