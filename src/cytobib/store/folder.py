"""Where the caches live, and whether a folder or file there may be trusted (issue 12 item 5:
nothing that another user can write is read), and the one switch that turns caching off."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path
from typing import Final

CACHE_DIR_ENV: Final = "CYTOBIB_CACHE_DIR"
NO_CACHE_ENV: Final = "CYTOBIB_NO_CACHE"
_log = logging.getLogger("cytobib.cache")


def disabled() -> bool:
    """Whether ``CYTOBIB_NO_CACHE`` turns every cache off (any value but "", 0, false, no, off)."""
    value = os.environ.get(NO_CACHE_ENV, "").strip().casefold()
    return value not in ("", "0", "false", "no", "off")


def cache_root() -> Path:
    """``$CYTOBIB_CACHE_DIR`` (``~`` expanded) if set, else the platform's user cache folder."""
    env = os.environ.get(CACHE_DIR_ENV, "").strip()
    if env:
        return Path(os.path.expanduser(env))
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("cytobib"))


def _owner_problem(st: os.stat_result, path: Path) -> str | None:
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: no POSIX owner or mode; the profile folder's ACLs apply
        return None
    if st.st_uid != getuid():
        return f"{path} belongs to another user (uid {st.st_uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{path} is writable by other users"
    return None


def private_folder(path: Path) -> str | None:
    """Create ``path`` (and missing parents) 0700 if needed, and say why it must not be used,
    or None when it may: it is a folder, it is the user's and nobody else may write in it
    (the sticky /tmp is refused too: another user could have made the files in it)."""
    missing = []
    probe = path
    try:
        while not probe.exists() and probe != probe.parent:
            missing.append(probe)
            probe = probe.parent
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):  # made by a second process meanwhile
                folder.mkdir(mode=0o700)
        st = path.stat()
    except OSError as exc:
        return f"{path} cannot be created ({exc.strerror or exc})"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a folder"
    return _owner_problem(st, path)


def private_file(path: Path) -> str | None:
    """Why an existing cache file must not be opened (None: it may, or it is absent).
    A file readable by others is made private rather than refused."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc})"
    if not stat.S_ISREG(st.st_mode):
        return f"{path} is not a regular file"
    problem = _owner_problem(st, path)
    if problem is None and st.st_mode & 0o077:
        with contextlib.suppress(OSError):
            path.chmod(0o600)
    return problem


def warn(message: str) -> None:
    """A cache problem in one line on stderr (through logging: a library user's handlers see
    it instead)."""
    _log.warning("warning: %s", message)
