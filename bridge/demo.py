"""``scim-ldap-bridge demo``: a private slapd and the bridge on 127.0.0.1.

The embedded default: nothing to configure. The slapd lives in a temporary
directory with the project's schema, overlays and indexes; the token and
the passwords are generated for this run and gone when it stops.
"""

import asyncio
import json
import secrets
import signal
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from .config import DirectorySettings, Settings
from .directory.client import Directory
from .mapping.load import load_mapping
from .mapping.model import Mapping
from .slapd import LocalSlapd, ServiceAccount
from .slapd.profile import spec_for_mapping
from .web.app import create_app
from .web.server import cannot_listen, server_options

__all__ = ["REPLAY", "replay_cycle", "run_demo"]

REPLAY = Path(__file__).parent / "replay" / "entra-cycle.json"
WRITER_DN = "cn=scim-bridge,ou=services,dc=example,dc=org"
READER_DN = "cn=records-sync,ou=services,dc=example,dc=org"


def _substitute(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, ident in ids.items():
            value = value.replace(f"{{id:{name}}}", ident)
        return value.replace("{random}", str(uuid.uuid4()))
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, ids) for k, v in value.items()}
    return value


async def replay_cycle(base_url: str, token: str, path: Path = REPLAY) -> list[str]:
    """Send the recorded requests; returns one line per step, raises on a miss."""
    steps = json.loads(path.read_text(encoding="utf-8"))["steps"]
    ids: dict[str, str] = {}
    lines = []
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/scim+json",
    }
    async with aiohttp.ClientSession(headers=headers) as http:
        for step in steps:
            body = _substitute(step.get("body"), ids)
            url = base_url + _substitute(step["path"], ids)
            data = json.dumps(body) if body is not None else None
            async with http.request(step["method"], url, data=data) as response:
                answer = await response.read()
            if response.status != step["expect"]:
                raise RuntimeError(
                    f"{step['name']}: {response.status}, expected {step['expect']}:"
                    f" {answer[:300]!r}"
                )
            if "save" in step:
                ids[step["save"]] = json.loads(answer)["id"]
            lines.append(f"  {response.status}  {step['method']:6} {step['name']}")
    return lines


async def directory_summary(
    settings: DirectorySettings, password: str, mapping: Mapping
) -> list[str]:
    """What landed in LDAP, as the records system's sync account reads it."""
    directory = Directory(settings, password)
    lines = []
    try:
        users = await directory.search(
            mapping.users.base,
            "(objectClass=person)",
            ["uid", "mail", "loginDisabled", "groupMembership", "manager"],
        )
        groups = await directory.search(
            mapping.groups.base, "(objectClass=group)", ["cn", "member"]
        )
    finally:
        directory.close()
    lines.append(f"Users under {mapping.users.base}: {len(users)}")
    for entry in sorted(users, key=lambda e: e.dn):
        disabled = entry.first("loginDisabled") or "FALSE"
        lines.append(
            f"  {entry.dn}  uid={entry.first('uid')}  mail={entry.first('mail')}"
            f"  loginDisabled={disabled}"
        )
        for dn in entry.attrs.get("groupMembership", []):
            lines.append(f"      groupMembership: {dn}")
        if entry.first("manager"):
            lines.append(f"      manager: {entry.first('manager')}")
    lines.append(f"Groups under {mapping.groups.base}: {len(groups)}")
    for entry in sorted(groups, key=lambda e: e.dn):
        lines.append(f"  {entry.dn}  cn={entry.first('cn')}")
        for dn in entry.attrs.get("member", []):
            lines.append(f"      member: {dn}")
    return lines


async def _run(profile: str, port: int, replay: bool, stop_after: bool) -> None:
    mapping = load_mapping(profile)
    writer = ServiceAccount.with_random_password(WRITER_DN, "writer")
    reader = ServiceAccount.with_random_password(READER_DN, "reader")
    token = secrets.token_urlsafe(32)
    with LocalSlapd(
        spec_for_mapping(mapping, (writer, reader), durable=False)
    ) as slapd:
        settings = Settings(
            port=port,
            mapping=profile,
            directory=DirectorySettings(uris=[slapd.uri], bind_dn=writer.dn),
        )
        app = create_app(
            settings,
            mapping,
            [token],
            lambda: Directory(settings.directory, writer.password),
        )
        runner = web.AppRunner(app, access_log=None, **server_options(settings))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            hint = "pass --port N (0 picks a free one)"
            raise cannot_listen(
                "demo", "--port", ("127.0.0.1", port), exc, hint
            ) from exc
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base_url = f"http://127.0.0.1:{bound}{settings.base_path}"
        _banner(
            base_url, token, slapd, (writer, reader), mapping, stop_after=stop_after
        )
        try:
            if replay:
                print("Replaying the recorded Entra cycle:")
                print("\n".join(await replay_cycle(base_url, token)))
                reader_settings = DirectorySettings(uris=[slapd.uri], bind_dn=reader.dn)
                print(
                    "\n".join(
                        await directory_summary(
                            reader_settings, reader.password, mapping
                        )
                    )
                )
            if not stop_after:
                await _wait_for_interrupt()
        finally:
            await runner.cleanup()
    print("Stopped the bridge and slapd.")


def _banner(
    base_url: str,
    token: str,
    slapd: LocalSlapd,
    accounts: tuple[ServiceAccount, ServiceAccount],
    mapping: Mapping,
    *,
    stop_after: bool,
) -> None:
    # Everything printed here is generated for this run and dies with it.
    writer, reader = accounts
    print(f"SCIM base URL (Entra 'Tenant URL'): {base_url}")
    print(f"Bearer token (Entra 'Secret Token'), valid for this run only: {token}")
    print(
        f"Directory: {slapd.uri}  people: {mapping.users.base}  groups: {mapping.groups.base}"
    )
    print(f"Its cn=config, a reference for your own slapd: {slapd.workdir / 'slapd.d'}")
    print(
        f"Bridge account (to try `serve` against it): {writer.dn}  password: {writer.password}"
    )
    print("Look at the directory as the records system's sync account:")
    print(
        f"  ldapsearch -x -H {slapd.uri} -D '{reader.dn}' -w '{reader.password}'"
        f" -b '{mapping.users.base}'"
    )
    if not stop_after:
        print("Press Ctrl-C to stop.")
    print(flush=True)


async def _wait_for_interrupt() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def run_demo(profile: str, port: int, *, replay: bool, stop_after: bool) -> int:
    """Run the demo until Ctrl-C (or after the replay with ``stop_after``)."""
    asyncio.run(_run(profile, port, replay, stop_after))
    return 0
