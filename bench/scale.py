"""Size independence: lookups at 1,000 and 100,000 users, edits of huge groups.

Three fresh slapds of the benchmark's spec are filled offline with
``slapadd`` (entries of exactly the bridge's shape, with ``entryUUID`` set
so their SCIM ids are known): small, mid-sized (see
:attr:`ScaleSettings.mid_users`) and large, the large one with two groups,
a small one and a big one. Each has its own bridge, and requests go one at
a time (latency, not throughput), alternating between the directories so
that a change in the machine's load falls on all alike:

* ``userName eq`` existence GETs of random existing users, in turn in each
  directory;
* adding one new member to each group, small group then big;
* reading each group with ``excludedAttributes=members``, likewise.

The same group operations are repeated directly with ldap3, so slapd's own
growth with the group's size is shown beside the bridge's.
"""

import json
import random
import uuid
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ldap3

from bridge.directory.deref import deref_control
from bridge.mapping.filters import escape_filter_value
from bridge.mapping.load import load_mapping
from bridge.service.context import object_filter, read_attributes
from bridge.slapd import LocalSlapd, ServiceAccount
from bridge.slapd.layout import Layout
from bridge.slapd.tools import find_tools, run

from .client import ScimClient, session
from .direct import DirectClient
from .processes import Secrets, start_bridge
from .stats import Latencies, summary
from .workload import Population, ldif_entry, patch_body, user_filter_path

__all__ = [
    "Loaded",
    "ScaleSettings",
    "group_record",
    "measure_scale",
    "slapadd",
    "user_records",
]


@dataclass(frozen=True)
class ScaleSettings:
    """Sizes and sample counts of the size-independence measurements."""

    small_users: int = 1_000
    mid_users: int = 60_000
    """Just under 65,536 entries, where slapd's index lists are longest
    before they turn into ranges (back-mdb's IDL limit): the slowest size
    for filters that AND objectClass terms."""
    large_users: int = 100_000
    small_group: int = 10
    big_group: int = 50_000
    lookups: int = 1_000
    member_adds: int = 200
    group_reads: int = 200
    member_reads: int = 10
    """Reads of the big group with its members (each returns all of them)."""
    pool_size: int = 8


@dataclass
class Loaded:
    """What is in the directory: users' ids and the two groups' ids."""

    population: Population
    user_ids: list[str]
    group_ids: dict[str, str] = field(default_factory=dict)


def slapadd(slapd: LocalSlapd, records: list[str], folder: Path, name: str) -> None:
    """Stop slapd, load LDIF records offline, start it again."""
    path = folder / f"{name}.ldif"
    path.write_text("".join(records), encoding="utf-8")
    layout = Layout.inside(slapd.workdir)
    slapd.stop()
    run(
        [
            find_tools().slapadd,
            "-q",
            "-n1",
            "-F",
            str(layout.config_dir),
            "-l",
            str(path),
        ],
        layout.root,
    )
    slapd.start()
    path.unlink()


def user_records(loaded: Loaded, start: int, stop: int) -> list[str]:
    pop = loaded.population
    return [
        ldif_entry(pop.user_dn(i), pop.user_ldap(i), {"entryUUID": loaded.user_ids[i]})
        for i in range(start, stop)
    ]


def group_record(loaded: Loaded, name: str, index: int, size: int) -> str:
    pop = loaded.population
    ident = str(uuid.uuid4())
    loaded.group_ids[name] = ident
    members = [pop.user_dn(i) for i in range(size)]
    return ldif_entry(
        pop.group_dn(index), pop.group_ldap(index, members), {"entryUUID": ident}
    )


async def _lookups(
    clients: dict[str, ScimClient], loaded: Loaded, sizes: dict[str, int], count: int
) -> dict[str, Any]:
    """Existence GETs of random users, alternating between the directories."""
    chooser = random.Random(count)
    latencies = Latencies()
    for step in range(count + 20):
        for size, client in clients.items():
            label = "warm-up" if step < 20 else size
            path = user_filter_path(
                loaded.population.user_name(chooser.randrange(sizes[size]))
            )
            found = await client.call(latencies, label, "GET", path, None, 200)
            assert found["totalResults"] == 1, found
    return {size: summary(latencies.samples[size]) for size in clients}


