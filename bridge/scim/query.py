"""List-query parameters (RFC 7644 §3.4.2) and response projection."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidFilterException,
    InvalidValueException,
    Resource,
    ResponseParameters,
    SCIMException,
    ScimFilter,
)
from scim2_models.path import AttrPath, CompareOperator, Comparison, FilterNode

__all__ = [
    "ListQuery",
    "Projection",
    "parse_filter",
    "parse_list_query",
    "prepare",
    "render",
    "top_name",
]

# Old Entra samples send unquoted values (externalId eq jyoung): quote a bare
# word after an operator when the strict parse fails (entra-client.md §6).
# Quoted strings are matched first so that nothing inside them is touched.
_BARE = re.compile(
    r'"(?:[^"\\]|\\.)*"'
    r"|\b(?P<op>eq|ne|co|sw|ew|gt|ge|lt|le)\s+(?P<word>[^\s()\[\]\"]+)",
    re.IGNORECASE,
)
# Left bare: the literals. Numbers are quoted: if the strict parse failed on
# one, it was a string attribute's value (externalId eq 12345).
_LITERAL = re.compile(r"true|false|null", re.IGNORECASE)


@dataclass(frozen=True)
class Projection:
    """``attributes`` / ``excludedAttributes`` of a request."""

    attributes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    @property
    def by_name(self) -> bool:
        """Whether every entry names an attribute, not a whole schema URN
        (``attributes=urn:...:enterprise:2.0:User`` means all of it)."""
        return not any(
            n.lower().startswith("urn:") for n in self.attributes + self.excluded
        )

    def wants(self, name: str) -> bool:
        """Whether the response may contain this top-level attribute.

        Excluding a sub-attribute (``name.givenName``, ``members.value``)
        still needs the attribute itself; including one needs it too.
        """
        lowered = name.lower()
        if any(top_name(a) == lowered and _whole(a) for a in self.excluded):
            return False
        return not self.attributes or any(
            top_name(a) == lowered for a in self.attributes
        )


def _local(path: str) -> str:
    """The path without its schema URN."""
    return path.rsplit(":", 1)[-1] if path.lower().startswith("urn:") else path


def top_name(path: str) -> str:
    """The top-level attribute a path names, lower-cased, without its URN."""
    return _local(path).split(".", 1)[0].split("[", 1)[0].lower()


def _whole(path: str) -> bool:
    """Whether the path names a whole attribute, not part of one."""
    local = _local(path)
    return "." not in local and "[" not in local


@dataclass(frozen=True)
class ListQuery:
    """A parsed list request."""

    filter: FilterNode | None
    start_index: int
    count: int
    projection: Projection
    sort_by: str | None
    descending: bool


# Entra's existence checks are all one shape; reading them without the
# grammar saves most of a request's parsing (docs/benchmarks.md). Only plain
# string attributes qualify, whose values need no coercion.
_MATCH = re.compile(
    r'^\s*(userName|externalId|displayName)\s+eq\s+"([^"\\\x00-\x1f]*)"\s*$',
    re.IGNORECASE,
)


def _matching_check(text: str) -> FilterNode | None:
    found = _MATCH.match(text)
    if found is None:
        return None
    return Comparison(AttrPath(found.group(1)), CompareOperator.eq, found.group(2))


def parse_filter(model: type[Resource[Any]], text: str) -> FilterNode:
    """Parse and check a filter against a model; refuse with invalidFilter.

    A filter that fails only because of bare words after operators is read
    again with those words quoted; if that fails too, the first error is the
    one reported.
    """
    quick = _matching_check(text)
    if quick is not None:
        return quick
    try:
        return _parse(model, text)
    except InvalidFilterException as strict:
        quoted = _BARE.sub(_quote_bare, text)
        if quoted == text:
            raise
        try:
            return _parse(model, quoted)
        except InvalidFilterException:
            raise strict from None


def _parse(model: type[Resource[Any]], text: str) -> FilterNode:
    try:
        return ScimFilter[model](text).ast  # type: ignore[valid-type]
    except (InvalidFilterException, ValueError) as exc:
        detail = str(getattr(exc, "detail", None) or exc)
        if "int_max_str_digits" in detail:
            # Python's own words name an interpreter setting, not the filter.
            detail = "A number in the filter is too long (over 4,300 digits)"
        elif isinstance(exc, InvalidFilterException):
            raise
        raise InvalidFilterException(detail=detail) from exc


def _quote_bare(match: re.Match[str]) -> str:
    word = match.group("word")
    if word is None or _LITERAL.fullmatch(word):
        return match.group(0)
    return f"{match.group('op')} {json.dumps(word, ensure_ascii=False)}"


def _integer(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise InvalidValueException(detail=f"{name} must be an integer") from exc


def _names(query: Mapping[str, str], name: str) -> tuple[str, ...]:
    # A repeated parameter (?excludedAttributes=a&excludedAttributes=b)
    # counts as one list, as if its values had been joined with commas.
    getall = getattr(query, "getall", None)
    texts = getall(name, []) if getall is not None else [query.get(name) or ""]
    return tuple(
        part.strip() for text in texts for part in str(text).split(",") if part.strip()
    )


_SINGLE = ("filter", "sortBy", "sortOrder", "startIndex", "count")


def _once(query: Mapping[str, str]) -> None:
    getall = getattr(query, "getall", None)  # a URL query; a body has no repeats
    if getall is None:
        return
    for name in _SINGLE:
        given = len(getall(name, ()))
        if given > 1:
            raise InvalidValueException(
                detail=f"{name} is given {given} times; send it once"
            )


def parse_list_query(
    model: type[Resource[Any]],
    query: Mapping[str, str],
    *,
    default_count: int,
    max_count: int,
) -> ListQuery:
    """Read filter, paging, sorting and projection from query parameters.

    RFC 7644 §3.4.2.4: a ``startIndex`` below 1 is read as 1 and a negative
    ``count`` as 0; a count above the advertised maximum is capped to it.
    A single-valued parameter given twice is refused rather than guessed.
    """
    _once(query)
    text = query.get("filter")
    node = parse_filter(model, text) if text else None
    order = (query.get("sortOrder") or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise InvalidValueException(detail="sortOrder is 'ascending' or 'descending'")
    return ListQuery(
        filter=node,
        start_index=max(_integer(query, "startIndex", 1), 1),
        count=min(max(_integer(query, "count", default_count), 0), max_count),
        projection=projection_from(query),
        sort_by=query.get("sortBy") or None,
        descending=order == "descending",
    )


def projection_from(query: Mapping[str, str]) -> Projection:
    """The projection of any request (GET by id, writes).

    RFC 7644 §3.4.2.5 gives the two parameters as alternatives; both at
    once leave the answer undefined, so the request is refused.
    """
    projection = Projection(
        _names(query, "attributes"), _names(query, "excludedAttributes")
    )
    if projection.attributes and projection.excluded:
        raise InvalidValueException(
            detail="Send attributes or excludedAttributes, not both"
        )
    return projection


def render(
    model: type[Resource[Any]], payload: dict[str, Any], projection: Projection
) -> dict[str, Any]:
    """A resource as sent to the client, with RFC 7643 ``returned`` rules."""
    resource = model.model_validate(payload, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    params = _parameters(model, projection)
    return resource.model_dump(
        scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params
    )


@cache  # one class per model; models are built at start-up
def _parameters_class(model: type[Resource[Any]]) -> type[ResponseParameters[Any]]:
    # Parametrising a generic model builds a class: once per model, not per
    # request.
    return ResponseParameters[model]  # type: ignore[valid-type]


@lru_cache(maxsize=1024)
def _is_path(model: type[Resource[Any]], name: str) -> bool:
    try:
        _parameters_class(model)(attributes=[name])
    except (ValidationError, SCIMException, ValueError):
        return False
    return True


def prepare(model: type[Resource[Any]]) -> None:
    """Build, at start-up, the classes projections and filters need, so no
    request pays for creating them (and none touches the disk to do so)."""
    _is_path(model, "id")
    ScimFilter[model]('id eq "x"')  # type: ignore[valid-type]


def _known(model: type[Resource[Any]], names: tuple[str, ...]) -> list[str]:
    """The names that are attribute paths of the model; others are dropped
    (RFC 7644 §3.9 lets a service ignore what it does not know)."""
    return [name for name in names if _is_path(model, name)]


def _parameters(
    model: type[Resource[Any]], projection: Projection
) -> ResponseParameters[Any] | None:
    if not projection.attributes and not projection.excluded:
        return None
    attributes = _known(model, projection.attributes)
    excluded = _known(model, projection.excluded)
    if projection.attributes and not attributes:
        attributes = ["id"]
    return _parameters_class(model)(
        attributes=attributes or None, excluded_attributes=excluded or None
    )
