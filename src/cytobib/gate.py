"""The gate every output of notes passes: annotation files that cannot be used stop it.

A YAML mistake used to drop a paper's notes from the reading list, review table, evidence map
and exports with exit 0 (issue 14): loading turns a bad file into an ``Issue`` (right for
``check``), and the views then showed the work as if it had no notes. Every command that shows
notes therefore asks :func:`require` first: it raises :class:`UnusableAnnotations` naming
each file (file:line:column and the fix), or, with ``keep_going``, returns the notices the
output prints at its top, so that a document built anyway says what it lacks.
"""

from __future__ import annotations

from collections.abc import Collection

from cytobib.errors import UnusableAnnotations
from cytobib.library import Project
from cytobib.model import Issue, Library, Severity

LEFT_OUT = frozenset(
    {
        "annotation-yaml",
        "annotation-encoding",
        "annotation-not-mapping",
        "annotation-unreadable",
        "annotation-outside-project",
        "annotation-not-a-file",
    }
)
"""Codes of files that give no notes at all: the work is shown without any."""

INCOMPLETE = frozenset({"annotation-schema"})
"""Codes of files read in part: the values the schema refuses are left out."""

SHOWN = 20  # files named in the error message; `cytobib check` lists every one


def is_unusable(issue: Issue) -> bool:
    """Whether an issue says an annotation file cannot be used as written."""
    return issue.severity == Severity.ERROR and issue.code in LEFT_OUT | INCOMPLETE


def unusable(library: Library, keys: Collection[str] | None = None) -> tuple[Issue, ...]:
    """The problems of annotation files that cannot be used as written (of ``keys`` only,
    when given), one per file: the first problem found in it."""
    seen: dict[str, Issue] = {}
    for issue in library.issues:
        if not is_unusable(issue):
            continue
        if keys is not None and issue.key not in keys:
            continue
        where = issue.location.path if issue.location else issue.key or ""
        seen.setdefault(where, issue)
    return tuple(seen.values())


def notices(issues: Collection[Issue]) -> tuple[str, ...]:
    """What an output built anyway prints at its top: a summary, then one line per file."""
    if not issues:
        return ()
    files = "1 annotation file" if len(issues) == 1 else f"{len(issues)} annotation files"
    out = [
        f"Incomplete: {files} could not be used (built with --keep-going); "
        "cytobib check lists the problems."
    ]
    for issue in issues:
        what = "notes left out" if issue.code in LEFT_OUT else "invalid values left out"
        out.append(f"{issue.location or issue.key}: {what}: {issue.message}")
    return tuple(out)


def require(
    project: Project, *, keep_going: bool = False, keys: Collection[str] | None = None
) -> tuple[str, ...]:
    """Stop unless every annotation file (of ``keys``, when given) can be used.

    Returns:
        The notices to print at the top of the output (empty when all is well).

    Raises:
        UnusableAnnotations: some files cannot be used and ``keep_going`` is false.
    """
    issues = unusable(project.library, keys)
    if not issues or keep_going:
        return notices(issues)
    files = "1 annotation file" if len(issues) == 1 else f"{len(issues)} annotation files"
    lines = [
        f"{files} cannot be used, and the output would leave out what "
        f"{'it says' if len(issues) == 1 else 'they say'}; nothing was written:"
    ]
    for issue in issues[:SHOWN]:
        lines.append(f"  {issue.location or issue.key}: {issue.message}")
        if issue.hint:
            lines.append(f"      fix: {issue.hint}")
    if len(issues) > SHOWN:
        lines.append(f"  and {len(issues) - SHOWN} more (`cytobib check` lists them all)")
    raise UnusableAnnotations(
        "\n".join(lines),
        issues,
        hint="Fix the files (`cytobib edit KEY` checks one as you save it), or pass "
        "--keep-going to write the rest with a warning at the top of the output.",
    )