async def _group_ops(
    client: ScimClient, loaded: Loaded, settings: ScaleSettings
) -> dict[str, Any]:
    latencies = Latencies()
    # New members come from the top of the population, in no group yet.
    fresh = iter(range(settings.large_users - 1, -1, -1))
    for _ in range(settings.member_adds):
        for name in ("small", "big"):
            body = json.dumps(patch_body([loaded.user_ids[next(fresh)]])).encode()
            path = f"/Groups/{loaded.group_ids[name]}"
            await client.call(latencies, f"add member {name}", "PATCH", path, body, 204)
    for _ in range(settings.group_reads):
        for name in ("small", "big"):
            path = f"/Groups/{loaded.group_ids[name]}?excludedAttributes=members"
            await client.call(latencies, f"read {name}", "GET", path, None, 200)
    return latencies.report()


async def _member_reads(
    client: ScimClient, loaded: Loaded, settings: ScaleSettings
) -> dict[str, Any]:
    latencies = Latencies()
    for _ in range(settings.member_reads):
        path = f"/Groups/{loaded.group_ids['big']}"
        found = await client.call(latencies, "members big", "GET", path, None, 200)
        assert len(found["members"]) >= settings.big_group, len(found["members"])
    return {"members big": summary(latencies.samples["members big"])}


def _direct_lookups(
    slapds: dict[str, LocalSlapd],
    writer: ServiceAccount,
    loaded: Loaded,
    sizes: dict[str, int],
    count: int,
) -> dict[str, Any]:
    """The bridge's search for each GET, and a bare ``(uid=...)`` one, alternating."""
    umap = loaded.population.mapping.users
    chooser = random.Random(count)
    clients = {size: DirectClient(slapd, writer) for size, slapd in slapds.items()}
    latencies = Latencies()
    attributes = read_attributes(umap, members=False)
    try:
        for step in range(count + 20):
            for size, direct in clients.items():
                conn = direct.connection()
                uid = escape_filter_value(
                    loaded.population.user_name(chooser.randrange(sizes[size]))
                )
                label = "warm-up" if step < 20 else f"bridge filter {size}"
                with latencies.timed(label):
                    conn.search(
                        umap.base,
                        f"(&{object_filter(umap)}(uid={uid}))",
                        attributes=attributes,
                    )
                with latencies.timed("warm-up" if step < 20 else f"uid only {size}"):
                    conn.search(umap.base, f"(uid={uid})", attributes=attributes)
    finally:
        for direct in clients.values():
            direct.close()
    del latencies.samples["warm-up"]
    return latencies.report()


def _direct_group_ops(
    slapd: LocalSlapd, writer: ServiceAccount, loaded: Loaded, settings: ScaleSettings
) -> dict[str, Any]:
    pop = loaded.population
    gmap = pop.mapping.groups
    assert gmap.members is not None
    direct = DirectClient(slapd, writer)
    conn = direct.connection()
    latencies = Latencies()
    dns = {"small": pop.group_dn(0), "big": pop.group_dn(1)}
    fresh = iter(range(settings.large_users - 1 - 2 * settings.member_adds, -1, -1))
    try:
        for _ in range(settings.member_adds):
            for name, dn in dns.items():
                value = pop.user_dn(next(fresh))
                with latencies.timed(f"add member {name}"):
                    conn.modify(dn, {gmap.members.ldap: [(ldap3.MODIFY_ADD, [value])]})
        for _ in range(settings.group_reads):
            for name, dn in dns.items():
                with latencies.timed(f"read {name}"):
                    conn.search(
                        dn,
                        "(objectClass=*)",
                        ldap3.BASE,
                        attributes=read_attributes(gmap, members=False),
                    )
    finally:
        direct.close()
    return latencies.report()


def read_with_members(conn: ldap3.Connection, dn: str, loaded: Loaded) -> None:
    """The bridge's read of a group with its members: the entry and the
    member ids in one search, with the dereference control."""
    gmap = loaded.population.mapping.groups
    assert gmap.members is not None
    conn.search(
        dn, "(objectClass=*)", ldap3.BASE,
        attributes=read_attributes(gmap, members=True),
        controls=[deref_control(gmap.members.ldap, ("entryUUID",))],
    )  # fmt: skip


