"""Annotation files: one YAML file per citation key in annotations/, checked by a JSON Schema.

YAML is loaded with the safe loader only, composed to a node tree first so that every value
keeps its line and column: schema errors, duplicate keys and bad agents point at the line to
fix. The schema ships in the package (``schema/annotation.schema.json``) and editors can use
it through the ``# yaml-language-server: $schema=...`` line that stubs start with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cytobib import parallel
from cytobib.bibfile import create_exclusive
from cytobib.errors import AnnotationFileError, KeyExistsError
from cytobib.model import (
    SOURCES,
    AgentUse,
    Annotation,
    Caveat,
    Claim,
    Entry,
    Issue,
    Location,
    Severity,
    thawed,
)
from cytobib.vocabulary import Terms, Vocabulary

SCHEMA_COMMENT = "# yaml-language-server: $schema={ref}"
PACKAGED_SCHEMA_REF = "../src/cytobib/schema/annotation.schema.json"

EVIDENCE_LEVELS = (
    "meta-analysis", "clinical-trial", "observational", "case-report",
    "preclinical-in-vivo", "in-vitro", "review", "expert-opinion",
)  # fmt: skip
"""Evidence vocabulary, strongest first (the order evidence maps and sorting use)."""

STUDY_TYPES = (
    "review", "systematic-review", "meta-analysis", "clinical-trial", "observational",
    "case-report", "preclinical", "in-vitro", "perspective", "editorial", "news", "other",
)  # fmt: skip
STATUSES = ("to-read", "skimmed", "read")

_MAX_NODES = 200_000  # alias bombs ("billion laughs") stop here instead of eating memory
# Anything a file name on Linux, macOS and Windows can hold, except that a key may not start
# with a dot (hidden files) or contain '..' or a separator: no path may escape annotations/.
_UNSAFE_KEY = re.compile(r'[/\\<>"|?*\x00-\x1f\x7f-\x9f]|^\.|\.\.|^\s|\s$')
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10)}
)


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The packaged JSON Schema for annotation files."""
    text = resources.files("cytobib").joinpath("schema/annotation.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


@lru_cache(maxsize=1)
def _is_valid() -> Callable[[Any], bool]:
    """A yes/no check compiled to Python by fastjsonschema, ~18x faster than jsonschema.

    Valid files (nearly all) stop here; jsonschema, whose errors carry the paths and schema
    parts the messages need, runs only on files this rejects. tests/test_annotations.py
    checks the two agree.
    """
    import fastjsonschema

    check = fastjsonschema.compile(schema())

    def is_valid(data: Any) -> bool:
        try:
            check(data)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return is_valid


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot name a file in annotations/ on Linux, macOS and Windows, or None."""
    if not key:
        return "it is empty"
    if len(key) > 200:
        return "it is longer than 200 characters"
    if _UNSAFE_KEY.search(key):
        return "it contains '/', '\\', '..', a leading dot, a control character or < > | ? *"
    if ":" in key:
        return "it contains ':', which Windows and macOS file names cannot hold"
    if key.split(".", 1)[0].upper() in _RESERVED or key.endswith("."):
        return f"'{key}' is a device name or ends in a dot, which Windows file names cannot be"
    hidden = [ch for ch in key if unicodedata.category(ch) == "Cf"]
    if hidden:
        names = ", ".join(sorted({f"U+{ord(ch):04X}" for ch in hidden}))
        return (
            f"it contains invisible or text-direction characters ({names}) that make it look "
            "like another key"
        )
    return None


def is_safe_key(key: str) -> bool:
    """A key that can name a file inside annotations/ (see :func:`key_problem`)."""
    return key_problem(key) is None


def path_for(folder: Path, key: str) -> Path:
    """annotations/<key>.yaml; raises for keys that would escape the folder."""
    problem = key_problem(key)
    if problem is not None:
        raise AnnotationFileError(
            f"Citation key {key!r} cannot be used as a file name: {problem}.",
            hint="Rename the entry's key in library.bib.",
        )
    return folder / f"{key}.yaml"


def mixed_scripts(key: str) -> tuple[str, ...]:
    """The scripts of the letters in ``key`` when it mixes Latin with Greek or Cyrillic: such
    a key can look exactly like another one (a Cyrillic 'а' in 'smith2020')."""
    scripts = {unicodedata.name(ch, "?").split(" ", 1)[0] for ch in key if ch.isalpha()} & {
        "LATIN",
        "GREEK",
        "CYRILLIC",
    }
    return tuple(sorted(scripts)) if len(scripts) > 1 else ()


# --- YAML with positions -----------------------------------------------------------------------


class YamlProblem(Exception):
    """A YAML syntax problem with its 1-based position."""

    def __init__(self, message: str, line: int | None, column: int | None, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint


Positions = dict[tuple[str | int, ...], tuple[int, int]]


def load_yaml(text: str) -> tuple[Any, Positions]:
    """Safe-load YAML, returning the data and the position of every value by path."""
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader_cls)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = exc.problem or str(exc)
        hint = "Check indentation and quoting on that line."
        if "\\t" in problem or "tab" in problem.lower() or _tab_at(text, mark):
            problem = "a tab character is used for indentation; YAML allows only spaces"
            hint = "Replace the tabs with spaces (two per level)."
        elif "mapping values are not allowed" in problem:
            hint = "A value contains ': '; put the whole value in quotes."
        raise YamlProblem(problem, line, column, hint) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(str(exc), None, None, "Fix the YAML syntax.") from None
    except RecursionError:
        raise YamlProblem(
            "the document nests too deep", None, None, "Annotations nest a few levels at most."
        ) from None
    if node is None:
        return None, {}
    positions: Positions = {}
    builder = _Builder(positions)
    return builder.build(node, ()), positions


def _tab_at(text: str, mark: Any) -> bool:
    """True when the error points into a line's indentation that holds a tab.

    libyaml (CSafeLoader) says only "found character that cannot start any token", without
    naming the tab that the pure-Python loader names.
    """
    if mark is None:
        return False
    lines = text.splitlines()
    if not 0 <= mark.line < len(lines):
        return False
    line = lines[mark.line]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return "\t" in indent or line[mark.column : mark.column + 1] == "\t"


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_DEPTH = 20


class _Builder:
    def __init__(self, positions: Positions) -> None:
        self.positions = positions
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: tuple[str | int, ...]) -> Any:
        self.count += 1
        if len(path) > _MAX_DEPTH:
            raise self._problem(
                node, "values nest too deep", "Annotations nest a few levels at most."
            )
        if self.count > _MAX_NODES:
            raise YamlProblem(
                "the document expands to too many values (aliases nested too deep)",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                "Write the values out instead of using nested & and * aliases.",
            )
        self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is yaml.ScalarNode and key_node.tag == _STR_TAG:
                    self.count += 1  # most keys: a plain word, built without a call
                    key: Any = key_node.value
                else:
                    key = self.build(key_node, (*path, "<key>"))
                if not isinstance(key, str | int | float | bool) or key is None:
                    raise YamlProblem(
                        "a mapping key must be a plain word",
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        "Use simple keys such as `summary:`.",
                    )
                if key in out:
                    first = self.positions.get((*path, str(key)), (None, None))[0]
                    raise YamlProblem(
                        f"duplicate key '{key}' (first used on line {first})",
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        f"Keep one '{key}:' and merge the two values.",
                    )
                # Where the key itself is written: an unknown field is reported there.
                name = str(key)
                mark = key_node.start_mark
                self.positions[(*path, name, "<key>")] = (mark.line + 1, mark.column + 1)
                out[key] = self.build(value_node, (*path, name))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag == _STR_TAG:  # most values: what SafeConstructor would return, sooner
            return node.value
        value = self._construct(node)
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()  # `date: 2026-11-22` unquoted is still meant as text
        return value

    def _construct(self, node: yaml.Node) -> Any:
        """A scalar's value; tags other than YAML's own and absurd numbers are problems."""
        if node.tag == _MERGE_TAG:
            raise self._problem(
                node,
                "YAML merge keys (<<) are not supported in annotation files",
                "Write the values out instead of merging another mapping in.",
            )
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            raise self._problem(
                node,
                f"the tag {node.tag!r} is not allowed",
                "Remove the tag: values are plain text, numbers, lists and mappings.",
            ) from None
        except ValueError:  # e.g. an integer of more than 4,300 digits
            raise self._problem(
                node,
                f"the value {str(node.value)[:20]}... cannot be read as a number",
                "Quote it if it is text; numbers here are small (priority 1-5).",
            ) from None

    @staticmethod
    def _problem(node: yaml.Node, message: str, hint: str) -> YamlProblem:
        mark = node.start_mark
        return YamlProblem(message, mark.line + 1, mark.column + 1, hint)


# --- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedAnnotations:
    annotations: Mapping[str, Annotation]
    issues: tuple[Issue, ...]
    files: frozenset[str] = frozenset()
    """Keys of entries that have a file, including files that could not be loaded."""


@dataclass(frozen=True)
class AnnotationFile:
    """One file of annotations/, read: all that parsing it depends on besides the vocabulary."""

    key: str
    shown: str
    """The file's name as messages show it (``annotations/KEY.yaml``)."""
    data: bytes


Loaded = tuple[Annotation | None, list[Issue]]
"""One file's annotation (None: it could not be read as one) and its issues."""
ParseFiles = Callable[[Sequence[AnnotationFile]], list[Loaded]]
"""Parse read files: the step :func:`load_all` lets a caller wrap."""
Around = Callable[[Sequence[AnnotationFile], ParseFiles], list[Loaded]]
"""A wrapper around the parse step (the annotation cache): given the files and the step, it
returns what the step would."""


def load_all(
    folder: Path,
    entries: Iterable[Entry],
    vocabulary: Vocabulary,
    *,
    shown_folder: str | None = None,
    around: Around | None = None,
) -> LoadedAnnotations:
    """Read every annotations/*.yaml, match it to an entry, validate, resolve agents.

    Files are read here; parsing them (:func:`parse_files`, spread over the cores for large
    folders) is the step ``around`` may wrap from outside: the annotation cache
    (:func:`cytobib.caching.around_annotations`) serves files whose bytes it has seen.
    """
    issues: list[Issue] = []
    keys = {e.key for e in entries}
    folded = {k.lower(): k for k in keys}
    out: dict[str, Annotation] = {}
    if not folder.is_dir():
        return LoadedAnnotations(out, ())
    shown_dir = shown_folder or str(folder)
    with os.scandir(folder) as scan:
        found_files = sorted(
            (e for e in scan if os.path.splitext(e.name)[1] in (".yaml", ".yml")),
            key=lambda e: e.name,
        )
    inside = folder.resolve()
    read: list[AnnotationFile] = []
    with_file: set[str] = set()
    for dirent in found_files:
        shown = f"{shown_dir}/{dirent.name}"
        problem = _outside(dirent, inside, shown)
        if problem is not None:
            issues.append(problem)
            continue
        key = os.path.splitext(dirent.name)[0]
        if key not in keys:
            hint = "Rename the file to <citation key>.yaml, or delete it if the entry is gone."
            if key.lower() in folded:
                hint = f"The entry's key is '{folded[key.lower()]}': keys are case-sensitive."
            issues.append(
                Issue(
                    Severity.WARNING,
                    "orphan-annotation",
                    f"No entry in the library has the key '{key}'.",
                    key=key,
                    location=Location(shown),
                    hint=hint,
                )
            )
            continue
        with_file.add(key)
        try:
            data = (folder / dirent.name).read_bytes()
        except OSError as exc:
            issues.append(_unreadable(exc, key, shown))
            continue
        read.append(AnnotationFile(key, shown, data))

    def step(files: Sequence[AnnotationFile]) -> list[Loaded]:
        return parse_files(files, vocabulary)

    loaded = step(read) if around is None else around(read, step)
    for file, (annotation, found) in zip(read, loaded, strict=True):
        issues.extend(found)
        if annotation is not None:
            out[file.key] = annotation
    return LoadedAnnotations(out, tuple(issues), frozenset(with_file))


def parse_files(files: Sequence[AnnotationFile], vocabulary: Vocabulary) -> list[Loaded]:
    """Parse read annotation files; a large folder is parsed on every idle core (YAML with
    positions and the schema cost ~0.2 ms a file), children sending their results as rows."""

    def step(chunk: Sequence[AnnotationFile]) -> list[Loaded]:
        return [parse_one(f.data, f.key, f.shown, vocabulary) for f in chunk]

    return parallel.map_chunks(
        step, files, min_chunk=_PARALLEL_CHUNK, send=loaded_to_row, receive=loaded_from_row
    )


_PARALLEL_CHUNK = 400


def _outside(dirent: os.DirEntry[str], inside: Path, shown: str) -> Issue | None:
    """Why an annotations/ entry must not be read, or None: a cloned project is a boundary,
    so only regular files that resolve inside the annotations folder are read (a link to
    /etc/shadow is not, and a FIFO would block the run)."""
    key = os.path.splitext(dirent.name)[0]
    if dirent.is_symlink():
        target = Path(dirent.path).resolve()
        if not target.is_relative_to(inside):
            return _issue(
                "annotation-outside-project",
                "The file is a link to a file outside the annotations folder; it was not read.",
                key,
                shown,
                None,
                None,
                "Replace the link by a copy of the file (or remove it): cytobib reads only "
                "files inside the project.",
            )
    try:
        regular = dirent.is_file()  # follows a link that stays inside
    except OSError:
        regular = False
    if regular:
        return None
    if dirent.is_dir():
        return None  # a folder named like a file is not an annotation: nothing to read
    return _issue(
        "annotation-not-a-file",
        "This is not a regular file (a FIFO, device or broken link); it was not read.",
        key,
        shown,
        None,
        None,
        "Replace it by a YAML file, or remove it.",
    )


ROW_SHAPES = tuple(tuple(cls.__dataclass_fields__) for cls in (Annotation, Claim, AgentUse))
"""The fields rows follow (part of the annotation cache's salt): a changed dataclass is a miss."""


def loaded_to_row(loaded: Loaded) -> tuple[Any, ...]:
    """A parsed file as plain values (JSON, tuples): what the annotation cache keeps and what
    a worker process sends back. :func:`loaded_from_row` reads it."""
    a, issues = loaded
    rows = [i.as_row() for i in issues]
    if a is None:
        return (None, rows)
    caveats = tuple((str(c), c.source if isinstance(c, Caveat) else None) for c in a.caveats)
    return (
        (
            a.key, a.path, a.summary,
            tuple((c.text, c.evidence, c.page, c.quote, c.numbers, c.source) for c in a.claims),
            tuple((g.name, g.canonical, g.role, g.dose, g.route) for g in a.agents),
            a.targets, a.cancers, a.cancer_ids, a.study_type, caveats, a.tags, a.status,
            a.priority, a.related, thawed(a.verified), thawed(a.extra), a.unconfirmed, a.source,
            a.suggested,
        ),
        rows,
    )  # fmt: skip


def loaded_from_row(row: Sequence[Any]) -> Loaded:
    """The parsed file :func:`loaded_to_row` wrote.

    Raises:
        ValueError, TypeError: a row of another shape (a cache treats it as a miss).
    """
    ann_row, issue_rows = row
    issues = [Issue.from_row(r) for r in issue_rows]
    if ann_row is None:
        return None, issues
    key, path, summary, claims, agents, *rest = ann_row
    rest[4] = tuple(Caveat(text, source) for text, source in rest[4])  # caveats
    annotation = Annotation(
        key,
        path,
        summary,
        tuple(Claim(*c) for c in claims),
        tuple(AgentUse(*g) for g in agents),
        *rest,
    )
    return annotation, issues


def _unreadable(exc: OSError, key: str, shown: str) -> Issue:
    return _issue(
        "annotation-unreadable",
        f"Cannot read the file: {exc.strerror}.",
        key,
        shown,
        None,
        None,
        "Check the file's permissions.",
    )


def load_one(path: Path, key: str, vocabulary: Vocabulary, *, shown: str | None = None) -> Loaded:
    """One annotation file and its issues (an unreadable file is an issue too)."""
    shown = shown or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [_unreadable(exc, key, shown)]
    return parse_one(data, key, shown, vocabulary)


def parse_one(data_bytes: bytes, key: str, shown: str, vocabulary: Vocabulary) -> Loaded:
    """One annotation file's bytes, parsed and checked: the annotation and its issues."""
    issues: list[Issue] = []
    try:
        text = data_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data_bytes[: exc.start].count(b"\n") + 1
        return None, [
            _issue(
                "annotation-encoding",
                f"Invalid UTF-8 (byte 0x{data_bytes[exc.start]:02x}).",
                key,
                shown,
                line,
                None,
                "Save the file as UTF-8.",
            )
        ]
    try:
        data, positions = load_yaml(text)
    except YamlProblem as exc:
        return None, [
            _issue(
                "annotation-yaml",
                f"YAML error: {exc.message}.",
                key,
                shown,
                exc.line,
                exc.column,
                exc.hint,
            )
        ]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        top_line = positions.get((), (None, None))[0]
        return None, [
            _issue(
                "annotation-not-mapping",
                f"The file holds a {type(data).__name__}, not a mapping of fields.",
                key,
                shown,
                top_line,
                None,
                "Start the file with fields such as `summary: ...` and `claims:`.",
            )
        ]
    errors = [] if _is_valid()(data) else list(_validator().iter_errors(data))
    for error in sorted(errors, key=lambda e: list(map(str, e.path))):
        path_t = tuple(error.absolute_path)
        err_line, column = _position(positions, path_t)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {})
            unknown = [k for k in error.instance if k not in known and not str(k).startswith("x-")]
            if unknown:
                err_line, column = _position(positions, (*path_t, str(unknown[0]), "<key>"))
        where = ".".join(str(p) for p in path_t) or "(top level)"
        issues.append(
            _issue(
                "annotation-schema",
                f"{where}: {_schema_message(error)}",
                key,
                shown,
                err_line,
                column,
                _schema_hint(error),
            )
        )
    annotation = _build(
        data, key, shown, vocabulary, positions, issues, source_digest(data_bytes, shown)
    )
    return annotation, issues


