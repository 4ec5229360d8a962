"""The table a run prints, its targets, and the machine it ran on."""

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Row", "machine", "rows", "table"]

MEMORY_LIMIT_MIB = 250


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, and its target when it has one."""

    name: str
    value: str
    target: str = ""
    passed: bool | None = None

    def verdict(self) -> str:
        """PASS, MISS, or nothing for figures without a target."""
        if self.passed is None:
            return ""
        return "PASS" if self.passed else "MISS"


def machine() -> dict[str, Any]:
    """CPU model, cores, memory and software versions of this machine."""
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    slapd = subprocess.run(
        ["/usr/sbin/slapd", "-VV"], capture_output=True, text=True, check=False
    )
    version = (slapd.stderr or slapd.stdout).strip().splitlines()
    git = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return {
        "commit": git.stdout.strip(),
        "cpu_model": model,
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024**2, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "slapd": version[0] if version else "",
    }


def _ms(block: dict[str, Any]) -> str:
    return f"p50 {block['p50_ms']:.2f} ms, p99 {block['p99_ms']:.2f} ms"


def _replay_rows(results: dict[str, Any]) -> list[Row]:
    found = []
    for phase in ("users", "groups"):
        block = results["bridge"][phase]
        found.append(
            Row(
                f"1 replay {phase}: {block['operations']} requests",
                f"{block['per_second']:.0f} req/s in {block['seconds']:.1f} s;"
                f" {_ms(block['latency']['all'])}",
            )
        )
        for label, lat in block["latency"].items():
            if label != "all":
                found.append(Row(f"    {label}", _ms(lat)))
    return found


def _direct_rows(results: dict[str, Any]) -> list[Row]:
    bridge = results["bridge"]["seconds"]
    direct = results["direct"]
    floor = results["ldapmodify"]
    ratio = bridge / direct["seconds"]
    rows = [
        Row(
            "2 same LDAP work, ldap3 direct",
            f"{direct['seconds']:.1f} s (users {direct['users']['seconds']:.1f} s,"
            f" groups {direct['groups']['seconds']:.1f} s)",
        ),
        Row(
            "2 ldapmodify (C client) floor",
            f"{floor['seconds']:.1f} s ({floor['processes']} processes, adds only)",
        ),
        Row(
            "2 bridge / direct time",
            f"{ratio:.2f} (bridge {bridge:.1f} s)",
            "<= 1.5",
            ratio <= 1.5,
        ),
        Row(
            "    users phase bridge / direct",
            f"{results['bridge']['users']['seconds'] / direct['users']['seconds']:.2f}",
        ),
        Row("    bridge / ldapmodify floor", f"{bridge / floor['seconds']:.2f}"),
    ]
    wired = results.get("direct_wire")
    if wired:
        rows += [
            Row(
                "2 same LDAP work, encoded as the bridge does",
                f"{wired['seconds']:.1f} s (users {wired['users']['seconds']:.1f} s,"
                f" groups {wired['groups']['seconds']:.1f} s)",
            ),
            Row(
                "    bridge / that (what the bridge adds)",
                f"{bridge / wired['seconds']:.2f}",
            ),
        ]
    users = results["settings"]["users"]
    bridge_cpu = results["bridge"]["users"]["cpu_seconds"]
    direct_cpu = direct["users"]["cpu_seconds"]
    rows.append(
        Row(
            "    CPU ms per user (users phase)",
            f"bridge {_per(bridge_cpu, 'bridge', users)}"
            f" + slapd {_per(bridge_cpu, 'slapd', users)}"
            f" | ldap3 {_per(direct_cpu, 'client', users)}"
            f" + slapd {_per(direct_cpu, 'slapd', users)}"
            + (
                f" | bridge's encoding {_per(wired['users']['cpu_seconds'], 'client', users)}"
                if wired
                else ""
            ),
        )
    )
    return rows


def _per(cpu: dict[str, float], role: str, count: int) -> str:
    return f"{cpu[role] * 1000 / count:.2f}"


def _scale_rows(results: dict[str, Any]) -> list[Row]:
    scale = results["scale"]
    sizes = scale["settings"]
    small, large = scale["lookup_small"], scale["lookup_large"]
    rows = [
        Row(
            f"3 userName eq at {sizes['small_users']:,} / {sizes['large_users']:,} users",
            f"p50 {small['p50_ms']:.2f} / {large['p50_ms']:.2f} ms:"
            f" ratio {scale['lookup_ratio']:.2f}",
            "<= 1.3",
            scale["lookup_ratio"] <= 1.3,
        ),
    ]
    mid = scale["lookup_mid"]
    rows.append(
        Row(
            f"    and at {sizes['mid_users']:,} users",
            f"p50 {mid['p50_ms']:.2f} ms:"
            f" ratio {scale['lookup_mid_ratio']:.2f} to {sizes['small_users']:,}",
        )
    )
    direct = scale["lookup_direct"]
    for label in ("bridge filter", "uid only"):
        small, mid, large = (
            direct[f"{label} {name}"]["p50_ms"] for name in ("small", "mid", "large")
        )
        rows.append(
            Row(
                f"    ldap3 direct, {label}: small / mid / large",
                f"p50 {small:.2f} / {mid:.2f} / {large:.2f} ms: ratios"
                f" {direct[label + ' mid ratio']:.2f}, {direct[label + ' large ratio']:.2f}",
            )
        )
    operations = (
        ("add 1 member", "add", "add member"),
        ("read, members excluded", "read", "read"),
    )
    for what, key, label in operations:
        for side in ("bridge", "direct"):
            block = scale[f"groups_{side}"]
            small, big = block[f"{label} small"], block[f"{label} big"]
            ratio = block[f"{key}_ratio"]
            rows.append(
                Row(
                    f"4 {what}, {sizes['small_group']} vs {sizes['big_group']:,} members ({side})",
                    f"p50 {small['p50_ms']:.2f} / {big['p50_ms']:.2f} ms: ratio {ratio:.2f}",
                    "<= 1.5" if side == "bridge" else "",
                    ratio <= 1.5 if side == "bridge" else None,
                )
            )
    bridge, direct = (
        scale[f"groups_{side}"]["members big"] for side in ("bridge", "direct")
    )
    rows.append(
        Row(
            f"    read with members, {sizes['big_group']:,} members",
            f"p50 bridge {bridge['p50_ms']:.0f} ms, ldap3 {direct['p50_ms']:.0f} ms"
            f" (one search with the dereference control)",
        )
    )
    return rows


def _allocator_rows(results: dict[str, Any]) -> list[Row]:
    block = results["allocator"]
    sizes = block["settings"]
    rows = [
        Row(
            f"  slapd add 1 member, {sizes['small_group']} / {sizes['big_group']:,}"
            f" members, before / after {sizes['member_reads']} reads with members",
            "",
        )
    ]
    for name in ("glibc", "jemalloc"):
        figures = [
            f"{block[f'{name} small {when}']['p50_ms']:.2f}"
            f" / {block[f'{name} big {when}']['p50_ms']:.2f} ms"
            for when in ("before", "after")
        ]
        rows.append(Row(f"    {name} malloc", f"p50 {figures[0]}, then {figures[1]}"))
    return rows


def rows(results: dict[str, Any]) -> list[Row]:
    """Every row of the table, in the order of the issue's list."""
    found = _replay_rows(results)
    if "direct" in results:
        found += _direct_rows(results)
    if "scale" in results:
        found += _scale_rows(results)
    if "allocator" in results:
        found += _allocator_rows(results)
    memory = results["bridge"]["memory_kib"]
    peak = memory["VmHWM"] / 1024
    users = results["settings"]["users"]
    found.append(
        Row(
            f"5 bridge peak RSS (VmHWM), {users:,}-user replay",
            f"{peak:.0f} MiB",
            f"<= {MEMORY_LIMIT_MIB} MiB at 100,000",
            peak <= MEMORY_LIMIT_MIB,
        )
    )
    if "reference" in results:
        ours = results["bridge"]["users_per_second"]
        theirs = results["reference"]["users_per_second"]
        found.append(
            Row(
                "6 users/s: bridge vs scim2-server (memory)",
                f"{ours:.0f} vs {theirs:.0f} (x{ours / theirs:.2f})",
                ">= 1.0x",
                ours >= theirs,
            )
        )
        cpu = results["reference"]["users"]["cpu_seconds"]
        found.append(
            Row("    CPU ms per user, scim2-server", _per(cpu, "server", users))
        )
    return found


def table(found: list[Row]) -> str:
    """The rows as a fixed-width text table."""
    head = Row("measurement", "value", "target")
    widths = [
        max(len(r.name) for r in [head, *found]),
        max(len(r.value) for r in [head, *found]),
        22,
    ]
    lines = []
    for row in [head, *found]:
        verdict = "result" if row is head else row.verdict()
        lines.append(
            f"{row.name:<{widths[0]}}  {row.value:<{widths[1]}}"
            f"  {row.target:<{widths[2]}}  {verdict}"
        )
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
