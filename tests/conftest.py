"""Shared fixtures: an isolated environment for every test, a project factory, the CLI runner
and access to the real libraries in ../shared/data (never copied into the repository)."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: ``ci`` (the default where CI is set),
# ``dev`` (the default elsewhere: a quick local run) and ``thorough`` (before a release, or
# after changing a parser or an escaper). Tests set no example counts of their own. ``ci`` draws
# the same examples on every run (derandomize), so that a CI verdict can be reproduced with
# CI=true and never turns on a new random draw; ``dev`` and ``thorough`` explore new ones.
settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True, derandomize=True)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
"""The real .bib files (see DATA_DIR/PROVENANCE.md): read in place, gunzipped into tmp."""

PROJECT_TOML = """\
[library]
bib = "library.bib"
annotations = "annotations"
"""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "docs: checks README.md against the CLI")


def pytest_report_header(config: pytest.Config) -> str:
    return f"hypothesis profile: {PROFILE} (HYPOTHESIS_PROFILE: ci, dev or thorough)"


@pytest.fixture(scope="session", autouse=True)
def _isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The whole session, module- and class-scoped fixtures included (they run before any
    function-scoped fixture), caches in a folder of its own: never the developer's."""
    patch = pytest.MonkeyPatch()
    patch.setenv("CYTOBIB_CACHE_DIR", str(tmp_path_factory.mktemp("session-cache")))
    patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    patch.delenv("CYTOBIB_NO_CACHE", raising=False)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def _ncbi_stand_in() -> Iterator[str]:
    """One local NCBI stand-in for the session: add, enrich and check --online ask PubMed
    too, and a test must never reach the real one."""
    try:
        from pubmed_server import FIXTURES, PubMedTestServer
    except ImportError:  # this conftest copied alone (test_store's probe): nothing to serve
        yield "http://127.0.0.1:9"
        return
    server = PubMedTestServer(FIXTURES if FIXTURES.is_dir() else None).start()
    yield server.url
    server.stop()


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, _ncbi_stand_in: str
) -> None:
    """Every test gets its own caches, none of the developer's Crossref or NCBI settings, and
    the local NCBI stand-in."""
    monkeypatch.setenv("CYTOBIB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("CYTOBIB_MAILTO", raising=False)
    monkeypatch.delenv("CYTOBIB_CROSSREF_URL", raising=False)
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    monkeypatch.setenv("CYTOBIB_EUTILS_URL", _ncbi_stand_in + "/entrez/eutils")
    monkeypatch.setenv("CYTOBIB_IDCONV_URL", _ncbi_stand_in + "/tools/idconv/api/v1/articles/")
    for name in ("ZOTERO_API_KEY", "CYTOBIB_ZOTERO_URL", "CYTOBIB_ZOTERO_LOCAL_URL"):
        monkeypatch.delenv(name, raising=False)  # never the developer's Zotero
    monkeypatch.delenv("FORCE_COLOR", raising=False)  # rich would colour captured output


MakeProject = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """A factory writing cytobib.toml, library.bib and annotations/<key>.yaml into tmp_path.

    ``bib`` and annotation values may be ``str`` (written as UTF-8) or ``bytes`` (written as
    is); ``toml=None`` writes no cytobib.toml; ``extra_toml`` is appended to the default one.
    """

    def make(
        bib: str | bytes = "",
        annotations: Mapping[str, str | bytes] | None = None,
        *,
        toml: str | None = PROJECT_TOML,
        extra_toml: str = "",
        folder: str = "project",
    ) -> Path:
        root = tmp_path / folder
        (root / "annotations").mkdir(parents=True, exist_ok=True)
        if toml is not None:
            (root / "cytobib.toml").write_text(toml + extra_toml, encoding="utf-8")
        _write(root / "library.bib", bib)
        for name, content in (annotations or {}).items():
            file_name = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
            _write(root / "annotations" / file_name, content)
        return root

    return make


def _write(path: Path, content: str | bytes) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))


@dataclass(frozen=True)
class CliResult:
    """What one `cytobib` invocation did."""

    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``cytobib.cli.run(args)`` and return its exit code with the captured stdout/stderr."""
    from cytobib.cli import run

    def invoke(*args: str | Path) -> CliResult:
        capsys.readouterr()  # drop anything printed before this call
        code = run([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


def snapshot_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under root, by relative path: to assert nothing was changed."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, str]]:
    """``snapshot(folder)``: hashes of all files in it, compared before and after a command."""
    return snapshot_tree


REAL_LIBRARIES = [
    "gisurgonc-handbook-zotero.bib",
    "eddyrivaslab-master.bib",
    "autinerd-rfcbib-rfc.bib",
]


def real_bib_path(name: str) -> Path:
    """The gzipped real library ``name`` (e.g. "eddyrivaslab-master.bib"), or skip the test."""
    path = DATA_DIR / f"{name}.gz"
    if not path.is_file():
        pytest.skip(
            f"real data {path} is not available (it lives outside the repository, in "
            "../shared/data; see PROVENANCE.md there)"
        )
    return path


def gunzip_to(name: str, folder: Path, target_name: str | None = None) -> Path:
    """Decompress a real library into ``folder`` (tests never write next to the originals)."""
    source = real_bib_path(name)
    target = folder / (target_name or name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(source, "rb") as fin, target.open("wb") as fout:
        shutil.copyfileobj(fin, fout)
    return target


@pytest.fixture
def real_bib(tmp_path: Path) -> Callable[..., Path]:
    """``real_bib(name, target_name=None)``: a real library gunzipped into tmp_path."""

    def get(name: str, target_name: str | None = None) -> Path:
        return gunzip_to(name, tmp_path, target_name)

    return get


@pytest.fixture(scope="session")
def real_text() -> Iterator[Callable[[str], bytes]]:
    """``real_text(name)``: the decompressed bytes of a real library, read once per session."""
    cache: dict[str, bytes] = {}

    def get(name: str) -> bytes:
        if name not in cache:
            cache[name] = gzip.decompress(real_bib_path(name).read_bytes())
        return cache[name]

    yield get
    cache.clear()
