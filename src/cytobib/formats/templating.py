"""Jinja2 templates for the layout of an item, overridable per project.

A project can copy any file from ``cytobib/templates/`` into ``<project>/templates/`` and edit
it (docs/templates.md lists the variables). Every ``{{ value }}`` is escaped for the target
format by the environment's ``finalize`` (HTML uses autoescape), so a user's template cannot
let a title or note inject markup; values already rendered for the target are ``Markup``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from cytobib import parallel, progress
from cytobib.errors import TemplateError
from cytobib.formats.escape import doi_url
from cytobib.model import Caveat

# What ``getattr`` finds on a plain dict: any other ``{{ d.name }}`` is the item ``d["name"]``.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Template(jinja2.Template):
    """A template whose errors name the project file and line (a user's template is input,
    not cytobib's code: its mistakes are not reported as bugs)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        try:
            return super().render(*args, **kwargs)
        except jinja2.TemplateError as exc:
            raise template_error(exc, self.filename) from None


class _Lookups:
    """Looks up ``{{ claim.text }}`` on a plain dict without first raising and catching an
    AttributeError, as Jinja does (the result is the same, and dict items are always safe);
    and names the user's template file and line in its errors."""

    template_class = _Template

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except LookupError:
                return self.undefined(obj=obj, name=attribute)  # type: ignore[attr-defined]
        return super().getattr(obj, attribute)  # type: ignore[misc]

    def get_template(self, *args: Any, **kwargs: Any) -> jinja2.Template:
        try:
            return super().get_template(*args, **kwargs)  # type: ignore[misc, no-any-return]
        except jinja2.TemplateError as exc:
            raise template_error(exc, getattr(exc, "filename", None)) from None


class _Environment(_Lookups, jinja2.Environment):
    """For cytobib's own templates only."""


class _Sandboxed(_Lookups, SandboxedEnvironment):
    """For a project with its own templates (a cloned project is not trusted): they cannot
    reach Python internals (``cycler.__init__.__globals__``...) or call unsafe methods. It
    costs ~18% of rendering time, so projects without templates/ do not pay it."""


class _ProjectLoader(jinja2.FileSystemLoader):
    """``<project>/templates`` only: a template (or an include) that is a link to a file
    outside the folder is not loaded."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        folder = Path(self.searchpath[0]).resolve()
        if not Path(filename).resolve().is_relative_to(folder):
            raise TemplateError(
                f"templates/{template} links to a file outside the project's templates "
                "folder; it was not read.",
                hint="Copy the file into templates/ instead of linking to it.",
            )
        return source, filename, uptodate


def template_error(exc: jinja2.TemplateError, filename: str | None) -> Exception:
    """A user template's mistake as a TemplateError naming its file and line; a packaged
    template's mistake stays what it is (a bug in cytobib)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        filename = exc.filename or filename
    if not filename or _PACKAGED in Path(filename).resolve().parents:
        return exc
    line = getattr(exc, "lineno", None) or _template_line(exc, filename)
    name = Path(filename).name
    where = f"templates/{name}" + (f":{line}" if line else "")
    if isinstance(exc, SecurityError):
        what = f"does something templates may not do ({exc.message or exc})"
    elif isinstance(exc, jinja2.UndefinedError):
        what = f"uses a variable that does not exist ({exc.message or exc})"
    else:
        what = f"cannot be used: {getattr(exc, 'message', None) or exc}"
    return TemplateError(
        f"{where}: the template {what}.",
        hint="docs/templates.md lists the variables and what templates can do; delete the "
        "file to use the built-in template again.",
    )


def _template_line(exc: BaseException, filename: str) -> int | None:
    """The template line Jinja put into the traceback (it maps frames to template lines)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


_PACKAGED = Path(__file__).resolve().parents[1] / "templates"


def environment(target: str, escape: Callable[[str], str], root: Path | None) -> jinja2.Environment:
    """An environment for one render: ``escape`` is applied to every value that is not
    ``Markup``, and its results are remembered for the life of the environment (a reading
    list repeats agent labels, evidence levels and, for works in several groups, whole
    annotations), so ``escape`` must be a pure function of its argument."""
    loaders: list[jinja2.BaseLoader] = []
    cls: type[jinja2.Environment] = _Environment
    if root is not None and (root / "templates").is_dir():
        loaders.append(_ProjectLoader(str(root / "templates")))
        cls = _Sandboxed
    loaders.append(jinja2.PackageLoader("cytobib", "templates"))

    escaped: dict[str, str] = {}

    def finalize(value: Any) -> Any:
        if type(value) is str:  # not Markup, a str subclass
            try:
                return escaped[value]
            except KeyError:
                result = escaped[value] = escape(value)
                return result
        if value is None:
            return ""
        if isinstance(value, Markup):
            return value
        return escape(str(value))

    if target == "html":
        env = cls(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
    else:
        # autoescape is HTML-only; here finalize escapes every value for the target instead.
        env = cls(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,
            finalize=finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
    return env


def item_context(item: Any, citation: Markup, vocabulary: Any) -> dict[str, Any]:
    """The variables an item template sees (documented in docs/templates.md)."""
    work = _work_context(item.record, vocabulary)
    work["citation"] = citation
    return _item_variables(item, work)


class ItemContexts:
    """``item_context`` plus ``sections`` for each item of one render of a reading list.

    A work can sit in several groups: its citation is converted (``convert`` takes the
    engine's HTML fragment) and what depends on the work alone is gathered once per render,
    by citation key, since a work's reference never changes within a view. That part is then
    shared, so a template must not modify the lists and dicts it is given. ``clean``, if
    given, is applied to each variable's value (once per work for the shared part).
    """

    def __init__(
        self,
        vocabulary: Any,
        sections: Sequence[str],
        convert: Callable[[str], Markup],
        clean: Callable[[Any], Any] | None = None,
    ) -> None:
        self._vocabulary = vocabulary
        self._sections = sections
        self._convert = convert
        self._clean = clean
        self._works: dict[str, dict[str, Any]] = {}

    def __call__(self, item: Any) -> dict[str, Any]:
        record = item.record
        clean = self._clean
        work = self._works.get(record.key)
        if work is None:
            work = _work_context(record, self._vocabulary)
            work["citation"] = self._convert(item.reference.html)
            if clean is not None:
                work = {name: clean(value) for name, value in work.items()}
            self._works[record.key] = work
        variables = _item_variables(item, work)
        if clean is not None:
            for name in _ITEM_OWN:
                variables[name] = clean(variables[name])
        variables["sections"] = self._sections
        return variables


# The variables that depend on the item, not on its work alone.
_ITEM_OWN = ("number", "label", "short", "warning", "note", "gaps")


def _item_variables(item: Any, work: dict[str, Any]) -> dict[str, Any]:
    """The work's variables (with its converted citation) and the item's own."""
    return {
        "key": work["key"],
        "number": item.number,
        "label": item.reference.label,
        "citation": work["citation"],
        "short": item.short,
        "doi": work["doi"],
        "url": work["url"],
        "warning": item.warning,
        "note": item.note,
        "gaps": item.gaps,
        "summary": work["summary"],
        "claims": work["claims"],
        "caveats": work["caveats"],
        "agents": work["agents"],
        "cancers": work["cancers"],
        "tags": work["tags"],
        "status": work["status"],
        "study_type": work["study_type"],
        "abstract": work["abstract"],
        "annotated": work["annotated"],
    }


def _work_context(record: Any, vocabulary: Any) -> dict[str, Any]:
    """The part of ``item_context`` that depends on the work (record) alone."""
    ann = record.annotation
    entry = record.entry
    agents = []
    if ann is not None:
        for use in ann.agents:
            agent = vocabulary.agents.get(use.id)
            agents.append(
                {
                    "id": use.id,
                    "label": agent.label if agent else use.name,
                    "role": use.role or "",
                    "dose": use.dose or "",
                    "route": use.route or "",
                    "details": "; ".join(v for v in (use.role, use.dose, use.route) if v),
                }
            )
    return {
        "key": record.key,
        "doi": entry.doi_as_written,
        "url": doi_url(entry.doi_as_written) if entry.doi_as_written else entry.url,
        "summary": ann.summary if ann else "",
        "claims": [
            {
                "text": c.text,
                "evidence": c.evidence or "",
                "numbers": c.numbers or "",
                "page": c.page or "",
                "quote": c.quote or "",
                "source": c.source or "",
                "source_label": c.source_label,
            }
            for c in (ann.claims if ann else ())
        ],
        "caveats": [c if isinstance(c, Caveat) else Caveat(c) for c in ann.caveats] if ann else [],
        "agents": agents,
        "cancers": list(vocabulary.cancers.labels(ann.cancer_ids)) if ann else [],
        "tags": list(ann.tags) if ann else [],
        "status": (ann.status or "") if ann else "",
        "study_type": (ann.study_type or "") if ann else "",
        "abstract": entry.text("abstract"),
        "annotated": ann is not None,
    }


# --- rendering the items of a list --------------------------------------------------------------

RenderItem = Callable[..., str]
"""A format's text for one item: ``render(item, *extra)``."""


class ItemRenderer(Protocol):
    """How a format has the items of a reading list rendered (``RenderContext.items``): each
    task is ``(item, *extra)`` and its text is ``render(*task)``; the result is in task order.

    The format decides the text; whoever renders (:func:`render_items`, or the cache of
    rendered items that wraps it, ``cytobib.caching.rendered_items``) decides how and whether
    to call ``render``. ``target`` and ``sections`` name what the texts depend on besides the
    tasks, for a cache's key.
    """

    def __call__(
        self,
        target: str,
        sections: Sequence[str],
        tasks: Sequence[tuple[Any, ...]],
        render: RenderItem,
    ) -> list[str]: ...


_ITEMS_PER_PROCESS = 1000  # ~0.2 s of rendering: more than a process costs to start


def render_items(
    target: str, sections: Sequence[str], tasks: Sequence[tuple[Any, ...]], render: RenderItem
) -> list[str]:
    """Each task's text, on every core for a large list (20k items take ~4 s in one).

    Each item made in this process advances the open progress task (``rendering.render``'s);
    the items a worker process made, once it has sent them back."""
    del target, sections  # the texts are made here, not looked up
    here, told = os.getpid(), [0]

    def chunk(part: Sequence[tuple[Any, ...]]) -> list[str]:
        out = []
        for task in part:
            out.append(render(*task))
            if os.getpid() == here:  # a forked worker has no one to tell
                progress.advance()
                told[0] += 1
        return out

    texts = parallel.map_chunks(chunk, tasks, min_chunk=_ITEMS_PER_PROCESS)
    progress.advance(len(texts) - told[0])
    return texts
