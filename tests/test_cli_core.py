"""The core commands through `cytobib.cli.run`: init, check, annotate, exit codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cytobib
from cytobib.cli import _errors

Cli = Callable[..., Any]
MakeProject = Callable[..., Path]

CLEAN = """@article{rosenberg2014il2,
  author = {Rosenberg, Steven A.},
  title = {{IL-2}: the first effective immunotherapy for human cancer},
  journal = {J Immunol},
  year = {2014},
}
"""

WARNINGS_ONLY = """@article{a,
  author = {A},
  title = {Only a warning here},
  year = {2014},
}
"""

WITH_ERROR = """@article{a,
  author = {A},
  title = {Bad DOI},
  journal = {J},
  year = {2014},
  doi = {10.abc/x},
}
"""

ANNOTATION = "summary: x\nstatus: read\n"


def write_big_bib(path: Path, megabytes: int) -> None:
    """Write a syntactically valid .bib of at least ``megabytes`` MiB (unique keys)."""
    block = "".join(f"@misc{{k{i}-@@, title = {{{'x' * 1000}}}}}\n" for i in range(1000))
    with path.open("w", encoding="utf-8") as fh:
        for chunk in range(megabytes + 1):
            fh.write(block.replace("@@", str(chunk)))


def assert_clean_error(result: Any, *fragments: str) -> None:
    """Exit 3, one `error:` line and one `hint:` line on stderr, no traceback."""
    assert result.code == _errors.EXIT_INPUT, result.output
    lines = result.err.strip().splitlines()
    assert lines[0].startswith("error: ")
    assert lines[-1].startswith("hint: ")
    assert len(lines) == 2
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.err


# --- version and help --------------------------------------------------------------------------


def test_version_option(cli: Cli) -> None:
    """`cytobib --version` prints the package version and exits 0."""
    result = cli("--version")
    assert (result.code, result.out.strip()) == (0, f"cytobib {cytobib.__version__}")


def test_python_m_version() -> None:
    """`python -m cytobib --version` works (the __main__ module runs the CLI)."""
    result = subprocess.run(
        [sys.executable, "-m", "cytobib", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"cytobib {cytobib.__version__}"


def test_unknown_option_is_usage_error(cli: Cli) -> None:
    """An unknown option exits 2 with click's usage message."""
    result = cli("check", "--bogus")
    assert result.code == _errors.EXIT_USAGE
    assert "No such option" in result.err


# --- init --------------------------------------------------------------------------------------


def test_init_creates_project(cli: Cli, tmp_path: Path) -> None:
    """`cytobib init` in an empty folder creates cytobib.toml, library.bib, annotations/ and
    the local schema copy."""
    folder = tmp_path / "new"
    result = cli("init", folder)
    assert result.code == 0
    assert (folder / "cytobib.toml").is_file()
    assert (folder / "library.bib").is_file()
    assert (folder / "annotations").is_dir()
    assert (folder / ".cytobib" / "annotation.schema.json").is_file()


def test_init_then_check_is_clean(cli: Cli, tmp_path: Path) -> None:
    """A freshly initialised library checks clean with zero entries."""
    cli("init", tmp_path)
    result = cli("check", "-C", tmp_path)
    assert result.code == 0, result.output
    assert "0 entries, 0 annotated: 0 errors, 0 warnings, 0 info: ok" in result.out


def test_init_keeps_existing_files(cli: Cli, tmp_path: Path) -> None:
    """init never replaces an existing library.bib."""
    (tmp_path / "library.bib").write_text(CLEAN, encoding="utf-8")
    result = cli("init", tmp_path)
    assert result.code == 0
    assert (tmp_path / "library.bib").read_text(encoding="utf-8") == CLEAN
    assert f"created {tmp_path / 'library.bib'}" not in result.out


def test_init_twice_has_nothing_to_do(cli: Cli, tmp_path: Path) -> None:
    """A second init reports that there is nothing to do."""
    cli("init", tmp_path)
    assert "nothing to do" in cli("init", tmp_path).out


def test_init_files_follow_umask(cli: Cli, tmp_path: Path) -> None:
    """Files created by init get the umask's permissions like any editor's (not private 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    cli("init", tmp_path)
    assert (tmp_path / "library.bib").stat().st_mode & 0o777 == 0o666 & ~mask


# --- check: output -----------------------------------------------------------------------------


def test_check_human_output_lists_issue(
    cli: Cli, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text report names the file, the line, severity, code, message and hint."""
    root = make_project(WITH_ERROR, {"a": ANNOTATION})
    monkeypatch.chdir(root)
    result = cli("check")
    lines = result.out.splitlines()
    assert "library.bib" in lines
    (issue_line,) = [line for line in lines if "bad-doi" in line]
    assert issue_line.split()[:3] == ["1", "error", "bad-doi"]
    assert "'10.abc/x'" in issue_line
    assert lines[lines.index(issue_line) + 1].strip().startswith("hint: A DOI looks like")


