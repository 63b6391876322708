"""cytobib.toml: discovery, defaults, path resolution, validation and environment overrides."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cytobib.config import CONFIG_NAME, DEFAULT_TOML, find_config, load_config
from cytobib.errors import ConfigError


def write_toml(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file(tmp_path: Path) -> None:
    """Without cytobib.toml the library is library.bib + annotations/ in the start folder."""
    config = load_config(start=tmp_path)
    assert config.path is None
    assert (config.bib, config.annotations) == (
        tmp_path.resolve() / "library.bib",
        tmp_path.resolve() / "annotations",
    )
    assert config.max_bib_mb == 64


def test_default_toml_matches_defaults(tmp_path: Path) -> None:
    """The file `cytobib init` writes parses to the built-in defaults."""
    config = load_config(write_toml(tmp_path, DEFAULT_TOML))
    default = load_config(start=tmp_path / "elsewhere")
    assert (config.max_bib_mb, config.style, config.group_by, config.mailto) == (
        default.max_bib_mb,
        default.style,
        default.group_by,
        default.mailto,
    )
    assert config.bib == tmp_path.resolve() / "library.bib"


def test_found_from_subfolder(tmp_path: Path) -> None:
    """The nearest cytobib.toml above the start folder is used."""
    path = write_toml(tmp_path, "")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_config(sub) == path
    assert load_config(start=sub).root == tmp_path.resolve()


def test_paths_relative_to_config(tmp_path: Path) -> None:
    """Relative paths in cytobib.toml are relative to its folder, not to the cwd."""
    path = write_toml(tmp_path, '[library]\nbib = "refs/main.bib"\nannotations = "notes"\n')
    config = load_config(path)
    assert config.bib == tmp_path.resolve() / "refs" / "main.bib"
    assert config.annotations == tmp_path.resolve() / "notes"


def test_invalid_toml_names_line(tmp_path: Path) -> None:
    """A TOML syntax error is a ConfigError located at its line."""
    path = write_toml(tmp_path, '[library]\nbib = "library.bib\nmax_bib_mb = 2\n')
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_config(path)
    assert info.value.where is not None
    assert info.value.where.line == 2
    assert str(info.value).startswith(f"{path}:2: ")


def test_not_utf8_toml(tmp_path: Path) -> None:
    """A cytobib.toml that is not UTF-8 is a ConfigError, not a UnicodeDecodeError."""
    path = tmp_path / CONFIG_NAME
    path.write_bytes(b'[crossref]\nmailto = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_wrong_type_is_config_error(tmp_path: Path) -> None:
    """A value of the wrong type is a ConfigError naming the setting."""
    path = write_toml(tmp_path, "[library]\nbib = 3\n")
    with pytest.raises(ConfigError, match="'bib' must be a string"):
        load_config(path)


@pytest.mark.parametrize("value", ["0", "-1", '"64"', "true", "1.5"])
def test_max_bib_mb_must_be_positive_int(tmp_path: Path, value: str) -> None:
    """max_bib_mb accepts only a positive whole number."""
    path = write_toml(tmp_path, f"[library]\nmax_bib_mb = {value}\n")
    with pytest.raises(ConfigError, match="max_bib_mb"):
        load_config(path)


def test_table_must_be_table(tmp_path: Path) -> None:
    """A section given as a plain value is a ConfigError."""
    path = write_toml(tmp_path, 'library = "library.bib"\n')
    with pytest.raises(ConfigError, match=r"\[library\] must be a table"):
        load_config(path)


def test_agents_must_be_tables(tmp_path: Path) -> None:
    """`agents` that is not an array of tables is a ConfigError."""
    path = write_toml(tmp_path, 'agents = ["il2"]\n')
    with pytest.raises(ConfigError, match=r"\[\[agents\]\]"):
        load_config(path)


def test_agents_are_read(tmp_path: Path) -> None:
    """[[agents]] tables are passed on as mappings."""
    path = write_toml(tmp_path, '[[agents]]\nid = "x"\nsynonyms = ["y"]\n')
    assert load_config(path).agents == ({"id": "x", "synonyms": ["y"]},)


def test_format_list_from_string(tmp_path: Path) -> None:
    """A comma-separated string is accepted where a list of formats is expected."""
    path = write_toml(tmp_path, '[output]\nreading_list = "md, html,docx"\n')
    assert load_config(path).reading_list_formats == ("md", "html", "docx")


def test_group_by_none(tmp_path: Path) -> None:
    """group_by = "none" switches grouping off."""
    path = write_toml(tmp_path, '[output]\ngroup_by = "none"\n')
    assert load_config(path).group_by is None


def test_mailto_from_file(tmp_path: Path) -> None:
    """The Crossref contact address is read from [crossref]."""
    path = write_toml(tmp_path, '[crossref]\nmailto = "me@example.org"\n')
    assert load_config(path).mailto == "me@example.org"


def test_mailto_env_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CYTOBIB_MAILTO wins over the file (it differs per person, not per project)."""
    path = write_toml(tmp_path, '[crossref]\nmailto = "me@example.org"\n')
    monkeypatch.setenv("CYTOBIB_MAILTO", "other@example.org")
    assert load_config(path).mailto == "other@example.org"


def test_empty_mailto_is_none(tmp_path: Path) -> None:
    """The default empty mailto means no contact address."""
    assert load_config(write_toml(tmp_path, DEFAULT_TOML)).mailto is None


def test_crossref_url_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CYTOBIB_CROSSREF_URL points cytobib at another Crossref (a test server)."""
    monkeypatch.setenv("CYTOBIB_CROSSREF_URL", "http://127.0.0.1:9/")
    assert load_config(start=tmp_path).crossref_url == "http://127.0.0.1:9/"


def test_cache_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CYTOBIB_CACHE_DIR decides where caches live."""
    monkeypatch.setenv("CYTOBIB_CACHE_DIR", str(tmp_path / "c"))
    assert load_config(start=tmp_path).cache_dir == tmp_path / "c"


def test_default_toml_is_valid_toml() -> None:
    """The template `cytobib init` writes is valid TOML with the three sections."""
    assert {"library", "crossref", "output"} <= set(tomllib.loads(DEFAULT_TOML))
