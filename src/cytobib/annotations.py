"""Annotation files: one YAML file per citation key in annotations/, checked by a JSON Schema.

YAML is loaded with the safe loader only, composed to a node tree first so that every value
keeps its line and column: schema errors, duplicate keys and bad agents point at the line to
fix. The schema ships in the package (``schema/annotation.schema.json``) and editors can use
it through the ``# yaml-language-server: $schema=...`` line that stubs start with.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import pickle
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cytobib._version import __version__
from cytobib.bibfile import atomic_write_bytes, create_exclusive, issue_from_row, issue_to_row
from cytobib.errors import AnnotationFileError, KeyExistsError, WriteError
from cytobib.memo import code_digest, settled
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
                self.positions[(*path, str(key), "<key>")] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                out[key] = self.build(value_node, (*path, str(key)))
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


def load_all(
    folder: Path,
    entries: Iterable[Entry],
    vocabulary: Vocabulary,
    *,
    shown_folder: str | None = None,
    cache_dir: Path | None = None,
) -> LoadedAnnotations:
    """Read every annotations/*.yaml, match it to an entry, validate, resolve agents.

    With ``cache_dir``, a file whose bytes, name and vocabulary are unchanged is not parsed
    again: composing YAML with positions and validating it cost ~0.7 ms a file.
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
    files = []
    for dirent in found_files:
        problem = _outside(dirent, inside, f"{shown_dir}/{dirent.name}")
        if problem is None:
            files.append(folder / dirent.name)
        else:
            issues.append(problem)
    cache = _FileCache(cache_dir, folder, vocabulary) if cache_dir is not None else None
    with_file: set[str] = set()
    for path in files:
        shown = f"{shown_dir}/{path.name}"
        key = path.stem
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
        if cache is None:
            annotation, found = load_one(path, key, vocabulary, shown=shown)
        else:
            annotation, found = cache.load(path, key, shown)
        issues.extend(found)
        if annotation is not None:
            out[key] = annotation
    if cache is not None:
        cache.save()
    return LoadedAnnotations(out, tuple(issues), frozenset(with_file))


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


class _FileCache:
    """Parsed annotation files by a hash of their bytes, name, the vocabulary and cytobib's
    code, in one pickle per annotations folder. Entries are plain tuples (rebuilding
    dataclasses from tuples is several times faster than unpickling them).

    A file whose size, inode, mtime and ctime are those recorded last time is not even read,
    as git's index does, unless it is not ``memo.settled`` (it may have changed again within
    the clock's granularity after the run that recorded the stamp started). ctime
    cannot be set back by tools that restore mtimes, so a replaced file is always read
    (except on Windows before Python 3.12, where ``st_ctime`` is the creation time).
    """

    def __init__(self, cache_dir: Path, folder: Path, vocabulary: Vocabulary) -> None:
        ident = hashlib.blake2b(str(folder.resolve()).encode(), digest_size=12).hexdigest()
        self.path = cache_dir / "annotations" / f"{ident}.pickle"
        self.vocabulary = vocabulary
        # The rows follow the dataclasses' field order, so their fields are part of the salt.
        shapes = [list(cls.__dataclass_fields__) for cls in (Annotation, Claim, AgentUse)]
        salt = hashlib.blake2b(code_digest(), digest_size=20)
        indexes = (sorted(vocabulary.index.items()), sorted(vocabulary.cancers.index.items()))
        for part in (__version__, repr(shapes), repr(indexes)):
            salt.update(part.encode("utf-8", "surrogatepass"))
        self.salt = salt.digest()
        self.old: dict[bytes, tuple[Any, ...]] = {}
        self.new: dict[bytes, tuple[Any, ...]] = {}
        self.old_stamps: dict[str, tuple[tuple[int, ...], bytes]] = {}
        self.new_stamps: dict[str, tuple[tuple[int, ...], bytes]] = {}
        self.recorded = 0  # when the run that recorded old_stamps started
        self.started = time.time_ns()  # before any file is looked at
        self.verified = False  # a file with a known stamp was read: its stamp can be trusted
        with contextlib.suppress(Exception):
            with self.path.open("rb") as fh:
                saved = pickle.load(fh)  # noqa: S301 - our own cache file
            if saved[0] == self.salt:
                self.old, self.old_stamps, self.recorded = saved[1], saved[2], saved[3]

    def load(self, path: Path, key: str, shown: str) -> tuple[Annotation | None, list[Issue]]:
        try:
            st = os.stat(path)
        except OSError:
            return load_one(path, key, self.vocabulary, shown=shown)  # reports the error
        stamp = (st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
        known = self.old_stamps.get(shown)
        row = None
        if known is not None and known[0] == stamp and settled(st.st_ctime_ns, self.recorded):
            ident = known[1]
            row = self.old.get(ident)
        if row is None:
            self.verified = self.verified or known is not None
            try:
                data = path.read_bytes()
            except OSError:
                return load_one(path, key, self.vocabulary, shown=shown)
            digest = hashlib.blake2b(data, digest_size=20, key=self.salt)
            digest.update(shown.encode("utf-8", "surrogatepass"))
            ident = digest.digest()
            row = self.old.get(ident)
            if row is None:
                annotation, found = load_one(path, key, self.vocabulary, shown=shown, raw=data)
                self.new[ident] = (_annotation_to_row(annotation), [issue_to_row(i) for i in found])
                self.new_stamps[shown] = (stamp, ident)
                return annotation, found
        self.new[ident] = row
        self.new_stamps[shown] = (stamp, ident)
        ann_row, issue_rows = row
        return _annotation_from_row(ann_row), [issue_from_row(r) for r in issue_rows]

    def save(self) -> None:
        # A file read only because it was too new to trust is trusted once saved again.
        unchanged = self.new.keys() == self.old.keys() and self.new_stamps == self.old_stamps
        if unchanged and not self.verified:
            return
        with contextlib.suppress(OSError, WriteError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            saved = (self.salt, self.new, self.new_stamps, self.started)
            payload = pickle.dumps(saved, protocol=5)
            atomic_write_bytes(self.path, payload, durable=False)


def _annotation_to_row(a: Annotation | None) -> tuple[Any, ...] | None:
    if a is None:
        return None
    return (
        a.key, a.path, a.summary,
        tuple((c.text, c.evidence, c.page, c.quote, c.numbers, c.source) for c in a.claims),
        tuple((g.name, g.canonical, g.role, g.dose, g.route) for g in a.agents),
        a.targets, a.cancers, a.cancer_ids, a.study_type, a.caveats, a.tags, a.status, a.priority,
        a.related, thawed(a.verified), thawed(a.extra), a.unconfirmed, a.source, a.suggested,
    )  # fmt: skip


def _annotation_from_row(row: tuple[Any, ...] | None) -> Annotation | None:
    if row is None:
        return None
    key, path, summary, claims, agents, *rest = row
    return Annotation(
        key,
        path,
        summary,
        tuple(Claim(*c) for c in claims),
        tuple(AgentUse(*g) for g in agents),
        *rest,
    )


def load_one(
    path: Path,
    key: str,
    vocabulary: Vocabulary,
    *,
    shown: str | None = None,
    raw: bytes | None = None,
) -> tuple[Annotation | None, list[Issue]]:
    """One annotation file (``raw``: its bytes, when already read) and its issues."""
    shown = shown or str(path)
    issues: list[Issue] = []
    try:
        data_bytes = path.read_bytes() if raw is None else raw
    except OSError as exc:
        return None, [
            _issue(
                "annotation-unreadable",
                f"Cannot read the file: {exc.strerror}.",
                key,
                shown,
                None,
                None,
                "Check the file's permissions.",
            )
        ]
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
    for raw in data.get("claims") or []:
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
    for i, raw in enumerate(data.get("agents") or []):
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
        verified=tuple(v for v in data.get("verified") or [] if isinstance(v, dict)),
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
