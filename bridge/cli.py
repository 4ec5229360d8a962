"""The scim-ldap-bridge command: serve, check, demo, schema, slapd-config.

Exit codes: 0 after a clean stop; 2 for a configuration problem (a file or
key named, a missing or short token, a bind or StartTLS the directory
refuses, a mapping it cannot hold); 3 when the directory cannot be reached
at start-up (serve --allow-degraded starts anyway, and /readyz answers 503
until it can).
"""

import argparse
import asyncio
import logging
import secrets
import sys
from pathlib import Path

from aiohttp import web
from scim2_models import SCIMException

from .config import Settings, check_tokens, load_settings, read_password, read_secret
from .directory.client import Directory, Entry
from .directory.errors import AccessDenied, Refused
from .directory.subschema import read_subschema
from .errors import ConfigError, DirectoryUnavailable
from .logs import configure_logging, drain
from .mapping.dn import build_dn, common_suffix
from .mapping.load import load_mapping, profile_path
from .mapping.model import Mapping
from .scim.targets import unknown_targets
from .service.schema_check import schema_problems
from .slapd import schema_ldif_path
from .slapd.profile import spec_for_mapping
from .slapd.tuning import render_tuning
from .web.app import create_app
from .web.server import cannot_listen, server_options

__all__ = ["main"]

log = logging.getLogger("bridge.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scim-ldap-bridge",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    levels = ["DEBUG", "INFO", "WARNING", "ERROR"]
    parser.add_argument("--log-level", default="INFO", choices=levels)
    # Also after the command (serve --log-level DEBUG); SUPPRESS keeps the
    # sub-command from resetting a level given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--log-level", default=argparse.SUPPRESS, choices=levels, help="default INFO"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, **kwargs: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[common], **kwargs)

    serve = command("serve", help="run the SCIM service")
    serve.add_argument("--config", type=Path, required=True)
    serve.add_argument(
        "--allow-degraded",
        action="store_true",
        help="start even if the directory is unreachable (readyz reports not ready)",
    )
    check = command("check", help="validate the config and reach the directory")
    check.add_argument("--config", type=Path, required=True)
    demo = command("demo", help="a private slapd plus the bridge, on 127.0.0.1")
    demo.add_argument(
        "--profile", default="inetorgperson", help="inetorgperson or records"
    )
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument(
        "--replay", action="store_true", help="replay the recorded Entra cycle"
    )
    demo.add_argument(
        "--exit", action="store_true", help="replay, then stop (implies --replay)"
    )
    command("schema", help="print the LDAP schema LDIF the mappings need")
    tuning = command(
        "slapd-config",
        help="print the cn=config changes (modules, indexes, overlays) a mapping"
        " needs in an existing slapd",
    )
    tuning.add_argument(
        "--mapping", default="inetorgperson", help="a shipped profile or a YAML file"
    )
    tuning.add_argument(
        "--database",
        default="olcDatabase={1}mdb,cn=config",
        help="the cn=config DN of the database holding the mapping's bases",
    )
    return parser


def _slapd_config(args: argparse.Namespace) -> int:
    mapping = load_mapping(args.mapping)
    suffix = common_suffix(mapping.users.base, mapping.groups.base)
    try:
        spec = spec_for_mapping(mapping, (), suffix=suffix)
    except ValueError as exc:
        raise ConfigError(str(profile_path(args.mapping)), "base", str(exc)) from exc
    sys.stdout.write(render_tuning(spec, args.database))
    return 0


def _secrets(settings: Settings, source: str) -> tuple[list[str], str]:
    tokens = check_tokens(
        read_secret(settings.tokens, "tokens"), source, settings.tokens.describe()
    )
    password = read_password(
        settings.directory.bind_password, "directory.bind_password"
    )
    if settings.directory.bind_dn and not password:
        origin = settings.directory.bind_password.describe()
        raise ConfigError(
            source, "directory.bind_password", f"no bind password in {origin}"
        )
    return tokens, password


class Unreachable(Exception):
    """The directory did not answer at start-up; the message says why."""


async def _inspect(directory: Directory, mapping: Mapping) -> list[tuple[str, str]]:
    """Ping; then the mapping's problems with the directory's schema."""
    try:
        await directory.ping()
        schema = await read_subschema(directory)
    finally:
        directory.close()
    if schema is None:
        log.warning(
            "cannot read the directory's schema: mapping not checked against it"
        )
        return []
    return schema_problems(mapping, schema)


def _probe(settings: Settings, password: str, source: str, mapping: Mapping) -> None:
    """Bind, read the root DSE and the schema once; a refused bind, or a
    mapping the schema cannot hold, is a configuration error."""
    directory = Directory(settings.directory, password)
    try:
        problems = asyncio.run(_inspect(directory, mapping))
    except Refused as exc:
        raise ConfigError(source, exc.setting, f"{exc.reason} ({exc.hint})") from exc
    except DirectoryUnavailable as exc:
        raise Unreachable(directory.last_failure or exc.detail) from exc
    _refuse(settings, problems)


def _mapping(settings: Settings) -> Mapping:
    """The configured mapping, every SCIM path in it defined by a schema."""
    mapping = load_mapping(settings.mapping)
    _refuse(settings, unknown_targets(mapping))
    return mapping


def _refuse(settings: Settings, problems: list[tuple[str, str]]) -> None:
    """A configuration error naming the mapping file and the first key."""
    if problems:
        key, problem = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(str(profile_path(settings.mapping)), key, problem + more)


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    source = str(args.config)
    tokens, password = _secrets(settings, source)
    mapping = _mapping(settings)
    try:
        _probe(settings, password, source, mapping)
    except Unreachable as exc:
        if not args.allow_degraded:
            raise
        _say(f"the directory is unreachable ({exc}); starting degraded")
    app = create_app(
        settings, mapping, tokens, lambda: Directory(settings.directory, password)
    )
    log.info(
        "serving SCIM on http://%s:%d%s with the mapping %s",
        settings.host, settings.port, settings.base_path,
        profile_path(settings.mapping),
    )  # fmt: skip
    try:
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            access_log=None,
            print=None,
            **server_options(settings),
        )
    except OSError as exc:
        where = (settings.host, settings.port)
        hint = "choose another port, or stop what holds this one"
        raise cannot_listen(source, "port", where, exc, hint) from exc
    return 0


