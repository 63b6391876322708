"""Project scaffolding: `cytobib init` and where the annotation schema is referenced from."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cytobib.annotations import schema
from cytobib.bibfile import create_exclusive
from cytobib.config import CONFIG_NAME, DEFAULT_TOML, Config
from cytobib.errors import WriteError

LOCAL_SCHEMA = Path(".cytobib") / "annotation.schema.json"

BIB_HEADER = """\
% library.bib: the BibTeX half of a cytobib library; annotations/ holds the notes.
% Keys follow <first author family><year><first title word>, e.g. rosenberg2014il2.
"""


def init_project(folder: Path) -> list[Path]:
    """Create the files of a new library; existing files are never replaced."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    files = {
        folder / CONFIG_NAME: DEFAULT_TOML,
        folder / "library.bib": BIB_HEADER,
        folder / LOCAL_SCHEMA: json.dumps(schema(), indent=2) + "\n",
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if create_exclusive(path, text.encode("utf-8")):
            created.append(path)
    annotations = folder / "annotations"
    if not annotations.exists():
        annotations.mkdir()
        created.append(annotations)
    return created


def schema_ref_for(config: Config) -> str:
    """The `$schema=` reference written into stubs, relative to the annotations folder: the
    project's own copy (.cytobib/annotation.schema.json), never a path that only exists on
    this machine. Writers of stubs call :func:`ensure_local_schema` first."""
    repo_schema = config.root / "src" / "cytobib" / "schema" / "annotation.schema.json"
    target = repo_schema if repo_schema.is_file() else config.root / LOCAL_SCHEMA
    return Path(os.path.relpath(target, config.annotations)).as_posix()


def ensure_local_schema(config: Config) -> None:
    """Create the project's copy of the schema if it has none (a project made by hand, not by
    `cytobib init`); an existing copy is never replaced. A copy that cannot be written only
    costs editors their completion, so it never fails a command."""
    import json

    path = config.root / LOCAL_SCHEMA
    if path.exists():
        return
    with contextlib.suppress(OSError, WriteError):
        path.parent.mkdir(parents=True, exist_ok=True)
        create_exclusive(path, (json.dumps(schema(), indent=2) + "\n").encode("utf-8"))
