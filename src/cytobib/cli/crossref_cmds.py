"""Commands that talk to Crossref: add, enrich (check --online lives in library_cmds)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cytobib.cli import _errors, app
from cytobib.cli._common import AnnOpt, BibOpt, ProjectOpt, project

OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="Use only cached Crossref answers; no network.")
]
RefreshOpt = Annotated[
    bool, typer.Option("--refresh", help="Ignore cached answers and ask Crossref again.")
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Print the change to library.bib as a diff; write nothing."),
]


@app.command()
def add(
    dois: Annotated[
        list[str], typer.Argument(help="DOIs, doi: prefixes or https://doi.org/ URLs.")
    ],
    dry_run: DryRunOpt = False,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Add works by DOI: a new entry (generated key) and an annotation stub for each."""
    from cytobib.api import add as add_dois

    report = add_dois(
        project(root, bib, annotations),
        dois,
        dry_run=dry_run,
        offline=offline,
        refresh=refresh,
        progress=sys.stderr.isatty(),
    )
    for doi, key in report.present:
        print(f"already in the library: {doi} is '{key}' (nothing changed)")
    for given, reason in report.failed:
        print(f"not added: {given}: {reason}", file=sys.stderr)
    for key, status in report.flagged:
        print(f"WARNING: {key} is flagged by Crossref: {status}", file=sys.stderr)
    if dry_run:
        sys.stdout.write(report.diff)
        return _errors.EXIT_OK
    for key, doi in report.added:
        print(f"added {key} ({doi})")
    return _errors.EXIT_NETWORK if report.failed and not report.added else _errors.EXIT_OK


@app.command()
def enrich(
    keys: Annotated[list[str] | None, typer.Argument(help="Keys to enrich (default: all).")] = None,
    accept: Annotated[
        list[str] | None,
        typer.Option("--accept", help="Take Crossref's value for this field on conflict (repeat)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Take Crossref's value for every conflict.")
    ] = False,
    dismiss: Annotated[
        bool,
        typer.Option("--dismiss", help="Remember the conflicts shown; do not report them again."),
    ] = False,
    no_search: Annotated[
        bool, typer.Option("--no-search", help="Do not search Crossref for entries without a DOI.")
    ] = False,
    dry_run: DryRunOpt = False,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Fill missing fields from Crossref; report conflicts; flag retractions and corrections."""
    from cytobib.api import enrich as run_enrich
    from cytobib.online import format_conflicts

    report = run_enrich(
        project(root, bib, annotations),
        keys or None,
        accept=accept or (),
        overwrite=overwrite,
        dry_run=dry_run,
        dismiss=dismiss,
        search=not no_search,
        offline=offline,
        refresh=refresh,
        progress=sys.stderr.isatty(),
    )
    for key, fields in report.filled.items():
        print(f"{'would fill' if dry_run else 'filled'} {key}: {', '.join(fields)}")
    for match in report.matches:
        if match.doi:
            print(f"matched {match.key} -> {match.doi} ({match.reason})")
        else:
            print(f"no unambiguous match for {match.key}: {match.reason}")
            for score, doi, title, year in match.candidates:
                print(f"    {score:.2f}  {doi}  {year}  {title[:80]}")
    for key, doi in report.not_found:
        print(f"not found at Crossref: {key} ({doi})", file=sys.stderr)
    for key, reason in report.failed:
        print(f"could not enrich {key}: {reason}", file=sys.stderr)
    for key, reason in report.invalid:
        print(f"not looked up: {key}: {reason} (`cytobib check` lists it)", file=sys.stderr)
    for key, status in report.flagged:
        print(f"WARNING: {key} is flagged by Crossref: {status}", file=sys.stderr)
    conflicts = report.conflicts
    if conflicts:
        print(f"\n{len(conflicts)} conflict(s): your values were kept.")
        for line in format_conflicts(conflicts):
            print(line)
        print(
            "Take Crossref's value with --accept FIELD (or --overwrite); hide these with --dismiss."
        )
    if dry_run:
        sys.stdout.write(report.diff)
    if report.failed and not (report.plans or report.not_found or report.matches):
        # Not one answer: a network or Crossref fault, not a library to be proud of (as `add`).
        print(
            f"error: Crossref gave no usable answer for any of {len(report.failed)} "
            "lookup(s); nothing was changed.\n"
            "hint: check the connection (or drop --offline) and run the command again.",
            file=sys.stderr,
        )
        return _errors.EXIT_NETWORK
    return _errors.EXIT_OK
