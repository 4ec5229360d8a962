"""The bridge's busiest LDAP requests, written as BER and sent on ldap3's link.

Per request ldap3 builds a tree of pyasn1 objects, encodes it, then decodes
it again for its own bookkeeping; profiled under an Entra-like load that
was over a third of the bridge's CPU time. Search, add and modify are
therefore written here (RFC 4511 §4.5, §4.6, §4.7) and handed to ldap3's
connection, which still owns the socket, TLS, the bind, message ids,
reading and decoding the responses (ldap3's fast decoder, not pyasn1) and
its timeouts. Bind, rename, delete and the root DSE read are rare and stay
on ldap3's own calls.

The bytes are ldap3's for every request the bridge makes, except that a
filter value keeps its surrounding spaces and ``(&)`` can be written;
``tests/directory/test_wire.py`` checks both against ldap3 and slapd.
"""

from collections.abc import Mapping, Sequence

from ldap3 import Connection
from ldap3.core.exceptions import (
    LDAPInvalidFilterError,
    LDAPSocketOpenError,
    LDAPSocketSendError,
    communication_exception_factory,
)

from .ber import BOOLEAN, ENUMERATED, OCTETS, SEQUENCE, SET, integer, tlv
from .controls import Control
from .filters import compile_filter

__all__ = [
    "PAGED_OID",
    "Modification",
    "add",
    "add_request",
    "message",
    "modify",
    "modify_request",
    "paged",
    "search",
    "search_request",
    "send",
]

PAGED_OID = "1.2.840.113556.1.4.319"
_SEARCH, _ADD, _MODIFY, _CONTROLS = 0x63, 0x68, 0x66, 0xA0
_SCOPES = {"BASE": 0, "LEVEL": 1, "SUBTREE": 2}
_DEREF_ALWAYS = integer(3, ENUMERATED)  # ldap3's default: its bytes, kept
_FALSE = tlv(BOOLEAN, b"\x00")
_TRUE = tlv(BOOLEAN, b"\xff")
_ZERO = integer(0)
_OPS = {"add": 0, "delete": 1, "replace": 2}

Modification = tuple[str, str, Sequence[str]]
"""``(operation, attribute, values)``, operation ``add``, ``delete`` or
``replace``."""


def _octets(value: str | bytes) -> bytes:
    return tlv(OCTETS, value.encode("utf-8") if isinstance(value, str) else value)


def _attribute(name: str, values: Sequence[str | bytes]) -> bytes:
    return tlv(SEQUENCE, _octets(name) + tlv(SET, b"".join(_octets(v) for v in values)))


def _controls(controls: Sequence[Control]) -> bytes:
    if not controls:
        return b""
    encoded = []
    for oid, critical, value in controls:
        # criticality is BOOLEAN DEFAULT FALSE: only TRUE is written.
        body = _octets(oid) + (_TRUE if critical else b"")
        if value is not None:
            body += _octets(value)
        encoded.append(tlv(SEQUENCE, body))
    return tlv(_CONTROLS, b"".join(encoded))


def paged(size: int, cookie: bytes | None) -> Control:
    """The RFC 2696 paged results control, non-critical as ldap3 sends it."""
    value = tlv(SEQUENCE, integer(size) + _octets(cookie or b""))
    return (PAGED_OID, False, value)


def message(message_id: int, operation: bytes, controls: Sequence[Control]) -> bytes:
    """The LDAPMessage carrying one request and its controls."""
    return tlv(SEQUENCE, integer(message_id) + operation + _controls(controls))


def search_request(
    base: str, filter_text: str, scope: str, attributes: Sequence[str]
) -> bytes:
    """A SearchRequest with ldap3's defaults: no limits, aliases always
    dereferenced, values wanted. Raises ValueError for a malformed filter."""
    return tlv(
        _SEARCH,
        _octets(base)
        + integer(_SCOPES[scope], ENUMERATED)
        + _DEREF_ALWAYS
        + _ZERO
        + _ZERO
        + _FALSE
        + compile_filter(filter_text)
        + tlv(SEQUENCE, b"".join(_octets(name) for name in attributes)),
    )


def add_request(dn: str, attributes: Mapping[str, Sequence[str]]) -> bytes:
    """An AddRequest for the entry ``attributes`` describes, objectClass
    included."""
    body = b"".join(_attribute(name, values) for name, values in attributes.items())
    return tlv(_ADD, _octets(dn) + tlv(SEQUENCE, body))


def modify_request(dn: str, changes: Sequence[Modification]) -> bytes:
    """A ModifyRequest of ``(operation, attribute, values)``, in order."""
    body = b"".join(
        tlv(SEQUENCE, integer(_OPS[op], ENUMERATED) + _attribute(name, values))
        for op, name, values in changes
    )
    return tlv(_MODIFY, _octets(dn) + tlv(SEQUENCE, body))


def send(
    conn: Connection,
    kind: str,
    operation: bytes,
    controls: Sequence[Control],
    attributes: Sequence[str] = (),
) -> None:
    """Send one request on a bound ldap3 connection and read its answer:
    ``conn.result`` and, for a search, ``conn.response`` are then what
    ldap3's own call would have left there.

    ldap3 keeps a decoded copy of each request, which this does not make:
    the connection must not chase referrals or ranged attributes (the pool
    opens them so), the two uses ldap3 has for more than the ``attributes``
    asked for.
    """
    with conn.connection_lock:
        if not conn.listening:
            raise LDAPSocketOpenError("unable to send message, socket is not open")
        strategy = conn.strategy
        message_id = conn.server.next_message_id()
        # ldap3 reads the answer only for a request it has on record.
        conn.request = {
            "type": kind,
            "controls": list(controls),
            "attributes": list(attributes),
        }
        strategy._outstanding[message_id] = conn.request
        try:
            conn.socket.sendall(message(message_id, operation, controls))
        except OSError as exc:
            conn.last_error = f"socket sending error: {exc}"
            # As ldap3 raises it: its class mixed with the socket error's,
            # so that a send timeout still shows as a TimeoutError.
            mixed = communication_exception_factory(  # type: ignore[no-untyped-call]
                LDAPSocketSendError, exc
            )
            raise mixed(conn.last_error) from exc
        if kind == "searchRequest":
            strategy.post_send_search(message_id)
        else:
            strategy.post_send_single_response(message_id)


def search(
    conn: Connection,
    base: str,
    filter_text: str,
    scope: str,
    attributes: Sequence[str],
    controls: Sequence[Control] = (),
) -> None:
    """Search; an ill-formed filter is ldap3's LDAPInvalidFilterError."""
    try:
        request = search_request(base, filter_text, scope, attributes)
    except ValueError as exc:
        raise LDAPInvalidFilterError(str(exc)) from exc
    send(conn, "searchRequest", request, controls, attributes)


def add(
    conn: Connection,
    dn: str,
    attributes: Mapping[str, Sequence[str]],
    controls: Sequence[Control] = (),
) -> None:
    """Add one entry."""
    send(conn, "addRequest", add_request(dn, attributes), controls)


def modify(
    conn: Connection,
    dn: str,
    changes: Sequence[Modification],
    controls: Sequence[Control] = (),
) -> None:
    """Modify one entry."""
    send(conn, "modifyRequest", modify_request(dn, changes), controls)