def _direct_member_reads(
    slapd: LocalSlapd, writer: ServiceAccount, loaded: Loaded, settings: ScaleSettings
) -> dict[str, Any]:
    direct = DirectClient(slapd, writer)
    latencies = Latencies()
    try:
        for _ in range(settings.member_reads):
            with latencies.timed("members big"):
                read_with_members(
                    direct.connection(), loaded.population.group_dn(1), loaded
                )
    finally:
        direct.close()
    return {"members big": summary(latencies.samples["members big"])}


def _ratio(report: dict[str, Any], big: str, small: str) -> float:
    return round(float(report[big]["p50_ms"]) / float(report[small]["p50_ms"]), 3)


async def measure_scale(
    slapds: dict[str, LocalSlapd],
    writer: ServiceAccount,
    keys: Secrets,
    settings: ScaleSettings,
) -> dict[str, Any]:
    """Measurements 3 and 4 of the benchmark, on fresh slapds named
    ``small``, ``mid`` and ``large`` (the groups live in ``large``)."""
    population = Population(
        load_mapping("inetorgperson"), settings.large_users, prefix="scale"
    )
    loaded = Loaded(
        population, [str(uuid.uuid4()) for _ in range(settings.large_users)]
    )
    sizes = {
        "small": settings.small_users,
        "mid": settings.mid_users,
        "large": settings.large_users,
    }
    for name, slapd in slapds.items():
        records = user_records(loaded, 0, sizes[name])
        if name == "large":
            records.append(group_record(loaded, "small", 0, settings.small_group))
            records.append(group_record(loaded, "big", 1, settings.big_group))
        slapadd(slapd, records, keys.root, name)
        del records
    result: dict[str, Any] = {"settings": settings.__dict__}
    with ExitStack() as stack:
        bridges = {
            name: stack.enter_context(
                start_bridge(slapd, writer, keys, f"scale-{name}", settings.pool_size)
            )
            for name, slapd in slapds.items()
        }
        async with AsyncExitStack() as sessions:
            clients = {
                name: ScimClient(
                    await sessions.enter_async_context(session(keys.token, 1)),
                    bridge.origin + "/scim/v2",
                )
                for name, bridge in bridges.items()
            }
            found = await _lookups(clients, loaded, sizes, settings.lookups)
            result["groups_bridge"] = await _group_ops(
                clients["large"], loaded, settings
            )
            result["groups_direct"] = _direct_group_ops(
                slapds["large"], writer, loaded, settings
            )
            # Reads with members last: dereferencing 50,000 members leaves
            # slapd's heap in a state that slowed later writes (with glibc's
            # malloc), which would tilt whichever side came after them.
            result["groups_bridge"] |= await _member_reads(
                clients["large"], loaded, settings
            )
            result["groups_direct"] |= _direct_member_reads(
                slapds["large"], writer, loaded, settings
            )
    for name in slapds:
        result[f"lookup_{name}"] = found[name]
    result["lookup_direct"] = _direct_lookups(
        slapds, writer, loaded, sizes, settings.lookups
    )
    result["lookup_ratio"] = round(
        result["lookup_large"]["p50_ms"] / result["lookup_small"]["p50_ms"], 3
    )
    result["lookup_mid_ratio"] = round(
        result["lookup_mid"]["p50_ms"] / result["lookup_small"]["p50_ms"], 3
    )
    direct = result["lookup_direct"]
    for label in ("bridge filter", "uid only"):
        for name in ("mid", "large"):
            ratio = (
                direct[f"{label} {name}"]["p50_ms"] / direct[f"{label} small"]["p50_ms"]
            )
            direct[f"{label} {name} ratio"] = round(ratio, 3)
    for side in ("groups_bridge", "groups_direct"):
        block = result[side]
        block["add_ratio"] = _ratio(block, "add member big", "add member small")
        block["read_ratio"] = _ratio(block, "read big", "read small")
    return result
