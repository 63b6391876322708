"""A real NCBI look-alike on 127.0.0.1 for tests and the benchmark: E-utilities (EFetch,
ESearch) and the PMC ID Converter, over real HTTP from a ``ThreadingHTTPServer``.

It serves the recorded PubMed records of ``../shared/fixtures/pubmed/`` (every ``efetch-*.xml``
split into its records, answered in sets as NCBI answers an ``id=`` list, non-ASCII as
character references as NCBI sends them), plus:

* **synthetic records** for PMIDs from :data:`SYNTHETIC_BASE` up (DOI ``10.5555/pm.N``, one
  MeSH heading), for the benchmark; ``in_pmc`` decides which of them the ID Converter knows;
* **deleted** PMIDs (a ``DeleteCitation`` in the answer) and unknown ones (left out);
* the **ID Converter** (2022 JSON shape: strings, a record per id, ``status: error`` records
  for ids it does not know) and **ESearch** by ``"DOI"[doi]`` terms;
* **faults** per request (:class:`Fault`): 429 (NCBI's JSON body, optional Retry-After), 5xx,
  a slow answer, a body cut in half, malformed XML, a billion-laughs body, an HTML page;
* **limits** like NCBI (:class:`Enforce`): N requests per second over all endpoints together,
  violations counted and answered with 429.

Use :func:`running_server` in a fixture (``with running_server() as server: ...``).
"""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from serverkit import LocalServer, QuietHandler, crowded, require

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "pubmed"
SYNTHETIC_BASE = 90_000_000
HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
    b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b"<PubmedArticleSet>&c;</PubmedArticleSet>"
)

# NCBI's 429 body (shared/fixtures/pubmed/error-429-rate-limit-exceeded.transcribed.json).
LIMIT_BODY = b'{"error":"API rate limit exceeded","api-key":"127.0.0.1","count":"26","limit":"3"}\n'
ERROR_200 = b'<?xml version="1.0" ?>\n<eFetchResult><ERROR>Internal error</ERROR></eFetchResult>\n'


def require_fixtures() -> Path:
    """The fixtures folder, or skip the test with a message saying where it was looked for."""
    return require(
        FIXTURES, f"PubMed fixtures not found at {FIXTURES} (shared/ beside the repository)"
    )


def fixture_records(folder: Path) -> dict[str, bytes]:
    """Every record of the recorded EFetch files, by PMID, as NCBI would send it in a set."""
    out: dict[str, bytes] = {}
    for path in sorted(folder.glob("efetch-*.xml")):
        root = ET.fromstring(path.read_bytes())
        for element in root:
            pmid = element.findtext("MedlineCitation/PMID") or element.findtext("BookDocument/PMID")
            if pmid:
                out[pmid.strip()] = ET.tostring(element, encoding="us-ascii")
    return out


