"""Small LDIF writer (RFC 2849) and the password hash slapd is given.

Only what the launcher needs: entries as ``(attribute, value)`` pairs,
base64 for values that are not SAFE-STRINGs, and ``{SSHA}`` hashes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable, Sequence

__all__ = ["Attributes", "render_entries", "render_entry", "ssha"]

Attributes = Sequence[tuple[str, str]]
"""An entry's attribute values, in the order they should be written."""

_UNSAFE_FIRST = frozenset(" :<")


def render_entry(dn: str, attributes: Attributes) -> str:
    """Return one LDIF record, ending with the blank line that closes it."""
    lines = [_line("dn", dn)]
    lines.extend(_line(name, value) for name, value in attributes)
    return "\n".join(lines) + "\n\n"


def render_entries(entries: Iterable[tuple[str, Attributes]]) -> str:
    """Return the LDIF records of ``entries``, in order."""
    return "".join(render_entry(dn, attributes) for dn, attributes in entries)


def ssha(password: str) -> str:
    """Return a salted SHA-1 ``{SSHA}`` hash, which slapd checks natively.

    Computed here rather than by ``slappasswd -s``, whose argument would
    show the password to anyone listing processes.
    """
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")


def _line(name: str, value: str) -> str:
    if _is_safe(value):
        return f"{name}: {value}"
    encoded = base64.b64encode(value.encode()).decode("ascii")
    return f"{name}:: {encoded}"


def _is_safe(value: str) -> bool:
    # RFC 2849 SAFE-STRING; a trailing space would also be lost by readers.
    if not value:
        return True
    if value[0] in _UNSAFE_FIRST or value.endswith(" "):
        return False
    return all(0 < ord(char) < 128 and char not in "\r\n" for char in value)
