"""Benchmark the Crossref client against a local server that enforces Crossref's 2026 limits.

Run on demand (about a minute)::

    .venv/bin/python bench/crossref_bench.py            # 500 DOIs, 10/s, 3 in flight, 150 ms
    .venv/bin/python bench/crossref_bench.py --n 100    # quicker

An enrich-like run fetches ``--n`` synthetic DOIs (``10.5555/...``) through
``CrossrefClient.works()`` with a contact address (polite pool), against the test server of
``tests/crossref_server.py`` enforcing ``--rate`` requests per second and ``--concurrency`` in
flight with ``--latency`` seconds per answer. It reports throughput against the allowed rate,
the server's count of violations, and the time of a second run served from the cache.

Targets: throughput >= 90 % of the allowed rate, zero violations, second run < 1 s. The exit
status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from crossref_server import CrossrefTestServer, Enforce
from cytobib.crossref import Cache, CrossrefClient


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="DOIs to fetch (default 500)")
    parser.add_argument("--rate", type=int, default=10, help="allowed requests per second")
    parser.add_argument("--concurrency", type=int, default=3, help="allowed in flight")
    parser.add_argument("--latency", type=float, default=0.15, help="seconds per answer")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)

    enforce = Enforce(rate=args.rate, interval=1.0, concurrency=args.concurrency)
    dois = [f"10.5555/bench-{i:05d}" for i in range(args.n)]
    server = CrossrefTestServer(latency=args.latency, enforce=enforce).start()
    try:
        with tempfile.TemporaryDirectory(prefix="cytobib-bench-") as tmp:
            client = CrossrefClient(
                base_url=server.url,
                mailto="bench@example.org",
                cache=Cache(tmp),
                progress=args.progress,
            )
            started = time.perf_counter()
            first = client.works(dois)
            first_s = time.perf_counter() - started
            fetched = sum(isinstance(v, dict) for v in first.values())
            sent = len(server.hits)

            again = CrossrefClient(
                base_url=server.url, mailto="bench@example.org", cache=Cache(tmp)
            )
            started = time.perf_counter()
            second = again.works(dois)
            second_s = time.perf_counter() - started
            second_ok = sum(isinstance(v, dict) for v in second.values())
            second_sent = len(server.hits) - sent
    finally:
        server.stop()

    throughput = args.n / first_s
    share = throughput / args.rate
    violations = server.rate_violations + server.concurrency_violations
    print(f"server: {args.rate} req/s, {args.concurrency} in flight, {args.latency * 1000:.0f} ms")
    print(f"first run:  {fetched}/{args.n} works in {first_s:.2f} s, {sent} requests")
    print(f"throughput: {throughput:.2f} req/s = {share:.1%} of the allowed {args.rate} req/s")
    print(
        f"violations: {server.rate_violations} rate, {server.concurrency_violations} concurrency "
        f"(max in flight {server.max_in_flight}); 429s seen: {client.limiter.stats.throttled}; "
        f"failed requests: {client.stats.failures}; pool: {client.pool}"
    )
    print(f"second run: {second_ok}/{args.n} works in {second_s:.3f} s, {second_sent} requests")
    targets = {
        "throughput >= 90% of allowed": share >= 0.90,
        "zero violations": violations == 0,
        "second run < 1 s with no requests": second_s < 1.0 and second_sent == 0,
        "every work fetched": fetched == args.n and second_ok == args.n,
    }
    for name, ok in targets.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
