"""PubMed XML (EFetch ``db=pubmed&retmode=xml``) to frozen records, with the standard library.

Facts behind every rule: ``shared/docs/pubmed-api.md`` §6 (the DTD, ``pubmed_250101.dtd``, and
the recorded files in ``shared/fixtures/pubmed/``).

* **Safety** (:func:`safe_root`): the body is parsed by expat into an ElementTree with
  handlers that refuse any entity declaration (billion laughs, external entities), a DOCTYPE
  with an internal subset, and entity references the parser would skip. NCBI's own answers
  declare only an external DTD, which is never fetched.
* **Ids** come from the record's own ``PubmedData/ArticleIdList`` (or the book's), never from
  ``.//ArticleId``: a ``ReferenceList`` holds the cited works' DOIs and PMCIDs.
* **Dates**: ``PubDate`` is Year, Month (a name or a number), Day, or Season, or a free-text
  ``MedlineDate`` ("1991 Sep-Oct", "1998 Dec-1999 Jan", "1947-1948"): the first year and the
  first month named after it.
* **Pages**: ``StartPage``/``EndPage`` when both are there, else ``MedlinePgn`` with the
  repeated leading digits restored ("529-42" -> ``529--542``); e-locators and article numbers
  stay as they are.
* **Text** (titles, abstracts) is the element's text with inline markup (``i b sup sub u``,
  MathML) flattened and whitespace collapsed; structured abstracts keep their labels.
* **Authors**: ``LastName``/``ForeName`` (or ``Initials``), ``Suffix``, or a
  ``CollectiveName``; editors of books separately.

Nothing here touches the network or the disk.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from xml.parsers import expat

__all__ = [
    "Author",
    "Conversion",
    "Link",
    "MeshHeading",
    "Parsed",
    "PubMedRecord",
    "Qualifier",
    "Section",
    "XmlRefused",
    "expand_pages",
    "parse_efetch",
    "parse_esearch",
    "parse_idconv",
    "record_from_element",
    "safe_root",
]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_WS = re.compile(r"\s+")
_YEAR = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
_PAGE_RANGE = re.compile(r"^([A-Za-z]*)(\d+)\s*-\s*([A-Za-z]*)(\d+)([A-Za-z]*)$")


class XmlRefused(ValueError):
    """The body is not well-formed XML, or holds what a safe parser refuses."""


# --- safe parsing ------------------------------------------------------------------------------


def safe_root(body: bytes) -> ET.Element:
    """The root element of ``body``, parsed by expat without entity declarations.

    Raises:
        XmlRefused: not well-formed (cut off, garbage), an ``<!ENTITY`` declaration, an
            internal DTD subset, or an entity reference that cannot be resolved.
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(what: str) -> None:
        raise XmlRefused(f"it declares {what}, which cytobib does not read")

    def doctype(_name: str, _sysid: str | None, _pubid: str | None, internal: int) -> None:
        if internal:
            refuse("an internal DTD subset")

    def entity(name: str, *_args: object) -> None:
        refuse(f"the entity {name!r}")

    def skipped(name: str, _is_parameter: int) -> None:
        raise XmlRefused(f"it refers to the entity &{name}; which is not defined")

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = lambda *args: refuse("an external entity")  # type: ignore[assignment]
    parser.SkippedEntityHandler = skipped
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise XmlRefused(
            f"it is not well-formed XML ({expat.ErrorString(exc.code)}, line {exc.lineno}); "
            "it may have been cut off"
        ) from None
    except RecursionError:
        raise XmlRefused("it nests too deep") from None
    root = builder.close()
    if not isinstance(root, ET.Element):  # pragma: no cover - expat always has a root
        raise XmlRefused("it has no root element")
    return root


# --- the record ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Author:
    """A person (``family`` and ``given``) or a group (``collective``)."""

    family: str = ""
    given: str = ""
    initials: str = ""
    suffix: str = ""
    collective: str = ""


@dataclass(frozen=True)
class Qualifier:
    """A MeSH subheading ("therapeutic use") on a descriptor."""

    name: str
    ui: str = ""
    major: bool = False


