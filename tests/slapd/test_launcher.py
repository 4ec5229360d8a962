"""LocalSlapd's lifecycle, and the OpenLDAP behaviour the bridge relies on.

Each test pins one fact of slapd 2.5.13 as configured by bridge.slapd; the
design note openldap.md says why the bridge depends on it.
"""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest
from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, SUBTREE, Connection
from ldap3.core.exceptions import LDAPSocketOpenError

from bridge.slapd import LocalSlapd, SlapdError, TlsFiles, launcher, tools
from bridge.slapd.layout import Layout

from .support import GROUPS, PEOPLE, bridge_spec, connect, person

PERMISSIVE_MODIFY = ("1.2.840.113556.1.4.1413", False, None)


def _add_person(root: Connection, uid: str, **extra: str | list[str]) -> str:
    dn = f"uid={uid},{PEOPLE}"
    assert root.add(dn, attributes=person(uid, **extra)), root.result
    return dn


def _add_group(root: Connection, name: str, members: list[str]) -> str:
    dn = f"cn={name},{GROUPS}"
    attributes: dict[str, str | list[str]] = {"objectClass": "group", "cn": name}
    if members:
        attributes["member"] = members
    assert root.add(dn, attributes=attributes), root.result
    return dn


def _uids(connection: Connection, search_filter: str) -> list[str]:
    connection.search(PEOPLE, search_filter, SUBTREE, attributes=["uid"])
    return sorted(str(entry.uid) for entry in connection.entries)


def test_start_serves_and_stop_releases_the_port() -> None:
    """A started slapd answers a root bind; after stop the port is closed."""
    server = LocalSlapd(bridge_spec())

    server.start()
    bound = connect(server.uri, server.root_dn, server.root_password).bound
    server.stop()
    server.stop()

    assert bound is True
    assert server.running is False
    with pytest.raises(LDAPSocketOpenError):
        connect(server.uri)
    server.close()


def _mapped_libraries(server: LocalSlapd) -> str:
    pid = Layout.inside(server.workdir).pid_file.read_text().strip()
    return Path(f"/proc/{pid}/maps").read_text()


def test_slapd_runs_with_jemalloc_and_none_means_glibc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default allocator is loaded into slapd (./dev installs it); with
    None, slapd runs on glibc's malloc even where the caller preloads one."""
    with LocalSlapd(bridge_spec()) as server:
        assert "libjemalloc" in _mapped_libraries(server)

    monkeypatch.setenv("LD_PRELOAD", tools.preload_for(launcher.ALLOCATOR) or "")
    with LocalSlapd(bridge_spec(), allocator=None) as server:
        assert "libjemalloc" not in _mapped_libraries(server)
        assert connect(server.uri, server.root_dn, server.root_password).bound


def test_close_removes_the_temporary_workdir() -> None:
    """A workdir the launcher made itself is gone after the with block."""
    with LocalSlapd(bridge_spec()) as server:
        workdir = server.workdir
        assert (workdir / "slapd.d").is_dir()

    assert workdir.exists() is False


def test_a_failed_start_quotes_the_slapd_log_and_cleans_up() -> None:
    """When slapd refuses to start, the error ends with its log's tail."""
    missing = Path("/nonexistent/scim-slapd")
    tls = TlsFiles(cert=missing / "c.pem", key=missing / "k.pem", ca=missing / "ca.pem")
    server = LocalSlapd(bridge_spec(tls=tls))

    with (
        pytest.raises(SlapdError, match="could not use CA certificate file"),
        server,
    ):
        pass

    assert server.running is False
    with pytest.raises(SlapdError, match="not been started"):
        _ = server.workdir


def test_a_port_taken_before_slapd_binds_it_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On first start, a port someone else grabbed is swapped for a free one."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    taken = busy.getsockname()[1]
    offers = iter([(taken, taken)])
    real = tools.free_port_pair

    def offer_taken_first(host: str) -> tuple[int, int]:
        return next(offers, None) or real(host)

    monkeypatch.setattr(launcher, "free_port_pair", offer_taken_first)

    with busy, LocalSlapd(bridge_spec()) as server:
        uri = server.uri

    assert uri != f"ldap://127.0.0.1:{taken}"


def test_empty_group_is_accepted_and_last_member_removable(root: Connection) -> None:
    """A `group` may be created empty and may lose its last member."""
    alice = _add_person(root, "empty-group-alice")
    empty = _add_group(root, "starts-empty", [])
    single = _add_group(root, "single", [alice])

    removed = root.modify(single, {"member": [(MODIFY_DELETE, [alice])]})

    assert root.result["result"] == 0
    assert removed is True
    root.search(single, "(objectClass=group)", attributes=["member"])
    assert root.entries[0].member.values == []
    assert root.search(empty, "(objectClass=group)") is True


