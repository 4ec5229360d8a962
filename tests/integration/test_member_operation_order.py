"""Member operations of one PATCH take effect in request order (RFC 7644
§3.5.2): the later of an add and a remove of one member wins, and after a
replace the list is the whole membership."""

import pytest

from tests.integration.test_entra_support import (
    add_members,
    create_group,
    create_user,
    member_dns,
    patch,
    read,
    user_dn,
)


def _add(*ids: str) -> dict:
    return {"op": "add", "path": "members", "value": [{"value": i} for i in ids]}


def _remove(*ids: str) -> dict:
    return {"op": "remove", "path": "members", "value": [{"value": i} for i in ids]}


def _remove_filtered(ident: str) -> dict:
    return {"op": "remove", "path": f'members[value eq "{ident}"]'}


def _replace(*ids: str) -> dict:
    return {"op": "replace", "path": "members", "value": [{"value": i} for i in ids]}


REMOVE_ALL = {"op": "remove", "path": "members"}


def _with_ids(operation: dict, ids: dict[str, str]) -> dict:
    """The operation with the users' names replaced by their ids."""
    done = dict(operation)
    if "[" in done["path"]:
        done["path"] = f'members[value eq "{ids[done["path"].split(chr(34))[1]]}"]'
    if done.get("value"):
        done["value"] = [{"value": ids[item["value"]]} for item in done["value"]]
    return done


# (members before, operations, members after), with users a, b and c.
CASES = [
    pytest.param("c", [_remove_filtered("c"), _add("c")], "c", id="remove-then-add"),
    pytest.param("", [_remove("a"), _add("a")], "a", id="remove-absent-then-add"),
    pytest.param("", [_add("a"), _remove("a")], "", id="add-then-remove"),
    pytest.param("c", [_add("a"), _remove_filtered("a"), _add("a")], "ac",
                 id="add-remove-add"),
    pytest.param("c", [_replace("a", "b"), _remove("a")], "b",
                 id="replace-then-remove"),
    pytest.param("c", [_replace("a"), _add("b")], "ab", id="replace-then-add"),
    pytest.param("c", [REMOVE_ALL, _add("a"), _remove("a")], "",
                 id="remove-all-add-remove"),
    pytest.param("ab", [REMOVE_ALL, _add("b")], "b", id="remove-all-then-add"),
    pytest.param("a", [_replace("a", "b"), REMOVE_ALL, _add("c")], "c",
                 id="replace-remove-all-add"),
]  # fmt: skip


@pytest.mark.parametrize(("before", "operations", "after"), CASES)
async def test_member_operations_apply_in_request_order(
    client, general_stack, before: str, operations: list, after: str
) -> None:
    users = {name: await create_user(client) for name in "abc"}
    ids = {name: user["id"] for name, user in users.items()}
    group = await create_group(client)
    if before:
        await add_members(client, group["id"], *(ids[n] for n in before))

    resolved = [_with_ids(op, ids) for op in operations]
    response = await patch(client, f"Groups/{group['id']}", *resolved)

    fetched = await read(client, f"Groups/{group['id']}")
    assert response.status == 204, await response.text()
    assert sorted(m["value"] for m in fetched.get("members", [])) == sorted(
        ids[n] for n in after
    )
    assert member_dns(general_stack, group["displayName"]) == sorted(
        user_dn(users[n]["userName"]).lower() for n in after
    )
