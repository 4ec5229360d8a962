"""The directory's own schema (RFC 4512 §4.2), read from its subschema entry.

Start-up compares the mapping with it: an attribute type the directory does
not know, or one the mapping's object classes do not allow, would otherwise
surface only as a refused write for some later user, blamed on the client.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from ldap3.protocol.rfc4512 import AttributeTypeInfo, ObjectClassInfo

from ..errors import DirectoryFailure
from .client import Directory

__all__ = ["Subschema", "parse_subschema", "read_subschema"]

_ANY_ATTRIBUTE = "extensibleobject"
"""RFC 4512 §4.3: an entry of this class may hold any user attribute."""


@dataclass(frozen=True)
class Subschema:
    """Names are lower case; every alias of a type maps to its first name."""

    attributes: dict[str, str]
    """Any name of an attribute type → its first name."""

    classes: dict[str, tuple[frozenset[str], frozenset[str], tuple[str, ...]]]
    """Any name of an object class → (MUST types, MAY types, superiors)."""

    def canonical(self, attribute: str) -> str:
        """The first name of the attribute's type (``commonName`` → ``cn``)."""
        return self.attributes.get(attribute.lower(), attribute.lower())

    def knows(self, attribute: str) -> bool:
        """Whether the directory defines this attribute type."""
        return attribute.lower() in self.attributes

    def unknown_classes(self, object_classes: Iterable[str]) -> list[str]:
        """The classes the directory does not define."""
        return [name for name in object_classes if name.lower() not in self.classes]

    def allows(self, object_classes: Iterable[str], attribute: str) -> bool:
        """Whether an entry of these classes may hold the attribute: its type
        (by any of its names) is in a MUST or MAY list. slapd allows the
        listed type itself, not its subtypes (observed on 2.5.13)."""
        must, may = self._lists(object_classes)
        if _ANY_ATTRIBUTE in may:
            return True
        return self.canonical(attribute) in must | may

    def required(self, object_classes: Iterable[str]) -> set[str]:
        """The MUST types of these classes and their superiors."""
        return self._lists(object_classes)[0] - {"objectclass"}

    def _lists(self, object_classes: Iterable[str]) -> tuple[set[str], set[str]]:
        must: set[str] = set()
        may: set[str] = set()
        pending = [name.lower() for name in object_classes]
        visited: set[str] = set()
        while pending:
            name = pending.pop()
            if name in visited or name not in self.classes:
                continue
            visited.add(name)
            if name == _ANY_ATTRIBUTE:
                may.add(_ANY_ATTRIBUTE)
            required, allowed, superiors = self.classes[name]
            must |= required
            may |= allowed
            pending.extend(superiors)
        return must, may


def _first(names: list[str] | None) -> str:
    return (names or [""])[0].lower()


def parse_subschema(attribute_types: list[str], object_classes: list[str]) -> Subschema:
    """A Subschema from the values of ``attributeTypes`` and ``objectClasses``."""
    attributes: dict[str, str] = {}
    for info in AttributeTypeInfo.from_definition(attribute_types).values():
        first = _first(info.name)
        for name in info.name or []:
            attributes[name.lower()] = first

    def types(names: list[str] | None) -> frozenset[str]:
        return frozenset(attributes.get(n.lower(), n.lower()) for n in names or [])

    classes: dict[str, tuple[frozenset[str], frozenset[str], tuple[str, ...]]] = {}
    for info in ObjectClassInfo.from_definition(object_classes).values():
        above = tuple(n.lower() for n in info.superior or [])
        entry = (types(info.must_contain), types(info.may_contain), above)
        for name in info.name or []:
            classes[name.lower()] = entry
    return Subschema(attributes, classes)


async def read_subschema(directory: Directory) -> Subschema | None:
    """The directory's schema, or None when the bridge's account may not
    read it (the check is then skipped, not failed)."""
    try:
        root = await directory.read("", ["subschemaSubentry"])
        where = (root.first("subschemaSubentry") if root else None) or "cn=Subschema"
        entry = await directory.read(where, ["attributeTypes", "objectClasses"])
    except DirectoryFailure:  # refused by an ACL, say
        return None
    if entry is None:
        return None
    types, classes = entry.values("attributeTypes"), entry.values("objectClasses")
    if not types or not classes:
        return None
    return parse_subschema(types, classes)
