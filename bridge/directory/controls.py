"""LDAP controls the bridge sends through ldap3, and decoders for replies.

Request builders return ldap3 control tuples ``(oid, criticality, value)``
where ``value`` is the BER-encoded control value, or ``None`` for a control
without one. ldap3 passes such tuples through untouched.

Response decoders read what ldap3 2.9.1 leaves in ``result["controls"]``:

- pre-read and post-read (RFC 4527) arrive already decoded by ldap3, as
  ``{"value": {"result": <case-insensitive dict>}}``; :func:`read_entry_from`
  turns that into a plain ``{attribute: [str, ...]}``;
- ldap3 does not know the sort (RFC 2891) and VLV responses, so their value
  is the raw BER ``bytes``; :func:`response_value` fetches it and
  :func:`decode_sort_result` and :func:`decode_vlv_result` parse it.

Every decoder reports malformed input with :class:`ControlDecodeError`.
"""

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from ldap3.protocol.rfc4527 import post_read_control, pre_read_control
from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, tag, univ

from .filters import compile_filter

__all__ = [
    "ASSERTION_OID",
    "PERMISSIVE_MODIFY_OID",
    "POST_READ_OID",
    "PRE_READ_OID",
    "SORT_REQUEST_OID",
    "SORT_RESPONSE_OID",
    "VLV_REQUEST_OID",
    "VLV_RESPONSE_OID",
    "Control",
    "ControlDecodeError",
    "SortKey",
    "VlvResult",
    "assertion",
    "decode_sort_result",
    "decode_vlv_result",
    "permissive_modify",
    "post_read",
    "pre_read",
    "read_entry_from",
    "response_value",
    "server_side_sort",
    "vlv_request",
]

Control: TypeAlias = tuple[str, bool, bytes | None]
"""An ldap3 control tuple: OID, criticality, BER value or ``None``."""

PERMISSIVE_MODIFY_OID: Final = "1.2.840.113556.1.4.1413"
ASSERTION_OID: Final = "1.3.6.1.1.12"
PRE_READ_OID: Final = "1.3.6.1.1.13.1"
POST_READ_OID: Final = "1.3.6.1.1.13.2"
SORT_REQUEST_OID: Final = "1.2.840.113556.1.4.473"
SORT_RESPONSE_OID: Final = "1.2.840.113556.1.4.474"
VLV_REQUEST_OID: Final = "2.16.840.1.113730.3.4.9"
VLV_RESPONSE_OID: Final = "2.16.840.1.113730.3.4.10"

_MAX_INT: Final = 2**31 - 1  # RFC 4511 section 4.1.1, maxInt


class ControlDecodeError(ValueError):
    """A response control value that does not match its ASN.1 definition."""


@dataclass(frozen=True, slots=True)
class SortKey:
    """One RFC 2891 sort key: an attribute, its ordering rule, a direction."""

    attribute: str
    ordering_rule: str | None = None
    reverse: bool = False


@dataclass(frozen=True, slots=True)
class VlvResult:
    """The VLV response control (draft-ietf-ldapext-ldapv3-vlv-09)."""

    target_position: int
    content_count: int
    result: int
    context_id: bytes | None


def _context(number: int, constructed: bool = False) -> tag.Tag:
    """Return the implicit context-specific tag ``[number]``."""
    form = tag.tagFormatConstructed if constructed else tag.tagFormatSimple
    return tag.Tag(tag.tagClassContext, form, number)


def _tagged_string(number: int) -> univ.OctetString:
    """Return an OCTET STRING retagged as implicit ``[number]``."""
    tagged: univ.OctetString = univ.OctetString().subtype(implicitTag=_context(number))
    return tagged


class _SortKeyAsn1(univ.Sequence):
    """RFC 2891 section 1.1, one element of SortKeyList."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("attributeType", univ.OctetString()),
        namedtype.OptionalNamedType("orderingRule", _tagged_string(0)),
        namedtype.DefaultedNamedType(
            "reverseOrder",
            univ.Boolean(False).subtype(implicitTag=_context(1)),
        ),
    )


class _SortKeyListAsn1(univ.SequenceOf):
    """RFC 2891 section 1.1, SortKeyList."""

    componentType = _SortKeyAsn1()


class _SortResultAsn1(univ.Sequence):
    """RFC 2891 section 1.2, SortResult."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("sortResult", univ.Enumerated()),
        namedtype.OptionalNamedType("attributeType", _tagged_string(0)),
    )


