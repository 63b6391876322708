"""Reuse a command's output when none of its inputs changed since it last ran.

A large reading list takes seconds even when every step is cached (loading 10k annotations,
numbering, grouping, assembling 30 MB of text), so an output whose inputs are all as they were
is taken from the run's store instead, before anything is loaded. Every output command goes
through :func:`reuse` (reading-list, review-table, evidence-map, export), and `build` once per
file it writes. The inputs, digested without loading the library (:class:`Inputs`):

- the command and its options, the date stamped on outputs and the working directory;
- cytobib's code and the versions of the libraries that shape output (the store's salt);
- the settings (cytobib.toml as read, and its bytes), the .bib file's bytes, the vocabulary
  files and the project's templates;
- every annotation file by name, size, inode, mtime and ctime (as git's index does; reading
  10k files would cost more than the rest together);
- the style as the views resolve it (and a style file's bytes), and the CSL engine binary by
  path, size and mtime.

An output is kept (table ``outputs``, with table ``output-runs`` holding when its run started
and what the command reports with it) only if the inputs are still the same when the run ends,
so that a file saved during the run cannot have new output filed under old content. An
annotation file that is not :func:`settled` against the start of the run that kept the output
may have changed again within the clock's granularity: then nothing is reused. On Windows
before Python 3.12, ``st_ctime`` is the creation time, so an in-place rewrite of an annotation
that keeps its size and restores its mtime would go unseen there.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cytobib.config import Config, template_files
from cytobib.errors import CytobibError
from cytobib.library import Project, open_project
from cytobib.store import DEFAULT, Store, key_of, resolve, table

RACY_NS = 2_000_000_000
"""A file whose ctime is this close to the start of the run that recorded its stat may have
changed again within the clock's granularity without its stat showing it (git's racy-clean
rule): its stat is not trusted."""

_IGNORED_ENV = ("CYTOBIB_JOBS", "CYTOBIB_CACHE_MAX_MB")  # change how, not what, is made


def settled(ctime_ns: int, recorded_ns: int) -> bool:
    """Whether a stat with this ctime, recorded by a run that started at ``recorded_ns``, can
    stand for the file's content."""
    return ctime_ns < recorded_ns - RACY_NS


class Inputs:
    """The digest of what a project's outputs are made from (besides the command and its
    options), and the newest ctime among the inputs known by their stat only."""

    def __init__(self, config: Config, style: str | None = None) -> None:
        from cytobib.views import today

        self.started = time.time_ns()
        self.config = config
        self.style = style
        self.newest = 0
        self._digest = hashlib.blake2b(digest_size=20)
        self._add(repr((today(), os.getcwd(), config)))
        env = sorted(
            (k, v)
            for k, v in os.environ.items()
            if k.startswith("CYTOBIB_") and k not in _IGNORED_ENV
        )
        self._add(repr(env))
        for path in (config.path, config.bib, config.agents_file, config.cancers_file):
            self._file(path)
        for name, data in template_files(config.root):
            self._add(name)
            self._add(data)
        self._annotations(config.annotations)
        self._style(style or config.style)
        self.digest = self._digest.digest()

    def key(self, command: str, options: Sequence[object]) -> bytes:
        """The key of one output: these inputs, the command and its options."""
        return key_of(self.digest, command, tuple(options))

    def unchanged(self) -> bool:
        """Whether the inputs are still what they were when this object was made."""
        return Inputs(self.config, self.style).digest == self.digest

    def _add(self, part: bytes | str) -> None:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        self._digest.update(len(data).to_bytes(8, "little"))
        self._digest.update(data)

    def _file(self, path: Path | None) -> None:
        if path is None:
            self._add("-")
            return
        try:
            self._add(path.read_bytes() if path.is_file() else b"<not a file>")
        except OSError:
            self._add(b"<unreadable>")

    def _annotations(self, folder: Path) -> None:
        stamps = []
        with contextlib.suppress(OSError), os.scandir(folder) as scan:
            for entry in scan:
                if os.path.splitext(entry.name)[1] in (".yaml", ".yml"):
                    st = entry.stat()
                    stamps.append(
                        (entry.name, st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
                    )
                    self.newest = max(self.newest, st.st_ctime_ns)
        self._add(repr(sorted(stamps)))

    def _style(self, style: str) -> None:
        """The style as the views resolve it (a file's digest, a bundled style's, pybtex's
        version), the file named if it is a path, and the CSL engine binary."""
        from cytobib import styles
        from cytobib.citing import style_path

        named = style_path(self.config, style)
        try:
            ref = styles.resolve_style(named)
            self._add(repr((ref.name, ref.kind, ref.digest)))
        except (CytobibError, OSError, ValueError):  # the run reports it and keeps nothing
            self._add("<unresolved style>")
        if named.endswith(".csl") or "/" in named or os.sep in named:
            self._file(Path(named).expanduser())
        self._add(repr(styles.engine_stamp()))


@dataclass(frozen=True)
class Output:
    """A command's output, and whether it was reused from an earlier run."""

    data: str | bytes | None
    """The output; None when the file it was asked for holds exactly this output already
    (:func:`produce` with ``path``), so that nothing was read or needs writing."""
    facts: Mapping[str, Any] = field(default_factory=dict)
    """What the command reports with the output (entries exported, errors in the library):
    kept with it, so that a reused output is reported as the run that made it was."""
    reused: bool = False


@dataclass(frozen=True)
class Kept:
    """What the run that made an output recorded: enough to decide, before reading the output
    itself, that a file already holds it."""

    key: bytes
    facts: Mapping[str, Any]
    size: int
    """The output's size in bytes (UTF-8 for text)."""
    digest: str
    """blake2b-160 of those bytes, hex."""


Make = Callable[[], tuple[str | bytes, Mapping[str, Any]]]
"""Makes an output and its facts (JSON values): run only when nothing can be reused."""

_OUTPUTS = "outputs"
_RUNS = "output-runs"


def _digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=20).hexdigest()


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data


