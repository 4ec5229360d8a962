"""SlapdSpec validation, LDIF rendering and the package's boundaries.

These run without slapd: they check what is written, not how slapd takes it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import bridge.slapd
from bridge.slapd import (
    LocalSlapd,
    ServiceAccount,
    SlapdNotInstalled,
    SlapdSpec,
    schema_ldif_path,
    tools,
)
from bridge.slapd.config import render_config, render_data
from bridge.slapd.layout import Layout
from bridge.slapd.ldif import render_entry, ssha

from .support import PEOPLE, READER, WRITER, bridge_spec

PACKAGE_DIR = Path(bridge.slapd.__file__).parent
NOWHERE = Layout.inside(Path("/nonexistent/scim-slapd"))


def _definitions(text: str) -> list[str]:
    # Each definition is the parenthesised text after its keyword, with
    # whitespace collapsed, so the two file formats compare equal.
    flat = " ".join(text.split())
    keyword = r"(?:olcAttributeTypes:|olcObjectClasses:|attributetype|objectclass)"
    return re.findall(keyword + r" (\(.*?\)) (?=" + keyword + r"|$)", flat + " ")


def test_a_service_account_inside_a_managed_unit_is_refused() -> None:
    """Accounts under people or groups would be synced as users: refused."""
    account = ServiceAccount(dn=f"cn=bad,{PEOPLE}", password="x", role="writer")

    with pytest.raises(ValueError, match="inside managed unit"):
        SlapdSpec(service_accounts=(account,))


def test_a_unique_base_outside_the_suffix_is_refused() -> None:
    """A unique overlay URI must name a base inside the database."""
    with pytest.raises(ValueError, match="not under"):
        SlapdSpec(suffix="dc=other,dc=test")


def test_managed_units_must_be_created_units() -> None:
    """A managed unit that is not created would leave ACLs on nothing."""
    with pytest.raises(ValueError, match="managed units"):
        SlapdSpec(managed_units=("people", "staff"))


def test_the_password_never_appears_in_a_repr() -> None:
    """A spec printed in a log or a test failure shows no password."""
    assert WRITER.password not in repr(bridge_spec())


def test_rendered_ldif_holds_hashes_not_passwords() -> None:
    """Config and data LDIF carry {SSHA} hashes, never a plain password."""
    spec = bridge_spec()

    text = render_config(spec, NOWHERE, ssha("root-secret"))
    text += render_data(spec)

    for secret in ("root-secret", WRITER.password, READER.password):
        assert secret not in text
    assert text.count("{SSHA}") == 3


def test_replication_indexes_are_always_present_once() -> None:
    """objectClass, entryUUID, entryCSN get eq, merged whatever the case."""
    spec = SlapdSpec(indexes=(("objectclass", "pres"), ("uid", "eq")))

    text = render_config(spec, NOWHERE, ssha("r"))
    lines = re.findall(r"^olcDbIndex: (.*)$", text, re.MULTILINE)

    assert lines == ["objectClass eq,pres", "entryUUID eq", "entryCSN eq", "uid eq"]


def test_unsafe_ldif_values_are_base64() -> None:
    """Values with a leading space or non-ASCII text are written base64."""
    text = render_entry("cn=x", [("description", " lead"), ("sn", "Müller")])

    assert "description:: IGxlYWQ=" in text
    assert "sn:: TcO8bGxlcg==" in text


def test_the_slapd_conf_schema_twin_matches_the_ldif() -> None:
    """scim-bridge.schema defines exactly what scim-bridge.ldif defines."""
    ldif = schema_ldif_path().read_text()
    twin = schema_ldif_path().with_suffix(".schema").read_text()

    assert len(_definitions(ldif)) == 7
    assert _definitions(twin) == _definitions(ldif)


def test_missing_programs_name_the_debian_packages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without slapd and ldap-utils, start() says which packages to install."""
    monkeypatch.setattr(tools, "_SEARCH_PATH", str(NOWHERE.root))

    with pytest.raises(SlapdNotInstalled, match="packages ldap-utils and slapd"):
        LocalSlapd(bridge_spec()).start()


def test_only_loopback_addresses_are_accepted() -> None:
    """The launcher refuses to listen anywhere but IPv4 loopback."""
    with pytest.raises(ValueError, match="loopback"):
        LocalSlapd(bridge_spec(), host="0.0.0.0")


def test_the_package_never_imports_ldap3() -> None:
    """Only bridge.directory may import ldap3; bridge.slapd uses subprocess."""
    imported: set[str] = set()
    for path in PACKAGE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)

    assert not {name for name in imported if name.split(".")[0] == "ldap3"}


def test_the_public_surface_is_stable() -> None:
    """bridge.slapd exports exactly the names other packages may rely on."""
    assert sorted(bridge.slapd.__all__) == [
        "LocalSlapd",
        "Role",
        "ServiceAccount",
        "SlapdError",
        "SlapdNotInstalled",
        "SlapdSpec",
        "TlsFiles",
        "schema_ldif_path",
    ]
