"""The README's first command: the demo replays Entra's recorded cycle into
its own slapd, checks every answer, shows the directory, and cleans up."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bridge

CYCLE = Path(bridge.__file__).with_name("replay") / "entra-cycle.json"
STEP = re.compile(r"^  (\d{3})  (GET|POST|PUT|PATCH|DELETE)\s+(.+)$", re.MULTILINE)


def _demo(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge.cli", "demo", "--port", "0", *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("profile", ["inetorgperson", "records"])
def test_exit_replays_the_whole_cycle_and_stops(profile: str) -> None:
    """--exit alone replays (it implies --replay): every recorded step gets
    the status it expects, in order, and slapd and the bridge are stopped."""
    steps = json.loads(CYCLE.read_text(encoding="utf-8"))["steps"]

    done = _demo("--exit", "--profile", profile)

    assert done.returncode == 0, done.stderr[-2000:]
    replayed = STEP.findall(done.stdout)
    assert [(int(status), name) for status, _, name in replayed] == [
        (step["expect"], step["name"]) for step in steps
    ]
    assert done.stdout.rstrip().endswith("Stopped the bridge and slapd.")


def test_the_directory_shown_after_the_replay_is_what_the_cycle_left() -> None:
    """Five users created, one deleted, one disabled and renamed apart;
    three groups, one renamed; the deleted user is in no group."""
    done = _demo("--exit")

    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "Users under ou=people,dc=example,dc=org: 4" in out
    assert "Groups under ou=groups,dc=example,dc=org: 3" in out
    assert "grady.archie" not in out.split("Users under", 1)[1]
    disabled = [line for line in out.splitlines() if "loginDisabled=TRUE" in line]
    assert len(disabled) == 1 and "alex.wilber" in disabled[0]