@dataclass(frozen=True)
class MeshHeading:
    """A MeSH descriptor with its qualifiers; ``major`` on the descriptor itself."""

    descriptor: str
    ui: str = ""
    major: bool = False
    qualifiers: tuple[Qualifier, ...] = ()

    @property
    def major_topic(self) -> bool:
        """A major topic of the work: the descriptor or any of its qualifiers is starred."""
        return self.major or any(q.major for q in self.qualifiers)

    def show(self) -> str:
        """As PubMed shows it: ``Interleukin-2/therapeutic use*`` (``*``: major topic)."""
        parts = [self.descriptor + ("*" if self.major else "")]
        parts += [q.name + ("*" if q.major else "") for q in self.qualifiers]
        return "/".join(parts)


@dataclass(frozen=True)
class Section:
    """One paragraph of an abstract; ``label`` and ``category`` empty when unstructured."""

    text: str
    label: str = ""
    category: str = ""


@dataclass(frozen=True)
class Link:
    """A ``CommentsCorrections`` link: ``kind`` is its RefType (ErratumIn, RetractionIn...)."""

    kind: str
    source: str = ""
    pmid: str = ""


@dataclass(frozen=True)
class PubMedRecord:
    """One PubMed citation (journal article or book/chapter) as plain text values."""

    pmid: str
    kind: str = "article"  # article | book
    status: str = ""
    title: str = ""
    vernacular_title: str = ""
    authors: tuple[Author, ...] = ()
    editors: tuple[Author, ...] = ()
    journal: str = ""
    iso_abbreviation: str = ""
    medline_ta: str = ""
    issn: tuple[str, ...] = ()
    volume: str = ""
    issue: str = ""
    year: int | None = None
    month: int | None = None
    pages: str = ""
    elocations: tuple[tuple[str, str], ...] = ()  # (type, value)
    abstract: tuple[Section, ...] = ()
    languages: tuple[str, ...] = ()
    publication_types: tuple[tuple[str, str], ...] = ()  # (UI, name)
    mesh: tuple[MeshHeading, ...] = ()
    chemicals: tuple[tuple[str, str], ...] = ()  # (UI, name of substance)
    keywords: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    doi: str = ""
    pmcid: str = ""
    book_title: str = ""
    publisher: str = ""
    publisher_location: str = ""

    @property
    def abstract_text(self) -> str:
        """The abstract as one paragraph, labels run in ("METHODS: ...")."""
        return " ".join(f"{s.label}: {s.text}" if s.label else s.text for s in self.abstract)

    @property
    def type_names(self) -> tuple[str, ...]:
        """Publication type names ("Clinical Trial, Phase II", "Review")."""
        return tuple(name for _, name in self.publication_types)

    def linked(self, *kinds: str) -> tuple[Link, ...]:
        """The links of the given RefTypes."""
        return tuple(link for link in self.links if link.kind in kinds)


def _text(element: ET.Element | None) -> str:
    """All text inside ``element``, markup flattened and whitespace collapsed."""
    if element is None:
        return ""
    return _WS.sub(" ", "".join(element.itertext())).strip()


def _child_text(element: ET.Element | None, path: str) -> str:
    return _text(element.find(path)) if element is not None else ""


def _month(value: str) -> int | None:
    value = value.strip().lower()
    if value.isdigit():
        number = int(value)
        return number if 1 <= number <= 12 else None
    return _MONTHS.get(value[:3])


def _pub_date(date: ET.Element | None) -> tuple[int | None, int | None]:
    """(year, month) of a ``PubDate``: Year/Month, or the first of a ``MedlineDate``."""
    if date is None:
        return None, None
    year_text = _child_text(date, "Year")
    if year_text.isdigit():
        month_text = _child_text(date, "Month")
        return int(year_text), _month(month_text) if month_text else None
    medline = _child_text(date, "MedlineDate")
    found = _YEAR.search(medline)
    if found is None:
        return None, None
    rest = medline[found.end() :].strip()
    word = re.match(r"([A-Za-z]{3,})", rest)
    return int(found.group(1)), _month(word.group(1)) if word else None


