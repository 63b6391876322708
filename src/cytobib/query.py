"""The ``--where`` filter language: a tiny, safe subset of Python expressions.

Examples::

    agent == "aldesleukin" and year >= 2010
    "Treg" in tags
    status != "read"
    cancer == "melanoma" or agent_class == "immune-checkpoint-inhibitor"
    cancer == "esophageal cancer" and cancer_class == "solid"
    not retracted and "IL-2" in title
    "IL-2" in abstract
    summary ~ "low.dose" or text ~ "regulatory T cells?"

The expression is parsed with :mod:`ast` and walked by an interpreter that knows only the node
types listed in ``_ALLOWED``; nothing is ever passed to ``eval``. Names are fields of a record
(``FIELDS``). Multi-valued fields (agents, cancers, tags, ...) compare as "any element":
``agent == "IL-2"`` is true when any agent is aldesleukin (agents and cancers match through the
vocabulary's synonyms and broader terms: ``cancer == "melanoma"`` finds uveal melanoma),
``agent != "x"`` when none is. ``in`` on a text field is a substring test; on a multi-valued
field, membership. Text compares without case or accents (``search.fold``).

``field ~ "regex"`` matches a regular expression (case- and accent-insensitive; on a list,
any element). ``~`` is not a binary operator in Python, so before parsing, a ``~`` token that
follows an operand is rewritten to ``@`` (the same width, so error columns stay right), and
``@`` is then allowed only as that operator: a field on its left, a quoted pattern on its right.
A ``@`` the user typed is refused before the rewrite.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cytobib import search
from cytobib.errors import FilterError, FilterWarning
from cytobib.model import Record
from cytobib.vocabulary import Terms, Vocabulary

_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Compare,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Name, ast.Load,
    ast.Constant, ast.List, ast.Tuple, ast.BinOp, ast.MatMult,
)  # fmt: skip
"""``BinOp``/``MatMult`` only as ``field ~ "pattern"`` (checked in :func:`_check_match`)."""


@dataclass(frozen=True)
class _Field:
    kind: str  # "text", "number", "multi", "agents", "cancers", "bool"
    help: str


FIELDS: dict[str, _Field] = {
    "key": _Field("text", "citation key"),
    "type": _Field("text", "entry type (article, book, ...)"),
    "title": _Field("text", "title (decoded)"),
    "journal": _Field("text", "journal or book title"),
    "author": _Field("multi", "author family names"),
    "first_author": _Field("text", "first author's family name"),
    "doi": _Field("text", "DOI"),
    "year": _Field("number", "publication year"),
    "priority": _Field("number", "annotation priority 1-5"),
    "status": _Field("text", "reading status: to-read, skimmed, read"),
    "study_type": _Field("text", "annotation study type"),
    "agent": _Field("agents", "agents (any synonym; broader agents match too)"),
    "agent_class": _Field("multi", "agent classes"),
    "cancer": _Field("cancers", "cancers (any synonym; broader cancers match too)"),
    "cancer_class": _Field("multi", "cancer classes: solid, haematological"),
    "target": _Field("multi", "molecular targets"),
    "tag": _Field("multi", "tags"),
    "evidence": _Field("multi", "evidence levels of the claims"),
    "abstract": _Field("text", "abstract (decoded)"),
    "keywords": _Field("text", "the entry's keywords field"),
    "summary": _Field("text", "annotation summary"),
    "claims": _Field("text", "annotation claims, with their quotes and numbers"),
    "caveats": _Field("text", "annotation caveats"),
    "notes": _Field("text", "every text of the annotation (summary, claims, agents, x- fields...)"),
    "text": _Field("text", "title, abstract, keywords and every text of the annotation"),
    "annotated": _Field("bool", "has an annotation"),
    "retracted": _Field("bool", "marked retracted"),
    "corrected": _Field("bool", "has a correction or expression of concern"),
}
_ALIASES = {"agents": "agent", "cancers": "cancer", "targets": "target", "tags": "tag",
            "authors": "author", "class": "agent_class", "agent-class": "agent_class",
            "study-type": "study_type", "cancer-class": "cancer_class", "claim": "claims",
            "caveat": "caveats", "note": "notes", "keyword": "keywords"}  # fmt: skip


def field_values(record: Record, name: str, vocabulary: Vocabulary) -> Any:
    """The value of a filter field for a record (shared with views for grouping)."""
    entry, ann = record.entry, record.annotation
    match name:
        case "key":
            return entry.key
        case "type":
            return entry.type
        case "title":
            return entry.title
        case "journal":
            return entry.container
        case "author":
            return [p.last for p in entry.authors]
        case "first_author":
            return entry.authors[0].last if entry.authors else ""
        case "doi":
            return entry.doi
        case "year":
            return entry.year
        case "priority":
            return ann.priority if ann else None
        case "status":
            return (ann.status if ann else None) or ""
        case "study_type":
            return (ann.study_type if ann else None) or ""
        case "agent":
            return [a.id for a in ann.agents] if ann else []
        case "agent_class":
            if not ann:
                return []
            classes = (vocabulary.class_of(a.id) for a in ann.agents)
            return list(dict.fromkeys(c for c in classes if c))
        case "cancer":
            return list(dict.fromkeys(ann.cancer_ids)) if ann else []
        case "cancer_class":
            if not ann:
                return []
            cancer_classes = (vocabulary.cancers.class_of(c) for c in ann.cancer_ids)
            return list(dict.fromkeys(c for c in cancer_classes if c))
        case "target":
            return list(ann.targets) if ann else []
        case "tag":
            return list(ann.tags) if ann else []
        case "evidence":
            return list(ann.evidence) if ann else []
        case "abstract":
            return entry.text("abstract")
        case "keywords":
            return entry.text("keywords")
        case "summary":
            return ann.summary if ann else ""
        case "claims":
            return search.claims_text(ann) if ann else ""
        case "caveats":
            return "\n".join(ann.caveats) if ann else ""
        case "notes":
            return search.annotation_text(ann, vocabulary) if ann else ""
        case "text":
            return search.record_text(record, vocabulary)
        case "annotated":
            return ann is not None
        case "retracted":
            status = record.update_status
            return status is not None and status.kind == "retracted"
        case "corrected":
            status = record.update_status
            return status is not None and status.kind in ("corrected", "concern")
    raise KeyError(name)


def compile_filter(expr: str, vocabulary: Vocabulary) -> Callable[[Record], bool]:
    """Parse ``expr`` once and return a predicate over records; raises FilterError."""
    text = expr.strip()
    if not text:
        return lambda record: True
    if len(text) > MAX_LENGTH:
        raise FilterError(
            f"The filter is {len(text):,} characters long; at most {MAX_LENGTH:,} are read.",
            hint="Split the selection into simpler filters.",
        )
    source = _tilde_to_matmult(text)
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" for `2010x`: an error below
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)  # "\d" in a pattern (3.11)
            tree = ast.parse(source, mode="eval")
    except (RecursionError, MemoryError):
        raise _too_deep() from None
    except SyntaxError as exc:
        col = (exc.offset or 1) - 1
        raise FilterError(
            f"Cannot parse the filter: {exc.msg}.\n  {text}\n  {' ' * col}^",
            hint='Example: agent == "aldesleukin" and year >= 2010. Quote text values.',
        ) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED) or (
            isinstance(node, ast.BinOp) and not isinstance(node.op, ast.MatMult)
        ):
            raise FilterError(
                f"'{_shown(node) if isinstance(node, ast.expr) else type(node).__name__}' "
                "is not allowed in a filter.",
                hint="Use field comparisons (==, !=, <, >=, in, not in, ~) joined by and/or/not.",
            )
        if isinstance(node, ast.BinOp):
            _check_match(node, source)
        if isinstance(node, ast.Compare):
            _warn_unknown(node, vocabulary)
        if isinstance(node, ast.Name):
            _resolve_name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not _number(node):
            raise FilterError(
                f"'{ast.unparse(node)}': a minus sign can only stand before a number.",
                hint="Write negative numbers as -1; fields cannot be negated.",
            )
    if _depth(tree.body) > MAX_DEPTH:
        raise _too_deep()
    body = tree.body

    def predicate(record: Record) -> bool:
        return bool(_eval(body, record, vocabulary))

    return predicate


def _tilde_to_matmult(text: str) -> str:
    """``field ~ "x"`` as ``field @ "x"``, which ``ast`` parses: a ``~`` token that follows an
    operand (a name, a string, a number, a closing bracket) is the binary match operator; any
    other ``~`` is left for the whitelist to refuse. Text that does not tokenize is returned
    as it is, for the parser to report."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    if any(t.type == tokenize.OP and t.string in ("@", "@=") for t in tokens):
        raise FilterError(
            "'@' is not allowed in a filter.",
            hint='Match a regular expression with ~: summary ~ "low.dose".',
        )
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    chars = list(text)
    previous: tokenize.TokenInfo | None = None
    for token in tokens:
        if token.type == tokenize.OP and token.string == "~" and _operand(previous):
            chars[starts[token.start[0] - 1] + token.start[1]] = "@"
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = token
    return "".join(chars)


