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

__all__ = ["DEREF_OID", "Dereferenced", "deref_control", "parse_deref"]

DEREF_OID = "1.3.6.1.4.1.4203.666.5.16"

_SEQUENCE, _SET, _OCTETS, _ATTR_VALS = 0x30, 0x31, 0x04, 0xA0


@dataclass(frozen=True)
class Dereferenced:
    """One value of the dereferenced attribute and what its entry holds.

    ``attrs`` is empty when the value names no entry, or one the bridge's
    account may not read: slapd then sends the DN alone.
    """

    attribute: str
    dn: str
    attrs: dict[str, list[str]] = field(default_factory=dict)


def _tlv(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes((tag, size)) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + body


@functools.lru_cache(maxsize=16)
def deref_control(attribute: str, wanted: tuple[str, ...]) -> tuple[str, bool, bytes]:
    """The critical control asking, for each value of ``attribute``, for
    the ``wanted`` attributes of the entry it names."""
    names = b"".join(_tlv(_OCTETS, name.encode()) for name in wanted)
    spec = _tlv(_OCTETS, attribute.encode()) + _tlv(_SEQUENCE, names)
    return DEREF_OID, True, _tlv(_SEQUENCE, _tlv(_SEQUENCE, spec))


def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the element at ``pos``."""
    if pos + 2 > end:
        raise ValueError("truncated BER element")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        size = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise ValueError("unsupported BER length")
        size = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + size > end:
        raise ValueError("BER element runs past its container")
    return tag, pos, pos + size


def _children(data: bytes, start: int, end: int, tag: int) -> list[tuple[int, int]]:
    found = []
    pos = start
    while pos < end:
        got, inner, after = _header(data, pos, end)
        if got != tag:
            raise ValueError(f"unexpected BER tag {got:#x}")
        found.append((inner, after))
        pos = after
    return found


def _text(data: bytes, start: int, end: int) -> str:
    return data[start:end].decode("utf-8", errors="replace")


def parse_deref(value: bytes) -> list[Dereferenced]:
    """The entries of a DerefResponse, in slapd's order (the value order).

    Raises ValueError when the value is not a well-formed DerefResponse.
    """
    tag, start, end = _header(value, 0, len(value))
    if tag != _SEQUENCE or end != len(value):
        raise ValueError("a DerefResponse is one SEQUENCE")
    result = []
    for inner, after in _children(value, start, end, _SEQUENCE):
        parts = []
        pos = inner
        while pos < after:
            got, body, pos = _header(value, pos, after)
            parts.append((got, body, pos))
        if len(parts) not in (2, 3) or parts[0][0] != _OCTETS or parts[1][0] != _OCTETS:
            raise ValueError("a DerefRes is derefAttr, derefVal, [attrVals]")
        attrs: dict[str, list[str]] = {}
        if len(parts) == 3:
            if parts[2][0] != _ATTR_VALS:
                raise ValueError("attrVals must be tagged [0]")
            for a_start, a_end in _children(value, parts[2][1], parts[2][2], _SEQUENCE):
                kind, t_start, t_end = _header(value, a_start, a_end)
                vals_tag, v_start, v_end = _header(value, t_end, a_end)
                if kind != _OCTETS or vals_tag != _SET:
                    raise ValueError("a PartialAttribute is type, SET OF value")
                attrs[_text(value, t_start, t_end)] = [
                    _text(value, s, e)
                    for s, e in _children(value, v_start, v_end, _OCTETS)
                ]
        result.append(
            Dereferenced(
                _text(value, parts[0][1], parts[0][2]),
                _text(value, parts[1][1], parts[1][2]),
                attrs,
            )
        )
    return result
