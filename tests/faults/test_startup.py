"""Start-up: a clear message and a non-zero exit, or a documented degraded
start, whenever the bridge cannot do its job."""

import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Stack, new_token

from .support import (
    cli_env,
    closed_port,
    custom_stack,
    http_status,
    run_cli,
    serve,
    write_config,
)


def test_a_wrong_bind_password_stops_serve_with_a_clear_message(
    module_stack: Stack, tmp_path: Path
) -> None:
    """serve exits 2 naming the settings to fix, never showing the password."""
    wrong = secrets.token_urlsafe(24)
    token = new_token()
    config = write_config(tmp_path, module_stack)

    done = run_cli(config, cli_env(tokens=token, password=wrong), "serve")

    assert done.returncode == 2
    assert (
        f"scim-ldap-bridge: configuration error: {config}:"
        " directory.bind_dn / directory.bind_password:"
        f" {module_stack.slapd.uri}: the directory refused the bind: invalidCredentials"
        " (check both: the directory does not say which of the two is wrong)"
    ) in done.stderr
    for secret in (wrong, module_stack.writer.password, token):
        assert secret not in done.stderr + done.stdout


def test_a_wrong_bind_password_is_not_a_degraded_start(
    module_stack: Stack, tmp_path: Path
) -> None:
    """--allow-degraded covers an outage, not credentials that never work."""
    config = write_config(tmp_path, module_stack)
    env = cli_env(tokens=new_token(), password=secrets.token_urlsafe(24))

    done = run_cli(config, env, "serve", "--allow-degraded")

    assert done.returncode == 2


def test_starttls_to_a_directory_without_tls_is_a_configuration_error(
    module_stack: Stack, tmp_path: Path
) -> None:
    """The directory answers StartTLS with protocolError: exit 2 naming
    directory.tls, since waiting for it would never help."""
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("unused: the directory never gets to a handshake\n")
    config = write_config(
        tmp_path, module_stack, directory={"tls": "starttls", "ca_file": str(ca_file)}
    )
    env = cli_env(tokens=new_token(), password=module_stack.writer.password)

    done = run_cli(config, env, "serve", "--allow-degraded")

    assert done.returncode == 2, done.stderr
    assert (
        f"scim-ldap-bridge: configuration error: {config}: directory.tls:"
        f" {module_stack.slapd.uri}: StartTLS: startTLS failed - protocolError"
        " (the directory offers no StartTLS on this URI: turn TLS on in slapd,"
        " or set tls to ldaps (another port) or none)"
    ) in done.stderr


def _own_mapping(folder: Path, line: str) -> Path:
    """The shipped general profile with one user attribute line added, or
    (``-`` and a line) one taken out."""
    shipped = Path(__file__).parents[2] / "mappings" / "inetorgperson.yaml"
    anchor = "    - {scim: title, ldap: title}\n"
    text = shipped.read_text(encoding="utf-8")
    assert anchor in text
    if line.startswith("-"):
        assert line[1:] + "\n" in text
        text = text.replace(line[1:] + "\n", "")
    else:
        text = text.replace(anchor, anchor + line + "\n")
    path = folder / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "key", "problem"),
    [
        pytest.param(
            "    - {scim: userType, ldap: employeeTyp}",
            "users.attributes.5.ldap",
            "the directory has no attribute type 'employeeTyp'",
            id="ldap-attribute-unknown-to-slapd",
        ),
        pytest.param(
            "    - {scim: 'addresses[type eq \"work\"].country', ldap: c}",
            "users.attributes.5.ldap",
            "'c' is not allowed by top + person + organizationalPerson + inetOrgPerson"
            " + scimUser",
            id="ldap-attribute-the-classes-do-not-allow",
        ),
        pytest.param(
            "    - {scim: profileUrl, ldap: olcReferral}",
            "users.attributes.5.ldap",
            "'olcReferral' is not allowed by top + person",
            id="a-subtype-of-an-allowed-attribute",
        ),
        pytest.param(
            "    - {scim: nickName, ldap: commonName}",
            "users.attributes.9.ldap",
            "'cn' is the attribute 'commonName' again",
            id="an-alias-of-a-mapped-attribute",
        ),
        pytest.param(
            "-    - {scim: name.familyName, ldap: sn, fallback: [displayName, userName]}",
            "users.object_classes",
            "top + person + organizationalPerson + inetOrgPerson + scimUser require"
            " sn, which the mapping does not write",
            id="a-must-attribute-not-mapped",
        ),
        pytest.param(
            "    - {scim: userTyp, ldap: employeeType}",
            "users.attributes.5.scim",
            "'userTyp' is not an attribute of urn:ietf:params:scim:schemas:core:2.0"
            ":User, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            id="scim-attribute-no-schema-defines",
        ),
    ],
)
def test_a_mapping_the_directory_cannot_hold_stops_check_and_serve(
    module_stack: Stack, tmp_path: Path, line: str, key: str, problem: str
) -> None:
    """Exit 2 naming the mapping file, the key and the problem, before any
    user's write would fail with the client blamed."""
    mapping = _own_mapping(tmp_path, line)
    config = write_config(tmp_path, module_stack, mapping=str(mapping))
    env = cli_env(tokens=new_token(), password=module_stack.writer.password)

    answers = [run_cli(config, env, command) for command in ("check", "serve")]

    for done in answers:
        assert done.returncode == 2, done.stderr
        assert (
            f"scim-ldap-bridge: configuration error: {mapping}: {key}: {problem}"
        ) in done.stderr


