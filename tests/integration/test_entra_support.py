"""Shared pieces of the Entra ID behaviour suite (no tests of its own).

The request bodies are the shapes of ``entra-client.md`` §3-6; names carry
a random suffix because every test shares one session-scoped slapd. The
module is named ``test_entra_*`` only to sit with the suite it serves.
"""

import json
import secrets
import uuid
from typing import Any

import ldap3
from aiohttp.test_utils import TestClient
from ldap3.utils.dn import escape_rdn

from tests.support import JSON, SCIM, Stack

__all__ = [
    "CORE_USER",
    "ENTERPRISE",
    "ERROR",
    "GROUP_SCHEMAS",
    "LIST",
    "MS_GROUP",
    "PATCH",
    "USER_SCHEMAS",
    "add_members",
    "create_group",
    "create_user",
    "entra_group",
    "entra_user",
    "entry",
    "group_dn",
    "list_body",
    "member_dns",
    "patch",
    "read",
    "scim_body",
    "tag",
    "user_dn",
]

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_SCHEMAS = [CORE_USER, ENTERPRISE]
MS_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
GROUP_SCHEMAS = ["urn:ietf:params:scim:schemas:core:2.0:Group", MS_GROUP]
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PEOPLE = "ou=people,dc=example,dc=org"
GROUPS = "ou=groups,dc=example,dc=org"


def tag() -> str:
    """A short random suffix that keeps names unique in the shared slapd."""
    return secrets.token_hex(4)


def entra_user(name: str) -> dict[str, Any]:
    """Entra's typical user POST (``entra-client.md`` §4.3) for ``name``."""
    return {
        "schemas": USER_SCHEMAS,
        "externalId": name,
        "userName": f"{name}@example.org",
        "active": True,
        "displayName": f"User {name}",
        "emails": [{"primary": True, "type": "work", "value": f"{name}@example.org"}],
        "name": {"formatted": f"User {name}", "familyName": name, "givenName": "User"},
        ENTERPRISE: {"employeeNumber": "E1001", "department": "R&D"},
        "meta": {"resourceType": "User"},
        "roles": [],
    }


def entra_group(name: str) -> dict[str, Any]:
    """Entra's group POST (``entra-client.md`` §4.8): always without members."""
    return {
        "schemas": GROUP_SCHEMAS,
        "externalId": str(uuid.uuid4()),
        "displayName": name,
        "meta": {"resourceType": "Group"},
    }


async def scim_body(response: Any) -> Any:
    """The JSON body of a response that must be typed application/scim+json."""
    assert response.headers["Content-Type"].startswith("application/scim+json")
    return json.loads(await response.read())


async def list_body(client: TestClient, endpoint: str, **params: str) -> Any:
    """A list GET that must answer 200, as its JSON body."""
    response = await client.get(f"{SCIM}/{endpoint}", params=params)
    assert response.status == 200
    return await scim_body(response)


async def _post(client: TestClient, endpoint: str, body: dict[str, Any]) -> Any:
    response = await client.post(
        f"{SCIM}/{endpoint}", data=json.dumps(body), headers=JSON
    )
    assert response.status == 201, await response.text()
    return await scim_body(response)


async def create_user(client: TestClient, name: str | None = None) -> Any:
    """POST Entra's user body and return what the bridge answered."""
    return await _post(client, "Users", entra_user(name or f"u{tag()}"))


async def create_group(client: TestClient, name: str | None = None) -> Any:
    """POST Entra's group body and return what the bridge answered."""
    return await _post(client, "Groups", entra_group(name or f"Group {tag()}"))


async def patch(client: TestClient, path: str, *operations: dict[str, Any]) -> Any:
    """PATCH a resource path (``Users/<id>``) with these operations."""
    body = {"schemas": [PATCH], "Operations": list(operations)}
    return await client.patch(f"{SCIM}/{path}", data=json.dumps(body), headers=JSON)


async def add_members(client: TestClient, group_id: str, *user_ids: str) -> None:
    """Entra's member add (§4.9): a list of ``{"value": id}``, 204."""
    values = [{"value": ident} for ident in user_ids]
    operation = {"op": "Add", "path": "members", "value": values}
    response = await patch(client, f"Groups/{group_id}", operation)
    assert response.status == 204, await response.text()


async def read(client: TestClient, path: str, **params: str) -> Any:
    """GET a resource path that must answer 200, as its JSON body."""
    response = await client.get(f"{SCIM}/{path}", params=params)
    assert response.status == 200, await response.text()
    return await scim_body(response)


def user_dn(user_name: str) -> str:
    """The DN the general profile gives a user: ``uid=<userName>``."""
    return f"uid={escape_rdn(user_name)},{PEOPLE}"


def group_dn(display_name: str) -> str:
    """The DN the general profile gives a group: ``cn=<displayName>``."""
    return f"cn={escape_rdn(display_name)},{GROUPS}"


def entry(stack: Stack, dn: str) -> dict[str, list[str]] | None:
    """The user attributes of the entry at ``dn`` as LDAP holds them
    (raw, so ``TRUE`` stays ``TRUE``), or None when it is absent."""
    conn = stack.admin()
    try:
        conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["*"])
        found = conn.entries[0].entry_raw_attributes
    except ldap3.core.exceptions.LDAPNoSuchObjectResult:
        return None
    finally:
        conn.unbind()
    return {name: [v.decode() for v in values] for name, values in found.items()}


def member_dns(stack: Stack, display_name: str) -> list[str]:
    """The member values LDAP holds for a group, lower-cased and sorted."""
    attrs = entry(stack, group_dn(display_name))
    assert attrs is not None
    return sorted(v.lower() for v in attrs.get("member", []))
