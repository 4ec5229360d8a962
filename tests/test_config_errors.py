"""Configuration mistakes are named: file or key, and what is wrong."""

from pathlib import Path

import pytest

from bridge.config import load_settings
from bridge.errors import ConfigError
from bridge.mapping.load import load_mapping


def test_an_unknown_profile_lists_the_shipped_ones() -> None:
    """mapping: <typo> says which profiles exist."""
    with pytest.raises(ConfigError) as caught:
        load_mapping("recrods")

    assert "shipped profiles: inetorgperson, records" in str(caught.value)


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    """The message carries the file name, not '<unicode string>'."""
    path = tmp_path / "config.yaml"
    path.write_text("port: 8080\nlimits: [oops\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert str(path) in str(caught.value)
    assert "<unicode string>" not in str(caught.value)


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    """A misspelt setting is refused with its key."""
    path = tmp_path / "config.yaml"
    path.write_text("directory:\n  pool_sise: 4\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert caught.value.key == "directory.pool_sise"