def test_check_human_summary_line(cli: Cli, make_project: MakeProject) -> None:
    """The last line counts entries, annotations and issues by severity."""
    root = make_project(WITH_ERROR, {"a": ANNOTATION})
    result = cli("check", "-C", root)
    assert result.out.strip().splitlines()[-1] == (
        "1 entries, 1 annotated: 1 errors, 0 warnings, 0 info: errors"
    )


def test_check_folds_info_without_verbose(cli: Cli, make_project: MakeProject) -> None:
    """Info issues are folded into one line per code unless -v is given."""
    root = make_project(CLEAN + CLEAN.replace("rosenberg2014il2", "other2015"))
    result = cli("check", "-C", root)
    assert "missing-annotation: 2 (rosenberg2014il2, other2015); -v lists them" in result.out


def test_check_verbose_lists_info(cli: Cli, make_project: MakeProject) -> None:
    """With -v every info issue is listed with its hint."""
    root = make_project(CLEAN)
    result = cli("check", "-C", root, "-v")
    assert "hint: Create one with `cytobib annotate rosenberg2014il2`." in result.out


def test_check_json_counts_match(cli: Cli, make_project: MakeProject) -> None:
    """`--format json` is valid JSON whose summary counts match its issue list."""
    root = make_project(WITH_ERROR + WARNINGS_ONLY.replace("{a,", "{b,"), {"a": ANNOTATION})
    result = cli("check", "-C", root, "--format", "json")
    report = json.loads(result.out)
    assert (report["entries"], report["annotated"]) == (2, 1)
    severities = [issue["severity"] for issue in report["issues"]]
    assert report["summary"] == {s: severities.count(s) for s in ("error", "warning", "info")}
    assert report["summary"] == {"error": 1, "warning": 1, "info": 1}


