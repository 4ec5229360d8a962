"""The attribute-map YAML, as pydantic models.

A mapping file holds one section per resource type (``users``, ``groups``).
Each section says where the entries live, which object classes they carry,
how their DN is built, and which LDAP attribute holds each SCIM attribute.
The format is documented field by field here and in ``mappings/README.md``;
``load_mapping`` validates a file into these models at start-up.
"""

import re
from enum import StrEnum
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AttributeMap",
    "Kind",
    "Mapping",
    "Matching",
    "MembersMap",
    "ResourceMap",
    "ScimTarget",
]

_TARGET = re.compile(
    r"^(?:(?P<uri>urn:[A-Za-z0-9.:_-]+):)?"
    r"(?P<attr>[A-Za-z][A-Za-z0-9_-]*)"
    r"(?:\[type eq \"(?P<type>[^\"]+)\"\])?"
    r"(?:\.(?P<sub>[A-Za-z][A-Za-z0-9_-]*))?$"
)
_LDAP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind(StrEnum):
    """How a value converts between SCIM and LDAP."""

    string = "string"
    """Stored as sent."""

    boolean = "boolean"
    """LDAP Boolean syntax: ``TRUE``/``FALSE`` (RFC 4517 §3.3.3)."""

    reference = "reference"
    """A SCIM id held in LDAP as the DN of the entry it names (manager)."""

    postal = "postal"
    """Postal Address syntax: lines joined by ``$`` (RFC 4517 §3.3.28)."""


class Matching(StrEnum):
    """The LDAP equality rule of an attribute, which shapes its filters."""

    case_ignore = "case_ignore"
    """caseIgnoreMatch: Directory String attributes such as ``cn``."""

    case_exact = "case_exact"
    """caseExactMatch, e.g. the bridge's ``scimExternalId``."""

    ia5_ignore = "ia5_ignore"
    """caseIgnoreIA5Match: ``mail``; IA5 has no ordering rule to borrow."""

    telephone = "telephone"
    """telephoneNumberMatch, which also ignores spaces and hyphens."""

    boolean = "boolean"
    """booleanMatch."""

    dn = "dn"
    """distinguishedNameMatch."""


class ScimTarget(_Strict):
    """A parsed ``scim`` key: ``[urn:]attr[[type eq "t"]][.sub]``."""

    uri: str | None
    attr: str
    type: str | None
    sub: str | None

    @classmethod
    def parse(cls, text: str) -> "ScimTarget":
        """Split a mapping's SCIM path into its parts."""
        match = _TARGET.match(text)
        if match is None:
            raise ValueError(
                f"{text!r} is not an attribute path such as 'name.givenName',"
                ' \'emails[type eq "work"].value\' or "urn:...:User:department"'
            )
        return cls(**match.groupdict())

    def __str__(self) -> str:
        text = f"{self.uri}:{self.attr}" if self.uri else self.attr
        if self.type is not None:
            text += f'[type eq "{self.type}"]'
        return f"{text}.{self.sub}" if self.sub else text


_PASSWORDS = {"userpassword", "authpassword", "sambantpassword"}


