"""The dereference control of OpenLDAP's slapo-deref (draft-masarati-ldap-deref).

Sent with a search, it makes slapd return, beside each entry, attributes of
the entries that a DN-valued attribute names: a group's members with their
``entryUUID``, in one round trip whatever the group's size, instead of one
search per chunk of member DNs. The control is critical, so a server
without the overlay refuses the search (result 12) rather than answering
without it, and the caller falls back to the chunked searches.

The value is BER, written and read here directly: a 50,000-member answer
is one control of about 5 MB, which pyasn1 would take seconds to decode.

    DerefSpecs ::= SEQUENCE OF SEQUENCE {
        derefAttr AttributeDescription, attributes SEQUENCE OF AttributeDescription }
    DerefResponse ::= SEQUENCE OF SEQUENCE {
        derefAttr AttributeDescription, derefVal LDAPDN,
        attrVals [0] SEQUENCE OF PartialAttribute OPTIONAL }
"""

import functools
from dataclasses import dataclass, field

from .ber import OCTETS, SEQUENCE, SET, children, header, text, tlv

__all__ = ["DEREF_OID", "Dereferenced", "deref_control", "parse_deref"]

DEREF_OID = "1.3.6.1.4.1.4203.666.5.16"

_ATTR_VALS = 0xA0


@dataclass(frozen=True)
class Dereferenced:
    """One value of the dereferenced attribute and what its entry holds.

    ``attrs`` is empty when the value names no entry, or one the bridge's
    account may not read: slapd then sends the DN alone.
    """

    attribute: str
    dn: str
    attrs: dict[str, list[str]] = field(default_factory=dict)


@functools.lru_cache(maxsize=16)
def deref_control(attribute: str, wanted: tuple[str, ...]) -> tuple[str, bool, bytes]:
    """The critical control asking, for each value of ``attribute``, for
    the ``wanted`` attributes of the entry it names."""
    names = b"".join(tlv(OCTETS, name.encode()) for name in wanted)
    spec = tlv(OCTETS, attribute.encode()) + tlv(SEQUENCE, names)
    return DEREF_OID, True, tlv(SEQUENCE, tlv(SEQUENCE, spec))


def parse_deref(value: bytes) -> list[Dereferenced]:
    """The entries of a DerefResponse, in slapd's order (the value order).

    Raises ValueError when the value is not a well-formed DerefResponse.
    """
    tag, start, end = header(value, 0, len(value))
    if tag != SEQUENCE or end != len(value):
        raise ValueError("a DerefResponse is one SEQUENCE")
    result = []
    for inner, after in children(value, start, end, SEQUENCE):
        parts = []
        pos = inner
        while pos < after:
            got, body, pos = header(value, pos, after)
            parts.append((got, body, pos))
        if len(parts) not in (2, 3) or parts[0][0] != OCTETS or parts[1][0] != OCTETS:
            raise ValueError("a DerefRes is derefAttr, derefVal, [attrVals]")
        attrs: dict[str, list[str]] = {}
        if len(parts) == 3:
            if parts[2][0] != _ATTR_VALS:
                raise ValueError("attrVals must be tagged [0]")
            for a_start, a_end in children(value, parts[2][1], parts[2][2], SEQUENCE):
                kind, t_start, t_end = header(value, a_start, a_end)
                vals_tag, v_start, v_end = header(value, t_end, a_end)
                if kind != OCTETS or vals_tag != SET:
                    raise ValueError("a PartialAttribute is type, SET OF value")
                attrs[text(value, t_start, t_end)] = [
                    text(value, s, e)
                    for s, e in children(value, v_start, v_end, OCTETS)
                ]
        result.append(
            Dereferenced(
                text(value, parts[0][1], parts[0][2]),
                text(value, parts[1][1], parts[1][2]),
                attrs,
            )
        )
    return result