def expand_pages(text: str) -> str:
    """A MEDLINE page range as BibTeX writes it: "529-42" -> "529--542", "113-125" ->
    "113--125", "S12-5" -> "S12--S15"; several ranges stay comma-separated; anything else
    (e-locators, article numbers) as it is."""
    parts = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        match = _PAGE_RANGE.match(part)
        if match is None:
            parts.append(part)
            continue
        prefix, start, end_prefix, end, suffix = match.groups()
        if len(end) < len(start) and not end_prefix:
            end = start[: len(start) - len(end)] + end
        end_prefix = end_prefix or prefix
        if (end_prefix, int(end)) == (prefix, int(start)) and not suffix:
            parts.append(f"{prefix}{start}")
        else:
            parts.append(f"{prefix}{start}--{end_prefix}{end}{suffix}")
    return ", ".join(parts)


def _pages(article: ET.Element) -> str:
    pagination = article.find("Pagination")
    if pagination is None:
        return ""
    start = _child_text(pagination, "StartPage")
    end = _child_text(pagination, "EndPage")
    if start and end:
        return expand_pages(f"{start}-{end}")
    medline = _child_text(pagination, "MedlinePgn")
    return expand_pages(medline) if medline else start


def _authors(author_list: ET.Element | None) -> tuple[Author, ...]:
    if author_list is None:
        return ()
    out = []
    for author in author_list.findall("Author"):
        if author.get("ValidYN", "Y") == "N":
            continue
        collective = _child_text(author, "CollectiveName")
        if collective:
            out.append(Author(collective=collective))
            continue
        family = _child_text(author, "LastName")
        if not family:
            continue
        initials = _child_text(author, "Initials")
        out.append(
            Author(
                family=family,
                given=_child_text(author, "ForeName") or initials,
                initials=initials,
                suffix=_child_text(author, "Suffix"),
            )
        )
    return tuple(out)


def _abstract(parent: ET.Element | None) -> tuple[Section, ...]:
    abstract = parent.find("Abstract") if parent is not None else None
    if abstract is None:
        return ()
    sections = []
    for text in abstract.findall("AbstractText"):
        body = _text(text)
        if body:
            sections.append(
                Section(body, (text.get("Label") or "").strip(), text.get("NlmCategory") or "")
            )
    return tuple(sections)


def _ids(id_list: ET.Element | None) -> dict[str, str]:
    """``IdType`` -> value of one ``ArticleIdList`` (the first of each type)."""
    out: dict[str, str] = {}
    if id_list is None:
        return out
    for item in id_list.findall("ArticleId"):
        kind = item.get("IdType", "pubmed")
        value = _text(item)
        if value:
            out.setdefault(kind, value)
    return out


def _mesh(citation: ET.Element) -> tuple[MeshHeading, ...]:
    out = []
    for heading in citation.findall("MeshHeadingList/MeshHeading"):
        descriptor = heading.find("DescriptorName")
        if descriptor is None or not _text(descriptor):
            continue
        qualifiers = tuple(
            Qualifier(_text(q), q.get("UI", ""), q.get("MajorTopicYN") == "Y")
            for q in heading.findall("QualifierName")
            if _text(q)
        )
        out.append(
            MeshHeading(
                _text(descriptor),
                descriptor.get("UI", ""),
                descriptor.get("MajorTopicYN") == "Y",
                qualifiers,
            )
        )
    return tuple(out)


def _links(citation: ET.Element) -> tuple[Link, ...]:
    return tuple(
        Link(c.get("RefType", ""), _child_text(c, "RefSource"), _child_text(c, "PMID"))
        for c in citation.findall("CommentsCorrectionsList/CommentsCorrections")
        if c.get("RefType") != "Cites"
    )


def _pmcid(ids: Mapping[str, str]) -> str:
    value = ids.get("pmc") or ids.get("pmcid") or ""
    value = value.strip().upper()
    if value and not value.startswith("PMC") and value.isdigit():
        value = "PMC" + value
    return value if re.fullmatch(r"PMC\d+", value) else ""


def _pub_types(parent: ET.Element | None, path: str) -> tuple[tuple[str, str], ...]:
    if parent is None:
        return ()
    return tuple((p.get("UI", ""), _text(p)) for p in parent.findall(path) if _text(p))


