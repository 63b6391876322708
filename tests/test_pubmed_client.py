"""The PubMed client against a real local HTTP server serving the recorded NCBI answers:
batching, the per-id cache, DOI and PMCID conversion, and every kind of bad answer."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from cytobib import net
from cytobib.errors import (
    ConfigError,
    PubMedBadResponse,
    PubMedNotFound,
    PubMedOfflineMiss,
    PubMedUnavailable,
)
from cytobib.pubmed.cache import PubMedCache
from cytobib.pubmed.http import PubMedClient
from cytobib.pubmed.records import PubMedRecord
from pubmed_server import SYNTHETIC_BASE, Fault, PubMedTestServer, running_server
from serverkit import FakeClock


@pytest.fixture
def server() -> Iterator[PubMedTestServer]:
    with running_server() as running:
        yield running


def client_for(
    server: PubMedTestServer, tmp_path: Path, *, mode: str = "normal", **options: object
) -> PubMedClient:
    cache = PubMedCache(tmp_path / "pubmed", mode=mode)  # type: ignore[arg-type]
    options.setdefault("clock", FakeClock())
    return PubMedClient(
        eutils_url=server.eutils_url,
        idconv_url=server.idconv_url,
        email="reader@example.org",
        cache=cache,
        rng=random.Random(1),
        **options,  # type: ignore[arg-type]
    )


def test_records_are_fetched_and_parsed(server: PubMedTestServer, tmp_path: Path) -> None:
    """Two PMIDs cost one EFetch request that identifies cytobib; both records come back."""
    client = client_for(server, tmp_path)
    found = client.records(["39236155", "23121403"])
    assert {k: v.pmid for k, v in found.items() if isinstance(v, PubMedRecord)} == {
        "39236155": "39236155",
        "23121403": "23121403",
    }
    [hit] = server.hits_to("efetch")
    assert hit.query["id"] == ["39236155,23121403"]
    assert hit.query["tool"] == ["cytobib"] and hit.query["email"] == ["reader@example.org"]
    assert hit.query["db"] == ["pubmed"] and hit.query["retmode"] == ["xml"]


def test_batches_of_200_and_a_cached_rerun(server: PubMedTestServer, tmp_path: Path) -> None:
    """450 PMIDs take three requests (200, 200, 50); asking again takes none."""
    client = client_for(server, tmp_path)
    pmids = [str(SYNTHETIC_BASE + i) for i in range(450)]
    first = client.records(pmids)
    assert all(isinstance(v, PubMedRecord) for v in first.values())
    sizes = [len(h.query["id"][0].split(",")) for h in server.hits_to("efetch")]
    assert sizes == [200, 200, 50]
    server.reset()
    again = client_for(server, tmp_path).records(pmids)
    assert server.hits == [] and again == first


def test_api_key_raises_the_pace_and_is_sent(
    server: PubMedTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With NCBI_API_KEY the limiter allows 10/s (3 without) and E-utilities get api_key."""
    assert client_for(server, tmp_path).limiter.limit() == (3, 1.0)
    monkeypatch.setenv("NCBI_API_KEY", "abcdef0123456789")
    client = client_for(server, tmp_path / "k")
    assert client.limiter.limit() == (10, 1.0)
    client.records(["39236155"])
    assert server.hits_to("efetch")[0].query["api_key"] == ["abcdef0123456789"]


def test_headers_cannot_raise_ncbi_limits(server: PubMedTestServer, tmp_path: Path) -> None:
    """A server announcing 50/s does not make the client pace above NCBI's 3/s."""
    client = client_for(server, tmp_path)
    client.limiter.observe("single", {"X-RateLimit-Limit": "50"})
    assert client.limiter.limit() == (3, 1.0)


def test_a_bad_api_key_is_a_config_error(server: PubMedTestServer, tmp_path: Path) -> None:
    """An NCBI_API_KEY with spaces or symbols is refused before anything is sent."""
    with pytest.raises(ConfigError, match="NCBI_API_KEY"):
        client_for(server, tmp_path, api_key="not a key!")


def test_unknown_and_deleted_pmids(server: PubMedTestServer, tmp_path: Path) -> None:
    """A PMID PubMed leaves out is not found; one in DeleteCitation is reported deleted."""
    server.deleted.add("1234567")
    found = client_for(server, tmp_path).records(["1", "1234567", "x12"])
    assert isinstance(found["1"], PubMedNotFound) and "no record" in str(found["1"])
    assert isinstance(found["1234567"], PubMedNotFound) and "deleted" in str(found["1234567"])
    assert isinstance(found["x12"], ValueError)
    assert len(server.hits_to("efetch")) == 1


