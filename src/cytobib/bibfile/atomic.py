"""Atomic file replacement: readers see the old file or the new one, never half of one.

A temp file beside the target is written, fsynced and renamed over it. A symlink is written
through to its target; mode, owner and group are kept where the system allows; a file with
other hard links is refused (replacing it would split it); temp files a killed run left behind
are removed. Used for library.bib (through :mod:`~cytobib.bibfile.update`), annotation files,
.cytobib/ records and outputs.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import tempfile
import time
from pathlib import Path

from cytobib.errors import WriteError


class ChangedMeanwhile(Exception):
    """The target's bytes changed between reading and renaming (an editor saved it)."""


def atomic_write_bytes(
    path: Path,
    data: bytes,
    *,
    durable: bool = True,
    unchanged: tuple[Path, bytes] | None = None,
) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never half.

    A temp file beside the target is written, fsynced and renamed over it; on any failure
    (including Ctrl-C) the temp file is removed and the target is untouched. A symlink is
    written through to its target; the mode, owner and group are kept where the system
    allows; a file with other hard links is not replaced (that would silently split it).
    ``unchanged=(path, bytes)``: just before the rename, the file must still hold those bytes
    (an editor may have saved it meanwhile), else nothing is replaced. ``durable=False``
    skips the fsyncs, for caches that may be lost but never half-written.
    """
    path = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        st: os.stat_result | None = path.stat()
    except FileNotFoundError:
        st = None
    if st is not None and st.st_nlink > 1 and durable:
        raise WriteError(
            f"{path} has {st.st_nlink - 1} other hard link(s); replacing it would leave them "
            "with the old text, so nothing was written.",
            hint="Use a symbolic link instead (cytobib writes through those), or copy the file "
            "to break the hard link.",
        )
    if durable:
        _remove_stale_temps(path)
    fd, tmp = _mkstemp(path, folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777 if st is not None else _new_file_mode())
        if st is not None:
            with contextlib.suppress(OSError):  # only root may give a file to someone else
                os.chown(tmp, st.st_uid, st.st_gid)
        if unchanged is not None and _bytes_of(unchanged[0]) != unchanged[1]:
            raise ChangedMeanwhile
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from exc
        raise
    if not durable:
        return
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _bytes_of(path: Path) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


STALE_TEMP_SECONDS = 600
"""A temp file of ours this old was left by a killed process (kill -9, power loss): no write
takes that long."""


def _remove_stale_temps(path: Path) -> None:
    """Remove ``.<name>.*.tmp`` files that a killed cytobib left beside ``path``."""
    now = time.time()
    with contextlib.suppress(OSError):
        for old in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                if now - old.lstat().st_mtime > STALE_TEMP_SECONDS:
                    old.unlink()


def create_exclusive(path: Path, data: bytes) -> bool:
    """Write a new file atomically, never replacing an existing one; False if it exists."""
    folder = path.parent
    fd, tmp = _mkstemp(path, folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode())
        try:
            os.link(tmp, path)  # fails if the target exists: no overwrite race
        except FileExistsError:
            return False
        return True
    except FileExistsError:
        raise
    except OSError as exc:
        raise _write_error(path, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _mkstemp(path: Path, folder: Path) -> tuple[int, str]:
    """A temp file beside ``path``; a folder that is missing or read-only is a WriteError."""
    try:
        return tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _write_error(path, exc) from exc


def _write_error(path: Path, exc: OSError) -> WriteError:
    return WriteError(
        f"Could not write {path}: {exc.strerror or exc}; the previous file is unchanged.",
        hint="Check that the folder exists, its permissions and free disk space.",
    )


@functools.lru_cache(maxsize=1)
def _new_file_mode() -> int:
    """rw for whoever the umask allows, as open() would give (mkstemp's files are 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask
