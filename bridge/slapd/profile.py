"""The directory a mapping needs: indexes and uniqueness from its YAML."""

from bridge.mapping.ldapschema import rules_for
from bridge.mapping.model import Kind, Mapping, ResourceMap
from bridge.slapd.spec import ServiceAccount, SlapdSpec, TlsFiles

__all__ = ["spec_for_mapping"]

_NO_SUBSTRING = {Kind.boolean, Kind.reference}


def _indexes(rmap: ResourceMap) -> list[tuple[str, str]]:
    found = []
    for item in rmap.attributes:
        rules = rules_for(item)
        if not rules.equality:
            found.append((item.ldap, "pres"))
            continue
        types = (
            "eq,sub" if rules.substrings and item.kind not in _NO_SUBSTRING else "eq"
        )
        found.append((item.ldap, types))
    if rmap.members is not None:
        found.append((rmap.members.ldap, "eq"))
        if rmap.members.back_link:
            found.append((rmap.members.back_link, "eq"))
    return found


def _unique(rmap: ResourceMap) -> list[tuple[str, str]]:
    return [(rmap.base, item.ldap) for item in rmap.attributes if item.unique]


def spec_for_mapping(
    mapping: Mapping,
    accounts: tuple[ServiceAccount, ...],
    *,
    suffix: str = "dc=example,dc=org",
    tls: TlsFiles | None = None,
    durable: bool = True,
) -> SlapdSpec:
    """A SlapdSpec with every index and unique constraint the map relies on."""
    indexes: dict[str, str] = {}
    for name, types in _indexes(mapping.users) + _indexes(mapping.groups):
        known = set(indexes.get(name.lower(), "").split(",")) - {""}
        indexes[name.lower()] = ",".join(sorted(known | set(types.split(","))))
    members = mapping.groups.members
    lists = [members.ldap, members.back_link] if members else []
    listed = tuple(name for name in lists if name)
    references = tuple(
        item.ldap for item in mapping.users.attributes if item.kind is Kind.reference
    )
    return SlapdSpec(
        suffix=suffix,
        indexes=tuple(indexes.items()),
        unique=tuple(_unique(mapping.users) + _unique(mapping.groups)),
        refint_attributes=listed + references,
        sorted_values=listed,
        service_accounts=accounts,
        tls=tls,
        durable=durable,
    )
