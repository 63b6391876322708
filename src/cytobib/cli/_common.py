"""Options and helpers shared by the command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cytobib.library import Project, open_project

ProjectOpt = Annotated[
    Path | None,
    typer.Option(
        "--project",
        "-C",
        help="Project folder (holding cytobib.toml); default: the nearest one above the cwd.",
        file_okay=False,
    ),
]
BibOpt = Annotated[
    Path | None, typer.Option("--bib", help="The .bib file (overrides cytobib.toml).")
]
AnnOpt = Annotated[
    Path | None,
    typer.Option("--annotations", help="The annotations folder (overrides cytobib.toml)."),
]
KeepGoingOpt = Annotated[
    bool,
    typer.Option(
        "--keep-going",
        help="Write the output even if annotation files cannot be used (their notes are left "
        "out, and the output says so at its top).",
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress bar or lines, and no summary line."),
]
SortOpt = Annotated[
    str,
    typer.Option("--sort", help="author, year, priority or title; -year etc. for descending."),
]


def project(root: Path | None, bib: Path | None = None, annotations: Path | None = None) -> Project:
    return open_project(root, bib=bib, annotations_dir=annotations)
