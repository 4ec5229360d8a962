"""RFC 7643 ``returned`` rules applied to payload dicts the bridge built.

Payloads come from the mapping, so they already have the schemas' shape;
validating them into scim2-models resources only to dump them again cost a
tenth of the bridge's CPU per request (docs/benchmarks.md). The shapes
Entra asks for (no projection, or ``excludedAttributes`` naming top-level
attributes) are cut here from the published schemas; any other projection
goes through scim2-models (:func:`bridge.scim.query.render`), and a test
holds both to the same answers.
"""

from collections.abc import Iterable
from typing import Any

from scim2_models import Returned, Schema

from .query import top_name

__all__ = ["Shape"]

# Key order of scim2-models' dumps, kept so answers read the same.
_FIRST = ("schemas", "id", "externalId", "meta")
# Never dropped by a projection (RFC 7643 §3.1, §2.4 "always").
_ALWAYS = frozenset({"schemas", "id"})
_COMMON = frozenset({"id", "externalid", "meta", "schemas"})


class Shape:
    """What one resource type returns by default, precomputed."""

    def __init__(self, schemas: Iterable[Schema]) -> None:
        schemas = tuple(schemas)
        self._extensions = {str(s.id).lower(): str(s.id) for s in schemas[1:]}
        # Per container (None: the core; else an extension URN): the
        # attributes (lowercase) not returned by default, and per attribute
        # its sub-attributes not returned by default.
        self._hidden: dict[str | None, set[str]] = {}
        self._hidden_subs: dict[tuple[str | None, str], set[str]] = {}
        # Core top-level names a projection may drop, and those it may not.
        self._names: set[str] = set(_COMMON)
        self._always: set[str] = set(_ALWAYS)
        # Extension attribute (lowercase) → its schema URN, for bare names.
        self._extension_names: dict[str, str] = {}
        for index, schema in enumerate(schemas):
            container = None if index == 0 else str(schema.id)
            hidden: set[str] = set()
            for attr in schema.attributes or []:
                name = str(attr.name).lower()
                if index == 0:
                    self._names.add(name)
                else:
                    self._extension_names.setdefault(name, str(schema.id))
                if _hides(attr.returned):
                    hidden.add(name)
                if index == 0 and attr.returned is Returned.always:
                    self._always.add(name)
                subs = {
                    str(sub.name).lower()
                    for sub in attr.sub_attributes or []
                    if _hides(sub.returned)
                }
                if subs:
                    self._hidden_subs[(container, name)] = subs
            self._hidden[container] = hidden

    def handles(self, attributes: tuple[str, ...], excluded: tuple[str, ...]) -> bool:
        """Whether :meth:`render` gives the answer for this projection:
        none at all, or only top-level attributes of the core schema (and
        the common ones) excluded. Anything else is scim2-models' to read."""
        if attributes:
            return False
        return all(name.lower() in self._names for name in excluded)

    def qualify(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """Bare names of extension attributes with their schema URN
        (``employeeNumber`` → ``urn:...:enterprise:2.0:User:employeeNumber``),
        so that they select the same attribute however they are spelled.
        Core names, URN-qualified and unknown names are left as they are."""
        qualified = []
        for name in names:
            top = top_name(name)
            urn = self._extension_names.get(top)
            if urn and ":" not in name and top not in self._names:
                qualified.append(f"{urn}:{name}")
            else:
                qualified.append(name)
        return tuple(qualified)

    def render(
        self, payload: dict[str, Any], excluded: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The payload as sent: hidden attributes and ``excluded`` dropped.

        Only names :meth:`handles` accepts are given; ``returned: always``
        ones cannot be excluded.
        """
        dropped = {
            lowered
            for lowered in (name.lower() for name in excluded)
            if lowered in self._names and lowered not in self._always
        }
        shown = self._cut(None, payload, dropped)
        ordered = {key: shown.pop(key) for key in _FIRST if key in shown}
        ordered.update(shown)
        for key, value in shown.items():
            container = self._extensions.get(key.lower())
            if container is None or not isinstance(value, dict):
                continue
            cut = self._cut(container, value, set())
            if cut:
                ordered[key] = cut
            else:
                del ordered[key]
        return ordered

    def _cut(
        self, container: str | None, data: dict[str, Any], dropped: set[str]
    ) -> dict[str, Any]:
        hidden = self._hidden[container] | dropped
        result: dict[str, Any] = {}
        for key, value in data.items():
            lowered = key.lower()
            if lowered in hidden or _empty(value):
                continue
            if container is None and lowered in self._extensions:
                result[key] = value  # cut by the caller, per extension
                continue
            subs = self._hidden_subs.get((container, lowered))
            result[key] = _without(value, subs) if subs else value
        return result


def _empty(value: Any) -> bool:
    # scim2-models leaves out unset and empty values alike.
    return value is None or (isinstance(value, list | dict) and not value)


def _hides(returned: Returned | None) -> bool:
    return returned in (Returned.never, Returned.request)


def _without(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_without(item, subs) for item in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() not in subs}
    return value
