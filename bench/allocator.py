"""slapd's malloc: member adds before and after reads with members.

back-mdb copies every value of an entry on each modify (100,000 small
allocations and frees for a 50,000-member group), so slapd's allocator is
part of the cost of a member write. Two fresh slapds of the benchmark's
spec, one on glibc's malloc and one on jemalloc (the launcher's default),
hold the same users and the same two groups. In each, one member at a time
is added to the small and the big group, then the big group is read with
its members dereferenced as the bridge reads it, then members are added
again. Requests alternate between the two slapds so that a change in the
machine's load falls on both alike.
"""

import uuid
from pathlib import Path
from typing import Any

import ldap3

from bridge.mapping.load import load_mapping
from bridge.slapd import LocalSlapd, ServiceAccount, SlapdSpec
from bridge.slapd.launcher import ALLOCATOR

from .direct import DirectClient
from .scale import (
    Loaded,
    ScaleSettings,
    group_record,
    read_with_members,
    slapadd,
    user_records,
)
from .stats import Latencies
from .workload import Population

__all__ = ["measure_allocators"]

_ALLOCATORS = {"glibc": None, "jemalloc": ALLOCATOR}


def _adds(
    conns: dict[str, ldap3.Connection],
    loaded: Loaded,
    values: list[str],
    latencies: Latencies,
    when: str,
) -> None:
    pop = loaded.population
    attribute = pop.mapping.groups.members
    assert attribute is not None
    for value in values:
        for index, group in enumerate(("small", "big")):
            for name, conn in conns.items():
                change = {attribute.ldap: [(ldap3.MODIFY_ADD, [value])]}
                with latencies.timed(f"{name} {group} {when}"):
                    conn.modify(pop.group_dn(index), change)
                if conn.result["result"] != 0:
                    raise RuntimeError(f"member add failed: {conn.result}")


def measure_allocators(
    spec: SlapdSpec, writer: ServiceAccount, folder: Path, settings: ScaleSettings
) -> dict[str, Any]:
    """Member add latencies per allocator, before and after member reads."""
    adds = settings.member_adds
    users = settings.big_group + 2 * adds
    population = Population(load_mapping("inetorgperson"), users, prefix="malloc")
    loaded = Loaded(population, [str(uuid.uuid4()) for _ in range(users)])
    records = user_records(loaded, 0, users)
    records.append(group_record(loaded, "small", 0, settings.small_group))
    records.append(group_record(loaded, "big", 1, settings.big_group))
    slapds = {name: LocalSlapd(spec, allocator=a) for name, a in _ALLOCATORS.items()}
    clients: dict[str, DirectClient] = {}
    latencies = Latencies()
    try:
        for name, slapd in slapds.items():
            slapd.start()
            slapadd(slapd, records, folder, f"malloc-{name}")
            clients[name] = DirectClient(slapd, writer)
        conns = {name: client.connection() for name, client in clients.items()}
        fresh = [population.user_dn(i) for i in range(settings.big_group, users)]
        _adds(conns, loaded, fresh[:adds], latencies, "before")
        for _ in range(settings.member_reads):
            for conn in conns.values():
                read_with_members(conn, population.group_dn(1), loaded)
        _adds(conns, loaded, fresh[adds:], latencies, "after")
    finally:
        for client in clients.values():
            client.close()
        for slapd in slapds.values():
            slapd.close()
    return {"settings": {"adds": adds, **settings.__dict__}, **latencies.report()}