def test_an_unreachable_directory_stops_serve_with_exit_3(
    module_stack: Stack, tmp_path: Path
) -> None:
    """serve exits 3 and names the URI it could not reach, and why."""
    uri = f"ldap://127.0.0.1:{closed_port()}"
    config = write_config(tmp_path, module_stack, directory={"uris": [uri]})
    env = cli_env(tokens=new_token(), password=module_stack.writer.password)

    done = run_cli(config, env, "serve")

    assert done.returncode == 3
    assert (
        f"scim-ldap-bridge: the directory is unreachable: {uri}: connect:"
        in done.stderr
    )
    assert "Connection refused" in done.stderr
    assert module_stack.writer.password not in done.stderr


def test_allow_degraded_starts_not_ready_and_becomes_ready(
    stack: Stack, tmp_path: Path
) -> None:
    """With --allow-degraded the bridge serves /healthz, reports /readyz 503
    while slapd is down, and 200 once it is up, without a restart."""
    config = write_config(tmp_path, stack)
    env = cli_env(tokens=new_token(), password=stack.writer.password)
    stack.slapd.stop()

    with serve(config, env, "--allow-degraded") as served:
        before = (
            http_status(served.url("/healthz")),
            http_status(served.url("/readyz")),
        )
        stack.slapd.start()
        after = http_status(served.url("/readyz"))

    assert before == (200, 503)
    assert after == 200
    assert "starting degraded" in served.process.stderr.read()


def test_serve_refuses_to_start_without_a_token(
    module_stack: Stack, tmp_path: Path
) -> None:
    """No bearer token at all: exit 2 with the key named."""
    config = write_config(tmp_path, module_stack)

    done = run_cli(
        config, cli_env(tokens=None, password=module_stack.writer.password), "serve"
    )

    assert done.returncode == 2
    assert (
        f"scim-ldap-bridge: configuration error: {config}: tokens:"
        " no bearer token in the environment variable SCIM_BRIDGE_TOKENS"
    ) in done.stderr


def test_serve_without_a_bind_password_names_where_it_looked(
    module_stack: Stack, tmp_path: Path
) -> None:
    """A typo in the variable's name shows: the message names the variable."""
    config = write_config(
        tmp_path, module_stack, directory={"bind_password": {"env": "SCIM_PASWORD"}}
    )

    done = run_cli(config, cli_env(tokens=new_token(), password="unused"), "serve")

    assert done.returncode == 2
    assert (
        f"scim-ldap-bridge: configuration error: {config}: directory.bind_password:"
        " no bind password in the environment variable SCIM_PASWORD"
    ) in done.stderr


def test_serve_refuses_a_token_shorter_than_32_characters(
    module_stack: Stack, tmp_path: Path
) -> None:
    """One short token among good ones: exit 2, and the token is not shown."""
    short = secrets.token_hex(16)[:31]
    config = write_config(tmp_path, module_stack)
    env = cli_env(
        tokens=f"{new_token()},{short}", password=module_stack.writer.password
    )

    done = run_cli(config, env, "serve")

    assert done.returncode == 2
    assert (
        f"scim-ldap-bridge: configuration error: {config}: tokens:"
        " a token is shorter than 32 characters"
    ) in done.stderr
    assert short not in done.stderr


