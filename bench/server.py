"""The bridge in a process of its own, so its memory can be measured.

``python -m bench.server --uri URI --bind-dn DN --password-file F
--token-file F --port-file F`` serves the bridge on 127.0.0.1 (a free port,
written to ``--port-file`` once it listens) until SIGTERM. Secrets come from
files, never from the command line. Logging is configured as
``scim-ldap-bridge serve`` does it (INFO, access and audit lines on stderr),
so the run pays what a deployment pays.
"""

import argparse
import asyncio
import signal
from pathlib import Path

from aiohttp import web

from bridge.config import DirectorySettings, Settings
from bridge.directory.client import Directory
from bridge.logs import configure_logging
from bridge.mapping.load import load_mapping
from bridge.web.app import create_app

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench.server", description=__doc__)
    parser.add_argument("--uri", required=True, help="ldap://127.0.0.1:PORT")
    parser.add_argument("--bind-dn", required=True)
    parser.add_argument("--password-file", type=Path, required=True)
    parser.add_argument("--token-file", type=Path, required=True)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--mapping", default="inetorgperson")
    parser.add_argument("--pool-size", type=int, default=DirectorySettings().pool_size)
    parser.add_argument("--log-level", default="INFO")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    password = args.password_file.read_text(encoding="utf-8")
    token = args.token_file.read_text(encoding="utf-8").strip()
    directory = DirectorySettings(
        uris=[args.uri], bind_dn=args.bind_dn, pool_size=args.pool_size
    )
    settings = Settings(mapping=args.mapping, directory=directory)
    app = create_app(
        settings,
        load_mapping(args.mapping),
        [token],
        lambda: Directory(settings.directory, password),
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # Written last, and renamed into place, so the parent never reads half.
    partial = args.port_file.with_suffix(".tmp")
    partial.write_text(str(port), encoding="utf-8")
    partial.rename(args.port_file)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    """Serve until SIGTERM (profile it from outside, with py-spy)."""
    args = _parser().parse_args()
    configure_logging(args.log_level)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