def recall(store: Store, inputs: Inputs, key: bytes) -> Kept | None:
    """The record of the output kept for exactly these inputs, unless an input is too new to
    trust (:func:`settled`)."""
    run = store.get(table(_RUNS), key)
    if not (isinstance(run, tuple) and len(run) == 4 and isinstance(run[0], int)):
        return None
    started, facts, size, digest = run
    if not (_facts_ok(facts) and isinstance(size, int) and isinstance(digest, str)):
        return None
    if not settled(inputs.newest, started):
        return None
    return Kept(key, facts, size, digest)


_FACT_SHAPES: Mapping[str, Callable[[Any], bool]] = {
    "works": lambda v: isinstance(v, int),
    "count": lambda v: isinstance(v, int),
    "errors": lambda v: isinstance(v, int),
    "entries": lambda v: isinstance(v, int),
    "format": lambda v: isinstance(v, str),
    "notices": lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v),
    "warnings": lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v),
}
"""The facts the commands read back from a reused output, and the shape each must have: a
kept row of another shape is a miss (the commands would fail on it)."""


def _facts_ok(facts: Any) -> bool:
    return isinstance(facts, dict) and all(
        check(facts[name]) for name, check in _FACT_SHAPES.items() if name in facts
    )


def fetch(store: Store, kept: Kept) -> str | bytes | None:
    """The kept output itself, if it is whole (its size and digest are the recorded ones)."""
    data = store.get(table(_OUTPUTS), kept.key)
    if not isinstance(data, str | bytes):
        return None
    raw = _bytes(data)
    if len(raw) != kept.size or _digest(raw) != kept.digest:
        return None
    return data


def holds(path: Path, kept: Kept) -> bool:
    """Whether the file at ``path`` (not a link) holds exactly the kept output."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size != kept.size:
            return False
        return _digest(path.read_bytes()) == kept.digest
    except OSError:
        return False


def remember(store: Store, inputs: Inputs, key: bytes, output: Output) -> None:
    """Keep an output made from ``inputs``; the caller has checked that they are still what
    they were when the run began (:meth:`Inputs.unchanged`, once per run: it reads the files
    again)."""
    assert output.data is not None
    raw = _bytes(output.data)
    store.put(table(_OUTPUTS), key, output.data)
    store.put(table(_RUNS), key, (inputs.started, dict(output.facts), len(raw), _digest(raw)))


def reuse(
    store: Store,
    inputs: Inputs,
    command: str,
    options: Sequence[object],
    make: Make,
    *,
    path: Path | None = None,
) -> Output:
    """The output of ``command`` with ``options``: kept from an earlier run with the same
    inputs, else ``make()``'s (then kept, if the inputs did not change meanwhile). With the
    ``path`` it is for, a file there that holds the kept output already is not read again
    (the output's ``data`` is then None)."""
    key = inputs.key(command, options)
    kept = recall(store, inputs, key) if store.enabled else None
    if kept is not None:
        if path is not None and holds(path, kept):
            return Output(None, kept.facts, reused=True)
        data = fetch(store, kept)
        if data is not None:
            return Output(data, kept.facts, reused=True)
    made, facts = make()
    output = Output(made, facts)
    if store.enabled and inputs.unchanged():
        remember(store, inputs, key, output)
    return output


def produce(
    config: Config,
    command: str,
    options: Sequence[object],
    make: Callable[[Project], tuple[str | bytes, Mapping[str, Any]]],
    *,
    style: str | None = None,
    path: Path | None = None,
    store: Store | Any | None = DEFAULT,
) -> Output:
    """What an output command writes: reused when its inputs are unchanged, else
    ``make(project)``'s, the project loaded only then (into the same store, one write
    transaction for the run). ``options`` must name everything besides the project's files
    that the output depends on; ``style`` the style option (None: the project's).

    ``path``: the file the output is for. If it holds the reused output already, the
    output's ``data`` is None: there is nothing to write (a project's own input file is never
    taken for one, so that writing there is refused as always).

    ``store``: the project's own by default, ``None`` for no reuse, or a store of the caller's.
    """
    run_store = resolve(store, config.root)
    try:
        inputs = Inputs(config, style)

        def load_and_make() -> tuple[str | bytes, Mapping[str, Any]]:
            return make(open_project(config=config, store=run_store))

        target = path if path is not None and config.own_input(path) is None else None
        return reuse(run_store, inputs, command, options, load_and_make, path=target)
    finally:
        if store is DEFAULT:
            run_store.close()
