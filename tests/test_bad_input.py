"""The bad inputs of issue 2: each gives a one-screen message naming file:line and the fix,
never a traceback, never a changed file.

Every case runs once (`cytobib check`, or `annotate` for unsafe keys) in its own project; the
tests below each assert one of those promises over all cases.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import snapshot_tree
from cytobib.cli import run

GOOD = """@article{rosenberg2014il2,
  author = {Rosenberg, Steven A.},
  title = {{IL-2}: the first effective immunotherapy for human cancer},
  journal = {J Immunol},
  year = {2014},
}
"""
GOOD_NOTE = {"rosenberg2014il2": "summary: x\nstatus: read\n"}


@dataclass(frozen=True)
class Case:
    """A bad project, the command run on it and what its output must show."""

    bib: str | bytes = GOOD
    annotations: dict[str, str | bytes] = field(default_factory=lambda: dict(GOOD_NOTE))
    args: tuple[str, ...] = ("check",)
    extra_toml: str = ""
    big_mb: int = 0
    code: int = 1
    expect: str = ""  # a regex (multiline) the output must match: the file and the line
    has_fix: bool = True


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def issue_at(file: str, line: int, code: str) -> str:
    """Regex: under the file's heading, an error line with that line number and code."""
    return rf"^{re.escape(file)}\n(?:.*\n)*?\s+{line}\s+error\s+{re.escape(code)}\s"


UNBALANCED = GOOD + "\n@article{broken,\n  title = {IL-2 {therapy},\n  year = 2014,\n}\n"
NO_KEY = GOOD + "\n@article{,\n  title = {Keyless},\n}\n"
DUP_FIELD = GOOD + "\n@misc{twice,\n  title = {One},\n  title = {Two},\n}\n"
# Mostly UTF-8 (the first é is fine) with one latin-1 byte: damaged, not a legacy file.
BAD_UTF8 = (
    GOOD + "\n@misc{ok,\n  title = {Café},\n}\n"
).encode() + b"@misc{x,\n  title = {Caf\xe9},\n}\n"
BAD_UTF8_LINE = BAD_UTF8[: BAD_UTF8.index(b"\xe9")].count(b"\n") + 1
SLASH = GOOD + "\n@misc{smith/2020,\n  title = {Slash},\n}\n"
DOTDOT = GOOD + "\n@misc{../../etc/passwd,\n  title = {Escape},\n}\n"

CASES: dict[str, Case] = {
    "unbalanced-braces": Case(
        bib=UNBALANCED,
        expect=issue_at("library.bib", line_of(UNBALANCED, "@article{broken"), "parse-error"),
    ),
    "entry-without-key": Case(
        bib=NO_KEY, expect=issue_at("library.bib", line_of(NO_KEY, "@article{,"), "missing-key")
    ),
    "duplicate-field": Case(
        bib=DUP_FIELD,
        expect=issue_at("library.bib", line_of(DUP_FIELD, "title = {Two}"), "duplicate-field"),
    ),
    "invalid-utf8": Case(
        bib=BAD_UTF8,
        code=3,
        expect=rf"^error: .*library\.bib:{BAD_UTF8_LINE}: invalid UTF-8",
    ),
    "annotation-not-mapping": Case(
        annotations={"rosenberg2014il2": "- summary: x\n- status: read\n"},
        expect=issue_at("annotations/rosenberg2014il2.yaml", 1, "annotation-not-mapping"),
    ),
    "yaml-tabs": Case(
        annotations={"rosenberg2014il2": "summary: x\ntags:\n\t- il2\n"},
        expect=issue_at("annotations/rosenberg2014il2.yaml", 3, "annotation-yaml"),
    ),
    "yaml-duplicate-key": Case(
        annotations={"rosenberg2014il2": "summary: x\nstatus: read\nsummary: y\n"},
        expect=issue_at("annotations/rosenberg2014il2.yaml", 3, "annotation-yaml"),
    ),
    "key-with-slash": Case(
        bib=SLASH, expect=issue_at("library.bib", line_of(SLASH, "@misc{smith/2020"), "unsafe-key")
    ),
    "key-with-dotdot": Case(
        bib=DOTDOT,
        expect=issue_at("library.bib", line_of(DOTDOT, "@misc{../../etc"), "unsafe-key"),
    ),
    "annotate-key-with-slash": Case(
        bib=SLASH,
        args=("annotate", "smith/2020"),
        code=3,
        expect=rf"^error: library\.bib:{line_of(SLASH, '@misc{smith/2020')}: Citation key",
    ),
    "annotate-key-with-dotdot": Case(
        bib=DOTDOT,
        args=("annotate", "../../etc/passwd"),
        code=3,
        expect=rf"^error: library\.bib:{line_of(DOTDOT, '@misc{../../etc')}: Citation key",
    ),
    "file-50mb": Case(
        bib="",
        extra_toml="max_bib_mb = 40\n",
        big_mb=50,
        code=3,
        expect=r"^error: .*library\.bib is 5\d\.\d MB, more than the 40 MB limit",
    ),
    # Issue 12: each of these crashed with exit 70 and no file named.
    "yaml-merge-key": Case(
        annotations={"rosenberg2014il2": "base: &b\n  summary: x\n<<: *b\nstatus: read\n"},
        expect=issue_at("annotations/rosenberg2014il2.yaml", 3, "annotation-yaml"),
    ),
    "yaml-unknown-tag": Case(
        annotations={"rosenberg2014il2": "status: read\nsummary: !!python/object:os.system x\n"},
        expect=issue_at("annotations/rosenberg2014il2.yaml", 2, "annotation-yaml"),
    ),
    "yaml-100k-digit-number": Case(
        annotations={"rosenberg2014il2": "summary: x\npriority: " + "9" * 100_000 + "\n"},
        expect=issue_at("annotations/rosenberg2014il2.yaml", 2, "annotation-yaml"),
    ),
    "where-990-nots": Case(
        args=("reading-list", "--where", "not " * 990 + "annotated"),
        code=2,
        expect=r"^error: The filter nests more than 50 levels",
    ),
    "empty-file": Case(
        bib="", annotations={}, code=0, expect=r"^0 entries, 0 annotated: 0 errors", has_fix=False
    ),
}


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    changed: bool

    @property
    def output(self) -> str:
        return self.out + self.err


