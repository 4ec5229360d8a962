"""The value that names an entry must be able to name one: clean 400s."""

import json
import logging
import uuid

import pytest

from tests.support import JSON, SCIM, snapshot

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.mark.parametrize(
    ("user_name", "detail"),
    [
        pytest.param("x" * 242, "longer than the 200 bytes", id="too-long"),
        pytest.param("é" * 101, "longer than the 200 bytes", id="too-long-in-bytes"),
        pytest.param("   ", "must not be blank", id="blank"),
        pytest.param("a\nb", "control characters", id="newline"),
        pytest.param("a\x00b", "control characters", id="nul"),
    ],
)
async def test_a_user_name_that_cannot_name_an_entry_is_refused(
    client,
    general_stack,
    user_name: str,
    detail: str,
) -> None:
    """400 invalidValue with the reason, never a 503 the client would retry."""
    before = snapshot(general_stack.admin())

    response = await client.post(
        f"{SCIM}/Users",
        data=json.dumps({"schemas": [CORE], "userName": user_name, "active": True}),
        headers=JSON,
    )

    body = await response.json(content_type=None)
    assert (response.status, body["scimType"]) == (400, "invalidValue")
    assert detail in body["detail"]
    assert snapshot(general_stack.admin()) == before


async def test_a_bad_patch_value_names_the_attribute_in_one_line(client) -> None:
    """No pydantic report in the detail: the attribute and the reason."""
    created = await client.post(
        f"{SCIM}/Users",
        json={
            "schemas": [CORE],
            "userName": f"v-{uuid.uuid4().hex[:8]}",
            "active": True,
        },
    )
    ident = (await created.json(content_type=None))["id"]
    patch = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "active", "value": "maybe"}],
    }

    response = await client.patch(f"{SCIM}/Users/{ident}", json=patch)

    body = await response.json(content_type=None)
    assert (response.status, body["scimType"]) == (400, "invalidValue")
    assert (
        body["detail"]
        == "Input should be a valid boolean, unable to interpret input: active"
    )


async def test_nan_is_not_json(client) -> None:
    """Python's parser takes NaN; RFC 8259 JSON does not: invalidSyntax."""
    response = await client.post(
        f"{SCIM}/Users", data='{"userName": NaN}', headers=JSON
    )

    body = await response.json(content_type=None)
    assert (response.status, body["scimType"]) == (400, "invalidSyntax")


async def test_an_audit_line_names_operation_dn_once_and_attribute_names(
    client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One audit record per write: operation, DN and attribute names only."""
    caplog.set_level(logging.INFO, logger="bridge.audit")
    name = f"audit-{uuid.uuid4().hex[:8]}"

    await client.post(
        f"{SCIM}/Users",
        json={
            "schemas": [CORE],
            "userName": name,
            "active": True,
            "title": "Secret title",
        },
    )

    records = [r for r in caplog.records if r.name == "bridge.audit"]
    assert [(r.operation, r.dn) for r in records] == [
        ("add", f"uid={name},ou=people,dc=example,dc=org")
    ]
    assert "Secret title" not in caplog.text
    assert "title" in records[0].attributes
