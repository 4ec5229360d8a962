"""What the benchmark provisions: Entra-shaped users and groups, as SCIM and as LDAP.

One :class:`Population` describes the users and groups of a run. The SCIM
bodies follow ``entra-client.md`` §4.3 (user create), §4.8 (group create)
and §4.9 (member add). The LDAP form of a user is computed by the bridge's
own mapping code (:func:`bridge.mapping.convert.to_ldap`), so entries loaded
with ``slapadd``/``ldapadd`` have exactly the shape the bridge writes.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote

from bridge.mapping.convert import to_ldap
from bridge.mapping.dn import build_dn
from bridge.mapping.model import Mapping
from bridge.slapd.ldif import render_entry

__all__ = ["Population", "group_filter_path", "patch_body", "user_filter_path"]

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMAS = [
    "urn:ietf:params:scim:schemas:core:2.0:Group",
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
]
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

LdapAttributes = dict[str, list[str]]


def user_body(prefix: str, index: int) -> dict[str, Any]:
    """The POST /Users body Entra sends for user ``index`` (§4.3)."""
    name = f"{prefix}{index:06d}"
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": f"ext-{name}",
        "userName": f"{name}@example.org",
        "active": True,
        "displayName": f"User {name}",
        "emails": [{"primary": True, "type": "work", "value": f"{name}@example.org"}],
        "name": {"formatted": f"User {name}", "familyName": name, "givenName": "User"},
        ENTERPRISE: {"employeeNumber": f"E{index:06d}", "department": f"D{index % 50}"},
        "meta": {"resourceType": "User"},
        "roles": [],
    }


def group_body(prefix: str, index: int) -> dict[str, Any]:
    """The POST /Groups body Entra sends: never with members (§4.8)."""
    return {
        "schemas": GROUP_SCHEMAS,
        "externalId": str(uuid.UUID(int=index + 1)),
        "displayName": f"Group {prefix}{index:05d}",
        "meta": {"resourceType": "Group"},
    }


def patch_body(member_ids: list[str]) -> dict[str, Any]:
    """A member-add PATCH in Entra's default dialect (§4.9)."""
    return {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {
                "op": "Add",
                "path": "members",
                "value": [{"value": i} for i in member_ids],
            }
        ],
    }


def user_filter_path(user_name: str) -> str:
    """The existence GET's path and query, relative to the SCIM base (§4.2)."""
    return "/Users?filter=" + quote(f'userName eq "{user_name}"')


def group_filter_path(display_name: str) -> str:
    """The group match GET, members excluded (§4.8)."""
    wanted = quote(f'displayName eq "{display_name}"')
    return f"/Groups?excludedAttributes=members&filter={wanted}"


@dataclass(frozen=True)
class Population:
    """``users`` users, then ``groups`` groups of ``group_size`` members each.

    Group ``g`` holds the ``group_size`` users that follow user ``g * stride``
    (wrapping around), so with the defaults every user is in two groups.
    """

    mapping: Mapping
    users: int
    prefix: str = "user"
    groups: int = 0
    group_size: int = 200
    stride: int = 100

    def user(self, index: int) -> dict[str, Any]:
        """The SCIM body of one user."""
        return user_body(self.prefix, index)

    def user_name(self, index: int) -> str:
        """The userName (and uid) of one user."""
        return f"{self.prefix}{index:06d}@example.org"

    def user_dn(self, index: int) -> str:
        """The DN the bridge gives that user."""
        return build_dn(
            self.mapping.users.rdn, self.user_name(index), self.mapping.users.base
        )

    def user_ldap(self, index: int) -> LdapAttributes:
        """The attributes the bridge writes for that user, objectClass included."""
        values = to_ldap(self.mapping.users, self.user(index), {})
        return {"objectClass": list(self.mapping.users.object_classes), **values}

    def group(self, index: int) -> dict[str, Any]:
        """The SCIM body of one group."""
        return group_body(self.prefix, index)

    def group_dn(self, index: int) -> str:
        """The DN the bridge gives that group."""
        name = self.group(index)["displayName"]
        return build_dn(self.mapping.groups.rdn, name, self.mapping.groups.base)

    def group_ldap(self, index: int, member_dns: list[str]) -> LdapAttributes:
        """The attributes the bridge writes for that group, members apart."""
        body = self.group(index)
        values = to_ldap(self.mapping.groups, body, {})
        found: LdapAttributes = {
            "objectClass": list(self.mapping.groups.object_classes),
            **values,
        }
        if member_dns:
            assert self.mapping.groups.members is not None
            found[self.mapping.groups.members.ldap] = member_dns
        return found

    def members_of(self, group: int) -> list[int]:
        """The user indexes that group ``group`` holds."""
        size = min(self.group_size, self.users)
        return [(group * self.stride + j) % self.users for j in range(size)]

    @cached_property
    def user_json(self) -> list[bytes]:
        """Every user body, encoded once so the client spends no time on it."""
        return [json.dumps(self.user(i)).encode() for i in range(self.users)]


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ldif_entry(
    dn: str, attributes: LdapAttributes, extra: dict[str, str] | None = None
) -> str:
    """One LDIF content record; ``extra`` adds operational values (slapadd)."""
    pairs = [(name, value) for name, values in attributes.items() for value in values]
    pairs += list((extra or {}).items())
    return render_entry(dn, pairs)


def ldif_add(dn: str, attributes: LdapAttributes) -> str:
    """One LDIF change record that adds an entry (``ldapmodify``)."""
    record = ldif_entry(dn, attributes)
    head, _, rest = record.partition("\n")
    return f"{head}\nchangetype: add\n{rest}"


def ldif_member_add(group_dn: str, attribute: str, member_dns: list[str]) -> str:
    """One LDIF change record that adds member values to a group."""
    lines = [f"dn: {group_dn}", "changetype: modify", f"add: {attribute}"]
    lines += [f"{attribute}: {dn}" for dn in member_dns]
    return "\n".join(lines) + "\n-\n\n"


__all__ += [
    "chunks",
    "group_body",
    "ldif_add",
    "ldif_entry",
    "ldif_member_add",
    "user_body",
]
