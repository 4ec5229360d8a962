"""Run every measurement of the benchmark and print the table.

    .venv/bin/python -m bench.run --users 10000 --concurrency 8 \\
        --out bench/results/latest.json
    .venv/bin/python -m bench.run --users 100000 --out bench/results/100k.json
    .venv/bin/python -m bench.run --quick

Each measurement gets a fresh private slapd of the same spec, the one the
tests use (``spec_for_mapping(load_mapping("inetorgperson"))``, no fsync),
and every server listens on 127.0.0.1 only:

1. the bridge (``bench.server``, its own process) replays Entra's initial
   cycle: per user an existence GET then a POST, then per group a match
   GET, a POST and member PATCHes;
2. ldap3 does the same LDAP work directly at the same concurrency, and
   ``ldapmodify`` (slapd's C client) loads the same entries as the floor;
3. and 4. size independence, on a directory filled with ``slapadd``
   (:mod:`bench.scale`);
5. the bridge's peak resident memory during the replay of step 1;
6. scim2-server in memory (``bench.reference``) replays the users;

and, beside them, slapd's member adds on glibc's malloc and on jemalloc,
before and after reads of the big group with its members
(:mod:`bench.allocator`).

See ``docs/benchmarks.md`` for figures and their reading.
"""

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import ldap3

from bridge.mapping.load import load_mapping
from bridge.mapping.model import Mapping
from bridge.slapd import LocalSlapd, ServiceAccount, SlapdSpec
from bridge.slapd.profile import spec_for_mapping

from .allocator import measure_allocators
from .client import ScimClient, replay_groups, replay_users, session
from .direct import DirectClient, replay_direct, replay_ldapmodify
from .processes import (
    ChildServer,
    Secrets,
    remove_secrets,
    slapd_pid,
    start_bridge,
    start_reference,
)
from .report import machine, rows, table
from .scale import ScaleSettings, measure_scale
from .stats import Phase
from .workload import Population

__all__ = ["main"]

WRITER_DN = "cn=scim-bridge,ou=services,dc=example,dc=org"
READER_DN = "cn=records-sync,ou=services,dc=example,dc=org"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--users", type=int, default=10_000, help="users in the replay (default 10,000)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=8, help="clients in flight (default 8)"
    )
    parser.add_argument(
        "--group-size",
        type=int,
        default=200,
        help="members per group; there are users/100 groups",
    )
    parser.add_argument(
        "--patch-size",
        type=int,
        default=100,
        help="most members per PATCH (default 100)",
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        default=8,
        help="the bridge's LDAP connections (its default, 8)",
    )
    parser.add_argument(
        "--scale-users",
        type=int,
        default=100_000,
        help="directory size of measurement 3",
    )
    parser.add_argument(
        "--mid-users",
        type=int,
        default=60_000,
        help="the in-between size of measurement 3",
    )
    parser.add_argument(
        "--big-group",
        type=int,
        default=50_000,
        help="members of the big group of measurement 4",
    )
    parser.add_argument(
        "--lookups",
        type=int,
        default=1_000,
        help="GETs sampled per size in measurement 3",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1,000 users, 10,000-user directory, 5,000-member group",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["replay", "direct", "scale", "reference", "allocator"],
        help="run only these (the replay always runs)",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="FILE",
        help="record the bridge with py-spy during the replay (collapsed stacks)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("bench/results/latest.json"),
        help="where the JSON goes",
    )
    return parser


def _settings(args: argparse.Namespace) -> argparse.Namespace:
    if args.quick:
        args.users = min(args.users, 1_000)
        args.scale_users = min(args.scale_users, 10_000)
        args.mid_users = min(args.mid_users, 5_000)
        args.big_group = min(args.big_group, 5_000)
        args.lookups = min(args.lookups, 300)
    return args


def _spec(mapping: Mapping) -> tuple[SlapdSpec, ServiceAccount]:
    writer = ServiceAccount.with_random_password(WRITER_DN, "writer")
    reader = ServiceAccount.with_random_password(READER_DN, "reader")
    return spec_for_mapping(mapping, (writer, reader), durable=False), writer