def source_digest(data: bytes, shown: str) -> str:
    """What ``Annotation.source`` holds: the file's bytes and the name it is shown by."""
    digest = hashlib.blake2b(data, digest_size=20)
    digest.update(shown.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _position(positions: Positions, path: tuple[Any, ...]) -> tuple[int | None, int | None]:
    while path:
        key = tuple(str(p) if not isinstance(p, int) else p for p in path)
        if key in positions:
            return positions[key]
        path = path[:-1]
    return positions.get((), (None, None))


def _schema_message(error: Any) -> str:
    if error.validator == "enum":
        return f"{error.instance!r} is not one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        extra = [e for e in extra if not str(e).startswith("x-")]
        return f"unknown field(s) {', '.join(map(repr, extra))}"
    if error.validator == "type":
        return f"expected {error.validator_value}, got {type(error.instance).__name__}"
    return str(error.message)


def _schema_hint(error: Any) -> str:
    if error.validator == "additionalProperties":
        known = ", ".join(sorted(error.schema.get("properties", {})))
        return f"Known fields: {known}. Prefix your own fields with 'x-'."
    if error.validator == "enum":
        return "Use one of the listed values."
    if error.validator == "type" and error.validator_value == "array":
        return "Write a list: one `- item` per line."
    return "See the annotation schema (docs/annotations.md)."


def _issue(
    code: str,
    message: str,
    key: str,
    shown: str,
    line: int | None,
    column: int | None,
    hint: str,
    severity: Severity = Severity.ERROR,
) -> Issue:
    return Issue(
        severity, code, message, key=key, location=Location(shown, line, column), hint=hint
    )


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float)


