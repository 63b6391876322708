"""The exception tree of cytobib.

Problems *inside* a library (a malformed entry, an unknown agent) are not exceptions: they are
:class:`cytobib.model.Issue` values collected while loading. Exceptions are for failures of a
whole run, and each carries a message written as a sentence plus a hint saying how to fix it.
The CLI maps each class to an exit code in one place (``cytobib.cli._errors``)::

    CytobibError                     anything cytobib raises on purpose
    ├── ConfigError                  cytobib.toml is unreadable or has a bad value
    ├── InputError                   a user file cannot be read at all (exit 3)
    │   ├── BibFileError             library.bib: encoding, size, not a file
    │   ├── AnnotationFileError      an annotation file that cannot be written or read
    │   ├── UnusableAnnotations      annotation files a command would have to leave out
    │   └── TemplateError            a project template cannot be used (syntax, variable, sandbox)
    ├── UsageError                   a bad option value: unknown style, format, filter (exit 2)
    │   ├── UnknownFormatError       no registered format/exporter has that name or suffix
    │   ├── PluginError              a plug-in asked for by name fails to load
    │   ├── StyleError               a citation style cannot be found or run
    │   ├── FilterError              a --where expression does not parse
    │   └── EditorError              the editor (VISUAL, EDITOR) cannot be started or fails
    ├── LibraryStateError            the requested change conflicts with the library (exit 3)
    │   ├── KeyExistsError           an entry or annotation with that key exists already
    │   └── UnknownKeyError          no entry has that citation key
    ├── CrossrefError                the Crossref API could not answer usefully (exit 4)
    │   ├── CrossrefNotFound         a DOI is unknown to Crossref (final, never retried)
    │   ├── CrossrefUnavailable      timeouts / 5xx / 429 after all retries, or too many failures
    │   │   └── CrossrefUnreachable  no connection at all (refused, no route, no DNS): at once
    │   ├── CrossrefBadResponse      a 2xx answer whose body is not the JSON we expect
    │   └── OfflineCacheMiss         --offline was given and the cache has no answer
    ├── PubMedError                  NCBI E-utilities or the PMC ID Converter could not answer
    │   │                            usefully (exit 4)
    │   ├── PubMedNotFound           an id PubMed does not know, or a deleted record (final)
    │   ├── PubMedUnavailable        timeouts / 5xx / 429 after all retries, or too many failures
    │   │   └── PubMedUnreachable    no connection at all (fails fast, no retries)
    │   ├── PubMedBadResponse        a 2xx answer whose body is not the XML or JSON we expect
    │   └── PubMedOfflineMiss        --offline was given and the cache has no answer
    ├── ZoteroError                  the Zotero API could not answer usefully (exit 4)
    │   ├── ZoteroAuthError          403: no key, a bad key, or a key without write access
    │   ├── ZoteroUnavailable        429/503/timeouts after all retries, or Backoff too long
    │   ├── ZoteroConflict           the library kept changing (412) while cytobib wrote
    │   └── ZoteroBadResponse        an answer that is not the JSON the API documents
    └── WriteError                   an atomic write failed; the old file is untouched (exit 5)

    CytobibWarning (a UserWarning)   printed by the CLI as ``warning: ...``
    ├── PluginWarning                a plug-in that fails to load is skipped (cytobib.registry)
    └── FilterWarning                a filter names an agent, cancer or status nothing is called
"""

from __future__ import annotations

from cytobib.model import Issue, Location

# A place in a user file (1-based line and column): the model's Location, under the name
# error messages have always used.
Where = Location