def synthetic_record(pmid: int) -> bytes:
    """A small, valid PubmedArticle with DOI ``10.5555/pm.<pmid>``."""
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}'
        "</PMID><Article><Journal><JournalIssue><Volume>1</Volume><PubDate><Year>2024</Year>"
        "<Month>Jan</Month></PubDate></JournalIssue><Title>Journal of Tests</Title>"
        "<ISOAbbreviation>J Tests</ISOAbbreviation></Journal>"
        f"<ArticleTitle>Synthetic record {pmid}.</ArticleTitle><Pagination><MedlinePgn>101-9"
        "</MedlinePgn></Pagination><Abstract><AbstractText>Interleukin-2 was given to 20 "
        "patients.</AbstractText></Abstract><AuthorList><Author><LastName>Author</LastName>"
        "<ForeName>Test</ForeName></Author></AuthorList><PublicationTypeList><PublicationType "
        'UI="D016428">Journal Article</PublicationType></PublicationTypeList></Article>'
        '<MeshHeadingList><MeshHeading><DescriptorName UI="D007376" MajorTopicYN="Y">'
        "Interleukin-2</DescriptorName></MeshHeading></MeshHeadingList></MedlineCitation>"
        f'<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f'<ArticleId IdType="doi">10.5555/pm.{pmid}</ArticleId></ArticleIdList></PubmedData>'
        "</PubmedArticle>"
    ).encode()


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour: ``429``, ``500``, ``503``, ``slow``, ``truncated``,
    ``malformed``, ``bomb``, ``html``, ``error-200`` (an ``<ERROR>`` in a 200)."""

    kind: str
    retry_after: str | None = None
    delay: float = 1.0


@dataclass(frozen=True)
class Enforce:
    """NCBI-like limit: at most ``rate`` requests in any ``interval`` seconds, all endpoints
    together; violations are counted and answered with 429."""

    rate: int
    interval: float = 1.0


@dataclass
class Hit:
    """One request the server received."""

    path: str
    query: dict[str, list[str]]
    arrived: float
    status: int | None = None


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    hits: list[Hit] = field(default_factory=list)
    window: deque[float] = field(default_factory=deque)
    violations: int = 0


class PubMedTestServer(LocalServer):
    """The server; start it, point a client's URLs at :attr:`eutils_url`/:attr:`idconv_url`."""

    def __init__(self, fixtures: Path | None = None, *, enforce: Enforce | None = None) -> None:
        super().__init__()
        self.records: dict[str, bytes] = fixture_records(fixtures) if fixtures else {}
        self.dois: dict[str, str] = {}
        self.pmcids: dict[str, str] = {}
        for pmid, xml in self.records.items():
            self._index(pmid, xml)
        self.deleted: set[str] = set()
        self.in_pmc: Callable[[int], bool] = lambda n: n % 2 == 0
        self.enforce = enforce
        self.idconv_errors: dict[str, str] = {}  # id -> errmsg
        self._faults: deque[Fault] = deque()
        self._state = _State()

    def _index(self, pmid: str, xml: bytes) -> None:
        element = ET.fromstring(xml)
        for item in element.findall("PubmedData/ArticleIdList/ArticleId"):
            kind, value = item.get("IdType"), (item.text or "").strip()
            if kind == "doi":
                self.dois[value.casefold()] = pmid
            elif kind == "pmc":
                self.pmcids[value.upper()] = pmid

    def add_record(self, xml: bytes) -> str:
        """Serve one more ``PubmedArticle`` (its PMID is returned)."""
        element = ET.fromstring(xml)
        pmid = (element.findtext("MedlineCitation/PMID") or "").strip()
        self.records[pmid] = xml
        self._index(pmid, xml)
        return pmid

    # -- control ----------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    @property
    def eutils_url(self) -> str:
        return self.url + "/entrez/eutils"

    @property
    def idconv_url(self) -> str:
        return self.url + "/tools/idconv/api/v1/articles/"

    def add_faults(self, *faults: Fault) -> None:
        """Queue faults for the next requests, one each."""
        with self._state.lock:
            self._faults.extend(faults)

    @property
    def hits(self) -> list[Hit]:
        with self._state.lock:
            return list(self._state.hits)

    def hits_to(self, name: str) -> list[Hit]:
        """Requests to one endpoint (``efetch``, ``esearch``, ``idconv``)."""
        return [h for h in self.hits if name in h.path]

    @property
    def violations(self) -> int:
        return self._state.violations

    def reset(self) -> None:
        with self._state.lock:
            self._state.hits.clear()
            self._state.window.clear()
            self._state.violations = 0

    # -- answers ----------------------------------------------------------------------------

    def _record(self, pmid: str) -> bytes | None:
        found = self.records.get(pmid)
        if found is None and pmid.isdigit() and int(pmid) >= SYNTHETIC_BASE:
            found = synthetic_record(int(pmid))
        return found

    def efetch(self, ids: list[str]) -> bytes:
        parts = [self._record(i) for i in ids if i not in self.deleted]
        body = b"".join(p for p in parts if p)
        deleted = [i for i in ids if i in self.deleted]
        if deleted:
            body += (
                b"<DeleteCitation>"
                + b"".join(b'<PMID Version="1">%s</PMID>' % i.encode() for i in deleted)
                + b"</DeleteCitation>"
            )
        return HEAD + b"<PubmedArticleSet>" + body + b"</PubmedArticleSet>\n"

    def _pmid_of_doi(self, doi: str) -> str | None:
        doi = doi.casefold()
        if doi in self.dois:
            return self.dois[doi]
        if doi.startswith("10.5555/pm."):
            return doi.rsplit(".", 1)[1]
        return None

    def idconv(self, ids: list[str], idtype: str) -> dict[str, Any]:
        records: list[dict[str, str]] = []
        for value in ids:
            if value in self.idconv_errors:
                records.append(
                    {idtype: value, "status": "error", "errmsg": self.idconv_errors[value]}
                )
                continue
            pmid = None
            if idtype == "doi":
                pmid = self._pmid_of_doi(value)
                if pmid is not None and int(pmid) >= SYNTHETIC_BASE and not self.in_pmc(int(pmid)):
                    pmid = None
                if (
                    pmid is not None
                    and int(pmid) < SYNTHETIC_BASE
                    and pmid not in self.pmcids.values()
                ):
                    pmid = None  # the converter knows only works in PMC
            elif idtype == "pmcid":
                pmid = self.pmcids.get(value.upper())
            if pmid is None:
                records.append({idtype: value, "status": "error", "errmsg": "invalid article id"})
                continue
            pmcid = next((k for k, v in self.pmcids.items() if v == pmid), f"PMC{pmid}")
            doi = next((k for k, v in self.dois.items() if v == pmid), f"10.5555/pm.{pmid}")
            records.append({"pmcid": pmcid, "pmid": pmid, "doi": doi})
        return {
            "status": "ok",
            "responseDate": "2026-12-02 10:00:00",
            "request": "",
            "records": records,
        }

    def esearch(self, term: str) -> bytes:
        import re

        dois = re.findall(r'"([^"]+)"\[doi\]', term)
        pmids = [p for p in (self._pmid_of_doi(d) for d in dois) if p is not None]
        ids = "".join(f"<Id>{p}</Id>" for p in pmids)
        return (
            b'<?xml version="1.0" ?>\n<eSearchResult><Count>%d</Count><RetMax>%d</RetMax>'
            b"<RetStart>0</RetStart><IdList>%s</IdList></eSearchResult>\n"
            % (len(pmids), len(pmids), ids.encode())
        )

    def _arrive(self, hit: Hit) -> tuple[bool, Fault | None]:
        state = self._state
        with state.lock:
            state.hits.append(hit)
            violated = False
            if self.enforce is not None:
                enforce = self.enforce
                if crowded(state.window, hit.arrived, enforce.rate, enforce.interval):
                    state.violations += 1
                    violated = True
            fault = self._faults.popleft() if self._faults else None
        return violated, fault


