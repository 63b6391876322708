"""Commands that talk to Crossref and PubMed: add, enrich (check --online lives in
library_cmds)."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from cytobib.cli import _errors, _progress, app
from cytobib.cli._common import AnnOpt, BibOpt, ProjectOpt, QuietOpt, project
from cytobib.cli._output import say, show

OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="Use only cached Crossref and PubMed answers; no network.")
]
RefreshOpt = Annotated[
    bool, typer.Option("--refresh", help="Ignore cached answers and ask Crossref and PubMed again.")
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Print the change to library.bib as a diff; write nothing."),
]


@app.command()
def add(
    dois: Annotated[
        list[str],
        typer.Argument(help="DOIs (or doi:/https://doi.org/ forms), PMID:n or PMCID:PMCn."),
    ],
    dry_run: DryRunOpt = False,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
    quiet: QuietOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Add works by DOI, PMID or PMCID: a new entry (generated key) and an annotation stub."""
    from cytobib.api import add as add_dois

    started = time.monotonic()
    with _progress.shown(quiet):
        report = add_dois(
            project(root, bib, annotations), dois, dry_run=dry_run, offline=offline, refresh=refresh
        )
    for doi, key in report.present:
        say(f"already in the library: {doi} is '{key}' (nothing changed)")
    for given, reason in report.failed:
        say(f"not added: {given}: {reason}", err=True)
    for problem in report.problems:
        say(f"warning: {problem} (the other source's values were used)", err=True)
    for key, status in report.flagged:
        say(f"WARNING: {key} is flagged by {_flagged_by(status)}: {status}", err=True)
    if dry_run:
        show(report.diff)
    else:
        for key, doi in report.added:
            say(f"added {key} ({doi})")
    counts = [
        f"{len(report.added):,} {'to add' if dry_run else 'added'}",
        f"{len(report.present):,} already in the library",
        f"{len(report.failed):,} not added",
    ]
    took = _progress.took(started)
    _progress.summary(f"add: {len(dois)} DOI(s): {', '.join(counts)} ({took})", quiet)
    if dry_run:
        return _errors.EXIT_OK
    return _errors.EXIT_NETWORK if report.failed and not report.added else _errors.EXIT_OK


