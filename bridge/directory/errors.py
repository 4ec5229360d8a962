"""ldap3 results and exceptions, translated into the bridge's tree.

This is the border: nothing above the directory package sees an ldap3
type. Result codes are RFC 4511 §4.1.9 (and RFC 4528 for 122).

A lost or refused connection is :class:`Unreachable` (a 503 to clients),
which also carries, for the operator only, the reason: the URI and what
went wrong. :class:`BindRefused` is the one case that will not heal by
itself: the directory answered and rejected the bridge's credentials.
"""

import ast
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ldap3.core import exceptions as lx
from scim2_models import (
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    UniquenessException,
)

from ..errors import DirectoryFailure, DirectoryUnavailable

__all__ = [
    "ALREADY_EXISTS",
    "INVALID_CREDENTIALS",
    "NO_SUCH_ATTRIBUTE",
    "VALUE_EXISTS",
    "AccessDenied",
    "BindRefused",
    "Unreachable",
    "check_result",
    "translated",
]

log = logging.getLogger("bridge.directory")

NO_SUCH_ATTRIBUTE = 16
VALUE_EXISTS = 20
ALREADY_EXISTS = 68
INVALID_CREDENTIALS = 49
CONSTRAINT_VIOLATION = 19

_UNIQUE_OVERLAY = "non-unique attributes found"
"""How slapo-unique (OpenLDAP 2.5) begins its constraintViolation message."""

_UNAVAILABLE = {3, 51, 52, 80, 81, 85, 91}
_INVALID = {17, 18, 21, 34, 64, 65, 67, 69}
_CONNECTION_ERRORS = (
    lx.LDAPSocketOpenError,
    lx.LDAPSocketReceiveError,
    lx.LDAPSocketSendError,
    lx.LDAPSessionTerminatedByServerError,
    lx.LDAPResponseTimeoutError,
    lx.LDAPStartTLSError,
    lx.LDAPCommunicationError,
    lx.LDAPServerPoolExhaustedError,
    lx.LDAPBindError,
)


class Unreachable(DirectoryUnavailable):
    """The connection could not be opened, or broke during an operation.

    ``reason`` is for logs and the start-up message, never for a client:
    it may name hosts. ``timed_out`` tells a silent directory (which may
    still be working on the request) from a connection that is gone.
    """

    def __init__(self, reason: str, *, timed_out: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.reason = reason
        self.timed_out = timed_out


class AccessDenied(DirectoryFailure):
    """The directory's ACL does not let the bridge's account do this
    (insufficientAccessRights, 50): a deployment problem, not the client's."""


class Refused(Unreachable):
    """The directory answered and refused the bridge's settings, which no
    retry will change: a configuration error at start-up. ``setting`` names
    what to fix."""

    setting = "directory"
    hint = "check the directory settings"


class BindRefused(Refused):
    """The directory rejected the bind DN and password (invalidCredentials)."""

    setting = "directory.bind_dn / directory.bind_password"
    hint = "check both: the directory does not say which of the two is wrong"


class StartTlsRefused(Refused):
    """The directory answered StartTLS with an error: it offers no TLS there."""

    setting = "directory.tls"
    hint = (
        "the directory offers no StartTLS on this URI: turn TLS on in slapd,"
        " or set tls to ldaps (another port) or none"
    )


def check_result(result: dict[str, Any], *, operation: str, dn: str = "") -> None:
    """Raise the bridge's error for a failed LDAP result; return on success."""
    code = int(result.get("result", 0))
    if code == 0:
        return
    message = str(result.get("message") or result.get("description") or "")
    if code == 32:
        raise NotFoundException(detail="Resource not found")
    if code == ALREADY_EXISTS:
        raise UniquenessException(detail="A resource with that name already exists")
    if code == CONSTRAINT_VIOLATION:
        if _UNIQUE_OVERLAY in message.lower():
            raise UniquenessException(detail="Another resource already has that value")
        raise InvalidValueException(
            detail=f"The directory refused the value: {message}"
        )
    if code in _INVALID or code in (NO_SUCH_ATTRIBUTE, VALUE_EXISTS):
        raise InvalidValueException(
            detail=f"The directory refused the change: {message}"
        )
    if code == 122:
        raise PreconditionFailedException(
            detail="The resource changed since that version (If-Match)"
        )
    if code in _UNAVAILABLE:
        raise DirectoryUnavailable(detail="The directory is busy or unavailable")
    if code == 50:
        log.error(
            "LDAP %s refused: the bind account lacks access rights",
            operation,
            extra={"dn": dn},
        )
        raise AccessDenied(
            detail=f"The directory does not allow the bridge's account to {operation} here"
        )
    log.error(
        "LDAP %s failed: result %s %s", operation, code, message, extra={"dn": dn}
    )
    raise DirectoryFailure(detail=f"The directory refused the {operation}")


@contextmanager
def translated(operation: str) -> Iterator[None]:
    """Turn ldap3 exceptions raised inside the block into bridge errors."""
    try:
        yield
    except _CONNECTION_ERRORS as exc:
        # ldap3 mixes the socket error's class into its own on a receive
        # timeout, so TimeoutError is how a silent directory shows.
        timed_out = isinstance(exc, TimeoutError)
        log.warning(
            "LDAP %s: directory unreachable: %s%s",
            operation,
            type(exc).__name__,
            " (timed out)" if timed_out else "",
        )
        raise Unreachable(f"{operation}: {_message(exc)}", timed_out=timed_out) from exc
    except lx.LDAPException as exc:
        log.error("LDAP %s failed: %s", operation, type(exc).__name__)
        raise DirectoryFailure(detail=f"The directory {operation} failed") from exc


def _message(exc: Exception) -> str:
    """The text of an ldap3 error, unwrapped.

    ldap3 re-raises socket and TLS errors as classes mixed with OSError,
    whose ``str()`` may be the repr of a tuple around the real message,
    once or twice over.
    """
    text = str(exc)
    while text.startswith(("('", '("')):
        try:
            inner = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            break
        if not (isinstance(inner, tuple) and inner and isinstance(inner[0], str)):
            break
        text = inner[0]
    return text
