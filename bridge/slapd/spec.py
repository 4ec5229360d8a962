"""What a private slapd should hold: suffix, units, indexes, overlays, accounts.

A :class:`SlapdSpec` is plain data. :mod:`bridge.slapd.config` turns it into
cn=config and data LDIF, and :class:`bridge.slapd.launcher.LocalSlapd` runs
it. The defaults give the layout the records system expects (design note
records-reader.md, section 10): people and groups OUs that the bridge
writes and the records system reads, and a services OU for the bind
accounts, outside both.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["Role", "ServiceAccount", "SlapdSpec", "TlsFiles"]

Role = Literal["writer", "reader"]
"""``writer`` is the bridge; ``reader`` is the records system's sync DN."""

_ROLES: frozenset[str] = frozenset({"writer", "reader"})


@dataclass(frozen=True)
class ServiceAccount:
    """A bind identity with a role that decides its ACLs and limits."""

    dn: str
    """Full DN; its RDN must be ``cn=...`` and it must sit under the suffix."""

    password: str = field(repr=False)
    """Plain text, only ever written to slapd hashed."""

    role: Role
    """``writer`` (the bridge) or ``reader`` (the records system)."""

    @classmethod
    def with_random_password(cls, dn: str, role: Role) -> ServiceAccount:
        """Return an account with a fresh random password, for tests and demos."""
        return cls(dn=dn, password=secrets.token_urlsafe(24), role=role)


@dataclass(frozen=True)
class TlsFiles:
    """PEM files that turn on LDAPS and StartTLS."""

    cert: Path
    """Server certificate chain, leaf first."""

    key: Path
    """Private key of the server certificate."""

    ca: Path
    """CA bundle slapd presents as trusted (client certs are not asked for)."""


def _default_indexes() -> tuple[tuple[str, str], ...]:
    # Sub indexes where SCIM offers co/sw on the attribute; eq for the
    # membership attributes, which every member write and lookup filters on.
    return (
        ("uid", "eq,sub"),
        ("mail", "eq,sub"),
        ("cn", "eq,sub"),
        ("member", "eq"),
        ("groupMembership", "eq"),
        ("scimExternalId", "eq"),
    )


@dataclass(frozen=True)
class SlapdSpec:
    """The shape of one directory; validated on creation."""

    suffix: str = "dc=example,dc=org"
    """Naming context; its first RDN must be ``dc=...`` (dcObject)."""

    organisational_units: tuple[str, ...] = ("people", "groups", "services")
    """``ou`` values of the units created directly under the suffix."""

    managed_units: tuple[str, ...] = ("people", "groups")
    """Units the writer may change and the reader may read; a subset of
    :attr:`organisational_units`. Everything else is read-only for writers."""

    indexes: tuple[tuple[str, str], ...] = field(default_factory=_default_indexes)
    """``(attribute, "eq,sub")`` pairs; the replication indexes are added."""

    unique: tuple[tuple[str, str], ...] = (("ou=people,dc=example,dc=org", "uid"),)
    """``(base DN, attribute)`` pairs enforced by the unique overlay."""

    refint_attributes: tuple[str, ...] = ("member", "groupMembership", "manager")
    """DN-valued attributes that refint rewrites after a delete or rename."""

    sorted_values: tuple[str, ...] = ("member", "groupMembership")
    """Attributes whose values slapd keeps sorted (olcSortVals): the member
    lists, so that one value among 50,000 is found without a scan."""

    service_accounts: tuple[ServiceAccount, ...] = ()
    """Bind identities created in the data, each with its role's ACLs."""

    tls: TlsFiles | None = None
    """When set, slapd also listens on LDAPS and offers StartTLS."""

    size_limit: int = 500
    """Default search size limit; service accounts are exempt."""

    durable: bool = True
    """False skips fsync (olcDbNoSync): only for throwaway directories."""

    db_max_size: int = 4 * 1024**3
    """Upper bound of the memory map (olcDbMaxSize), in bytes."""

    deref: bool = True
    """Offer the dereference control (slapo-deref), through which the bridge
    reads a group's member ids in one search; False stands for a directory
    without the overlay."""

    def __post_init__(self) -> None:
        """Refuse a spec slapd would reject later with a vaguer message."""
        _check_units(self)
        for base, _ in self.unique:
            _check_under_suffix(base, self.suffix, "unique base")
        for account in self.service_accounts:
            _check_account(account, self)

    def unit_dn(self, unit: str) -> str:
        """Return the DN of the organisational unit named ``unit``."""
        return f"ou={unit},{self.suffix}"


def _check_units(spec: SlapdSpec) -> None:
    if not spec.suffix.lower().startswith("dc="):
        raise ValueError(f"suffix must start with dc=: {spec.suffix!r}")
    unknown = set(spec.managed_units) - set(spec.organisational_units)
    if unknown:
        raise ValueError(f"managed units not among the units: {sorted(unknown)}")


def _check_account(account: ServiceAccount, spec: SlapdSpec) -> None:
    if account.role not in _ROLES:
        raise ValueError(f"unknown role {account.role!r} for {account.dn}")
    if not account.dn.lower().startswith("cn="):
        raise ValueError(f"service account RDN must be cn=...: {account.dn}")
    _check_under_suffix(account.dn, spec.suffix, "service account")
    # The records system syncs every person under a managed unit, and the
    # writer could rewrite an account there: keep accounts outside them.
    for unit in spec.managed_units:
        if _is_under(account.dn, spec.unit_dn(unit)):
            raise ValueError(f"service account inside managed unit: {account.dn}")


def _check_under_suffix(dn: str, suffix: str, what: str) -> None:
    if not (_is_under(dn, suffix) or dn.lower() == suffix.lower()):
        raise ValueError(f"{what} {dn!r} is not under {suffix!r}")


def _is_under(dn: str, base: str) -> bool:
    # Plain string test: the specs we accept use one canonical DN spelling
    # (records-reader.md section 10.2), so no RFC 4514 normalisation here.
    return dn.lower().endswith("," + base.lower())
