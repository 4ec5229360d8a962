"""DN strings in one canonical form (RFC 4514).

The records system compares ``member``, ``groupMembership`` and entry DNs
as exact strings, so every DN the bridge builds is built here: no spaces
around separators, values escaped once. slapd stores and returns entry DNs
with attribute types spelled as the schema names them (``scimExternalId``,
``ou``), so the naming attribute keeps the mapping's (schema) spelling, and
DN values the bridge writes into other entries are taken from slapd's own
answers (``entryDN``), never rebuilt.
"""

__all__ = [
    "build_dn",
    "canonical_dn",
    "common_suffix",
    "escape_rdn_value",
    "rdn_value",
    "split_dn",
]

_SPECIAL = set(',+"\\<>;=')


def escape_rdn_value(value: str) -> str:
    """Escape an attribute value for use in an RDN (RFC 4514 §2.4)."""
    out = []
    for index, char in enumerate(value):
        if char in _SPECIAL:
            out.append("\\" + char)
        elif char == "\x00":
            out.append("\\00")
        elif char == "#" and index == 0:
            out.append("\\#")
        elif char == " " and (index == 0 or index == len(value) - 1):
            out.append("\\ ")
        else:
            out.append(char)
    return "".join(out)


def _unescape(value: str) -> str:
    out = bytearray()
    index = 0
    while index < len(value):
        char = value[index]
        if char != "\\":
            out += char.encode("utf-8")
            index += 1
            continue
        pair = value[index + 1 : index + 3]
        if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
            out.append(int(pair, 16))
            index += 3
        else:
            out += value[index + 1 : index + 2].encode("utf-8")
            index += 2
    return out.decode("utf-8", errors="replace")


def split_dn(dn: str) -> list[tuple[str, str]]:
    """The (type, unescaped value) pairs of a DN, leftmost first.

    Multi-valued RDNs are not split: the bridge never writes them.
    """
    parts: list[tuple[str, str]] = []
    current: list[str] = []
    escaped = False
    for char in dn:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == ",":
            parts.append(_pair("".join(current)))
            current = []
        else:
            current.append(char)
    if current or parts:
        parts.append(_pair("".join(current)))
    return parts


def _pair(rdn: str) -> tuple[str, str]:
    name, sep, value = rdn.partition("=")
    if not sep:
        raise ValueError(f"{rdn!r} is not an RDN")
    return name.strip(), _unescape(_strip_insignificant(value))


def _strip_insignificant(value: str) -> str:
    """Drop the spaces around a value that RFC 4514 ignores (ASCII spaces
    only, and never an escaped one: ``a\\ `` keeps its trailing space)."""
    value = value.lstrip(" ")
    while value.endswith(" ") and not _escaped_at_end(value):
        value = value[:-1]
    return value


def _escaped_at_end(value: str) -> bool:
    """Whether the last character is escaped (an odd run of backslashes)."""
    run = len(value) - 1 - len(value[:-1].rstrip("\\"))
    return run % 2 == 1


def build_dn(attr: str, value: str, base: str) -> str:
    """The canonical DN of the entry named ``attr=value`` under ``base``."""
    return f"{attr}={escape_rdn_value(value)},{canonical_dn(base)}"


def canonical_dn(dn: str) -> str:
    """A DN with lower-case types, no stray spaces and values escaped once."""
    return ",".join(
        f"{name.lower()}={escape_rdn_value(value)}" for name, value in split_dn(dn)
    )


def rdn_value(dn: str) -> str:
    """The unescaped value of a DN's leftmost RDN."""
    return split_dn(dn)[0][1]


def common_suffix(first: str, second: str) -> str:
    """The longest run of trailing RDNs two DNs share (their naming context,
    for two units of one database), in the first one's spelling."""
    a, b = split_dn(first), split_dn(second)
    shared = 0
    while shared < min(len(a), len(b)) and canonical_dn(
        _join(a[-1 - shared :])
    ) == canonical_dn(_join(b[-1 - shared :])):
        shared += 1
    return _join(a[len(a) - shared :]) if shared else ""


def _join(rdns: list[tuple[str, str]]) -> str:
    return ",".join(f"{name}={escape_rdn_value(value)}" for name, value in rdns)
