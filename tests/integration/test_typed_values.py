"""Typed values the mapping has no slot for are dropped, like unmapped
attributes, and the rest of the request lands.

Entra's default user mapping sends ``phoneNumbers[type eq "fax"]``, which
the records profile does not store, and some tenants send an ``other``
address; refusing them made every such user's create fail (found running
Microsoft's SCIM validation collection, whose users carry ``home`` emails).
"""

import json
import uuid
from typing import Any

import pytest

from tests.support import JSON, SCIM, Stack, snapshot

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture(params=["general", "records"])
def stack(request: pytest.FixtureRequest) -> Stack:
    found: Stack = request.getfixturevalue(f"{request.param}_stack")
    return found


@pytest.fixture
async def http(aiohttp_client: Any, stack: Stack) -> Any:
    token = f"t-{uuid.uuid4().hex}{uuid.uuid4().hex}"
    client = await aiohttp_client(stack.app(token))
    client.session.headers["Authorization"] = f"Bearer {token}"
    return client


def _stored(stack: Stack, ident: str, *names: str) -> dict[str, list[str]]:
    conn = stack.admin()
    conn.search(
        stack.mapping.users.base, f"(entryUUID={ident})", attributes=list(names)
    )
    entry = conn.entries[0]
    return {name: [str(v) for v in entry[name].values] for name in names}


async def test_entries_of_types_not_stored_are_dropped_on_create(
    http: Any, stack: Stack
) -> None:
    name = f"typed-{uuid.uuid4().hex[:10]}"
    body = {
        "schemas": [CORE],
        "userName": f"{name}@example.org",
        "active": True,
        "externalId": str(uuid.uuid4()),
        "emails": [
            {"type": "home", "value": "home@example.org"},
            {"type": "work", "value": "work@example.org"},
            {"type": "work", "value": "second@example.org"},
        ],
        "phoneNumbers": [
            {"type": "fax", "value": "+1 555 0100"},
            {"type": "pager", "value": "+1 555 0101"},
            {"type": "mobile", "value": "+1 555 0102"},
        ],
        "addresses": [{"type": "other", "formatted": "Elsewhere"}],
    }
    answer = await http.post(f"{SCIM}/Users", data=json.dumps(body), headers=JSON)
    created = await answer.json(content_type=None)

    assert answer.status == 201, created
    # The first work email and the mobile number are stored; the answer
    # shows what the directory holds, nothing more.
    assert created["emails"] == [{"value": "work@example.org", "type": "work"}]
    stored = _stored(stack, created["id"], "mail", "mobile")
    assert stored == {"mail": ["work@example.org"], "mobile": ["+1 555 0102"]}
    fax = {"value": "+1 555 0100", "type": "fax"}
    holds_fax = "facsimileTelephoneNumber" in {
        a.ldap for a in stack.mapping.users.attributes
    }
    assert (fax in created["phoneNumbers"]) is holds_fax
    assert {"value": "+1 555 0101", "type": "pager"} not in created["phoneNumbers"]
    assert "addresses" not in created


async def test_a_patch_adding_a_type_not_stored_changes_nothing(
    http: Any, stack: Stack
) -> None:
    body = {
        "schemas": [CORE],
        "userName": f"typed-{uuid.uuid4().hex[:10]}@example.org",
        "active": True,
        "externalId": str(uuid.uuid4()),
    }
    answer = await http.post(f"{SCIM}/Users", data=json.dumps(body), headers=JSON)
    created = await answer.json(content_type=None)
    before = snapshot(stack.admin())
    operation = {
        "op": "Add",
        "path": 'emails[type eq "home"].value',
        "value": "home@example.org",
    }
    patch = {"schemas": [PATCH], "Operations": [operation]}

    answer = await http.patch(
        f"{SCIM}/Users/{created['id']}", data=json.dumps(patch), headers=JSON
    )

    assert answer.status == 200, await answer.text()
    assert "emails" not in await answer.json(content_type=None)
    assert snapshot(stack.admin()) == before
