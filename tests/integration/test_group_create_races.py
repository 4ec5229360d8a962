"""A group created with members while one of them is being deleted.

The user is deleted after the POST resolved its id and before the group's
add lands, the window a racing DELETE hits (found by a newcomer with 3,000
members and a DELETE 20 ms later). The group must not keep the deleted
user's DN: a dangling member aborts the records system's sync run, and a
user created later under the same name would inherit the membership.
"""

import uuid
from typing import Any

import pytest

from bridge.directory.client import Directory
from tests.support import JSON, SCIM, Stack, new_token

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


class _DeletesFirst(Directory):
    """Deletes one entry just before the next add of a group."""

    victim: str | None = None

    async def add(self, dn: str, attributes: dict[str, list[str]]) -> Any:
        if self.victim is not None and "group" in [
            c.lower() for c in attributes.get("objectClass", [])
        ]:
            victim, self.victim = self.victim, None
            await self.delete(victim)
        return await super().add(dn, attributes)


@pytest.fixture(params=["general", "records"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """Each profile's session stack (started outside the event loop)."""
    found: Stack = request.getfixturevalue(f"{request.param}_stack")
    return found


async def test_a_member_deleted_while_its_group_is_created_is_not_kept(
    aiohttp_client: Any, stack: Stack
) -> None:
    token = new_token()
    app, directory = stack.app_on(_DeletesFirst, token)
    http = await aiohttp_client(app)
    headers = {**JSON, "Authorization": f"Bearer {token}"}

    users = []
    for _ in range(3):
        body = {
            "schemas": [CORE],
            "userName": f"gc-{uuid.uuid4().hex[:10]}@example.org",
            "active": True,
            "externalId": str(uuid.uuid4()),
        }
        answer = await http.post(f"{SCIM}/Users", json=body, headers=headers)
        assert answer.status == 201, await answer.text()
        users.append(await answer.json(content_type=None))
    victim = users[1]
    conn = stack.admin()
    conn.search(
        stack.mapping.users.base, f"(entryUUID={victim['id']})", attributes=["1.1"]
    )
    directory.victim = conn.entries[0].entry_dn

    ids = [users[0]["id"], victim["id"], users[2]["id"], users[0]["id"]]
    body = {
        "schemas": [GROUP],
        "displayName": f"gc-{uuid.uuid4().hex[:10]}",
        "externalId": str(uuid.uuid4()),
        "members": [{"value": ident} for ident in ids],
    }
    answer = await http.post(f"{SCIM}/Groups", json=body, headers=headers)
    created = await answer.json(content_type=None)

    assert answer.status == 201, created
    survivors = [users[0]["id"], users[2]["id"]]
    # The answer is what was stored: each member once, the deleted one gone.
    assert [m["value"] for m in created["members"]] == survivors
    conn.search(
        stack.mapping.groups.base, f"(entryUUID={created['id']})", attributes=["member"]
    )
    stored = [str(v).lower() for v in conn.entries[0].member.values]
    assert len(stored) == 2
    assert directory.victim is None  # the delete did happen before the add
    assert all(victim["userName"].lower() not in dn for dn in stored)
    reread = await http.get(f"{SCIM}/Groups/{created['id']}", headers=headers)
    members = (await reread.json(content_type=None))["members"]
    assert sorted(m["value"] for m in members) == sorted(survivors)


class _RenamesFirst(Directory):
    """Renames one user just before the next write of member values."""

    victim: tuple[str, str] | None = None
    """(DN, new RDN)."""

    async def _rename_victim(self) -> None:
        if self.victim is not None:
            (dn, rdn), self.victim = self.victim, None
            await self.rename(dn, rdn)

    async def add(self, dn: str, attributes: dict[str, list[str]]) -> Any:
        if "member" in attributes:
            await self._rename_victim()
        return await super().add(dn, attributes)

    async def modify_result(self, dn: str, changes: Any, **options: Any) -> int:
        if any(c.op == "add" and c.attribute == "member" for c in changes):
            await self._rename_victim()
        return await super().modify_result(dn, changes, **options)


@pytest.mark.parametrize("how", ["POST", "PATCH"])
async def test_a_member_renamed_while_it_is_added_stays_a_member(
    aiohttp_client: Any, general_stack: Stack, how: str
) -> None:
    """A userName change between the id lookup and the write: the group
    must end with the user's new DN, not lose the member (found by a
    newcomer racing renames against member adds)."""
    token = new_token()
    app, directory = general_stack.app_on(_RenamesFirst, token)
    http = await aiohttp_client(app)
    headers = {**JSON, "Authorization": f"Bearer {token}"}
    name = f"mv-{uuid.uuid4().hex[:10]}"
    body = {"schemas": [CORE], "userName": name, "active": True}
    answer = await http.post(f"{SCIM}/Users", json=body, headers=headers)
    user = await answer.json(content_type=None)
    people = general_stack.mapping.users.base
    directory.victim = (f"uid={name},{people}", f"uid={name}-moved")

    group = {"schemas": [GROUP], "displayName": f"mv-{uuid.uuid4().hex[:10]}"}
    member = [{"value": user["id"]}]
    if how == "POST":
        group["members"] = member
    answer = await http.post(f"{SCIM}/Groups", json=group, headers=headers)
    created = await answer.json(content_type=None)
    assert answer.status == 201, created
    if how == "PATCH":
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": member}],
        }
        answer = await http.patch(
            f"{SCIM}/Groups/{created['id']}", json=patch, headers=headers
        )
        assert answer.status == 204, await answer.text()

    assert directory.victim is None  # the rename did happen in between
    conn = general_stack.admin()
    conn.search(
        general_stack.mapping.groups.base,
        f"(entryUUID={created['id']})",
        attributes=["member"],
    )
    stored = [str(v).lower() for v in conn.entries[0].member.values]
    assert stored == [f"uid={name}-moved,{people}".lower()]
    if how == "POST":
        assert [m["value"] for m in created["members"]] == [user["id"]]
    reread = await http.get(f"{SCIM}/Groups/{created['id']}", headers=headers)
    assert [m["value"] for m in (await reread.json())["members"]] == [user["id"]]
