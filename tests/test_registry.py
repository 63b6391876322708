"""One registry, one policy for a broken plug-in, for output formats and exporters alike.

The plug-ins are a real distribution (a ``.dist-info`` folder with ``entry_points.txt``) on
``sys.path``, found by importlib.metadata as an installed package would be: one plug-in per
group that works, and one whose module does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cytobib.errors import PluginError, PluginWarning, UnknownFormatError
from cytobib.exports import registry as exports_registry
from cytobib.formats import registry as formats_registry

MODULE = """
class Shout:
    name = "shout"
    aliases = ("loud", "bib")
    suffixes = (".shout", ".ris")
    description = "Keys in capitals."

    def render(self, records, options):
        return "".join(r.key.upper() + "\\n" for r in records)


class Upper:
    name = "upper"
    binary = False

    def reading_list(self, view, ctx):
        return view.title.upper()
"""

ENTRY_POINTS = """\
[cytobib.exporters]
shout = cytobib_test_plugins:Shout
broken = cytobib_test_plugins_missing:Thing

[cytobib.formats]
upper = cytobib_test_plugins:Upper
broken = cytobib_test_plugins_missing:Thing
"""


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plug-in distribution installed (on sys.path) for the length of one test."""
    site = tmp_path / "site"
    info = site / "cytobib_test_plugins-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cytobib-test-plugins\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    (site / "cytobib_test_plugins.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    for registry in (exports_registry.REGISTRY, formats_registry.REGISTRY):
        registry.clear()
    yield
    for registry in (exports_registry.REGISTRY, formats_registry.REGISTRY):
        registry.clear()


Find = Callable[[str], Any]
BY_NAME: dict[str, Find] = {
    "exporters": exports_registry.find_exporter,
    "formats": formats_registry.get,
}


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize(("group", "working"), [("exporters", "shout"), ("formats", "upper")])
def test_working_plugin_found_by_name(group: str, working: str) -> None:
    """A third-party entry is found by its name next to a broken one."""
    assert BY_NAME[group](working).name == working


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("group", ["exporters", "formats"])
def test_broken_plugin_asked_for_by_name_fails_clearly(group: str) -> None:
    """Asking for the broken plug-in by name is a PluginError naming it, its package and the
    import failure, not a traceback."""
    with pytest.raises(PluginError) as info:
        BY_NAME[group]("broken")
    message = info.value.message
    assert "'broken'" in message
    assert "cytobib-test-plugins" in message
    assert "cytobib_test_plugins_missing" in message
    assert info.value.hint is not None


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("group", ["exporters", "formats"])
def test_builtins_do_not_load_plugins(group: str, recwarn: pytest.WarningsRecorder) -> None:
    """A built-in is found without touching any plug-in: no warning about the broken one."""
    assert BY_NAME[group]("bibtex" if group == "exporters" else "md") is not None
    assert not [w for w in recwarn if issubclass(w.category, PluginWarning)]


@pytest.mark.usefixtures("installed")
def test_exporter_listing_skips_the_broken_plugin_with_a_warning() -> None:
    """Listing loads every plug-in: the broken one is skipped with a warning naming it."""
    with pytest.warns(PluginWarning, match=r"'broken'.*skipped"):
        names = [name for name, *_ in exports_registry.available()]
    assert names[-1] == "shout"
    assert "broken" not in names


@pytest.mark.usefixtures("installed")
def test_exporter_alias_and_suffix_skip_the_broken_plugin_with_a_warning() -> None:
    """Lookups that must load plug-ins (an alias, a suffix) skip the broken one, warning."""
    with pytest.warns(PluginWarning, match="'broken'"):
        assert exports_registry.find_exporter("LOUD").name == "shout"
    assert exports_registry.find_exporter(path="keys.shout").name == "shout"


@pytest.mark.usefixtures("installed")
def test_plugin_cannot_shadow_a_builtin() -> None:
    """Built-in names, aliases and suffixes win over a plug-in claiming them."""
    assert exports_registry.find_exporter("bib").name == "bibtex"
    assert exports_registry.find_exporter(path="refs.ris").name == "ris"


@pytest.mark.usefixtures("installed")
def test_format_suffix_lookup_skips_the_broken_plugin_with_a_warning() -> None:
    """An unknown suffix is still an unknown format, after a warning about the broken one."""
    with pytest.warns(PluginWarning, match="'broken'"), pytest.raises(UnknownFormatError):
        formats_registry.for_path("list.nope")


@pytest.mark.usefixtures("installed")
def test_format_names_list_plugins_without_loading_them(recwarn: pytest.WarningsRecorder) -> None:
    """Names come from the entry points: a broken plug-in is listed (asking for it explains)."""
    assert {"upper", "broken"} <= set(formats_registry.names())
    assert not [w for w in recwarn if issubclass(w.category, PluginWarning)]


@pytest.mark.usefixtures("installed")
def test_cli_broken_plugin_by_name_exits_2(cli: Any, make_project: Callable[..., Path]) -> None:
    """`cytobib export --to broken`: exit 2, one error line and a hint, no traceback."""
    root = make_project("@misc{a, title = {T}}\n")
    result = cli("export", "-C", root, "--to", "broken")
    assert result.code == 2
    assert result.err.startswith("error: The export format plug-in 'broken'")
    assert "hint: " in result.err
    assert "Traceback" not in result.err


@pytest.mark.usefixtures("installed")
def test_cli_listing_warns_once_and_succeeds(cli: Any) -> None:
    """`cytobib export --list-formats` lists the working plug-in and warns about the other."""
    result = cli("export", "--list-formats")
    assert result.code == 0
    assert "shout" in result.out
    warnings = [line for line in result.err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1
    assert "'broken'" in warnings[0]