def _operand(token: tokenize.TokenInfo | None) -> bool:
    """Whether a token ends an operand (so a ``~`` after it is binary)."""
    if token is None:
        return False
    if token.type == tokenize.NAME:
        return token.string not in ("and", "or", "not", "in", "is")
    return token.type in (tokenize.STRING, tokenize.NUMBER) or token.string in (")", "]")


def _shown(node: ast.expr) -> str:
    """A node as the user wrote it (``@`` back to ``~``)."""
    return _MATMULT.sub(" ~ ", ast.unparse(node))


_MATMULT = re.compile(r" @ ")


def _check_match(node: ast.BinOp, source: str) -> None:
    """``field ~ "pattern"``: a text or list field on the left, a valid pattern on the right.

    The pattern is taken as written between its quotes (as a raw string), so that ``\\b``
    and ``\\d`` are the regular expression's escapes, not Python's backspace."""
    left, right = node.left, node.right
    field = _resolve_name(left.id) if isinstance(left, ast.Name) else None
    if field is None or field in ("true", "false", "none") or FIELDS[field].kind in _NOT_TEXT:
        raise FilterError(
            f"'{_shown(node)}': `~` needs a text field on its left.",
            hint='Write field ~ "pattern", e.g. summary ~ "low.dose" or text ~ "Tregs?".',
        )
    if not (isinstance(right, ast.Constant) and isinstance(right.value, str)):
        raise FilterError(
            f"'{_shown(node)}': `~` needs a quoted pattern on its right.",
            hint='Write field ~ "pattern", e.g. summary ~ "low.dose".',
        )
    written = ast.get_source_segment(source, right) or ""
    quotes = 3 if written[:3] in ('"""', "'''") else 1
    if written[:1] in ("'", '"'):  # no prefix: the text between the quotes, as typed
        right.value = written[quotes:-quotes]
    _pattern(right.value)


