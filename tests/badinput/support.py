"""Shared pieces of the bad-input suites (no tests of its own).

Every request here is sent as a client would send it, and every refusal is
checked against a snapshot of the whole directory, operational attributes
(``entryCSN``, ``modifyTimestamp``) included: a refused request that wrote
anything, even a value it then put back, shows up.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.integration.test_entra_support import scim_body
from tests.support import JSON, SCIM, Stack, snapshot

__all__ = [
    "BIND_DN_PIECE",
    "Answer",
    "Client",
    "State",
    "directory_state",
    "fill",
    "found_ids",
    "quoted",
    "send",
]

Client = TestClient[web.Request, web.Application]
State = list[tuple[str, dict[str, list[str]]]]
"""A directory snapshot: (DN, attributes) for every entry, sorted."""

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


def directory_state(stack: Stack) -> State:
    """Every entry of the directory with every attribute, for equality."""
    conn = stack.admin()
    try:
        return snapshot(conn)
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
    """One request to ``/scim/v2/<path>``; the body goes as scim+json."""
    sent = dict(JSON) if body is not None else {}
    sent.update(headers or {})
    response = await client.request(
        method,
        f"{SCIM}/{path}",
        data=None if body is None else json.dumps(body),
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
