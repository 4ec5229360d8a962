"""Logging set-up: plain lines, with structured fields appended.

Loggers: ``bridge.access`` (one line per request), ``bridge.audit`` (one
line per directory write: operation, DN, attribute names), ``bridge.web``,
``bridge.directory``. No record ever carries a token or a password: the
auth middleware never logs the header, and audit lines name attributes,
not values.
"""

import logging
import sys

__all__ = ["configure_logging"]


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        # Audit lines say "<operation> <dn>" already; the attribute names
        # follow. Other loggers keep their fields for structured handlers.
        if record.name == "bridge.audit" and hasattr(record, "attributes"):
            line += f" attributes={','.join(record.attributes) or '-'}"
        return line


def configure_logging(level: str = "INFO") -> None:
    """Send the bridge's records to standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # ldap3 and aiohttp have their own chatter; the bridge logs what matters.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
