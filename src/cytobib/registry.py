"""One registry for what cytobib finds by name: output formats and exporters.

Built-ins are a literal table of ``module:attribute`` targets, imported only when chosen, so
that ``cytobib --help`` never imports python-docx. Third-party packages add entries through an
entry-point group. A plug-in cannot replace a built-in: names, aliases and suffixes of
built-ins win. (papis' ``plugin.py`` serves every plug-in namespace of papis the same way.)

One policy for a plug-in that fails to load (its package is broken, a dependency missing, the
object is not what the group expects):

* asked for by its name, it is an error: :class:`~cytobib.errors.PluginError` says which
  plug-in, from which package, and what failed;
* anywhere else (listing, lookups by alias or suffix, another name) it is skipped with a
  :class:`~cytobib.errors.PluginWarning` naming it, so it never breaks the built-ins or the
  other plug-ins.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

from cytobib.errors import PluginError, PluginWarning

T = TypeVar("T")


@dataclass(frozen=True)
class Builtin:
    """A registered entry: its name, where it lives (``module:attribute``), what else it is
    called, the file suffixes it claims (with the dot) and a one-line description."""

    name: str
    target: str
    aliases: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    description: str = ""

    def load(self) -> Any:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)

    def calls(self, wanted: str) -> bool:
        """Whether ``wanted`` (lower case) is this entry's name or one of its aliases."""
        return wanted == self.name.lower() or wanted in (a.lower() for a in self.aliases)


class Registry(Generic[T]):
    """Built-ins and the plug-ins of one entry-point group, found by name, alias or suffix.

    Args:
        group: the entry-point group plug-ins register under.
        noun: what an entry is called in messages ("format", "export format").
        builtins: the built-in table, in the order it is listed.
        make: turns a loaded object into an entry (instantiates a class, checks the
            interface); it raises ``TypeError`` for an object that is not one.
        describe: name, aliases, suffixes and description of a loaded plug-in's entry.
    """

    def __init__(
        self,
        *,
        group: str,
        noun: str,
        builtins: Iterable[Builtin],
        make: Callable[[Any], T],
        describe: Callable[[str, T], Builtin],
    ) -> None:
        self.group = group
        self.noun = noun
        self.builtins = {b.name: b for b in builtins}
        self._make = make
        self._describe = describe
        self._entry_points: dict[str, EntryPoint] | None = None
        self._plugins: list[tuple[Builtin, T]] | None = None

    def clear(self) -> None:
        """Forget the plug-ins found so far (after installing one, and in tests)."""
        self._entry_points = None
        self._plugins = None

    # --- looking up -------------------------------------------------------------------------

    def builtin(self, name: str) -> Builtin | None:
        """The built-in called ``name`` (name or alias, any case)."""
        wanted = name.strip().lower()
        return next((b for b in self.builtins.values() if b.calls(wanted)), None)

    def get(self, name: str) -> T | None:
        """The entry called ``name`` (name or alias, any case); None when there is none.

        Raises:
            PluginError: ``name`` is a plug-in's entry-point name and it fails to load.
        """
        info = self.builtin(name)
        if info is not None:
            return self._make(info.load())
        wanted = name.strip().lower()
        point = self.entry_points().get(wanted)
        if point is not None:
            return self._load(point)
        return next((obj for info, obj in self.plugins() if info.calls(wanted)), None)

    def for_suffix(self, suffix: str) -> T | None:
        """The entry claiming a file suffix (``.bib``; any case); built-ins first."""
        wanted = "." + suffix.lower().lstrip(".")
        for info in self.builtins.values():
            if wanted in info.suffixes:
                return self._make(info.load())
        for info, obj in self.plugins():
            if wanted in ("." + s.lower().lstrip(".") for s in info.suffixes):
                return obj
        return None

    # --- listing ----------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every name, built-ins first, without loading any plug-in."""
        return [*self.builtins, *(n for n in self.entry_points() if n not in self.builtins)]

    def available(self) -> Iterator[Builtin]:
        """Every entry's description: the built-ins, then each plug-in that loads."""
        yield from self.builtins.values()
        for info, _obj in self.plugins():
            if info.name not in self.builtins:
                yield info

    # --- plug-ins ---------------------------------------------------------------------------

    def entry_points(self) -> dict[str, EntryPoint]:
        """The group's entry points by (lower-cased) name, not loaded."""
        if self._entry_points is None:
            found = entry_points(group=self.group)
            self._entry_points = {ep.name.lower(): ep for ep in found}
        return self._entry_points

    def plugins(self) -> list[tuple[Builtin, T]]:
        """Every plug-in that loads, with its description; the others are skipped with a
        :class:`PluginWarning` each (once: the result is kept)."""
        if self._plugins is None:
            loaded: list[tuple[Builtin, T]] = []
            for point in self.entry_points().values():
                try:
                    obj = self._load(point)
                except PluginError as exc:
                    warnings.warn(f"{exc.message} It is skipped.", PluginWarning, stacklevel=2)
                    continue
                loaded.append((self._describe(point.name, obj), obj))
            self._plugins = loaded
        return self._plugins

    def _load(self, point: EntryPoint) -> T:
        try:
            return self._make(point.load())
        except Exception as exc:  # a third-party import can fail in any way
            package = point.dist.name if point.dist is not None else "an installed package"
            raise PluginError(
                f"The {self.noun} plug-in '{point.name}' ({point.value}, from {package}) "
                f"could not be loaded: {type(exc).__name__}: {exc}.",
                hint=f"Reinstall or update {package}, or uninstall it if you do not use it.",
            ) from exc
