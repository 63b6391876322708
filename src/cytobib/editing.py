"""``cytobib edit KEY``: the reader's notes in their own editor, checked before they are kept.

As ``crontab -e`` and ``git commit`` do, the editor works on a draft, never on the file itself:
``.cytobib/editing-KEY.yaml``, a copy of the notes (or a stub). When the editor closes, the
draft is checked like any annotation file; with errors the reader is asked (``ask``) whether to
edit again, save anyway or discard. Only then is the draft installed as annotations/KEY.yaml,
under the project's write lock and only if that file is still what the draft was made from
(:func:`cytobib.project.write_annotation`), so a change made meanwhile is never overwritten.

The draft sits one level below the project root, as annotations/ does, so the stub's
``$schema=`` line (relative to the file) still finds the schema for the editor. A draft left
by an interrupted edit is opened again by the next ``cytobib edit KEY``: nothing typed is lost.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cytobib import annotations as ann
from cytobib.errors import EditorError
from cytobib.library import Project, record_for
from cytobib.lock import locked
from cytobib.model import Issue, Severity

Choice = Literal["edit", "save", "discard", "keep"]
Status = Literal["saved", "unchanged", "discarded", "kept"]
Ask = Callable[[Sequence[Issue]], Choice]


@dataclass(frozen=True)
class EditResult:
    """What became of an edit: ``saved`` (with the file's remaining ``issues``: warnings, or
    errors when saved anyway), ``unchanged``, ``discarded``, or ``kept`` in ``draft`` for
    a later ``cytobib edit`` (no answer was given)."""

    status: Status
    path: Path
    draft: Path
    issues: tuple[Issue, ...] = ()


def draft_path(project: Project, key: str) -> Path:
    """Where the draft of ``key``'s notes is edited (``.cytobib/editing-KEY.yaml``)."""
    return project.config.root / ".cytobib" / f"editing-{key}.yaml"


def editor_command(editor: str | None = None) -> list[str]:
    """The editor to run: ``editor``, else ``$VISUAL``, else ``$EDITOR``, else ``vi``
    (``notepad`` on Windows), split as a shell would split it ("code --wait").

    Raises:
        EditorError: the command does not split (an unclosed quote).
    """
    text = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR")
    text = (text or "").strip() or ("notepad" if os.name == "nt" else "vi")
    try:
        return shlex.split(text, posix=os.name != "nt")
    except ValueError as exc:  # an unclosed quote
        raise EditorError(
            f"Cannot read the editor command {text!r}: {exc}.",
            hint="Fix the quotes in VISUAL or EDITOR, e.g. EDITOR='code --wait'.",
        ) from None


def run_editor(command: Sequence[str], path: Path) -> None:
    """Open ``path`` in the editor and wait for it to close.

    Raises:
        EditorError: the editor cannot be started, or exits with a failure status (vim's
            ``:cq``: the edit is abandoned).
    """
    try:
        done = subprocess.run([*command, str(path)], check=False)  # noqa: S603 - the user's editor
    except OSError as exc:
        raise EditorError(
            f"Cannot start the editor {shlex.join(command)!r}: {exc.strerror or exc}.",
            hint="Set VISUAL or EDITOR to your editor's command, e.g. "
            "EDITOR='nano' or EDITOR='code --wait'.",
        ) from None
    if done.returncode != 0:
        raise EditorError(
            f"The editor {shlex.join(command)!r} exited with status {done.returncode}; "
            "the notes were not changed.",
            hint="Run the command again to edit them (or fix the editor command in VISUAL or "
            "EDITOR).",
        )


def edit(
    project: Project,
    key: str,
    *,
    editor: str | None = None,
    ask: Ask | None = None,
    run: Callable[[Sequence[str], Path], None] = run_editor,
) -> EditResult:
    """Edit ``key``'s notes (``cytobib edit``): open the editor on a draft, check it when the
    editor closes, and save it as annotations/KEY.yaml.

    Args:
        editor: the editor command; default ``$VISUAL``, ``$EDITOR``, ``vi``.
        ask: called with the errors of a draft that does not check; answers ``edit`` (open
            the editor again), ``save`` (anyway), ``discard`` or ``keep`` (the draft, for
            later). Without it, a draft with errors is kept.
        run: opens the editor on a path and waits (the default runs the command).

    Raises:
        UnknownKeyError: no entry has ``key``.
        AnnotationFileError: ``key`` cannot name a file.
        EditorError: the editor cannot be started or fails (nothing is changed).
        LibraryStateError: the notes file changed while the editor was open (the edit is
            kept in the draft).
    """
    from cytobib.project import ensure_local_schema, schema_ref_for, write_annotation

    record = record_for(project.library, key)
    target = ann.path_for(project.config.annotations, key)
    original = target.read_bytes() if target.exists() else None
    blank = ann.stub_text(record.entry, schema_ref_for(project.config)).encode("utf-8")
    draft = draft_path(project, key)
    command = editor_command(editor)
    if not draft.exists():
        with locked(project.config.root):
            ensure_local_schema(project.config)
            _write(draft, original if original is not None else blank)
    shown = _shown(draft)
    while True:
        run(command, draft)
        text = draft.read_bytes()
        if text == (original if original is not None else blank):
            draft.unlink(missing_ok=True)
            return EditResult("unchanged", target, draft)
        _, issues = ann.parse_one(text, key, shown, project.vocabulary)
        errors = [i for i in issues if i.severity == Severity.ERROR]
        choice: Choice = "save"
        if errors:
            choice = ask(errors) if ask is not None else "keep"
        if choice == "edit":
            continue
        if choice == "keep":
            return EditResult("kept", target, draft, tuple(issues))
        if choice == "discard":
            draft.unlink(missing_ok=True)
            return EditResult("discarded", target, draft, tuple(issues))
        write_annotation(project, key, text, expected=original, draft=draft)
        draft.unlink(missing_ok=True)
        return EditResult("saved", target, draft, tuple(_as_saved(issues, shown, target)))


def _write(path: Path, data: bytes) -> None:
    from cytobib.bibfile import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _as_saved(issues: Sequence[Issue], draft: str, target: Path) -> list[Issue]:
    """The draft's issues, pointing at the file they now live in."""
    from dataclasses import replace

    saved = _shown(target)
    return [
        replace(i, location=replace(i.location, path=saved))
        if i.location is not None and i.location.path == draft
        else i
        for i in issues
    ]