class _ByOffsetAsn1(univ.Sequence):
    """The byOffset target of a VLV request."""

    # The target CHOICE is untagged, so on the wire the chosen alternative
    # is all there is: [0] constructed for byOffset.
    tagSet = univ.Sequence.tagSet.tagImplicitly(_context(0, constructed=True))
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("offset", univ.Integer()),
        namedtype.NamedType("contentCount", univ.Integer()),
    )


class _VlvRequestAsn1(univ.Sequence):
    """VirtualListViewRequest (draft-ietf-ldapext-ldapv3-vlv-09), byOffset."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("beforeCount", univ.Integer()),
        namedtype.NamedType("afterCount", univ.Integer()),
        namedtype.NamedType("target", _ByOffsetAsn1()),
        namedtype.OptionalNamedType("contextID", univ.OctetString()),
    )


class _VlvResponseAsn1(univ.Sequence):
    """VirtualListViewResponse (draft-ietf-ldapext-ldapv3-vlv-09)."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("targetPosition", univ.Integer()),
        namedtype.NamedType("contentCount", univ.Integer()),
        namedtype.NamedType("virtualListViewResult", univ.Enumerated()),
        namedtype.OptionalNamedType("contextID", univ.OctetString()),
    )


def permissive_modify() -> Control:
    """Build the Permissive Modify control (Microsoft, no RFC).

    slapd honours it although its root DSE does not advertise it: adding a
    value that exists then succeeds. Non-critical, so a server without it
    still applies the change and reports attributeOrValueExists (20).
    """
    return (PERMISSIVE_MODIFY_OID, False, None)


def assertion(filter_text: str) -> Control:
    """Build the RFC 4528 assertion control for an RFC 4515 filter string.

    The value is the RFC 4511 section 4.5.1 ``Filter``, compiled as the
    bridge's searches are. The filter must already be escaped. Raises
    ``ValueError`` for a malformed filter.
    """
    value = compile_filter(filter_text)

    # Critical: a server that does not know the control must then refuse
    # the write (RFC 4511 section 4.1.11) instead of applying it unchecked.
    return (ASSERTION_OID, True, value)


def pre_read(attributes: Sequence[str]) -> Control:
    """Build the RFC 4527 pre-read control; no attributes sends ``1.1``."""
    return _read_control(pre_read_control, tuple(attributes))


def post_read(attributes: Sequence[str]) -> Control:
    """Build the RFC 4527 post-read control; no attributes sends ``1.1``."""
    return _read_control(post_read_control, tuple(attributes))


@functools.lru_cache(maxsize=64)
def _read_control(
    build: Callable[[list[str]], Any], attributes: tuple[str, ...]
) -> Control:
    # The bridge asks for the same few attribute lists on every write, and
    # the BER encoding of one costs as much as a small request (pyasn1).
    return _as_tuple(build(list(attributes)))


def _as_tuple(control: Any) -> Control:
    """Turn an ldap3 pyasn1 ``Control`` into a plain control tuple."""
    value = control["controlValue"]
    raw = bytes(value) if value.hasValue() else None
    return (str(control["controlType"]), bool(control["criticality"]), raw)


def server_side_sort(keys: Sequence[SortKey]) -> Control:
    """Build the RFC 2891 sort request control, non-critical.

    Give an ordering rule for attributes whose schema has no ORDERING, such
    as ``cn``: without one, slapd's sssvlv fails the whole search with
    inappropriateMatching (18) and sends no sort response control, even
    though the control is not critical.
    """
    if not keys:
        raise ValueError("server-side sort needs at least one key")

    key_list = _SortKeyListAsn1()
    for position, key in enumerate(keys):
        key_list.setComponentByPosition(position, _sort_key_asn1(key))
    return (SORT_REQUEST_OID, False, encoder.encode(key_list))


def _sort_key_asn1(key: SortKey) -> _SortKeyAsn1:
    """Fill one SortKey, leaving out the components at their defaults."""
    item = _SortKeyAsn1()
    item["attributeType"] = key.attribute
    if key.ordering_rule is not None:
        item["orderingRule"] = key.ordering_rule
    if key.reverse:
        item["reverseOrder"] = True
    return item


