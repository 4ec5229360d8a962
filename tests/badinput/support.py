"""Shared pieces of the bad-input suites (no tests of its own).

Every request here is sent as a client would send it, and every refusal is
checked against the state of the directory before it. slapd gives every
write (add, modify, rename, delete, refint's repairs included) a change
sequence number, stamps it on the entry written (``entryCSN``), and
syncprov keeps the newest one on the suffix (``contextCSN``). So an equal
``contextCSN`` means that nothing at all was written, not even a value put
back; and the entries whose ``entryCSN`` is newer than a mark, with the
count of entries, say exactly what a write touched. Reading every
attribute of every entry (``tests.support.snapshot``) would say the same
but costs seconds once other suites have left thousands of entries; it is
used where the content of one entry matters (``entry_state``).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ldap3
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.integration.test_entra_support import scim_body
from tests.support import JSON, SCIM, Stack, snapshot

__all__ = [
    "BIND_DN_PIECE",
    "Answer",
    "Client",
    "Mark",
    "State",
    "directory_state",
    "entry_state",
    "fill",
    "found_ids",
    "quoted",
    "send",
    "written_since",
]

Client = TestClient[web.Request, web.Application]
State = list[tuple[str, dict[str, list[str]]]]
"""(DN, attributes) for some entries, sorted: the shape of ``snapshot``."""
SUFFIX = "dc=example,dc=org"

BIND_DN_PIECE = "cn=scim-bridge"
"""The bridge's own bind DN starts so; no answer may name it."""


@dataclass(frozen=True)
class Answer:
    """A response's status and parsed SCIM body (None for an empty one)."""

    status: int
    body: Any

    @property
    def detail(self) -> str:
        """The error detail, or "" when the body is not an error."""
        if not isinstance(self.body, dict):
            return ""
        return str(self.body.get("detail") or "")


@dataclass(frozen=True)
class Mark:
    """Where the directory stands: its newest write, and how many entries."""

    csn: str
    entries: int


def directory_state(stack: Stack) -> Mark:
    """The directory's mark; two equal marks mean nothing was written."""
    conn = stack.admin()
    try:
        conn.search(SUFFIX, "(objectClass=*)", ldap3.BASE, attributes=["contextCSN"])
        csn = str(conn.entries[0].contextCSN.value)
        conn.search(SUFFIX, "(objectClass=*)", attributes=["1.1"])
        return Mark(csn, len(conn.entries))
    finally:
        conn.unbind()


def written_since(stack: Stack, mark: Mark) -> list[str]:
    """The DNs of the entries written after ``mark``, sorted."""
    conn = stack.admin()
    try:
        newer = f"(&(entryCSN>={mark.csn})(!(entryCSN={mark.csn})))"
        conn.search(SUFFIX, newer, attributes=["1.1"])
        return sorted(e.entry_dn for e in conn.entries)
    finally:
        conn.unbind()


def entry_state(stack: Stack, dn: str) -> State:
    """One entry with every attribute, operational ones included."""
    conn = stack.admin()
    try:
        return snapshot(conn, dn)
    finally:
        conn.unbind()


def fill(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` with ``{user}``-style placeholders in every string replaced
    (other braces are left alone: generated text may hold some)."""
    if isinstance(value, str):
        for name, replacement in names.items():
            value = value.replace(f"{{{name}}}", replacement)
        return value
    if isinstance(value, list | tuple):
        return type(value)(fill(item, names) for item in value)
    if isinstance(value, dict):
        return {fill(k, names): fill(v, names) for k, v in value.items()}
    return value


async def send(
    client: Client,
    method: str,
    path: str,
    body: Any = None,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """One request to ``/scim/v2/<path>``; the body goes as scim+json
    (bytes are sent as they are)."""
    sent = dict(JSON) if body is not None else {}
    sent.update(headers or {})
    response = await client.request(
        method,
        f"{SCIM}/{path}",
        data=body if body is None or isinstance(body, bytes) else json.dumps(body),
        params=params,
        headers=sent,
    )
    if response.status == 204:
        return Answer(204, None)
    return Answer(response.status, await scim_body(response))


def quoted(value: str) -> str:
    """A SCIM filter string literal holding exactly ``value``."""
    return json.dumps(value, ensure_ascii=False)


async def found_ids(client: Client, endpoint: str, scim_filter: str) -> Answer:
    """A POST ``/.search`` with this filter (no URL length limit applies);
    the answer's body is the sorted list of ids found when it is 200."""
    query = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": scim_filter,
        "count": 1000,
    }
    answer = await send(client, "POST", f"{endpoint}/.search", query)
    if answer.status != 200:
        return answer
    ids = sorted(item["id"] for item in answer.body.get("Resources", []))
    assert answer.body["totalResults"] == len(ids)
    return Answer(200, ids)
