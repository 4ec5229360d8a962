"""LDAPS and StartTLS with certificates made by trustme for this module."""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from ldap3 import Tls
from ldap3.core.exceptions import LDAPSocketOpenError

from bridge.slapd import LocalSlapd, TlsFiles

from .support import READER, bridge_spec, connect


def _write_server_files(ca: trustme.CA, directory: Path) -> TlsFiles:
    files = TlsFiles(
        cert=directory / "server.pem",
        key=directory / "server.key",
        ca=directory / "ca.pem",
    )
    server = ca.issue_cert("127.0.0.1", "localhost")
    for blob in server.cert_chain_pems:
        blob.write_to_path(str(files.cert), append=True)
    server.private_key_pem.write_to_path(str(files.key))
    ca.cert_pem.write_to_path(str(files.ca))
    return files


def _verifying(ca_file: Path) -> Tls:
    return Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(ca_file))


@pytest.fixture(scope="module")
def tls_files() -> Iterator[TlsFiles]:
    """Server certificate, key and CA, in a directory removed afterwards."""
    with tempfile.TemporaryDirectory() as name:
        yield _write_server_files(trustme.CA(), Path(name))


@pytest.fixture(scope="module")
def tls_slapd(tls_files: TlsFiles) -> Iterator[LocalSlapd]:
    """A slapd listening on ldap:// (with StartTLS) and ldaps://."""
    with LocalSlapd(bridge_spec(tls=tls_files)) as server:
        yield server


def test_ldaps_works_with_ca_verification(
    tls_slapd: LocalSlapd, tls_files: TlsFiles
) -> None:
    """A client that verifies against the server's CA binds over LDAPS."""
    assert tls_slapd.ldaps_uri is not None

    connection = connect(
        tls_slapd.ldaps_uri, READER.dn, READER.password, tls=_verifying(tls_files.ca)
    )

    assert connection.bound is True
    assert connection.server.ssl is True


def test_ldaps_is_refused_by_a_client_trusting_another_ca(
    tls_slapd: LocalSlapd,
) -> None:
    """A client that verifies against an unrelated CA cannot connect."""
    assert tls_slapd.ldaps_uri is not None
    with tempfile.TemporaryDirectory() as name:
        other_ca = Path(name) / "other-ca.pem"
        trustme.CA().cert_pem.write_to_path(str(other_ca))

        with pytest.raises(LDAPSocketOpenError, match="CERTIFICATE_VERIFY_FAILED"):
            connect(tls_slapd.ldaps_uri, tls=_verifying(other_ca))


def test_start_tls_works_on_the_plain_port(
    tls_slapd: LocalSlapd, tls_files: TlsFiles
) -> None:
    """StartTLS upgrades a plain connection, then a bind succeeds over it."""
    connection = connect(tls_slapd.uri, tls=_verifying(tls_files.ca))

    upgraded = connection.start_tls()
    connection.rebind(READER.dn, READER.password)

    assert upgraded is True
    assert connection.tls_started is True
    assert connection.bound is True


def test_without_tls_files_there_is_no_ldaps_uri(slapd: LocalSlapd) -> None:
    """A spec without TLS gives ldaps_uri None and listens in plain only."""
    assert slapd.ldaps_uri is None
