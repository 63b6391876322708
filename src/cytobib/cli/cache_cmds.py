"""`cytobib cache info` and `cytobib cache clear`: see and empty the cache (cytobib.store)."""

from __future__ import annotations

from typing import Annotated

import typer

from cytobib import store
from cytobib.cli import app
from cytobib.cli._common import ProjectOpt
from cytobib.cli._output import say
from cytobib.library import settings

cache_app = typer.Typer(
    help="See where cytobib's cache is and what it holds, or empty it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(cache_app, name="cache")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def describe(shown: store.CacheInfo, max_bytes: int) -> str:
    """The text of `cytobib cache info`."""
    lines = [
        f"cache folder:   {shown.root}",
        f"caching:        {'off: ' + shown.off if shown.off else 'on'}",
        f"this project:   {shown.store} ({_mb(shown.store_bytes)} on disk, cap {_mb(max_bytes)})",
    ]
    if shown.tables:
        width = max(len(t.name) for t in shown.tables)
        lines.append(f"  {'table':<{width}}  {'entries':>9}  {'MB':>8}")
        lines += [
            f"  {t.name:<{width}}  {t.entries:>9,}  {t.bytes / 1e6:>8.1f}" for t in shown.tables
        ]
    lines.append(f"other projects: {shown.other_stores} stores, {_mb(shown.other_bytes)}")
    lines.append(f"crossref:       {_mb(shown.crossref_bytes)} of answers")
    if shown.legacy_files:
        lines.append(
            f"older caches:   {shown.legacy_files} files, {_mb(shown.legacy_bytes)} "
            "(`cytobib cache clear --all` deletes them)"
        )
    return "\n".join(lines)


@cache_app.command("info")
def info(root: ProjectOpt = None) -> None:
    """Show where the cache is, how big it is, and the entries of each table."""
    config = settings(root)
    say(describe(store.info(config.root), store.cap_bytes()))


@cache_app.command("clear")
def clear(
    everything: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every project's cache, the Crossref answers and older cache files too.",
        ),
    ] = False,
    root: ProjectOpt = None,
) -> None:
    """Delete this project's cached values (always safe: they are made again when needed)."""
    config = settings(root)
    done = store.clear(config.root, everything=everything)
    say(f"deleted {done.files} cache files ({_mb(done.bytes)}) from {store.cache_root()}")
