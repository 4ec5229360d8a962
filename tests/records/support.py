"""Helpers for the records-system tests: run the reader, check both sides."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import ldap3

from tests.records.reader import RecordsImport, SyncSettings, read_directory
from tests.support import Stack

__all__ = [
    "GROUPS",
    "PEOPLE",
    "link_problems",
    "refint_repairs",
    "run_sync",
    "sync_settings",
]

PEOPLE = "ou=people,dc=example,dc=org"
GROUPS = "ou=groups,dc=example,dc=org"


def sync_settings(stack: Stack, **changes: object) -> SyncSettings:
    """Constellio's settings as the records-system admin guide gives them."""
    settings = SyncSettings(
        url=stack.slapd.uri,
        sync_dn=stack.reader.dn,
        sync_password=stack.reader.password,
        user_bases=(PEOPLE,),
        group_bases=(GROUPS,),
    )
    return replace(settings, **changes)  # type: ignore[arg-type]


async def run_sync(stack: Stack, **changes: object) -> RecordsImport:
    """One records-system import, off the event loop (ldap3 blocks)."""
    return await asyncio.to_thread(read_directory, sync_settings(stack, **changes))


def _raw(
    conn: ldap3.Connection, base: str, object_class: str, attribute: str
) -> dict[str, list[str]]:
    """Entry DN → exact values of one attribute, as slapd stores them."""
    conn.search(
        base, f"(objectClass={object_class})", ldap3.SUBTREE, attributes=[attribute]
    )
    found = {}
    for item in conn.response or []:
        if item.get("type") != "searchResEntry":
            continue
        values: list[bytes] = next(
            (
                v
                for k, v in item["raw_attributes"].items()
                if k.lower() == attribute.lower()
            ),
            [],
        )
        found[item["dn"]] = [v.decode("utf-8") for v in values]
    return found


def link_problems(conn: ldap3.Connection) -> list[str]:
    """Every way ``member`` and ``groupMembership`` disagree, as text.

    Compared as exact strings, as the records system compares them: a
    value naming an entry under another spelling counts as a problem.
    """
    members = _raw(conn, GROUPS, "group", "member")
    backs = _raw(conn, PEOPLE, "person", "groupMembership")
    problems = [
        f"member of {group} points at a missing entry: {dn}"
        for group, dns in members.items()
        for dn in dns
        if dn not in backs
    ]
    problems += [
        f"groupMembership of {user} points at a missing group: {dn}"
        for user, dns in backs.items()
        for dn in dns
        if dn not in members
    ]
    group_side = {(g, u) for g, dns in members.items() for u in dns}
    user_side = {(g, u) for u, dns in backs.items() for g in dns}
    problems += [
        f"{u} in member of {g} only" for g, u in sorted(group_side - user_side)
    ]
    problems += [
        f"{g} in groupMembership of {u} only" for g, u in sorted(user_side - group_side)
    ]
    return problems


REFINT = "cn=Referential Integrity Overlay"
"""refint's default modifiersName: the mark it leaves on what it repairs."""


def refint_repairs(conn: ldap3.Connection) -> set[str]:
    """Entries refint last modified: references the bridge left behind.

    refint repairs within milliseconds, so a check right after a request can
    miss a reference the bridge forgot; the mark it leaves cannot be missed.
    """
    conn.search(
        "dc=example,dc=org",
        f"(modifiersName={REFINT})",
        ldap3.SUBTREE,
        attributes=["1.1"],
    )
    return {
        item["dn"]
        for item in conn.response or []
        if item.get("type") == "searchResEntry"
    }