def test_unique_refuses_a_case_variant_uid(root: Connection) -> None:
    """The unique overlay compares uid case-insensitively: 19 on a variant."""
    _add_person(root, "casey")

    root.add(f"cn=Casey Again,{PEOPLE}", attributes=person("CASEY"))

    assert root.result["result"] == 19


def test_permissive_modify_makes_adds_idempotent_but_not_deletes(
    root: Connection,
) -> None:
    """With Permissive Modify a repeated add succeeds; a missing delete is 16."""
    alice = _add_person(root, "permissive-alice")
    bob = _add_person(root, "permissive-bob")
    group = _add_group(root, "permissive", [alice])

    root.modify(group, {"member": [(MODIFY_ADD, [alice])]}, [PERMISSIVE_MODIFY])
    add_again = root.result["result"]
    root.modify(group, {"member": [(MODIFY_DELETE, [bob])]}, [PERMISSIVE_MODIFY])
    delete_absent = root.result["result"]

    assert add_again == 0
    assert delete_absent == 16


def test_scim_external_id_equality_is_case_exact(root: Connection) -> None:
    """(scimExternalId=x) matches only the value spelt in the same case."""
    _add_person(root, "external", scimExternalId="Ext-ABC")

    exact = _uids(root, "(scimExternalId=Ext-ABC)")
    other_case = _uids(root, "(scimExternalId=ext-abc)")

    assert exact == ["external"]
    assert other_case == []


def test_ordering_on_cn_needs_the_extensible_form(root: Connection) -> None:
    """(cn>=x) finds nothing; (cn:caseIgnoreOrderingMatch:=B) finds Alice."""
    _add_person(root, "ordering-alice", cn="Alice")

    native = _uids(root, "(cn>=A)")
    extensible = _uids(root, "(&(uid=ordering-*)(cn:caseIgnoreOrderingMatch:=B))")

    assert native == []
    assert extensible == ["ordering-alice"]


def test_restart_keeps_data_and_ports(slapd: LocalSlapd, root: Connection) -> None:
    """After restart the same URI serves the entries written before it."""
    _add_person(root, "survivor")
    uri = slapd.uri

    slapd.restart()

    assert slapd.uri == uri
    again = connect(slapd.uri, slapd.root_dn, slapd.root_password)
    assert _uids(again, "(uid=survivor)") == ["survivor"]


def test_pause_hangs_requests_until_resume(slapd: LocalSlapd) -> None:
    """A paused slapd accepts connections but answers only after resume."""
    connection = connect(slapd.uri, timeout=1)

    slapd.pause()
    try:
        with pytest.raises(Exception, match="timed out|timeout"):
            connection.search("", "(objectClass=*)", "BASE")
    finally:
        slapd.resume()

    assert connect(slapd.uri).search("", "(objectClass=*)", "BASE") is True


def test_a_kept_workdir_is_reused_with_a_new_root_password() -> None:
    """A second launcher on the same workdir keeps the data, not the password."""
    with tempfile.TemporaryDirectory() as name:
        workdir = Path(name)
        with LocalSlapd(bridge_spec(), workdir=workdir) as first:
            root = connect(first.uri, first.root_dn, first.root_password)
            _add_person(root, "kept")
            old_password = first.root_password

        with LocalSlapd(bridge_spec(), workdir=workdir) as second:
            root = connect(second.uri, second.root_dn, second.root_password)
            kept = _uids(root, "(uid=kept)")

        assert kept == ["kept"]
        assert second.root_password != old_password
        assert (workdir / "slapd.d").is_dir()


def test_login_disabled_accepts_and_matches_only_upper_case(
    root: Connection,
) -> None:
    """Boolean syntax is TRUE/FALSE exactly: "true" is 21 and never matches."""
    dn = _add_person(root, "disabled")

    root.modify(dn, {"loginDisabled": [(MODIFY_REPLACE, ["true"])]})
    lower_case_write = root.result["result"]
    root.modify(dn, {"loginDisabled": [(MODIFY_REPLACE, ["TRUE"])]})

    assert lower_case_write == 21
    assert _uids(root, "(&(uid=disabled)(loginDisabled=TRUE))") == ["disabled"]
    # ldap3 upper-cases Boolean filter values only when it has read the
    # schema; on the wire slapd's booleanMatch is case-sensitive.
    assert _uids(root, "(&(uid=disabled)(loginDisabled=true))") == []
