"""Configuration mistakes are named: file or key, and what is wrong."""

from pathlib import Path

import pytest

from bridge.config import load_settings
from bridge.errors import ConfigError
from bridge.mapping.load import PROFILES, load_mapping
from bridge.scim.targets import unknown_targets


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


def _mapping_with(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped general profile with one line changed, as an admin would."""
    text = (Path(__file__).parent.parent / "mappings" / "inetorgperson.yaml").read_text(
        encoding="utf-8"
    )
    assert old in text
    path = tmp_path / "mine.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key", "piece"),
    [
        pytest.param(
            "    - {scim: title, ldap: title}",
            "    - {scim: title, ldap: title}\n    - {scim: userType, ldap: title}",
            "users",
            "LDAP attributes written by two SCIM attributes: ['title']",
            id="one-ldap-attribute-twice",
        ),
        pytest.param(
            "    - {scim: title, ldap: title}",
            "    - {scim: title, ldap: userPassword}",
            "users.attributes.4.ldap",
            "holds passwords",
            id="a-password-attribute",
        ),
    ],
)
def test_a_mapping_mistake_is_refused_at_load(
    tmp_path: Path, old: str, new: str, key: str, piece: str
) -> None:
    """Mistakes that would lose or leak data later are refused with the key."""
    path = _mapping_with(tmp_path, old, new)

    with pytest.raises(ConfigError) as caught:
        load_mapping(str(path))

    assert caught.value.key == key
    assert piece in str(caught.value)


def test_the_example_config_is_valid_as_shipped() -> None:
    """config.example.yaml loads: admins copy it, so it must not rot."""
    settings = load_settings(Path(__file__).parent.parent / "config.example.yaml")

    assert (settings.host, settings.mapping) == ("127.0.0.1", "records")
    assert settings.tokens.describe() == "the environment variable SCIM_BRIDGE_TOKENS"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{scim: 'urn:ietf:params:scim:schemas:core:2.0:User:nickName', ldap: o}",
         "core attributes are written without the schema URN"),
        ("{scim: 'nickName[type eq \"home\"]', ldap: o}",
         "only a multi-valued attribute takes [type eq ...]"),
        ("{scim: ims.value, ldap: o}", 'needs [type eq "..."]'),
        ("{scim: name, ldap: o}", "is complex: name a sub-attribute"),
        ("{scim: groups, ldap: o}", "is read-only in SCIM"),
        ("{scim: password, ldap: o}", "the bridge never stores passwords"),
        ("{scim: nickName, ldap: o, fallback: [name]}",
         "'name' is complex: name a sub-attribute"),
        ("{scim: 'name.middleNam', ldap: o}", "has no sub-attribute 'middleNam'"),
    ],
)  # fmt: skip
def test_a_scim_path_the_bridge_cannot_store_is_named(
    tmp_path: Path, line: str, problem: str
) -> None:
    """Each would be accepted by the loader and then drop or mangle values."""
    anchor = "    - {scim: title, ldap: title}"
    path = _mapping_with(tmp_path, anchor, f"{anchor}\n    - {line}")

    found = unknown_targets(load_mapping(str(path)))

    assert [key for key, _ in found] == [
        "users.attributes.5.fallback"
        if "fallback" in line
        else "users.attributes.5.scim"
    ]
    assert problem in found[0][1]


def test_the_shipped_profiles_have_no_scim_path_problem() -> None:
    """The check refuses nothing the project itself ships."""
    assert [unknown_targets(load_mapping(name)) for name in PROFILES] == [[], []]