def _check(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    source = str(args.config)
    _, password = _secrets(settings, source)
    mapping = _mapping(settings)
    _probe(settings, password, source, mapping)
    asyncio.run(_write_probe(settings, password, mapping, source))
    print(
        f"config ok; mapping: {profile_path(settings.mapping)}"
        f" ({mapping.description});"
        f" directory answers as {settings.directory.bind_dn}, and lets it write"
        f" under {mapping.groups.base}"
    )
    return 0


async def _write_probe(
    settings: Settings, password: str, mapping: Mapping, source: str
) -> None:
    """Add and delete an empty group: proves the ACL lets the bridge write.

    An empty group is the one entry the records system could import for a
    moment without harm (no member, no user).
    """
    groups = mapping.groups
    name = f"scim-bridge-check-{secrets.token_hex(4)}"
    dn = build_dn(groups.rdn, name, groups.base)
    attrs = {
        "objectClass": list(groups.object_classes),
        groups.rdn: [name],
        "cn": [name],
    }
    directory = Directory(settings.directory, password)
    try:
        await directory.add(dn, attrs)
        await directory.delete((await directory.read(dn, ["1.1"]) or Entry(dn)).dn)
    except AccessDenied as exc:
        raise ConfigError(
            source, "directory.bind_dn", f"{exc.detail} ({groups.base})"
        ) from exc
    except SCIMException as exc:
        # The directory refused the probe group itself: the groups' classes.
        raise ConfigError(
            str(profile_path(settings.mapping)), "groups.object_classes",
            f"an empty group cannot be created: {exc.detail}",
        ) from exc  # fmt: skip
    finally:
        directory.close()


def _say(message: str) -> None:
    print(f"scim-ldap-bridge: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "check":
            return _check(args)
        if args.command == "schema":
            sys.stdout.write(schema_ldif_path().read_text(encoding="utf-8"))
            return 0
        if args.command == "slapd-config":
            return _slapd_config(args)
        from .demo import run_demo

        return run_demo(
            args.profile,
            args.port,
            replay=args.replay or args.exit,
            stop_after=args.exit,
        )
    except ConfigError as exc:
        drain()
        _say(f"configuration error: {exc}")
        return 2
    except Unreachable as exc:
        drain()
        _say(f"the directory is unreachable: {exc}")
        return 3


if __name__ == "__main__":
    sys.exit(main())