def _strs(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if _scalar(v))
    return ()


def _listed(value: Any) -> list[Any]:
    """A list field as a list: one item written alone (a string or a mapping) is that item;
    any other value (``agents: 5``) is nothing (the schema check reports it)."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, str | dict) else []


def _opt(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict | list) else str(value)


def _source(value: Any) -> str | None:
    return str(value) if value in SOURCES else None


def _caveats(value: Any) -> tuple[Caveat, ...]:
    """Caveats written as plain strings or as ``{text, source}`` mappings."""
    items = [value] if isinstance(value, str | dict) else value if isinstance(value, list) else []
    out = []
    for item in items:
        if isinstance(item, str | int | float):
            out.append(Caveat(str(item)))
        elif isinstance(item, dict) and isinstance(item.get("text"), str) and item["text"]:
            out.append(Caveat(item["text"], _source(item.get("source"))))
    return tuple(out)


def _build(
    data: Mapping[str, Any],
    key: str,
    shown: str,
    vocabulary: Vocabulary,
    positions: Positions,
    issues: list[Issue],
    source: str = "",
) -> Annotation:
    """Make an Annotation from (possibly invalid) data, keeping whatever is usable."""
    claims = []
    for raw in _listed(data.get("claims")):
        if isinstance(raw, str):
            claims.append(Claim(text=raw))
        elif isinstance(raw, dict) and raw.get("text"):
            evidence = raw.get("evidence")
            claims.append(
                Claim(
                    text=str(raw["text"]),
                    evidence=str(evidence) if evidence in EVIDENCE_LEVELS else None,
                    page=_opt(raw.get("page")),
                    quote=_opt(raw.get("quote")),
                    numbers=_opt(raw.get("numbers")),
                    source=_source(raw.get("source")),
                )
            )

    def resolve(terms: Terms[Any], kind: str, name: str, path: tuple[str | int, ...]) -> str | None:
        """The canonical id of a name, or None with an unknown-<kind> warning at its line."""
        canonical = terms.canonical(name)
        if canonical is None:
            line, column = _position(positions, path)
            suggestions = terms.suggest(name)
            hint = (
                f"Did you mean {' or '.join(repr(s) for s in suggestions)}? " if suggestions else ""
            ) + f"Or add it to the vocabulary in cytobib.toml ([[{kind}s]], see docs/{kind}s.md)."
            issues.append(
                _issue(
                    f"unknown-{kind}",
                    f"{kind.capitalize()} '{name}' is not in the vocabulary.",
                    key,
                    shown,
                    line,
                    column,
                    hint,
                    Severity.WARNING,
                )
            )
        return canonical

    agents = []
    for i, raw in enumerate(_listed(data.get("agents"))):
        name = raw if isinstance(raw, str) else raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        canonical = resolve(vocabulary, "agent", name, ("agents", i, "name"))
        extra = raw if isinstance(raw, dict) else {}
        agents.append(
            AgentUse(
                name=name,
                canonical=canonical,
                role=_opt(extra.get("role")),
                dose=_opt(extra.get("dose")),
                route=_opt(extra.get("route")),
            )
        )
    raw_cancers = data.get("cancers")
    named: list[tuple[tuple[str | int, ...], str]] = []  # (where in the file, name)
    if isinstance(raw_cancers, str):
        named.append((("cancers",), raw_cancers))
    elif isinstance(raw_cancers, list):
        named += [(("cancers", i), str(v)) for i, v in enumerate(raw_cancers) if _scalar(v)]
    cancers = tuple(name for _, name in named)
    cancer_ids = tuple(
        (resolve(vocabulary.cancers, "cancer", name, path) if name.strip() else None) or name
        for path, name in named
    )
    priority = data.get("priority")
    status = data.get("status")
    study_type = data.get("study_type")
    marked = data.get("suggested")
    suggested = tuple(str(k) for k in marked) if isinstance(marked, dict) else ()
    if suggested:
        line, column = _position(positions, ("suggested", "<key>"))
        issues.append(
            _issue(
                "unconfirmed-suggestion",
                f"{', '.join(suggested)} drafted by `cytobib suggest` from PubMed, not yet "
                "confirmed.",
                key,
                shown,
                line,
                column,
                f"Check them against the work, then run `cytobib suggest --accept {key}`.",
                Severity.INFO,
            )
        )
    return Annotation(
        key=key,
        path=shown,
        summary=str(data.get("summary") or "").strip(),
        claims=tuple(claims),
        agents=tuple(agents),
        targets=_strs(data.get("targets")),
        cancers=cancers,
        cancer_ids=cancer_ids,
        study_type=str(study_type) if study_type in STUDY_TYPES else None,
        caveats=_caveats(data.get("caveats")),
        tags=_strs(data.get("tags")),
        status=str(status) if status in STATUSES else None,
        priority=priority if isinstance(priority, int) and 1 <= priority <= 5 else None,
        related=_strs(data.get("related")),
        verified=tuple(v for v in _listed(data.get("verified")) if isinstance(v, dict)),
        extra={k: v for k, v in data.items() if isinstance(k, str) and k.startswith("x-")},
        unconfirmed=_strs(data.get("unconfirmed")),
        source=source,
        suggested=suggested,
    )


# --- writing stubs -------------------------------------------------------------------------------


def stub_text(entry: Entry, schema_ref: str = PACKAGED_SCHEMA_REF) -> str:
    """A new annotation for an entry: every field present, empty, with a comment on each."""
    title = entry.title.replace("\n", " ")
    return f"""{SCHEMA_COMMENT.format(ref=schema_ref)}
# {entry.key}: {title[:90]}
summary: ""
# study_type: review   # {" | ".join(STUDY_TYPES)}
status: to-read    # to-read | skimmed | read
priority: 3        # 1 (highest) .. 5
agents: []         # - name: aldesleukin   (any synonym from docs/agents.md)
                   #   role: primary
targets: []
cancers: []        # - melanoma   (any synonym from docs/cancers.md)
claims: []         # - text: ...
                   #   evidence: {" | ".join(EVIDENCE_LEVELS)}
caveats: []
tags: []
related: []        # other citation keys
"""


def write_stub(folder: Path, entry: Entry, schema_ref: str = PACKAGED_SCHEMA_REF) -> Path:
    """Create annotations/<key>.yaml for an entry; never replaces an existing file."""
    path = path_for(folder, entry.key)
    folder.mkdir(parents=True, exist_ok=True)
    if not create_exclusive(path, stub_text(entry, schema_ref).encode("utf-8")):
        raise KeyExistsError(
            f"{path} exists already; it was left as it is.",
            hint="Edit that file, or delete it first if you want a fresh stub.",
        )
    return path
