"""Shared test helpers: a bridge in front of a private slapd."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import ldap3

from bridge.config import DirectorySettings, Settings
from bridge.directory.client import Directory
from bridge.mapping.load import load_mapping
from bridge.mapping.model import Mapping
from bridge.scim.schemas import ResourceKind, build_kinds
from bridge.slapd import LocalSlapd, ServiceAccount
from bridge.slapd.profile import spec_for_mapping
from bridge.web.app import create_app

SCIM = "/scim/v2"
JSON = {"Content-Type": "application/scim+json"}
BRIDGE_DN = "cn=scim-bridge,ou=services,dc=example,dc=org"
SYNC_DN = "cn=records-sync,ou=services,dc=example,dc=org"


@dataclass
class Stack:
    """A running slapd with the accounts and mapping of one profile."""

    slapd: LocalSlapd
    mapping: Mapping
    writer: ServiceAccount
    reader: ServiceAccount
    kinds: dict[str, ResourceKind]

    def settings(self, **changes: object) -> Settings:
        directory = DirectorySettings(
            uris=[self.slapd.uri],
            bind_dn=self.writer.dn,
            operation_timeout=5,
            connect_timeout=2,
        )
        return Settings(directory=directory, **changes)  # type: ignore[arg-type]

    def directory(self, settings: Settings) -> Directory:
        return Directory(settings.directory, self.writer.password)

    def app(self, token: str, **changes: object):
        settings = self.settings(**changes)
        return create_app(
            settings,
            self.mapping,
            [token],
            lambda: self.directory(settings),
            kinds=self.kinds,
        )

    def app_on(self, directory_class: type[Directory], token: str):
        """An app whose directory is an instance of ``directory_class`` (a
        test's subclass that counts or interferes); returns (app, directory)."""
        settings = self.settings()
        directory = directory_class(settings.directory, self.writer.password)
        app = create_app(
            settings, self.mapping, [token], lambda: directory, kinds=self.kinds
        )
        return app, directory

    def admin(self) -> ldap3.Connection:
        """A root connection for inspecting the directory in assertions."""
        conn = ldap3.Connection(
            ldap3.Server(self.slapd.uri),
            self.slapd.root_dn,
            self.slapd.root_password,
            auto_bind=True,
            raise_exceptions=True,
        )
        return conn


@contextmanager
def start_stack(profile: str) -> Iterator[Stack]:
    mapping = load_mapping(profile)
    writer = ServiceAccount.with_random_password(BRIDGE_DN, "writer")
    reader = ServiceAccount.with_random_password(SYNC_DN, "reader")
    spec = spec_for_mapping(mapping, (writer, reader), durable=False)
    with LocalSlapd(spec) as slapd:
        yield Stack(slapd, mapping, writer, reader, build_kinds(mapping))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def snapshot(
    conn: ldap3.Connection, base: str = "dc=example,dc=org"
) -> list[tuple[str, dict]]:
    """Every entry under base with every attribute, for before/after checks."""
    conn.search(base, "(objectClass=*)", attributes=["*", "+"])
    return sorted(
        (
            e.entry_dn,
            {k: sorted(map(str, v)) for k, v in e.entry_attributes_as_dict.items()},
        )
        for e in conn.entries
    )
