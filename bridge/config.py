"""Settings, read from one YAML file plus the environment, validated once.

Secrets never live in the file: the bearer tokens and the bind password
are read from environment variables or from files (Docker or systemd
secrets) that the file names. Every field is documented where declared;
``config.example.yaml`` shows them all.
"""

import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .mapping.load import read_yaml, validation_to_config_error

__all__ = [
    "DirectorySettings",
    "Limits",
    "Settings",
    "TlsMode",
    "load_settings",
    "read_password",
    "read_secret",
]

MIN_TOKEN_LENGTH = 32


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TlsMode(StrEnum):
    """How the link to the directory is protected."""

    none = "none"
    starttls = "starttls"
    ldaps = "ldaps"


class SecretSource(_Section):
    """Where a secret is read from: an environment variable or a file."""

    env: str | None = None
    """Name of an environment variable holding the secret."""

    file: Path | None = None
    """A file holding the secret (tokens: one per line)."""

    def describe(self) -> str:
        """Where the secret is looked for, for messages (never its value).
        A file, when given, is read and the variable ignored."""
        if self.file is not None:
            return f"the file {self.file}"
        if self.env:
            return f"the environment variable {self.env}"
        return "nowhere: set env or file"


class DirectorySettings(_Section):
    """How the bridge reaches OpenLDAP."""

    uris: list[str] = Field(
        default_factory=lambda: ["ldap://127.0.0.1:389"], min_length=1
    )
    """LDAP URIs, tried in order: when one stops answering the next is used."""

    bind_dn: str = ""
    """The bridge's own account; see the README for the ACL it needs."""

    bind_password: SecretSource = SecretSource(env="SCIM_BRIDGE_LDAP_PASSWORD")
    """Where the bind password comes from."""

    tls: TlsMode = TlsMode.none
    """``starttls`` or ``ldaps`` protect the link; certificates are verified."""

    ca_file: Path | None = None
    """CA bundle for verifying the directory's certificate (system CAs if unset)."""

    pool_size: int = Field(8, ge=1, le=128)
    """Connections, and threads running LDAP calls: the LDAP concurrency bound."""

    queue_limit: int = Field(256, ge=0)
    """Requests allowed to wait for a connection before 503 is answered."""

    connect_timeout: float = Field(5.0, gt=0)
    """Seconds to open a connection to one URI."""

    operation_timeout: float = Field(10.0, gt=0)
    """Seconds one LDAP operation may take before the request answers 503."""

    retry_after: int = Field(30, ge=1)
    """The Retry-After seconds sent with a 503."""


class Limits(_Section):
    """Protection against oversized or slow requests."""

    max_body_bytes: int = Field(1_048_576, ge=1024)
    """Largest request body; larger ones answer 413."""

    max_json_depth: int = Field(32, ge=4)
    """Deepest nesting a JSON body may have."""

    default_page_size: int = Field(100, ge=1)
    """``count`` when a list request gives none."""

    max_page_size: int = Field(1000, ge=1)
    """Largest page; advertised as filter.maxResults."""

    max_members_per_request: int = Field(10_000, ge=1)
    """Most member values one PATCH may add or remove."""

    request_timeout: float = Field(60.0, gt=0)
    """Seconds a client may take to send a request."""


class Settings(_Section):
    """The whole configuration file."""

    host: str = "127.0.0.1"
    """Address to listen on."""

    port: int = Field(8080, ge=0, le=65535)
    """Port to listen on."""

    base_path: str = "/scim/v2"
    """Path prefix of the SCIM endpoints (the end of Entra's Tenant URL)."""

    public_url: str | None = None
    """Base URL clients reach, for meta.location (e.g. behind a proxy)."""

    mapping: str = "inetorgperson"
    """A shipped profile (``inetorgperson``, ``records``) or a YAML path."""

    tokens: SecretSource = SecretSource(env="SCIM_BRIDGE_TOKENS")
    """Bearer tokens Entra may present; several at once for rotation."""

    directory: DirectorySettings = DirectorySettings()
    limits: Limits = Limits()

    group_patch_status: Literal[200, 204] = 204
    """What a group PATCH answers: 204 never reads the member list back."""

    @field_validator("base_path")
    @classmethod
    def _check_base(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/'")
        return value.rstrip("/")


def _secret_text(source: SecretSource, what: str) -> str:
    if source.file is None:
        return os.environ.get(source.env or "", "")
    try:
        return source.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(source.file), what, exc.strerror or "unreadable") from exc


def read_secret(source: SecretSource, what: str) -> list[str]:
    """The non-empty entries of a list secret (tokens: comma or line separated)."""
    parts = _secret_text(source, what).replace(",", "\n").splitlines()
    return [part.strip() for part in parts if part.strip()]


def read_password(source: SecretSource, what: str) -> str:
    """A single secret exactly as stored, less one final line break: a
    password may hold commas and spaces, so it is never split or stripped."""
    return _secret_text(source, what).removesuffix("\n").removesuffix("\r")


def check_tokens(tokens: list[str], source: str, origin: str) -> list[str]:
    """Refuse to run with no token, or with one too short to be secret;
    ``origin`` says where they were looked for."""
    if not tokens:
        raise ConfigError(source, "tokens", f"no bearer token in {origin}")
    for token in tokens:
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigError(
                source,
                "tokens",
                f"a token is shorter than {MIN_TOKEN_LENGTH} characters",
            )
    return tokens


def load_settings(
    path: Path | None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Read and validate a configuration file (or defaults when None)."""
    data: dict[str, Any] = {}
    source = str(path) if path else "(defaults)"
    if path is not None:
        data = read_yaml(path) or {}
        if not isinstance(data, dict):
            raise ConfigError(
                source, "(top level)", "the file must hold a mapping of settings"
            )
    data.update(overrides or {})
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise validation_to_config_error(source, exc) from exc