def vlv_request(
    offset: int,
    before: int,
    after: int,
    content_count: int = 0,
    context_id: bytes | None = None,
) -> Control:
    """Build a byOffset VLV request (draft-ietf-ldapext-ldapv3-vlv-09).

    ``offset`` is 1-based. A ``content_count`` of 0 tells the server that
    the offset is an absolute position, not a fraction of a list size.
    The server also needs a sort control in the same request.
    """
    _check_range("offset", offset, 1)
    _check_range("before", before, 0)
    _check_range("after", after, 0)
    _check_range("content_count", content_count, 0)

    request = _VlvRequestAsn1()
    request["beforeCount"] = before
    request["afterCount"] = after
    request["target"]["offset"] = offset
    request["target"]["contentCount"] = content_count
    if context_id is not None:
        request["contextID"] = context_id

    # Critical: a server that cannot window would return every entry.
    return (VLV_REQUEST_OID, True, encoder.encode(request))


def _check_range(name: str, value: int, low: int) -> None:
    """Refuse a VLV integer outside ``low .. maxInt``."""
    if not low <= value <= _MAX_INT:
        raise ValueError(f"{name} must be within {low}..{_MAX_INT}: {value}")


def response_value(result: Mapping[str, Any], oid: str) -> bytes | None:
    """Return the raw value of response control ``oid``, if it was sent.

    Use it for controls ldap3 does not decode (sort, VLV), then pass the
    bytes to the matching decoder.
    """
    control = _response_control(result, oid)
    if control is None:
        return None

    value = control.get("value")
    if value is not None and not isinstance(value, bytes):
        raise ControlDecodeError(f"control {oid} value is not raw bytes")
    return value


def read_entry_from(result: Mapping[str, Any], oid: str) -> dict[str, list[str]] | None:
    """Return the entry of a pre-read or post-read response control.

    ``None`` when the server sent no such control (slapd sends none when
    the operation fails). The entry DN is not available: ldap3 drops it.
    """
    control = _response_control(result, oid)
    if control is None:
        return None

    value = control.get("value")
    entry = value.get("result") if isinstance(value, Mapping) else None
    if not isinstance(entry, Mapping):
        raise ControlDecodeError(f"control {oid} carries no decoded entry")
    return {str(name): _text_values(name, vals) for name, vals in entry.items()}


def _response_control(result: Mapping[str, Any], oid: str) -> Mapping[str, Any] | None:
    """Find response control ``oid`` in an ldap3 result dictionary."""
    controls = result.get("controls") or {}
    control = controls.get(oid)
    if control is not None and not isinstance(control, Mapping):
        raise ControlDecodeError(f"control {oid} is not an ldap3 control")
    return control


def _text_values(name: str, values: Any) -> list[str]:
    """Normalise one attribute's values, as ldap3 decoded them, to text."""
    # ldap3 gives None for an attribute sent without values. For a value
    # that is not UTF-8 its pyasn1 decoder gives bytes, while its default
    # fast decoder quietly decodes it as latin-1.
    if values is None:
        return []
    try:
        return [_text(value) for value in values]
    except (TypeError, UnicodeDecodeError) as error:
        raise ControlDecodeError(f"attribute {name} is not text") from error


def _text(value: object) -> str:
    """Return one attribute value as text, decoding UTF-8 bytes."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode()
    raise TypeError(f"unexpected value type {type(value).__name__}")


def decode_sort_result(value: bytes) -> int:
    """Return the result code of an RFC 2891 sort response control value."""
    decoded = _decode(value, _SortResultAsn1())
    return int(decoded["sortResult"])


def decode_vlv_result(value: bytes) -> VlvResult:
    """Decode a VLV response value (draft-ietf-ldapext-ldapv3-vlv-09)."""
    decoded = _decode(value, _VlvResponseAsn1())
    context = decoded["contextID"]
    return VlvResult(
        target_position=int(decoded["targetPosition"]),
        content_count=int(decoded["contentCount"]),
        result=int(decoded["virtualListViewResult"]),
        context_id=bytes(context) if context.hasValue() else None,
    )


def _decode(value: bytes, spec: univ.Sequence) -> Any:
    """BER-decode ``value`` against ``spec``, exactly, with no bytes left."""
    if not isinstance(value, bytes):
        raise ControlDecodeError(f"control value must be bytes: {value!r}")

    try:
        decoded, rest = decoder.decode(value, asn1Spec=spec)
    except PyAsn1Error as error:
        # pyasn1 says nothing at all about an empty substrate.
        detail = str(error) or "no data"
        message = f"malformed control value: {detail}"
        raise ControlDecodeError(message) from error

    if rest:
        raise ControlDecodeError(f"{len(rest)} bytes after the control value")
    return decoded