class CytobibError(Exception):
    """Base class: a failure of the whole run, with a message and a hint for the user."""

    def __init__(
        self, message: str, *, hint: str | None = None, where: Where | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ConfigError(CytobibError):
    """Raised when cytobib.toml cannot be parsed or holds a value of the wrong kind."""


class InputError(CytobibError):
    """Raised when a user file cannot be read at all (not when it merely has problems)."""


class BibFileError(InputError):
    """Raised for a library.bib that is missing, too large, binary, or not decodable."""


class AnnotationFileError(InputError):
    """Raised when an annotation file cannot be read or written as a whole."""


class UnusableAnnotations(InputError):
    """Raised by a command that shows notes when annotation files cannot be used (bad YAML,
    a value the schema refuses, unreadable): its output would silently lack them. ``issues``
    holds the problems, each with file:line:column and a hint; ``keep_going`` goes on."""

    def __init__(self, message: str, issues: tuple[Issue, ...], *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.issues = issues


class UnreadableImport(InputError):
    """Raised by ``import`` when parts of the file cannot be read: importing the rest would
    drop them without a word. ``issues`` names each (file:line, hint); ``--keep-going``
    imports the rest."""

    def __init__(self, message: str, issues: tuple[Issue, ...], *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.issues = issues


class TemplateError(InputError):
    """Raised when a project's own template (``<project>/templates``) fails: a syntax error,
    an unknown variable, a link outside the folder, or something the sandbox forbids."""


class UsageError(CytobibError):
    """Raised for an option value that cytobib cannot act on."""


class UnknownFormatError(UsageError):
    """Raised when no registered format or exporter matches a name or file suffix."""


class PluginError(UsageError):
    """Raised when a plug-in the user asked for by name cannot be loaded."""


class CytobibWarning(UserWarning):
    """Base class of cytobib's warnings: the CLI prints them as ``warning: ...`` lines."""


class PluginWarning(CytobibWarning):
    """Warned when a plug-in that fails to load is skipped while listing or searching."""


class FilterWarning(CytobibWarning):
    """Warned when a --where filter names a value nothing is called (an agent, cancer or
    status the vocabulary does not know): it would quietly select nothing."""


class StyleError(UsageError):
    """Raised when a citation style cannot be found, parsed, or run by the engine."""


class FilterError(UsageError):
    """Raised when a --where expression is not valid in the filter language."""


class EditorError(UsageError):
    """Raised when ``cytobib edit`` cannot start the editor, or the editor exits with a
    failure status (nothing is changed)."""


class LibraryStateError(CytobibError):
    """Raised when a requested change does not fit the library as it is."""


class KeyExistsError(LibraryStateError):
    """Raised when creating something (an entry, an annotation) whose key already exists."""


class UnknownKeyError(LibraryStateError):
    """Raised when a command names a citation key that the library does not have."""


class CrossrefError(CytobibError):
    """Base class for failures talking to the Crossref REST API."""


class CrossrefNotFound(CrossrefError):
    """Raised for a 404 on /works/{doi}: the DOI is not registered with Crossref."""


class CrossrefUnavailable(CrossrefError):
    """Raised when Crossref keeps failing (timeouts, 5xx, 429) after bounded retries."""


class CrossrefUnreachable(CrossrefUnavailable):
    """Raised at once, without retries, when no connection to Crossref can be made (refused,
    no route, no such host, no answer to the connection within its timeout)."""


class CrossrefBadResponse(CrossrefError):
    """Raised when a successful status carries a body that is not the expected JSON."""


class OfflineCacheMiss(CrossrefError):
    """Raised in --offline mode when the cache holds no answer for a request."""


class PubMedError(CytobibError):
    """Base class for failures talking to NCBI's E-utilities or the PMC ID Converter."""


class PubMedNotFound(PubMedError):
    """Raised for an id PubMed does not know (a PMID, PMCID or DOI), or a deleted record."""


class PubMedUnavailable(PubMedError):
    """Raised when NCBI keeps failing (timeouts, 5xx, 429) after bounded retries."""


class PubMedUnreachable(PubMedUnavailable):
    """Raised at once when no connection to NCBI can be made (refused, unreachable, no DNS,
    no answer to the connection within a few seconds): retrying would only make the user
    wait."""


class PubMedBadResponse(PubMedError):
    """Raised when a successful status carries a body that is not the expected XML or JSON
    (malformed, cut off, an entity declaration, an ``<ERROR>`` inside a 200)."""


class PubMedOfflineMiss(PubMedError):
    """Raised in --offline mode when the PubMed cache holds no answer for an id."""


class ZoteroError(CytobibError):
    """Base class for failures talking to the Zotero Web API or Zotero's local API."""


class ZoteroAuthError(ZoteroError):
    """Raised for a 403 (or a missing key): the key is wrong, or may not read or write there."""


class ZoteroUnavailable(ZoteroError):
    """Raised when Zotero keeps failing (429, 503, timeouts) after bounded retries."""


class ZoteroConflict(ZoteroError):
    """Raised when writes keep meeting 412 (someone else keeps writing); what was written
    before is recorded, nothing was overwritten."""


class ZoteroBadResponse(ZoteroError):
    """Raised when an answer is not what the API documents (not JSON, a refused request)."""


class WriteError(CytobibError):
    """Raised when writing a file fails; the previous file is left as it was."""