def _make_handler(server: PubMedTestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            hit = Hit(parts.path, query, time.monotonic())
            violated, fault = server._arrive(hit)
            status, ctype, body, headers = self._answer(parts.path, query)
            limit = str(server.enforce.rate) if server.enforce else "3"
            headers = {"x-ratelimit-limit": limit, **headers}
            if violated:
                status, ctype = 429, "application/json"
                body = LIMIT_BODY
            if fault is not None:
                if fault.kind == "slow":
                    time.sleep(fault.delay)
                elif fault.kind == "429":
                    status, ctype = 429, "application/json"
                    body = LIMIT_BODY
                    if fault.retry_after is not None:
                        headers["retry-after"] = fault.retry_after
                elif fault.kind in ("500", "502", "503"):
                    status, ctype, body = int(fault.kind), "text/html", b"<html>Server Error</html>"
                elif fault.kind == "truncated":
                    body = body[: len(body) // 2]
                elif fault.kind == "malformed":
                    body = body.replace(b"</MedlineCitation>", b"</MedlineCitatio>", 1)
                    if body.startswith(b"{"):
                        body = body[:-3]
                elif fault.kind == "bomb":
                    body = BOMB
                elif fault.kind == "html":
                    status, ctype, body = 200, "text/html", b"<html><body>Maintenance</body></html>"
                elif fault.kind == "error-200":
                    body = ERROR_200
            hit.status = status
            try:
                self.send_response(status)
                self.send_header("content-type", ctype)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                self.close_connection = True

        def _answer(
            self, path: str, query: dict[str, list[str]]
        ) -> tuple[int, str, bytes, dict[str, str]]:
            def one(name: str) -> str:
                return (query.get(name) or [""])[0]

            if path.endswith("/efetch.fcgi"):
                ids = [i for i in one("id").split(",") if i]
                return 200, "text/xml; charset=UTF-8", server.efetch(ids), {}
            if path.endswith("/esearch.fcgi"):
                return 200, "text/xml; charset=UTF-8", server.esearch(one("term")), {}
            if "/idconv/" in path:
                ids = [i for i in one("ids").split(",") if i]
                data = server.idconv(ids, one("idtype"))
                body = json.dumps(data, indent=1).encode()
                return 200, "application/json; charset=ISO-8859-1", body, {}
            return 404, "text/plain", b"Not found", {}

    return Handler


def running_server(**options: Any) -> PubMedTestServer:
    """A server with the recorded fixtures, to use in a ``with`` (which starts and stops it);
    skips the test when the fixtures are missing."""
    return PubMedTestServer(require_fixtures(), **options)
