"""Logging set-up: plain lines, with structured fields appended.

Loggers: ``bridge.access`` (one line per request), ``bridge.audit`` (one
line per directory write: operation, DN, attribute names), ``bridge.web``,
``bridge.directory``. No record ever carries a token or a password: the
auth middleware never logs the header, and audit lines name attributes,
not values.
"""

import atexit
import logging
import logging.handlers
import queue
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


_listeners: list[logging.handlers.QueueListener] = []


def drain() -> None:
    """Write every queued record now, so that a last message printed after
    this (the CLI's reason for stopping) is not interleaved with log lines."""
    while _listeners:
        _listeners.pop().stop()


def configure_logging(level: str = "INFO") -> None:
    """Send the bridge's records to standard error, from a thread of their own.

    The event loop only queues a record; formatting and the write happen in
    a listener thread, so a slow reader of standard error (a full pipe to
    the journal) can never stall request handling. Records still queued at
    exit are written before the process ends.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, handler)
    listener.start()
    _listeners.append(listener)
    atexit.register(drain)
    # Lines name no thread, process or source line: skip looking them up for
    # every record (the logging HOWTO's "Optimization" section).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    root = logging.getLogger()
    root.handlers[:] = [_Enqueue(records)]
    root.setLevel(level)
    # ldap3 and aiohttp have their own chatter; the bridge logs what matters.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


class _Enqueue(logging.handlers.QueueHandler):
    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        # The stock prepare formats the message on the caller's thread, the
        # cost this handler exists to move; records here carry no objects
        # that change after the call (arguments are strings and numbers).
        return record