def test_check_proves_the_settings_and_the_bind(
    module_stack: Stack, tmp_path: Path
) -> None:
    """check exits 0 when the directory accepts the bind and a probe write;
    the probe (an empty group, added then deleted) is audited like any write."""
    config = write_config(tmp_path, module_stack)
    env = cli_env(tokens=new_token(), password=module_stack.writer.password)

    done = run_cli(config, env, "check")

    audited = [
        line.split(" bridge.audit ")[1].split(" ")[0]
        for line in done.stderr.splitlines()
    ]
    assert (done.returncode, audited) == (0, ["add", "delete"])
    assert done.stdout.startswith("config ok; mapping: ")


def test_check_refuses_an_account_that_may_not_write(
    module_stack: Stack, tmp_path: Path
) -> None:
    """check proves write access, not just the bind: a read-only account
    (the records system's sync DN) is a configuration error, exit 2, and
    its probe leaves nothing behind."""
    config = write_config(
        tmp_path, module_stack, directory={"bind_dn": module_stack.reader.dn}
    )
    env = cli_env(tokens=new_token(), password=module_stack.reader.password)

    done = run_cli(config, env, "check")

    assert done.returncode == 2
    assert "does not allow the bridge's account to add" in done.stderr
    assert "ou=groups,dc=example,dc=org" in done.stderr
    admin = module_stack.admin()
    admin.search("ou=groups,dc=example,dc=org", "(cn=scim-bridge-check-*)")
    assert admin.entries == []


def test_check_fails_with_exit_3_when_the_directory_is_down(
    stack: Stack, tmp_path: Path
) -> None:
    """check exits 3 when no URI answers."""
    config = write_config(tmp_path, stack)
    env = cli_env(tokens=new_token(), password=stack.writer.password)
    stack.slapd.stop()

    done = run_cli(config, env, "check")

    assert done.returncode == 3
    assert f"the directory is unreachable: {stack.slapd.uri}: connect:" in done.stderr


@pytest.fixture(scope="module")
def odd_password_stack() -> Iterator[Stack]:
    """A slapd whose bridge account's password holds a comma and a space."""
    password = f"{secrets.token_urlsafe(12)}, {secrets.token_urlsafe(12)}"
    with custom_stack(password=password) as stack:
        yield stack


def test_a_bind_password_with_a_comma_and_a_space_is_used_whole(
    odd_password_stack: Stack, tmp_path: Path
) -> None:
    """The password is one value: commas and spaces are part of it."""
    config = write_config(tmp_path, odd_password_stack)
    env = cli_env(tokens=new_token(), password=odd_password_stack.writer.password)

    done = run_cli(config, env, "check")

    assert (done.returncode, _problems(done.stderr)) == (0, [])


def test_a_bind_password_file_loses_only_its_final_line_break(
    odd_password_stack: Stack, tmp_path: Path
) -> None:
    """A password file as editors write it (with a final newline) works."""
    secret = tmp_path / "password"
    secret.write_text(odd_password_stack.writer.password + "\n", encoding="utf-8")
    config = write_config(
        tmp_path, odd_password_stack, directory={"bind_password": {"file": str(secret)}}
    )

    done = run_cli(config, cli_env(tokens=new_token(), password=None), "check")

    assert (done.returncode, _problems(done.stderr)) == (0, [])


def _problems(stderr: str) -> list[str]:
    """Lines of stderr other than the audit lines of check's probe write."""
    return [line for line in stderr.splitlines() if " bridge.audit " not in line]


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another process listens on."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield holder.getsockname()[1]
    holder.close()


def test_a_port_in_use_stops_serve_with_a_clear_message(
    module_stack: Stack, tmp_path: Path, held_port: int
) -> None:
    """Exit 2 and one line naming the address, not a traceback."""
    config = write_config(tmp_path, module_stack, port=held_port)
    env = cli_env(tokens=new_token(), password=module_stack.writer.password)

    done = run_cli(config, env, "serve")

    assert done.returncode == 2
    assert (
        f"scim-ldap-bridge: configuration error: {config}: port: cannot listen on"
        f" 127.0.0.1:{held_port}: Address already in use; choose another port"
    ) in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_in_use_stops_the_demo_with_a_clear_message(held_port: int) -> None:
    """The demo names the way out (--port), and its slapd is stopped."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bridge.cli",
            "demo",
            "--port",
            str(held_port),
            "--exit",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert (
        f"configuration error: demo: --port: cannot listen on 127.0.0.1:{held_port}:"
        " Address already in use; pass --port N (0 picks a free one)"
    ) in done.stderr
    assert "Traceback" not in done.stderr
