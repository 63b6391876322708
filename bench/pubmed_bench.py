"""Enrich 1,000 DOIs with PubMed data against a local NCBI stand-in that enforces NCBI's limit.

For each limit (3/s without a key, 10/s with ``NCBI_API_KEY``) the PubMed step of enrich
(DOIs -> PMIDs through the ID Converter and ESearch, then the records by EFetch, batched) runs
on a cold cache, then again on the warm cache. Reported: requests used (by E-utility), seconds
against the least the limit allows ((requests - 1) / rate), requests the server counted over
its limit (must be 0), and the cached rerun's seconds (target < 1 s).

    .venv/bin/python bench/pubmed_bench.py [--works 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cytobib.pubmed.cache import PubMedCache
from cytobib.pubmed.http import PubMedClient
from cytobib.pubmed.records import PubMedRecord
from pubmed_server import SYNTHETIC_BASE, Enforce, PubMedTestServer


def run(works: int, rate: int, key: str | None) -> dict[str, float]:
    server = PubMedTestServer(None, enforce=Enforce(rate=rate)).start()
    dois = [f"10.5555/pm.{SYNTHETIC_BASE + i}" for i in range(works)]
    try:
        with tempfile.TemporaryDirectory() as folder:

            def client() -> PubMedClient:
                return PubMedClient(
                    eutils_url=server.eutils_url,
                    idconv_url=server.idconv_url,
                    email="bench@example.org",
                    api_key=key,
                    cache=PubMedCache(Path(folder)),
                )

            started = time.perf_counter()
            cold = client()
            pmids = cold.pmids_for_dois(dois)
            records = cold.records([p for p in pmids.values() if isinstance(p, str) and p])
            cold_seconds = time.perf_counter() - started
            found = sum(isinstance(r, PubMedRecord) for r in records.values())
            requests = len(server.hits)
            stats = cold.stats
            server.reset()
            started = time.perf_counter()
            warm = client()
            again = warm.pmids_for_dois(dois)
            warm.records([p for p in again.values() if isinstance(p, str) and p])
            warm_seconds = time.perf_counter() - started
            return {
                "found": found,
                "requests": requests,
                "idconv": stats.idconv,
                "esearch": stats.esearch,
                "efetch": stats.efetch,
                "seconds": cold_seconds,
                "minimum": (requests - 1) / rate,
                "over_limit": server.violations,
                "warm_seconds": warm_seconds,
                "warm_requests": len(server.hits),
            }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=1000)
    args = parser.parse_args()
    print(f"{args.works} DOIs, half of them in PMC (ID Converter), half found by ESearch")
    print("| limit | records | requests (idconv/esearch/efetch) | seconds | least allowed | "
          "over limit | cached rerun s (requests) |")  # fmt: skip
    print("|---|--:|---|--:|--:|--:|--:|")
    for rate, key in ((3, None), (10, "benchkey0123456789")):
        r = run(args.works, rate, key)
        print(
            f"| {rate}/s | {r['found']:.0f} | {r['requests']:.0f} ({r['idconv']:.0f}/"
            f"{r['esearch']:.0f}/{r['efetch']:.0f}) | {r['seconds']:.2f} | {r['minimum']:.2f} | "
            f"{r['over_limit']:.0f} | {r['warm_seconds']:.2f} ({r['warm_requests']:.0f}) |"
        )


if __name__ == "__main__":
    main()
