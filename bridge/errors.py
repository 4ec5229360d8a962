"""The one exception tree of the bridge.

Every error a request can end in is a :class:`scim2_models.SCIMException`,
which carries its HTTP ``status`` and ``scimType`` on the class. The bridge
reuses scim2-models' classes where the RFC 7644 §3.12 vocabulary fits
(``InvalidFilterException``, ``UniquenessException``, ...) and adds the kinds
it needs below. The web layer renders all of them in one middleware.

::

    SCIMException (scim2-models)
     ├── InvalidValueException, InvalidFilterException, ... (scim2-models)
     └── BridgeError
          ├── UnsupportedMediaType        415
          ├── MethodNotAllowed            405
          ├── RequestTimeout              408
          ├── DirectoryUnavailable        503 + Retry-After
          └── DirectoryFailure            500 (an LDAP result nobody expected)

:class:`ConfigError` is apart: it is raised at start-up, never during a
request, and names the file and the key that are wrong.
"""

from typing import Any

from scim2_models import SCIMException

__all__ = [
    "BridgeError",
    "ConfigError",
    "DirectoryFailure",
    "DirectoryUnavailable",
    "MethodNotAllowed",
    "RequestTimeout",
    "UnsupportedMediaType",
]


class BridgeError(SCIMException):
    """Root of the errors the bridge defines itself."""

    status = 500
    _default_detail = "The bridge failed to handle the request"


class UnsupportedMediaType(BridgeError):
    """The request body is not JSON (RFC 7644 §3.1 asks for scim+json)."""

    status = 415
    _default_detail = "Send the body as application/scim+json or application/json"


class RequestTimeout(BridgeError):
    """The client did not send its request in time."""

    status = 408
    _default_detail = "The request did not arrive in time"


class MethodNotAllowed(BridgeError):
    """The endpoint exists but does not take this method."""

    status = 405
    _default_detail = "This endpoint does not accept that method"

    def __init__(self, *, allowed: tuple[str, ...], **kw: Any) -> None:
        super().__init__(**kw)
        self.allowed = allowed


class DirectoryUnavailable(BridgeError):
    """The directory cannot be reached or did not answer in time.

    Entra retries 5xx answers later, so a short outage costs nothing; the
    ``Retry-After`` hint tells other clients when to come back.
    """

    status = 503
    _default_detail = "The directory is unavailable; retry later"

    def __init__(self, *, retry_after: int = 30, **kw: Any) -> None:
        super().__init__(**kw)
        self.retry_after = retry_after


class DirectoryFailure(BridgeError):
    """The directory answered with a result the bridge cannot explain."""

    status = 500
    _default_detail = "The directory refused the operation"


class ConfigError(Exception):
    """A configuration or mapping file is wrong; raised at start-up only."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source = source
        self.key = key
        self.problem = problem