_NOT_TEXT = ("number", "bool")


@lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern[str]:
    """A ``~`` pattern, compiled to match without case or accents."""
    try:
        return re.compile(search.unaccented(text), re.IGNORECASE)
    except re.error as exc:
        raise FilterError(
            f"{text!r} is not a regular expression: {exc.msg}.",
            hint="Escape special characters with a backslash (\\( for a bracket), or use "
            '`"text" in field` for plain text.',
        ) from None


def _matches(node: ast.BinOp, record: Record, vocab: Vocabulary) -> bool:
    assert isinstance(node.left, ast.Name)  # checked when compiled (_check_match)
    assert isinstance(node.right, ast.Constant)
    pattern = _pattern(str(node.right.value))
    field = _resolve_name(node.left.id)
    value = field_values(record, field, vocab)
    if FIELDS[field].kind in ("agents", "cancers"):
        terms = _terms(FIELDS[field].kind, vocab)
        assert terms is not None
        value = [*value, *terms.labels(value)]
    values = value if isinstance(value, list) else [value]
    return any(pattern.search(search.unaccented(str(v))) for v in values if v)


_VALUES = {
    "status": "reading status",
    "evidence": "evidence level",
    "study_type": "study type",
    "agent_class": "agent class",
    "cancer_class": "cancer class",
}