@app.command()
def enrich(
    keys: Annotated[list[str] | None, typer.Argument(help="Keys to enrich (default: all).")] = None,
    accept: Annotated[
        list[str] | None,
        typer.Option(
            "--accept", help="Take the source's value for this field on conflict (repeat)."
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Take the sources' value for every conflict.")
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
    quiet: QuietOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Fill missing fields from Crossref and PubMed; report conflicts; flag retractions."""
    from cytobib.api import enrich as run_enrich
    from cytobib.online import format_conflicts

    started = time.monotonic()
    with _progress.shown(quiet):
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
        )
    for key, fields in report.filled.items():
        say(f"{'would fill' if dry_run else 'filled'} {key}: {', '.join(fields)}")
    for match in report.matches:
        if match.doi:
            say(f"matched {match.key} -> {match.doi} ({match.reason})")
        else:
            say(f"no unambiguous match for {match.key}: {match.reason}")
            for score, doi, title, year in match.candidates:
                say(f"    {score:.2f}  {doi}  {year}  {title[:80]}")
    for key, doi in report.not_found:
        say(f"not found at Crossref: {key} ({doi})", err=True)
    for key, reason in report.failed:
        say(f"could not enrich {key}: {reason}", err=True)
    for key, reason in report.invalid:
        say(f"not looked up: {key}: {reason} (`cytobib check` lists it)", err=True)
    if report.pubmed.error:
        say(f"warning: PubMed: {report.pubmed.error} (Crossref's values were used)", err=True)
    for key, why in report.pubmed.not_found:
        say(f"not found at PubMed: {key}: {why}", err=True)
    for key, why in report.pubmed.failed:
        say(f"could not ask PubMed for {key}: {why}", err=True)
    for key, status in report.flagged:
        say(f"WARNING: {key} is flagged by {_flagged_by(status)}: {status}", err=True)
    conflicts = report.conflicts
    if conflicts:
        say(f"\n{len(conflicts)} conflict(s): your values were kept.")
        for line in format_conflicts(conflicts):
            say(line)
        say(
            "Take Crossref's value with --accept FIELD (or --overwrite); hide these with --dismiss."
        )
    if dry_run:
        show(report.diff)
    _progress.summary(_enrich_summary(report, dry_run, _progress.took(started)), quiet)
    if report.failed and not (
        report.plans or report.not_found or report.matches or report.pubmed.records
    ):
        # Not one answer: a network or Crossref fault, not a library to be proud of (as `add`).
        say(
            f"error: Crossref gave no usable answer for any of {len(report.failed)} "
            "lookup(s); nothing was changed.\n"
            "hint: check the connection (or drop --offline) and run the command again.",
            err=True,
        )
        return _errors.EXIT_NETWORK
    return _errors.EXIT_OK


def _flagged_by(status: str) -> str:
    """Which source flagged a work, from its ``update-status`` value."""
    return "PubMed" if "; pubmed" in status else "Crossref"


@app.command()
def suggest(
    keys: Annotated[list[str] | None, typer.Argument(help="Keys (default: all).")] = None,
    where: Annotated[
        str | None, typer.Option("--where", help="Only the works this filter selects.")
    ] = None,
    write: Annotated[
        bool,
        typer.Option("--write", help="Fill empty annotation fields, marked `suggested`."),
    ] = False,
    accept: Annotated[
        bool, typer.Option("--accept", help="Confirm written suggestions (remove the mark).")
    ] = False,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
    root: ProjectOpt = None,
    bib: BibOpt = None,
    annotations: AnnOpt = None,
) -> int:
    """Draft annotation fields from PubMed: MeSH, publication types, abstract numbers."""
    from cytobib.api import suggest as run_suggest
    from cytobib.errors import UsageError

    if write and accept:
        raise UsageError("--write and --accept do different things; give one of them.")
    report = run_suggest(
        project(root, bib, annotations),
        keys or None,
        where=where,
        write=write,
        accept=accept,
        offline=offline,
        refresh=refresh,
    )
    for key in report.accepted:
        say(f"confirmed the suggestions of {key}")
    if report.pubmed.error:
        say(f"error: PubMed could not be asked: {report.pubmed.error}", err=True)
        return _errors.EXIT_NETWORK
    for drafted in report.drafts:
        say(f"{drafted.key} (PMID {drafted.pmid}):")
        if not drafted.suggestions:
            say("    nothing to suggest")
        for s in drafted.suggestions:
            state = "" if s.field in drafted.fills else "  [kept: filled by you]"
            say(f"    {s.field}: {s.label}{state}")
            say(f"        evidence: {s.evidence}")
    for key, why in report.missing:
        say(f"no PubMed record for {key}: {why}", err=True)
    for key in report.written:
        say(f"wrote suggestions into annotations/{key}.yaml (marked suggested)")
    if not write and not accept and any(d.fills for d in report.drafts):
        say("Run again with --write to fill the empty fields (marked suggested).")
    return _errors.EXIT_OK


def _enrich_summary(report: Any, dry_run: bool, took: str) -> str:
    """One line: how many entries were looked up, and what came of it."""
    matched = sum(1 for m in report.matches if m.doi)
    looked = len(report.plans) + len(report.not_found) + len(report.failed)
    looked += len(report.invalid) + len(report.matches) - matched
    parts = [
        f"{len(report.filled):,} {'would be filled' if dry_run else 'filled'}",
        f"{len(report.conflicts):,} conflicts",
        f"{len(report.flagged):,} flagged",
        f"{len(report.not_found):,} not found",
        f"{len(report.failed):,} failed",
    ]
    if report.matches:
        parts.append(f"{matched} of {len(report.matches)} without a DOI matched")
    return f"enrich: {looked:,} entries looked up in {took}: {', '.join(parts)}"
