"""Project scaffolding: `cytobib init` and where the annotation schema is referenced from."""

from __future__ import annotations

import os
from pathlib import Path

from cytobib.annotations import schema
from cytobib.bibfile import create_exclusive
from cytobib.config import CONFIG_NAME, DEFAULT_TOML, Config

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
    """The `$schema=` reference written into stubs, relative to the annotations folder."""
    candidates = [
        config.root / LOCAL_SCHEMA,
        config.root / "src" / "cytobib" / "schema" / "annotation.schema.json",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return os.path.relpath(candidate, config.annotations)
    from importlib import resources

    return str(resources.files("cytobib").joinpath("schema/annotation.schema.json"))