def _article(element: ET.Element) -> PubMedRecord | None:
    citation = element.find("MedlineCitation")
    if citation is None:
        return None
    pmid = _child_text(citation, "PMID")
    article = citation.find("Article")
    if not pmid or article is None:
        return None
    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    year, month = _pub_date(issue.find("PubDate") if issue is not None else None)
    ids = _ids(element.find("PubmedData/ArticleIdList"))
    elocations = tuple(
        (e.get("EIdType", ""), _text(e))
        for e in article.findall("ELocationID")
        if e.get("ValidYN", "Y") != "N" and _text(e)
    )
    doi = ids.get("doi") or next((v for t, v in elocations if t == "doi"), "")
    return PubMedRecord(
        pmid=pmid,
        kind="article",
        status=citation.get("Status", ""),
        title=_child_text(article, "ArticleTitle"),
        vernacular_title=_child_text(article, "VernacularTitle"),
        authors=_authors(article.find("AuthorList")),
        journal=_child_text(journal, "Title"),
        iso_abbreviation=_child_text(journal, "ISOAbbreviation"),
        medline_ta=_child_text(citation, "MedlineJournalInfo/MedlineTA"),
        issn=tuple(_text(i) for i in journal.findall("ISSN") if _text(i))
        if journal is not None
        else (),
        volume=_child_text(issue, "Volume"),
        issue=_child_text(issue, "Issue"),
        year=year,
        month=month,
        pages=_pages(article),
        elocations=elocations,
        abstract=_abstract(article),
        languages=tuple(_text(x) for x in article.findall("Language") if _text(x)),
        publication_types=_pub_types(article, "PublicationTypeList/PublicationType"),
        mesh=_mesh(citation),
        chemicals=tuple(
            (c.get("UI", ""), _text(c))
            for c in citation.findall("ChemicalList/Chemical/NameOfSubstance")
            if _text(c)
        ),
        keywords=tuple(_text(k) for k in citation.findall("KeywordList/Keyword") if _text(k)),
        links=_links(citation),
        doi=doi.strip(),
        pmcid=_pmcid(ids),
    )


def _book(element: ET.Element) -> PubMedRecord | None:
    document = element.find("BookDocument")
    if document is None:
        return None
    pmid = _child_text(document, "PMID")
    if not pmid:
        return None
    book = document.find("Book")
    year, month = _pub_date(book.find("PubDate") if book is not None else None)
    ids = _ids(document.find("ArticleIdList"))
    editors: tuple[Author, ...] = ()
    authors: tuple[Author, ...] = ()
    for author_list in [
        *document.findall("AuthorList"),
        *(book.findall("AuthorList") if book is not None else []),
    ]:
        if author_list.get("Type") == "editors":
            editors = editors or _authors(author_list)
        else:
            authors = authors or _authors(author_list)
    return PubMedRecord(
        pmid=pmid,
        kind="book",
        title=_child_text(document, "ArticleTitle"),
        vernacular_title=_child_text(document, "VernacularTitle"),
        authors=authors,
        editors=editors,
        year=year,
        month=month,
        abstract=_abstract(document),
        languages=tuple(_text(x) for x in document.findall("Language") if _text(x)),
        publication_types=_pub_types(document, "PublicationType"),
        keywords=tuple(_text(k) for k in document.findall("KeywordList/Keyword") if _text(k)),
        doi=ids.get("doi", ""),
        pmcid=_pmcid(ids),
        book_title=_child_text(book, "BookTitle"),
        publisher=_child_text(book, "Publisher/PublisherName"),
        publisher_location=_child_text(book, "Publisher/PublisherLocation"),
    )


def record_from_element(element: ET.Element) -> PubMedRecord | None:
    """A ``PubmedArticle`` or ``PubmedBookArticle`` element as a record (None: no PMID)."""
    if element.tag == "PubmedArticle":
        return _article(element)
    if element.tag == "PubmedBookArticle":
        return _book(element)
    return None


@dataclass(frozen=True)
class Parsed:
    """What one EFetch answer holds: records by PMID (with each record's own XML, which the
    cache keeps), and the PMIDs it reports as deleted."""

    records: Mapping[str, PubMedRecord]
    xml: Mapping[str, bytes]
    deleted: frozenset[str] = frozenset()


