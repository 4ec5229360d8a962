"""The emulated reader is as strict as the tests need it to be.

The cycle tests are only as good as the reader: these tests show it fails
where Constellio would silently import too little, and that the records
slapd lets it in the way Constellio comes in.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import ldap3
import pytest

from tests.records.reader import (
    SyncAborted,
    SyncSettings,
    TruncatedRead,
    read_directory,
)
from tests.records.support import sync_settings
from tests.records.tenant import EntraUser, Tenant
from tests.support import Stack

PERSON = ["top", "person", "organizationalPerson", "inetOrgPerson"]


@pytest.fixture
def scratch_unit(records_stack: Stack) -> Iterator[str]:
    """A unit outside the bridge's bases, written by root, removed after."""
    unit = f"ou=reader-{secrets.token_hex(3)},dc=example,dc=org"
    conn = records_stack.admin()
    conn.add(unit, ["organizationalUnit"])
    yield unit
    conn.search(unit, "(objectClass=*)", ldap3.SUBTREE, attributes=["1.1"])
    for dn in sorted((e["dn"] for e in conn.response or []), key=len, reverse=True):
        conn.delete(dn)


def _scratch_settings(stack: Stack, unit: str) -> SyncSettings:
    """Read only the scratch unit, as root (the sync account may not)."""
    return sync_settings(
        stack,
        sync_dn=stack.slapd.root_dn,
        sync_password=stack.slapd.root_password,
        user_bases=(unit,),
        group_bases=(unit,),
    )


def test_the_records_slapd_accepts_the_anonymous_bind_but_shows_nothing(
    records_stack: Stack,
) -> None:
    """Constellio binds anonymously first: allowed, yet anonymous reads see nothing."""
    conn = ldap3.Connection(
        ldap3.Server(records_stack.slapd.uri), raise_exceptions=False
    )

    bound = conn.bind()
    conn.search("ou=people,dc=example,dc=org", "(objectClass=*)", attributes=["uid"])

    assert bound is True
    assert conn.response == []


def test_a_dangling_member_aborts_the_import(
    records_stack: Stack, scratch_unit: str
) -> None:
    """A member DN that does not exist stops the run, as it does in Constellio."""
    conn = records_stack.admin()
    conn.add(
        f"cn=ghostly,{scratch_unit}",
        ["top", "group"],
        {"member": [f"uid=nobody,{scratch_unit}"]},
    )
    settings = _scratch_settings(records_stack, scratch_unit)

    with pytest.raises(SyncAborted, match="does not exist"):
        read_directory(settings)


def test_groups_are_coded_by_dn_and_titled_by_cn(
    records_stack: Stack, scratch_unit: str
) -> None:
    """Group code = entry DN as returned, title = first cn; users need no group."""
    conn = records_stack.admin()
    conn.add(f"uid=ann,{scratch_unit}", PERSON, {"uid": "Ann", "cn": "Ann", "sn": "A"})
    conn.add(
        f"cn=Team,{scratch_unit}",
        ["top", "group"],
        {"member": [f"uid=ann,{scratch_unit}"]},
    )
    settings = _scratch_settings(records_stack, scratch_unit)

    result = read_directory(settings)

    assert [(g.code, g.title) for g in result.groups.values()] == [
        (f"cn=Team,{scratch_unit}", "Team")
    ]
    # member alone creates no assignment: only groupMembership does.
    assert result.users["ann"].groups == ()


async def test_a_truncated_paged_search_fails_the_import(
    records_client: object, records_stack: Stack
) -> None:
    """A read cut short by a size limit raises instead of looking complete."""
    tenant = Tenant(records_client)
    tag = secrets.token_hex(3)
    for i in range(3):
        await tenant.create_user(
            EntraUser(
                f"t{i}.{tag}@example.org",
                f"T {i}",
                "T",
                f"N{i}",
                f"t{i}.{tag}@example.org",
            )
        )

    with pytest.raises(TruncatedRead, match="failed after"):
        read_directory(sync_settings(records_stack, size_limit=2))