def _known_values(field: str, vocab: Vocabulary) -> Sequence[str]:
    from cytobib.annotations import EVIDENCE_LEVELS, STATUSES, STUDY_TYPES

    return {
        "status": STATUSES,
        "evidence": EVIDENCE_LEVELS,
        "study_type": STUDY_TYPES,
        "agent_class": list(vocab.classes),
        "cancer_class": list(vocab.cancers.classes),
    }[field]


def _warn_unknown(node: ast.Compare, vocab: Vocabulary) -> None:
    """Warn when a comparison names an agent, cancer or fixed value nothing is called: the
    filter would quietly select nothing, so say so with the closest names."""
    operands = [node.left, *node.comparators]
    for a, op, b in zip(operands, node.ops, operands[1:], strict=False):
        if isinstance(op, ast.In | ast.NotIn):
            name, values = b, a
        elif isinstance(a, ast.Name):
            name, values = a, b
        else:
            name, values = b, a
        if not isinstance(name, ast.Name):
            continue
        field = _ALIASES.get(name.id.lower(), name.id.lower())
        if field not in FIELDS:
            continue
        items = values.elts if isinstance(values, ast.List | ast.Tuple) else [values]
        for item in items:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                _warn_value(field, item.value, vocab)


def _warn_value(field: str, value: str, vocab: Vocabulary) -> None:
    kind = FIELDS[field].kind
    terms = _terms(kind, vocab)
    if terms is not None:
        if terms.canonical(value) is not None:
            return
        what = "agent" if kind == "agents" else "cancer"
        close = [terms.label_of(t) + f" ({t})" for t in terms.suggest(value)]
        where = f"docs/{what}s.md"
        warnings.warn(
            f"The {what} {value!r} in the filter is not in the vocabulary ({where}), so it "
            "matches only annotations that name it exactly so."
            + (f" Did you mean {' or '.join(close)}?" if close else ""),
            FilterWarning,
            stacklevel=4,
        )
        return
    if field not in _VALUES:
        return
    known = _known_values(field, vocab)
    if search.fold(value) in {search.fold(k) for k in known}:
        return
    from rapidfuzz import process

    close = [c for c, score, _ in process.extract(value, list(known), limit=2) if score >= 60]
    warnings.warn(
        f"No work can have the {_VALUES[field]} {value!r}: it is one of {', '.join(known)}."
        + (f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""),
        FilterWarning,
        stacklevel=4,
    )


MAX_LENGTH = 10_000
MAX_DEPTH = 50
"""Filters are written by people: nesting deeper than this is a generated or hostile one, and
evaluating it recursively would exhaust the stack."""


def _too_deep() -> FilterError:
    return FilterError(
        f"The filter nests more than {MAX_DEPTH} levels deep (chained not, brackets).",
        hint="Simplify it: `not not x` is `x`, and and/or need no brackets around each part.",
    )


def _number(node: ast.UnaryOp) -> bool:
    value = node.operand.value if isinstance(node.operand, ast.Constant) else None
    return isinstance(value, int | float) and not isinstance(value, bool)


