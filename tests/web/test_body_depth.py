"""The nesting check that runs before the JSON parser sees a body."""

import json

import pytest

from bridge.web.body import _too_deep


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("limit", [4, 8, 32])
def test_nesting_up_to_the_limit_passes_and_one_more_fails(limit: int) -> None:
    assert not _too_deep(_nested(limit), limit)
    assert _too_deep(_nested(limit + 1), limit)


def test_many_shallow_containers_are_not_deep() -> None:
    # More openers than the limit, none nested: the count alone cannot decide.
    body = json.dumps({"emails": [{"value": str(n)} for n in range(50)]})
    assert not _too_deep(body, 4)
    assert _too_deep('{"a": [' + ",".join([_nested(4)] * 3) + "]}", 4)


def test_brackets_inside_strings_do_not_count() -> None:
    body = json.dumps({"displayName": "[[[[[[[[[[{{{{{{{{", "x": ['\\"[[']})
    assert not _too_deep(body, 4)
