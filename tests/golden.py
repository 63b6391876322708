"""Golden files: compare rendered output with tests/data/golden/<name>.

Run ``CYTOBIB_UPDATE_GOLDEN=1 pytest`` to (re)write the files after an intended change, then
review the diff in git before committing. Names follow ``<input>_<style>.<format>``, e.g.
``hostile_vancouver.html``.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "data" / "golden"
UPDATE_ENV = "CYTOBIB_UPDATE_GOLDEN"


def updating() -> bool:
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def assert_golden(name: str, actual: str | bytes, *, directory: Path | None = None) -> None:
    """Fail with a diff unless ``actual`` equals the golden file; rewrite it when updating.

    Text is compared as UTF-8 with LF line ends; bytes (DOCX, XLSX, PNG) byte for byte.
    """
    path = (directory or GOLDEN_DIR) / name
    data = actual.encode("utf-8") if isinstance(actual, str) else actual
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        return
    if not path.exists():
        pytest.fail(
            f"golden file {path} does not exist; run with {UPDATE_ENV}=1 to create it, "
            "then check it by eye before committing",
            pytrace=False,
        )
    expected = path.read_bytes()
    if expected == data:
        return
    if isinstance(actual, bytes):
        pytest.fail(
            f"{name}: {len(data)} bytes differ from the golden file's {len(expected)} "
            f"({path}); run with {UPDATE_ENV}=1 if the change is intended",
            pytrace=False,
        )
    diff = difflib.unified_diff(
        expected.decode("utf-8", errors="replace").splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"golden/{name}",
        tofile="rendered",
        n=2,
    )
    shown = "".join(list(diff)[:200])
    pytest.fail(
        f"{name} differs from its golden file; run with {UPDATE_ENV}=1 if the change is "
        f"intended.\n{shown}",
        pytrace=False,
    )
