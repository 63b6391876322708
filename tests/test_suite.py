"""The test suite's own rules: example counts come from the Hypothesis profiles in conftest.py,
not from the tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

TESTS = Path(__file__).resolve().parent
# An xfail probe that stops at its first failing example, by design (see its comment).
PROBES = {"test_zotero_roundtrip.py"}


def test_no_test_sets_its_own_example_count() -> None:
    """`max_examples` is set per profile (ci, dev, thorough), never in a test module."""
    found = [
        f"{path.name}:{n}"
        for path in sorted(TESTS.glob("test_*.py"))
        if path.name not in PROBES
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"max_examples\s*=(?!=)", line)
    ]
    assert found == []


def test_the_profile_is_the_one_asked_for() -> None:
    """This run uses the profile HYPOTHESIS_PROFILE names (else ci under CI, dev elsewhere)."""
    import conftest

    assert settings().max_examples == settings.get_profile(conftest.PROFILE).max_examples


@pytest.mark.parametrize(("profile", "examples"), [("ci", 100), ("dev", 25), ("thorough", 2000)])
def test_profiles_are_selected_by_the_environment(
    tmp_path: Path, profile: str, examples: int
) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from hypothesis import settings\n\n"
        f"def test_count():\n    assert settings().max_examples == {examples}\n",
        encoding="utf-8",
    )
    (tmp_path / "conftest.py").write_text(
        (TESTS / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    env = {"HYPOTHESIS_PROFILE": profile, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
