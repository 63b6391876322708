"""`cytobib zotero push|pull|status`: sync with a Zotero (group) library through its API."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cytobib.cli import _errors, app
from cytobib.cli._common import AnnOpt, BibOpt, ProjectOpt, project
from cytobib.cli._output import say, show

zotero_app = typer.Typer(
    help="Sync notes, tags and items with a Zotero (group) library through its Web API.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(zotero_app, name="zotero")

LibraryOpt = Annotated[
    str | None,
    typer.Option(
        "--library", help="users/ID or groups/ID (default: [zotero] library in cytobib.toml)."
    ),
]
CollectionOpt = Annotated[
    str | None,
    typer.Option("--collection", help="Sync only this collection (by name; push creates it)."),
]
LocalOpt = Annotated[
    bool, typer.Option("--local", help="Read Zotero 7's local API (Zotero must be running).")
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show every change it would make; write nothing.")
]


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@zotero_app.command("push")
def push(
    library: LibraryOpt = None,
    collection: CollectionOpt = None,
    dry_run: DryRunOpt = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="cytobib's value wins where both sides were edited."),
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete the Zotero items of works removed from library.bib."),
    ] = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Create or update one Zotero item and one cytobib note per work; set its tags."""
    from cytobib.api import zotero_push

    report = zotero_push(
        project(root, bib, annotations),
        library=library,
        collection=collection,
        dry_run=dry_run,
        overwrite=overwrite,
        prune=prune,
        progress=sys.stderr.isatty(),
    )
    would = "would be " if dry_run else ""
    say(
        f"{'dry run: ' if dry_run else ''}{report.library}: {len(report.created)} "
        f"{would}created, {len(report.updated)} {would}updated, {report.unchanged} unchanged "
        f"({_n(report.requests, 'request')}, {_n(report.writes, 'write')})"
    )
    would = "would " if dry_run else ""
    for key in report.created:
        say(f"  {would}create {key}")
    for key, what in report.updated.items():
        say(f"  {would}update {key}: {'; '.join(what)}")
    for key, item, how in report.adopted:
        say(f"  linked {key} to the existing item {item} (same {how})")
    for old, new in report.renamed:
        say(f"  {old} was renamed {new}: its item is kept")
    for key, items in report.candidates:
        say(f"  {key}: same title as Zotero item(s) {', '.join(items)}; created anyway, check")
    for key, name in report.edited_in_zotero:
        say(f"  {key}.{name} was edited in Zotero: kept there (`cytobib zotero pull` brings it)")
    for key in report.gone:
        say(f"  {key}: its item was deleted in Zotero; not recreated")
    for key in report.blocked:
        say(f"  {key}: not sent: its annotation file has errors (`cytobib check` shows them)")
    for key in report.removed:
        say(f"  {key}: no longer in library.bib, still in Zotero (--prune deletes the item)")
    for key in report.pruned:
        say(f"  {would}delete the item of {key} (no longer in library.bib)")
    if report.conflicts:
        say(f"\n{len(report.conflicts)} conflict(s): edited on both sides, Zotero's kept.")
        for c in report.conflicts:
            say(f"{c.key}.{c.field}:\n    library: {c.ours}\n    zotero:  {c.theirs}")
        say("Take Zotero's with `cytobib zotero pull --accept FIELD`, cytobib's with --overwrite.")
    for key, reason in report.failed:
        say(f"not written: {key}: {reason}", err=True)
    return _errors.EXIT_NETWORK if report.failed else _errors.EXIT_OK


