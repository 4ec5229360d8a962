"""What the provisioning steps share: kinds, directory, reference lookups."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..directory.client import OPERATIONAL, Entry
from ..mapping.convert import DERIVED, from_ldap, generalized_to_iso
from ..mapping.model import Mapping, ResourceMap
from ..scim.schemas import ResourceKind
from .refs import References

__all__ = ["Backend", "object_filter", "read_attributes", "to_payload"]


def object_filter(rmap: ResourceMap) -> str:
    """The filter that selects every entry of one resource type.

    One class, the last the mapping lists (the bridge's auxiliary
    ``scimUser``/``scimGroup`` in the shipped profiles): AND-ing every class
    makes slapd intersect several objectClass index lists of the whole base
    on each search, a cost that grows with the directory (docs/benchmarks.md).
    """
    return f"(objectClass={rmap.object_classes[-1]})"


def read_attributes(
    rmap: ResourceMap, *, members: bool, wants: Callable[[str], bool] | None = None
) -> list[str]:
    """The LDAP attributes a read needs; members only when asked for.

    ``wants`` (a projection's test of a top-level SCIM name) leaves out the
    LDAP attributes of what the response will not carry.
    """
    names = [
        item.ldap
        for item in rmap.attributes
        if wants is None
        or wants(item.target.attr)
        or item.ldap.lower() == rmap.rdn.lower()
    ]
    names += [DERIVED, *OPERATIONAL]
    if members and rmap.members is not None:
        names.append(rmap.members.ldap)
    return names


@dataclass
class Backend:
    """The kinds, the directory, and lookups of user ids and DNs."""

    mapping: Mapping
    kinds: dict[str, ResourceKind]
    directory: Any
    users: References
    groups: References

    def refs_for(self, kind: ResourceKind) -> References:
        """Lookups among entries of this kind."""
        return self.users if kind.name == "User" else self.groups


def meta(
    kind: ResourceKind, entry_attrs: dict[str, list[str]], location: str
) -> dict[str, Any]:
    """``id``-independent meta block from operational attributes."""
    lowered = {k.lower(): v for k, v in entry_attrs.items()}
    # In RFC 7643 §3.1's order, as scim2-models renders it too.
    data: dict[str, Any] = {"resourceType": kind.name}
    if lowered.get("createtimestamp"):
        data["created"] = generalized_to_iso(lowered["createtimestamp"][0])
    if lowered.get("modifytimestamp"):
        data["lastModified"] = generalized_to_iso(lowered["modifytimestamp"][0])
    data["location"] = location
    if lowered.get("entrycsn"):
        data["version"] = f'W/"{lowered["entrycsn"][0]}"'
    return data


def to_payload(
    kind: ResourceKind,
    entry: Entry,
    dn_ids: dict[str, str],
    base_url: str,
    members: list[str] | None = None,
) -> dict[str, Any]:
    """The SCIM payload of an entry (members only when given)."""
    payload = from_ldap(kind.mapping, entry.attrs, dn_ids)
    ident = entry.first("entryUUID") or ""
    payload["id"] = ident
    payload["schemas"] = [
        str(s.id) for s in kind.schemas if str(s.id) in payload or s is kind.schemas[0]
    ]
    payload["meta"] = meta(kind, entry.attrs, f"{base_url}{kind.endpoint}/{ident}")
    if members is not None:
        payload["members"] = [{"value": m} for m in members]
    return payload
