"""Lists: GET on an endpoint, and POST ``/.search`` (RFC 7644 §3.4.3).

A SearchRequest carries the query parameters of a GET list as JSON members.
They are read back into the query-parameter form, so that one parser serves
both ways of asking (and both keep the same tolerances and limits). A
search at the root covers every resource type, Users first.
"""

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from aiohttp import web
from scim2_models import InvalidFilterException, InvalidSyntaxException

from ..scim.query import ListQuery, parse_list_query
from ..scim.schemas import ResourceKind
from ..service import reads
from .body import read_body
from .keys import BACKEND, SETTINGS
from .middleware import scim_response
from .render import base_url, list_body, render_resource

__all__ = ["SEARCH_SCHEMA", "list_page", "search_all", "search_parameters"]

SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidSyntaxException(detail=f"{name} must be a string")
    return value


def _integer(name: str, value: Any) -> str:
    # bool is an int to Python, not to JSON.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSyntaxException(detail=f"{name} must be an integer")
    return str(value)


def _names(name: str, value: Any) -> str:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidSyntaxException(detail=f"{name} must be a list of strings")
    if any("," in v for v in value):
        raise InvalidSyntaxException(detail=f"{name}: an attribute name has no ','")
    return ",".join(value)


_MEMBERS: dict[str, Callable[[str, Any], str]] = {
    "filter": _text,
    "sortBy": _text,
    "sortOrder": _text,
    "startIndex": _integer,
    "count": _integer,
    "attributes": _names,
    "excludedAttributes": _names,
}
_BY_LOWER = {name.lower(): name for name in _MEMBERS}


def _check_schemas(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list) or SEARCH_SCHEMA not in value:
        raise InvalidSyntaxException(
            detail=f"A search body has the schema {SEARCH_SCHEMA}"
        )


def search_parameters(body: dict[str, Any]) -> dict[str, str]:
    """The query parameters a SearchRequest body stands for.

    Member names are matched case-insensitively (RFC 7643 §2.1); members
    that are absent or null are left out, unknown ones are ignored.
    """
    parameters: dict[str, str] = {}
    for key, value in body.items():
        if key.lower() == "schemas":
            _check_schemas(value)
            continue
        name = _BY_LOWER.get(key.lower())
        if name is not None and value is not None:
            parameters[name] = _MEMBERS[name](name, value)
    return parameters


def _query(
    kind: ResourceKind, request: web.Request, parameters: Mapping[str, str]
) -> ListQuery:
    limits = request.app[SETTINGS].limits
    return parse_list_query(
        kind.model,
        parameters,
        default_count=limits.default_page_size,
        max_count=limits.max_page_size,
    )


async def _rendered(
    request: web.Request, kind: ResourceKind, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    """One kind's page of rendered resources, and its total."""
    result = await reads.list_resources(
        request.app[BACKEND], kind, query, base_url(request)
    )
    page = [
        render_resource(kind, payload, request, query.projection)
        for payload in result.payloads
    ]
    return page, result.total


async def list_page(
    request: web.Request, kind: ResourceKind, parameters: Mapping[str, str]
) -> web.Response:
    """The ListResponse of one resource type for these parameters."""
    query = _query(kind, request, parameters)
    page, total = await _rendered(request, kind, query)
    return scim_response(list_body(page, total, query.start_index))


async def search_all(request: web.Request) -> web.Response:
    """POST /.search: every resource type, paged as one list.

    A filter naming an attribute that one type does not store selects none
    of that type; only a filter no type can read is refused.
    """
    parameters = search_parameters(await read_body(request))
    resources: list[dict[str, Any]] = []
    total = 0
    refused: list[InvalidFilterException] = []
    kinds = request.app[BACKEND].kinds
    query: ListQuery | None = None
    for kind in kinds.values():
        try:
            query = _query(kind, request, parameters)
            window = replace(
                query,
                start_index=max(query.start_index - 1 - total, 0) + 1,
                count=query.count - len(resources),
            )
            page, found = await _rendered(request, kind, window)
        except InvalidFilterException as exc:
            refused.append(exc)
            continue
        resources.extend(page)
        total += found
    if len(refused) == len(kinds):
        raise refused[0]
    assert query is not None  # at least one kind was searched
    return scim_response(list_body(resources, total, query.start_index))
