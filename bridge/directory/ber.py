"""The few BER forms the bridge writes and reads itself (X.690, RFC 4511 §5.1).

Only definite lengths, single-byte tags and INTEGERs in LDAP's range: all
that LDAP messages, their filters and the controls the bridge uses need.
Reading checks every length against its container, so a malformed value
raises ValueError rather than reading past its end.
"""

__all__ = [
    "BOOLEAN",
    "ENUMERATED",
    "INTEGER",
    "OCTETS",
    "SEQUENCE",
    "SET",
    "children",
    "header",
    "integer",
    "text",
    "tlv",
]

BOOLEAN, INTEGER, OCTETS, ENUMERATED, SEQUENCE, SET = 0x01, 0x02, 0x04, 0x0A, 0x30, 0x31


def tlv(tag: int, body: bytes) -> bytes:
    """One element: its tag, its definite length, its contents."""
    size = len(body)
    if size < 0x80:
        return bytes((tag, size)) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + body


def integer(value: int, tag: int = INTEGER) -> bytes:
    """An INTEGER (or ENUMERATED) in the fewest two's-complement bytes."""
    magnitude = value if value >= 0 else ~value  # -128 fits one byte, 128 not
    size = (magnitude.bit_length() + 8) // 8  # one spare bit for the sign
    return tlv(tag, value.to_bytes(size, "big", signed=True))


def header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
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


def children(data: bytes, start: int, end: int, tag: int) -> list[tuple[int, int]]:
    """(start, end) of the contents of each element in ``data[start:end]``,
    all of which must carry ``tag``."""
    found = []
    pos = start
    while pos < end:
        got, inner, after = header(data, pos, end)
        if got != tag:
            raise ValueError(f"unexpected BER tag {got:#x}")
        found.append((inner, after))
        pos = after
    return found


def text(data: bytes, start: int, end: int) -> str:
    """Contents as UTF-8 text; a stray byte becomes U+FFFD, never an error."""
    return data[start:end].decode("utf-8", errors="replace")
