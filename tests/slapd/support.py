"""Names and ldap3 helpers shared by the slapd tests."""

from __future__ import annotations

from ldap3 import NONE, Connection, Server, Tls

from bridge.slapd import ServiceAccount, SlapdSpec, TlsFiles

SUFFIX = "dc=example,dc=org"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SERVICES = f"ou=services,{SUFFIX}"

WRITER = ServiceAccount.with_random_password(f"cn=bridge,{SERVICES}", "writer")
READER = ServiceAccount.with_random_password(f"cn=records,{SERVICES}", "reader")


def bridge_spec(tls: TlsFiles | None = None) -> SlapdSpec:
    """Return the production-shaped spec the tests run, without fsync."""
    return SlapdSpec(service_accounts=(WRITER, READER), tls=tls, durable=False)


def connect(
    uri: str,
    dn: str | None = None,
    password: str | None = None,
    *,
    tls: Tls | None = None,
    timeout: float = 10,
) -> Connection:
    """Return an ldap3 connection bound as ``dn`` (anonymous when None)."""
    server = Server(uri, get_info=NONE, connect_timeout=5, tls=tls)
    return Connection(
        server, user=dn, password=password, auto_bind=True, receive_timeout=timeout
    )


def as_account(uri: str, account: ServiceAccount) -> Connection:
    """Return a connection bound as a service account."""
    return connect(uri, account.dn, account.password)


def person(uid: str, **extra: str | list[str]) -> dict[str, str | list[str]]:
    """Return the attributes of a minimal bridge user entry."""
    attributes: dict[str, str | list[str]] = {
        "objectClass": ["inetOrgPerson", "scimUser"],
        "uid": uid,
        "cn": uid,
        "sn": uid,
    }
    attributes.update(extra)
    return attributes
