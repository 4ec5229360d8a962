"""How the bridge's HTTP server runs: timeouts and malformed requests.

``serve`` and ``demo`` both start aiohttp with these options, so the limits
the tests prove are the ones users get.
"""

import logging
import os
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

from ..config import Settings
from ..errors import ConfigError

__all__ = ["server_options"]


class _MalformedRequests(logging.Filter):
    """aiohttp logs a request it cannot parse at ERROR, with a traceback
    quoting the start of the offending line, which may be a header holding
    a token: keep one INFO line naming the error class only."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            remote = (
                record.args[0]
                if isinstance(record.args, tuple) and record.args
                else "?"
            )
            record.msg = "Refused a malformed request from %s: %s (%s)"
            record.args = (remote, type(error).__name__, error.code)
            record.exc_info = record.exc_text = None
            record.levelno = min(record.levelno, logging.INFO)
            record.levelname = logging.getLevelName(record.levelno)
        return True


def _http_logger() -> logging.Logger:
    logger = logging.getLogger("bridge.http")
    if not any(isinstance(f, _MalformedRequests) for f in logger.filters):
        logger.addFilter(_MalformedRequests())
    return logger


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiohttp's request handler.

    aiohttp closes a connection that is still waiting for a complete
    request line and headers ``keepalive_timeout`` seconds after it opened
    (or after the previous response), which bounds slow or idle clients.
    Header limits stay aiohttp's: 8190 bytes a line, 128 headers, each
    refused with 400. Parse errors go to ``bridge.http``, without values.
    """
    return {
        "keepalive_timeout": settings.limits.request_timeout,
        "logger": _http_logger(),
    }


def cannot_listen(
    source: str, key: str, where: tuple[str, int], exc: OSError, hint: str
) -> ConfigError:
    """The start-up error for a socket the bridge cannot bind (most often
    a port another process holds), instead of a traceback."""
    host, port = where
    # asyncio rewords the error around the address; the errno says it plainly.
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return ConfigError(source, key, f"cannot listen on {host}:{port}: {reason}; {hint}")
