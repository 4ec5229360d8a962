"""Conditional GET (RFC 7644 §3.14): If-None-Match naming the resource's
current version answers 304 Not Modified with its ETag and no body; any
other version, or a version from before a write, gets the resource."""

import pytest

from tests.integration.test_entra_support import create_group, create_user, patch
from tests.support import SCIM

TITLE = {"op": "Replace", "path": "title", "value": "Changed"}


async def _get(client, path: str, if_none_match: str):
    return await client.get(f"{SCIM}/{path}", headers={"If-None-Match": if_none_match})


async def _etag(client, path: str) -> str:
    response = await client.get(f"{SCIM}/{path}")
    assert response.status == 200
    return response.headers["ETag"]


@pytest.mark.parametrize("kind", ["Users", "Groups"])
async def test_the_current_version_is_304_with_its_etag_and_no_body(client, kind):
    """Weak and strong spellings of the current tag both match."""
    made = await (create_user if kind == "Users" else create_group)(client)
    path = f"{kind}/{made['id']}"
    current = await _etag(client, path)
    strong = current.removeprefix("W/")

    answers = [await _get(client, path, tag) for tag in (current, strong)]

    for answer in answers:
        assert (answer.status, answer.headers["ETag"]) == (304, current)
        assert await answer.read() == b""


async def test_a_version_from_before_a_write_gets_the_resource(client):
    """After a PATCH the old tag no longer matches: 200 and the new ETag."""
    user = await create_user(client)
    path = f"Users/{user['id']}"
    before = await _etag(client, path)
    await patch(client, path, TITLE)

    answer = await _get(client, path, before)

    assert answer.status == 200
    assert answer.headers["ETag"] != before
    assert (await answer.json())["title"] == "Changed"


async def test_a_list_or_a_star_matches_and_other_tags_do_not(client):
    """A list matches when it names the current version anywhere; ``*``
    matches any existing resource; a tag never issued does not match."""
    user = await create_user(client)
    path = f"Users/{user['id']}"
    current = await _etag(client, path)

    listed = await _get(client, path, f'W/"bogus", {current}')
    star = await _get(client, path, "*")
    other = await _get(client, path, 'W/"bogus"')

    assert (listed.status, star.status, other.status) == (304, 304, 200)
