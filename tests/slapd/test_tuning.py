"""`scim-ldap-bridge slapd-config`: the cn=config changes an existing slapd
needs for a mapping, applied to a real slapd that lacks them."""

import subprocess
import sys
from pathlib import Path

from ldap3 import BASE

from bridge.mapping.load import load_mapping
from bridge.slapd import LocalSlapd, SlapdSpec
from bridge.slapd.layout import Layout
from bridge.slapd.profile import spec_for_mapping
from bridge.slapd.tools import find_tools
from bridge.slapd.tuning import render_tuning

from .support import connect

DEREF = "1.3.6.1.4.1.4203.666.5.16"


def _bare_slapd() -> LocalSlapd:
    """A slapd of the bridge's schema with no indexes, unique, refint or deref."""
    return LocalSlapd(
        SlapdSpec(indexes=(), unique=(), refint_attributes=(), deref=False)
    )


def _config_dump(layout: Layout) -> str:
    slapcat = str(Path(find_tools().slapadd).with_name("slapcat"))
    done = subprocess.run(
        [slapcat, "-n0", "-F", str(layout.config_dir)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def _apply_each(layout: Layout, changes: Path) -> None:
    """Each change on its own, failures skipped: what ``ldapmodify -c``
    does online (offline, slapmodify -c loses its way after a failed add)."""
    records = [r for r in changes.read_text().split("\n\n") if "\ndn: " in f"\n{r}"]
    for index, record in enumerate(records):
        one = changes.with_name(f"change-{index}.ldif")
        one.write_text(record + "\n\n", encoding="utf-8")
        subprocess.run(
            [find_tools().slapmodify, "-n0", "-F", str(layout.config_dir),
             "-l", str(one)],
            capture_output=True, check=False,
        )  # fmt: skip


def test_the_changes_give_a_bare_slapd_what_the_mapping_needs(tmp_path: Path) -> None:
    """Applied change by change, skipping what is already there (the
    modules, sssvlv), they add the indexes, sorted member values, the
    unique and refint settings and deref."""
    spec = spec_for_mapping(load_mapping("inetorgperson"), ())
    changes = tmp_path / "tuning.ldif"
    changes.write_text(render_tuning(spec), encoding="utf-8")

    with _bare_slapd() as slapd:
        layout = Layout.inside(slapd.workdir)
        slapd.stop()
        _apply_each(layout, changes)
        config = _config_dump(layout)
        slapd.start()
        root = connect(slapd.uri, slapd.root_dn, slapd.root_password)
        root.search("", "(objectClass=*)", BASE, attributes=["supportedControl"])
        controls = root.entries[0].entry_raw_attributes["supportedControl"]

    assert "olcDbIndex: uid eq,sub" in config
    assert "olcUniqueURI: ldap:///ou=people,dc=example,dc=org?uid?sub" in config
    assert "olcRefintAttribute: member" in config
    assert "olcSortVals: member groupMembership" in config
    assert DEREF.encode() in controls


def test_the_command_prints_the_changes_for_a_mapping_file() -> None:
    """The console command prints the same LDIF for a shipped profile, with
    the database DN given."""
    database = "olcDatabase={2}mdb,cn=config"
    done = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "slapd-config", "--mapping", "records",
         "--database", database],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    spec = spec_for_mapping(load_mapping("records"), ())

    assert done.returncode == 0, done.stderr
    assert done.stdout == render_tuning(spec, database)
    assert f"dn: olcOverlay=unique,{database}\nchangetype: add\n" in done.stdout
