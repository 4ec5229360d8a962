"""An Entra tenant in miniature: sends Entra's requests, remembers the truth.

Each method sends the request shapes of ``entra-client.md`` §4 (both PATCH
dialects) through the bridge and then records what Entra believes, so
:meth:`Tenant.expected` can say exactly what the records system must
import. Requests that succeed answer as Entra expects; anything else fails
the test where it happens, with the bridge's answer in the message.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.records.reader import ACTIVE, DISABLED, ImportedGroup, ImportedUser
from tests.support import JSON, SCIM

__all__ = ["EntraGroup", "EntraUser", "Tenant", "group_dn", "user_dn"]

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
AD_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


# slapd spells attribute types in DNs, and in DN-syntax values, as its
# schema names them (``scimExternalId``) whatever case the bridge sent, and
# keeps the case of values: this is the one string the records system sees.


def user_dn(object_id: str) -> str:
    """The one DN string a user entry must have, member values included."""
    return f"scimExternalId={object_id},ou=people,dc=example,dc=org"


def group_dn(object_id: str) -> str:
    """The one DN string a group entry must have: its records-system code."""
    return f"scimExternalId={object_id},ou=groups,dc=example,dc=org"


@dataclass
class EntraUser:
    """A user as Entra knows it; ``object_id`` travels as externalId."""

    user_name: str
    display_name: str
    given_name: str
    family_name: str | None
    mail: str
    office: str | None = None
    active: bool = True
    object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    id: str = ""
    """The SCIM id the bridge answered with."""

    def body(self) -> dict[str, Any]:
        """The POST /Users body Entra's default mapping produces."""
        name: dict[str, str] = {"givenName": self.given_name}
        if self.family_name:
            name["familyName"] = self.family_name
            name["formatted"] = f"{self.given_name} {self.family_name}"
        body: dict[str, Any] = {
            "schemas": [CORE_USER, ENTERPRISE],
            "externalId": self.object_id,
            "userName": self.user_name,
            "active": self.active,
            "displayName": self.display_name,
            "emails": [{"primary": True, "type": "work", "value": self.mail}],
            "name": name,
            ENTERPRISE: {"department": "Records"},
            "meta": {"resourceType": "User"},
            "roles": [],
        }
        if self.office:
            body["addresses"] = [{"type": "work", "formatted": self.office}]
        return body


@dataclass
class EntraGroup:
    """A group as Entra knows it; members are users' object ids."""

    display_name: str
    object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    id: str = ""
    members: set[str] = field(default_factory=set)

    def body(self) -> dict[str, Any]:
        """The POST /Groups body: always without members."""
        return {
            "schemas": [CORE_GROUP, AD_GROUP],
            "externalId": self.object_id,
            "displayName": self.display_name,
            "meta": {"resourceType": "Group"},
        }


def _patch(*operations: dict[str, Any]) -> str:
    return json.dumps({"schemas": [PATCH_OP], "Operations": list(operations)})


