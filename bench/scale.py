"""Size independence: lookups at 1,000 and 100,000 users, edits of huge groups.

A fresh slapd of the benchmark's spec is filled offline with ``slapadd``
(entries of exactly the bridge's shape, with ``entryUUID`` set so their SCIM
ids are known), first with the small population, then with the rest and two
groups: a small one and a big one. At each size a fresh bridge answers
sequential requests (one at a time: latency, not throughput):

* ``userName eq`` existence GETs of random existing users;
* adding one new member to each group, interleaved, small then big;
* reading each group with ``excludedAttributes=members``, interleaved.

The same group operations are repeated directly with ldap3, so slapd's own
growth with the group's size is shown beside the bridge's.
"""

import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ldap3

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

__all__ = ["ScaleSettings", "measure_scale"]


@dataclass(frozen=True)
class ScaleSettings:
    """Sizes and sample counts of the size-independence measurements."""

    small_users: int = 1_000
    large_users: int = 100_000
    small_group: int = 10
    big_group: int = 50_000
    lookups: int = 1_000
    member_adds: int = 200
    group_reads: int = 200
    pool_size: int = 8


@dataclass
class _Loaded:
    """What is in the directory: users' ids and the two groups' ids."""

    population: Population
    user_ids: list[str]
    group_ids: dict[str, str] = field(default_factory=dict)


def _slapadd(slapd: LocalSlapd, records: list[str], folder: Path, name: str) -> None:
    """Stop slapd, load LDIF records offline, start it again."""
    path = folder / f"{name}.ldif"
    path.write_text("".join(records), encoding="utf-8")
    layout = Layout.inside(slapd.workdir)
    slapd.stop()
    run([find_tools().slapadd, "-q", "-n1", "-F", str(layout.config_dir), "-l", str(path)], layout.root)
    slapd.start()
    path.unlink()


def _user_records(loaded: _Loaded, start: int, stop: int) -> list[str]:
    pop = loaded.population
    return [
        ldif_entry(pop.user_dn(i), pop.user_ldap(i), {"entryUUID": loaded.user_ids[i]})
        for i in range(start, stop)
    ]


def _group_record(loaded: _Loaded, name: str, index: int, size: int) -> str:
    pop = loaded.population
    ident = str(uuid.uuid4())
    loaded.group_ids[name] = ident
    members = [pop.user_dn(i) for i in range(size)]
    return ldif_entry(pop.group_dn(index), pop.group_ldap(index, members), {"entryUUID": ident})


async def _lookups(client: ScimClient, loaded: _Loaded, upto: int, count: int) -> dict[str, Any]:
    chooser = random.Random(upto)
    latencies = Latencies()
    for step in range(count + 20):
        index = chooser.randrange(upto)
        label = "warm-up" if step < 20 else "lookup"
        path = user_filter_path(loaded.population.user_name(index))
        found = await client.call(latencies, label, "GET", path, None, 200)
        assert found["totalResults"] == 1, found
    return summary(latencies.samples["lookup"])


async def _group_ops(client: ScimClient, loaded: _Loaded, settings: ScaleSettings) -> dict[str, Any]:
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


def _direct_lookups(
    slapd: LocalSlapd, writer: ServiceAccount, loaded: _Loaded, upto: int, count: int
) -> dict[str, Any]:
    """The bridge's search for each GET, and a bare ``(uid=...)`` one."""
    umap = loaded.population.mapping.users
    chooser = random.Random(upto)
    direct = DirectClient(slapd, writer)
    conn = direct.connection()
    latencies = Latencies()
    attributes = read_attributes(umap, members=False)
    try:
        for step in range(count + 20):
            uid = escape_filter_value(loaded.population.user_name(chooser.randrange(upto)))
            label = "warm-up" if step < 20 else "bridge filter"
            with latencies.timed(label):
                conn.search(umap.base, f"(&{object_filter(umap)}(uid={uid}))", attributes=attributes)
            if step >= 20:
                with latencies.timed("uid only"):
                    conn.search(umap.base, f"(uid={uid})", attributes=attributes)
    finally:
        direct.close()
    del latencies.samples["warm-up"]
    return latencies.report()


def _direct_group_ops(
    slapd: LocalSlapd, writer: ServiceAccount, loaded: _Loaded, settings: ScaleSettings
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
                    conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=read_attributes(gmap, members=False))
    finally:
        direct.close()
    return latencies.report()


def _ratio(report: dict[str, Any], big: str, small: str) -> float:
    return round(report[big]["p50_ms"] / report[small]["p50_ms"], 3)


async def measure_scale(
    slapd: LocalSlapd, writer: ServiceAccount, keys: Secrets, settings: ScaleSettings
) -> dict[str, Any]:
    """Measurements 3 and 4 of the benchmark, on a fresh ``slapd``."""
    population = Population(load_mapping("inetorgperson"), settings.large_users, prefix="scale")
    loaded = _Loaded(population, [str(uuid.uuid4()) for _ in range(settings.large_users)])
    _slapadd(slapd, _user_records(loaded, 0, settings.small_users), keys.root, "small")
    result: dict[str, Any] = {"settings": settings.__dict__}
    with start_bridge(slapd, writer, keys, "scale-small", settings.pool_size) as bridge:
        async with session(keys.token, 1) as http:
            client = ScimClient(http, bridge.origin + "/scim/v2")
            result["lookup_small"] = await _lookups(client, loaded, settings.small_users, settings.lookups)
    result["lookup_small_direct"] = _direct_lookups(slapd, writer, loaded, settings.small_users, settings.lookups)
    records = _user_records(loaded, settings.small_users, settings.large_users)
    records.append(_group_record(loaded, "small", 0, settings.small_group))
    records.append(_group_record(loaded, "big", 1, settings.big_group))
    _slapadd(slapd, records, keys.root, "large")
    with start_bridge(slapd, writer, keys, "scale-large", settings.pool_size) as bridge:
        async with session(keys.token, 1) as http:
            client = ScimClient(http, bridge.origin + "/scim/v2")
            result["lookup_large"] = await _lookups(client, loaded, settings.large_users, settings.lookups)
            result["groups_bridge"] = await _group_ops(client, loaded, settings)
    result["lookup_large_direct"] = _direct_lookups(slapd, writer, loaded, settings.large_users, settings.lookups)
    result["groups_direct"] = _direct_group_ops(slapd, writer, loaded, settings)
    result["lookup_ratio"] = round(result["lookup_large"]["p50_ms"] / result["lookup_small"]["p50_ms"], 3)
    for label in ("bridge filter", "uid only"):
        small, large = result["lookup_small_direct"][label], result["lookup_large_direct"][label]
        result["lookup_direct_ratio " + label] = round(large["p50_ms"] / small["p50_ms"], 3)
    for side in ("groups_bridge", "groups_direct"):
        found = result[side]
        found["add_ratio"] = _ratio(found, "add member big", "add member small")
        found["read_ratio"] = _ratio(found, "read big", "read small")
    return result
