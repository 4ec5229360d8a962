"""Entra's Test Connection, discovery reads and bearer-token checks.

``entra-client.md`` §2 and §4.1: the Secret Token guards every SCIM
endpoint, and every answer, errors included, is ``application/scim+json``.
"""

import json
import uuid

import pytest
from aiohttp.test_utils import TestClient

from tests.integration.test_entra_support import (
    ERROR,
    LIST,
    entra_user,
    entry,
    list_body,
    scim_body,
    user_dn,
)
from tests.support import JSON, SCIM, Stack, new_token


@pytest.fixture
async def anonymous(aiohttp_client, general_stack: Stack) -> TestClient:
    """A client in front of a bridge whose token it does not send."""
    return await aiohttp_client(general_stack.app(new_token()))


async def test_test_connection_filter_on_a_random_guid_is_an_empty_list(client):
    """Test Connection looks up a random GUID: 200 and an empty ListResponse."""
    guid = str(uuid.uuid4())

    body = await list_body(client, "Users", filter=f'userName eq "{guid}"')

    assert body == {
        "schemas": [LIST],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


async def test_schemas_read_on_saving_settings_is_a_list_response(client):
    """Saving the provisioning settings reads /Schemas: a ListResponse."""
    body = await list_body(client, "Schemas")

    ids = sorted(item["id"] for item in body["Resources"])
    assert body["schemas"] == [LIST]
    assert ids == sorted(
        [
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ]
    )


async def test_a_request_without_a_token_is_401_with_a_challenge(anonymous):
    """No Authorization header: 401, WWW-Authenticate and a SCIM error."""
    response = await anonymous.get(f"{SCIM}/Users")

    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await scim_body(response)) == {
        "schemas": [ERROR],
        "status": "401",
        "detail": "A valid bearer token is required",
    }


async def test_a_request_with_a_wrong_token_is_401_with_a_challenge(anonymous):
    """A bearer token the bridge does not hold: 401 like a missing one."""
    headers = {"Authorization": f"Bearer {new_token()}"}

    response = await anonymous.get(f"{SCIM}/Users", headers=headers)

    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await scim_body(response))["status"] == "401"


async def test_a_wrong_token_on_a_write_changes_nothing(anonymous, general_stack):
    """A POST with a wrong token is refused before it reaches LDAP."""
    name = f"anon{uuid.uuid4().hex[:8]}"
    headers = JSON | {"Authorization": f"Bearer {new_token()}"}

    response = await anonymous.post(
        f"{SCIM}/Users", data=json.dumps(entra_user(name)), headers=headers
    )

    assert response.status == 401
    assert entry(general_stack, user_dn(f"{name}@example.org")) is None


async def test_an_unknown_user_id_is_404_as_a_scim_error(client):
    """GET /Users/{id} for an id never handed out: 404, SCIM error body."""
    response = await client.get(f"{SCIM}/Users/{uuid.uuid4()}")

    body = await scim_body(response)
    assert response.status == 404
    assert body["schemas"] == [ERROR]
    assert body["status"] == "404"
    assert body["detail"]


async def test_a_body_typed_application_json_with_charset_is_accepted(client):
    """Request bodies may be application/json; charset=utf-8 (§2)."""
    body = entra_user(f"json{uuid.uuid4().hex[:8]}")
    headers = {"Content-Type": "application/json; charset=utf-8"}

    response = await client.post(
        f"{SCIM}/Users", data=json.dumps(body), headers=headers
    )

    assert response.status == 201
    assert (await scim_body(response))["userName"] == body["userName"]


async def test_an_unknown_endpoint_is_a_scim_404(client):
    """Even a path the bridge does not serve answers a SCIM error."""
    response = await client.get(f"{SCIM}/Devices")

    body = await scim_body(response)
    assert response.status == 404
    assert body["schemas"] == [ERROR]
    assert body["status"] == "404"
