"""The LDAP side: the replay's directory work without the bridge.

:func:`replay_direct` does with ldap3 what the bridge does for the same
cycle, at the same concurrency (threads, one bound connection each, as the
writer account): per user a search by ``uid`` then an add (with the RFC
4527 post-read of ``entryUUID``, the id SCIM must answer with); per group a
search by ``cn``, an add, and one permissive ``member`` value add per
PATCH. It knows every DN already, so it needs none of the id lookups the
bridge makes. With ``encoder="wire"`` it writes the requests as the bridge
does (``bridge/directory/wire.py``) instead of through ldap3's pyasn1
objects: the LDAP work as the bridge's own client side costs it, so the
ratio against it is what the bridge adds on top. :func:`replay_ldapmodify`
is the floor: slapd's own C client
(``ldapmodify``, i.e. ``ldapadd``) loading the same entries and member
values from LDIF, one process per worker, no searches.
"""

import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ldap3

from bridge.directory import controls as ctl
from bridge.directory import wire
from bridge.directory.client import OPERATIONAL
from bridge.mapping.filters import escape_filter_value
from bridge.service.context import object_filter, read_attributes
from bridge.slapd import LocalSlapd, ServiceAccount

from .stats import Phase
from .workload import Population, chunks, ldif_add, ldif_member_add

__all__ = ["DirectClient", "replay_direct", "replay_ldapmodify"]


class DirectClient:
    """One ldap3 connection per thread, bound as the bridge's account;
    requests encoded by ldap3 (``"ldap3"``) or as the bridge does (``"wire"``)."""

    def __init__(
        self, slapd: LocalSlapd, account: ServiceAccount, encoder: str = "ldap3"
    ) -> None:
        """Prepare; connections open on first use in each thread."""
        self._wire = encoder == "wire"
        host, port = slapd.uri.removeprefix("ldap://").split(":")
        self._server = ldap3.Server(host, port=int(port), get_info=ldap3.NONE)
        self._account = account
        self._local = threading.local()
        self._all: list[ldap3.Connection] = []
        self._lock = threading.Lock()

    def connection(self) -> ldap3.Connection:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = ldap3.Connection(
                self._server, self._account.dn, self._account.password,
                auto_bind=True, raise_exceptions=True,
            )  # fmt: skip
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def search(self, base: str, filter_text: str, attributes: list[str]) -> None:
        """A subtree search of one page, as the bridge makes it."""
        conn = self.connection()
        if self._wire:
            wire.search(conn, base, filter_text, ldap3.SUBTREE, attributes,
                        [wire.paged(500, None)])  # fmt: skip
            _check(conn)
        else:
            conn.search(base, filter_text, attributes=attributes, paged_size=500)

    def add(self, dn: str, attributes: dict[str, list[str]]) -> None:
        """An add with the post-read of the operational attributes."""
        conn = self.connection()
        controls = [ctl.post_read(OPERATIONAL)]
        if self._wire:
            wire.add(conn, dn, attributes, controls)
            _check(conn)
        else:
            conn.add(dn, attributes=attributes, controls=controls)

    def add_values(self, dn: str, attribute: str, values: list[str]) -> None:
        """A permissive add of values to one attribute."""
        conn = self.connection()
        controls = [ctl.permissive_modify()]
        if self._wire:
            wire.modify(conn, dn, [("add", attribute, values)], controls)
            _check(conn)
        else:
            conn.modify(
                dn, {attribute: [(ldap3.MODIFY_ADD, values)]}, controls=controls
            )

    def close(self) -> None:
        """Unbind every connection."""
        for conn in self._all:
            conn.unbind()


def _check(conn: ldap3.Connection) -> None:
    if conn.result["result"] != 0:
        raise RuntimeError(f"LDAP operation failed: {conn.result}")


def _in_threads(count: int, items: int, work: Callable[[int], None]) -> None:
    with ThreadPoolExecutor(max_workers=count) as pool:
        for _ in pool.map(work, range(items)):
            pass