def parse_efetch(body: bytes, *, trusted: bool = False) -> Parsed:
    """An EFetch ``PubmedArticleSet`` (one record's cached XML is such a set too).

    ``trusted``: the body is a row this module wrote (ElementTree's serialisation, which
    never holds ``<!``), parsed with the C parser, ~5x faster; anything else takes the safe
    path.

    Raises:
        XmlRefused: not safe, well-formed XML, an ``<ERROR>`` answer, or another root.
    """
    if trusted and b"<!" not in body:
        try:
            # Our own serialisation (no DTD, no entity declarations): not untrusted input.
            root = ET.fromstring(body)  # noqa: S314
        except ET.ParseError as exc:
            raise XmlRefused(f"it is not well-formed XML ({exc})") from None
    else:
        root = safe_root(body)
    if root.tag != "PubmedArticleSet":
        error = _child_text(root, "ERROR") or _text(root.find(".//ERROR"))
        if error:
            raise XmlRefused(f"NCBI answered with an error: {error[:200]}")
        raise XmlRefused(f"its root element is <{root.tag[:40]}>, not <PubmedArticleSet>")
    records: dict[str, PubMedRecord] = {}
    xml: dict[str, bytes] = {}
    for element in root:
        record = record_from_element(element)
        if record is not None and record.pmid not in records:
            records[record.pmid] = record
            xml[record.pmid] = _one_set(element)
    deleted = frozenset(_text(p) for p in root.findall("DeleteCitation/PMID") if _text(p))
    return Parsed(records, xml, deleted)


def _one_set(element: ET.Element) -> bytes:
    """One record as a ``PubmedArticleSet`` of its own (what the cache stores per PMID)."""
    inner: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return b"<PubmedArticleSet>" + inner + b"</PubmedArticleSet>"


# --- ESearch and the ID Converter --------------------------------------------------------------


def parse_esearch(body: bytes) -> tuple[str, ...]:
    """The PMIDs of an ESearch XML answer (none for "No items found").

    Raises:
        XmlRefused: not ESearch XML, or an ``<ERROR>`` answer.
    """
    root = safe_root(body)
    if root.tag != "eSearchResult":
        raise XmlRefused(f"its root element is <{root.tag[:40]}>, not <eSearchResult>")
    error = _child_text(root, "ERROR")
    if error:
        raise XmlRefused(f"NCBI answered with an error: {error[:200]}")
    return tuple(_text(i) for i in root.findall("IdList/Id") if _text(i).isdigit())


@dataclass(frozen=True)
class Conversion:
    """One id as the PMC ID Converter answered it: the ids it knows, or why none."""

    requested: str
    pmid: str = ""
    pmcid: str = ""
    doi: str = ""
    error: str = ""


def _as_id(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | str):
        return str(value).strip()
    return ""


def parse_idconv(body: bytes, requested: Iterable[str], idtype: str) -> dict[str, Conversion]:
    """The converter's JSON answer, by requested id (ids it did not mention are absent).

    Both endpoints are read: the 2022 one (all values strings, records matched by their id of
    ``idtype``) and the current one (``pmid`` a number, a ``requested-id`` key).

    Raises:
        ValueError: not JSON, or JSON of another shape (the message says which).
    """
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        raise ValueError("it is not valid JSON (it may have been cut off)") from None
    if not isinstance(data, dict):
        raise ValueError("it is JSON but not the ID Converter's answer")
    if data.get("status") == "error" and not isinstance(data.get("records"), list):
        from urllib.parse import unquote

        raise ValueError(
            f"the ID Converter reports an error: {unquote(str(data.get('message', '')))[:200]}"
        )
    records = data.get("records")
    if not isinstance(records, list):
        raise ValueError("it is JSON but has no 'records' list")
    wanted = {_fold(r, idtype): r for r in requested}
    out: dict[str, Conversion] = {}
    for item in records:
        if not isinstance(item, dict):
            continue
        asked = _as_id(item.get("requested-id")) or _as_id(item.get(idtype))
        key = wanted.get(_fold(asked, idtype))
        if key is None:
            continue
        error = ""
        if item.get("status") == "error" or item.get("errmsg"):
            error = _as_id(item.get("errmsg")) or "the converter reports an error"
        pmcid = _as_id(item.get("pmcid")).upper()
        out[key] = Conversion(
            key,
            pmid=_as_id(item.get("pmid")) if _as_id(item.get("pmid")).isdigit() else "",
            pmcid=pmcid if re.fullmatch(r"PMC\d+", pmcid) else "",
            doi=_as_id(item.get("doi")),
            error=error,
        )
    return out


def _fold(value: str, idtype: str) -> str:
    value = value.strip()
    return value.casefold() if idtype in ("doi", "pmcid") else value
