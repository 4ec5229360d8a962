"""Typed application keys (aiohttp ``web.AppKey``) for shared state."""

from aiohttp import web

from ..config import Settings
from ..service.context import Backend

__all__ = ["BACKEND", "SETTINGS"]

SETTINGS = web.AppKey("settings", Settings)
BACKEND = web.AppKey("backend", Backend)