class AttributeMap(_Strict):
    """One SCIM attribute held in one LDAP attribute."""

    scim: str
    """The SCIM attribute path, e.g. ``emails[type eq "work"].value``."""

    ldap: str
    """The LDAP attribute that holds the value."""

    kind: Kind = Kind.string
    """How the value converts; see :class:`Kind`."""

    invert: bool = False
    """For booleans: LDAP holds the opposite (``active`` → ``loginDisabled``)."""

    matching: Matching | None = None
    """The LDAP equality rule; known attributes need not say it."""

    fallback: tuple[str, ...] = ()
    """SCIM attributes whose value is written when this one is absent and
    LDAP requires the attribute (``sn`` for ``person``). The derived value is
    never returned as if the client had sent it."""

    immutable: bool = False
    """Refuse a change once the entry exists (a DN that must never move)."""

    required: bool = False
    """Must come with every create and replacement, and cannot be removed
    (published as required in ``/Schemas``). For values whose absence means
    something to LDAP readers: no ``loginDisabled`` lets the account log
    in, so ``active`` changes only by an explicit true or false."""

    unique: bool = False
    """Unique among the entries of this type: a clash is 409 uniqueness."""

    @field_validator("scim")
    @classmethod
    def _check_scim(cls, value: str) -> str:
        ScimTarget.parse(value)
        return value

    @field_validator("ldap")
    @classmethod
    def _check_ldap(cls, value: str) -> str:
        if not _LDAP_NAME.match(value):
            raise ValueError(f"{value!r} is not an LDAP attribute name")
        if value.lower() in _PASSWORDS:
            raise ValueError(
                f"{value!r} holds passwords: the bridge never writes them"
                " (Entra sends none)"
            )
        return value

    @cached_property
    def target(self) -> ScimTarget:
        """The parsed SCIM path (parsed once: filters read it per term)."""
        return ScimTarget.parse(self.scim)


class MembersMap(_Strict):
    """How a group's members are held."""

    ldap: str = "member"
    """The group-side DN attribute listing the members."""

    back_link: str | None = None
    """A user-side DN attribute the bridge keeps in step with the group
    side (``groupMembership``), written in the same request as ``member``."""

    member_base: str | None = None
    """Where member entries live; the users base when left out."""


class ResourceMap(_Strict):
    """Where and how one SCIM resource type is stored."""

    base: str
    """The LDAP base DN under which entries of this type are created."""

    object_classes: tuple[str, ...] = Field(min_length=1)
    """Object classes written on create. The last one identifies entries of
    this type in searches, so list the most specific one last."""

    rdn: str
    """The LDAP attribute whose value names the entry (``uid``, ``cn``).
    It must be one of the mapped attributes, and required on create."""

    attributes: tuple[AttributeMap, ...] = Field(min_length=1)
    """The SCIM-to-LDAP attribute map."""

    members: MembersMap | None = None
    """Groups only: how members are held."""

    @model_validator(mode="after")
    def _check_rdn(self) -> "ResourceMap":
        names = [a.ldap.lower() for a in self.attributes]
        if self.rdn.lower() not in names:
            raise ValueError(
                f"rdn {self.rdn!r} is not one of the mapped LDAP attributes"
            )
        scims = [a.scim.lower() for a in self.attributes]
        duplicate = {s for s in scims if scims.count(s) > 1}
        if duplicate:
            raise ValueError(f"SCIM attributes mapped twice: {sorted(duplicate)}")
        if self.members is not None:
            names.append(self.members.ldap.lower())
        shared = {n for n in names if names.count(n) > 1}
        if shared:
            # One would overwrite the other's value on every write.
            raise ValueError(
                f"LDAP attributes written by two SCIM attributes: {sorted(shared)}"
            )
        return self

    def by_ldap(self, name: str) -> AttributeMap | None:
        """The mapping entry writing this LDAP attribute, if any."""
        for item in self.attributes:
            if item.ldap.lower() == name.lower():
                return item
        return None

    @property
    def rdn_map(self) -> AttributeMap:
        """The mapping entry that names the entry."""
        found = self.by_ldap(self.rdn)
        assert found is not None  # checked by _check_rdn
        return found


class Mapping(_Strict):
    """A whole mapping file."""

    version: Literal[1] = 1
    """Format version of the file."""

    description: str = ""
    """What this profile is for, shown by ``scim-ldap-bridge check``."""

    users: ResourceMap
    groups: ResourceMap

    @model_validator(mode="after")
    def _check_groups(self) -> "Mapping":
        if self.groups.members is None:
            raise ValueError("groups.members is required")
        link = self.groups.members.back_link
        if link and self.users.by_ldap(link) is not None:
            raise ValueError(
                f"{link!r} is groups.members.back_link and a users attribute:"
                " the bridge writes it from group membership alone"
            )
        return self
