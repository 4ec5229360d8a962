"""RFC 4515 filter strings compiled to the RFC 4511 §4.5.1 ``Filter`` in BER.

The bridge's filter translator speaks LDAP's string form; the wire needs
BER. ldap3 does this through pyasn1 objects, which cost more than slapd's
whole work for a 100-term member lookup; this is a direct, strict compiler
that keeps every byte of a value (ldap3 strips spaces around values, so the
translator escapes them either way).

    Filter ::= CHOICE { and [0] SET OF Filter, or [1] SET OF Filter,
        not [2] Filter, equalityMatch [3] AVA, substrings [4] SubstringFilter,
        greaterOrEqual [5] AVA, lessOrEqual [6] AVA, present [7] Attribute,
        approxMatch [8] AVA, extensibleMatch [9] MatchingRuleAssertion }
"""

import re

from .ber import OCTETS, SEQUENCE, tlv

__all__ = ["compile_filter"]

_AND, _OR, _NOT = 0xA0, 0xA1, 0xA2
_EQUAL, _SUBSTRINGS, _GREATER, _LESS, _PRESENT, _APPROX, _EXTENSIBLE = (
    0xA3, 0xA4, 0xA5, 0xA6, 0x87, 0xA8, 0xA9,
)  # fmt: skip
_INITIAL, _ANY, _FINAL = 0x80, 0x81, 0x82
_RULE, _TYPE, _MATCH_VALUE, _DN_ATTRIBUTES = 0x81, 0x82, 0x83, 0x84

# RFC 4512 §1.4: a descr or a numericoid; attribute descriptions add options.
_OID = r"(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)"
_ATTRIBUTE = re.compile(_OID + r"(?:;[A-Za-z0-9-]+)*\Z")
_RULE_ID = re.compile(_OID + r"\Z")
_HEX = frozenset(b"0123456789abcdefABCDEF")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> ValueError:
        return ValueError(f"invalid LDAP filter at offset {self.pos}: {why}")

    def filter(self) -> bytes:
        text = self.text
        if not text.startswith("(", self.pos):
            raise self.fail("expected '('")
        self.pos += 1
        kind = text[self.pos : self.pos + 1]
        if kind in ("&", "|"):
            self.pos += 1
            parts = []
            while text.startswith("(", self.pos):
                parts.append(self.filter())
            body = tlv(_AND if kind == "&" else _OR, b"".join(parts))
        elif kind == "!":
            self.pos += 1
            body = tlv(_NOT, self.filter())
        else:
            end = text.find(")", self.pos)
            if end < 0:
                raise self.fail("unclosed '('")
            body = self.item(text[self.pos : end])
            self.pos = end
        if not text.startswith(")", self.pos):
            raise self.fail("expected ')'")
        self.pos += 1
        return body

    def item(self, item: str) -> bytes:
        left, equals, value = item.partition("=")
        if not equals:
            raise self.fail("a comparison needs '='")
        if "(" in value:
            raise self.fail("'(' must be escaped in a value")
        if left.endswith(":"):
            return self.extensible(left[:-1], value)
        tag = {"~": _APPROX, ">": _GREATER, "<": _LESS}.get(left[-1:])
        if tag is not None:
            left = left[:-1]
        attribute = self.attribute(left)
        if tag is not None:
            return tlv(tag, attribute + tlv(OCTETS, self.plain(value)))
        if value == "*":
            return tlv(_PRESENT, left.encode())
        if "*" not in value:
            return tlv(_EQUAL, attribute + tlv(OCTETS, self.value(value)))
        pieces = value.split("*")
        parts = []
        if pieces[0]:
            parts.append(tlv(_INITIAL, self.value(pieces[0])))
        parts += [tlv(_ANY, self.value(piece)) for piece in pieces[1:-1] if piece]
        if pieces[-1]:
            parts.append(tlv(_FINAL, self.value(pieces[-1])))
        if not parts:
            raise self.fail("a substring filter needs a piece between its '*'s")
        return tlv(_SUBSTRINGS, attribute + tlv(SEQUENCE, b"".join(parts)))

    def extensible(self, left: str, value: str) -> bytes:
        # attr [":dn"] [":" rule] ":=" value  /  [":dn"] ":" rule ":=" value
        names = left.split(":")
        attribute, options = names[0], names[1:]
        dn = bool(options) and options[0].lower() == "dn"
        if dn:
            options = options[1:]
        if len(options) > 1 or (not attribute and not options):
            raise self.fail("an extensible match is attr[:dn][:rule]:=value")
        body = b""
        if options:
            if not _RULE_ID.match(options[0]):
                raise self.fail(f"bad matching rule {options[0]!r}")
            body += tlv(_RULE, options[0].encode())
        if attribute:
            self.attribute(attribute)
            body += tlv(_TYPE, attribute.encode())
        body += tlv(_MATCH_VALUE, self.plain(value))
        if dn:
            body += tlv(_DN_ATTRIBUTES, b"\xff")
        return tlv(_EXTENSIBLE, body)

    def attribute(self, name: str) -> bytes:
        if not _ATTRIBUTE.match(name):
            raise self.fail(f"bad attribute description {name!r}")
        return tlv(OCTETS, name.encode())

    def plain(self, value: str) -> bytes:
        """A value where ``*`` has no meaning, so must be escaped."""
        if "*" in value:
            raise self.fail("'*' must be escaped in this value")
        return self.value(value)

    def value(self, value: str) -> bytes:
        raw = value.encode("utf-8")
        if b"\\" not in raw:
            return raw
        head, *rest = raw.split(b"\\")
        out = [head]
        for piece in rest:
            if len(piece) < 2 or piece[0] not in _HEX or piece[1] not in _HEX:
                raise self.fail("'\\' must start a two-digit hex escape")
            out.append(bytes.fromhex(piece[:2].decode()))
            out.append(piece[2:])
        return b"".join(out)


def compile_filter(text: str) -> bytes:
    """The BER ``Filter`` for an RFC 4515 string; ValueError when malformed.

    Strict where RFC 4515 is: no spaces between parts, ``(``, ``)``, ``*``
    and ``\\`` escaped in values. Not cached: a client's filter can hold
    a megabyte, and compiling an ordinary one costs about 20 µs.
    """
    parser = _Parser(text)
    compiled = parser.filter()
    if parser.pos != len(text):
        raise parser.fail("text after the filter")
    return compiled