def _write_big(path: Path, megabytes: int) -> None:
    """A valid .bib of ``megabytes`` MB (MiB, the unit of max_bib_mb), unique keys."""
    block = "".join(f"@misc{{k{i}-@@, title = {{{'x' * 1000}}}}}\n" for i in range(1000))
    chunk = 0
    with path.open("w", encoding="utf-8") as fh:
        while fh.tell() < megabytes * 2**20:
            fh.write(block.replace("@@", str(chunk)))
            chunk += 1


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Run every case once; module-scoped, so it sets up its own isolated environment."""
    results: dict[str, Outcome] = {}
    big_files: list[Path] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYTOBIB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        mp.delenv("CYTOBIB_MAILTO", raising=False)
        mp.delenv("CYTOBIB_CROSSREF_URL", raising=False)
        mp.delenv("FORCE_COLOR", raising=False)
        for name, case in CASES.items():
            root = tmp_path_factory.mktemp(name)
            (root / "cytobib.toml").write_text(
                '[library]\nbib = "library.bib"\n' + case.extra_toml, encoding="utf-8"
            )
            bib = root / "library.bib"
            bib.write_bytes(case.bib.encode("utf-8") if isinstance(case.bib, str) else case.bib)
            if case.big_mb:
                _write_big(bib, case.big_mb)
                big_files.append(bib)
            (root / "annotations").mkdir()
            for key, text in case.annotations.items():
                data = text.encode("utf-8") if isinstance(text, str) else text
                (root / "annotations" / f"{key}.yaml").write_bytes(data)
            before = snapshot_tree(root)
            mp.chdir(root)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = run(list(case.args))
            results[name] = Outcome(
                code, out.getvalue(), err.getvalue(), snapshot_tree(root) != before
            )
    yield results
    for path in big_files:
        path.unlink()


@pytest.mark.parametrize("name", list(CASES))
def test_exit_code(outcomes: dict[str, Outcome], name: str) -> None:
    """Problems inside the library exit 1 (issues), unreadable input exits 3, empty is fine."""
    assert outcomes[name].code == CASES[name].code, outcomes[name].output


@pytest.mark.parametrize("name", list(CASES))
def test_names_file_and_line(outcomes: dict[str, Outcome], name: str) -> None:
    """The output names the file and the line of the problem."""
    assert re.search(CASES[name].expect, outcomes[name].output, re.M), outcomes[name].output


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.has_fix])
def test_says_how_to_fix(outcomes: dict[str, Outcome], name: str) -> None:
    """A hint line says what to do about it."""
    assert re.search(r"^\s*hint: \w", outcomes[name].output, re.M), outcomes[name].output


@pytest.mark.parametrize("name", list(CASES))
def test_no_traceback(outcomes: dict[str, Outcome], name: str) -> None:
    """No traceback and no internal-error report, whatever the input."""
    output = outcomes[name].output
    assert "Traceback" not in output
    assert "internal error" not in output


@pytest.mark.parametrize("name", list(CASES))
def test_fits_one_screen(outcomes: dict[str, Outcome], name: str) -> None:
    """The whole report fits a 24-line terminal."""
    assert len(outcomes[name].output.strip().splitlines()) <= 24, outcomes[name].output


@pytest.mark.parametrize("name", list(CASES))
def test_changes_no_file(outcomes: dict[str, Outcome], name: str) -> None:
    """Every file of the project is byte-identical afterwards."""
    assert not outcomes[name].changed


def test_where_takes_negative_numbers(make_project, cli) -> None:
    """`year == -1` is a comparison with a number (it was refused as 'USub')."""
    root = make_project(GOOD, GOOD_NOTE)
    result = cli("reading-list", "-C", root, "--where", "year == -1", "--format", "txt")
    assert result.code == 0, result.output
    assert "0 works" in result.out


def test_export_of_1000_nested_braces(make_project, cli) -> None:
    """A title of 1,000 nested braces exports (it exhausted the stack: exit 70)."""
    bib = GOOD + "@misc{deep, title = {" + "{" * 1000 + "x" + "}" * 1000 + "}}\n"
    root = make_project(bib, GOOD_NOTE)
    result = cli("export", "-C", root, "--to", "ris")
    assert result.code == 0, result.output
    assert re.search(r"^TI  - x\r?$", result.out, re.M)


def test_string_macro_bomb_is_reported_not_expanded(make_project, cli) -> None:
    """@string macros that each double the last (MemoryError after minutes) are reported at
    their line as macro-too-long, in well under a second of work."""
    bomb = '@string{a0 = "xxxxxxxx"}\n' + "".join(
        f"@string{{a{i} = a{i - 1} # a{i - 1}}}\n" for i in range(1, 40)
    )
    root = make_project(bomb + GOOD + "@misc{k, title = a39}\n", GOOD_NOTE)
    result = cli("check", "-C", root)
    assert result.code == 1, result.output
    assert re.search(r"^\s+19\s+error\s+macro-too-long", result.out, re.M), result.out