def test_doi_to_pmid_through_converter_and_search(server: PubMedTestServer, tmp_path: Path) -> None:
    """DOIs in PMC come from the ID Converter; the others from an ESearch by DOI whose hits
    are checked against their own DOI; a DOI PubMed does not have maps to ""."""
    client = client_for(server, tmp_path)
    in_pmc = "10.1126/science.adn0327"  # PMC7616710
    not_in_pmc = "10.1056/NEJMoa1210384"
    found = client.pmids_for_dois([in_pmc, not_in_pmc, "10.9999/unknown", "nonsense"])
    assert found[in_pmc] == "39236155"
    assert found[not_in_pmc] == "23121403"
    assert found["10.9999/unknown"] == ""
    assert isinstance(found["nonsense"], ValueError)
    assert len(server.hits_to("idconv")) == 1 and len(server.hits_to("esearch")) == 1


def test_pmcid_converts(server: PubMedTestServer, tmp_path: Path) -> None:
    """A PMCID becomes its PMID and DOI through the converter."""
    found = client_for(server, tmp_path).convert(["PMC7616710"], "pmcid")
    conversion = found["PMC7616710"]
    assert not isinstance(conversion, Exception)
    assert (conversion.pmid, conversion.doi) == ("39236155", "10.1126/science.adn0327")


def test_converter_error_per_id(server: PubMedTestServer, tmp_path: Path) -> None:
    """One id the converter rejects does not spoil the others of its batch."""
    server.idconv_errors["PMC1"] = "invalid article id"
    found = client_for(server, tmp_path).convert(["PMC1", "PMC7616710"], "pmcid")
    bad, good = found["PMC1"], found["PMC7616710"]
    assert not isinstance(bad, Exception) and bad.error == "invalid article id" and not bad.pmid
    assert not isinstance(good, Exception) and good.pmid == "39236155"


def test_a_429_storm_gives_up_after_retries(server: PubMedTestServer, tmp_path: Path) -> None:
    """Four 429s with Retry-After 2: the client waits as told, then reports NCBI unavailable
    for that batch (nothing cached)."""
    server.add_faults(*[Fault("429", retry_after="2")] * 4)
    clock = FakeClock()
    client = client_for(server, tmp_path, clock=clock)
    found = client.records(["39236155"])
    assert isinstance(found["39236155"], PubMedUnavailable)
    assert "after 4 attempts" in str(found["39236155"])
    assert [s for s in clock.sleeps if s >= 2] == [2.0, 2.0, 2.0]
    assert len(server.hits_to("efetch")) == 4
    assert client.cache is not None and len(client.cache) == 0


def test_a_429_then_success(server: PubMedTestServer, tmp_path: Path) -> None:
    """One 429 is retried and the record arrives."""
    server.add_faults(Fault("429"))
    found = client_for(server, tmp_path).records(["39236155"])
    assert isinstance(found["39236155"], PubMedRecord)
    assert [h.status for h in server.hits_to("efetch")] == [429, 200]


@pytest.mark.parametrize("kind", ["truncated", "malformed", "bomb", "html", "error-200"])
def test_bad_bodies_are_clear_errors(kind: str, server: PubMedTestServer, tmp_path: Path) -> None:
    """A cut-off, malformed, entity-declaring, HTML or ERROR answer is a PubMedBadResponse for
    the ids of that batch, and nothing is cached."""
    server.add_faults(Fault(kind))
    client = client_for(server, tmp_path)
    found = client.records(["39236155"])
    error = found["39236155"]
    assert isinstance(error, PubMedBadResponse), error
    assert "39236155" in str(error)
    assert client.cache is not None and len(client.cache) == 0


def test_a_slow_body_hits_the_deadline(server: PubMedTestServer, tmp_path: Path) -> None:
    """An answer slower than the read timeout is given up and retried; when every attempt is
    slow, the batch is reported unavailable."""
    server.add_faults(*[Fault("slow", delay=1.0)] * 4)
    client = client_for(server, tmp_path, bounds=net.Bounds(deadline=0.5), timeout=(1, 0.5))
    found = client.records(["39236155"])
    assert isinstance(found["39236155"], PubMedUnavailable)


def test_offline_uses_only_the_cache(server: PubMedTestServer, tmp_path: Path) -> None:
    """Offline: a cached record is served, a missing one is a PubMedOfflineMiss, and no
    request is sent."""
    client_for(server, tmp_path).records(["39236155"])
    server.reset()
    found = client_for(server, tmp_path, mode="offline").records(["39236155", "23121403"])
    assert isinstance(found["39236155"], PubMedRecord)
    assert isinstance(found["23121403"], PubMedOfflineMiss)
    assert server.hits == []


def test_error_budget_stops_the_run(server: PubMedTestServer, tmp_path: Path) -> None:
    """Once more than 10 % of at least 10 requests failed, the client stops asking."""
    server.add_faults(*[Fault("500")] * 40)
    client = client_for(server, tmp_path, batch=1)
    with pytest.raises(PubMedUnavailable, match="Stopped asking PubMed"):
        client.records([str(SYNTHETIC_BASE + i) for i in range(20)])
    assert len(server.hits) < 20