def replay_direct(
    client: DirectClient,
    population: Population,
    concurrency: int,
    patch_size: int,
    users: Phase,
    groups: Phase,
) -> None:
    """The replay's LDAP operations, timed per operation and per phase."""
    umap, gmap = population.mapping.users, population.mapping.groups
    assert gmap.members is not None
    member_attr = gmap.members.ldap
    user_attrs = read_attributes(umap, members=False)
    group_attrs = read_attributes(gmap, members=False)

    def user(index: int) -> None:
        uid = escape_filter_value(population.user_name(index))
        with users.latencies.timed("search uid"):
            client.search(umap.base, f"(&{object_filter(umap)}(uid={uid}))", user_attrs)
        with users.latencies.timed("add user"):
            client.add(population.user_dn(index), population.user_ldap(index))

    def group(index: int) -> None:
        dn = population.group_dn(index)
        cn = escape_filter_value(population.group(index)["displayName"])
        with groups.latencies.timed("search cn"):
            client.search(gmap.base, f"(&{object_filter(gmap)}(cn={cn}))", group_attrs)
        with groups.latencies.timed("add group"):
            client.add(dn, population.group_ldap(index, []))
        members = [population.user_dn(u) for u in population.members_of(index)]
        for part in chunks(members, patch_size):
            with groups.latencies.timed("modify add member"):
                client.add_values(dn, member_attr, part)

    with users.clock():
        _in_threads(concurrency, population.users, user)
    with groups.clock():
        _in_threads(concurrency, population.groups, group)


def _ldif_shards(records: list[str], count: int, folder: Path, stem: str) -> list[Path]:
    size = max(1, -(-len(records) // count))
    paths = []
    for number, part in enumerate(chunks(records, size)):
        path = folder / f"{stem}-{number}.ldif"
        path.write_text("".join(part), encoding="utf-8")
        paths.append(path)
    return paths


def _run_parallel(command: list[str], files: list[Path]) -> float:
    env = {"LDAPNOINIT": "1", "PATH": "/usr/bin:/bin"}
    started = time.perf_counter()
    running = [
        subprocess.Popen(
            [*command, "-f", str(path)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for path in files
    ]
    failures = []
    for process in running:
        _, err = process.communicate()
        if process.returncode != 0:
            failures.append(err.decode(errors="replace")[-500:])
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError("ldapmodify failed: " + failures[0])
    return elapsed


def replay_ldapmodify(
    slapd: LocalSlapd,
    account: ServiceAccount,
    password_file: Path,
    population: Population,
    concurrency: int,
    patch_size: int,
    folder: Path,
) -> dict[str, Any]:
    """Load the replay's entries with ``ldapmodify``: seconds per phase."""
    gmap = population.mapping.groups
    assert gmap.members is not None
    tool = shutil.which("ldapmodify")
    if tool is None:
        raise RuntimeError(
            "ldapmodify is missing: install the Debian package ldap-utils"
        )
    users = [
        ldif_add(population.user_dn(i), population.user_ldap(i))
        for i in range(population.users)
    ]
    groups = []
    for index in range(population.groups):
        dn = population.group_dn(index)
        record = ldif_add(dn, population.group_ldap(index, []))
        members = [population.user_dn(u) for u in population.members_of(index)]
        record += "".join(
            ldif_member_add(dn, gmap.members.ldap, part)
            for part in chunks(members, patch_size)
        )
        groups.append(record)
    command = [tool, "-x", "-H", slapd.uri, "-D", account.dn, "-y", str(password_file)]
    user_files = _ldif_shards(users, concurrency, folder, "users")
    group_files = _ldif_shards(groups, concurrency, folder, "groups")
    user_seconds = _run_parallel(command, user_files)
    group_seconds = _run_parallel(command, group_files)
    return {
        "users_seconds": round(user_seconds, 3),
        "groups_seconds": round(group_seconds, 3),
        "seconds": round(user_seconds + group_seconds, 3),
        "processes": len(user_files),
    }