def test_check_json_issue_fields(
    cli: Cli, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each JSON issue carries code, key, file (as typed from the cwd), line and hint."""
    monkeypatch.chdir(make_project(WITH_ERROR, {"a": ANNOTATION}))
    report = json.loads(cli("check", "--format", "json").out)
    (issue,) = report["issues"]
    assert {k: issue[k] for k in ("severity", "code", "key", "file", "line")} == {
        "severity": "error",
        "code": "bad-doi",
        "key": "a",
        "file": "library.bib",
        "line": 1,
    }
    assert issue["hint"]


# --- check: exit codes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bib", "fail_on", "code"),
    [
        (CLEAN, "error", 0),
        (CLEAN, "warning", 0),
        (WARNINGS_ONLY, "error", 0),
        (WARNINGS_ONLY, "warning", 1),
        (WITH_ERROR, "error", 1),
        (WITH_ERROR, "warning", 1),
        (WITH_ERROR, "never", 0),
    ],
)
def test_fail_on(cli: Cli, make_project: MakeProject, bib: str, fail_on: str, code: int) -> None:
    """--fail-on decides which severity makes `check` exit 1 (info never does)."""
    root = make_project(bib)
    assert cli("check", "-C", root, "--fail-on", fail_on).code == code


def test_fail_on_defaults_to_error(cli: Cli, make_project: MakeProject) -> None:
    """Without --fail-on, errors exit 1."""
    assert cli("check", "-C", make_project(WITH_ERROR)).code == 1


# --- check: whole-run failures -----------------------------------------------------------------


def test_missing_library(cli: Cli, make_project: MakeProject) -> None:
    """A missing library.bib: exit 3, error + hint, no traceback."""
    root = make_project("")
    (root / "library.bib").unlink()
    assert_clean_error(cli("check", "-C", root), "library.bib does not exist", "cytobib init")


def test_library_is_directory(cli: Cli, make_project: MakeProject) -> None:
    """A folder where library.bib should be: exit 3, error + hint."""
    root = make_project("")
    (root / "library.bib").unlink()
    (root / "library.bib").mkdir()
    assert_clean_error(cli("check", "-C", root), "is a folder")


@pytest.mark.slow
def test_file_over_default_limit(cli: Cli, make_project: MakeProject) -> None:
    """A 65+ MB file is refused under the default 64 MB limit without being parsed."""
    root = make_project("")
    write_big_bib(root / "library.bib", 65)
    try:
        assert_clean_error(cli("check", "-C", root), "more than the 64 MB limit", "max_bib_mb")
    finally:
        (root / "library.bib").unlink()


def test_file_over_configured_limit(cli: Cli, make_project: MakeProject) -> None:
    """max_bib_mb = 1 in cytobib.toml refuses a 2 MB library."""
    root = make_project("", extra_toml="max_bib_mb = 1\n")
    write_big_bib(root / "library.bib", 2)
    assert_clean_error(cli("check", "-C", root), "more than the 1 MB limit", "max_bib_mb")


def test_empty_library_is_fine(cli: Cli, make_project: MakeProject) -> None:
    """An empty library.bib is a valid library with 0 entries."""
    result = cli("check", "-C", make_project(""))
    assert result.code == 0
    assert "0 entries" in result.out


def test_bad_toml(cli: Cli, make_project: MakeProject) -> None:
    """An invalid cytobib.toml: exit 3 with the file and line."""
    root = make_project("", toml='[library]\nbib = "library.bib\n')
    assert_clean_error(cli("check", "-C", root), "cytobib.toml:2:", "Fix the line")


def test_bib_option_overrides_config(cli: Cli, make_project: MakeProject) -> None:
    """--bib checks another file instead of the configured one."""
    root = make_project("")
    (root / "other.bib").write_text(CLEAN, encoding="utf-8")
    report = json.loads(
        cli("check", "-C", root, "--bib", root / "other.bib", "--format", "json").out
    )
    assert report["entries"] == 1


def test_internal_error_is_reported_without_locals(
    cli: Cli, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug exits 70 with its location and no traceback of local variables."""
    from cytobib.cli import library_cmds

    def broken(*args: object, **kwargs: object) -> None:
        mailto = "me@example.org"  # a local that a traceback with locals would show
        raise RuntimeError("boom" if mailto else "")

    monkeypatch.setattr(library_cmds, "project", broken)
    result = cli("check", "-C", make_project(""))
    assert result.code == _errors.EXIT_BUG
    assert "internal error: RuntimeError: boom" in result.err
    assert "me@example.org" not in result.err
    assert "Traceback" not in result.err


def test_interrupt_exits_130(
    cli: Cli, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C exits 130 with a one-line note instead of a traceback."""
    from cytobib.cli import library_cmds

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(library_cmds, "project", interrupted)
    result = cli("check", "-C", make_project(""))
    assert result.code == _errors.EXIT_INTERRUPTED
    assert "interrupted" in result.err


# --- annotate ----------------------------------------------------------------------------------


def test_annotate_creates_stub(cli: Cli, make_project: MakeProject) -> None:
    """`cytobib annotate KEY` writes annotations/KEY.yaml, which then checks clean."""
    root = make_project(CLEAN)
    result = cli("annotate", "rosenberg2014il2", "-C", root)
    assert result.code == 0
    assert (root / "annotations" / "rosenberg2014il2.yaml").is_file()
    assert cli("check", "-C", root, "--fail-on", "warning", "-v").code == 0


def test_annotate_missing(cli: Cli, make_project: MakeProject) -> None:
    """--missing writes a stub for every entry without one and leaves existing ones alone."""
    root = make_project(CLEAN + WITH_ERROR, {"a": ANNOTATION})
    assert cli("annotate", "--missing", "-C", root).code == 0
    assert sorted(p.name for p in (root / "annotations").iterdir()) == [
        "a.yaml",
        "rosenberg2014il2.yaml",
    ]
    assert (root / "annotations" / "a.yaml").read_text(encoding="utf-8") == ANNOTATION


def test_annotate_stub_schema_reference(cli: Cli, make_project: MakeProject) -> None:
    """A stub's $schema line points at a schema file that exists, relative to the stub."""
    root = make_project(CLEAN)
    cli("init", root)
    cli("annotate", "rosenberg2014il2", "-C", root)
    first = (root / "annotations" / "rosenberg2014il2.yaml").read_text(encoding="utf-8")
    ref = first.splitlines()[0].split("$schema=")[1]
    assert (root / "annotations" / ref).resolve().is_file()


def test_annotate_unknown_key_suggests(cli: Cli, make_project: MakeProject) -> None:
    """An unknown key exits 3 with the closest keys as a hint."""
    result = cli("annotate", "rosenberg2014", "-C", make_project(CLEAN))
    assert_clean_error(result, "No entry has the key 'rosenberg2014'", "rosenberg2014il2")


def test_annotate_without_keys(cli: Cli, make_project: MakeProject) -> None:
    """annotate with neither keys nor --missing explains what it needs."""
    result = cli("annotate", "-C", make_project(CLEAN))
    assert result.code == 0
    assert "nothing to do" in result.out


def test_a_reader_that_stops_early_ends_the_run_quietly(make_project: MakeProject) -> None:
    """`cytobib show KEY | head -1`: once the reader is gone the run ends with 141 (what a
    shell reports for SIGPIPE) and nothing on stderr, not exit 1 (kept for `check`)."""
    abstract = "Interleukin-2 and regulatory T cells. " * 8000  # far more than a pipe holds
    root = make_project(
        f"@article{{big2020,\n  author = {{Author, A.}},\n  title = {{A long abstract}},\n"
        f"  journal = {{J}},\n  year = {{2020}},\n  abstract = {{{abstract}}},\n}}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "cytobib", "show", "big2020"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "CYTOBIB_NO_CACHE": "1"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()  # the rest of the work is still to come: the next write fails
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == _errors.EXIT_PIPE, err
    assert err == ""