def _population(mapping: Mapping, args: argparse.Namespace) -> Population:
    return Population(
        mapping,
        args.users,
        groups=max(1, args.users // 100),
        group_size=args.group_size,
    )


def _check_shape(slapd: LocalSlapd, population: Population) -> None:
    """Fail unless user 0, as the bridge wrote it, is what the LDIF holds."""
    conn = ldap3.Connection(
        slapd.uri, slapd.root_dn, slapd.root_password, auto_bind=True
    )
    try:
        conn.search(
            population.user_dn(0), "(objectClass=*)", ldap3.BASE, attributes=["*"]
        )
        raw = conn.entries[0].entry_raw_attributes
        stored = {
            k.lower(): sorted(v.decode() for v in values) for k, values in raw.items()
        }
    finally:
        conn.unbind()
    expected = {k.lower(): sorted(v) for k, v in population.user_ldap(0).items()}
    if stored != expected:
        raise RuntimeError(
            f"the bridge wrote {stored}, the benchmark's LDIF has {expected}"
        )


def _start_py_spy(bridge: ChildServer, target: Path) -> subprocess.Popen[bytes]:
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).with_name("py-spy")),
        "record",
        "--pid",
        str(bridge.pid),
        "--format",
        "raw",
        "--rate",
        "200",
        "--gil",
        "--output",
        str(target),
    ]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _stop_py_spy(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(2)
    process.wait(timeout=60)


async def _bridge_replay(
    spec: SlapdSpec,
    writer: ServiceAccount,
    keys: Secrets,
    population: Population,
    args: argparse.Namespace,
) -> dict[str, Any]:
    with (
        LocalSlapd(spec) as slapd,
        start_bridge(slapd, writer, keys, "replay", args.pool_size) as bridge,
    ):
        pids = {"bridge": bridge.pid, "slapd": slapd_pid(slapd)}
        users, groups = Phase("users", processes=pids), Phase("groups", processes=pids)
        spy = _start_py_spy(bridge, args.py_spy) if args.py_spy else None
        async with session(keys.token, args.concurrency) as http:
            client = ScimClient(http, bridge.origin + "/scim/v2")
            ids = await replay_users(client, population, args.concurrency, users)
            await replay_groups(
                client, population, ids, args.concurrency, args.patch_size, groups
            )
        if spy is not None:
            _stop_py_spy(spy)
        memory = bridge.memory()
        _check_shape(slapd, population)
    return {
        "users": users.report(),
        "groups": groups.report(),
        "seconds": round(users.seconds + groups.seconds, 3),
        "users_per_second": round(population.users / users.seconds, 1),
        "memory_kib": memory,
    }


def _direct(
    spec: SlapdSpec,
    writer: ServiceAccount,
    population: Population,
    args: argparse.Namespace,
    encoder: str,
) -> dict[str, Any]:
    with LocalSlapd(spec) as slapd:
        pids = {"slapd": slapd_pid(slapd)}
        users, groups = Phase("users", processes=pids), Phase("groups", processes=pids)
        client = DirectClient(slapd, writer, encoder)
        try:
            replay_direct(
                client, population, args.concurrency, args.patch_size, users, groups
            )
        finally:
            client.close()
    return {
        "users": users.report(),
        "groups": groups.report(),
        "seconds": round(users.seconds + groups.seconds, 3),
    }


def _floor(
    spec: SlapdSpec,
    writer: ServiceAccount,
    keys: Secrets,
    population: Population,
    args: argparse.Namespace,
) -> dict[str, Any]:
    password = keys.write("floor.password", writer.password)
    with LocalSlapd(spec) as slapd:
        return replay_ldapmodify(
            slapd,
            writer,
            password,
            population,
            args.concurrency,
            args.patch_size,
            keys.root,
        )


async def _reference(
    keys: Secrets, population: Population, args: argparse.Namespace
) -> dict[str, Any]:
    with start_reference(keys) as server:
        users = Phase("users", processes={"server": server.pid})
        async with session(keys.token, args.concurrency) as http:
            await replay_users(
                ScimClient(http, server.origin + "/v2"),
                population,
                args.concurrency,
                users,
            )
        memory = server.memory()
    return {
        "users": users.report(),
        "users_per_second": round(population.users / users.seconds, 1),
        "memory_kib": memory,
    }


def _scale_settings(args: argparse.Namespace) -> ScaleSettings:
    return ScaleSettings(
        large_users=args.scale_users,
        mid_users=min(args.mid_users, args.scale_users),
        big_group=args.big_group,
        lookups=args.lookups,
        member_adds=50 if args.quick else 200,
        group_reads=50 if args.quick else 200,
        pool_size=args.pool_size,
    )


async def _scale(
    spec: SlapdSpec, writer: ServiceAccount, keys: Secrets, args: argparse.Namespace
) -> dict[str, Any]:
    settings = _scale_settings(args)
    with LocalSlapd(spec) as small, LocalSlapd(spec) as mid, LocalSlapd(spec) as large:
        return await measure_scale(
            {"small": small, "mid": mid, "large": large}, writer, keys, settings
        )


def _step(name: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {name}", file=sys.stderr, flush=True)


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    mapping = load_mapping("inetorgperson")
    spec, writer = _spec(mapping)
    population = _population(mapping, args)
    keys = Secrets.create()
    wanted = set(args.only or ["direct", "scale", "reference", "allocator"])
    results: dict[str, Any] = {
        "settings": {
            k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
        }
    }
    try:
        _step(f"bridge replay: {population.users} users, {population.groups} groups")
        results["bridge"] = await _bridge_replay(spec, writer, keys, population, args)
        if "direct" in wanted:
            _step("ldap3 direct replay")
            results["direct"] = _direct(spec, writer, population, args, "ldap3")
            _step("direct replay, requests encoded as the bridge does")
            results["direct_wire"] = _direct(spec, writer, population, args, "wire")
            _step("ldapmodify floor")
            results["ldapmodify"] = _floor(spec, writer, keys, population, args)
        if "reference" in wanted:
            _step("scim2-server replay")
            results["reference"] = await _reference(keys, population, args)
        if "scale" in wanted:
            _step(
                f"size independence: {args.scale_users} users, {args.big_group}-member group"
            )
            results["scale"] = await _scale(spec, writer, keys, args)
        if "allocator" in wanted:
            _step(f"slapd's malloc: {args.big_group}-member group, glibc and jemalloc")
            results["allocator"] = measure_allocators(
                spec, writer, keys.root, _scale_settings(args)
            )
    except BaseException:
        _show_logs(keys)
        raise
    finally:
        remove_secrets(keys)
    return results


def _show_logs(keys: Secrets) -> None:
    """The end of every server log, before the run's directory goes."""
    for log in sorted(keys.root.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        failures = [
            i
            for i, line in enumerate(lines)
            if " ERROR " in line or " WARNING " in line
        ]
        shown = lines[failures[0] : failures[0] + 60] if failures else lines[-20:]
        print(f"--- {log.name} ---", *shown, sep="\n", file=sys.stderr)


def main() -> None:
    """Parse arguments, run, print the table, save the JSON."""
    args = _settings(_parser().parse_args())
    started = time.time()
    # Read before the run: the code measured is what was checked out when
    # the servers started, whatever is committed while the run goes on.
    measured = machine()
    results = asyncio.run(_run(args))
    results["machine"] = measured
    results["command"] = " ".join(["python -m bench.run", *sys.argv[1:]])
    results["started"] = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started))
    found = rows(results)
    results["table"] = [
        {
            "name": r.name.strip(),
            "value": r.value,
            "target": r.target,
            "result": r.verdict(),
        }
        for r in found
    ]
    print(table(found))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nsaved {args.out}")


if __name__ == "__main__":
    main()