@zotero_app.command("pull")
def pull(
    library: LibraryOpt = None,
    collection: CollectionOpt = None,
    local: LocalOpt = False,
    accept: Annotated[
        list[str] | None,
        typer.Option(
            "--accept",
            help="Take Zotero's value for this field on conflict (repeat; "
            "'note' for the annotation).",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Take Zotero's value for every conflict.")
    ] = False,
    dismiss: Annotated[
        bool, typer.Option("--dismiss", help="Remember the conflicts shown; do not report again.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Remove the entries whose items were deleted in Zotero."),
    ] = False,
    dry_run: DryRunOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Bring new items, field edits and edits of cytobib's notes back from Zotero."""
    from cytobib.api import zotero_pull
    from cytobib.online import format_conflicts

    report = zotero_pull(
        project(root, bib, annotations),
        library=library,
        collection=collection,
        local=local,
        accept=accept or (),
        overwrite=overwrite,
        dismiss=dismiss,
        prune=prune,
        dry_run=dry_run,
        progress=sys.stderr.isatty(),
    )
    plan = report.plan
    would = "would " if dry_run else ""
    applied = [c.key for c in plan.annotations if c.text]
    be = "would be " if dry_run else ""
    say(
        f"{'dry run: ' if dry_run else ''}{report.library}: {len(plan.added)} {be}added, "
        f"{len(plan.filled)} {be}filled, {_n(len(applied), 'annotation')} {be}updated "
        f"({_n(report.requests, 'request')})"
    )
    for key, item in plan.added:
        say(f"  {would}add {key} (Zotero item {item})")
    for key, item, how in plan.adopted:
        say(f"  linked {key} to Zotero item {item} (same {how})")
    for key, fields in plan.filled.items():
        say(f"  {would}fill {key}: {', '.join(fields)}")
    for key in applied:
        say(f"  {would}update annotations/{key}.yaml from its Zotero note")
    for key, items in plan.candidates:
        say(f"  {key}: same title as {', '.join(items)} in library.bib; added anyway, check")
    for key in plan.note_conflicts:
        say(f"  {key}: the note was edited in Zotero and the annotation in cytobib; kept "
            "(--accept note takes Zotero's)")  # fmt: skip
    for key, why in plan.note_problems:
        say(f"  {key}: the Zotero note was not applied: {why}", err=True)
    for key in plan.notes_deleted:
        say(f"  {key}: its note was deleted in Zotero (push writes it again)")
    for key in plan.deleted:
        done = "removed from library.bib" if prune else "kept (--prune removes the entry)"
        say(f"  {key}: its item was deleted in Zotero; {would if prune else ''}{done}")
    for line in report.skipped:
        say(f"  kept: {line}")
    if plan.conflicts:
        say(f"\n{len(plan.conflicts)} conflict(s): your values were kept.")
        for line in format_conflicts(plan.conflicts):
            say(line)
        say("Take Zotero's value with --accept FIELD (or --overwrite); hide these with --dismiss.")
    if dry_run:
        show(report.diff)
    return _errors.EXIT_OK


@zotero_app.command("status")
def status(
    library: LibraryOpt = None,
    collection: CollectionOpt = None,
    local: LocalOpt = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not ask Zotero; the push side only.")
    ] = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Say what push would send and pull would bring; change nothing."""
    from cytobib.api import zotero_status

    report = zotero_status(
        project(root, bib, annotations),
        library=library,
        collection=collection,
        local=local,
        offline=offline,
    )
    seen = (
        f"last synced at version {report.version}"
        if report.version is not None
        else ("never synced")
    )
    say(f"{report.library}: {report.linked} works linked, {seen}")
    say(f"to push: {len(report.to_create)} new, {len(report.to_update)} changed")
    for key, what in report.to_update.items():
        say(f"  {key}: {', '.join(what)}")
    for key in report.gone:
        say(f"  {key}: deleted in Zotero (not recreated)")
    for key in report.removed:
        say(f"  {key}: no longer in library.bib (push --prune deletes its item)")
    if not report.checked:
        say(
            f"to pull: {len(report.remote_changed)} works edited in Zotero as the last sync saw"
            " (Zotero not asked: --offline)"
        )
        for key in report.remote_changed:
            say(f"  {key}")
    else:
        say(
            f"to pull: {len(report.remote_changed)} works changed in Zotero, "
            f"{report.remote_new} other objects new or changed, "
            f"{len(report.remote_deleted)} deleted (version {report.remote_version})"
        )
        for key in report.remote_changed:
            say(f"  {key}")
    return _errors.EXIT_OK
