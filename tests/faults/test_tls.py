"""LDAPS and StartTLS verify the directory's certificate against the
configured CA; a certificate from another CA, or for another name, is
refused with 503, never silently accepted, and StartTLS never falls back
to plain text."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from bridge.config import Settings, TlsMode
from bridge.directory.client import Directory
from bridge.directory.errors import Unreachable
from bridge.slapd import TlsFiles
from tests.support import Stack

from .conftest import RETRY_AFTER, MakeClient, fault_settings
from .support import create_user, custom_stack, send

MODES = [TlsMode.ldaps, TlsMode.starttls]


def _server_files(ca: trustme.CA, folder: Path, *names: str) -> TlsFiles:
    folder.mkdir()
    files = TlsFiles(folder / "server.pem", folder / "server.key", folder / "ca.pem")
    issued = ca.issue_cert(*names)
    for blob in issued.cert_chain_pems:
        blob.write_to_path(str(files.cert), append=True)
    issued.private_key_pem.write_to_path(str(files.key))
    ca.cert_pem.write_to_path(str(files.ca))
    return files


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """The CA the directory's certificates come from."""
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_stack(
    ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A slapd with a certificate for 127.0.0.1 (LDAPS and StartTLS)."""
    files = _server_files(ca, tmp_path_factory.mktemp("tls") / "good", "127.0.0.1")
    with custom_stack(tls=files) as stack:
        yield stack


@pytest.fixture(scope="module")
def misnamed_stack(
    ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A slapd whose certificate, from the right CA, names another host."""
    files = _server_files(
        ca, tmp_path_factory.mktemp("tls") / "misnamed", "ldap.example.org"
    )
    with custom_stack(tls=files) as stack:
        yield stack


@pytest.fixture(scope="module")
def other_ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The certificate of a CA that signed nothing the directory presents."""
    path = tmp_path_factory.mktemp("tls") / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


def _settings(stack: Stack, mode: TlsMode, ca_file: Path | None) -> Settings:
    uri = stack.slapd.ldaps_uri if mode is TlsMode.ldaps else stack.slapd.uri
    assert uri is not None
    return fault_settings(stack, uris=[uri], tls=mode, ca_file=ca_file)


@pytest.mark.parametrize("mode", MODES)
async def test_the_link_works_when_the_certificate_verifies(
    tls_stack: Stack, make_client: MakeClient, mode: TlsMode
) -> None:
    """With the directory's CA configured, writes and reads succeed."""
    ca_file = tls_stack.slapd.spec.tls.ca  # type: ignore[union-attr]
    http = await make_client(tls_stack, _settings(tls_stack, mode, ca_file))

    user = await create_user(http, f"over.{mode.value}")
    got = await send(http, "GET", f"/Users/{user['id']}")

    assert got.status == 200


@pytest.mark.parametrize("mode", MODES)
async def test_a_certificate_from_another_ca_is_refused(
    tls_stack: Stack, make_client: MakeClient, mode: TlsMode, other_ca_file: Path
) -> None:
    """Trusting another CA: 503 with Retry-After, and /readyz not ready."""
    http = await make_client(tls_stack, _settings(tls_stack, mode, other_ca_file))

    response = await send(http, "GET", "/Users")
    ready = await http.get("/readyz")

    assert (response.status, response.headers["Retry-After"]) == (503, str(RETRY_AFTER))
    assert ready.status == 503


async def _reason(stack: Stack, mode: TlsMode, ca_file: Path | None) -> str:
    """Why a bind over this link fails, as the start-up message shows it."""
    settings = _settings(stack, mode, ca_file)
    directory = Directory(settings.directory, stack.writer.password)
    try:
        with pytest.raises(Unreachable):
            await directory.ping()
    finally:
        directory.close()
    return directory.last_failure or ""


@pytest.mark.parametrize("mode", MODES)
async def test_the_refusal_names_the_certificate_for_the_operator(
    tls_stack: Stack, mode: TlsMode, other_ca_file: Path
) -> None:
    """The operator's reason says the certificate failed verification."""
    reason = await _reason(tls_stack, mode, other_ca_file)

    assert "CERTIFICATE_VERIFY_FAILED" in reason


@pytest.mark.parametrize("mode", MODES)
async def test_system_cas_do_not_trust_a_private_directory_ca(
    tls_stack: Stack, make_client: MakeClient, mode: TlsMode
) -> None:
    """Without ca_file the system CAs are used, and they refuse the test CA."""
    http = await make_client(tls_stack, _settings(tls_stack, mode, None))

    response = await send(http, "GET", "/Users")
    reason = await _reason(tls_stack, mode, None)

    assert response.status == 503
    assert "CERTIFICATE_VERIFY_FAILED" in reason


@pytest.mark.parametrize("mode", MODES)
async def test_a_certificate_for_another_host_is_refused(
    misnamed_stack: Stack, make_client: MakeClient, mode: TlsMode
) -> None:
    """The right CA is not enough: the certificate must name 127.0.0.1."""
    ca_file = misnamed_stack.slapd.spec.tls.ca  # type: ignore[union-attr]
    http = await make_client(misnamed_stack, _settings(misnamed_stack, mode, ca_file))

    response = await send(http, "GET", "/Users")
    reason = await _reason(misnamed_stack, mode, ca_file)

    assert response.status == 503
    assert "doesn't match any name in ['127.0.0.1']" in reason


async def test_starttls_never_falls_back_to_plain_text(
    module_stack: Stack, make_client: MakeClient, tmp_path: Path
) -> None:
    """A directory that offers no StartTLS is refused, not used in clear."""
    ca_file = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca_file))
    http = await make_client(
        module_stack, _settings(module_stack, TlsMode.starttls, ca_file)
    )

    response = await send(http, "GET", "/Users")
    reason = await _reason(module_stack, TlsMode.starttls, ca_file)

    assert response.status == 503
    assert reason.endswith("StartTLS: startTLS failed - protocolError")