class Tenant:
    """Replays provisioning through a bridge test client."""

    def __init__(self, client: Any, *, concurrency: int = 16) -> None:
        self.client = client
        self.users: dict[str, EntraUser] = {}
        self.groups: dict[str, EntraGroup] = {}
        self.known_group_dns: set[str] = set()
        """Every group DN ever created, deleted ones included."""
        self._slots = asyncio.Semaphore(concurrency)

    async def _send(self, method: str, path: str, body: str | None, expect: int) -> Any:
        async with self._slots:
            response = await self.client.request(
                method, f"{SCIM}{path}", data=body, headers=JSON
            )
            text = await response.text()
        assert response.status == expect, (
            f"{method} {path} {body}: {response.status} {text}"
        )
        return json.loads(text) if text else None

    async def gather(self, calls: Iterable[Awaitable[Any]]) -> list[Any]:
        """Run requests at once, at most ``concurrency`` in flight."""
        return list(await asyncio.gather(*calls))

    # --- users -----------------------------------------------------------

    async def create_user(self, user: EntraUser) -> None:
        """POST /Users; 201 with an id."""
        created = await self._send("POST", "/Users", json.dumps(user.body()), 201)
        user.id = created["id"]
        self.users[user.object_id] = user

    async def set_active(self, user: EntraUser, active: bool, *, flag: bool) -> None:
        """Disable or re-enable, in the default (string) or flag dialect."""
        if flag:
            operation = {"op": "replace", "path": "active", "value": active}
        else:
            operation = {"op": "Replace", "path": "active", "value": str(active)}
        await self._send("PATCH", f"/Users/{user.id}", _patch(operation), 200)
        user.active = active

    async def rename_user(
        self, user: EntraUser, user_name: str, display_name: str
    ) -> None:
        """A userName and displayName change, one operation each."""
        body = _patch(
            {"op": "Replace", "path": "userName", "value": user_name},
            {"op": "Replace", "path": "displayName", "value": display_name},
        )
        await self._send("PATCH", f"/Users/{user.id}", body, 200)
        user.user_name, user.display_name = user_name, display_name

    async def delete_user(self, user: EntraUser) -> None:
        """DELETE /Users/{id}; 204."""
        await self._send("DELETE", f"/Users/{user.id}", None, 204)
        del self.users[user.object_id]
        for group in self.groups.values():
            group.members.discard(user.object_id)

    # --- groups ----------------------------------------------------------

    async def create_group(self, group: EntraGroup) -> None:
        """POST /Groups, empty; 201 with an id."""
        created = await self._send("POST", "/Groups", json.dumps(group.body()), 201)
        group.id = created["id"]
        self.groups[group.object_id] = group
        self.known_group_dns.add(group_dn(group.object_id))

    async def add_members(self, group: EntraGroup, users: list[EntraUser]) -> None:
        """One Add on members listing every user; 204."""
        value = [{"$ref": None, "value": u.id} for u in users]
        body = _patch({"op": "Add", "path": "members", "value": value})
        await self._send("PATCH", f"/Groups/{group.id}", body, 204)
        group.members |= {u.object_id for u in users}

    async def remove_member(
        self, group: EntraGroup, user: EntraUser, *, flag: bool
    ) -> None:
        """Remove one member: value-list selector or RFC filter path; 204."""
        operation: dict[str, Any]
        if flag:
            operation = {"op": "remove", "path": f'members[value eq "{user.id}"]'}
        else:
            operation = {
                "op": "Remove",
                "path": "members",
                "value": [{"value": user.id}],
            }
        await self._send("PATCH", f"/Groups/{group.id}", _patch(operation), 204)
        group.members.discard(user.object_id)

    async def rename_group(self, group: EntraGroup, display_name: str) -> None:
        """Replace displayName only; members stay; 204."""
        body = _patch({"op": "Replace", "path": "displayName", "value": display_name})
        await self._send("PATCH", f"/Groups/{group.id}", body, 204)
        group.display_name = display_name

    async def delete_group(self, group: EntraGroup) -> None:
        """DELETE /Groups/{id}; 204."""
        await self._send("DELETE", f"/Groups/{group.id}", None, 204)
        del self.groups[group.object_id]

    # --- what the records system must see --------------------------------

    def expected_users(self) -> dict[str, ImportedUser]:
        """Every user Constellio must import, by username."""
        found = {}
        for user in self.users.values():
            groups = sorted(
                group_dn(g.object_id)
                for g in self.groups.values()
                if user.object_id in g.members
            )
            found[user.user_name.lower()] = ImportedUser(
                username=user.user_name.lower(),
                first_name=user.given_name,
                # sn stands in for a missing surname (records.yaml).
                last_name=user.family_name or user.display_name or user.user_name,
                email=user.mail,
                status=ACTIVE if user.active else DISABLED,
                dn=user_dn(user.object_id),
                groups=tuple(groups),
            )
        return found

    def expected_groups(self) -> dict[str, ImportedGroup]:
        """Every group Constellio must import, by code (its DN)."""
        return {
            group_dn(g.object_id): ImportedGroup(group_dn(g.object_id), g.display_name)
            for g in self.groups.values()
        }