def _depth(root: ast.AST) -> int:
    """Nesting depth of the expression, counted without recursion."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _resolve_name(name: str) -> str:
    low = name.lower()
    if low in ("true", "false", "none"):
        return low
    field = _ALIASES.get(low, low)
    if field not in FIELDS:
        from rapidfuzz import process

        close = [c for c, s, _ in process.extract(field, list(FIELDS), limit=2) if s >= 60]
        raise FilterError(
            f"Unknown field '{name}' in the filter.",
            hint=(f"Did you mean {' or '.join(close)}? " if close else "")
            + "Fields: "
            + ", ".join(FIELDS),
        )
    return field


def _eval(node: ast.expr, record: Record, vocab: Vocabulary) -> Any:
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(v, record, vocab) for v in node.values)
        return any(_eval(v, record, vocab) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):  # checked when compiled: a number follows
            return -_eval(node.operand, record, vocab)
        return not _eval(node.operand, record, vocab)
    if isinstance(node, ast.BinOp):  # field ~ "pattern", checked when compiled
        return _matches(node, record, vocab)
    if isinstance(node, ast.Compare):
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if not _compare(left, op, right, record, vocab):
                return False
            left = right
        return True
    if isinstance(node, ast.Name):
        name = _resolve_name(node.id)
        if name in ("true", "false", "none"):
            return {"true": True, "false": False, "none": None}[name]
        value = field_values(record, name, vocab)
        return bool(value) if FIELDS[name].kind in ("multi", "agents", "cancers", "bool") else value
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, record, vocab) for e in node.elts]
    raise FilterError(f"'{_shown(node)}' is not allowed in a filter.")


def _side(node: ast.expr, record: Record, vocab: Vocabulary) -> tuple[str | None, Any]:
    if isinstance(node, ast.Name):
        name = _resolve_name(node.id)
        if name in ("true", "false", "none"):
            return None, {"true": True, "false": False, "none": None}[name]
        return name, field_values(record, name, vocab)
    return None, _eval(node, record, vocab)


def _norm(value: Any) -> Any:
    return search.fold(value).strip() if isinstance(value, str) else value


def _compare(
    left: ast.expr, op: ast.cmpop, right: ast.expr, record: Record, vocab: Vocabulary
) -> bool:
    lname, lval = _side(left, record, vocab)
    rname, rval = _side(right, record, vocab)
    if isinstance(op, ast.In | ast.NotIn):
        result = _contains(rname, rval, lval, vocab)
        return not result if isinstance(op, ast.NotIn) else result
    # A field on the right ("2010 <= year") is turned around.
    if lname is None and rname is not None:
        flipped = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
        op = flipped.get(type(op), type(op))()
        lname, lval, rname, rval = rname, rval, lname, lval
    kind = FIELDS[lname].kind if lname else "text"
    if kind in ("multi", "agents", "cancers"):
        values = lval or []
        if isinstance(op, ast.Eq | ast.NotEq):
            hit = any(_equal(kind, v, rval, vocab) for v in values)
            return hit if isinstance(op, ast.Eq) else not hit
        return any(_order(op, v, rval) for v in values)
    if isinstance(op, ast.Eq):
        return _equal(kind, lval, rval, vocab)
    if isinstance(op, ast.NotEq):
        return not _equal(kind, lval, rval, vocab)
    return _order(op, lval, rval)


def _terms(kind: str | None, vocab: Vocabulary) -> Terms[Any] | None:
    """The vocabulary a field's values are ids of: they match by synonyms and broader terms."""
    return vocab if kind == "agents" else vocab.cancers if kind == "cancers" else None


def _equal(kind: str, value: Any, wanted: Any, vocab: Vocabulary) -> bool:
    terms = _terms(kind, vocab)
    if terms is not None and isinstance(wanted, str) and isinstance(value, str):
        return terms.matches(value, wanted)
    if isinstance(wanted, list):
        return any(_equal(kind, value, w, vocab) for w in wanted)
    return bool(_norm(value) == _norm(wanted))


def _order(op: ast.cmpop, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        if isinstance(op, ast.Lt):
            return bool(a < b)
        if isinstance(op, ast.LtE):
            return bool(a <= b)
        if isinstance(op, ast.Gt):
            return bool(a > b)
        if isinstance(op, ast.GtE):
            return bool(a >= b)
    except TypeError:
        raise FilterError(
            f"Cannot compare {a!r} with {b!r}.",
            hint="Compare numbers with numbers (year >= 2010) and text with quoted text.",
        ) from None
    return False


def _contains(container_name: str | None, container: Any, item: Any, vocab: Vocabulary) -> bool:
    kind = FIELDS[container_name].kind if container_name else None
    terms = _terms(kind, vocab)
    if terms is not None:
        return any(terms.matches(v, str(item)) for v in container or [])
    if isinstance(container, list):
        if isinstance(item, str):
            return any(_norm(item) == _norm(v) for v in container)
        return item in container
    if isinstance(container, str):
        return _norm(str(item)) in _norm(container)
    return False
