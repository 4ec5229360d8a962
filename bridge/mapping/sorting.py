"""``sortBy`` (RFC 7644 §3.4.2.3) as an RFC 2891 server-side sort key."""

from scim2_models import InvalidValueException

from .ldapschema import rules_for
from .model import Matching, ResourceMap

__all__ = ["sort_key"]

_OPERATIONAL = {
    "id": ("entryUUID", None),
    "meta.created": ("createTimestamp", None),
    "meta.lastmodified": ("modifyTimestamp", None),
}
_RULES = {
    Matching.case_ignore: "caseIgnoreOrderingMatch",
    Matching.case_exact: "caseExactOrderingMatch",
}


def _strip_core(path: str, core: str) -> str:
    prefix = core.lower() + ":"
    return path[len(prefix) :] if path.lower().startswith(prefix) else path


def sort_key(rmap: ResourceMap, path: str, core: str) -> tuple[str, str | None]:
    """The LDAP attribute and ordering rule to sort a resource type by.

    Attributes without an ORDERING rule (``cn``, ``uid``) borrow the
    Directory String ordering rule, which RFC 2891 lets the key name.
    """
    wanted = _strip_core(path, core).lower()
    if wanted in _OPERATIONAL:
        return _OPERATIONAL[wanted]
    for item in rmap.attributes:
        target = item.target
        names = {
            str(target).lower(),
            f"{target.attr}.{target.sub}".lower()
            if target.sub
            else target.attr.lower(),
        }
        if target.uri:
            names.add(f"{target.uri}:{target.attr}".lower())
        if wanted not in names and wanted != target.attr.lower():
            continue
        rules = rules_for(item)
        if rules.ordering:
            return item.ldap, rules.ordering
        if rules.matching in _RULES:
            return item.ldap, _RULES[rules.matching]
        raise InvalidValueException(
            detail=f"Cannot sort by {path!r}: the directory has no ordering for it"
        )
    raise InvalidValueException(
        detail=f"Cannot sort by {path!r}: the mapping does not store it"
    )
